-- Answers of the language model kept under the SHA-256 of their request (model, messages,
-- sampling parameters): asking the same again costs nothing.
CREATE TABLE llm_cache (
    key        TEXT PRIMARY KEY NOT NULL,
    model      TEXT NOT NULL,
    body       TEXT NOT NULL,
    created_at INTEGER NOT NULL
);

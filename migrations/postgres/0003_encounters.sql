-- Cases (bundled and imported) and encounters (one work-up of one case by one user).
CREATE TABLE cases (
    id         TEXT PRIMARY KEY,
    title      TEXT NOT NULL,
    specialty  TEXT NOT NULL,
    difficulty TEXT NOT NULL,
    summary    TEXT NOT NULL,
    is_default BOOLEAN NOT NULL DEFAULT FALSE,
    source     TEXT NOT NULL CHECK (source IN ('bundled', 'imported')),
    body       TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);

-- The whole encounter state is one JSON document, rewritten after every turn under an
-- optimistic version check (a concurrent writer loses with `conflict`).
CREATE TABLE encounters (
    id          TEXT PRIMARY KEY,
    user_id     BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    session_id  TEXT,
    case_id     TEXT NOT NULL REFERENCES cases (id),
    status      TEXT NOT NULL CHECK (status IN ('open', 'closed')),
    spent_cents BIGINT NOT NULL,
    budget_cents BIGINT,
    state       TEXT NOT NULL,
    version     BIGINT NOT NULL,
    created_at  BIGINT NOT NULL,
    updated_at  BIGINT NOT NULL
);
CREATE INDEX encounters_user ON encounters (user_id, updated_at);
CREATE INDEX encounters_session_case ON encounters (session_id, case_id, status);

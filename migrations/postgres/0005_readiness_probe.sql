-- The one row `/readyz` rewrites to prove that the database takes a write: a full disk or a
-- read-only server still lets reads through. `headroom` makes the write as large as an ordinary
-- one; stored out of line and uncompressed, so its zeros are really written.
CREATE TABLE readiness_probe (
    id       INTEGER PRIMARY KEY NOT NULL CHECK (id = 1),
    probes   BIGINT NOT NULL,
    headroom BYTEA NOT NULL
);
ALTER TABLE readiness_probe ALTER COLUMN headroom SET STORAGE EXTERNAL;
INSERT INTO readiness_probe (id, probes, headroom) VALUES (1, 0, ''::bytea);

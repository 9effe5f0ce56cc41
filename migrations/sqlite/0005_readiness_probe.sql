-- The one row `/readyz` rewrites to prove that the database takes a write: a full disk or a stuck
-- write lock still lets reads through. `headroom` makes the write as large as an ordinary one, since
-- a write of a page or two fits in the space a failed write leaves behind on a full disk.
CREATE TABLE readiness_probe (
    id       INTEGER PRIMARY KEY NOT NULL CHECK (id = 1),
    probes   INTEGER NOT NULL,
    headroom BLOB NOT NULL
);
INSERT INTO readiness_probe (id, probes, headroom) VALUES (1, 0, x'');

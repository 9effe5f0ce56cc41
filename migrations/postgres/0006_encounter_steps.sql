-- A step appends a small patch to the encounter instead of rewriting its whole state; the state
-- in `encounters` is as of `state_version`, and the patches of later versions are applied to it
-- in order when it is read. Now and then a save writes the whole state again.
ALTER TABLE encounters ADD COLUMN state_version BIGINT NOT NULL DEFAULT 0;
UPDATE encounters SET state_version = version;
CREATE TABLE encounter_steps (
    encounter_id TEXT NOT NULL REFERENCES encounters (id) ON DELETE CASCADE,
    version      BIGINT NOT NULL,
    patch        TEXT NOT NULL,
    PRIMARY KEY (encounter_id, version)
);

-- Accounts, login sessions, refresh tokens, failed logins and message rate windows.
-- Times are Unix milliseconds (INTEGER), the same in both dialects.
CREATE TABLE users (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    name          TEXT NOT NULL UNIQUE,
    password_hash TEXT NOT NULL,
    user_group    TEXT NOT NULL CHECK (user_group IN ('physician', 'admin')),
    created_at    INTEGER NOT NULL
);

-- A login: a browser session (named by a cookie whose SHA-256 is the id) or an API session
-- (named inside its access tokens). Revoking it ends every credential it issued.
CREATE TABLE sessions (
    id         TEXT PRIMARY KEY NOT NULL,
    user_id    INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    kind       TEXT NOT NULL CHECK (kind IN ('browser', 'api')),
    address    TEXT,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    revoked_at INTEGER
);
CREATE INDEX sessions_user ON sessions (user_id);
CREATE INDEX sessions_expires ON sessions (expires_at);

-- Refresh tokens, stored as SHA-256 hashes. A used one stays (used_at set) so that presenting it
-- again is recognised as reuse.
CREATE TABLE refresh_tokens (
    token_hash TEXT PRIMARY KEY NOT NULL,
    session_id TEXT NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
    created_at INTEGER NOT NULL,
    used_at    INTEGER
);
CREATE INDEX refresh_tokens_session ON refresh_tokens (session_id);

-- One row per failed login, counted per account and per client address in a sliding window.
CREATE TABLE failed_logins (
    id    INTEGER PRIMARY KEY AUTOINCREMENT,
    scope TEXT NOT NULL CHECK (scope IN ('account', 'address')),
    key   TEXT NOT NULL,
    at    INTEGER NOT NULL
);
CREATE INDEX failed_logins_key ON failed_logins (scope, key, at);

-- One row per WebSocket message, counted per session in a sliding window.
CREATE TABLE message_events (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    session_id TEXT NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
    at         INTEGER NOT NULL
);
CREATE INDEX message_events_session ON message_events (session_id, at);

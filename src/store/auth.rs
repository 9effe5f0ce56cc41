//! Accounts, login sessions, refresh tokens, failed logins and message rate windows: the types
//! and the storage trait (its SQL, shared by both backends, is in `auth_sql.rs`).
//!
//! Every method takes the current time from its caller (Unix milliseconds), so the rules built on
//! top run on an injected clock. Transactions write before they read, so SQLite takes its write
//! lock up front.

use crate::error::AppError;
use crate::protocol::Group;
use async_trait::async_trait;

/// A stored account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserRecord {
    /// Database id.
    pub id: i64,
    /// Login name (lower case).
    pub name: String,
    /// The argon2id PHC string.
    pub password_hash: String,
    /// What the account may do.
    pub group: Group,
    /// When it was created (Unix ms).
    pub created_at: i64,
}

/// How a session was opened.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SessionKind {
    /// A browser sign-in, named by a cookie.
    Browser,
    /// An API login, named inside its access tokens.
    Api,
}

impl SessionKind {
    /// The stored spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            SessionKind::Browser => "browser",
            SessionKind::Api => "api",
        }
    }

    fn parse(text: &str) -> Self {
        if text == "browser" {
            SessionKind::Browser
        } else {
            SessionKind::Api
        }
    }
}

/// A session about to be stored.
#[derive(Debug, Clone)]
pub struct NewSession {
    /// Its id (for browser sessions, the SHA-256 of the cookie value).
    pub id: String,
    /// Whose it is.
    pub user_id: i64,
    /// Browser or API.
    pub kind: SessionKind,
    /// The client address it was opened from.
    pub address: Option<String>,
    /// Opened at (Unix ms).
    pub created_at: i64,
    /// Ends at (Unix ms) unless revoked earlier.
    pub expires_at: i64,
}

/// A stored session with its user's current name and group.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionRecord {
    /// Its id.
    pub id: String,
    /// The user's id.
    pub user_id: i64,
    /// The user's name.
    pub user_name: String,
    /// The user's group, as stored now (never from a token).
    pub group: Group,
    /// Browser or API.
    pub kind: SessionKind,
    /// The client address it was opened from.
    pub address: Option<String>,
    /// Opened at (Unix ms).
    pub created_at: i64,
    /// Ends at (Unix ms).
    pub expires_at: i64,
    /// When it was revoked, if it was.
    pub revoked_at: Option<i64>,
}

impl SessionRecord {
    /// True while neither revoked nor expired at `now`.
    pub fn is_live(&self, now: i64) -> bool {
        self.revoked_at.is_none() && self.expires_at > now
    }
}

/// What presenting a refresh token did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RefreshUse {
    /// The token was current: it is now used up and `new_hash` replaces it.
    Rotated(SessionRecord),
    /// The token had already been used: the whole session has been revoked.
    Reused {
        /// The revoked session.
        session_id: String,
    },
    /// No such token, or its session has ended.
    Invalid,
}

/// What a failed-login counter is keyed on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FailureScope {
    /// The login name tried.
    Account,
    /// The client address it came from.
    Address,
}

impl FailureScope {
    /// The stored spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            FailureScope::Account => "account",
            FailureScope::Address => "address",
        }
    }
}

/// What a cleanup pass removed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CleanupReport {
    /// Sessions past their end (with their tokens and message records).
    pub sessions: u64,
    /// Failed logins older than the window.
    pub failed_logins: u64,
    /// Message records older than the window.
    pub messages: u64,
}

/// Storage of accounts and everything about logins.
#[async_trait]
pub trait AuthStore: Send + Sync {
    /// Creates an account; `None` when the name is taken.
    async fn add_user(
        &self,
        name: &str,
        password_hash: &str,
        group: Group,
        now: i64,
    ) -> Result<Option<UserRecord>, AppError>;
    /// The account with this name.
    async fn user_by_name(&self, name: &str) -> Result<Option<UserRecord>, AppError>;
    /// Every account, by name.
    async fn list_users(&self) -> Result<Vec<UserRecord>, AppError>;
    /// How many accounts exist.
    async fn count_users(&self) -> Result<i64, AppError>;
    /// Deletes an account and its sessions; false when there was none.
    async fn remove_user(&self, name: &str) -> Result<bool, AppError>;
    /// Replaces an account's password hash and revokes its sessions; false when there was none.
    async fn set_password(
        &self,
        name: &str,
        password_hash: &str,
        now: i64,
    ) -> Result<bool, AppError>;

    /// A server-wide setting.
    async fn setting(&self, key: &str) -> Result<Option<String>, AppError>;
    /// Stores `value` unless the key already has one; returns the value now stored (the first
    /// writer wins when instances race).
    async fn setting_or_insert(&self, key: &str, value: &str) -> Result<String, AppError>;
    /// Removes a setting.
    async fn delete_setting(&self, key: &str) -> Result<(), AppError>;

    /// Stores a new session.
    async fn create_session(&self, session: &NewSession) -> Result<(), AppError>;
    /// A session with its user, live or not.
    async fn session(&self, id: &str) -> Result<Option<SessionRecord>, AppError>;
    /// A user's live sessions, newest first.
    async fn live_sessions_of(
        &self,
        user_id: i64,
        now: i64,
    ) -> Result<Vec<SessionRecord>, AppError>;
    /// Revokes a session; false when it did not exist or was already revoked.
    async fn revoke_session(&self, id: &str, now: i64) -> Result<bool, AppError>;
    /// Those of `ids` that are revoked, expired or gone.
    async fn ended_sessions(&self, ids: &[String], now: i64) -> Result<Vec<String>, AppError>;

    /// Stores a refresh token's hash for a session.
    async fn add_refresh_token(
        &self,
        hash: &str,
        session_id: &str,
        now: i64,
    ) -> Result<(), AppError>;
    /// Uses up the refresh token `old_hash`, replacing it with `new_hash`; a second use of the
    /// same token revokes its session.
    async fn rotate_refresh_token(
        &self,
        old_hash: &str,
        new_hash: &str,
        now: i64,
    ) -> Result<RefreshUse, AppError>;
    /// The session a refresh token (used or not) belongs to.
    async fn session_of_refresh_token(&self, hash: &str) -> Result<Option<String>, AppError>;

    /// Records one failed login under `key`.
    async fn record_failed_login(
        &self,
        scope: FailureScope,
        key: &str,
        now: i64,
    ) -> Result<(), AppError>;
    /// Times (newest first, at most `limit`) of failed logins under `key` after `since`.
    async fn failed_logins_since(
        &self,
        scope: FailureScope,
        key: &str,
        since: i64,
        limit: i64,
    ) -> Result<Vec<i64>, AppError>;
    /// Forgets the failed logins under `key`.
    async fn clear_failed_logins_for(&self, scope: FailureScope, key: &str)
        -> Result<(), AppError>;

    /// Records one message of a session and returns how many it sent after `since`, this one
    /// included.
    async fn record_message(&self, session_id: &str, now: i64, since: i64)
        -> Result<i64, AppError>;

    /// Deletes sessions that ended before `now` (revoked ones after `keep_revoked_until`),
    /// failed logins before `failed_before` and message records before `messages_before`.
    async fn cleanup(
        &self,
        now: i64,
        revoked_before: i64,
        failed_before: i64,
        messages_before: i64,
    ) -> Result<CleanupReport, AppError>;

    /// Test helper: forgets every failed login.
    async fn clear_failed_logins(&self) -> Result<(), AppError>;
    /// Test helper: forgets every session, token, message record and failed login (accounts stay).
    async fn clear_all_session_data(&self) -> Result<(), AppError>;
}

pub(crate) type UserRow = (i64, String, String, String, i64);
pub(crate) type SessionRow = (
    String,
    i64,
    String,
    String,
    String,
    Option<String>,
    i64,
    i64,
    Option<i64>,
);

pub(crate) const USER_COLUMNS: &str = "id, name, password_hash, user_group, created_at";
pub(crate) const SESSION_SELECT: &str =
    "SELECT s.id, s.user_id, u.name, u.user_group, s.kind, s.address, \
     s.created_at, s.expires_at, s.revoked_at FROM sessions s JOIN users u ON u.id = s.user_id";

pub(crate) fn user_from_row(row: UserRow) -> Result<UserRecord, AppError> {
    Ok(UserRecord {
        id: row.0,
        name: row.1,
        password_hash: row.2,
        group: parse_group(&row.3)?,
        created_at: row.4,
    })
}

pub(crate) fn session_from_row(row: SessionRow) -> Result<SessionRecord, AppError> {
    Ok(SessionRecord {
        id: row.0,
        user_id: row.1,
        user_name: row.2,
        group: parse_group(&row.3)?,
        kind: SessionKind::parse(&row.4),
        address: row.5,
        created_at: row.6,
        expires_at: row.7,
        revoked_at: row.8,
    })
}

fn parse_group(text: &str) -> Result<Group, AppError> {
    text.parse()
        .map_err(|_| AppError::Config(format!("unknown user group {text:?} in the database")))
}

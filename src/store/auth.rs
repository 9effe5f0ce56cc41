//! Accounts, login sessions, refresh tokens, failed logins and message rate windows: the types,
//! the storage trait, and its one SQL implementation shared by both backends.
//!
//! Every method takes the current time from its caller (Unix milliseconds), so the rules built on
//! top run on an injected clock. The SQL uses `$N` placeholders, which SQLite accepts too, and
//! writes before it reads inside a transaction, so SQLite takes its write lock up front.

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

/// Implements [`AuthStore`] for a store type whose `pool` field is a pool of database `$db`.
macro_rules! impl_auth_store {
    ($store:ty, $db:ty) => {
        #[async_trait::async_trait]
        impl $crate::store::auth::AuthStore for $store {
            async fn add_user(
                &self,
                name: &str,
                password_hash: &str,
                group: $crate::protocol::Group,
                now: i64,
            ) -> Result<Option<$crate::store::auth::UserRecord>, $crate::error::AppError> {
                let id: Option<(i64,)> = sqlx::query_as(
                    "INSERT INTO users (name, password_hash, user_group, created_at) \
                     VALUES ($1, $2, $3, $4) ON CONFLICT (name) DO NOTHING RETURNING id",
                )
                .bind(name)
                .bind(password_hash)
                .bind(group.as_str())
                .bind(now)
                .fetch_optional(&self.pool)
                .await?;
                Ok(id.map(|(id,)| $crate::store::auth::UserRecord {
                    id,
                    name: name.to_string(),
                    password_hash: password_hash.to_string(),
                    group,
                    created_at: now,
                }))
            }

            async fn user_by_name(
                &self,
                name: &str,
            ) -> Result<Option<$crate::store::auth::UserRecord>, $crate::error::AppError> {
                let sql = format!(
                    "SELECT {} FROM users WHERE name = $1",
                    $crate::store::auth::USER_COLUMNS
                );
                let row: Option<$crate::store::auth::UserRow> = sqlx::query_as(&sql)
                    .bind(name)
                    .fetch_optional(&self.pool)
                    .await?;
                row.map($crate::store::auth::user_from_row).transpose()
            }

            async fn list_users(
                &self,
            ) -> Result<Vec<$crate::store::auth::UserRecord>, $crate::error::AppError> {
                let sql = format!(
                    "SELECT {} FROM users ORDER BY name",
                    $crate::store::auth::USER_COLUMNS
                );
                let rows: Vec<$crate::store::auth::UserRow> =
                    sqlx::query_as(&sql).fetch_all(&self.pool).await?;
                rows.into_iter()
                    .map($crate::store::auth::user_from_row)
                    .collect()
            }

            async fn count_users(&self) -> Result<i64, $crate::error::AppError> {
                let (n,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM users")
                    .fetch_one(&self.pool)
                    .await?;
                Ok(n)
            }

            async fn remove_user(&self, name: &str) -> Result<bool, $crate::error::AppError> {
                let done = sqlx::query("DELETE FROM users WHERE name = $1")
                    .bind(name)
                    .execute(&self.pool)
                    .await?;
                Ok(done.rows_affected() > 0)
            }

            async fn set_password(
                &self,
                name: &str,
                password_hash: &str,
                now: i64,
            ) -> Result<bool, $crate::error::AppError> {
                let mut tx = self.pool.begin().await?;
                let id: Option<(i64,)> = sqlx::query_as(
                    "UPDATE users SET password_hash = $1 WHERE name = $2 RETURNING id",
                )
                .bind(password_hash)
                .bind(name)
                .fetch_optional(&mut *tx)
                .await?;
                let Some((id,)) = id else {
                    return Ok(false);
                };
                sqlx::query(
                    "UPDATE sessions SET revoked_at = $1 WHERE user_id = $2 AND revoked_at IS NULL",
                )
                .bind(now)
                .bind(id)
                .execute(&mut *tx)
                .await?;
                tx.commit().await?;
                Ok(true)
            }

            async fn setting(&self, key: &str) -> Result<Option<String>, $crate::error::AppError> {
                let row: Option<(String,)> =
                    sqlx::query_as("SELECT value FROM settings WHERE key = $1")
                        .bind(key)
                        .fetch_optional(&self.pool)
                        .await?;
                Ok(row.map(|(v,)| v))
            }

            async fn setting_or_insert(
                &self,
                key: &str,
                value: &str,
            ) -> Result<String, $crate::error::AppError> {
                sqlx::query(
                    "INSERT INTO settings (key, value) VALUES ($1, $2) ON CONFLICT (key) DO NOTHING",
                )
                .bind(key)
                .bind(value)
                .execute(&self.pool)
                .await?;
                let (stored,): (String,) =
                    sqlx::query_as("SELECT value FROM settings WHERE key = $1")
                        .bind(key)
                        .fetch_one(&self.pool)
                        .await?;
                Ok(stored)
            }

            async fn delete_setting(&self, key: &str) -> Result<(), $crate::error::AppError> {
                sqlx::query("DELETE FROM settings WHERE key = $1")
                    .bind(key)
                    .execute(&self.pool)
                    .await?;
                Ok(())
            }

            async fn create_session(
                &self,
                session: &$crate::store::auth::NewSession,
            ) -> Result<(), $crate::error::AppError> {
                sqlx::query(
                    "INSERT INTO sessions (id, user_id, kind, address, created_at, expires_at) \
                     VALUES ($1, $2, $3, $4, $5, $6)",
                )
                .bind(&session.id)
                .bind(session.user_id)
                .bind(session.kind.as_str())
                .bind(&session.address)
                .bind(session.created_at)
                .bind(session.expires_at)
                .execute(&self.pool)
                .await?;
                Ok(())
            }

            async fn session(
                &self,
                id: &str,
            ) -> Result<Option<$crate::store::auth::SessionRecord>, $crate::error::AppError> {
                let sql = format!("{} WHERE s.id = $1", $crate::store::auth::SESSION_SELECT);
                let row: Option<$crate::store::auth::SessionRow> = sqlx::query_as(&sql)
                    .bind(id)
                    .fetch_optional(&self.pool)
                    .await?;
                row.map($crate::store::auth::session_from_row).transpose()
            }

            async fn live_sessions_of(
                &self,
                user_id: i64,
                now: i64,
            ) -> Result<Vec<$crate::store::auth::SessionRecord>, $crate::error::AppError> {
                let sql = format!(
                    "{} WHERE s.user_id = $1 AND s.revoked_at IS NULL AND s.expires_at > $2 \
                     ORDER BY s.created_at DESC, s.id",
                    $crate::store::auth::SESSION_SELECT
                );
                let rows: Vec<$crate::store::auth::SessionRow> = sqlx::query_as(&sql)
                    .bind(user_id)
                    .bind(now)
                    .fetch_all(&self.pool)
                    .await?;
                rows.into_iter()
                    .map($crate::store::auth::session_from_row)
                    .collect()
            }

            async fn revoke_session(
                &self,
                id: &str,
                now: i64,
            ) -> Result<bool, $crate::error::AppError> {
                let done = sqlx::query(
                    "UPDATE sessions SET revoked_at = $1 WHERE id = $2 AND revoked_at IS NULL",
                )
                .bind(now)
                .bind(id)
                .execute(&self.pool)
                .await?;
                Ok(done.rows_affected() > 0)
            }

            async fn ended_sessions(
                &self,
                ids: &[String],
                now: i64,
            ) -> Result<Vec<String>, $crate::error::AppError> {
                let mut ended = Vec::new();
                // Bounded IN lists keep every statement under the engines' parameter limits.
                for chunk in ids.chunks(500) {
                    let mut live = sqlx::QueryBuilder::<$db>::new(
                        "SELECT id FROM sessions WHERE revoked_at IS NULL AND expires_at > ",
                    );
                    live.push_bind(now).push(" AND id IN (");
                    let mut list = live.separated(", ");
                    for id in chunk {
                        list.push_bind(id);
                    }
                    live.push(")");
                    let rows: Vec<(String,)> =
                        live.build_query_as().fetch_all(&self.pool).await?;
                    let live: std::collections::HashSet<String> =
                        rows.into_iter().map(|(id,)| id).collect();
                    ended.extend(chunk.iter().filter(|id| !live.contains(*id)).cloned());
                }
                Ok(ended)
            }

            async fn add_refresh_token(
                &self,
                hash: &str,
                session_id: &str,
                now: i64,
            ) -> Result<(), $crate::error::AppError> {
                sqlx::query(
                    "INSERT INTO refresh_tokens (token_hash, session_id, created_at) \
                     VALUES ($1, $2, $3)",
                )
                .bind(hash)
                .bind(session_id)
                .bind(now)
                .execute(&self.pool)
                .await?;
                Ok(())
            }

            async fn rotate_refresh_token(
                &self,
                old_hash: &str,
                new_hash: &str,
                now: i64,
            ) -> Result<$crate::store::auth::RefreshUse, $crate::error::AppError> {
                use $crate::store::auth::RefreshUse;
                let mut tx = self.pool.begin().await?;
                // The conditional update decides, atomically, which of two racing uses wins.
                let claimed: Option<(String,)> = sqlx::query_as(
                    "UPDATE refresh_tokens SET used_at = $1 \
                     WHERE token_hash = $2 AND used_at IS NULL RETURNING session_id",
                )
                .bind(now)
                .bind(old_hash)
                .fetch_optional(&mut *tx)
                .await?;
                let Some((session_id,)) = claimed else {
                    let owner: Option<(String,)> = sqlx::query_as(
                        "SELECT session_id FROM refresh_tokens WHERE token_hash = $1",
                    )
                    .bind(old_hash)
                    .fetch_optional(&mut *tx)
                    .await?;
                    let Some((session_id,)) = owner else {
                        return Ok(RefreshUse::Invalid);
                    };
                    sqlx::query(
                        "UPDATE sessions SET revoked_at = $1 WHERE id = $2 AND revoked_at IS NULL",
                    )
                    .bind(now)
                    .bind(&session_id)
                    .execute(&mut *tx)
                    .await?;
                    tx.commit().await?;
                    return Ok(RefreshUse::Reused { session_id });
                };
                let sql = format!("{} WHERE s.id = $1", $crate::store::auth::SESSION_SELECT);
                let row: Option<$crate::store::auth::SessionRow> = sqlx::query_as(&sql)
                    .bind(&session_id)
                    .fetch_optional(&mut *tx)
                    .await?;
                let session = match row.map($crate::store::auth::session_from_row).transpose()? {
                    Some(session) if session.is_live(now) => session,
                    _ => return Ok(RefreshUse::Invalid),
                };
                sqlx::query(
                    "INSERT INTO refresh_tokens (token_hash, session_id, created_at) \
                     VALUES ($1, $2, $3)",
                )
                .bind(new_hash)
                .bind(&session_id)
                .bind(now)
                .execute(&mut *tx)
                .await?;
                tx.commit().await?;
                Ok(RefreshUse::Rotated(session))
            }

            async fn session_of_refresh_token(
                &self,
                hash: &str,
            ) -> Result<Option<String>, $crate::error::AppError> {
                let row: Option<(String,)> = sqlx::query_as(
                    "SELECT session_id FROM refresh_tokens WHERE token_hash = $1",
                )
                .bind(hash)
                .fetch_optional(&self.pool)
                .await?;
                Ok(row.map(|(id,)| id))
            }

            async fn record_failed_login(
                &self,
                scope: $crate::store::auth::FailureScope,
                key: &str,
                now: i64,
            ) -> Result<(), $crate::error::AppError> {
                sqlx::query("INSERT INTO failed_logins (scope, key, at) VALUES ($1, $2, $3)")
                    .bind(scope.as_str())
                    .bind(key)
                    .bind(now)
                    .execute(&self.pool)
                    .await?;
                Ok(())
            }

            async fn failed_logins_since(
                &self,
                scope: $crate::store::auth::FailureScope,
                key: &str,
                since: i64,
                limit: i64,
            ) -> Result<Vec<i64>, $crate::error::AppError> {
                let rows: Vec<(i64,)> = sqlx::query_as(
                    "SELECT at FROM failed_logins WHERE scope = $1 AND key = $2 AND at > $3 \
                     ORDER BY at DESC LIMIT $4",
                )
                .bind(scope.as_str())
                .bind(key)
                .bind(since)
                .bind(limit)
                .fetch_all(&self.pool)
                .await?;
                Ok(rows.into_iter().map(|(at,)| at).collect())
            }

            async fn clear_failed_logins_for(
                &self,
                scope: $crate::store::auth::FailureScope,
                key: &str,
            ) -> Result<(), $crate::error::AppError> {
                sqlx::query("DELETE FROM failed_logins WHERE scope = $1 AND key = $2")
                    .bind(scope.as_str())
                    .bind(key)
                    .execute(&self.pool)
                    .await?;
                Ok(())
            }

            async fn record_message(
                &self,
                session_id: &str,
                now: i64,
                since: i64,
            ) -> Result<i64, $crate::error::AppError> {
                let mut tx = self.pool.begin().await?;
                sqlx::query("INSERT INTO message_events (session_id, at) VALUES ($1, $2)")
                    .bind(session_id)
                    .bind(now)
                    .execute(&mut *tx)
                    .await?;
                let (count,): (i64,) = sqlx::query_as(
                    "SELECT COUNT(*) FROM message_events WHERE session_id = $1 AND at > $2",
                )
                .bind(session_id)
                .bind(since)
                .fetch_one(&mut *tx)
                .await?;
                tx.commit().await?;
                Ok(count)
            }

            async fn cleanup(
                &self,
                now: i64,
                revoked_before: i64,
                failed_before: i64,
                messages_before: i64,
            ) -> Result<$crate::store::auth::CleanupReport, $crate::error::AppError> {
                let sessions = sqlx::query(
                    "DELETE FROM sessions WHERE expires_at <= $1 OR revoked_at <= $2",
                )
                .bind(now)
                .bind(revoked_before)
                .execute(&self.pool)
                .await?
                .rows_affected();
                let failed_logins = sqlx::query("DELETE FROM failed_logins WHERE at <= $1")
                    .bind(failed_before)
                    .execute(&self.pool)
                    .await?
                    .rows_affected();
                let messages = sqlx::query("DELETE FROM message_events WHERE at <= $1")
                    .bind(messages_before)
                    .execute(&self.pool)
                    .await?
                    .rows_affected();
                Ok($crate::store::auth::CleanupReport {
                    sessions,
                    failed_logins,
                    messages,
                })
            }

            async fn clear_failed_logins(&self) -> Result<(), $crate::error::AppError> {
                sqlx::query("DELETE FROM failed_logins")
                    .execute(&self.pool)
                    .await?;
                Ok(())
            }

            async fn clear_all_session_data(&self) -> Result<(), $crate::error::AppError> {
                let mut tx = self.pool.begin().await?;
                for table in ["message_events", "refresh_tokens", "sessions", "failed_logins"] {
                    sqlx::query(&format!("DELETE FROM {table}"))
                        .execute(&mut *tx)
                        .await?;
                }
                tx.commit().await?;
                Ok(())
            }
        }
    };
}

pub(crate) use impl_auth_store;

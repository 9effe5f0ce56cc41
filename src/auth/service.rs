//! The rules of signing in: lockout, sessions, access and refresh tokens, message rate limits.
//! Everything runs on the injected clock and the store; the web edge only translates.

use super::clock::Clock;
use super::password::{normalize_name, verify_password};
use super::revocation::{Revocations, SessionWatch};
use super::tokens::{random_token, token_hash, AccessClaims, TokenKeys};
use crate::error::AppError;
use crate::store::{
    CleanupReport, FailureScope, NewSession, RefreshUse, SessionKind, SessionRecord, Store,
    UserRecord,
};
use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};
use tokio::sync::OwnedMutexGuard;

/// The limits and lifetimes, from the configuration.
#[derive(Debug, Clone)]
pub struct AuthPolicy {
    /// Failed logins per account in one window before it locks.
    pub failed_login_limit: u32,
    /// Failed logins per client address in one window before it locks.
    pub failed_login_address_limit: u32,
    /// The failed-login window, in seconds.
    pub failed_login_window_secs: u64,
    /// Messages per session in one window.
    pub message_rate_limit: u32,
    /// The message window, in seconds.
    pub message_rate_window_secs: u64,
    /// Access-token lifetime, in seconds.
    pub token_ttl_secs: u64,
    /// Session (and refresh-token) lifetime, in seconds.
    pub session_ttl_secs: u64,
    /// Mark cookies `Secure` (production).
    pub secure_cookies: bool,
}

impl Default for AuthPolicy {
    fn default() -> Self {
        Self {
            failed_login_limit: 5,
            failed_login_address_limit: 20,
            failed_login_window_secs: 300,
            message_rate_limit: 30,
            message_rate_window_secs: 60,
            token_ttl_secs: 3600,
            session_ttl_secs: 7 * 24 * 3600,
            secure_cookies: false,
        }
    }
}

/// The name of the browser session cookie.
pub const SESSION_COOKIE: &str = "dx0_session";

/// How long revoked sessions are kept (so a late refresh-token reuse is still recognised).
const KEEP_REVOKED_MS: i64 = 24 * 3600 * 1000;

/// What checking a name and password came to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// The password is right and nothing is locked.
    Accepted(UserRecord),
    /// Unknown name or wrong password: the same answer for both.
    Invalid,
    /// Locked out, even for the right password, for this many more seconds.
    Locked {
        /// Seconds until the lock lifts (at least 1).
        retry_after: u64,
    },
}

/// An API login's credentials.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenPair {
    /// HS256 JWT naming the session.
    pub access_token: String,
    /// Opaque, single-use.
    pub refresh_token: String,
    /// Access-token lifetime in seconds.
    pub expires_in: u64,
}

/// What presenting a refresh token came to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refreshed {
    /// A new pair; the presented token is used up.
    Rotated(TokenPair),
    /// The token had been used before: the session is revoked.
    Reused,
    /// Unknown token, or its session has ended.
    Invalid,
}

/// Sign-in and session rules over a store and a clock.
#[derive(Clone)]
pub struct Auth {
    store: Arc<dyn Store>,
    clock: Arc<dyn Clock>,
    keys: TokenKeys,
    policy: AuthPolicy,
    revocations: Revocations,
    attempts: KeyedLocks,
}

impl Auth {
    /// Rules over `store`, signing with `secret`.
    pub fn new(
        store: Arc<dyn Store>,
        clock: Arc<dyn Clock>,
        secret: &[u8],
        policy: AuthPolicy,
    ) -> Self {
        Self {
            store,
            clock,
            keys: TokenKeys::new(secret),
            policy,
            revocations: Revocations::new(),
            attempts: KeyedLocks::default(),
        }
    }

    /// The configured limits.
    pub fn policy(&self) -> &AuthPolicy {
        &self.policy
    }

    /// The current time on the injected clock (Unix ms).
    pub fn now(&self) -> i64 {
        self.clock.now_ms()
    }

    /// The store underneath.
    pub fn store(&self) -> &Arc<dyn Store> {
        &self.store
    }

    /// Checks a login attempt from `address`, counting failures and honouring lockouts.
    pub async fn check_credentials(
        &self,
        name: &str,
        password: &str,
        address: &str,
    ) -> Result<Verdict, AppError> {
        // The counter key for names that are not even valid is the raw (bounded) text, so such
        // attempts are counted like any other.
        let normalized = normalize_name(name);
        let account: String = match &normalized {
            Ok(n) => n.clone(),
            Err(_) => name.trim().to_lowercase().chars().take(128).collect(),
        };
        // One attempt at a time per account and per address (in this process): the lock check
        // and the failure it may record must not interleave, or concurrent guesses all pass the
        // check before any failure is counted. Always account first, then address.
        let _account_turn = self.attempts.lock(format!("account\n{account}")).await;
        let _address_turn = self.attempts.lock(format!("address\n{address}")).await;
        let now = self.now();
        if let Some(retry_after) = self.lock_remaining(now, &account, address).await? {
            return Ok(Verdict::Locked { retry_after });
        }
        let user = match &normalized {
            Ok(n) => self.store.user_by_name(n).await?,
            Err(_) => None,
        };
        let stored = user.as_ref().map(|u| u.password_hash.clone());
        if verify_password(stored, password.to_string()).await? {
            if let Some(user) = user {
                self.store
                    .clear_failed_logins_for(FailureScope::Account, &account)
                    .await?;
                return Ok(Verdict::Accepted(user));
            }
        }
        let now = self.now();
        self.store
            .record_failed_login(FailureScope::Account, &account, now)
            .await?;
        self.store
            .record_failed_login(FailureScope::Address, address, now)
            .await?;
        Ok(Verdict::Invalid)
    }

    /// Seconds until the longer of the account and address locks lifts, if either holds.
    async fn lock_remaining(
        &self,
        now: i64,
        account: &str,
        address: &str,
    ) -> Result<Option<u64>, AppError> {
        let window = secs_to_ms(self.policy.failed_login_window_secs);
        let mut until = None;
        for (scope, key, limit) in [
            (
                FailureScope::Account,
                account,
                self.policy.failed_login_limit,
            ),
            (
                FailureScope::Address,
                address,
                self.policy.failed_login_address_limit,
            ),
        ] {
            let limit = i64::from(limit.max(1));
            let times = self
                .store
                .failed_logins_since(scope, key, now - window, limit)
                .await?;
            // The lock lifts when the limit-th newest failure leaves the sliding window.
            if times.len() as i64 >= limit {
                let lifts = times[times.len() - 1] + window;
                until = Some(until.map_or(lifts, |u: i64| u.max(lifts)));
            }
        }
        Ok(until.map(|u| ms_to_whole_secs(u - now)))
    }

    /// Opens a browser session; returns the cookie value (its hash is the session id).
    pub async fn open_browser_session(
        &self,
        user: &UserRecord,
        address: Option<String>,
    ) -> Result<String, AppError> {
        let cookie = random_token();
        self.open_session(token_hash(&cookie), user, SessionKind::Browser, address)
            .await?;
        Ok(cookie)
    }

    /// Opens an API session and issues its first token pair.
    pub async fn open_api_session(
        &self,
        user: &UserRecord,
        address: Option<String>,
    ) -> Result<TokenPair, AppError> {
        let id = random_token();
        self.open_session(id.clone(), user, SessionKind::Api, address)
            .await?;
        let refresh_token = random_token();
        self.store
            .add_refresh_token(&token_hash(&refresh_token), &id, self.now())
            .await?;
        self.pair(&id, &user.name, refresh_token)
    }

    async fn open_session(
        &self,
        id: String,
        user: &UserRecord,
        kind: SessionKind,
        address: Option<String>,
    ) -> Result<(), AppError> {
        let now = self.now();
        self.store
            .create_session(&NewSession {
                id,
                user_id: user.id,
                kind,
                address,
                created_at: now,
                expires_at: now + secs_to_ms(self.policy.session_ttl_secs),
            })
            .await
    }

    fn pair(
        &self,
        session_id: &str,
        user_name: &str,
        refresh_token: String,
    ) -> Result<TokenPair, AppError> {
        let now_secs = self.now().div_euclid(1000);
        let ttl = self.policy.token_ttl_secs;
        let claims = AccessClaims {
            sid: session_id.to_string(),
            sub: user_name.to_string(),
            iat: now_secs,
            exp: now_secs.saturating_add(i64::try_from(ttl).unwrap_or(i64::MAX)),
            typ: "access".into(),
            jti: random_token()[..16].to_string(),
        };
        let access_token = self
            .keys
            .sign(&claims)
            .map_err(|e| AppError::Internal(format!("cannot sign an access token: {e}")))?;
        Ok(TokenPair {
            access_token,
            refresh_token,
            expires_in: ttl,
        })
    }

    /// Rotates a refresh token; a second use of one revokes its whole session.
    pub async fn refresh(&self, refresh_token: &str) -> Result<Refreshed, AppError> {
        let next = random_token();
        let used = self
            .store
            .rotate_refresh_token(&token_hash(refresh_token), &token_hash(&next), self.now())
            .await?;
        match used {
            RefreshUse::Rotated(session) => Ok(Refreshed::Rotated(self.pair(
                &session.id,
                &session.user_name,
                next,
            )?)),
            RefreshUse::Reused { session_id } => {
                tracing::warn!(
                    session = %short(&session_id),
                    "a used refresh token was presented again: session revoked"
                );
                self.revocations.announce(&session_id);
                Ok(Refreshed::Reused)
            }
            RefreshUse::Invalid => Ok(Refreshed::Invalid),
        }
    }

    /// Ends the session a refresh token belongs to; unknown tokens are ignored.
    pub async fn logout_refresh(&self, refresh_token: &str) -> Result<(), AppError> {
        if let Some(session_id) = self
            .store
            .session_of_refresh_token(&token_hash(refresh_token))
            .await?
        {
            self.revoke(&session_id).await?;
        }
        Ok(())
    }

    /// Revokes a session and closes its sockets here at once (elsewhere within a poll).
    pub async fn revoke(&self, session_id: &str) -> Result<bool, AppError> {
        let revoked = self.store.revoke_session(session_id, self.now()).await?;
        self.revocations.announce(session_id);
        Ok(revoked)
    }

    /// The live session an access token names.
    pub async fn session_for_access_token(
        &self,
        token: &str,
    ) -> Result<Option<SessionRecord>, AppError> {
        let now = self.now();
        let Some(claims) = self.keys.verify(token, now.div_euclid(1000)) else {
            return Ok(None);
        };
        self.live_session(&claims.sid, now).await
    }

    /// The live browser session a cookie value names.
    pub async fn session_for_cookie(
        &self,
        cookie: &str,
    ) -> Result<Option<SessionRecord>, AppError> {
        if cookie.is_empty() || cookie.len() > 128 {
            return Ok(None);
        }
        let now = self.now();
        Ok(self
            .live_session(&token_hash(cookie), now)
            .await?
            .filter(|s| s.kind == SessionKind::Browser))
    }

    async fn live_session(&self, id: &str, now: i64) -> Result<Option<SessionRecord>, AppError> {
        Ok(self.store.session(id).await?.filter(|s| s.is_live(now)))
    }

    /// Counts one message of a session; false when it is past the limit.
    pub async fn allow_message(&self, session_id: &str) -> Result<bool, AppError> {
        let now = self.now();
        let window = secs_to_ms(self.policy.message_rate_window_secs);
        let count = self
            .store
            .record_message(session_id, now, now - window)
            .await?;
        Ok(count <= i64::from(self.policy.message_rate_limit))
    }

    /// Registers a socket of a session, to be closed when the session ends.
    pub fn watch(&self, session_id: &str) -> SessionWatch {
        self.revocations.watch(session_id)
    }

    /// Announces, here, the end of every session with an open socket that has ended in the
    /// database (revoked by another instance, or expired).
    pub async fn poll_revocations(&self) -> Result<usize, AppError> {
        self.revocations.poll(self.store.as_ref(), self.now()).await
    }

    /// Deletes ended sessions and records outside every window.
    pub async fn cleanup(&self) -> Result<CleanupReport, AppError> {
        let now = self.now();
        self.store
            .cleanup(
                now,
                now - KEEP_REVOKED_MS,
                now - secs_to_ms(self.policy.failed_login_window_secs),
                now - secs_to_ms(self.policy.message_rate_window_secs),
            )
            .await
    }

    /// The `Set-Cookie` value that stores a browser session.
    pub fn session_cookie(&self, value: &str) -> String {
        self.cookie(value, self.policy.session_ttl_secs)
    }

    /// The `Set-Cookie` value that removes the browser session cookie.
    pub fn clear_session_cookie(&self) -> String {
        self.cookie("", 0)
    }

    fn cookie(&self, value: &str, max_age: u64) -> String {
        let mut cookie = cookie::Cookie::build((SESSION_COOKIE, value.to_string()))
            .path("/")
            .http_only(true)
            .same_site(cookie::SameSite::Lax)
            .secure(self.policy.secure_cookies)
            .max_age(cookie::time::Duration::seconds(
                i64::try_from(max_age).unwrap_or(i64::MAX),
            ))
            .build();
        if max_age == 0 {
            cookie.make_removal();
        }
        cookie.to_string()
    }
}

/// Per-key async locks; a key's entry lives only while someone holds or awaits it.
#[derive(Clone, Default)]
struct KeyedLocks(Arc<Mutex<HashMap<String, Arc<tokio::sync::Mutex<()>>>>>);

/// A held key of [`KeyedLocks`].
struct KeyTurn {
    key: String,
    locks: KeyedLocks,
    _guard: OwnedMutexGuard<()>,
}

impl KeyedLocks {
    async fn lock(&self, key: String) -> KeyTurn {
        let mutex = {
            let mut map = self.0.lock().unwrap_or_else(PoisonError::into_inner);
            map.entry(key.clone()).or_default().clone()
        };
        let guard = mutex.lock_owned().await;
        KeyTurn {
            key,
            locks: self.clone(),
            _guard: guard,
        }
    }
}

impl Drop for KeyTurn {
    fn drop(&mut self) {
        let mut map = self.locks.0.lock().unwrap_or_else(PoisonError::into_inner);
        // Only the map and this turn's guard refer to it: nobody waits, so forget the key.
        if map
            .get(&self.key)
            .is_some_and(|mutex| Arc::strong_count(mutex) <= 2)
        {
            map.remove(&self.key);
        }
    }
}

/// The session cookie's value in a `Cookie` request header, if present.
pub fn session_cookie_value(header: &str) -> Option<String> {
    cookie::Cookie::split_parse(header)
        .filter_map(Result::ok)
        .find(|c| c.name() == SESSION_COOKIE)
        .map(|c| c.value().to_string())
        .filter(|v| !v.is_empty())
}

/// The first characters of an id, for logs.
pub fn short(id: &str) -> &str {
    id.get(..8).unwrap_or(id)
}

fn secs_to_ms(secs: u64) -> i64 {
    i64::try_from(secs.saturating_mul(1000)).unwrap_or(i64::MAX / 4)
}

fn ms_to_whole_secs(ms: i64) -> u64 {
    u64::try_from((ms + 999).div_euclid(1000))
        .unwrap_or(0)
        .max(1)
}

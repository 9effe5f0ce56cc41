//! What the server settles before it serves: the signing secret, the demo user, and the
//! production guard; and the background work that keeps the session tables tidy.

use super::clock::Clock;
use super::password::{hash_password, verify_password};
use super::service::Auth;
use crate::error::AppError;
use crate::protocol::Group;
use crate::store::Store;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use std::time::Duration;

/// The shortest signing secret accepted in production, in bytes.
pub const MIN_SECRET_BYTES: usize = 32;
/// The demo account's name and password (development only).
pub const DEMO_USER: (&str, &str) = ("physician", "secret");
/// The settings key of the generated development secret.
const SECRET_SETTING: &str = "dev_signing_secret";

/// The signing secret: the configured one, or in development one generated once and kept in the
/// database (the first instance to start wins). In production a missing or short one is refused.
pub async fn signing_secret(
    store: &dyn Store,
    configured: Option<&str>,
    production: bool,
) -> Result<Vec<u8>, AppError> {
    match configured.filter(|s| !s.is_empty()) {
        Some(secret) if secret.len() >= MIN_SECRET_BYTES => Ok(secret.as_bytes().to_vec()),
        Some(secret) if production => Err(AppError::Config(format!(
            "DX0_SECRET_KEY is {} bytes long; production needs at least {MIN_SECRET_BYTES} \
             (e.g. `openssl rand -base64 48`)",
            secret.len()
        ))),
        None if production => Err(AppError::Config(format!(
            "DX0_SECRET_KEY is not set; production needs a signing secret of at least \
             {MIN_SECRET_BYTES} bytes (e.g. `openssl rand -base64 48`)"
        ))),
        Some(secret) => {
            tracing::warn!(
                "DX0_SECRET_KEY is shorter than {MIN_SECRET_BYTES} bytes: acceptable in \
                 development only"
            );
            Ok(secret.as_bytes().to_vec())
        }
        None => {
            let mut bytes = [0u8; 48];
            rand::RngCore::fill_bytes(&mut rand::rngs::OsRng, &mut bytes);
            let stored = store
                .setting_or_insert(SECRET_SETTING, &URL_SAFE_NO_PAD.encode(bytes))
                .await?;
            Ok(stored.into_bytes())
        }
    }
}

/// True when the account `physician` exists and its password is still `secret`.
pub async fn demo_user_active(store: &dyn Store) -> Result<bool, AppError> {
    let Some(user) = store.user_by_name(DEMO_USER.0).await? else {
        return Ok(false);
    };
    verify_password(Some(user.password_hash), DEMO_USER.1.to_string()).await
}

/// In development, creates the demo user when no account exists; in production, refuses to go on
/// while the demo user exists. Returns whether the demo login works.
pub async fn prepare_accounts(
    store: &dyn Store,
    clock: &dyn Clock,
    production: bool,
) -> Result<bool, AppError> {
    if production {
        if demo_user_active(store).await? {
            return Err(AppError::Config(format!(
                "the demo user `{0}` with password `{1}` exists; production refuses to start \
                 with it. Remove it (`dx0 users remove {0}`) or change its password \
                 (`dx0 users passwd {0}`)",
                DEMO_USER.0, DEMO_USER.1
            )));
        }
        return Ok(false);
    }
    if store.count_users().await? == 0 {
        let hash = hash_password(DEMO_USER.1.to_string()).await?;
        if store
            .add_user(DEMO_USER.0, &hash, Group::Physician, clock.now_ms())
            .await?
            .is_some()
        {
            tracing::warn!(
                user = DEMO_USER.0,
                password = DEMO_USER.1,
                "no account existed: created the demo login (development only)"
            );
        }
    }
    demo_user_active(store).await
}

/// How often sockets of revoked sessions are looked for.
pub const REVOCATION_POLL: Duration = Duration::from_secs(1);
/// How often ended sessions and old counters are deleted.
pub const CLEANUP_EVERY: Duration = Duration::from_secs(60);

/// Runs the revocation poller and the cleanup until `stop` resolves.
pub async fn run_background(auth: Auth, stop: impl std::future::Future<Output = ()>) {
    let mut poll = tokio::time::interval(REVOCATION_POLL);
    let mut cleanup = tokio::time::interval(CLEANUP_EVERY);
    poll.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    cleanup.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    tokio::pin!(stop);
    loop {
        tokio::select! {
            () = &mut stop => return,
            _ = poll.tick() => {
                if let Err(err) = auth.poll_revocations().await {
                    tracing::warn!(error = %err, "revocation poll failed");
                }
            }
            _ = cleanup.tick() => match auth.cleanup().await {
                Ok(report) if report != Default::default() => {
                    tracing::info!(?report, "removed ended sessions and old counters");
                }
                Ok(_) => {}
                Err(err) => tracing::warn!(error = %err, "session cleanup failed"),
            },
        }
    }
}

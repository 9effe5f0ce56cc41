//! The sign-in rules on a manual clock over a real (SQLite) store.

use super::bootstrap::{prepare_accounts, signing_secret, DEMO_USER};
use super::password::hash_password;
use super::*;
use crate::protocol::Group;
use crate::store::{self, Store};
use std::sync::Arc;

const T0: i64 = 1_800_000_000_000;
const SECRET: &[u8] = b"unit-test secret of thirty-two+ bytes";

struct Fixture {
    auth: Auth,
    clock: ManualClock,
    store: Arc<dyn Store>,
    _dir: tempfile::TempDir,
}

async fn fixture(policy: AuthPolicy) -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite:{}", dir.path().join("auth.db").display());
    let store = store::open(&url).await.unwrap();
    let clock = ManualClock::new(T0);
    let hash = hash_password("right password".into()).await.unwrap();
    store
        .add_user("alice", &hash, Group::Physician, T0)
        .await
        .unwrap()
        .unwrap();
    let auth = Auth::new(store.clone(), Arc::new(clock.clone()), SECRET, policy);
    Fixture {
        auth,
        clock,
        store,
        _dir: dir,
    }
}

async fn attempt(f: &Fixture, name: &str, password: &str, addr: &str) -> Verdict {
    f.auth
        .check_credentials(name, password, addr)
        .await
        .unwrap()
}

#[tokio::test]
async fn five_failures_lock_the_account_even_for_the_right_password() {
    let f = fixture(AuthPolicy::default()).await;
    for _ in 0..5 {
        assert_eq!(
            attempt(&f, "alice", "wrong", "10.0.0.1").await,
            Verdict::Invalid
        );
    }
    f.clock.advance_secs(10);
    match attempt(&f, "alice", "right password", "10.0.0.2").await {
        Verdict::Locked { retry_after } => assert_eq!(retry_after, 290),
        other => panic!("expected a lockout, got {other:?}"),
    }
    // Refused attempts are not counted: the lock still lifts 300 s after the failures.
    f.clock.advance_secs(289);
    assert!(matches!(
        attempt(&f, "alice", "right password", "10.0.0.2").await,
        Verdict::Locked { retry_after: 1 }
    ));
    f.clock.advance_secs(1);
    assert!(matches!(
        attempt(&f, "alice", "right password", "10.0.0.2").await,
        Verdict::Accepted(u) if u.name == "alice"
    ));
}

#[tokio::test]
async fn the_window_slides_and_a_success_resets_the_account() {
    let f = fixture(AuthPolicy::default()).await;
    for _ in 0..4 {
        attempt(&f, "alice", "wrong", "a").await;
        f.clock.advance_secs(100);
    }
    // Failures at 0, 100, 200, 300 s: the first has left the window, so three count.
    attempt(&f, "alice", "wrong", "a").await;
    attempt(&f, "alice", "wrong", "a").await;
    assert!(matches!(
        attempt(&f, "alice", "right password", "a").await,
        Verdict::Accepted(_)
    ));
    // The success reset the count: four more failures still do not lock.
    for _ in 0..4 {
        assert_eq!(attempt(&f, "alice", "wrong", "a").await, Verdict::Invalid);
    }
    assert!(matches!(
        attempt(&f, "ALICE", "right password", "a").await,
        Verdict::Accepted(_)
    ));
}

#[tokio::test]
async fn unknown_users_count_and_lock_like_known_ones() {
    let f = fixture(AuthPolicy::default()).await;
    for _ in 0..5 {
        assert_eq!(attempt(&f, "mallory", "x", "b").await, Verdict::Invalid);
    }
    assert!(matches!(
        attempt(&f, "mallory", "x", "b").await,
        Verdict::Locked { .. }
    ));
    // Another account from the same address is not locked by it.
    assert!(matches!(
        attempt(&f, "alice", "right password", "b").await,
        Verdict::Accepted(_)
    ));
}

#[tokio::test]
async fn the_address_counter_locks_across_accounts_and_a_success_does_not_reset_it() {
    let policy = AuthPolicy {
        failed_login_address_limit: 3,
        ..AuthPolicy::default()
    };
    let f = fixture(policy).await;
    attempt(&f, "u1", "x", "203.0.113.9").await;
    attempt(&f, "u2", "x", "203.0.113.9").await;
    assert!(matches!(
        attempt(&f, "alice", "right password", "203.0.113.9").await,
        Verdict::Accepted(_)
    ));
    attempt(&f, "u3", "x", "203.0.113.9").await;
    assert!(matches!(
        attempt(&f, "alice", "right password", "203.0.113.9").await,
        Verdict::Locked { retry_after: 300 }
    ));
    // Another address is unaffected.
    assert!(matches!(
        attempt(&f, "alice", "right password", "198.51.100.1").await,
        Verdict::Accepted(_)
    ));
}

async fn login(f: &Fixture) -> TokenPair {
    let Verdict::Accepted(user) = attempt(f, "alice", "right password", "c").await else {
        panic!("login failed");
    };
    f.auth
        .open_api_session(&user, Some("c".into()))
        .await
        .unwrap()
}

#[tokio::test]
async fn access_tokens_expire_after_their_ttl() {
    let f = fixture(AuthPolicy::default()).await;
    let pair = login(&f).await;
    assert_eq!(pair.expires_in, 3600);
    let session = f
        .auth
        .session_for_access_token(&pair.access_token)
        .await
        .unwrap()
        .expect("valid now");
    assert_eq!(session.user_name, "alice");
    assert_eq!(session.group, Group::Physician);
    f.clock.advance_secs(3599);
    assert!(f
        .auth
        .session_for_access_token(&pair.access_token)
        .await
        .unwrap()
        .is_some());
    f.clock.advance_secs(1);
    assert!(f
        .auth
        .session_for_access_token(&pair.access_token)
        .await
        .unwrap()
        .is_none());
}

#[tokio::test]
async fn refresh_rotates_and_reuse_revokes_the_whole_session() {
    let f = fixture(AuthPolicy::default()).await;
    let first = login(&f).await;
    let Refreshed::Rotated(second) = f.auth.refresh(&first.refresh_token).await.unwrap() else {
        panic!("rotation failed");
    };
    assert_ne!(second.refresh_token, first.refresh_token);
    assert_ne!(second.access_token, first.access_token);
    assert!(f
        .auth
        .session_for_access_token(&second.access_token)
        .await
        .unwrap()
        .is_some());
    // The rotated-away token presented again: theft. The session and its newest tokens die.
    assert_eq!(
        f.auth.refresh(&first.refresh_token).await.unwrap(),
        Refreshed::Reused
    );
    assert!(f
        .auth
        .session_for_access_token(&second.access_token)
        .await
        .unwrap()
        .is_none());
    assert_eq!(
        f.auth.refresh(&second.refresh_token).await.unwrap(),
        Refreshed::Invalid
    );
    assert_eq!(
        f.auth.refresh("nonsense").await.unwrap(),
        Refreshed::Invalid
    );
}

#[tokio::test]
async fn refresh_tokens_die_with_their_session() {
    let f = fixture(AuthPolicy {
        session_ttl_secs: 100,
        ..AuthPolicy::default()
    })
    .await;
    let pair = login(&f).await;
    f.clock.advance_secs(100);
    assert_eq!(
        f.auth.refresh(&pair.refresh_token).await.unwrap(),
        Refreshed::Invalid
    );
    // Cleanup removes the expired session.
    let report = f.auth.cleanup().await.unwrap();
    assert_eq!(report.sessions, 1);
}

#[tokio::test]
async fn logout_revokes_and_is_idempotent() {
    let f = fixture(AuthPolicy::default()).await;
    let pair = login(&f).await;
    f.auth.logout_refresh(&pair.refresh_token).await.unwrap();
    assert!(f
        .auth
        .session_for_access_token(&pair.access_token)
        .await
        .unwrap()
        .is_none());
    f.auth.logout_refresh(&pair.refresh_token).await.unwrap();
    f.auth.logout_refresh("never issued").await.unwrap();
}

#[tokio::test]
async fn the_message_window_slides() {
    let f = fixture(AuthPolicy {
        message_rate_limit: 3,
        message_rate_window_secs: 60,
        ..AuthPolicy::default()
    })
    .await;
    let pair = login(&f).await;
    let sid = f
        .auth
        .session_for_access_token(&pair.access_token)
        .await
        .unwrap()
        .unwrap()
        .id;
    for _ in 0..3 {
        assert!(f.auth.allow_message(&sid).await.unwrap());
        f.clock.advance_secs(10);
    }
    assert!(!f.auth.allow_message(&sid).await.unwrap(), "fourth in 60 s");
    // At 70 s the window (10 s, 70 s] holds the messages of 20 s and 30 s (a refused message
    // counts too): this one is the third.
    f.clock.advance_secs(40);
    assert!(f.auth.allow_message(&sid).await.unwrap());
}

#[tokio::test]
async fn browser_sessions_are_named_by_cookie_and_revocable() {
    let f = fixture(AuthPolicy::default()).await;
    let Verdict::Accepted(user) = attempt(&f, "alice", "right password", "d").await else {
        panic!()
    };
    let cookie = f.auth.open_browser_session(&user, None).await.unwrap();
    let again = f.auth.open_browser_session(&user, None).await.unwrap();
    assert_ne!(cookie, again, "a fresh session id at each login");
    let session = f.auth.session_for_cookie(&cookie).await.unwrap().unwrap();
    assert_ne!(session.id, cookie, "the database keeps only the hash");
    assert!(f
        .auth
        .session_for_access_token(&cookie)
        .await
        .unwrap()
        .is_none());
    f.auth.revoke(&session.id).await.unwrap();
    assert!(f.auth.session_for_cookie(&cookie).await.unwrap().is_none());
    assert!(f.auth.session_for_cookie(&again).await.unwrap().is_some());
    let set = f.auth.session_cookie(&again);
    assert!(
        set.contains("HttpOnly") && set.contains("SameSite=Lax"),
        "{set}"
    );
    assert!(!set.contains("Secure"), "{set}");
    assert_eq!(
        service::session_cookie_value(&format!("a=b; {SESSION_COOKIE}={again}; c=d")),
        Some(again)
    );
}

#[tokio::test]
async fn production_cookies_are_secure() {
    let f = fixture(AuthPolicy {
        secure_cookies: true,
        ..AuthPolicy::default()
    })
    .await;
    assert!(f.auth.session_cookie("v").contains("Secure"));
    assert!(f.auth.clear_session_cookie().contains("Secure"));
}

#[tokio::test]
async fn the_demo_user_and_secret_follow_the_environment() {
    let f = fixture(AuthPolicy::default()).await;
    // Accounts exist: no demo user is created.
    assert!(!prepare_accounts(f.store.as_ref(), &f.clock, false)
        .await
        .unwrap());
    f.store.remove_user("alice").await.unwrap();
    assert!(prepare_accounts(f.store.as_ref(), &f.clock, false)
        .await
        .unwrap());
    let demo = f.store.user_by_name(DEMO_USER.0).await.unwrap().unwrap();
    assert_eq!(demo.group, Group::Physician);
    let err = prepare_accounts(f.store.as_ref(), &f.clock, true)
        .await
        .unwrap_err();
    assert!(err.to_string().contains("demo user"), "{err}");

    // Development: generated once, then the same from the database.
    let a = signing_secret(f.store.as_ref(), None, false).await.unwrap();
    let b = signing_secret(f.store.as_ref(), None, false).await.unwrap();
    assert_eq!(a, b);
    assert!(a.len() >= 32);
    // Production: unset or short refused, long accepted.
    assert!(signing_secret(f.store.as_ref(), None, true).await.is_err());
    assert!(signing_secret(f.store.as_ref(), Some("short"), true)
        .await
        .is_err());
    let long = "x".repeat(32);
    assert_eq!(
        signing_secret(f.store.as_ref(), Some(&long), true)
            .await
            .unwrap(),
        long.as_bytes()
    );
}

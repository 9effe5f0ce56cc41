//! Two servers on one PostgreSQL database, as a deployment with several instances runs: lockouts,
//! message rate limits and revocations made through one are enforced by the other.

use crate::common;

use common::ws::{ask, expect_close, next_json, send_text, ws_bearer, ws_status};
use common::{
    api_login, api_logout, api_refresh, login_pair, postgres_db, spawn_app_with, TestApp, TestDb,
    TestOptions,
};
use dx0::auth::AuthPolicy;
use serde_json::json;
use std::time::Duration;

/// Two instances sharing one fresh PostgreSQL database, or `None` (with a note) without a server.
async fn two(options: TestOptions) -> Option<(TestDb, TestApp, TestApp)> {
    let Some(db) = postgres_db().await else {
        eprintln!("note: two-instance tests need PostgreSQL (DX0_TEST_POSTGRES_URL); skipped");
        return None;
    };
    let a = spawn_app_with(&db, options.clone()).await;
    let b = spawn_app_with(&db, options).await;
    assert_ne!(a.addr, b.addr);
    Some((db, a, b))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_lockout_reached_through_one_instance_holds_at_the_other() {
    let Some((_db, a, b)) = two(TestOptions::default()).await else {
        return;
    };
    for attempt in 1..=5 {
        let response = api_login(a.addr, "physician", "wrong").await;
        assert_eq!(response.status, 401, "attempt {attempt} at A: {response:?}");
    }
    let at_b = api_login(b.addr, "physician", "secret").await;
    assert_eq!(at_b.status, 429, "{at_b:?}");
    let retry: u64 = at_b.header("retry-after").unwrap().parse().unwrap();
    assert!((1..=300).contains(&retry));
    assert_eq!(at_b.json()["retry_after"], json!(retry));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_rate_limit_reached_on_one_instance_holds_at_the_other() {
    let options = TestOptions {
        policy: AuthPolicy {
            message_rate_limit: 3,
            ..AuthPolicy::default()
        },
        ..TestOptions::default()
    };
    let Some((_db, a, b)) = two(options).await else {
        return;
    };
    let pair = login_pair(a.addr, "physician", "secret").await;
    let mut on_a = ws_bearer(a.addr, &pair.access).await.unwrap();
    for n in 1..=3 {
        ask(&mut on_a, &format!("question {n}")).await;
    }
    send_text(&mut on_a, r#"{"action":"question","content":"fourth"}"#).await;
    assert_eq!(next_json(&mut on_a).await["code"], "rate_limited");
    assert_eq!(expect_close(&mut on_a, Duration::from_secs(3)).await, 1013);

    let mut on_b = ws_bearer(b.addr, &pair.access).await.unwrap();
    send_text(&mut on_b, r#"{"action":"question","content":"at B"}"#).await;
    let frame = next_json(&mut on_b).await;
    assert_eq!(
        frame,
        json!({"type": "error", "error": "Rate limit exceeded", "code": "rate_limited"})
    );
    assert_eq!(expect_close(&mut on_b, Duration::from_secs(3)).await, 1013);

    // A fresh session at B is not limited.
    let other = login_pair(b.addr, "physician", "secret").await;
    let mut fresh = ws_bearer(b.addr, &other.access).await.unwrap();
    ask(&mut fresh, "a new session").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_logout_through_one_instance_closes_the_sockets_on_the_other() {
    let Some((_db, a, b)) = two(TestOptions::default()).await else {
        return;
    };
    let pair = login_pair(a.addr, "physician", "secret").await;
    let mut on_b = ws_bearer(b.addr, &pair.access).await.unwrap();
    ask(&mut on_b, "before").await;
    assert_eq!(api_logout(a.addr, &pair.refresh).await.status, 200);
    assert_eq!(
        expect_close(&mut on_b, Duration::from_secs(3)).await,
        1008,
        "B's poller must close the revoked session's socket"
    );
    assert_eq!(ws_status(b.addr, &pair.access).await, 401);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn refresh_reuse_detected_at_one_instance_revokes_a_session_from_the_other() {
    let Some((_db, a, b)) = two(TestOptions::default()).await else {
        return;
    };
    let first = login_pair(a.addr, "physician", "secret").await;
    let rotated = api_refresh(a.addr, &first.refresh).await;
    assert_eq!(rotated.status, 200, "{rotated:?}");
    let second = common::Pair::from_response(&rotated);
    assert_eq!(ws_status(b.addr, &second.access).await, 101);
    let mut on_a = ws_bearer(a.addr, &second.access).await.unwrap();

    // The rotated-away token, presented at B: theft.
    assert_eq!(api_refresh(b.addr, &first.refresh).await.status, 401);
    assert_eq!(ws_status(a.addr, &second.access).await, 401);
    assert_eq!(ws_status(b.addr, &second.access).await, 401);
    assert_eq!(api_refresh(a.addr, &second.refresh).await.status, 401);
    assert_eq!(
        expect_close(&mut on_a, Duration::from_secs(3)).await,
        1008,
        "A's open socket of the revoked session"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 8)]
async fn concurrent_guesses_through_two_instances_stay_near_the_limit() {
    let Some((_db, a, b)) = two(TestOptions::default()).await else {
        return;
    };
    let tasks: Vec<_> = (0..30)
        .map(|i| {
            let addr = if i % 2 == 0 { a.addr } else { b.addr };
            tokio::spawn(async move { api_login(addr, "physician", "wrong").await.status })
        })
        .collect();
    let mut checked = 0;
    for task in tasks {
        match task.await.unwrap() {
            401 => checked += 1,
            429 => {}
            other => panic!("unexpected status {other}"),
        }
    }
    // Each instance takes one attempt per account at a time: at most one guess per instance
    // beyond the limit of five gets checked.
    assert!((5..=6).contains(&checked), "{checked} guesses were checked");
    assert_eq!(api_login(b.addr, "physician", "secret").await.status, 429);
}

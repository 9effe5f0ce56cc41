//! API v1 credentials through the whole stack, on SQLite and PostgreSQL: `/api/v1/login`,
//! `/api/v1/refresh` and `/api/v1/logout`, lockouts, and what survives a restart.

use crate::common;

use common::ws::ws_status;
use common::{
    api_login, api_logout, api_refresh, databases, login_pair, post_json, spawn_app,
    spawn_app_with, Pair, Response, TestOptions,
};
use dx0::auth::AuthPolicy;
use serde_json::{json, Value};
use std::net::SocketAddr;

/// `POST /api/v1/login` with extra headers (e.g. `X-Forwarded-For`).
async fn login_with(
    addr: SocketAddr,
    user: &str,
    password: &str,
    headers: &[(&str, &str)],
) -> Response {
    let body = json!({ "username": user, "password": password }).to_string();
    post_json(addr, "/api/v1/login", &body, headers).await
}

/// Asserts a lockout answer and returns its `Retry-After` seconds.
fn assert_locked(response: &Response, context: &str) -> u64 {
    assert_eq!(response.status, 429, "{context}: {response:?}");
    let header: u64 = response
        .header("retry-after")
        .unwrap_or_else(|| panic!("{context}: no Retry-After: {response:?}"))
        .parse()
        .unwrap_or_else(|e| panic!("{context}: Retry-After is not an integer: {e}"));
    assert!(
        (1..=300).contains(&header),
        "{context}: Retry-After {header}"
    );
    let body = response.json();
    assert_eq!(body["retry_after"], json!(header), "{context}: {body}");
    let detail = body["detail"].as_str().expect("a detail string");
    assert!(
        detail.ends_with(&format!("try again in {header} seconds")),
        "{context}: {detail}"
    );
    header
}

fn assert_invalid(response: &Response, context: &str) {
    assert_eq!(response.status, 401, "{context}: {response:?}");
    assert_eq!(
        response.json(),
        json!({ "detail": "Invalid username or password" }),
        "{context}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_good_login_returns_a_bearer_pair() {
    for db in databases().await {
        let app = spawn_app(&db).await;
        let response = api_login(app.addr, "physician", "secret").await;
        assert_eq!(response.status, 200, "{}: {response:?}", db.name);
        assert!(
            response
                .header("content-type")
                .is_some_and(|v| v.starts_with("application/json")),
            "{response:?}"
        );
        let body = response.json();
        assert_eq!(body["token_type"], "bearer", "{}: {body}", db.name);
        assert_eq!(body["expires_in"], json!(3600), "{}: {body}", db.name);
        let access = body["access_token"].as_str().expect("access_token");
        let refresh = body["refresh_token"].as_str().expect("refresh_token");
        assert_eq!(access.split('.').count(), 3, "a JWT: {access}");
        assert!(refresh.len() >= 32 && refresh != access, "{body}");
        // The name is case-insensitive and the access token opens the WebSocket.
        assert_eq!(api_login(app.addr, "Physician", "secret").await.status, 200);
        assert_eq!(ws_status(app.addr, access).await, 101, "{}", db.name);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_bad_password_and_an_unknown_user_get_identical_401s() {
    for db in databases().await {
        let app = spawn_app(&db).await;
        let wrong = api_login(app.addr, "physician", "not the password").await;
        let unknown = api_login(app.addr, "nobody-here", "secret").await;
        assert_invalid(&wrong, db.name);
        assert_invalid(&unknown, db.name);
        assert_eq!(wrong.body, unknown.body, "{}", db.name);
        assert_eq!(
            wrong.header("www-authenticate"),
            unknown.header("www-authenticate")
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn malformed_login_bodies_are_422_and_not_counted() {
    for db in databases().await {
        let app = spawn_app(&db).await;
        let bodies = [
            "{}",
            r#"{"username":"physician"}"#,
            r#"{"password":"secret"}"#,
            r#"{"username":"","password":"secret"}"#,
            r#"{"username":"physician","password":""}"#,
            r#"{"username":"physician","password":null}"#,
            r#"{"username":7,"password":"secret"}"#,
            "username=physician&password=secret",
            "not json",
            "",
            r#"["physician","secret"]"#,
            r#"[{"username":"physician","password":"secret"}]"#,
        ];
        for body in bodies {
            let response = post_json(app.addr, "/api/v1/login", body, &[]).await;
            assert_eq!(
                response.status, 422,
                "{}: {body:?} -> {response:?}",
                db.name
            );
            assert!(
                response.json()["detail"]
                    .as_str()
                    .is_some_and(|d| !d.is_empty()),
                "{body:?} -> {response:?}"
            );
        }
        // Twelve refusals, none of them a failed login: the account is not locked.
        assert_eq!(
            api_login(app.addr, "physician", "secret").await.status,
            200,
            "{}",
            db.name
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn five_failures_lock_the_account_even_for_the_right_password() {
    for db in databases().await {
        let app = spawn_app(&db).await;
        for attempt in 1..=5 {
            let response = api_login(app.addr, "physician", "wrong").await;
            assert_invalid(&response, &format!("{} attempt {attempt}", db.name));
        }
        let sixth = api_login(app.addr, "physician", "secret").await;
        let retry_after = assert_locked(&sixth, db.name);
        assert!(retry_after >= 290, "just locked: {retry_after}");
        assert!(
            sixth.json().get("access_token").is_none(),
            "a lockout must not hand out tokens"
        );
        // The lockout is per account: another account still signs in.
        common::add_user(
            &app,
            "other",
            "other password",
            dx0::protocol::Group::Physician,
        )
        .await;
        assert_eq!(
            api_login(app.addr, "other", "other password").await.status,
            200
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_address_limit_locks_a_forwarded_address_behind_a_trusted_proxy() {
    for db in databases().await {
        let options = TestOptions {
            policy: AuthPolicy {
                failed_login_address_limit: 3,
                ..AuthPolicy::default()
            },
            trusted_proxy: true,
            ..TestOptions::default()
        };
        let app = spawn_app_with(&db, options).await;
        let from = |ip: &'static str| [("X-Forwarded-For", ip)];
        for user in ["u1", "u2", "u3"] {
            let response = login_with(app.addr, user, "x", &from("1.2.3.4")).await;
            assert_invalid(&response, db.name);
        }
        let locked = login_with(app.addr, "physician", "secret", &from("1.2.3.4")).await;
        assert_locked(&locked, db.name);
        // Only the rightmost entry (the one the proxy appended) counts.
        let via = login_with(
            app.addr,
            "physician",
            "secret",
            &[("X-Forwarded-For", "9.9.9.9, 1.2.3.4")],
        )
        .await;
        assert_locked(&via, db.name);
        let other = login_with(app.addr, "physician", "secret", &from("5.6.7.8")).await;
        assert_eq!(other.status, 200, "{}: {other:?}", db.name);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn without_a_trusted_proxy_forwarded_for_is_ignored() {
    for db in databases().await {
        let options = TestOptions {
            policy: AuthPolicy {
                failed_login_address_limit: 3,
                ..AuthPolicy::default()
            },
            trusted_proxy: false,
            ..TestOptions::default()
        };
        let app = spawn_app_with(&db, options).await;
        for (user, ip) in [("u1", "1.1.1.1"), ("u2", "2.2.2.2"), ("u3", "3.3.3.3")] {
            let response = login_with(app.addr, user, "x", &[("X-Forwarded-For", ip)]).await;
            assert_invalid(&response, db.name);
        }
        // Every attempt came from 127.0.0.1: a fresh spoofed address does not escape the lock.
        let spoofed = login_with(
            app.addr,
            "physician",
            "secret",
            &[("X-Forwarded-For", "4.4.4.4")],
        )
        .await;
        assert_locked(&spoofed, db.name);
        assert_locked(&api_login(app.addr, "physician", "secret").await, db.name);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_success_resets_the_account_counter() {
    for db in databases().await {
        let app = spawn_app(&db).await;
        for round in 0..2 {
            for _ in 0..4 {
                let response = api_login(app.addr, "physician", "wrong").await;
                assert_invalid(&response, &format!("{} round {round}", db.name));
            }
            let ok = api_login(app.addr, "physician", "secret").await;
            assert_eq!(ok.status, 200, "{} round {round}: {ok:?}", db.name);
        }
        // Without a reset in between, the fifth failure locks.
        for _ in 0..5 {
            api_login(app.addr, "physician", "wrong").await;
        }
        assert_locked(&api_login(app.addr, "physician", "secret").await, db.name);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn refresh_rotates_and_reuse_revokes_the_session() {
    for db in databases().await {
        let app = spawn_app(&db).await;
        let first = login_pair(app.addr, "physician", "secret").await;
        let response = api_refresh(app.addr, &first.refresh).await;
        let body: Value = response.json();
        assert_eq!(body["token_type"], "bearer", "{}: {body}", db.name);
        assert_eq!(body["expires_in"], json!(3600));
        let second = Pair::from_response(&response);
        assert_ne!(second.refresh, first.refresh);
        assert_eq!(
            ws_status(app.addr, &second.access).await,
            101,
            "{}",
            db.name
        );

        // The rotated-away token again: refused, and the whole session ends with it.
        let reuse = api_refresh(app.addr, &first.refresh).await;
        assert_eq!(reuse.status, 401, "{}: {reuse:?}", db.name);
        assert!(reuse.json()["detail"].is_string());
        assert_eq!(
            ws_status(app.addr, &second.access).await,
            401,
            "{}",
            db.name
        );
        assert_eq!(ws_status(app.addr, &first.access).await, 401);
        let newest = api_refresh(app.addr, &second.refresh).await;
        assert_eq!(newest.status, 401, "{}: {newest:?}", db.name);

        // Other sessions of the same user are untouched.
        let other = login_pair(app.addr, "physician", "secret").await;
        assert_eq!(ws_status(app.addr, &other.access).await, 101);
        assert_eq!(api_refresh(app.addr, "never issued").await.status, 401);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn refresh_and_logout_need_the_field() {
    for db in databases().await {
        let app = spawn_app(&db).await;
        for path in ["/api/v1/refresh", "/api/v1/logout"] {
            for body in [
                "{}",
                r#"{"refresh_token":""}"#,
                r#"{"refresh":"x"}"#,
                "nope",
                "[]",
            ] {
                let response = post_json(app.addr, path, body, &[]).await;
                assert_eq!(
                    response.status, 422,
                    "{} {path} {body:?}: {response:?}",
                    db.name
                );
                assert!(response.json()["detail"].is_string());
            }
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn logout_ends_the_session_and_unknown_tokens_are_fine() {
    for db in databases().await {
        let app = spawn_app(&db).await;
        let kept = login_pair(app.addr, "physician", "secret").await;
        let pair = login_pair(app.addr, "physician", "secret").await;
        assert_eq!(ws_status(app.addr, &pair.access).await, 101, "{}", db.name);

        let out = api_logout(app.addr, &pair.refresh).await;
        assert_eq!(out.status, 200, "{}: {out:?}", db.name);
        assert!(out.json()["detail"].is_string());
        assert_eq!(ws_status(app.addr, &pair.access).await, 401, "{}", db.name);
        assert_eq!(api_refresh(app.addr, &pair.refresh).await.status, 401);

        // Idempotent, and silent about tokens it never issued.
        assert_eq!(api_logout(app.addr, &pair.refresh).await.status, 200);
        assert_eq!(api_logout(app.addr, "never issued").await.status, 200);
        // The user's other session lives on.
        assert_eq!(ws_status(app.addr, &kept.access).await, 101, "{}", db.name);
        assert_eq!(api_refresh(app.addr, &kept.refresh).await.status, 200);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn lockouts_and_sessions_survive_a_restart() {
    for db in databases().await {
        let first = spawn_app(&db).await;
        let pair = login_pair(first.addr, "physician", "secret").await;
        for _ in 0..5 {
            assert_invalid(&api_login(first.addr, "physician", "wrong").await, db.name);
        }
        assert_locked(&api_login(first.addr, "physician", "secret").await, db.name);
        first.shutdown.trigger();
        first.store.close().await;
        drop(first);

        let second = spawn_app(&db).await;
        let locked = api_login(second.addr, "physician", "secret").await;
        assert_locked(&locked, &format!("{} after the restart", db.name));
        assert_eq!(
            ws_status(second.addr, &pair.access).await,
            101,
            "{}: a token from before the restart",
            db.name
        );
        assert_eq!(api_refresh(second.addr, &pair.refresh).await.status, 200);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn test_helpers_clear_lockouts_and_sessions() {
    for db in databases().await {
        let app = spawn_app(&db).await;
        for _ in 0..5 {
            api_login(app.addr, "physician", "wrong").await;
        }
        assert_locked(&api_login(app.addr, "physician", "secret").await, db.name);
        app.store.clear_failed_logins().await.unwrap();
        let pair = login_pair(app.addr, "physician", "secret").await;
        assert_eq!(ws_status(app.addr, &pair.access).await, 101, "{}", db.name);

        app.store.clear_all_session_data().await.unwrap();
        assert_eq!(ws_status(app.addr, &pair.access).await, 401, "{}", db.name);
        assert_eq!(api_refresh(app.addr, &pair.refresh).await.status, 401);
        // Accounts stay: a new login works.
        let again = login_pair(app.addr, "physician", "secret").await;
        assert_eq!(ws_status(app.addr, &again.access).await, 101);
    }
}

/// Sends `n` wrong logins for `user` at once (spread over `addrs`) and counts the answers.
async fn concurrent_failures(
    addrs: &[SocketAddr],
    user: &str,
    n: usize,
) -> std::collections::BTreeMap<u16, usize> {
    let tasks: Vec<_> = (0..n)
        .map(|i| {
            let addr = addrs[i % addrs.len()];
            let user = user.to_string();
            tokio::spawn(async move { api_login(addr, &user, "wrong").await.status })
        })
        .collect();
    let mut counts = std::collections::BTreeMap::new();
    for task in tasks {
        *counts.entry(task.await.unwrap()).or_default() += 1;
    }
    counts
}

#[tokio::test(flavor = "multi_thread", worker_threads = 8)]
async fn concurrent_guesses_do_not_outrun_the_lockout() {
    for db in databases().await {
        let app = spawn_app(&db).await;
        let counts = concurrent_failures(&[app.addr], "physician", 30).await;
        // Exactly five guesses are checked; the rest are refused by the lock.
        assert_eq!(counts.get(&401), Some(&5), "{}: {counts:?}", db.name);
        assert_eq!(counts.get(&429), Some(&25), "{}: {counts:?}", db.name);
        assert_eq!(api_login(app.addr, "physician", "secret").await.status, 429);
    }
}

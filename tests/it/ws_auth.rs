//! Who may open `/api/v1/ws`, and when an open socket is closed: credentials checked before the
//! upgrade, the message rate limit (1013) and revocation (1008), on SQLite and PostgreSQL.

use crate::common;

use common::ws::{
    ask, expect_close, next_json, send_text, stays_quiet, ws_bearer, ws_open, ws_status, Socket,
};
use common::{
    api_logout, api_refresh, databases, login_pair, request, spawn_app, spawn_app_with, TestApp,
    TestOptions,
};
use dx0::auth::tokens::{AccessClaims, TokenKeys};
use dx0::auth::{AuthPolicy, ManualClock, SESSION_COOKIE};
use serde_json::json;
use std::net::SocketAddr;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// Close code: the session was revoked or ended.
const POLICY: u16 = 1008;
/// Close code: past the message rate limit.
const TRY_LATER: u16 = 1013;

fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64
}

/// The id of the session an access token names.
async fn session_id(app: &TestApp, access_token: &str) -> String {
    app.auth
        .session_for_access_token(access_token)
        .await
        .unwrap()
        .expect("a live session")
        .id
}

/// A browser session cookie value for the demo user.
async fn browser_cookie(app: &TestApp) -> String {
    let user = app
        .store
        .user_by_name("physician")
        .await
        .unwrap()
        .expect("the demo user");
    app.auth.open_browser_session(&user, None).await.unwrap()
}

async fn ws_cookie(addr: SocketAddr, cookie: &str, origin: Option<&str>) -> Result<Socket, u16> {
    let cookie = format!("{SESSION_COOKIE}={cookie}");
    let mut headers = vec![("Cookie", cookie.as_str())];
    if let Some(origin) = origin {
        headers.push(("Origin", origin));
    }
    ws_open(addr, "", &headers).await
}

fn limited(limit: u32) -> TestOptions {
    TestOptions {
        policy: AuthPolicy {
            message_rate_limit: limit,
            ..AuthPolicy::default()
        },
        trusted_proxy: false,
        ..TestOptions::default()
    }
}

/// Sends a frame that counts, expects the rate-limit error frame and then close code 1013.
async fn expect_rate_limited(socket: &mut Socket, context: &str) {
    send_text(socket, r#"{"action":"question","content":"one too many"}"#).await;
    let frame = next_json(socket).await;
    assert_eq!(
        frame,
        json!({"type": "error", "error": "Rate limit exceeded", "code": "rate_limited"}),
        "{context}"
    );
    assert_eq!(
        expect_close(socket, Duration::from_secs(3)).await,
        TRY_LATER,
        "{context}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn no_credentials_are_refused_before_the_upgrade() {
    for db in databases().await {
        let app = spawn_app(&db).await;
        let plain = request(app.addr, "GET", "/api/v1/ws", &[], None).await;
        assert_eq!(plain.status, 401, "{}: {plain:?}", db.name);
        assert!(plain.json()["detail"].is_string(), "{plain:?}");
        assert_eq!(
            ws_open(app.addr, "", &[]).await.err(),
            Some(401),
            "{}",
            db.name
        );
        // With a valid token the same plain GET gets past authentication (and is refused only
        // for not being a WebSocket handshake).
        let token = login_pair(app.addr, "physician", "secret").await.access;
        let path = format!("/api/v1/ws?token={token}");
        let not_ws = request(app.addr, "GET", &path, &[], None).await;
        assert!(
            not_ws.status != 401 && not_ws.status != 101 && not_ws.status >= 400,
            "{}: {not_ws:?}",
            db.name
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn bad_forged_and_revoked_tokens_are_refused() {
    for db in databases().await {
        let app = spawn_app(&db).await;
        let pair = login_pair(app.addr, "physician", "secret").await;
        let sid = session_id(&app, &pair.access).await;
        // A token naming a live session but signed with another key.
        let forged = TokenKeys::new(b"not the server's secret, but 32+ bytes long")
            .sign(&AccessClaims {
                sid: sid.clone(),
                sub: "physician".into(),
                iat: now_ms() / 1000,
                exp: now_ms() / 1000 + 3600,
                typ: "access".into(),
                jti: "forged".into(),
            })
            .unwrap();
        for token in ["garbage", "a.b.c", forged.as_str()] {
            assert_eq!(
                ws_status(app.addr, token).await,
                401,
                "{}: {token}",
                db.name
            );
            let query = format!("?token={token}");
            assert_eq!(ws_open(app.addr, &query, &[]).await.err(), Some(401));
        }
        // The real token works both ways until its session is revoked.
        assert_eq!(ws_status(app.addr, &pair.access).await, 101, "{}", db.name);
        let query = format!("?token={}", pair.access);
        assert!(ws_open(app.addr, &query, &[]).await.is_ok());
        assert_eq!(api_logout(app.addr, &pair.refresh).await.status, 200);
        assert_eq!(ws_status(app.addr, &pair.access).await, 401, "{}", db.name);
        assert_eq!(ws_open(app.addr, &query, &[]).await.err(), Some(401));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn expired_tokens_are_refused() {
    for db in databases().await {
        // On the server's own clock, at the start of a second: access tokens count whole
        // seconds, so a one-second token lives until the next second begins.
        let clock = ManualClock::new(1_900_000_000_000);
        let options = TestOptions {
            policy: AuthPolicy {
                token_ttl_secs: 1,
                ..AuthPolicy::default()
            },
            trusted_proxy: false,
            clock: Some(clock.clone()),
            ..TestOptions::default()
        };
        let app = spawn_app_with(&db, options).await;
        let pair = login_pair(app.addr, "physician", "secret").await;
        assert_eq!(ws_status(app.addr, &pair.access).await, 101, "{}", db.name);
        clock.advance_ms(999);
        assert_eq!(ws_status(app.addr, &pair.access).await, 101, "{}", db.name);
        clock.advance_ms(1);
        assert_eq!(ws_status(app.addr, &pair.access).await, 401, "{}", db.name);
        // The session itself lives on: a refresh still works.
        assert_eq!(api_refresh(app.addr, &pair.refresh).await.status, 200);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn bearer_header_opens_the_socket_and_a_question_is_answered() {
    for db in databases().await {
        let app = spawn_app(&db).await;
        let pair = login_pair(app.addr, "physician", "secret").await;
        let mut socket = ws_bearer(app.addr, &pair.access)
            .await
            .unwrap_or_else(|status| panic!("{}: refused with {status}", db.name));
        send_text(
            &mut socket,
            r#"{"action":"question","content":"Any chest pain?","id":"q1"}"#,
        )
        .await;
        let mut reply = next_json(&mut socket).await;
        while reply["type"] == "reply" {
            reply = next_json(&mut socket).await;
        }
        assert_eq!(reply["type"], "done", "{}: {reply}", db.name);
        assert_eq!(reply["done"], true);
        assert_eq!(reply["id"], "q1");
        assert!(reply["reply"].is_string());
        // A lower-case scheme is accepted too; a wrong scheme is not a credential.
        let lower = format!("bearer {}", pair.access);
        assert!(ws_open(app.addr, "", &[("Authorization", &lower)])
            .await
            .is_ok());
        let basic = format!("Basic {}", pair.access);
        assert_eq!(
            ws_open(app.addr, "", &[("Authorization", &basic)])
                .await
                .err(),
            Some(401)
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_browser_cookie_needs_this_sites_origin() {
    for db in databases().await {
        let app = spawn_app(&db).await;
        let cookie = browser_cookie(&app).await;
        let origin = format!("http://{}", app.addr);

        let mut socket = ws_cookie(app.addr, &cookie, Some(&origin))
            .await
            .unwrap_or_else(|status| panic!("{}: refused with {status}", db.name));
        ask(&mut socket, "Any fever?").await;

        for foreign in [
            "http://evil.example",
            "https://evil.example",
            &format!("http://{}.evil.example", app.addr.ip()),
            "null",
        ] {
            assert_eq!(
                ws_cookie(app.addr, &cookie, Some(foreign)).await.err(),
                Some(403),
                "{}: Origin {foreign}",
                db.name
            );
        }
        assert_eq!(
            ws_cookie(app.addr, &cookie, None).await.err(),
            Some(403),
            "{}: no Origin",
            db.name
        );
        assert_eq!(
            ws_cookie(app.addr, "an-unknown-cookie", Some(&origin))
                .await
                .err(),
            Some(401),
            "{}: unknown cookie",
            db.name
        );
        // A cookie is not an access token.
        assert_eq!(ws_status(app.addr, &cookie).await, 401);
        // A plain GET with the cookie from a foreign origin is refused the same way.
        let foreign = request(
            app.addr,
            "GET",
            "/api/v1/ws",
            &[
                ("Cookie", &format!("{SESSION_COOKIE}={cookie}")),
                ("Origin", "http://evil.example"),
            ],
            None,
        )
        .await;
        assert_eq!(foreign.status, 403, "{foreign:?}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn past_the_rate_limit_the_socket_closes_with_1013_and_pings_are_free() {
    for db in databases().await {
        let app = spawn_app_with(&db, limited(3)).await;
        let pair = login_pair(app.addr, "physician", "secret").await;
        let mut socket = ws_bearer(app.addr, &pair.access).await.unwrap();
        for n in 1..=3 {
            send_text(&mut socket, r#"{"action":"ping"}"#).await;
            assert_eq!(next_json(&mut socket).await["type"], "pong");
            send_text(&mut socket, r#"{"action":"ping","id":"x"}"#).await;
            assert_eq!(next_json(&mut socket).await["type"], "pong");
            ask(&mut socket, &format!("question {n}")).await;
        }
        expect_rate_limited(&mut socket, db.name).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_rate_limit_follows_the_session_to_a_new_socket() {
    for db in databases().await {
        let app = spawn_app_with(&db, limited(3)).await;
        let pair = login_pair(app.addr, "physician", "secret").await;
        let mut first = ws_bearer(app.addr, &pair.access).await.unwrap();
        for n in 1..=3 {
            ask(&mut first, &format!("question {n}")).await;
        }
        expect_rate_limited(&mut first, db.name).await;
        drop(first);

        let mut second = ws_bearer(app.addr, &pair.access).await.unwrap();
        expect_rate_limited(&mut second, &format!("{}: a new socket", db.name)).await;

        // Another session of the same user has its own count.
        let other = login_pair(app.addr, "physician", "secret").await;
        let mut third = ws_bearer(app.addr, &other.access).await.unwrap();
        ask(&mut third, "a fresh session").await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_reached_rate_limit_and_a_browser_session_survive_a_restart() {
    for db in databases().await {
        let first = spawn_app_with(&db, limited(3)).await;
        let pair = login_pair(first.addr, "physician", "secret").await;
        let cookie = browser_cookie(&first).await;
        let mut socket = ws_bearer(first.addr, &pair.access).await.unwrap();
        for n in 1..=3 {
            ask(&mut socket, &format!("question {n}")).await;
        }
        drop(socket);
        first.shutdown.trigger();
        first.store.close().await;
        drop(first);

        let second = spawn_app_with(&db, limited(3)).await;
        let mut socket = ws_bearer(second.addr, &pair.access).await.unwrap();
        expect_rate_limited(&mut socket, &format!("{} after the restart", db.name)).await;
        let origin = format!("http://{}", second.addr);
        assert!(
            ws_cookie(second.addr, &cookie, Some(&origin)).await.is_ok(),
            "{}: the browser session from before the restart still opens a socket",
            db.name
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn logout_closes_the_sessions_open_sockets_with_1008() {
    for db in databases().await {
        let app = spawn_app(&db).await;
        let pair = login_pair(app.addr, "physician", "secret").await;
        let kept = login_pair(app.addr, "physician", "secret").await;
        let mut socket = ws_bearer(app.addr, &pair.access).await.unwrap();
        let mut other = ws_bearer(app.addr, &kept.access).await.unwrap();
        ask(&mut socket, "before").await;
        assert_eq!(api_logout(app.addr, &pair.refresh).await.status, 200);
        assert_eq!(
            expect_close(&mut socket, Duration::from_secs(3)).await,
            POLICY,
            "{}",
            db.name
        );
        // The other session's socket stays open and answers.
        assert!(stays_quiet(&mut other, Duration::from_millis(1500)).await);
        ask(&mut other, "still here").await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_revocation_made_in_the_database_closes_sockets_within_a_poll() {
    for db in databases().await {
        let app = spawn_app(&db).await;
        let pair = login_pair(app.addr, "physician", "secret").await;
        let sid = session_id(&app, &pair.access).await;
        let cookie = browser_cookie(&app).await;
        let origin = format!("http://{}", app.addr);
        let mut api_socket = ws_bearer(app.addr, &pair.access).await.unwrap();
        let mut browser_socket = ws_cookie(app.addr, &cookie, Some(&origin)).await.unwrap();
        ask(&mut api_socket, "before").await;

        // As another instance would: straight into the database, no announcement here.
        assert!(app.store.revoke_session(&sid, now_ms()).await.unwrap());
        assert_eq!(
            expect_close(&mut api_socket, Duration::from_secs(3)).await,
            POLICY,
            "{}",
            db.name
        );
        // Only that session's sockets close.
        ask(&mut browser_socket, "still here").await;

        let browser_sid = app
            .auth
            .session_for_cookie(&cookie)
            .await
            .unwrap()
            .expect("the browser session")
            .id;
        assert!(app
            .store
            .revoke_session(&browser_sid, now_ms())
            .await
            .unwrap());
        assert_eq!(
            expect_close(&mut browser_socket, Duration::from_secs(3)).await,
            POLICY,
            "{}: the browser socket",
            db.name
        );
        assert_eq!(ws_status(app.addr, &pair.access).await, 401);
        assert_eq!(
            ws_cookie(app.addr, &cookie, Some(&origin)).await.err(),
            Some(401)
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_new_password_or_a_removed_account_closes_the_users_sockets() {
    for db in databases().await {
        let app = spawn_app(&db).await;
        let pair = login_pair(app.addr, "physician", "secret").await;
        let mut socket = ws_bearer(app.addr, &pair.access).await.unwrap();
        ask(&mut socket, "before").await;
        let hash = dx0::auth::password::hash_password("a new password".into())
            .await
            .unwrap();
        assert!(app
            .store
            .set_password("physician", &hash, now_ms())
            .await
            .unwrap());
        assert_eq!(
            expect_close(&mut socket, Duration::from_secs(3)).await,
            POLICY,
            "{}: after a password change",
            db.name
        );

        let pair = login_pair(app.addr, "physician", "a new password").await;
        let mut socket = ws_bearer(app.addr, &pair.access).await.unwrap();
        ask(&mut socket, "again").await;
        assert!(app.store.remove_user("physician").await.unwrap());
        assert_eq!(
            expect_close(&mut socket, Duration::from_secs(3)).await,
            POLICY,
            "{}: after the account was removed",
            db.name
        );
        assert_eq!(ws_status(app.addr, &pair.access).await, 401);
    }
}

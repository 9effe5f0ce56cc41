//! Security headers on pages, API answers and static files, and server functions refused to
//! other sites (`Origin`).

use crate::common;

use common::{request, spawn_app, spawn_app_with, sqlite_db, Response, TestApp, TestOptions};
use dx0::auth::SESSION_COOKIE;

use common::ONE_APP_AT_A_TIME;

async fn get(app: &TestApp, path: &str) -> Response {
    request(app.addr, "GET", path, &[], None).await
}

fn header<'a>(response: &'a Response, name: &str) -> &'a str {
    response
        .header(name)
        .unwrap_or_else(|| panic!("no {name} header: {:?}", response.headers))
}

/// The headers every answer carries, whatever it is.
fn assert_common(response: &Response, what: &str) {
    assert_eq!(
        header(response, "x-content-type-options"),
        "nosniff",
        "{what}"
    );
    assert_eq!(header(response, "referrer-policy"), "same-origin", "{what}");
    let policy = header(response, "content-security-policy");
    assert!(
        policy.contains("frame-ancestors 'none'"),
        "{what}: {policy}"
    );
    assert!(
        response.header("strict-transport-security").is_none(),
        "{what}: HSTS without DX0_HSTS"
    );
}

/// The nonce of the page's inline hydration script.
fn script_nonce(html: &str) -> &str {
    let start = html
        .find("<script type=\"module\" nonce=\"")
        .expect("the hydration script has a nonce")
        + "<script type=\"module\" nonce=\"".len();
    let end = start + html[start..].find('"').unwrap();
    &html[start..end]
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn pages_api_answers_and_static_files_carry_the_security_headers() {
    let _turn = ONE_APP_AT_A_TIME.lock().await;
    let db = sqlite_db();
    let app = spawn_app(&db).await;

    let page = get(&app, "/").await;
    assert_eq!(page.status, 200);
    assert_common(&page, "page");
    let policy = header(&page, "content-security-policy");
    let nonce = script_nonce(&page.body);
    assert!(
        policy.contains(&format!(
            "script-src 'self' 'nonce-{nonce}' 'wasm-unsafe-eval'"
        )),
        "the page's policy allows its own nonce: {policy}"
    );
    assert_eq!(header(&page, "cache-control"), "no-store", "private page");
    // Every inline script of the page carries the nonce, else the policy would block it.
    let inline = page.body.matches("<script").count();
    let with_nonce = page.body.matches(&format!("nonce=\"{nonce}\"")).count();
    assert_eq!(inline, with_nonce, "{}", page.body);
    // Each render has its own nonce.
    let again = get(&app, "/").await;
    assert_ne!(script_nonce(&again.body), nonce);

    let missing = get(&app, "/no-such-page").await;
    assert_eq!(missing.status, 404);
    assert_common(&missing, "404 page");
    let nonce = script_nonce(&missing.body);
    assert!(header(&missing, "content-security-policy").contains(&format!("'nonce-{nonce}'")));
    assert_eq!(
        header(&missing, "cache-control"),
        "no-store",
        "a page names its user"
    );

    for path in ["/api/v1/cases", "/healthz", "/api/v1/encounters"] {
        let answer = get(&app, path).await;
        assert_common(&answer, path);
        assert_eq!(
            header(&answer, "content-security-policy"),
            "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'",
            "{path}"
        );
        assert_eq!(header(&answer, "cache-control"), "no-store", "{path}");
    }
    let call = request(app.addr, "POST", "/api/fn/system_status", &[], Some("")).await;
    assert_eq!(call.status, 200);
    assert_common(&call, "server function");
    assert_eq!(header(&call, "cache-control"), "no-store");

    let favicon = get(&app, "/favicon.ico").await;
    assert_eq!(favicon.status, 200);
    assert_common(&favicon, "static file");
    assert!(
        header(&favicon, "content-security-policy").starts_with("default-src 'none'"),
        "a static file runs nothing"
    );
    assert_ne!(
        favicon.header("cache-control"),
        Some("no-store"),
        "static files stay cacheable"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn hsts_is_sent_only_when_configured() {
    let _turn = ONE_APP_AT_A_TIME.lock().await;
    let db = sqlite_db();
    let app = spawn_app_with(
        &db,
        TestOptions {
            hsts: true,
            ..TestOptions::default()
        },
    )
    .await;
    for path in ["/", "/api/v1/cases", "/favicon.ico"] {
        let answer = get(&app, path).await;
        assert_eq!(
            answer.header("strict-transport-security"),
            Some("max-age=31536000"),
            "{path}"
        );
    }
}

/// A browser session cookie header of the demo user.
async fn cookie(app: &TestApp) -> String {
    let user = app.store.user_by_name("physician").await.unwrap().unwrap();
    let value = app.auth.open_browser_session(&user, None).await.unwrap();
    format!("{SESSION_COOKIE}={value}")
}

async fn start_encounter(app: &TestApp, cookie: &str, origin: Option<&str>) -> Response {
    let mut headers = vec![
        ("Cookie", cookie),
        ("Content-Type", "application/x-www-form-urlencoded"),
    ];
    if let Some(origin) = origin {
        headers.push(("Origin", origin));
    }
    let body = "case_id=rlq-pain-19m&budget=";
    request(
        app.addr,
        "POST",
        "/api/fn/start_encounter",
        &headers,
        Some(body),
    )
    .await
}

async fn encounter_count(app: &TestApp) -> usize {
    let user = app.store.user_by_name("physician").await.unwrap().unwrap();
    app.store.encounters_of(user.id).await.unwrap().len()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn server_functions_refuse_calls_from_other_sites() {
    let _turn = ONE_APP_AT_A_TIME.lock().await;
    let db = sqlite_db();
    let app = spawn_app(&db).await;
    let cookie = cookie(&app).await;

    for origin in ["https://evil.example", "null", "http://127.0.0.1:1"] {
        let refused = start_encounter(&app, &cookie, Some(origin)).await;
        assert_eq!(refused.status, 403, "{origin}: {refused:?}");
        assert!(
            refused.json()["detail"]
                .as_str()
                .unwrap()
                .contains("Cross-site request refused"),
            "{}",
            refused.body
        );
    }
    assert_eq!(encounter_count(&app).await, 0, "nothing was started");
    let logout = request(
        app.addr,
        "POST",
        "/api/fn/logout",
        &[("Cookie", &cookie), ("Origin", "https://evil.example")],
        Some(""),
    )
    .await;
    assert_eq!(logout.status, 403);
    let session = cookie.split_once('=').unwrap().1;
    assert!(
        app.auth
            .session_for_cookie(session)
            .await
            .unwrap()
            .is_some(),
        "the session was not ended"
    );

    // This site's own pages, and clients that send no Origin at all.
    let own = format!("http://{}", app.addr);
    let started = start_encounter(&app, &cookie, Some(&own)).await;
    assert_eq!(started.status, 200, "{started:?}");
    let started = start_encounter(&app, &cookie, None).await;
    assert_eq!(started.status, 200, "{started:?}");
    assert_eq!(encounter_count(&app).await, 2, "each call started one");
}

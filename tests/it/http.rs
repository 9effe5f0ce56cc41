//! The HTTP side through the whole stack, on SQLite and PostgreSQL: health, readiness, the
//! server-rendered page and its server function.

use crate::common;

use common::{databases, http, spawn_app};

use common::ONE_APP_AT_A_TIME;

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn health_and_readiness_on_every_backend() {
    let _turn = ONE_APP_AT_A_TIME.lock().await;
    for db in databases().await {
        let app = spawn_app(&db).await;
        let health = http(app.addr, "GET", "/healthz", None).await;
        assert_eq!(health.status, 200, "{}: {health:?}", db.name);
        assert_eq!(health.json()["status"], "ok");

        let ready = http(app.addr, "GET", "/readyz", None).await;
        assert_eq!(ready.status, 200, "{}: {ready:?}", db.name);
        let expected = if db.name == "postgres" {
            "PostgreSQL"
        } else {
            "SQLite"
        };
        assert_eq!(ready.json()["database"], expected);

        // With the database gone, the process is still healthy but not ready, and says why.
        app.store.close().await;
        let health = http(app.addr, "GET", "/healthz", None).await;
        assert_eq!(health.status, 200);
        let ready = http(app.addr, "GET", "/readyz", None).await;
        assert_eq!(ready.status, 503, "{}: {ready:?}", db.name);
        let body = ready.json();
        assert_eq!(body["status"], "unavailable");
        assert!(
            body["reason"].as_str().unwrap().contains("database"),
            "{body}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn home_page_is_server_rendered_with_the_database_figure() {
    let _turn = ONE_APP_AT_A_TIME.lock().await;
    for db in databases().await {
        let app = spawn_app(&db).await;
        let schema = app.store.schema().await.unwrap();
        let page = http(app.addr, "GET", "/", None).await;
        assert_eq!(page.status, 200, "{}", db.name);
        assert!(page.body.contains("Sequential diagnosis"), "{}", page.body);
        let figure = format!(r#"data-testid="schema-version">{}<"#, schema.version);
        assert!(
            page.body.contains(&figure),
            "{}: no {figure} in page",
            db.name
        );
        assert!(
            page.body.contains("/pkg/dx0.js"),
            "hydration script missing"
        );
        assert!(page.body.contains("/pkg/dx0.wasm"), "wasm preload missing");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn server_function_reads_the_database() {
    let _turn = ONE_APP_AT_A_TIME.lock().await;
    for db in databases().await {
        let app = spawn_app(&db).await;
        let res = http(app.addr, "POST", "/api/fn/system_status", Some("")).await;
        assert_eq!(res.status, 200, "{}: {res:?}", db.name);
        let body = res.json();
        let expected = if db.name == "postgres" {
            "PostgreSQL"
        } else {
            "SQLite"
        };
        assert_eq!(body["database"], expected);
        assert_eq!(
            body["schema_version"],
            app.store.schema().await.unwrap().version
        );

        // A database fault is an error value with a safe message, not a leaked internal.
        app.store.close().await;
        let res = http(app.addr, "POST", "/api/fn/system_status", Some("")).await;
        assert_eq!(res.status, 500, "{res:?}");
        let body = res.json();
        assert_eq!(body["code"], "internal");
        assert!(
            !body["message"].as_str().unwrap().contains("pool"),
            "{body}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn unknown_page_is_404_in_the_app_frame() {
    let _turn = ONE_APP_AT_A_TIME.lock().await;
    let db = common::sqlite_db();
    let app = spawn_app(&db).await;
    let res = http(app.addr, "GET", "/no-such-page", None).await;
    assert_eq!(res.status, 404);
    assert!(res.body.contains("Page not found"), "{}", res.body);
    assert!(
        res.body.contains("aria-label=\"Main\""),
        "navigation missing"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn protected_pages_redirect_and_static_files_answer_only_reads() {
    let _turn = ONE_APP_AT_A_TIME.lock().await;
    let db = common::sqlite_db();
    let app = spawn_app(&db).await;
    // Signed out, a protected page is a real redirect to the sign-in page, whatever the client
    // accepts (it used to be a 200 with a Location header and an empty page without scripts).
    for accept in ["*/*", "text/html"] {
        let page =
            common::request(app.addr, "GET", "/encounters", &[("Accept", accept)], None).await;
        assert!(
            matches!(page.status, 302 | 303),
            "{accept}: {} {:?}",
            page.status,
            page.headers
        );
        let location = page.header("location").expect("a Location");
        assert!(location.starts_with("/login?next="), "{location}");
    }
    // The static site answers reads only.
    let read = http(app.addr, "GET", "/favicon.ico", None).await;
    assert_eq!(read.status, 200);
    for method in ["POST", "PUT", "DELETE", "PATCH"] {
        let refused = http(app.addr, method, "/favicon.ico", Some("")).await;
        assert_eq!(refused.status, 405, "{method}");
        assert_eq!(refused.header("allow"), Some("GET, HEAD"), "{method}");
    }
    let unknown = http(app.addr, "POST", "/no/such/page", Some("")).await;
    assert_eq!(unknown.status, 405);
    // Pages themselves still render for reads.
    let home = http(app.addr, "GET", "/", None).await;
    assert_eq!(home.status, 200);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_wrong_server_function_call_is_a_client_error() {
    let _turn = ONE_APP_AT_A_TIME.lock().await;
    let db = common::sqlite_db();
    let app = spawn_app(&db).await;
    let form = [("Content-Type", "application/x-www-form-urlencoded")];
    // A missing argument: 400 with a code that says so (it was a 500).
    let missing = common::request(app.addr, "POST", "/api/fn/search_tests", &form, Some("")).await;
    assert_eq!(missing.status, 400, "{}", missing.body);
    assert_eq!(
        missing.json()["code"],
        "invalid_arguments",
        "{}",
        missing.body
    );
    // Refused input: 400.
    let long = format!("q={}", "x".repeat(10_000));
    let refused =
        common::request(app.addr, "POST", "/api/fn/search_tests", &form, Some(&long)).await;
    assert_eq!(refused.status, 400, "{}", refused.body);
    assert_eq!(refused.json()["code"], "invalid_content");
    // A body over the 2 MB limit: 413.
    let huge = format!("q={}", "y".repeat(3 * 1024 * 1024));
    let over = common::request(app.addr, "POST", "/api/fn/search_tests", &form, Some(&huge)).await;
    assert_eq!(over.status, 413, "{}", over.body);
    assert_eq!(over.json()["code"], "too_large");
    // A good call still answers 200.
    let good = common::request(
        app.addr,
        "POST",
        "/api/fn/search_tests",
        &form,
        Some("q=cbc"),
    )
    .await;
    assert_eq!(good.status, 200, "{}", good.body);
}

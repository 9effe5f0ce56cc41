//! Stored script injection: an imported case's text is inert in the server-rendered encounter
//! page (its `<title>` included) and in the Markdown export.

use crate::common;

use common::ws::{next_json, send_text, ws_open};
use common::{login_pair, request, spawn_app, sqlite_db, TestApp};
use dx0::auth::SESSION_COOKIE;
use serde_json::json;

/// The title of the report: it closes `<title>` and opens a script.
const TITLE: &str = "Chest pain</title><script>alert(1)</script><title>";
const SUMMARY: &str = "A 50-year-old man. <img src=x onerror=\"alert(2)\">";

/// Imports a native case whose title and abstract hold markup, as `dx0 cases import` would.
async fn import_tainted_case(app: &TestApp) {
    let text = json!({
        "id": "tainted-title",
        "title": TITLE,
        "specialty": "Cardiology",
        "difficulty": "easy",
        "summary": SUMMARY,
        "history": [{"topic": "Pain", "keywords": ["pain"], "answer": "It hurts <script>alert(3)</script>."}],
        "exam": [],
        "tests": [],
        "diagnosis": "Stable angina",
    })
    .to_string();
    let cases = dx0::engine::import::from_json("tainted.json", &text).expect("a valid case");
    let records: Vec<_> = cases
        .iter()
        .map(|c| dx0::clinic::case_record(c).unwrap())
        .collect();
    let imported = app.store.import_cases(&records, false, 0).await.unwrap();
    assert_eq!(imported, Ok(1));
}

/// Opens an encounter on the case by the socket and asks one question; returns its id.
async fn encounter_on(app: &TestApp, token: &str) -> String {
    let mut socket = ws_open(app.addr, &format!("?token={token}&case=tainted-title"), &[])
        .await
        .unwrap();
    send_text(&mut socket, r#"{"content": "Where is the pain?"}"#).await;
    loop {
        let frame = next_json(&mut socket).await;
        if frame["type"] == "done" {
            return frame["encounter_id"].as_str().unwrap().to_string();
        }
        assert_eq!(frame["type"], "reply", "{frame}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_case_title_holding_markup_is_escaped_in_the_page_title_and_the_exports() {
    // It renders pages: one app at a time in this process (see common::ONE_APP_AT_A_TIME).
    let _turn = common::ONE_APP_AT_A_TIME.lock().await;
    let db = sqlite_db();
    let app = spawn_app(&db).await;
    import_tainted_case(&app).await;
    let token = login_pair(app.addr, "physician", "secret").await.access;
    let id = encounter_on(&app, &token).await;
    let user = app.store.user_by_name("physician").await.unwrap().unwrap();
    let cookie = app.auth.open_browser_session(&user, None).await.unwrap();
    let cookie = format!("{SESSION_COOKIE}={cookie}");

    let page = request(
        app.addr,
        "GET",
        &format!("/encounters/{id}"),
        &[("Cookie", &cookie)],
        None,
    )
    .await;
    assert_eq!(page.status, 200, "{}", page.body);
    let html = &page.body;
    assert!(
        html.contains(
            "<title>Chest pain&lt;/title&gt;&lt;script&gt;alert(1)&lt;/script&gt;&lt;title&gt; · Dx0</title>"
        ),
        "the title is not escaped: {html}"
    );
    // No markup of the case anywhere: not in the title, the heading, the abstract, the replies
    // (the serialized resources escape `<` as \u003c).
    for markup in ["<script>alert", "<img src=x", "</title><script>"] {
        assert!(!html.contains(markup), "{markup} in the page: {html}");
    }
    let head = html.split("</head>").next().unwrap();
    assert_eq!(
        head.matches("<title>").count(),
        1,
        "one document title: {head}"
    );
    assert!(
        html.contains("<h1>Chest pain&lt;/title&gt;&lt;script&gt;"),
        "{html}"
    );

    let markdown = request(
        app.addr,
        "GET",
        &format!("/api/v1/encounters/{id}/export?format=markdown"),
        &[("Authorization", &format!("Bearer {token}"))],
        None,
    )
    .await;
    assert_eq!(markdown.status, 200);
    // Markdown renderers pass inline HTML through: the case's text goes in as entities.
    assert!(
        markdown
            .body
            .contains("**Case:** Chest pain&lt;/title&gt;&lt;script&gt;alert(1)&lt;/script&gt;"),
        "{}",
        markdown.body
    );
    assert!(
        !markdown.body.contains('<'),
        "markup in the Markdown export: {}",
        markdown.body
    );
}

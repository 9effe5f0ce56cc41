//! The encounter over the WebSocket, on SQLite and PostgreSQL: v1 frames and our additions
//! (`type`, `id`, `encounter_id`, `&case=`, `&encounter=`, `&new=1`, budgets, the verdict and
//! every error code), persistence across reconnects and restarts.

use crate::common;

use common::ws::{exchange, open_with_token, ws_open};
use common::{databases, demo_token, request, spawn_app, TestApp};
use serde_json::{json, Value};

fn dollars(v: &Value) -> f64 {
    v.as_f64().unwrap_or_else(|| panic!("not a number: {v}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_case_is_worked_to_a_verdict_with_v1_frames() {
    for db in databases().await {
        let app = spawn_app(&db).await;
        let token = demo_token(app.addr).await;
        let mut socket = open_with_token(app.addr, &token, "").await;

        let (_, done) = exchange(
            &mut socket,
            json!({"action": "question", "content": "Where is the pain?", "id": 1}),
        )
        .await;
        assert_eq!(done["type"], "done", "{}: {done}", db.name);
        assert_eq!(done["done"], true);
        assert_eq!(done["id"], 1);
        assert_eq!(
            dollars(&done["cost"]),
            300.0,
            "the first question opens a visit"
        );
        assert_eq!(dollars(&done["total_spent"]), 300.0);
        assert_eq!(done["ordered_tests"], json!([]));
        assert!(
            done.get("remaining_budget").is_none(),
            "no budget, no remaining_budget"
        );
        let encounter = done["encounter_id"]
            .as_str()
            .expect("encounter_id")
            .to_string();

        // v1: an omitted action is a question; same round, no new visit.
        let (_, done) = exchange(&mut socket, json!({"content": "Do you smoke?"})).await;
        assert_eq!(dollars(&done["cost"]), 0.0, "{done}");
        assert_eq!(done["encounter_id"], encounter.as_str());

        let (chunks, done) = exchange(
            &mut socket,
            json!({"action": "test", "content": "CBC; lipase", "id": "t"}),
        )
        .await;
        assert!(dollars(&done["cost"]) > 0.0);
        assert_eq!(done["ordered_tests"].as_array().unwrap().len(), 2, "{done}");
        for chunk in &chunks {
            assert_eq!(chunk["id"], "t");
        }
        let text: String = chunks
            .iter()
            .map(|c| c["reply"].as_str().unwrap())
            .chain(std::iter::once(done["reply"].as_str().unwrap()))
            .collect();
        assert!(text.contains("$"), "the reply shows prices: {text}");

        let (_, done) = exchange(
            &mut socket,
            json!({"action": "diagnosis", "content": "Acute appendicitis"}),
        )
        .await;
        let verdict = &done["verdict"];
        assert_eq!(verdict["score"], 5, "{}: {done}", db.name);
        assert_eq!(verdict["correct"], true);
        assert_eq!(verdict["diagnosis"], "Acute appendicitis");
        assert!(verdict["teaching_points"]
            .as_array()
            .is_some_and(|t| !t.is_empty()));
        assert_eq!(
            dollars(&verdict["total_cost"]),
            dollars(&done["total_spent"])
        );

        let (_, closed) = exchange(
            &mut socket,
            json!({"action": "question", "content": "Anything else?"}),
        )
        .await;
        assert_eq!(closed["type"], "error");
        assert_eq!(closed["code"], "encounter_closed");
        assert_eq!(closed["error"], "encounter closed");
        // The socket is still open.
        let (_, again) = exchange(&mut socket, json!({"action": "nope"})).await;
        assert_eq!(again["code"], "invalid_action");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn budgets_refuse_without_charging_and_keep_the_socket() {
    for db in databases().await {
        let app = spawn_app(&db).await;
        let token = demo_token(app.addr).await;
        let mut socket = open_with_token(app.addr, &token, "&budget=310&new=1").await;
        let (_, done) = exchange(&mut socket, json!({"content": "Where does it hurt?"})).await;
        assert_eq!(
            dollars(&done["remaining_budget"]),
            10.0,
            "{}: {done}",
            db.name
        );
        let (_, refused) = exchange(
            &mut socket,
            json!({"action": "test", "content": "CT abdomen and pelvis with contrast"}),
        )
        .await;
        assert_eq!(refused["type"], "error");
        assert_eq!(refused["code"], "over_budget", "{refused}");
        let (_, unknown) = exchange(
            &mut socket,
            json!({"action": "test", "content": "quantum flux assay"}),
        )
        .await;
        assert_eq!(unknown["code"], "unknown_test", "{unknown}");
        let suggestions = unknown["suggestions"].as_array().expect("suggestions");
        assert!(
            (1..=5).contains(&suggestions.len()) && suggestions.iter().all(Value::is_string),
            "{unknown}"
        );
        let (_, done) = exchange(&mut socket, json!({"action": "test", "content": "lipase"})).await;
        assert_eq!(done["type"], "done", "{done}");
        assert!(dollars(&done["remaining_budget"]) < 10.0);
        assert_eq!(
            dollars(&done["total_spent"]),
            300.0 + dollars(&done["cost"]),
            "nothing was charged for the refusals"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn bad_parameters_are_refused_before_the_upgrade() {
    for db in databases().await {
        let app = spawn_app(&db).await;
        let token = demo_token(app.addr).await;
        for (query, status) in [
            ("&budget=-5", 400),
            ("&budget=abc", 400),
            ("&budget=1.234", 400),
            ("&case=no-such-case", 404),
            ("&encounter=no-such-encounter", 404),
        ] {
            assert_eq!(
                ws_open(app.addr, &format!("?token={token}{query}"), &[])
                    .await
                    .err(),
                Some(status),
                "{}: {query}",
                db.name
            );
        }
    }
}

async fn first_encounter(app: &TestApp, token: &str, query: &str) -> String {
    let mut socket = open_with_token(app.addr, token, query).await;
    let (_, done) = exchange(&mut socket, json!({"content": "How old are you?"})).await;
    let _ = socket.close(None).await;
    done["encounter_id"].as_str().unwrap().to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn encounters_resume_by_session_by_id_and_after_a_restart() {
    for db in databases().await {
        let app = spawn_app(&db).await;
        let token = demo_token(app.addr).await;
        let first = first_encounter(&app, &token, "").await;
        // The same login session continues its open encounter on the case...
        assert_eq!(
            first_encounter(&app, &token, "").await,
            first,
            "{}",
            db.name
        );
        // ...unless asked for a new one.
        let second = first_encounter(&app, &token, "&new=1").await;
        assert_ne!(second, first);

        // Another user cannot open it.
        let other_user = {
            common::add_user(
                &app,
                "other",
                "other password",
                dx0::protocol::Group::Physician,
            )
            .await;
            common::login_pair(app.addr, "other", "other password")
                .await
                .access
        };
        assert_eq!(
            ws_open(
                app.addr,
                &format!("?token={other_user}&encounter={first}"),
                &[]
            )
            .await
            .err(),
            Some(404)
        );

        // A restart loses nothing: the encounter resumes with its spend.
        app.shutdown.trigger();
        app.store.close().await;
        let app = spawn_app(&db).await;
        let mut socket =
            open_with_token(app.addr, &token, &format!("&encounter={first}&budget=1")).await;
        let (_, done) = exchange(&mut socket, json!({"action": "test", "content": "CBC"})).await;
        assert_eq!(done["encounter_id"], first.as_str());
        assert!(dollars(&done["total_spent"]) > 300.0, "{done}");
        assert!(
            done.get("remaining_budget").is_none(),
            "a resume cannot set a budget: {done}"
        );

        // The HTTP views agree.
        let auth = format!("Bearer {token}");
        let list = request(
            app.addr,
            "GET",
            "/api/v1/encounters",
            &[("Authorization", &auth)],
            None,
        )
        .await;
        assert_eq!(list.status, 200);
        let ids: Vec<String> = list.json()["encounters"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["id"].as_str().unwrap().to_string())
            .collect();
        assert!(ids.contains(&first) && ids.contains(&second), "{ids:?}");
        let one = request(
            app.addr,
            "GET",
            &format!("/api/v1/encounters/{first}"),
            &[("Authorization", &auth)],
            None,
        )
        .await;
        assert_eq!(one.status, 200);
        let body = one.json();
        assert_eq!(body["transcript"].as_array().unwrap().len(), 3, "{body}");
        assert_eq!(body["tests"][0]["cpt"], "85025");
        let other_auth = format!("Bearer {other_user}");
        let hidden = request(
            app.addr,
            "GET",
            &format!("/api/v1/encounters/{first}"),
            &[("Authorization", &other_auth)],
            None,
        )
        .await;
        assert_eq!(hidden.status, 404);
        let anonymous = request(app.addr, "GET", "/api/v1/encounters", &[], None).await;
        assert_eq!(anonymous.status, 401);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn cases_and_tests_are_listed_without_login() {
    let db = common::sqlite_db();
    let app = spawn_app(&db).await;
    let case = request(app.addr, "GET", "/api/v1/case", &[], None).await;
    assert_eq!(case.status, 200);
    assert!(case.json()["summary"]
        .as_str()
        .is_some_and(|s| !s.is_empty()));
    let cases = request(app.addr, "GET", "/api/v1/cases", &[], None)
        .await
        .json();
    let list = cases["cases"].as_array().unwrap();
    assert!(list.len() >= 24, "{} cases", list.len());
    for c in list {
        for field in ["id", "title", "specialty", "difficulty", "summary"] {
            assert!(c[field].as_str().is_some(), "{field} in {c}");
        }
    }
    let tests = request(app.addr, "GET", "/api/v1/tests", &[], None)
        .await
        .json();
    let names: Vec<&str> = tests["tests"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n.as_str().unwrap())
        .collect();
    assert!(names.len() >= 200);
    let mut sorted = names.clone();
    sorted.sort_by_key(|n| n.to_lowercase());
    assert_eq!(names, sorted);
    let found = request(app.addr, "GET", "/api/v1/tests?q=cbc", &[], None)
        .await
        .json();
    assert_eq!(found["tests"][0]["cpt"], "85025", "{found}");
    assert_eq!(found["tests"][0]["estimate"], false);
    assert!(found["tests"][0]["price"].as_f64().unwrap() > 0.0);
    // A query longer than any test name is refused before any comparison (it used to cost
    // seconds of CPU per request), on the API and in the page's server function.
    let long = "a".repeat(30_000);
    let refused = request(
        app.addr,
        "GET",
        &format!("/api/v1/tests?q={long}"),
        &[],
        None,
    )
    .await;
    assert_eq!(refused.status, 400, "{}", refused.body);
    assert!(refused.json()["detail"]
        .as_str()
        .unwrap()
        .contains("at most"));
    let at_limit = request(
        app.addr,
        "GET",
        &format!(
            "/api/v1/tests?q={}",
            "b".repeat(dx0::engine::prices::MAX_NAME_CHARS)
        ),
        &[],
        None,
    )
    .await;
    assert_eq!(at_limit.status, 200, "{}", at_limit.body);
    let searched = request(
        app.addr,
        "POST",
        "/api/fn/search_tests",
        &[("Content-Type", "application/x-www-form-urlencoded")],
        Some(&format!("q={}", "c".repeat(200_000))),
    )
    .await;
    assert!(
        searched.body.contains("at most"),
        "{} {}",
        searched.status,
        searched.body
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn every_bundled_case_can_be_worked_to_a_verdict() {
    let db = common::sqlite_db();
    // Three messages per case on one login session: lift the per-session message limit.
    let options = common::TestOptions {
        policy: dx0::auth::AuthPolicy {
            message_rate_limit: 10_000,
            ..Default::default()
        },
        ..Default::default()
    };
    let app = common::spawn_app_with(&db, options).await;
    let token = demo_token(app.addr).await;
    let cases = request(app.addr, "GET", "/api/v1/cases", &[], None)
        .await
        .json();
    for case in cases["cases"].as_array().unwrap() {
        let id = case["id"].as_str().unwrap();
        let stored = app.store.case(id).await.unwrap().unwrap();
        let body: Value = serde_json::from_str(&stored.body).unwrap();
        let mut socket = open_with_token(app.addr, &token, &format!("&case={id}&new=1")).await;
        let (_, done) =
            exchange(&mut socket, json!({"content": "What brings you in today?"})).await;
        assert_eq!(done["type"], "done", "{id}: {done}");
        let first_test = body["tests"][0]["name"].as_str().unwrap();
        let (_, done) = exchange(
            &mut socket,
            json!({"action": "test", "content": first_test}),
        )
        .await;
        assert_eq!(
            done["type"], "done",
            "{id}: ordering {first_test:?}: {done}"
        );
        let truth = body["diagnosis"].as_str().unwrap();
        let (_, done) = exchange(
            &mut socket,
            json!({"action": "diagnosis", "content": truth}),
        )
        .await;
        assert_eq!(done["verdict"]["score"], 5, "{id}: {done}");
        socket.close(None).await.ok();
    }
}

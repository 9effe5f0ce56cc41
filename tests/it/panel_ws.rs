//! The AI panel over the socket with the offline engine (no language model configured):
//! `panel` streams each persona and ends with the proposal, recorded but nothing charged;
//! accepting it is an ordinary step; `panel_run` works the case turn by turn to a verdict,
//! saved as it goes, on SQLite and PostgreSQL; a closed encounter and garbage are refused.

use crate::common;

use common::ws::{exchange, frames_until_done, open_with_token};
use common::{databases, demo_token, request, spawn_app};
use dx0::protocol::{EncounterView, ServerFrame};
use serde_json::{json, Value};

fn of_type<'a>(frames: &'a [Value], kind: &str) -> Vec<&'a Value> {
    frames.iter().filter(|f| f["type"] == kind).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn asking_the_panel_streams_the_personas_and_proposes_one_step() {
    for db in databases().await {
        let app = spawn_app(&db).await;
        let token = demo_token(app.addr).await;
        let mut socket = open_with_token(app.addr, &token, "&new=1").await;
        let frames = frames_until_done(&mut socket, json!({"action": "panel", "id": "p1"})).await;
        let done = frames.last().unwrap();
        assert_eq!(done["type"], "done", "{}: {done}", db.name);
        assert_eq!(done["id"], "p1");
        assert_eq!(done["cost"].as_f64(), Some(0.0), "advice is free");
        assert_eq!(done["total_spent"].as_f64(), Some(0.0));
        assert!(
            done["reply"]
                .as_str()
                .unwrap()
                .starts_with("The panel proposes"),
            "{done}"
        );
        let personas: Vec<&str> = of_type(&frames, "panel")
            .iter()
            .map(|f| f["persona"].as_str().unwrap())
            .collect();
        assert_eq!(
            personas,
            [
                "hypothesis",
                "test-chooser",
                "challenger",
                "stewardship",
                "checklist"
            ]
        );
        assert!(of_type(&frames, "panel").iter().all(|f| f["id"] == "p1"));
        let deliberation = of_type(&frames, "deliberation");
        assert_eq!(deliberation.len(), 1);
        let turn = deliberation[0];
        assert_eq!(turn["turn"], 1);
        assert_eq!(turn["at"], 0);
        assert_eq!(turn["contributions"].as_array().unwrap().len(), 5);
        assert!(!turn["differential"].as_array().unwrap().is_empty());

        // Accepting the proposal is an ordinary step.
        let (action, content) = match turn["proposal"]["type"].as_str().unwrap() {
            "ask" => (
                "question",
                turn["proposal"]["questions"][0]
                    .as_str()
                    .unwrap()
                    .to_string(),
            ),
            "order" => (
                "test",
                turn["proposal"]["tests"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|t| t.as_str().unwrap())
                    .collect::<Vec<_>>()
                    .join("; "),
            ),
            _ => (
                "diagnosis",
                turn["proposal"]["diagnosis"].as_str().unwrap().to_string(),
            ),
        };
        let (_, step) = exchange(&mut socket, json!({"action": action, "content": content})).await;
        assert_eq!(step["type"], "done", "{step}");

        // The deliberation is kept in the encounter.
        let id = done["encounter_id"].as_str().unwrap();
        let response = request(
            app.addr,
            "GET",
            &format!("/api/v1/encounters/{id}/export?format=json"),
            &[("Authorization", &format!("Bearer {token}"))],
            None,
        )
        .await;
        assert_eq!(response.status, 200, "{}", response.body);
        let text = response.json().to_string();
        assert!(
            text.contains("\"test-chooser\""),
            "the personas are in the export: {text}"
        );
        let markdown = request(
            app.addr,
            "GET",
            &format!("/api/v1/encounters/{id}/export?format=markdown"),
            &[("Authorization", &format!("Bearer {token}"))],
            None,
        )
        .await;
        assert!(markdown.body.contains("## AI panel"), "{}", markdown.body);
        assert!(
            markdown.body.contains("- **Dr. Checklist:** "),
            "{}",
            markdown.body
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn letting_the_panel_run_reaches_a_verdict_and_keeps_every_turn() {
    for db in databases().await {
        let app = spawn_app(&db).await;
        let token = demo_token(app.addr).await;
        let mut socket = open_with_token(app.addr, &token, "&new=1&budget=2000").await;
        let frames = frames_until_done(&mut socket, json!({"action": "panel_run", "id": 7})).await;
        let done = frames.last().unwrap();
        assert_eq!(done["type"], "done", "{}: {done}", db.name);
        let verdict = &done["verdict"];
        assert!(verdict["score"].as_u64().is_some(), "{done}");
        let steps = of_type(&frames, "step");
        let turns = of_type(&frames, "deliberation");
        assert!(!steps.is_empty() && !turns.is_empty());
        assert_eq!(steps.last().unwrap()["action"], "diagnosis");
        let charged: f64 = steps.iter().map(|s| s["cost"].as_f64().unwrap()).sum();
        assert!((charged - done["total_spent"].as_f64().unwrap()).abs() < 0.005);
        assert!(done["total_spent"].as_f64().unwrap() <= 2000.0);
        assert!((done["cost"].as_f64().unwrap() - charged).abs() < 0.005);

        // Saved: the encounter is closed, and more steps are refused.
        let (_, closed) = exchange(
            &mut socket,
            json!({"action": "question", "content": "Anything else?"}),
        )
        .await;
        assert_eq!(closed["code"], "encounter_closed", "{closed}");
        let again = frames_until_done(&mut socket, json!({"action": "panel_run"})).await;
        assert_eq!(again.last().unwrap()["code"], "encounter_closed");
        let list = request(
            app.addr,
            "GET",
            "/api/v1/encounters",
            &[("Authorization", &format!("Bearer {token}"))],
            None,
        )
        .await;
        assert!(list.body.contains("\"closed\""), "{}", list.body);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn panel_frames_with_garbage_are_refused_and_the_socket_stays() {
    let db = common::sqlite_db();
    let app = spawn_app(&db).await;
    let token = demo_token(app.addr).await;
    let mut socket = open_with_token(app.addr, &token, "").await;
    let (_, error) = exchange(&mut socket, json!({"action": "panel_go"})).await;
    assert_eq!(error["code"], "invalid_action");
    assert!(error["error"].as_str().unwrap().contains("panel_run"));
    // Content is ignored by the panel; the socket still answers afterwards.
    let frames = frames_until_done(&mut socket, json!({"action": "panel", "content": 42})).await;
    assert_eq!(frames.last().unwrap()["code"], "invalid_content");
    let frames = frames_until_done(&mut socket, json!({"action": "panel"})).await;
    assert_eq!(frames.last().unwrap()["type"], "done");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn with_a_model_the_llm_panel_streams_and_runs_and_a_failure_keeps_the_encounter() {
    use dx0::llm::fake::{FakeLlm, FakeReply};
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::sync::Arc;
    let cases = Arc::new(dx0::engine::library::bundled_cases().unwrap());
    let broken = Arc::new(AtomicBool::new(false));
    let (for_script, is_broken) = (cases.clone(), broken.clone());
    let fake = FakeLlm::start(move |request| {
        if is_broken.load(Ordering::SeqCst) {
            FakeReply::Status {
                status: 500,
                retry_after: None,
            }
        } else {
            common::panel::clinic(&for_script, request)
        }
    })
    .await;
    let db = common::sqlite_db();
    let app = common::spawn_llm_app(&db, &fake).await;
    let token = demo_token(app.addr).await;

    // A failing model: a clear error, nothing recorded or charged, the socket stays.
    let mut socket = open_with_token(app.addr, &token, "&case=rlq-pain-19m&new=1").await;
    broken.store(true, Ordering::SeqCst);
    let frames = frames_until_done(&mut socket, json!({"action": "panel_run", "id": 1})).await;
    let error = frames.last().unwrap();
    // What stopped the panel, and that what it did is kept (not "your step was not saved").
    assert_eq!(error["code"], "panel_stopped", "{error}");
    let said = error["error"].as_str().unwrap();
    assert!(
        said.contains("no member of the panel could be reached"),
        "{error}"
    );
    assert!(said.contains("The encounter is kept as it was"), "{error}");
    broken.store(false, Ordering::SeqCst);

    // Healthy: the personas stream (streamed by the model), then the run reaches the verdict.
    let frames = frames_until_done(&mut socket, json!({"action": "panel_run", "id": 2})).await;
    let done = frames.last().unwrap();
    assert_eq!(done["type"], "done", "{done}");
    assert_eq!(done["verdict"]["correct"], true, "{done}");
    assert!(of_type(&frames, "panel").len() >= 5);
    assert_eq!(of_type(&frames, "deliberation").len(), 3);
    assert_eq!(of_type(&frames, "step").len(), 3);
    assert_eq!(done["total_spent"].as_f64(), Some(307.77));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn logging_out_during_a_run_closes_the_socket_at_once_and_stops_the_run_after_its_turn() {
    use common::ws::{next_event, send_text, Next};
    use dx0::llm::fake::FakeLlm;
    use std::sync::Arc;
    use std::time::{Duration, Instant};
    let cases = Arc::new(dx0::engine::library::bundled_cases().unwrap());
    for db in databases().await {
        let for_script = cases.clone();
        let fake = FakeLlm::start(move |request| common::panel::clinic(&for_script, request)).await;
        let app = common::spawn_llm_app(&db, &fake).await;
        let pair = common::login_pair(app.addr, "physician", "secret").await;
        let mut socket = open_with_token(app.addr, &pair.access, "&case=rlq-pain-19m&new=1").await;
        send_text(&mut socket, &json!({"action": "panel_run"}).to_string()).await;
        // Turn 1 is carried out and saved; then the model slows down so turn 2 is under way
        // when the physician signs out elsewhere.
        loop {
            let frame = common::ws::next_json(&mut socket).await;
            assert_ne!(frame["type"], "error", "{}: {frame}", db.name);
            if frame["type"] == "step" {
                break;
            }
        }
        fake.set_latency(Duration::from_millis(300));
        let listed = request(
            app.addr,
            "GET",
            "/api/v1/encounters",
            &[("authorization", &format!("Bearer {}", pair.access))],
            None,
        )
        .await;
        let id = listed.json()["encounters"][0]["id"]
            .as_str()
            .unwrap()
            .to_string();
        let out = Instant::now();
        assert_eq!(
            common::api_logout(app.addr, &pair.refresh).await.status,
            200
        );
        let code = loop {
            match next_event(&mut socket, Duration::from_secs(2)).await {
                Next::Close(code) => break code,
                Next::Json(_) => continue,
                Next::Ended => panic!("{}: the socket ended without a close frame", db.name),
            }
        };
        assert_eq!(code, Some(1008), "{}", db.name);
        assert!(out.elapsed() < Duration::from_secs(2), "{}", db.name);

        // The turn under way is finished and saved, and no other is begun.
        let turns = |record: &dx0::store::EncounterRecord| {
            dx0::clinic::parse_state(record).unwrap().panel.len()
        };
        let deadline = Instant::now() + Duration::from_secs(30);
        let saved = loop {
            let record = app.store.encounter(&id).await.unwrap().unwrap();
            if turns(&record) >= 2 || Instant::now() > deadline {
                break record;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        };
        assert_eq!(turns(&saved), 2, "{}: turn 2 saved", db.name);
        // Fast again: a run that went on would take turn 3 and its diagnosis within moments.
        fake.set_latency(Duration::ZERO);
        let asked = fake.requests().len();
        tokio::time::sleep(Duration::from_millis(1500)).await;
        let after = app.store.encounter(&id).await.unwrap().unwrap();
        assert_eq!(
            fake.requests().len(),
            asked,
            "{}: no request after the stop",
            db.name
        );
        assert_eq!(turns(&after), 2, "{}", db.name);
        assert_eq!(after.status, "open", "{}", db.name);
        assert_eq!(after.version, saved.version, "{}", db.name);
    }
}

/// The encounter as `GET /api/v1/encounters/{id}` gives it.
async fn stored_view(addr: std::net::SocketAddr, token: &str, id: &str) -> EncounterView {
    let got = request(
        addr,
        "GET",
        &format!("/api/v1/encounters/{id}"),
        &[("Authorization", &format!("Bearer {token}"))],
        None,
    )
    .await;
    assert_eq!(got.status, 200, "{}", got.body);
    serde_json::from_str(&got.body).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_frames_applied_to_the_pages_copy_give_the_stored_encounter() {
    // What the page does: it keeps the view it loaded and applies every answer's frames.
    for db in databases().await {
        let app = spawn_app(&db).await;
        let token = demo_token(app.addr).await;
        let mut socket =
            open_with_token(app.addr, &token, "&case=rlq-pain-19m&new=1&budget=3000").await;
        let mut frames = Vec::new();
        let (_, first) = exchange(
            &mut socket,
            json!({"action": "question", "content": "Where is the pain?"}),
        )
        .await;
        let id = first["encounter_id"].as_str().unwrap().to_string();
        // The view the page would have loaded before that step: the stored one without it.
        let mut copy = stored_view(app.addr, &token, &id).await;
        copy.transcript.clear();
        copy.summary.total_spent = dx0::protocol::Money(0);
        copy.in_visit = false;
        frames.push(first);
        for (action, content) in [
            ("question", "Any fever or vomiting?"),
            ("test", "Complete blood count; C-reactive protein"),
            ("question", "Any pain on passing urine?"),
        ] {
            let (_, done) =
                exchange(&mut socket, json!({"action": action, "content": content})).await;
            assert_eq!(done["type"], "done", "{}: {done}", db.name);
            frames.push(done);
        }
        frames.extend(frames_until_done(&mut socket, json!({"action": "panel_run"})).await);
        assert_eq!(frames.last().unwrap()["type"], "done", "{}", db.name);
        for frame in &frames {
            let frame: ServerFrame = serde_json::from_value(frame.clone()).unwrap();
            copy.apply_frame(&frame);
        }
        let stored = stored_view(app.addr, &token, &id).await;
        assert!(!stored.is_open() && !stored.tests.is_empty(), "{}", db.name);
        assert_eq!(copy.transcript, stored.transcript, "{}", db.name);
        assert_eq!(copy.tests, stored.tests, "{}", db.name);
        assert_eq!(copy.panel, stored.panel, "{}", db.name);
        assert_eq!(copy.in_visit, stored.in_visit, "{}", db.name);
        assert_eq!(
            copy.remaining_budget, stored.remaining_budget,
            "{}",
            db.name
        );
        let summary = |v: &EncounterView| {
            let mut s = v.summary.clone();
            s.updated_at = 0;
            s
        };
        assert_eq!(summary(&copy), summary(&stored), "{}", db.name);
    }
}

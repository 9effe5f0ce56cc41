//! Who acted, end to end over the socket and HTTP, on SQLite and PostgreSQL: a physician's
//! steps are theirs, the panel's steps are the panel's (engine, mode and, with a language
//! model, the model) in the step frames, the API and every export (Markdown, JSON, FHIR with
//! a `Practitioner` and a `Device`).

use crate::common;

use common::ws::{frames_until_done, open_with_token};
use common::{databases, demo_token, request, spawn_app};
use serde_json::{json, Value};
use std::net::SocketAddr;

struct Exports {
    markdown: String,
    json: Value,
    fhir: Value,
    listed: Value,
}

async fn exports(addr: SocketAddr, token: &str, id: &str) -> Exports {
    let auth = format!("Bearer {token}");
    let get = |path: String| {
        let auth = auth.clone();
        async move {
            let response = request(addr, "GET", &path, &[("Authorization", &auth)], None).await;
            assert_eq!(response.status, 200, "{path}: {}", response.body);
            response
        }
    };
    let export = |format: &str| get(format!("/api/v1/encounters/{id}/export?format={format}"));
    let list = get("/api/v1/encounters".into()).await.json();
    let listed = list["encounters"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["id"] == id)
        .cloned()
        .unwrap();
    Exports {
        markdown: export("markdown").await.body,
        json: export("json").await.json(),
        fhir: export("fhir").await.json(),
        listed,
    }
}

fn resources<'a>(bundle: &'a Value, kind: &str) -> Vec<&'a Value> {
    bundle["entry"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| &e["resource"])
        .filter(|r| r["resourceType"] == kind)
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_physicians_steps_are_theirs_everywhere() {
    for db in databases().await {
        let app = spawn_app(&db).await;
        let token = demo_token(app.addr).await;
        let mut socket = open_with_token(app.addr, &token, "&case=rlq-pain-19m&new=1").await;
        let mut id = String::new();
        for frame in [
            json!({"content": "Where does it hurt?"}),
            json!({"action": "test", "content": "CBC"}),
            json!({"action": "diagnosis", "content": "Acute appendicitis"}),
        ] {
            let done = frames_until_done(&mut socket, frame).await.pop().unwrap();
            assert_eq!(done["type"], "done", "{}: {done}", db.name);
            id = done["encounter_id"].as_str().unwrap().to_string();
            if let Some(verdict) = done.get("verdict") {
                assert_eq!(
                    verdict["actor"],
                    json!({"kind": "user", "name": "physician"})
                );
            }
        }
        let out = exports(app.addr, &token, &id).await;
        let physician = json!({"kind": "user", "name": "physician"});
        for turn in out.json["transcript"].as_array().unwrap() {
            assert_eq!(turn["actor"], physician, "{turn}");
        }
        assert_eq!(out.json["tests"][0]["actor"], physician);
        assert_eq!(out.json["verdict"]["actor"], physician);
        assert_eq!(out.listed["diagnosed_by"], physician);
        for line in [
            "**Physician:** physician · **Diagnosed by:** Physician (physician)",
            "1. **Question by Physician (physician):** Where does it hurt?",
            "2. **Order by Physician (physician):** CBC",
            "3. **Diagnosis by Physician (physician):** Acute appendicitis",
            "| Complete blood count with differential | 85025 | $7.77 | Physician (physician) |",
            "Diagnosis given by Physician (physician): Acute appendicitis.",
        ] {
            assert!(out.markdown.contains(line), "{line}\n{}", out.markdown);
        }
        assert!(!out.markdown.contains("AI panel"), "{}", out.markdown);
        let practitioners = resources(&out.fhir, "Practitioner");
        assert_eq!(practitioners.len(), 1);
        assert_eq!(practitioners[0]["name"][0]["text"], "physician");
        assert!(resources(&out.fhir, "Device").is_empty());
        let sent: Vec<&Value> = resources(&out.fhir, "Communication")
            .into_iter()
            .filter(|c| c["category"][0]["text"] != "answer")
            .map(|c| &c["sender"]["reference"])
            .collect();
        assert_eq!(sent, [&json!("Practitioner/practitioner-1"); 3]);
        let order = &resources(&out.fhir, "ServiceRequest")[0];
        assert_eq!(
            order["requester"]["reference"],
            "Practitioner/practitioner-1"
        );
        assert_eq!(order["code"]["coding"][0]["code"], "85025");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn an_encounter_the_panel_ran_is_the_panels_everywhere() {
    for db in databases().await {
        let app = spawn_app(&db).await;
        let token = demo_token(app.addr).await;
        let mut socket =
            open_with_token(app.addr, &token, "&case=rlq-pain-19m&new=1&budget=2000").await;
        let frames = frames_until_done(&mut socket, json!({"action": "panel_run"})).await;
        let done = frames.last().unwrap();
        assert_eq!(done["type"], "done", "{}: {done}", db.name);
        let panel = json!({"kind": "panel", "engine": "offline", "mode": "budgeted"});
        assert_eq!(done["verdict"]["actor"], panel, "{done}");
        let steps: Vec<&Value> = frames.iter().filter(|f| f["type"] == "step").collect();
        assert!(!steps.is_empty());
        assert!(steps.iter().all(|s| s["actor"] == panel), "{steps:?}");
        let id = done["encounter_id"].as_str().unwrap();

        let out = exports(app.addr, &token, id).await;
        assert_eq!(out.listed["diagnosed_by"], panel);
        assert_eq!(out.listed["verdict"]["actor"], panel);
        let transcript = out.json["transcript"].as_array().unwrap();
        assert_eq!(transcript.len(), steps.len());
        assert!(transcript.iter().all(|t| t["actor"] == panel));
        assert!(out.json["tests"]
            .as_array()
            .unwrap()
            .iter()
            .all(|t| t["actor"] == panel));
        assert!(out.json["panel"]
            .as_array()
            .unwrap()
            .iter()
            .all(|t| t["by"] == json!({"engine": "offline", "mode": "budgeted"})));
        assert!(
            out.markdown
                .contains("**Diagnosed by:** AI panel (offline, budgeted)"),
            "{}",
            out.markdown
        );
        assert!(out
            .markdown
            .contains("Diagnosis by AI panel (offline, budgeted):"));
        assert!(out
            .markdown
            .contains("Diagnosis given by AI panel (offline, budgeted):"));
        assert!(!out.markdown.contains("by Physician"), "{}", out.markdown);
        // FHIR: the panel is a Device and the sender of its every step; no Practitioner acted.
        assert!(resources(&out.fhir, "Practitioner").is_empty());
        let devices = resources(&out.fhir, "Device");
        assert_eq!(devices.len(), 1);
        assert_eq!(
            devices[0]["deviceName"][0]["name"],
            "AI panel (offline, budgeted)"
        );
        let senders: Vec<&Value> = resources(&out.fhir, "Communication")
            .into_iter()
            .filter(|c| c["category"][0]["text"] != "answer")
            .map(|c| &c["sender"]["reference"])
            .collect();
        assert_eq!(senders.len(), steps.len());
        assert!(senders.iter().all(|s| **s == "Device/device-1"));
        assert!(resources(&out.fhir, "ServiceRequest")
            .iter()
            .all(|r| r["requester"]["reference"] == "Device/device-1"));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn with_a_language_model_the_panel_names_its_model() {
    use dx0::llm::fake::FakeLlm;
    use std::sync::Arc;
    let cases = Arc::new(dx0::engine::library::bundled_cases().unwrap());
    let fake = FakeLlm::start(move |request| common::panel::clinic(&cases, request)).await;
    let db = common::sqlite_db();
    let app = common::spawn_llm_app(&db, &fake).await;
    let token = demo_token(app.addr).await;
    let mut socket = open_with_token(app.addr, &token, "&case=rlq-pain-19m&new=1").await;
    // The physician asks first; then the panel finishes the case.
    let asked = frames_until_done(&mut socket, json!({"content": "Where does it hurt?"})).await;
    let id = asked.last().unwrap()["encounter_id"]
        .as_str()
        .unwrap()
        .to_string();
    let frames = frames_until_done(&mut socket, json!({"action": "panel_run"})).await;
    let done = frames.last().unwrap();
    assert_eq!(done["type"], "done", "{done}");
    let panel =
        json!({"kind": "panel", "engine": "llm", "mode": "unconstrained", "model": "fake-model"});
    assert_eq!(done["verdict"]["actor"], panel);
    let out = exports(app.addr, &token, &id).await;
    let actors: Vec<&Value> = out.json["transcript"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| &t["actor"])
        .collect();
    assert_eq!(actors[0], &json!({"kind": "user", "name": "physician"}));
    assert!(actors[1..].iter().all(|a| **a == panel), "{actors:?}");
    assert_eq!(out.listed["diagnosed_by"], panel);
    assert!(out
        .markdown
        .contains("**Diagnosed by:** AI panel (llm, unconstrained, fake-model)"));
    // Both acted: the physician as a Practitioner, the panel as a Device with its model.
    assert_eq!(resources(&out.fhir, "Practitioner").len(), 1);
    let devices = resources(&out.fhir, "Device");
    assert_eq!(devices.len(), 1);
    assert_eq!(devices[0]["modelNumber"], "fake-model");
}

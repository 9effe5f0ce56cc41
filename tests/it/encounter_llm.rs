//! The encounter with a language model as gatekeeper and judge, against the fake
//! OpenAI-compatible server: answers pass the leak guard, listed results need no model,
//! unlisted ones are written by it, the rubric judge scores, and a model that fails refuses the
//! step with nothing charged while the socket stays open.

use crate::common;

use common::ws::{reply_text, ws_open, Socket};
use common::{demo_token, spawn_app_with, sqlite_db, TestOptions};
use dx0::clinic::Clinic;
use dx0::llm::fake::{FakeLlm, FakeReply};
use dx0::llm::{OpenAiClient, OpenAiConfig};
use dx0::protocol::Money;
use serde_json::{json, Value};
use std::sync::Arc;
use std::time::Duration;

/// Sends a frame; the whole reply text and the last frame.
async fn exchange(socket: &mut Socket, frame: Value) -> (String, Value) {
    let (chunks, last) = common::ws::exchange(socket, frame).await;
    (reply_text(&chunks, &last), last)
}

fn script(request: &dx0::llm::fake::FakeRequest) -> FakeReply {
    let asked = request.last_user();
    if request.system().contains("map the name of a medical test") {
        return FakeReply::Text(if asked.contains("arsenic") {
            "{\"name\": \"Arsenic, blood\", \"cpt\": \"82175\", \"price\": 21.3}".into()
        } else {
            "{\"name\": null}".into()
        });
    }
    if request.system().contains("judge") {
        return FakeReply::Text(
            "```json\n{\"score\": 4, \"rationale\": \"The same core disease, less specific.\"}\n```"
                .into(),
        );
    }
    if asked.contains("fail") {
        return FakeReply::Status {
            status: 500,
            retry_after: None,
        };
    }
    if asked.contains("ordered") {
        return FakeReply::Text("Magnesium 2.0 mg/dL (ref 1.7-2.2).".into());
    }
    // A careless model that names the diagnosis in its second sentence.
    FakeReply::Text("It hurts low on the right side. I think it is appendicitis.".into())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_case_is_worked_with_the_llm_gatekeeper_and_judge() {
    let fake = FakeLlm::start(script).await;
    let client = OpenAiClient::new(
        OpenAiConfig {
            max_retries: 1,
            backoff_base: Duration::from_millis(5),
            ..OpenAiConfig::new(fake.base_url(), "fake-model")
        },
        None,
    )
    .unwrap();
    let clinic = Clinic::offline(Money(30_000), None, None).with_llm(Arc::new(client));
    let db = sqlite_db();
    let app = spawn_app_with(
        &db,
        TestOptions {
            clinic: Some(clinic),
            ..TestOptions::default()
        },
    )
    .await;
    let token = demo_token(app.addr).await;
    let mut socket = ws_open(app.addr, &format!("?token={token}"), &[])
        .await
        .unwrap();

    let (reply, done) = exchange(&mut socket, json!({"content": "Where does it hurt?"})).await;
    assert_eq!(done["type"], "done", "{done}");
    assert_eq!(
        reply, "It hurts low on the right side.",
        "the leaking sentence is withheld"
    );
    let calls = fake.requests().len();

    // Diagnosis requests never reach the model.
    let (reply, _) = exchange(&mut socket, json!({"content": "What is the diagnosis?"})).await;
    assert!(reply.contains("The diagnosis is yours to make"), "{reply}");
    assert_eq!(fake.requests().len(), calls);

    // A listed test is the case's own report; an unlisted one is written by the model.
    let (reply, _) = exchange(&mut socket, json!({"action": "test", "content": "CBC"})).await;
    assert!(reply.contains("WBC"), "{reply}");
    assert_eq!(fake.requests().len(), calls);
    let (reply, done) = exchange(
        &mut socket,
        json!({"action": "test", "content": "serum magnesium"}),
    )
    .await;
    assert_eq!(done["type"], "done", "{done}");
    assert!(reply.contains("Magnesium 2.0 mg/dL"), "{reply}");
    assert!(fake.requests().last().unwrap().last_user().contains("CPT"));

    // A name the table cannot match is mapped by the model and priced as a marked estimate…
    let (reply, done) = exchange(
        &mut socket,
        json!({"action": "test", "content": "blood arsenic level"}),
    )
    .await;
    assert_eq!(done["estimate"], true, "{done}");
    assert_eq!(done["cost"].as_f64(), Some(21.3));
    assert!(reply.contains("estimated"), "{reply}");
    // …and one that is not a test stays unknown, with suggestions.
    let (_, error) = exchange(
        &mut socket,
        json!({"action": "test", "content": "serum unobtainium"}),
    )
    .await;
    assert_eq!(error["code"], "unknown_test", "{error}");
    let (_, done) = exchange(&mut socket, json!({"action": "test", "content": "CBC"})).await;

    // The model fails: a clear error, nothing charged, the socket stays open.
    let spent = done["total_spent"].as_f64().unwrap();
    let (_, error) = exchange(&mut socket, json!({"content": "Please fail now"})).await;
    assert_eq!(error["code"], "internal", "{error}");
    assert!(
        error["error"]
            .as_str()
            .unwrap()
            .contains("Nothing was charged"),
        "{error}"
    );

    let (_, done) = exchange(
        &mut socket,
        json!({"action": "diagnosis", "content": "Inflammation of the vermiform appendix"}),
    )
    .await;
    assert_eq!(done["verdict"]["score"], 4, "{done}");
    assert_eq!(done["verdict"]["correct"], true);
    assert_eq!(
        done["verdict"]["rationale"],
        "The same core disease, less specific."
    );
    assert_eq!(done["total_spent"].as_f64().unwrap(), spent);
}

//! The LLM judge against the fake server: a malformed answer gets one repair request, then the
//! offline judge scores and says so; a model that fails falls back the same way; the exact name
//! needs no model at all; a placeholder, a question or a list never reaches the model; a model
//! score far from the offline judge's is asked again, then overruled and flagged.

use dx0::engine::{Case, Judge, LlmJudge};
use dx0::llm::fake::{FakeLlm, FakeReply};
use dx0::llm::{OpenAiClient, OpenAiConfig};
use std::sync::Arc;
use std::time::Duration;

fn case() -> Case {
    serde_json::from_value(serde_json::json!({
        "id": "gout", "title": "Painful toe", "summary": "A 52-year-old man with a hot, swollen big toe.",
        "history": [{"topic": "Pain", "keywords": ["pain"], "answer": "It began overnight."}],
        "diagnosis": "Acute gouty arthritis", "synonyms": ["gout", "podagra"],
        "family_terms": ["crystal arthritis"], "system": "musculoskeletal"
    }))
    .unwrap()
}

async fn judge_with(replies: Vec<FakeReply>) -> (FakeLlm, LlmJudge) {
    let fake = FakeLlm::sequence(replies).await;
    let client = OpenAiClient::new(
        OpenAiConfig {
            max_retries: 0,
            backoff_base: Duration::from_millis(5),
            ..OpenAiConfig::new(fake.base_url(), "judge-model")
        },
        None,
    )
    .unwrap();
    (fake, LlmJudge::new(Arc::new(client), None))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_malformed_answer_is_repaired_once() {
    let (fake, judge) = judge_with(vec![
        FakeReply::Text("I would say it is close, maybe a 3.".into()),
        FakeReply::Text(
            "{\"score\": 3, \"rationale\": \"Crystal arthritis, not named as gout.\"}".into(),
        ),
    ])
    .await;
    let j = judge
        .judge(&case(), "Crystal arthritis")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(j.score, 3);
    assert!(
        j.by.contains("language-model judge (judge-model)"),
        "{}",
        j.by
    );
    let sent = fake.requests();
    assert_eq!(sent.len(), 2);
    assert!(
        sent[1].last_user().contains("only"),
        "{}",
        sent[1].last_user()
    );
    assert_eq!(sent[0].body["response_format"]["type"], "json_object");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn unreadable_or_failing_models_fall_back_to_the_offline_judge() {
    let (fake, judge) = judge_with(vec![FakeReply::Text("{\"score\": 9}".into())]).await;
    let j = judge
        .judge(&case(), "Septic arthritis")
        .await
        .unwrap()
        .unwrap();
    assert!(j.rationale.contains("offline judge"), "{}", j.rationale);
    assert_eq!(fake.requests().len(), 2, "one repair, then the fallback");

    let (_fake, judge) = judge_with(vec![FakeReply::Status {
        status: 500,
        retry_after: None,
    }])
    .await;
    let j = judge
        .judge(&case(), "Septic arthritis")
        .await
        .unwrap()
        .unwrap();
    assert!(j.rationale.contains("did not answer"), "{}", j.rationale);
    assert!(j.score <= 3);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_name_or_a_synonym_needs_no_model() {
    let (fake, judge) = judge_with(vec![FakeReply::Text("{}".into())]).await;
    let j = judge.judge(&case(), "Podagra").await.unwrap().unwrap();
    assert_eq!(j.score, 5);
    assert!(fake.requests().is_empty());
    let mut no_key = case();
    no_key.diagnosis = None;
    assert!(judge.judge(&no_key, "gout").await.unwrap().is_none());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn what_is_not_one_diagnosis_never_reaches_the_model() {
    // A model that calls everything right.
    let (fake, judge) = judge_with(vec![FakeReply::Text(
        "{\"score\": 5, \"rationale\": \"Correct.\"}".into(),
    )])
    .await;
    for given in [
        "No diagnosis reached",
        "",
        "Could this be gout?",
        "Gout, septic arthritis or pseudogout",
    ] {
        let j = judge.judge(&case(), given).await.unwrap().unwrap();
        assert!(!j.correct(), "{given:?} judged correct: {j:?}");
        assert_eq!(j.by, "the offline judge", "{given:?}");
    }
    let placeholder = judge
        .judge(&case(), "No diagnosis reached")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(placeholder.score, 1);
    assert!(placeholder.rationale.contains("No diagnosis"));
    assert!(fake.requests().is_empty(), "nothing was sent to the model");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_model_far_from_the_offline_judge_is_asked_again_then_overruled_and_flagged() {
    // Twice 5 for a wrong disease: the offline judge's score stands, flagged.
    let (fake, judge) = judge_with(vec![FakeReply::Text(
        "{\"score\": 5, \"rationale\": \"Same thing.\"}".into(),
    )])
    .await;
    let j = judge
        .judge(&case(), "Migraine without aura")
        .await
        .unwrap()
        .unwrap();
    assert!(!j.correct(), "{j:?}");
    assert_eq!(fake.requests().len(), 2, "a second judgement was asked");
    assert_ne!(
        fake.requests()[0].body["seed"],
        fake.requests()[1].body["seed"]
    );
    assert!(
        j.by.contains("overruling the language-model judge"),
        "{}",
        j.by
    );
    assert!(j.rationale.contains("scored 5/5"), "{}", j.rationale);

    // A second judgement within a point of the offline judge settles it.
    let (_fake, judge) = judge_with(vec![
        FakeReply::Text("{\"score\": 5, \"rationale\": \"Same thing.\"}".into()),
        FakeReply::Text("{\"score\": 1, \"rationale\": \"Another disease.\"}".into()),
    ])
    .await;
    let j = judge
        .judge(&case(), "Migraine without aura")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(j.score, 1);
    assert!(j.by.contains("on a second judgement"), "{}", j.by);
}

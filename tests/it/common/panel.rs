//! A scripted panel chair and persona replies for the fake OpenAI-compatible server, shared by
//! the orchestrator tests and the `dx0 run` tests.

use dx0::engine::Case;
use dx0::llm::fake::{FakeReply, FakeRequest};

pub fn turn_of(brief: &str) -> u32 {
    brief
        .split("This is turn ")
        .nth(1)
        .and_then(|rest| rest.split_whitespace().next())
        .and_then(|n| n.parse().ok())
        .unwrap_or(0)
}

pub fn is_persona(request: &FakeRequest) -> bool {
    request.system().starts_with("You are Dr.")
}

pub fn is_consensus(request: &FakeRequest) -> bool {
    request.system().starts_with("You chair")
}

pub fn persona_reply(request: &FakeRequest) -> FakeReply {
    let text = if request.system().contains("Dr. Test-Chooser") {
        "A blood count separates infection from the rest.\nTest: Complete blood count with differential"
    } else if request.system().contains("Dr. Stewardship") {
        "The blood count is cheap and worth it."
    } else {
        "The history so far is compatible with the leading diagnosis."
    };
    FakeReply::Text(text.into())
}

pub fn json_reply(value: serde_json::Value) -> FakeReply {
    FakeReply::Text(value.to_string())
}

/// A sensible panel chair: asks on turn 1, orders a blood count on turn 2 when tests are
/// allowed, and diagnoses the case's true diagnosis when it must or afterwards. Ensemble
/// member 2 (seed 2) is sure of a wrong diagnosis, and is outvoted.
pub fn chair(cases: &[Case], request: &FakeRequest) -> FakeReply {
    let brief = request.first_user();
    let truth = cases
        .iter()
        .find(|c| brief.contains(c.summary.trim()))
        .and_then(|c| c.diagnosis.clone())
        .unwrap_or_else(|| "Unknown".into());
    let diagnose = |diagnosis: &str, confidence: f64| {
        json_reply(serde_json::json!({
            "differential": [{"diagnosis": diagnosis, "probability": 0.7}],
            "action": {"type": "diagnose", "diagnosis": diagnosis, "confidence": confidence},
            "reasons": "The findings fit."
        }))
    };
    if request.body["seed"] == 2 {
        return diagnose("Viral syndrome", 0.9);
    }
    let turn = turn_of(&brief);
    if brief.contains("must give its final diagnosis now") || turn >= 3 {
        return diagnose(&truth, 0.8);
    }
    let action = if turn == 2 && brief.contains("order up to 3 tests") {
        serde_json::json!({"type": "order", "tests": ["Complete blood count with differential"]})
    } else {
        serde_json::json!({"type": "ask", "questions": [format!("Tell me more, please (turn {turn}).")]})
    };
    json_reply(serde_json::json!({
        "differential": [{"diagnosis": truth, "probability": 0.5},
                         {"diagnosis": "Viral syndrome", "probability": 0.2}],
        "action": action,
        "reasons": "More information first."
    }))
}

/// A whole clinic on one fake endpoint: the personas, the chair, and a gatekeeper that answers
/// questions briefly and writes a plain report for tests the case does not list.
pub fn clinic(cases: &[Case], request: &FakeRequest) -> FakeReply {
    if is_persona(request) {
        persona_reply(request)
    } else if is_consensus(request) {
        chair(cases, request)
    } else if request.last_user().contains("The physician ordered") {
        FakeReply::Text("Within the reference range.".into())
    } else {
        FakeReply::Text("Nothing more to add.".into())
    }
}

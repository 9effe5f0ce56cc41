//! The LLM panel against the fake OpenAI-compatible server: every mode on every bundled case,
//! the repair request and the fallback, each injected failure (on a persona, on the consensus,
//! on the gatekeeper), the turn limit and the budget. A run that stops leaves the encounter as
//! its last step left it, and running it again finishes the case.

use crate::common;

use common::panel::{chair, is_consensus, is_persona, json_reply, persona_reply, turn_of};
use dx0::engine::library::bundled_cases;
use dx0::engine::panel::{run_panel, LlmPanel, Mode, RunOptions, RunOutcome};
use dx0::engine::{
    Case, EncounterState, Engine, EngineError, Gatekeeper, LlmGatekeeper, LlmJudge,
    OfflineGatekeeper, OfflineJudge, PriceTable,
};
use dx0::llm::fake::{FakeLlm, FakeReply};
use dx0::llm::{LlmClient, OpenAiClient, OpenAiConfig};
use dx0::protocol::{Action, Money, PanelProposal};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

const VISIT: Money = Money(30000);

fn client(fake: &FakeLlm) -> Arc<dyn LlmClient> {
    let config = OpenAiConfig {
        max_retries: 1,
        backoff_base: Duration::from_millis(2),
        timeout: Duration::from_millis(1500),
        concurrency: 8,
        ..OpenAiConfig::new(fake.base_url(), "fake-model")
    };
    Arc::new(OpenAiClient::new(config, None).expect("a client"))
}

fn state_for(mode: Mode) -> EncounterState {
    EncounterState::new(match mode {
        Mode::Budgeted => Some(Money(100_000)),
        _ => None,
    })
}

/// The encounter is consistent: what was spent is what its steps cost.
fn assert_intact(state: &EncounterState) {
    let steps: i64 = state.transcript.iter().map(|t| t.cost.0).sum();
    assert_eq!(state.spent.0, steps, "spend equals the sum of the steps");
    let tests = state
        .transcript
        .iter()
        .filter(|t| t.action == Action::Test)
        .count();
    assert!(state.ordered.len() >= tests);
    for turn in &state.panel {
        assert!(turn.at <= state.transcript.len());
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn every_mode_reaches_a_verdict_on_every_bundled_case() {
    let cases = Arc::new(bundled_cases().expect("the bundled cases"));
    let for_script = cases.clone();
    let fake = FakeLlm::start(move |request| {
        if is_persona(request) {
            persona_reply(request)
        } else {
            chair(&for_script, request)
        }
    })
    .await;
    let panel = LlmPanel::new(client(&fake));
    let prices = PriceTable::bundled();
    for case in cases.iter().filter(|c| c.diagnosis.is_some()) {
        let engine = Engine {
            case,
            prices: &prices,
            gatekeeper: &OfflineGatekeeper,
            judge: &OfflineJudge,
            visit_cost: VISIT,
            estimator: None,
        };
        for mode in Mode::ALL {
            let options = RunOptions {
                mode,
                ..RunOptions::default()
            };
            let mut state = state_for(mode);
            let outcome = run_panel(&engine, &mut state, &panel, &options, None, None).await;
            let RunOutcome::Verdict(Some(verdict)) = outcome else {
                panic!("{} in {}: {outcome:?}", case.id, mode.key());
            };
            assert!(
                verdict.correct,
                "{} in {}: {verdict:?}",
                case.id,
                mode.key()
            );
            assert_intact(&state);
            let deliberations: Vec<_> = state
                .panel
                .iter()
                .filter(|p| !p.contributions.is_empty())
                .collect();
            assert!(!deliberations.is_empty());
            for turn in &deliberations {
                assert_eq!(turn.contributions.len(), 5);
                assert!(turn
                    .contributions
                    .iter()
                    .all(|c| !c.failed && !c.text.is_empty()));
            }
            match mode {
                Mode::Instant => {
                    assert_eq!(state.transcript.len(), 1);
                    assert_eq!(state.spent, Money(0));
                }
                Mode::QuestionOnly => {
                    assert!(state.ordered.is_empty());
                    assert_eq!(state.visits, 1);
                }
                Mode::Budgeted => {
                    assert!(state.spent.0 <= 100_000);
                    assert_eq!(state.ordered.len(), 1);
                }
                Mode::Unconstrained => assert_eq!(state.transcript.len(), 3),
                Mode::Ensemble => {
                    // Three panels worked the case (each its own visit and blood count), then
                    // the vote outweighed the one confident dissenter.
                    let voters: Vec<u32> = state.panel.iter().filter_map(|p| p.member).collect();
                    for member in 1..=3 {
                        assert!(voters.contains(&member));
                    }
                    let vote = state.panel.last().unwrap();
                    assert!(vote.member.is_none() && vote.reasons.contains("Viral syndrome"));
                    assert_eq!(state.ordered.len(), 2, "member 2 diagnosed at once");
                    assert_eq!(state.visits, 2);
                    assert_eq!(verdict.given, case.diagnosis.clone().unwrap());
                }
            }
        }
    }
    // The ensemble's members were asked with different seeds and temperatures.
    let seeds: std::collections::BTreeSet<String> = fake
        .requests()
        .iter()
        .map(|r| r.body["seed"].to_string())
        .collect();
    assert!(seeds.len() >= 3, "{seeds:?}");
}

fn engine_for<'a>(
    case: &'a Case,
    prices: &'a PriceTable,
    gatekeeper: &'a dyn Gatekeeper,
) -> Engine<'a> {
    Engine {
        case,
        prices,
        gatekeeper,
        judge: &OfflineJudge,
        visit_cost: VISIT,
        estimator: None,
    }
}

fn first_case() -> Case {
    bundled_cases()
        .expect("cases")
        .into_iter()
        .find(|c| c.diagnosis.is_some())
        .expect("a judged case")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn an_unusable_consensus_is_repaired_once_then_replaced_by_a_safe_action() {
    let case = first_case();
    let cases = vec![case.clone()];
    // The first consensus answer of each turn is prose; the repair is answered properly.
    let fake = FakeLlm::start(move |request| {
        if is_persona(request) {
            return persona_reply(request);
        }
        let repairing = request.body["messages"].as_array().map_or(0, Vec::len) > 2;
        if repairing {
            chair(&cases, request)
        } else {
            FakeReply::Text("I think we should order some blood tests.".into())
        }
    })
    .await;
    let prices = PriceTable::bundled();
    let engine = engine_for(&case, &prices, &OfflineGatekeeper);
    let panel = LlmPanel::new(client(&fake));
    let mut state = EncounterState::new(None);
    let outcome = run_panel(
        &engine,
        &mut state,
        &panel,
        &RunOptions::default(),
        None,
        None,
    )
    .await;
    assert!(
        matches!(outcome, RunOutcome::Verdict(Some(ref v)) if v.correct),
        "{outcome:?}"
    );
    assert!(state.panel.iter().all(|p| p
        .notes
        .iter()
        .any(|n| n.contains("repaired answer was used"))));
    let repair = fake
        .requests()
        .into_iter()
        .find(|r| is_consensus(r) && r.body["messages"].as_array().unwrap().len() > 2)
        .expect("a repair request");
    assert!(repair
        .last_user()
        .contains("the answer holds no JSON object"));

    // Garbage every time: the panel falls back to basic history questions, then commits.
    let fake = FakeLlm::start(|request| {
        if is_persona(request) {
            persona_reply(request)
        } else {
            FakeReply::Text("{\"differential\": \"many\"}".into())
        }
    })
    .await;
    let panel = LlmPanel::new(client(&fake));
    let mut state = EncounterState::new(None);
    let options = RunOptions {
        max_turns: 3,
        ..RunOptions::default()
    };
    let outcome = run_panel(&engine, &mut state, &panel, &options, None, None).await;
    let RunOutcome::Verdict(Some(verdict)) = outcome else {
        panic!("{outcome:?}");
    };
    assert_eq!(verdict.given, "No diagnosis reached");
    assert!(!verdict.correct);
    assert_eq!(state.panel.len(), 3);
    assert!(state.panel[0].notes[0].contains("fell back to a safe action: ask"));
    assert_eq!(
        state.transcript[0].content,
        "What is the main problem, and how and when did it start?"
    );
    assert!(state.transcript[1].content.contains("medications"));
    assert_intact(&state);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn invalid_names_and_unaffordable_orders_go_back_in_the_repair_request() {
    let case = first_case();
    let cases = vec![case.clone()];
    let fake = FakeLlm::start(move |request| {
        if is_persona(request) {
            return persona_reply(request);
        }
        let brief = request.first_user();
        let repairing = request.body["messages"].as_array().map_or(0, Vec::len) > 2;
        let tests = match (turn_of(&brief), repairing) {
            (1, false) => vec!["Quantum blood scan"],
            (2, false) => vec!["MRI brain with and without contrast"],
            (1 | 2, true) => vec!["Complete blood count with differential", "Lipase"],
            _ => return chair(&cases, request),
        };
        let tests = if turn_of(&brief) == 2 && repairing {
            vec!["Basic metabolic panel"]
        } else {
            tests
        };
        json_reply(serde_json::json!({
            "differential": [],
            "action": {"type": "order", "tests": tests},
            "reasons": "Tests."
        }))
    })
    .await;
    let prices = PriceTable::bundled();
    let engine = engine_for(&case, &prices, &OfflineGatekeeper);
    let panel = LlmPanel::new(client(&fake));
    // $50: enough for a blood count, a lipase and a metabolic panel, never for an MRI or a visit.
    let mut state = EncounterState::new(Some(Money(5_000)));
    let options = RunOptions {
        mode: Mode::Budgeted,
        ..RunOptions::default()
    };
    let outcome = run_panel(&engine, &mut state, &panel, &options, None, None).await;
    assert!(
        matches!(outcome, RunOutcome::Verdict(Some(_))),
        "{outcome:?}"
    );
    assert!(state.spent.0 <= 5_000, "{}", state.spent);
    assert_eq!(state.ordered.len(), 3, "{:?}", state.ordered_names());
    let repairs: Vec<String> = fake
        .requests()
        .into_iter()
        .filter(|r| is_consensus(r) && r.body["messages"].as_array().unwrap().len() > 2)
        .map(|r| r.last_user())
        .collect();
    assert!(repairs[0].contains("\"Quantum blood scan\" is not in the price table"));
    assert!(
        repairs[1].contains("of the budget is left"),
        "{}",
        repairs[1]
    );
    // No visit was affordable, so the panel was never offered questions.
    assert!(state
        .transcript
        .iter()
        .all(|t| t.action != Action::Question));
    assert_intact(&state);
}

/// Every failure the fake can inject.
fn failures() -> Vec<FakeReply> {
    vec![
        FakeReply::Status {
            status: 500,
            retry_after: None,
        },
        FakeReply::Status {
            status: 429,
            retry_after: Some(0),
        },
        FakeReply::Hang,
        FakeReply::Malformed,
        FakeReply::EmptyChoices,
        FakeReply::Truncated("{\"differential\": [".into()),
    ]
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_failing_persona_is_noted_and_the_panel_goes_on() {
    let case = first_case();
    let prices = PriceTable::bundled();
    let engine = engine_for(&case, &prices, &OfflineGatekeeper);
    for failure in failures() {
        let cases = vec![case.clone()];
        let injected = failure.clone();
        let fake = FakeLlm::start(move |request| {
            if request.system().contains("Dr. Challenger") {
                injected.clone()
            } else if is_persona(request) {
                persona_reply(request)
            } else {
                chair(&cases, request)
            }
        })
        .await;
        let panel = LlmPanel::new(client(&fake));
        let mut state = EncounterState::new(None);
        let outcome = run_panel(
            &engine,
            &mut state,
            &panel,
            &RunOptions::default(),
            None,
            None,
        )
        .await;
        assert!(
            matches!(outcome, RunOutcome::Verdict(Some(ref v)) if v.correct),
            "{failure:?}: {outcome:?}"
        );
        for turn in &state.panel {
            let challenger = &turn.contributions[2];
            assert_eq!(challenger.persona, "challenger");
            assert!(challenger.failed, "{failure:?}");
            assert!(challenger
                .text
                .starts_with("Dr. Challenger could not take part: the language model"));
            assert!(turn
                .notes
                .iter()
                .any(|n| n.contains("Dr. Challenger could not take part")));
        }
        assert_intact(&state);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_failing_consensus_stops_the_run_or_falls_back_and_the_encounter_is_kept() {
    let case = first_case();
    let prices = PriceTable::bundled();
    let engine = engine_for(&case, &prices, &OfflineGatekeeper);
    for failure in failures() {
        let cases = vec![case.clone()];
        let injected = failure.clone();
        let broken = Arc::new(AtomicBool::new(true));
        let is_broken = broken.clone();
        // The consensus fails from turn 2 on, after one step was made.
        let fake = FakeLlm::start(move |request| {
            if is_persona(request) {
                persona_reply(request)
            } else if is_broken.load(Ordering::SeqCst) && turn_of(&request.first_user()) >= 2 {
                injected.clone()
            } else {
                chair(&cases, request)
            }
        })
        .await;
        let panel = LlmPanel::new(client(&fake));
        let mut state = EncounterState::new(None);
        let outcome = run_panel(
            &engine,
            &mut state,
            &panel,
            &RunOptions::default(),
            None,
            None,
        )
        .await;
        assert_intact(&state);
        match &failure {
            // An answer that cannot be read (a body cut short reads as malformed) is repaired,
            // then replaced by a safe action.
            FakeReply::Malformed | FakeReply::EmptyChoices | FakeReply::Truncated(_) => {
                assert!(
                    matches!(outcome, RunOutcome::Verdict(Some(_))),
                    "{failure:?}: {outcome:?}"
                );
                assert!(state.panel[1]
                    .notes
                    .iter()
                    .any(|n| n.contains("fell back to a safe action")));
            }
            // A model that cannot be reached stops the run; the first step is kept.
            _ => {
                let RunOutcome::Stopped(EngineError::PanelUnavailable(message)) = &outcome else {
                    panic!("{failure:?}: {outcome:?}");
                };
                assert!(
                    message.starts_with("The panel could not deliberate on turn 2"),
                    "{message}"
                );
                assert!(message.contains("the consensus step failed: "), "{message}");
                assert!(
                    message.contains("kept as it was: 1 step, $300.00 spent"),
                    "{message}"
                );
                assert_eq!(state.transcript.len(), 1);
                assert_eq!(state.spent, VISIT);
                assert!(state.verdict.is_none());
                // Healthy again: the same encounter is finished from where it stopped.
                broken.store(false, Ordering::SeqCst);
                let outcome = run_panel(
                    &engine,
                    &mut state,
                    &panel,
                    &RunOptions::default(),
                    None,
                    None,
                )
                .await;
                assert!(
                    matches!(outcome, RunOutcome::Verdict(Some(ref v)) if v.correct),
                    "{outcome:?}"
                );
                assert_eq!(
                    state.transcript[0].content,
                    "Tell me more, please (turn 1)."
                );
                assert_intact(&state);
            }
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_failing_gatekeeper_refuses_the_step_and_charges_nothing() {
    let case = first_case();
    let cases = vec![case.clone()];
    let broken = Arc::new(AtomicBool::new(true));
    let is_broken = broken.clone();
    let fake = FakeLlm::start(move |request| {
        if is_persona(request) {
            persona_reply(request)
        } else if is_consensus(request) {
            chair(&cases, request)
        } else if is_broken.load(Ordering::SeqCst) {
            FakeReply::Status {
                status: 503,
                retry_after: None,
            }
        } else {
            FakeReply::Text("It started three days ago.".into())
        }
    })
    .await;
    let llm = client(&fake);
    let gatekeeper = LlmGatekeeper::new(llm.clone(), None);
    let prices = PriceTable::bundled();
    let engine = engine_for(&case, &prices, &gatekeeper);
    let panel = LlmPanel::new(llm);
    let mut state = EncounterState::new(None);
    let outcome = run_panel(
        &engine,
        &mut state,
        &panel,
        &RunOptions::default(),
        None,
        None,
    )
    .await;
    let RunOutcome::Stopped(EngineError::ModelUnavailable(message)) = outcome else {
        panic!("{outcome:?}");
    };
    assert!(
        message.starts_with("Turn 1 could not be carried out"),
        "{message}"
    );
    assert!(message.contains("Nothing was charged"), "{message}");
    assert!(state.transcript.is_empty() && state.spent == Money(0));
    broken.store(false, Ordering::SeqCst);
    let outcome = run_panel(
        &engine,
        &mut state,
        &panel,
        &RunOptions::default(),
        None,
        None,
    )
    .await;
    assert!(
        matches!(outcome, RunOutcome::Verdict(Some(_))),
        "{outcome:?}"
    );
    assert!(
        state.panel[0].notes[0].starts_with("Interrupted: "),
        "{:?}",
        state.panel[0]
    );
    assert_intact(&state);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_failing_judge_is_replaced_by_the_offline_judge() {
    let case = first_case();
    let fake = FakeLlm::start(move |request| {
        if is_persona(request) {
            persona_reply(request)
        } else if is_consensus(request) {
            // A name the offline judge does not accept outright, so the rubric judge is asked.
            json_reply(serde_json::json!({
                "differential": [],
                "action": {"type": "diagnose", "diagnosis": "Tension-type headache", "confidence": 0.6},
                "reasons": "r"
            }))
        } else {
            FakeReply::Hang
        }
    })
    .await;
    let llm = client(&fake);
    let judge = LlmJudge::new(llm.clone(), None);
    let prices = PriceTable::bundled();
    let engine = Engine {
        judge: &judge,
        ..engine_for(&case, &prices, &OfflineGatekeeper)
    };
    let panel = LlmPanel::new(llm);
    let mut state = EncounterState::new(None);
    let options = RunOptions {
        mode: Mode::Instant,
        ..RunOptions::default()
    };
    let outcome = run_panel(&engine, &mut state, &panel, &options, None, None).await;
    let RunOutcome::Verdict(Some(verdict)) = outcome else {
        panic!("{outcome:?}");
    };
    assert!(
        verdict.rationale.contains("Scored by the offline judge"),
        "{verdict:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_turn_limit_forces_a_diagnosis() {
    let case = first_case();
    let cases = vec![case.clone()];
    // A chair that would ask forever unless told it must diagnose.
    let fake = FakeLlm::start(move |request| {
        if is_persona(request) {
            return persona_reply(request);
        }
        let brief = request.first_user();
        if brief.contains("must give its final diagnosis now") {
            return chair(&cases, request);
        }
        json_reply(serde_json::json!({
            "differential": [{"diagnosis": "Anxiety", "probability": 0.3}],
            "action": {"type": "ask", "questions": [format!("Question {}?", turn_of(&brief))]},
            "reasons": "Keep asking."
        }))
    })
    .await;
    let prices = PriceTable::bundled();
    let engine = engine_for(&case, &prices, &OfflineGatekeeper);
    let panel = LlmPanel::new(client(&fake));
    let mut state = EncounterState::new(None);
    let options = RunOptions {
        max_turns: 4,
        ..RunOptions::default()
    };
    let outcome = run_panel(&engine, &mut state, &panel, &options, None, None).await;
    assert!(
        matches!(outcome, RunOutcome::Verdict(Some(ref v)) if v.correct),
        "{outcome:?}"
    );
    assert_eq!(state.panel.len(), 4);
    assert!(matches!(
        state.panel[3].proposal,
        PanelProposal::Diagnose { .. }
    ));
    assert_eq!(state.transcript.len(), 4);
    assert_eq!(state.visits, 1, "three questions in one visit");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn an_ensemble_whose_panels_all_fail_stops_with_a_clear_message() {
    let case = first_case();
    let fake = FakeLlm::start(|_| FakeReply::Status {
        status: 500,
        retry_after: None,
    })
    .await;
    let prices = PriceTable::bundled();
    let engine = engine_for(&case, &prices, &OfflineGatekeeper);
    let panel = LlmPanel::new(client(&fake));
    let mut state = EncounterState::new(None);
    let options = RunOptions {
        mode: Mode::Ensemble,
        ..RunOptions::default()
    };
    let outcome = run_panel(&engine, &mut state, &panel, &options, None, None).await;
    let RunOutcome::Stopped(EngineError::NoVerdict(message)) = outcome else {
        panic!("{outcome:?}");
    };
    assert!(
        message.starts_with("No panel of the ensemble reached a diagnosis."),
        "{message}"
    );
    assert!(
        message.contains("no member of the panel could be reached"),
        "{message}"
    );
    assert!(state.transcript.is_empty() && state.status == dx0::engine::encounter::Status::Open);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn persona_words_stream_and_persona_models_are_used() {
    let case = first_case();
    let cases = vec![case.clone()];
    let fake = FakeLlm::start(move |request| {
        if is_persona(request) {
            persona_reply(request)
        } else {
            chair(&cases, request)
        }
    })
    .await;
    let prices = PriceTable::bundled();
    let engine = engine_for(&case, &prices, &OfflineGatekeeper);
    let panel = LlmPanel::new(client(&fake))
        .with_model(dx0::engine::panel::Persona::Challenger, "contrarian-model");
    let heard = std::sync::Mutex::new(String::new());
    let stepped = std::sync::Mutex::new(0);
    let sink = |event: dx0::engine::panel::RunEvent<'_>| match event {
        dx0::engine::panel::RunEvent::Words {
            persona: dx0::engine::panel::Persona::TestChooser,
            text,
            ..
        } => heard.lock().unwrap().push_str(text),
        dx0::engine::panel::RunEvent::Stepped { .. } => *stepped.lock().unwrap() += 1,
        _ => {}
    };
    let mut state = EncounterState::new(None);
    let outcome = run_panel(
        &engine,
        &mut state,
        &panel,
        &RunOptions::default(),
        Some(&sink),
        None,
    )
    .await;
    assert!(
        matches!(outcome, RunOutcome::Verdict(Some(_))),
        "{outcome:?}"
    );
    assert_eq!(*stepped.lock().unwrap(), state.transcript.len());
    // The streamed words of the three turns are the Test-Chooser's three contributions.
    let contributions: String = state
        .panel
        .iter()
        .map(|p| p.contributions[1].text.clone())
        .collect();
    assert_eq!(
        heard.lock().unwrap().replace(['\n', ' '], ""),
        contributions.replace(['\n', ' '], "")
    );
    let requests = fake.requests();
    assert!(requests
        .iter()
        .filter(|r| is_persona(r))
        .all(|r| r.stream()));
    for r in requests
        .iter()
        .filter(|r| r.system().contains("Dr. Challenger"))
    {
        assert_eq!(r.model(), "contrarian-model");
    }
    assert!(requests
        .iter()
        .filter(|r| r.system().contains("Dr. Hypothesis"))
        .all(|r| r.model() == "fake-model"));
}

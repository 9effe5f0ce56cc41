//! What real OpenAI-compatible servers do, learnt by the fake (`Quirks`), and the client's
//! answer to each: llama.cpp's interrupted streams (a bare `[DONE]`), `finish_reason:
//! "length"`, streams without usage, `response_format` refused with a 500, and chat templates
//! that drop system messages.

use crate::common;

use common::panel::{chair, is_consensus, is_persona, persona_reply};
use dx0::engine::library::bundled_cases;
use dx0::engine::panel::{run_panel, LlmPanel, Mode, RunEvent, RunOptions, RunOutcome};
use dx0::engine::{
    EncounterState, Engine, Gatekeeper, LlmGatekeeper, LlmJudge, OfflineGatekeeper, PriceTable,
};
use dx0::llm::fake::{FakeLlm, FakeReply, Quirks};
use dx0::llm::{
    ChatMessage, ChatRequest, LlmClient, LlmError, OpenAiClient, OpenAiConfig, SystemRole,
};
use dx0::protocol::{Money, ResultSource};
use std::sync::{Arc, Mutex};
use std::time::Duration;

fn config(fake: &FakeLlm) -> OpenAiConfig {
    OpenAiConfig {
        backoff_base: Duration::from_millis(10),
        timeout: Duration::from_secs(10),
        ..OpenAiConfig::new(fake.base_url(), "fake-model")
    }
}

fn ask(text: &str) -> ChatRequest {
    ChatRequest::new(vec![
        ChatMessage::system("You are terse."),
        ChatMessage::user(text),
    ])
}

const LONG: &str = "one two three four five six seven eight nine ten eleven twelve thirteen \
fourteen fifteen sixteen seventeen eighteen nineteen twenty";

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn streams_the_server_interrupts_are_retried_one_at_a_time_and_none_is_lost() {
    let fake = FakeLlm::start(|r| FakeReply::Text(format!("{} {LONG}", r.last_user()))).await;
    fake.set_quirks(Quirks {
        interrupts_streams: true,
        piece_delay: Duration::from_millis(5),
        ..Quirks::default()
    });
    let client = Arc::new(OpenAiClient::new(config(&fake), None).unwrap());
    assert!(!client.one_at_a_time());
    let shown: Arc<Mutex<Vec<String>>> = Arc::new(Mutex::new(vec![String::new(); 3]));
    let calls = (0..3).map(|i| {
        let client = client.clone();
        let shown = shown.clone();
        async move {
            let sink = move |piece: &str| shown.lock().unwrap()[i].push_str(piece);
            client
                .complete(&ask(&format!("persona {i}")), Some(&sink))
                .await
        }
    });
    let answers = futures_util::future::join_all(calls).await;
    for (i, answer) in answers.iter().enumerate() {
        let answer = answer.as_ref().expect("every stream ends complete");
        assert_eq!(answer.text, format!("persona {i} {LONG}"));
        // What was shown live is the answer once, not a partial answer and then the whole.
        assert_eq!(shown.lock().unwrap()[i], answer.text);
    }
    assert!(
        client.one_at_a_time(),
        "an interrupted stream makes the client go one call at a time"
    );
    assert!(
        fake.requests().len() > 3,
        "the interrupted streams were asked again"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bare_done_is_never_taken_for_a_complete_answer() {
    // Every request is overtaken: the stream always ends with a bare [DONE].
    let fake = FakeLlm::start(|_| FakeReply::Text(LONG.into())).await;
    fake.set_quirks(Quirks {
        interrupts_streams: true,
        piece_delay: Duration::from_millis(20),
        ..Quirks::default()
    });
    let client = OpenAiClient::new(
        OpenAiConfig {
            max_retries: 0,
            ..config(&fake)
        },
        None,
    )
    .unwrap();
    let sink = |_: &str| {};
    let a = ask("a");
    let first = client.complete(&a, Some(&sink));
    let second = async {
        tokio::time::sleep(Duration::from_millis(50)).await;
        client.complete(&ask("b"), Some(&sink)).await
    };
    let (first, second) = tokio::join!(first, second);
    assert_eq!(first, Err(LlmError::Interrupted));
    assert!(second.is_ok());
    assert!(LlmError::Interrupted
        .to_string()
        .contains("before it was finished"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_answer_cut_at_the_token_limit_gets_a_larger_budget_then_says_so() {
    let fake = FakeLlm::start(|_| FakeReply::Text(LONG.into())).await;
    fake.set_quirks(Quirks {
        honours_max_tokens: true,
        ..Quirks::default()
    });
    let client = OpenAiClient::new(config(&fake), None).unwrap();
    // 20 tokens (80 characters) are too few; 40 are enough.
    let fits = client
        .complete(
            &ChatRequest {
                max_tokens: Some(20),
                ..ask("x")
            },
            None,
        )
        .await
        .unwrap();
    assert_eq!(fits.text, LONG);
    assert!(!fits.cut_off);
    let budgets: Vec<u64> = fake
        .requests()
        .iter()
        .map(|r| r.body["max_tokens"].as_u64().unwrap())
        .collect();
    assert_eq!(budgets, vec![20, 40]);
    // 5 tokens, then 10: still cut, and the completion says so (streamed too).
    let sink = |_: &str| {};
    let cut = client
        .complete(
            &ChatRequest {
                max_tokens: Some(5),
                ..ask("y")
            },
            Some(&sink),
        )
        .await
        .unwrap();
    assert!(cut.cut_off);
    assert_eq!(cut.text.chars().count(), 40);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn streams_without_usage_are_counted_as_estimated_in_every_total() {
    let fake = FakeLlm::start(|_| FakeReply::Text("a streamed answer".into())).await;
    fake.set_quirks(Quirks {
        no_stream_usage: true,
        ..Quirks::default()
    });
    let client = OpenAiClient::new(config(&fake), None).unwrap();
    let sink = |_: &str| {};
    let streamed = client.complete(&ask("x"), Some(&sink)).await.unwrap();
    assert!(streamed.usage.estimated);
    let whole = client.complete(&ask("y"), None).await.unwrap();
    assert!(!whole.usage.estimated);
    let totals = client.totals();
    assert_eq!((totals.calls, totals.estimated_calls), (2, 1));
    let line = totals.describe();
    assert!(
        line.contains("1 of 2 calls reported no token usage"),
        "{line}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn json_mode_refused_with_a_500_falls_back_to_the_prompt() {
    let fake = FakeLlm::start(|_| FakeReply::Text("{\"ok\": true}".into())).await;
    fake.set_quirks(Quirks {
        refuses_response_format: Some(500),
        ..Quirks::default()
    });
    let client = OpenAiClient::new(config(&fake), None).unwrap();
    let json = |text: &str| ChatRequest {
        json: true,
        ..ask(text)
    };
    assert_eq!(
        client.complete(&json("a"), None).await.unwrap().text,
        "{\"ok\": true}"
    );
    client.complete(&json("b"), None).await.unwrap();
    let with_format: Vec<bool> = fake
        .requests()
        .iter()
        .map(|r| r.body.get("response_format").is_some())
        .collect();
    // Refused once, asked again without, and never again with.
    assert_eq!(with_format, vec![true, false, false]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn instructions_survive_a_template_that_drops_system_messages() {
    // The model answers from what it sees: the instructions, or it echoes the question.
    let script = |r: &dx0::llm::fake::FakeRequest| {
        let seen = format!("{}\n{}", r.system(), r.first_user());
        if seen.contains("You are terse.") {
            FakeReply::Text("terse answer".into())
        } else {
            FakeReply::Text(format!("echo: {}", r.last_user()))
        }
    };
    let fake = FakeLlm::start(script).await;
    fake.set_quirks(Quirks {
        drops_system: true,
        ..Quirks::default()
    });
    let kept = OpenAiClient::new(
        OpenAiConfig {
            system_role: SystemRole::Keep,
            ..config(&fake)
        },
        None,
    )
    .unwrap();
    assert!(kept
        .complete(&ask("hi"), None)
        .await
        .unwrap()
        .text
        .starts_with("echo"));
    let auto = OpenAiClient::new(config(&fake), None).unwrap();
    assert_eq!(
        auto.complete(&ask("hi"), None).await.unwrap().text,
        "terse answer"
    );
    let last = fake.requests().pop().unwrap();
    assert!(last.system().is_empty());
    assert!(last.first_user().starts_with("You are terse."));

    // A server that keeps system messages keeps getting them.
    let plain = FakeLlm::start(script).await;
    let client = OpenAiClient::new(config(&plain), None).unwrap();
    assert_eq!(
        client.complete(&ask("hi"), None).await.unwrap().text,
        "terse answer"
    );
    assert_eq!(plain.requests()[0].system(), "You are terse.");
}

/// llama.cpp's server on its defaults, all at once: interrupted parallel streams, answers cut at
/// `max_tokens`, streams without usage, JSON mode refused with a 500, a 2048-token window.
fn llama_cpp() -> Quirks {
    Quirks {
        interrupts_streams: true,
        honours_max_tokens: true,
        no_stream_usage: true,
        refuses_response_format: Some(500),
        piece_delay: Duration::from_millis(2),
        // llama-cpp-python's default window.
        context_window: Some(2048),
        ..Quirks::default()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn on_a_llama_cpp_server_the_panel_keeps_all_five_personas() {
    let cases = Arc::new(bundled_cases().unwrap());
    let case = cases
        .iter()
        .find(|c| c.diagnosis.is_some())
        .unwrap()
        .clone();
    let for_script = cases.clone();
    let fake = FakeLlm::start(move |request| {
        if is_persona(request) {
            persona_reply(request)
        } else if is_consensus(request) {
            chair(&for_script, request)
        } else {
            FakeReply::Text("{\"score\": 5, \"rationale\": \"Same disease.\"}".into())
        }
    })
    .await;
    fake.set_quirks(llama_cpp());
    let client: Arc<dyn LlmClient> = Arc::new(
        OpenAiClient::new(
            OpenAiConfig {
                concurrency: 4,
                ..config(&fake)
            },
            None,
        )
        .unwrap(),
    );
    let panel = LlmPanel::new(client.clone());
    let prices = PriceTable::bundled();
    let judge = LlmJudge::new(client.clone(), None);
    let engine = Engine {
        case: &case,
        prices: &prices,
        gatekeeper: &OfflineGatekeeper,
        judge: &judge,
        visit_cost: Money(30_000),
        estimator: None,
    };
    let words = Mutex::new(0usize);
    let events = |event: RunEvent<'_>| {
        if let RunEvent::Words { .. } = event {
            *words.lock().unwrap() += 1;
        }
    };
    let mut state = EncounterState::new(None);
    let options = RunOptions {
        mode: Mode::Unconstrained,
        ..RunOptions::default()
    };
    let outcome = run_panel(&engine, &mut state, &panel, &options, Some(&events), None).await;
    let RunOutcome::Verdict(Some(verdict)) = outcome else {
        panic!("{outcome:?}");
    };
    assert!(verdict.correct, "{verdict:?}");
    let deliberations: Vec<_> = state
        .panel
        .iter()
        .filter(|p| !p.contributions.is_empty())
        .collect();
    assert!(!deliberations.is_empty());
    for turn in deliberations {
        assert_eq!(turn.contributions.len(), 5);
        for c in &turn.contributions {
            assert!(!c.failed, "{} could not take part: {}", c.persona, c.text);
        }
    }
    assert!(*words.lock().unwrap() > 0, "the personas' words streamed");
    let totals = client.totals();
    assert!(totals.estimated_calls > 0, "{totals:?}");
    assert!(totals.describe().contains("estimated"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_consensus_cut_at_the_token_limit_is_repaired_for_what_it_was() {
    let cases = Arc::new(bundled_cases().unwrap());
    let case = cases
        .iter()
        .find(|c| c.diagnosis.is_some())
        .unwrap()
        .clone();
    let for_script = cases.clone();
    let fake = FakeLlm::start(move |request| {
        if is_persona(request) {
            return persona_reply(request);
        }
        let repairing = request.body["messages"].as_array().map_or(0, Vec::len) > 2;
        if is_consensus(request) && !repairing {
            // A rambling chair: its JSON never closes within the budget.
            let reasons = "because ".repeat(1_200);
            return FakeReply::Text(format!(
                "{{\"differential\": [], \"reasons\": \"{reasons}\"}}"
            ));
        }
        chair(&for_script, request)
    })
    .await;
    fake.set_quirks(Quirks {
        honours_max_tokens: true,
        ..Quirks::default()
    });
    instant_run(&fake, &case).await;
    let repair = fake
        .requests()
        .into_iter()
        .find(|r| is_consensus(r) && r.body["messages"].as_array().map_or(0, Vec::len) > 2)
        .expect("a repair request");
    assert!(
        repair.last_user().contains("cut off at the token limit"),
        "{}",
        repair.last_user()
    );
    // The first consensus request was given twice its budget before the repair.
    let budgets: Vec<u64> = fake
        .requests()
        .iter()
        .filter(|r| is_consensus(r))
        .map(|r| r.body["max_tokens"].as_u64().unwrap())
        .collect();
    assert_eq!(&budgets[..2], &[500, 1000]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_persona_that_says_nothing_is_asked_once_more_with_another_seed() {
    let cases = Arc::new(bundled_cases().unwrap());
    let case = cases
        .iter()
        .find(|c| c.diagnosis.is_some())
        .unwrap()
        .clone();
    let for_script = cases.clone();
    let fake = FakeLlm::start(move |request| {
        if is_persona(request) {
            if request.body["seed"] == 0 {
                return FakeReply::EmptyChoices;
            }
            return persona_reply(request);
        }
        chair(&for_script, request)
    })
    .await;
    let state = instant_run(&fake, &case).await;
    let turn = state
        .panel
        .iter()
        .find(|t| !t.contributions.is_empty())
        .unwrap();
    assert_eq!(turn.contributions.len(), 5);
    assert!(turn.contributions.iter().all(|c| !c.failed), "{turn:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_generation_that_fails_midway_is_asked_again_and_never_kept_half_done() {
    // OpenRouter's habits: an SSE comment before the first piece, and a generation that fails
    // upstream ends with an `error` event and `finish_reason: "error"` after part of the text.
    let calls = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let counter = calls.clone();
    let fake = FakeLlm::start(move |_| {
        if counter.fetch_add(1, std::sync::atomic::Ordering::SeqCst) % 2 == 0 {
            FakeReply::FailsMidway(LONG.into())
        } else {
            FakeReply::Text(LONG.into())
        }
    })
    .await;
    fake.set_quirks(Quirks {
        sends_comments: true,
        ..Quirks::default()
    });
    let client = OpenAiClient::new(config(&fake), None).unwrap();
    let shown = Mutex::new(String::new());
    let sink = |piece: &str| shown.lock().unwrap().push_str(piece);
    let streamed = client.complete(&ask("s"), Some(&sink)).await.unwrap();
    assert_eq!(streamed.text, LONG);
    assert_eq!(
        *shown.lock().unwrap(),
        LONG,
        "the failed half is not shown twice"
    );
    let whole = client.complete(&ask("w"), None).await.unwrap();
    assert_eq!(whole.text, LONG);
    assert_eq!(calls.load(std::sync::atomic::Ordering::SeqCst), 4);

    // When every try fails, the failure is said for what it is.
    let failing = FakeLlm::start(|_| FakeReply::FailsMidway(LONG.into())).await;
    let once = OpenAiClient::new(
        OpenAiConfig {
            max_retries: 0,
            ..config(&failing)
        },
        None,
    )
    .unwrap();
    let error = once.complete(&ask("t"), Some(&sink)).await.unwrap_err();
    assert!(
        matches!(&error, LlmError::Failed(why) if why.contains("upstream provider")),
        "{error:?}"
    );
    assert!(error
        .to_string()
        .contains("failed in the middle of the answer"));
    let error = once.complete(&ask("u"), None).await.unwrap_err();
    assert!(matches!(error, LlmError::Failed(_)), "{error:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_request_too_long_for_the_context_window_is_fitted_or_said_so() {
    let fake = FakeLlm::start(|_| FakeReply::Text(LONG.into())).await;
    // llama-cpp-python's default window is 2048 tokens; this fake's, 200 (four characters a
    // token, the messages as JSON).
    fake.set_quirks(Quirks {
        context_window: Some(200),
        honours_max_tokens: true,
        ..Quirks::default()
    });
    let client = OpenAiClient::new(config(&fake), None).unwrap();
    // The prompt fits but not with 400 tokens of answer: the answer gets the room there is.
    let fitted = client
        .complete(
            &ChatRequest {
                max_tokens: Some(400),
                ..ask("short")
            },
            None,
        )
        .await
        .unwrap();
    assert_eq!(fitted.text, LONG);
    let budgets: Vec<u64> = fake
        .requests()
        .iter()
        .map(|r| r.body["max_tokens"].as_u64().unwrap())
        .collect();
    assert_eq!(budgets.len(), 2, "{budgets:?}");
    assert_eq!(budgets[0], 400);
    assert!(budgets[1] < 200 && budgets[1] >= 64, "{budgets:?}");

    // A prompt that alone is longer than the window: a clear error naming the window.
    let long = "word ".repeat(400);
    let error = client.complete(&ask(&long), None).await.unwrap_err();
    assert!(
        matches!(
            error,
            LlmError::ContextExceeded {
                limit: Some(200),
                prompt: Some(_)
            }
        ),
        "{error:?}"
    );
    let said = error.to_string();
    assert!(said.contains("context window of 200 tokens"), "{said}");
    assert!(said.contains("--n_ctx"), "{said}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_case_longer_than_the_window_is_still_answered_from_the_case() {
    let case = bundled_cases()
        .unwrap()
        .into_iter()
        .find(|c| !c.tests.is_empty() && !c.history.is_empty())
        .unwrap();
    let prices = PriceTable::bundled();
    let fake = FakeLlm::start(|_| FakeReply::Text("I have had it for two days.".into())).await;
    fake.set_quirks(Quirks {
        context_window: Some(300),
        ..Quirks::default()
    });
    let client: Arc<dyn LlmClient> = Arc::new(OpenAiClient::new(config(&fake), None).unwrap());
    let gatekeeper = LlmGatekeeper::new(client, None);
    let question = "When did it start?";
    let answer = gatekeeper.answer(&case, question).await.unwrap();
    assert_eq!(answer, OfflineGatekeeper.answer(&case, question));
    // An unlisted test: the model is tried with the whole case, then without its results, then
    // the offline gatekeeper reports.
    let unlisted = prices.by_cpt("82390").expect("ceruloplasmin is priced");
    let report = gatekeeper.result(&case, unlisted, &prices).await.unwrap();
    let offline = OfflineGatekeeper.result(&case, unlisted, &prices);
    assert_eq!(report, offline);
    assert_ne!(report.source, ResultSource::Case);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_question_never_shows_the_model_the_cases_test_results() {
    let case = bundled_cases()
        .unwrap()
        .into_iter()
        .find(|c| !c.tests.is_empty())
        .unwrap();
    let fake = FakeLlm::start(|_| FakeReply::Text("Nothing else to tell.".into())).await;
    let client: Arc<dyn LlmClient> = Arc::new(OpenAiClient::new(config(&fake), None).unwrap());
    let gatekeeper = LlmGatekeeper::new(client, None);
    gatekeeper
        .answer(&case, "Have you had any blood tests?")
        .await
        .unwrap();
    let seen = fake.requests().pop().unwrap().last_user();
    for test in &case.tests {
        assert!(
            !seen.contains(&test.result),
            "a question showed the model the result of {}",
            test.name
        );
    }
    assert!(seen.contains(&case.history[0].answer));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_long_discussion_is_shortened_to_the_window_and_kept_whole_in_the_record() {
    let cases = Arc::new(bundled_cases().unwrap());
    let case = cases
        .iter()
        .find(|c| c.diagnosis.is_some())
        .unwrap()
        .clone();
    let for_script = cases.clone();
    // Each persona says about 2 000 characters: five of them are more than a 2 048-token window
    // holds beside the case and the answer.
    let long =
        "The findings so far fit the leading diagnosis and argue against the others. ".repeat(26);
    let said = long.clone();
    let fake = FakeLlm::start(move |request| {
        if is_persona(request) {
            FakeReply::Text(said.clone())
        } else if is_consensus(request) {
            chair(&for_script, request)
        } else {
            FakeReply::Text("{\"score\": 5, \"rationale\": \"Same disease.\"}".into())
        }
    })
    .await;
    fake.set_quirks(Quirks {
        context_window: Some(2048),
        ..Quirks::default()
    });
    let state = instant_run(&fake, &case).await;
    let turn = &state.panel[0];
    assert_eq!(turn.contributions.len(), 5);
    for c in &turn.contributions {
        assert!(!c.failed, "{} could not take part: {}", c.persona, c.text);
        // The record keeps every word; only the prompts were shortened.
        assert_eq!(c.text, long.trim());
    }
    assert!(
        turn.notes.iter().all(|n| !n.contains("fell back")),
        "{:?}",
        turn.notes
    );
    let requests = fake.requests();
    let consensus: Vec<_> = requests.iter().filter(|r| is_consensus(r)).collect();
    let last = consensus.last().unwrap().first_user();
    assert!(last.contains("[shortened to fit the model's context window]"));
    assert!(
        consensus.len() >= 2,
        "the first consensus request was refused"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_long_encounter_is_shortened_to_the_window_and_kept_whole_in_the_record() {
    let cases = Arc::new(bundled_cases().unwrap());
    let case = cases
        .iter()
        .find(|c| c.diagnosis.is_some())
        .unwrap()
        .clone();
    let for_script = cases.clone();
    let fake = FakeLlm::start(move |request| {
        if is_persona(request) {
            FakeReply::Text("The findings so far fit the leading diagnosis.".into())
        } else if is_consensus(request) {
            chair(&for_script, request)
        } else {
            FakeReply::Text("{\"score\": 5, \"rationale\": \"Same disease.\"}".into())
        }
    })
    .await;
    fake.set_quirks(Quirks {
        context_window: Some(2048),
        ..Quirks::default()
    });
    // Eight answers of about 700 characters: the case so far alone is more than the window
    // holds beside the instructions and the answer, however short the discussion.
    let mut state = EncounterState::new(None);
    let answer =
        "On examination and on further questioning the patient describes it at length. ".repeat(9);
    for i in 0..8 {
        state.transcript.push(dx0::protocol::Turn {
            action: dx0::protocol::Action::Question,
            content: format!("Question number {i} about the history?"),
            reply: answer.clone(),
            cost: Money(0),
        });
    }
    let before = state.transcript.clone();
    let state = instant_run_from(&fake, &case, state).await;
    let turn = &state.panel[0];
    for c in &turn.contributions {
        assert!(!c.failed, "{} could not take part: {}", c.persona, c.text);
    }
    // The record keeps every answer whole; only the prompts were shortened.
    assert_eq!(state.transcript[..8], before[..]);
    let requests = fake.requests();
    let consensus: Vec<_> = requests.iter().filter(|r| is_consensus(r)).collect();
    let last = consensus.last().unwrap().first_user();
    assert!(last.contains("[shortened to fit the model's context window]"));
    // Every answer keeps its start.
    assert_eq!(last.matches("On examination").count(), 8, "{last}");
}

/// One instant-mode run of the language-model panel on `case` against `fake`, with the offline
/// gatekeeper and judge: the encounter after it, which must have ended in a verdict.
async fn instant_run(fake: &FakeLlm, case: &dx0::engine::Case) -> EncounterState {
    instant_run_from(fake, case, EncounterState::new(None)).await
}

/// [`instant_run`] from an encounter already under way.
async fn instant_run_from(
    fake: &FakeLlm,
    case: &dx0::engine::Case,
    mut state: EncounterState,
) -> EncounterState {
    let client: Arc<dyn LlmClient> = Arc::new(OpenAiClient::new(config(fake), None).unwrap());
    let panel = LlmPanel::new(client);
    let prices = PriceTable::bundled();
    let engine = Engine {
        case,
        prices: &prices,
        gatekeeper: &OfflineGatekeeper,
        judge: &dx0::engine::OfflineJudge,
        visit_cost: Money(30_000),
        estimator: None,
    };
    let options = RunOptions {
        mode: Mode::Instant,
        ..RunOptions::default()
    };
    let outcome = run_panel(&engine, &mut state, &panel, &options, None, None).await;
    assert!(
        matches!(outcome, RunOutcome::Verdict(Some(_))),
        "{outcome:?}"
    );
    state
}

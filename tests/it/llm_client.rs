//! The OpenAI-compatible client against the fake server: answers, streaming, retries and
//! `Retry-After`, every injected failure, the response cache, the concurrency limit, accounting,
//! JSON mode, and that the key never shows.

use dx0::clinic::StoreCache;
use dx0::llm::fake::{FakeLlm, FakeReply};
use dx0::llm::{
    ChatMessage, ChatRequest, LlmClient, LlmError, OpenAiClient, OpenAiConfig, Pricing,
};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

const KEY: &str = "sk-test-0123456789abcdef";

fn config(fake: &FakeLlm) -> OpenAiConfig {
    OpenAiConfig {
        api_key: Some(KEY.into()),
        backoff_base: Duration::from_millis(10),
        timeout: Duration::from_secs(5),
        pricing: Pricing {
            input_per_1k_micros: 2_500,   // $0.0025 per 1K prompt tokens
            output_per_1k_micros: 10_000, // $0.01 per 1K completion tokens
        },
        ..OpenAiConfig::new(fake.base_url(), "fake-model")
    }
}

fn ask(text: &str) -> ChatRequest {
    ChatRequest::new(vec![
        ChatMessage::system("You are terse."),
        ChatMessage::user(text),
    ])
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn an_answer_with_usage_cost_model_and_key() {
    let fake = FakeLlm::start(|r| FakeReply::Text(format!("You said: {}", r.last_user()))).await;
    let client = OpenAiClient::new(config(&fake), None).unwrap();
    let answer = client.complete(&ask("hello"), None).await.unwrap();
    assert_eq!(answer.text, "You said: hello");
    assert_eq!(answer.model, "fake-model");
    // The fake counts four characters of the messages it saw a token, as the server reported.
    let prompt = answer.usage.prompt_tokens;
    assert!(prompt > 0);
    assert!(!answer.usage.estimated);
    // prompt tokens × $0.0025/1K + 4 completion tokens × $0.01/1K
    assert_eq!(
        answer.cost_micros,
        ((prompt * 2_500 + 4 * 10_000 + 500) / 1_000) as i64
    );
    let sent = &fake.requests()[0];
    assert_eq!(
        sent.authorization.as_deref(),
        Some(&*format!("Bearer {KEY}"))
    );
    assert_eq!(sent.system(), "You are terse.");
    assert!(!sent.stream());
    assert_eq!(client.totals().calls, 1);
    assert_eq!(client.totals().cost_micros, answer.cost_micros);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn streaming_delivers_the_text_as_it_comes() {
    let fake = FakeLlm::start(|_| FakeReply::Text("one two three four five".into())).await;
    let client = OpenAiClient::new(config(&fake), None).unwrap();
    let pieces = Arc::new(Mutex::new(Vec::<String>::new()));
    let sink = {
        let pieces = pieces.clone();
        move |piece: &str| pieces.lock().unwrap().push(piece.to_string())
    };
    let answer = client.complete(&ask("count"), Some(&sink)).await.unwrap();
    assert_eq!(answer.text, "one two three four five");
    let pieces = pieces.lock().unwrap().clone();
    assert!(pieces.len() >= 5, "{pieces:?}");
    assert_eq!(pieces.concat(), answer.text);
    assert!(fake.requests()[0].stream());
    assert_eq!(
        answer.usage.completion_tokens, 6,
        "usage from the stream's last chunk"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn without_reported_usage_tokens_are_estimated() {
    let fake = FakeLlm::start(|_| FakeReply::TextWithoutUsage("12345678".into())).await;
    let client = OpenAiClient::new(config(&fake), None).unwrap();
    let answer = client.complete(&ask("x"), None).await.unwrap();
    assert!(answer.usage.estimated);
    assert_eq!(answer.usage.completion_tokens, 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn passing_failures_are_retried_and_retry_after_is_honoured() {
    let fake = FakeLlm::sequence(vec![
        FakeReply::Status {
            status: 429,
            retry_after: Some(1),
        },
        FakeReply::Status {
            status: 503,
            retry_after: None,
        },
        FakeReply::Text("finally".into()),
    ])
    .await;
    let client = OpenAiClient::new(config(&fake), None).unwrap();
    let started = Instant::now();
    let answer = client.complete(&ask("x"), None).await.unwrap();
    assert_eq!(answer.text, "finally");
    assert_eq!(fake.requests().len(), 3);
    assert!(
        started.elapsed() >= Duration::from_secs(1),
        "the server asked for a one-second wait"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn every_injected_failure_ends_in_a_clear_error() {
    // (what the fake does, the error it must give, how many requests it takes)
    type Case = (FakeReply, fn(&LlmError) -> bool, usize);
    let cases: Vec<Case> = vec![
        // Not worth retrying: one request.
        (
            FakeReply::Malformed,
            |e| matches!(e, LlmError::Malformed(_)),
            1,
        ),
        (FakeReply::EmptyChoices, |e| matches!(e, LlmError::Empty), 1),
        (
            FakeReply::Status {
                status: 401,
                retry_after: None,
            },
            |e| matches!(e, LlmError::Status { status: 401, .. }),
            1,
        ),
        // Retried (3 retries): four requests.
        (
            FakeReply::Status {
                status: 500,
                retry_after: None,
            },
            |e| matches!(e, LlmError::Status { status: 500, .. }),
            4,
        ),
        (
            FakeReply::Status {
                status: 429,
                retry_after: None,
            },
            |e| matches!(e, LlmError::RateLimited),
            4,
        ),
    ];
    for (reply, expected, requests) in cases {
        let fake = FakeLlm::start({
            let reply = reply.clone();
            move |_| reply.clone()
        })
        .await;
        let client = OpenAiClient::new(config(&fake), None).unwrap();
        let error = client.complete(&ask("x"), None).await.unwrap_err();
        assert!(expected(&error), "{reply:?} gave {error:?}");
        assert_eq!(fake.requests().len(), requests, "{reply:?}");
        let text = error.to_string();
        assert!(!text.contains(KEY), "the key leaked into {text}");
        assert!(!text.is_empty());
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_stream_cut_off_is_truncated_and_a_hang_times_out() {
    let fake = FakeLlm::start(|_| FakeReply::Truncated("one two three four five six".into())).await;
    let client = OpenAiClient::new(config(&fake), None).unwrap();
    let shown = Mutex::new(String::new());
    let sink = |piece: &str| shown.lock().unwrap().push_str(piece);
    let error = client.complete(&ask("x"), Some(&sink)).await.unwrap_err();
    assert_eq!(error, LlmError::Truncated);
    // Retried (three times by default); the text already shown is not shown again.
    assert_eq!(fake.requests().len(), 4);
    assert_eq!(*shown.lock().unwrap(), "one two three ");
    // Cut off mid-body without streaming: malformed.
    let error = client.complete(&ask("y"), None).await.unwrap_err();
    assert!(matches!(error, LlmError::Malformed(_)), "{error:?}");

    let fake = FakeLlm::start(|_| FakeReply::Hang).await;
    let client = OpenAiClient::new(
        OpenAiConfig {
            timeout: Duration::from_millis(200),
            max_retries: 1,
            ..config(&fake)
        },
        None,
    )
    .unwrap();
    let error = client.complete(&ask("x"), None).await.unwrap_err();
    assert!(matches!(error, LlmError::Timeout(_)), "{error:?}");
    assert_eq!(fake.requests().len(), 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_database_cache_answers_repeats_for_free() {
    let dir = tempfile::tempdir().unwrap();
    let store = dx0::store::open(&format!("sqlite:{}", dir.path().join("c.db").display()))
        .await
        .unwrap();
    let fake = FakeLlm::start(|r| FakeReply::Text(format!("answer to {}", r.last_user()))).await;
    let client = OpenAiClient::new(
        config(&fake),
        Some(Arc::new(StoreCache::new(store.clone()))),
    )
    .unwrap();
    let first = client.complete(&ask("q"), None).await.unwrap();
    assert!(!first.cached);
    let again = client.complete(&ask("q"), None).await.unwrap();
    assert!(again.cached);
    assert_eq!(again.text, first.text);
    assert_eq!(again.cost_micros, 0);
    assert_eq!(fake.requests().len(), 1);
    // Other sampling parameters are another question.
    let warmer = ChatRequest {
        temperature: 0.7,
        ..ask("q")
    };
    assert!(!client.complete(&warmer, None).await.unwrap().cached);
    assert_eq!(fake.requests().len(), 2);
    // A new client on the same database (a restart) still has it.
    let later = OpenAiClient::new(config(&fake), Some(Arc::new(StoreCache::new(store)))).unwrap();
    assert!(later.complete(&ask("q"), None).await.unwrap().cached);
    let totals = client.totals();
    assert_eq!((totals.calls, totals.cache_hits), (3, 1));
    assert_eq!(totals.cost_micros, 2 * first.cost_micros);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn no_more_calls_in_flight_than_the_limit() {
    let fake = FakeLlm::start(|_| FakeReply::Text("ok".into())).await;
    fake.set_latency(Duration::from_millis(150));
    let client = Arc::new(
        OpenAiClient::new(
            OpenAiConfig {
                concurrency: 2,
                ..config(&fake)
            },
            None,
        )
        .unwrap(),
    );
    let calls: Vec<_> = (0..6)
        .map(|i| {
            let client = client.clone();
            tokio::spawn(async move { client.complete(&ask(&format!("q{i}")), None).await })
        })
        .collect();
    for call in calls {
        call.await.unwrap().unwrap();
    }
    assert_eq!(fake.requests().len(), 6);
    assert_eq!(fake.max_in_flight(), 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn json_mode_is_asked_for_and_dropped_where_refused() {
    let fake = FakeLlm::start(|r| {
        if r.body.get("response_format").is_some() {
            FakeReply::BadRequest("unknown parameter: response_format".into())
        } else {
            FakeReply::Text("{\"ok\": true}".into())
        }
    })
    .await;
    let client = OpenAiClient::new(config(&fake), None).unwrap();
    let request = ChatRequest {
        json: true,
        ..ask("json please")
    };
    assert_eq!(
        client.complete(&request, None).await.unwrap().text,
        "{\"ok\": true}"
    );
    let sent = fake.requests();
    assert_eq!(sent.len(), 2);
    assert_eq!(sent[0].body["response_format"]["type"], "json_object");
    assert!(sent[1].body.get("response_format").is_none());
    // Remembered: the next JSON request goes without it at once.
    client
        .complete(
            &ChatRequest {
                json: true,
                ..ask("again")
            },
            None,
        )
        .await
        .unwrap();
    assert_eq!(fake.requests().len(), 3);
}

#[test]
fn the_key_is_redacted_in_debug_output() {
    let config = OpenAiConfig {
        api_key: Some(KEY.into()),
        ..OpenAiConfig::new("http://localhost/v1", "m")
    };
    let text = format!("{config:?}");
    assert!(!text.contains(KEY) && text.contains("[redacted]"), "{text}");
}

#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl std::io::Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[tokio::test(flavor = "current_thread")]
async fn the_key_never_reaches_the_logs_even_when_the_endpoint_echoes_it() {
    let captured = Captured::default();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_writer({
            let captured = captured.clone();
            move || captured.clone()
        })
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);
    let fake = FakeLlm::sequence(vec![
        FakeReply::Status {
            status: 500,
            retry_after: None,
        },
        FakeReply::Status {
            status: 403,
            retry_after: None,
        },
    ])
    .await;
    let client = OpenAiClient::new(config(&fake), None).unwrap();
    let error = client.complete(&ask("x"), None).await.unwrap_err();
    assert!(matches!(error, LlmError::Status { status: 403, .. }));
    let logs = String::from_utf8(captured.0.lock().unwrap().clone()).unwrap();
    assert!(
        logs.contains("injected failure"),
        "the failures were logged: {logs}"
    );
    assert!(!logs.contains(KEY), "the key leaked into the logs: {logs}");
}

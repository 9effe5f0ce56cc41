//! A fake OpenAI-compatible server for tests: real HTTP on a free port, replies chosen by a
//! script from each request, optional latency, and failure injection (timeouts, 429, 500,
//! malformed JSON, truncated streams, empty choices), and the habits of real servers
//! ([`Quirks`]: llama.cpp's interrupted streams, `finish_reason: "length"`, streams without
//! usage, `response_format` refused with a 500, chat templates that drop system messages).

use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::Router;
use serde_json::{json, Value};
use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// What the fake answers to one request.
#[derive(Debug, Clone, PartialEq)]
pub enum FakeReply {
    /// A normal answer (streamed in pieces when the request asks for a stream).
    Text(String),
    /// A normal answer that reports no token usage.
    TextWithoutUsage(String),
    /// An HTTP error, optionally with `Retry-After` seconds.
    Status {
        /// The status code.
        status: u16,
        /// `Retry-After`, in seconds.
        retry_after: Option<u64>,
    },
    /// A 400 with this error message (e.g. an endpoint refusing a parameter).
    BadRequest(String),
    /// A 200 whose body is not a chat completion.
    Malformed,
    /// A 200 with `choices: []`.
    EmptyChoices,
    /// The first part of the text, then the connection ends (no `[DONE]`, no finish reason).
    Truncated(String),
    /// The first half of the text, then an `error` event with `finish_reason: "error"` and
    /// `[DONE]`, as OpenRouter ends a generation that failed upstream (not streamed: a 200 whose
    /// body is only an `error` object).
    FailsMidway(String),
    /// No answer for an hour: the client's timeout has to act.
    Hang,
}

/// Habits of real OpenAI-compatible servers, off by default.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Quirks {
    /// llama.cpp's server on its defaults: a request that comes while a stream is running ends
    /// that stream with a bare `data: [DONE]` (no `finish_reason`).
    pub interrupts_streams: bool,
    /// Answers longer than the request's `max_tokens` (four characters a token) are cut there
    /// and end with `finish_reason: "length"`.
    pub honours_max_tokens: bool,
    /// Streams carry no `usage`, even when `stream_options.include_usage` asks.
    pub no_stream_usage: bool,
    /// A request with `response_format` is refused with this status (llama.cpp: 500).
    pub refuses_response_format: Option<u16>,
    /// The chat template drops system messages: the script never sees them.
    pub drops_system: bool,
    /// The pause between two streamed pieces (for `interrupts_streams`; default none).
    pub piece_delay: Duration,
    /// The model's context window in tokens: a request whose prompt and `max_tokens` exceed it
    /// is refused with HTTP 400 in llama-cpp-python's (and OpenAI's) words.
    pub context_window: Option<u64>,
    /// Streams open with an SSE comment (`: OPENROUTER PROCESSING`), as OpenRouter keeps a
    /// connection alive while the model has not started.
    pub sends_comments: bool,
}

/// A request the fake received.
#[derive(Debug, Clone)]
pub struct FakeRequest {
    /// The JSON body.
    pub body: Value,
    /// The `Authorization` header, if any.
    pub authorization: Option<String>,
}

impl FakeRequest {
    /// The text of the last user message.
    pub fn last_user(&self) -> String {
        self.messages("user").last().cloned().unwrap_or_default()
    }

    /// The text of the first user message.
    pub fn first_user(&self) -> String {
        self.messages("user").first().cloned().unwrap_or_default()
    }

    /// The text of the system message(s).
    pub fn system(&self) -> String {
        self.messages("system").join("\n")
    }

    /// True when the request asked for a stream.
    pub fn stream(&self) -> bool {
        self.body["stream"] == true
    }

    /// The model asked for.
    pub fn model(&self) -> String {
        self.body["model"].as_str().unwrap_or_default().to_string()
    }

    fn messages(&self, role: &str) -> Vec<String> {
        self.body["messages"]
            .as_array()
            .map(|list| {
                list.iter()
                    .filter(|m| m["role"] == role)
                    .filter_map(|m| m["content"].as_str().map(str::to_string))
                    .collect()
            })
            .unwrap_or_default()
    }
}

type Script = dyn Fn(&FakeRequest) -> FakeReply + Send + Sync;

struct Shared {
    script: Box<Script>,
    received: Mutex<Vec<FakeRequest>>,
    latency: Mutex<Duration>,
    in_flight: AtomicUsize,
    max_in_flight: AtomicUsize,
    quirks: Mutex<Quirks>,
    /// Requests received so far: a running stream that sees it grow was interrupted.
    arrivals: AtomicUsize,
}

/// A running fake endpoint; stops when dropped.
pub struct FakeLlm {
    addr: SocketAddr,
    shared: Arc<Shared>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for FakeLlm {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl FakeLlm {
    /// Starts a fake whose replies `script` chooses from each request.
    pub async fn start(script: impl Fn(&FakeRequest) -> FakeReply + Send + Sync + 'static) -> Self {
        let shared = Arc::new(Shared {
            script: Box::new(script),
            received: Mutex::new(Vec::new()),
            latency: Mutex::new(Duration::ZERO),
            in_flight: AtomicUsize::new(0),
            max_in_flight: AtomicUsize::new(0),
            quirks: Mutex::new(Quirks::default()),
            arrivals: AtomicUsize::new(0),
        });
        let app = Router::new()
            .route("/v1/chat/completions", post(answer))
            .route("/chat/completions", post(answer))
            .with_state(shared.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("a free port for the fake LLM");
        let addr = listener.local_addr().expect("its address");
        let task = tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Self { addr, shared, task }
    }

    /// Starts a fake that gives `replies` in order, then the last one again and again.
    pub async fn sequence(replies: Vec<FakeReply>) -> Self {
        let replies = Mutex::new(
            replies
                .into_iter()
                .collect::<std::collections::VecDeque<_>>(),
        );
        Self::start(move |_| {
            let mut queue = replies.lock().unwrap_or_else(|e| e.into_inner());
            if queue.len() > 1 {
                queue.pop_front().unwrap_or(FakeReply::EmptyChoices)
            } else {
                queue.front().cloned().unwrap_or(FakeReply::EmptyChoices)
            }
        })
        .await
    }

    /// The API base to configure a client with (`http://127.0.0.1:PORT/v1`).
    pub fn base_url(&self) -> String {
        format!("http://{}/v1", self.addr)
    }

    /// Every request received so far, in order.
    pub fn requests(&self) -> Vec<FakeRequest> {
        self.shared
            .received
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// The most requests that were being answered at the same moment.
    pub fn max_in_flight(&self) -> usize {
        self.shared.max_in_flight.load(Ordering::SeqCst)
    }

    /// Behaves like a real server in these ways from now on.
    pub fn set_quirks(&self, quirks: Quirks) {
        *self.shared.quirks.lock().unwrap_or_else(|e| e.into_inner()) = quirks;
    }

    /// Waits this long before answering each request.
    pub fn set_latency(&self, latency: Duration) {
        *self
            .shared
            .latency
            .lock()
            .unwrap_or_else(|e| e.into_inner()) = latency;
    }
}

async fn answer(State(shared): State<Arc<Shared>>, headers: HeaderMap, body: Bytes) -> Response {
    let Ok(body) = serde_json::from_slice::<Value>(&body) else {
        return (StatusCode::BAD_REQUEST, "the body is not JSON").into_response();
    };
    let quirks = shared
        .quirks
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .clone();
    let request = FakeRequest {
        body,
        authorization: headers
            .get("authorization")
            .and_then(|v| v.to_str().ok())
            .map(str::to_string),
    };
    // What the model sees: a template that drops system messages drops them.
    let seen = if quirks.drops_system {
        let mut body = request.body.clone();
        if let Some(list) = body["messages"].as_array_mut() {
            list.retain(|m| m["role"] != "system");
        }
        FakeRequest {
            body,
            authorization: request.authorization.clone(),
        }
    } else {
        request.clone()
    };
    let prompt_tokens = tokens(&seen.body["messages"].to_string());
    // The client's check of whether system messages are kept is answered like any model would,
    // outside the script and the record of requests.
    if seen.last_user() == crate::llm::SYSTEM_PROBE && request.body["max_tokens"] == 1 {
        return axum::Json(json!({
            "id": "fake-probe", "object": "chat.completion", "model": request.model(),
            "choices": [{"index": 0, "message": {"role": "assistant", "content": "ready"},
                         "finish_reason": "length"}],
            "usage": {"prompt_tokens": prompt_tokens, "completion_tokens": 1,
                      "total_tokens": prompt_tokens + 1},
        }))
        .into_response();
    }
    let arrival = shared.arrivals.fetch_add(1, Ordering::SeqCst) + 1;
    shared
        .received
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .push(request.clone());
    let now = shared.in_flight.fetch_add(1, Ordering::SeqCst) + 1;
    shared.max_in_flight.fetch_max(now, Ordering::SeqCst);
    let latency = *shared.latency.lock().unwrap_or_else(|e| e.into_inner());
    if !latency.is_zero() {
        tokio::time::sleep(latency).await;
    }
    shared.in_flight.fetch_sub(1, Ordering::SeqCst);
    if let Some(window) = quirks.context_window {
        let budget = request.body["max_tokens"].as_u64().unwrap_or(16);
        if prompt_tokens + budget > window {
            let message = format!(
                "This model's maximum context length is {window} tokens. However, you requested \
                 {} tokens ({prompt_tokens} in the messages, {budget} in the completion). Please \
                 reduce the length of the messages or completion.",
                prompt_tokens + budget
            );
            return (
                StatusCode::BAD_REQUEST,
                axum::Json(json!({"error": {
                    "message": message, "type": "invalid_request_error", "param": "messages",
                    "code": "context_length_exceeded"
                }})),
            )
                .into_response();
        }
    }
    if let Some(status) = quirks.refuses_response_format {
        if request.body.get("response_format").is_some() {
            let status = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
            return (
                status,
                axum::Json(json!({"error": {
                    "message": "response_format: this chat format does not support it",
                    "type": "internal_server_error"
                }})),
            )
                .into_response();
        }
    }
    let model = request.model();
    let max_chars = request.body["max_tokens"]
        .as_u64()
        .filter(|_| quirks.honours_max_tokens)
        .map(|t| t.saturating_mul(4) as usize);
    let style = Style {
        stream: request.stream(),
        usage: !(quirks.no_stream_usage && request.stream()),
        complete: true,
        max_chars,
        interrupt: quirks.interrupts_streams.then(|| (shared.clone(), arrival)),
        piece_delay: quirks.piece_delay,
        prompt_tokens,
        fails: false,
        comments: quirks.sends_comments,
    };
    match (shared.script)(&seen) {
        FakeReply::Text(text) => reply(&model, &text, style),
        FakeReply::TextWithoutUsage(text) => reply(
            &model,
            &text,
            Style {
                usage: false,
                ..style
            },
        ),
        FakeReply::Truncated(text) => reply(
            &model,
            &text,
            Style {
                usage: false,
                complete: false,
                ..style
            },
        ),
        FakeReply::FailsMidway(text) => reply(
            &model,
            &text,
            Style {
                usage: false,
                fails: true,
                ..style
            },
        ),
        FakeReply::Status {
            status,
            retry_after,
        } => {
            let status = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
            // Like some proxies, it echoes the credentials it saw: clients must not repeat them.
            let seen = request.authorization.clone().unwrap_or_default();
            let mut response = (
                status,
                axum::Json(json!({"error": {"message": format!("injected failure ({seen})"), "type": "fake"}})),
            )
                .into_response();
            if let Some(seconds) = retry_after {
                if let Ok(value) = seconds.to_string().parse() {
                    response.headers_mut().insert("retry-after", value);
                }
            }
            response
        }
        FakeReply::BadRequest(message) => (
            StatusCode::BAD_REQUEST,
            axum::Json(json!({"error": {"message": message, "type": "invalid_request_error"}})),
        )
            .into_response(),
        FakeReply::Malformed => (
            StatusCode::OK,
            [("content-type", "application/json")],
            "{\"choices\": [ {\"message\": ",
        )
            .into_response(),
        FakeReply::EmptyChoices => axum::Json(json!({
            "id": "fake", "object": "chat.completion", "model": model, "choices": []
        }))
        .into_response(),
        FakeReply::Hang => {
            tokio::time::sleep(Duration::from_secs(3600)).await;
            StatusCode::GATEWAY_TIMEOUT.into_response()
        }
    }
}

fn tokens(text: &str) -> u64 {
    (text.chars().count() as u64).div_ceil(4).max(1)
}

/// How a reply is given.
struct Style {
    stream: bool,
    usage: bool,
    /// False: cut off half-way, the connection closed.
    complete: bool,
    /// Cut at this many characters, `finish_reason: "length"`.
    max_chars: Option<usize>,
    /// Ends the stream with a bare `[DONE]` once a request after this one arrives.
    interrupt: Option<(Arc<Shared>, usize)>,
    piece_delay: Duration,
    prompt_tokens: u64,
    /// Half the text, then an `error` event (whole: a 200 with only an `error` object).
    fails: bool,
    /// The stream opens with an SSE comment.
    comments: bool,
}

/// A chat completion, whole or as a stream.
fn reply(model: &str, text: &str, style: Style) -> Response {
    let (text, finish) = match style.max_chars {
        Some(max) if text.chars().count() > max => {
            (text.chars().take(max).collect::<String>(), "length")
        }
        _ => (text.to_string(), "stop"),
    };
    let text = text.as_str();
    let (stream, usage, complete) = (style.stream, style.usage, style.complete);
    let usage_value = json!({
        "prompt_tokens": style.prompt_tokens,
        "completion_tokens": tokens(text),
        "total_tokens": style.prompt_tokens + tokens(text),
    });
    let failure = json!({"message": "upstream provider returned an error", "code": 502});
    if !stream {
        if style.fails {
            return axum::Json(json!({"error": failure})).into_response();
        }
        if !complete {
            let whole = json!({"choices": [{"message": {"role": "assistant", "content": text}}]})
                .to_string();
            let cut: String = whole.chars().take(whole.chars().count() / 2).collect();
            return (StatusCode::OK, [("content-type", "application/json")], cut).into_response();
        }
        let mut body = json!({
            "id": "fake-1",
            "object": "chat.completion",
            "model": model,
            "choices": [{
                "index": 0,
                "message": {"role": "assistant", "content": text},
                "finish_reason": finish,
            }],
        });
        if usage {
            body["usage"] = usage_value;
        }
        return axum::Json(body).into_response();
    }
    let pieces: Vec<String> = text.split_inclusive(' ').map(str::to_string).collect();
    let keep = if complete && !style.fails {
        pieces.len()
    } else {
        pieces.len() / 2
    };
    let opening = style
        .comments
        .then(|| ": OPENROUTER PROCESSING\n\n".to_string());
    let mut events: Vec<String> = opening
        .into_iter()
        .chain(pieces.iter().take(keep).map(|piece| {
            let chunk = json!({
                "id": "fake-1", "object": "chat.completion.chunk", "model": model,
                "choices": [{"index": 0, "delta": {"content": piece}, "finish_reason": null}],
            });
            format!("data: {chunk}\n\n")
        }))
        .collect();
    if style.fails {
        let end = json!({
            "id": "fake-1", "object": "chat.completion.chunk", "model": model, "error": failure,
            "choices": [{"index": 0, "delta": {}, "finish_reason": "error"}],
        });
        events.push(format!("data: {end}\n\n"));
        events.push("data: [DONE]\n\n".to_string());
    } else if complete {
        let end = json!({
            "id": "fake-1", "object": "chat.completion.chunk", "model": model,
            "choices": [{"index": 0, "delta": {}, "finish_reason": finish}],
        });
        events.push(format!("data: {end}\n\n"));
        if usage {
            let tail = json!({
                "id": "fake-1", "object": "chat.completion.chunk", "model": model,
                "choices": [], "usage": usage_value,
            });
            events.push(format!("data: {tail}\n\n"));
        }
        events.push("data: [DONE]\n\n".to_string());
    }
    let delay = style.piece_delay;
    let interrupt = style.interrupt;
    // Each event after the pause; a stream overtaken by a later request ends at once with a
    // bare `[DONE]`, as llama.cpp's server ends it.
    let stream =
        futures_util::stream::unfold((events.into_iter(), false), move |(mut rest, over)| {
            let interrupt = interrupt.clone();
            async move {
                if over {
                    return None;
                }
                if !delay.is_zero() {
                    tokio::time::sleep(delay).await;
                }
                let overtaken = interrupt
                    .as_ref()
                    .is_some_and(|(shared, mine)| shared.arrivals.load(Ordering::SeqCst) > *mine);
                if overtaken {
                    let done = Bytes::from("data: [DONE]\n\n");
                    return Some((Ok::<_, std::io::Error>(done), (rest, true)));
                }
                let event = rest.next()?;
                Some((Ok(Bytes::from(event)), (rest, false)))
            }
        });
    (
        StatusCode::OK,
        [("content-type", "text/event-stream")],
        Body::from_stream(stream),
    )
        .into_response()
}

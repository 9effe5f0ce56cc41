//! The OpenAI-compatible chat-completions client: OpenAI, Azure-style gateways, vLLM, llama.cpp
//! server, Ollama's `/v1`, LM Studio, OpenRouter… Streaming (SSE), JSON mode where the endpoint
//! takes it, a timeout per attempt, retries with jittered exponential backoff on 429/5xx that
//! honour `Retry-After`, a concurrency limit, the response cache, and accounting.

use super::cache::{cache_key, ResponseCache};
use super::client::{
    ChatMessage, ChatRequest, Completion, LlmClient, LlmError, Pricing, Role, TokenSink, Totals,
    TotalsSnapshot, Usage,
};
use super::sse::{SseBuffer, SseEvent};
use async_trait::async_trait;
use futures_util::StreamExt;
use rand::Rng;
use serde_json::{json, Value};
use std::fmt;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::Semaphore;

/// The longest wait between two attempts, whatever `Retry-After` says.
const MAX_BACKOFF: Duration = Duration::from_secs(30);

/// Where a request's instructions (its system messages) go.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SystemRole {
    /// Found out on the first call: folded when the endpoint counts the same prompt tokens with
    /// and without a system message (its chat template drops them).
    #[default]
    Auto,
    /// Sent as system messages.
    Keep,
    /// Put at the head of the first user message, which every chat template keeps.
    Fold,
}

impl SystemRole {
    /// `auto`, `keep` or `fold`.
    pub fn parse(text: &str) -> Option<Self> {
        match text.trim().to_ascii_lowercase().as_str() {
            "auto" => Some(Self::Auto),
            "keep" | "system" => Some(Self::Keep),
            "fold" | "user" => Some(Self::Fold),
            _ => None,
        }
    }
}

/// The user message of the two one-token requests that find out whether the endpoint's chat
/// template keeps system messages.
pub const SYSTEM_PROBE: &str = "Reply with the single word: ready";

/// How to reach the endpoint.
#[derive(Clone)]
pub struct OpenAiConfig {
    /// The API base, up to and including `/v1` (e.g. `https://api.openai.com/v1`,
    /// `http://localhost:11434/v1`).
    pub base_url: String,
    /// The model used when a request names none.
    pub model: String,
    /// Sent as `Authorization: Bearer …`; never logged or printed.
    pub api_key: Option<String>,
    /// The longest one attempt may take, streaming included.
    pub timeout: Duration,
    /// Further attempts after a retryable failure.
    pub max_retries: u32,
    /// The first backoff; each retry doubles it (with jitter).
    pub backoff_base: Duration,
    /// Calls in flight at once.
    pub concurrency: usize,
    /// Prices per 1 000 tokens.
    pub pricing: Pricing,
    /// Ask for JSON objects with `response_format` when a request wants JSON.
    pub json_mode: bool,
    /// Where instructions go.
    pub system_role: SystemRole,
}

impl fmt::Debug for OpenAiConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OpenAiConfig")
            .field("base_url", &self.base_url)
            .field("model", &self.model)
            .field("api_key", &self.api_key.as_ref().map(|_| "[redacted]"))
            .field("timeout", &self.timeout)
            .field("max_retries", &self.max_retries)
            .field("concurrency", &self.concurrency)
            .field("pricing", &self.pricing)
            .field("json_mode", &self.json_mode)
            .field("system_role", &self.system_role)
            .finish()
    }
}

impl OpenAiConfig {
    /// A configuration with the usual defaults: 60 s timeout, 3 retries from 500 ms, 4 at once.
    pub fn new(base_url: impl Into<String>, model: impl Into<String>) -> Self {
        Self {
            base_url: base_url.into(),
            model: model.into(),
            api_key: None,
            timeout: Duration::from_secs(60),
            max_retries: 3,
            backoff_base: Duration::from_millis(500),
            concurrency: 4,
            pricing: Pricing::default(),
            json_mode: true,
            system_role: SystemRole::Auto,
        }
    }
}

/// The client.
pub struct OpenAiClient {
    config: OpenAiConfig,
    http: reqwest::Client,
    limit: Arc<Semaphore>,
    /// Taken as well as a `limit` permit once the endpoint was seen interrupting a stream
    /// when another request came (llama.cpp's server on its defaults): then calls go one at a
    /// time, so no persona loses its answer.
    single: Semaphore,
    one_at_a_time: AtomicBool,
    cache: Option<Arc<dyn ResponseCache>>,
    totals: Totals,
    /// Cleared when the endpoint refused `response_format` once: later requests go without it.
    json_supported: AtomicBool,
    /// True when instructions go in the user message (decided once).
    fold: tokio::sync::OnceCell<bool>,
}

impl fmt::Debug for OpenAiClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OpenAiClient")
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

/// One failed attempt, with the wait the server asked for.
struct Failure {
    error: LlmError,
    retry_after: Option<Duration>,
}

impl From<LlmError> for Failure {
    fn from(error: LlmError) -> Self {
        Self {
            error,
            retry_after: None,
        }
    }
}

/// Passes streamed text to the caller's sink across attempts: a retry that repeats what was
/// already shown shows only what is new; one that says something else starts on a new line
/// (the completion returned holds only the last attempt's text).
struct Relay<'a> {
    sink: Option<TokenSink<'a>>,
    state: Mutex<RelayState>,
}

#[derive(Default)]
struct RelayState {
    shown: String,
    attempt: String,
    diverged: bool,
}

impl<'a> Relay<'a> {
    fn new(sink: Option<TokenSink<'a>>) -> Self {
        Self {
            sink,
            state: Mutex::new(RelayState::default()),
        }
    }

    fn restart(&self) {
        let mut state = self.state.lock().unwrap_or_else(|e| e.into_inner());
        state.attempt.clear();
        state.diverged = false;
    }

    fn piece(&self, piece: &str) {
        let Some(sink) = self.sink else { return };
        let mut state = self.state.lock().unwrap_or_else(|e| e.into_inner());
        state.attempt.push_str(piece);
        if state.diverged {
            sink(piece);
            return;
        }
        if state.shown.starts_with(&state.attempt) {
            return;
        }
        if let Some(new) = state.attempt.strip_prefix(state.shown.as_str()) {
            let new = new.to_string();
            sink(&new);
            state.shown = state.attempt.clone();
            return;
        }
        state.diverged = true;
        let whole = format!("\n\n{}", state.attempt);
        sink(&whole);
    }
}

/// Statuses with which servers refuse `response_format` (llama.cpp answers 500).
fn may_refuse_json(status: u16) -> bool {
    matches!(status, 400 | 415 | 422 | 500 | 501)
}

impl OpenAiClient {
    /// A client; `cache` keeps answers (the database in the server, none in some tests).
    pub fn new(
        config: OpenAiConfig,
        cache: Option<Arc<dyn ResponseCache>>,
    ) -> Result<Self, String> {
        let http = reqwest::Client::builder()
            .connect_timeout(config.timeout.min(Duration::from_secs(10)))
            .build()
            .map_err(|e| format!("cannot build the HTTP client: {e}"))?;
        Ok(Self {
            limit: Arc::new(Semaphore::new(config.concurrency.max(1))),
            single: Semaphore::new(1),
            one_at_a_time: AtomicBool::new(config.concurrency <= 1),
            json_supported: AtomicBool::new(config.json_mode),
            config,
            http,
            cache,
            totals: Totals::default(),
            fold: tokio::sync::OnceCell::new(),
        })
    }

    /// True once calls go one at a time (configured so, or the endpoint interrupted a stream).
    pub fn one_at_a_time(&self) -> bool {
        self.one_at_a_time.load(Ordering::Relaxed)
    }

    fn url(&self) -> String {
        format!(
            "{}/chat/completions",
            self.config.base_url.trim_end_matches('/')
        )
    }

    /// Removes the key from a text that may echo it (an error body, say).
    fn scrub(&self, text: &str) -> String {
        let mut text: String = text.chars().take(300).collect();
        if let Some(key) = self.config.api_key.as_deref().filter(|k| !k.is_empty()) {
            text = text.replace(key, "[redacted]");
        }
        text
    }

    /// True when instructions go in the user message: as configured, or found out once.
    async fn folds(&self, model: &str) -> bool {
        match self.config.system_role {
            SystemRole::Keep => false,
            SystemRole::Fold => true,
            SystemRole::Auto => {
                *self
                    .fold
                    .get_or_init(|| async {
                        let drops = self.drops_system(model).await;
                        if drops {
                            tracing::warn!(
                                "the LLM endpoint's chat template drops system messages; \
                                 instructions now go in the user message (DX0_LLM_SYSTEM_ROLE)"
                            );
                        }
                        drops
                    })
                    .await
            }
        }
    }

    /// Two one-token requests, with and without a system message: the same prompt-token count
    /// means the template dropped it. Unknown (an error, no usage) counts as kept.
    async fn drops_system(&self, model: &str) -> bool {
        let count = |messages: Vec<ChatMessage>| async move {
            let body = json!({
                "model": model,
                "messages": messages,
                "temperature": 0.0,
                "max_tokens": 1,
                "stream": false,
            });
            let mut call = self.http.post(self.url()).json(&body);
            if let Some(key) = self.config.api_key.as_deref().filter(|k| !k.is_empty()) {
                call = call.bearer_auth(key);
            }
            let response = tokio::time::timeout(self.config.timeout, call.send())
                .await
                .ok()?
                .ok()?;
            if !response.status().is_success() {
                return None;
            }
            let value: Value = response.json().await.ok()?;
            usage_of(&value).map(|u| u.prompt_tokens)
        };
        let with = count(vec![
            ChatMessage::system("You are a careful assistant. Follow the instructions exactly."),
            ChatMessage::user(SYSTEM_PROBE),
        ])
        .await;
        let without = count(vec![ChatMessage::user(SYSTEM_PROBE)]).await;
        matches!((with, without), (Some(a), Some(b)) if a == b)
    }

    fn body(
        &self,
        model: &str,
        request: &ChatRequest,
        stream: bool,
        json_mode: bool,
        fold: bool,
    ) -> Value {
        let messages = if fold {
            folded(&request.messages)
        } else {
            request.messages.clone()
        };
        let mut body = json!({
            "model": model,
            "messages": messages,
            "temperature": request.temperature,
            "stream": stream,
        });
        if let Some(max) = request.max_tokens {
            body["max_tokens"] = json!(max);
        }
        if let Some(seed) = request.seed {
            body["seed"] = json!(seed);
        }
        if json_mode {
            body["response_format"] = json!({"type": "json_object"});
        }
        if stream {
            body["stream_options"] = json!({"include_usage": true});
        }
        body
    }

    fn backoff(&self, attempt: u32, asked: Option<Duration>) -> Duration {
        if let Some(asked) = asked {
            return asked.min(MAX_BACKOFF);
        }
        let full = self
            .config
            .backoff_base
            .saturating_mul(1u32 << attempt.min(16))
            .min(MAX_BACKOFF);
        // "Equal jitter": half the delay fixed, half random, so retries of many callers spread.
        let half = full / 2;
        half + half.mul_f64(rand::thread_rng().gen_range(0.0..=1.0))
    }

    async fn attempt(
        &self,
        model: &str,
        request: &ChatRequest,
        sink: Option<TokenSink<'_>>,
    ) -> Result<Completion, Failure> {
        let closed = |_| LlmError::Transport("the client is shutting down".into());
        let _permit = self.limit.acquire().await.map_err(closed)?;
        let _single = if self.one_at_a_time() {
            Some(self.single.acquire().await.map_err(closed)?)
        } else {
            None
        };
        let timeout = self.config.timeout;
        let json_mode = request.json && self.json_supported.load(Ordering::Relaxed);
        let sending = async {
            let fold = self.folds(model).await;
            self.send(model, request, sink, json_mode, fold).await
        };
        match tokio::time::timeout(timeout, sending).await {
            Ok(result) => result,
            Err(_) => Err(LlmError::Timeout(timeout.as_secs().max(1)).into()),
        }
    }

    async fn send(
        &self,
        model: &str,
        request: &ChatRequest,
        sink: Option<TokenSink<'_>>,
        json_mode: bool,
        fold: bool,
    ) -> Result<Completion, Failure> {
        let mut call = self.http.post(self.url()).json(&self.body(
            model,
            request,
            sink.is_some(),
            json_mode,
            fold,
        ));
        if let Some(key) = self.config.api_key.as_deref().filter(|k| !k.is_empty()) {
            call = call.bearer_auth(key);
        }
        let response = call
            .send()
            .await
            .map_err(|e| LlmError::Transport(self.scrub(&without_url(&e))))?;
        let status = response.status();
        if !status.is_success() {
            let retry_after = response
                .headers()
                .get(reqwest::header::RETRY_AFTER)
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.trim().parse::<f64>().ok())
                .filter(|s| s.is_finite() && *s >= 0.0)
                .map(Duration::from_secs_f64);
            let detail = self.scrub(&response.text().await.unwrap_or_default());
            if let Some(error) = context_exceeded(status.as_u16(), &detail) {
                return Err(error.into());
            }
            // An endpoint without JSON mode refuses it in its own way (400 from most, 500 from
            // llama.cpp): when the same request succeeds without it, go without from now on.
            if json_mode && may_refuse_json(status.as_u16()) {
                let plain = Box::pin(self.send(model, request, sink, false, fold)).await;
                if plain.is_ok() && self.json_supported.swap(false, Ordering::Relaxed) {
                    tracing::info!(
                        status = status.as_u16(),
                        "the LLM endpoint refused response_format; asking for JSON in the prompt only"
                    );
                }
                return plain;
            }
            let error = if status.as_u16() == 429 {
                LlmError::RateLimited
            } else {
                LlmError::Status {
                    status: status.as_u16(),
                    detail,
                }
            };
            return Err(Failure { error, retry_after });
        }
        match sink {
            None => {
                let body: Value = response
                    .json()
                    .await
                    .map_err(|e| LlmError::Malformed(self.scrub(&without_url(&e))))?;
                Ok(self.parse_whole(model, request, &body)?)
            }
            Some(sink) => self.read_stream(model, request, response, sink).await,
        }
    }

    fn finish(
        &self,
        model: &str,
        request: &ChatRequest,
        text: String,
        usage: Option<Usage>,
        cut_off: bool,
    ) -> Completion {
        let usage = usage.unwrap_or_else(|| estimate(request, &text));
        Completion {
            cost_micros: self.config.pricing.cost(usage),
            text,
            model: model.to_string(),
            usage,
            cached: false,
            cut_off,
        }
    }

    fn parse_whole(
        &self,
        model: &str,
        request: &ChatRequest,
        body: &Value,
    ) -> Result<Completion, LlmError> {
        if let Some(error) = body.get("error").filter(|_| body.get("choices").is_none()) {
            return Err(LlmError::Failed(error_message(error)));
        }
        let choices = body
            .get("choices")
            .and_then(Value::as_array)
            .ok_or_else(|| LlmError::Malformed("no choices".into()))?;
        let first = choices.first();
        let text = first
            .and_then(|c| c.pointer("/message/content"))
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string();
        let finish = first
            .and_then(|c| c.get("finish_reason"))
            .and_then(Value::as_str);
        match finish {
            Some("error") => return Err(LlmError::Failed("finish_reason \"error\"".into())),
            Some("content_filter") => return Err(LlmError::Filtered),
            _ => {}
        }
        let cut_off = finish == Some("length");
        if text.trim().is_empty() && !cut_off {
            return Err(LlmError::Empty);
        }
        let answered_by = body.get("model").and_then(Value::as_str).unwrap_or(model);
        Ok(self.finish(answered_by, request, text, usage_of(body), cut_off))
    }

    async fn read_stream(
        &self,
        model: &str,
        request: &ChatRequest,
        response: reqwest::Response,
        sink: TokenSink<'_>,
    ) -> Result<Completion, Failure> {
        let mut bytes = response.bytes_stream();
        let mut buffer = SseBuffer::default();
        let mut text = String::new();
        let mut usage = None;
        let mut answered_by = model.to_string();
        let mut finish: Option<String> = None;
        let mut done = false;
        while let Some(chunk) = bytes.next().await {
            let chunk = match chunk {
                Ok(chunk) => chunk,
                Err(e) => {
                    tracing::debug!(error = %without_url(&e), "LLM stream read failed");
                    return Err(LlmError::Truncated.into());
                }
            };
            for event in buffer.push(&String::from_utf8_lossy(&chunk)) {
                let payload = match event {
                    SseEvent::Done => {
                        done = true;
                        break;
                    }
                    SseEvent::Data(payload) => payload,
                };
                let value: Value = serde_json::from_str(&payload)
                    .map_err(|_| LlmError::Malformed("a stream event is not JSON".into()))?;
                if let Some(error) = value.get("error") {
                    return Err(LlmError::Failed(error_message(error)).into());
                }
                if let Some(m) = value.get("model").and_then(Value::as_str) {
                    answered_by = m.to_string();
                }
                if let Some(u) = usage_of(&value) {
                    usage = Some(u);
                }
                if let Some(choice) = value
                    .get("choices")
                    .and_then(Value::as_array)
                    .and_then(|c| c.first())
                {
                    if let Some(piece) = choice.pointer("/delta/content").and_then(Value::as_str) {
                        if !piece.is_empty() {
                            sink(piece);
                            text.push_str(piece);
                        }
                    }
                    if let Some(reason) = choice.get("finish_reason").and_then(Value::as_str) {
                        finish = Some(reason.to_string());
                    }
                }
            }
            if done {
                break;
            }
        }
        // An answer is complete only when the server says why it finished: a bare `[DONE]`
        // is a stream the server stopped, whatever it had sent.
        let cut_off = match (finish.as_deref(), done) {
            (Some("error"), _) => {
                return Err(LlmError::Failed("finish_reason \"error\"".into()).into());
            }
            (Some("content_filter"), _) => return Err(LlmError::Filtered.into()),
            (Some(reason), _) => reason == "length",
            (None, true) => return Err(LlmError::Interrupted.into()),
            (None, false) => return Err(LlmError::Truncated.into()),
        };
        if text.trim().is_empty() && !cut_off {
            return Err(LlmError::Empty.into());
        }
        Ok(self.finish(&answered_by, request, text, usage, cut_off))
    }

    /// After an interrupted stream: from now on one call at a time.
    fn serialize(&self) {
        if !self.one_at_a_time.swap(true, Ordering::Relaxed) {
            tracing::warn!(
                "the LLM endpoint interrupted a stream while another request was running; \
                 calls to it now go one at a time (set DX0_LLM_CONCURRENCY=1 to start so)"
            );
        }
    }
}

/// A refusal because the request does not fit the model's context window, with the window and
/// the prompt's size when the server says them: OpenAI, vLLM and llama-cpp-python answer 400
/// "This model's maximum context length is 2048 tokens. However, you requested 2521 tokens (2121
/// in the messages, 400 in the completion)" (code `context_length_exceeded`); llama.cpp's own
/// server answers 400 `exceed_context_size_error` with `n_prompt_tokens` and `n_ctx`.
fn context_exceeded(status: u16, detail: &str) -> Option<LlmError> {
    if !matches!(status, 400 | 413) {
        return None;
    }
    let lower = detail.to_lowercase();
    let said = [
        "context_length_exceeded",
        "maximum context length",
        "exceed_context_size",
        "exceeds the available context size",
        "context window",
    ]
    .iter()
    .any(|w| lower.contains(w));
    if !said {
        return None;
    }
    let number_after = |marker: &str| -> Option<u64> {
        let at = lower.find(marker)? + marker.len();
        let digits: String = lower[at..]
            .trim_start_matches([' ', '"', ':'])
            .chars()
            .take_while(char::is_ascii_digit)
            .collect();
        digits.parse().ok()
    };
    let limit = number_after("maximum context length is").or_else(|| number_after("\"n_ctx\""));
    let prompt = number_after("tokens (").or_else(|| number_after("\"n_prompt_tokens\""));
    Some(LlmError::ContextExceeded { limit, prompt })
}

/// The words of an `error` object (`{"message": …}`) or value, at most 300 characters.
fn error_message(error: &Value) -> String {
    let text = match error.get("message").and_then(Value::as_str) {
        Some(message) => message.to_string(),
        None => match error {
            Value::String(s) => s.clone(),
            other => other.to_string(),
        },
    };
    text.chars().take(300).collect()
}

/// The messages with every system message put at the head of the first user message.
fn folded(messages: &[ChatMessage]) -> Vec<ChatMessage> {
    let instructions: Vec<&str> = messages
        .iter()
        .filter(|m| m.role == Role::System)
        .map(|m| m.content.as_str())
        .collect();
    if instructions.is_empty() {
        return messages.to_vec();
    }
    let head = instructions.join("\n\n");
    let mut out: Vec<ChatMessage> = Vec::with_capacity(messages.len());
    let mut placed = false;
    for m in messages.iter().filter(|m| m.role != Role::System) {
        if !placed && m.role == Role::User {
            out.push(ChatMessage::user(format!("{head}\n\n{}", m.content)));
            placed = true;
        } else {
            out.push(m.clone());
        }
    }
    if !placed {
        out.insert(0, ChatMessage::user(head));
    }
    out
}

/// A reqwest error's text without the URL (which may carry credentials in a query).
fn without_url(error: &reqwest::Error) -> String {
    let mut text = error.to_string();
    if let Some(url) = error.url() {
        text = text.replace(url.as_str(), "the endpoint");
    }
    text
}

fn usage_of(body: &Value) -> Option<Usage> {
    let usage = body.get("usage")?;
    Some(Usage {
        prompt_tokens: usage.get("prompt_tokens")?.as_u64()?,
        completion_tokens: usage
            .get("completion_tokens")
            .and_then(Value::as_u64)
            .unwrap_or(0),
        estimated: false,
    })
}

/// Four characters a token, when the endpoint reports no usage.
fn estimate(request: &ChatRequest, text: &str) -> Usage {
    let prompt: usize = request
        .messages
        .iter()
        .map(|m| m.content.chars().count())
        .sum();
    Usage {
        prompt_tokens: (prompt as u64).div_ceil(4),
        completion_tokens: (text.chars().count() as u64).div_ceil(4),
        estimated: true,
    }
}

#[async_trait]
impl LlmClient for OpenAiClient {
    async fn complete(
        &self,
        request: &ChatRequest,
        sink: Option<TokenSink<'_>>,
    ) -> Result<Completion, LlmError> {
        let model = if request.model.is_empty() {
            self.config.model.as_str()
        } else {
            request.model.as_str()
        };
        let key = cache_key(model, request);
        if let Some(cache) = &self.cache {
            if let Some(mut hit) = cache.get(&key).await {
                hit.cached = true;
                hit.cost_micros = 0;
                if let Some(sink) = sink {
                    sink(&hit.text);
                }
                self.totals.record(&hit);
                return Ok(hit);
            }
        }
        let relay = Relay::new(sink);
        let relayed = |piece: &str| relay.piece(piece);
        let stream: Option<TokenSink<'_>> = sink.map(|_| &relayed as TokenSink<'_>);
        let mut asked = request.clone();
        // What earlier attempts of this call spent (an answer cut at the token limit).
        let mut spent: Option<Completion> = None;
        // Whether the answer's budget was cut to fit the context window.
        let mut shrunk = false;
        let mut attempt = 0;
        loop {
            relay.restart();
            match self.attempt(model, &asked, stream).await {
                Ok(mut completion) => {
                    // Cut at the token limit: once more with twice the budget.
                    if completion.cut_off && spent.is_none() {
                        if let Some(max) = asked.max_tokens {
                            tracing::info!(max_tokens = max, "LLM answer cut at the token limit; asking again with twice the budget");
                            asked.max_tokens = Some(max.saturating_mul(2));
                            spent = Some(completion);
                            continue;
                        }
                    }
                    if let Some(earlier) = spent.take() {
                        completion.usage.prompt_tokens += earlier.usage.prompt_tokens;
                        completion.usage.completion_tokens += earlier.usage.completion_tokens;
                        completion.usage.estimated |= earlier.usage.estimated;
                        completion.cost_micros += earlier.cost_micros;
                    }
                    if completion.text.trim().is_empty() {
                        return Err(LlmError::Empty);
                    }
                    tracing::debug!(
                        model = %completion.model,
                        prompt_tokens = completion.usage.prompt_tokens,
                        completion_tokens = completion.usage.completion_tokens,
                        cost_micros = completion.cost_micros,
                        cut_off = completion.cut_off,
                        "LLM call"
                    );
                    if let Some(cache) = &self.cache {
                        cache.put(&key, &completion).await;
                    }
                    self.totals.record(&completion);
                    return Ok(completion);
                }
                Err(failure) => {
                    if failure.error == LlmError::Interrupted {
                        self.serialize();
                    }
                    if let LlmError::ContextExceeded { limit, prompt } = failure.error {
                        // Twice the budget did not fit: the cut answer stands, said to be cut.
                        if let Some(cut) = spent.take() {
                            self.totals.record(&cut);
                            return Ok(cut);
                        }
                        // The prompt fits but not with the answer's budget: the budget that
                        // fits, once.
                        if let (Some(limit), Some(prompt), false) = (limit, prompt, shrunk) {
                            let room = limit.saturating_sub(prompt).saturating_sub(8);
                            if room >= 64 && asked.max_tokens.is_none_or(|m| u64::from(m) > room) {
                                tracing::info!(limit, prompt, max_tokens = room, "the LLM request did not fit the context window; asking with the answer budget that fits");
                                asked.max_tokens = Some(room.try_into().unwrap_or(u32::MAX));
                                shrunk = true;
                                continue;
                            }
                        }
                    }
                    if attempt >= self.config.max_retries || !failure.error.is_retryable() {
                        tracing::warn!(error = %failure.error, attempts = attempt + 1, "LLM call failed");
                        return Err(failure.error);
                    }
                    let wait = self.backoff(attempt, failure.retry_after);
                    tracing::info!(error = %failure.error, wait_ms = wait.as_millis() as u64, "LLM call failed; retrying");
                    tokio::time::sleep(wait).await;
                    attempt += 1;
                }
            }
        }
    }

    fn default_model(&self) -> &str {
        &self.config.model
    }

    fn totals(&self) -> TotalsSnapshot {
        self.totals.snapshot()
    }
}

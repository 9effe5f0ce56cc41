//! The OpenAI-compatible chat-completions client: OpenAI, Azure-style gateways, vLLM, llama.cpp
//! server, Ollama's `/v1`, LM Studio, OpenRouter… Streaming (SSE), JSON mode where the endpoint
//! takes it, a timeout per attempt, retries with jittered exponential backoff on 429/5xx that
//! honour `Retry-After`, a concurrency limit, the response cache, and accounting.

use super::cache::{cache_key, ResponseCache};
use super::client::{
    ChatRequest, Completion, LlmClient, LlmError, Pricing, TokenSink, Totals, TotalsSnapshot, Usage,
};
use super::sse::{SseBuffer, SseEvent};
use async_trait::async_trait;
use futures_util::StreamExt;
use rand::Rng;
use serde_json::{json, Value};
use std::fmt;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::Semaphore;

/// The longest wait between two attempts, whatever `Retry-After` says.
const MAX_BACKOFF: Duration = Duration::from_secs(30);

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
        }
    }
}

/// The client.
pub struct OpenAiClient {
    config: OpenAiConfig,
    http: reqwest::Client,
    limit: Arc<Semaphore>,
    cache: Option<Arc<dyn ResponseCache>>,
    totals: Totals,
    /// Cleared when the endpoint refused `response_format` once: later requests go without it.
    json_supported: AtomicBool,
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
    /// Text already went to the sink: a retry would repeat it.
    streamed: bool,
}

impl From<LlmError> for Failure {
    fn from(error: LlmError) -> Self {
        Self {
            error,
            retry_after: None,
            streamed: false,
        }
    }
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
            json_supported: AtomicBool::new(config.json_mode),
            config,
            http,
            cache,
            totals: Totals::default(),
        })
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

    fn body(&self, model: &str, request: &ChatRequest, stream: bool) -> Value {
        let mut body = json!({
            "model": model,
            "messages": request.messages,
            "temperature": request.temperature,
            "stream": stream,
        });
        if let Some(max) = request.max_tokens {
            body["max_tokens"] = json!(max);
        }
        if let Some(seed) = request.seed {
            body["seed"] = json!(seed);
        }
        if request.json && self.json_supported.load(Ordering::Relaxed) {
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
        let _permit = self
            .limit
            .acquire()
            .await
            .map_err(|_| LlmError::Transport("the client is shutting down".into()))?;
        let timeout = self.config.timeout;
        match tokio::time::timeout(timeout, self.send(model, request, sink)).await {
            Ok(result) => result,
            Err(_) => Err(LlmError::Timeout(timeout.as_secs().max(1)).into()),
        }
    }

    async fn send(
        &self,
        model: &str,
        request: &ChatRequest,
        sink: Option<TokenSink<'_>>,
    ) -> Result<Completion, Failure> {
        let mut call = self
            .http
            .post(self.url())
            .json(&self.body(model, request, sink.is_some()));
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
            // An endpoint without JSON mode: forget it and try again without.
            if status.as_u16() == 400
                && request.json
                && detail.contains("response_format")
                && self.json_supported.swap(false, Ordering::Relaxed)
            {
                tracing::info!("the LLM endpoint does not take response_format; asking for JSON in the prompt only");
                return Box::pin(self.send(model, request, sink)).await;
            }
            let error = if status.as_u16() == 429 {
                LlmError::RateLimited
            } else {
                LlmError::Status {
                    status: status.as_u16(),
                    detail,
                }
            };
            return Err(Failure {
                error,
                retry_after,
                streamed: false,
            });
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
    ) -> Completion {
        let usage = usage.unwrap_or_else(|| estimate(request, &text));
        Completion {
            cost_micros: self.config.pricing.cost(usage),
            text,
            model: model.to_string(),
            usage,
            cached: false,
        }
    }

    fn parse_whole(
        &self,
        model: &str,
        request: &ChatRequest,
        body: &Value,
    ) -> Result<Completion, LlmError> {
        let choices = body
            .get("choices")
            .and_then(Value::as_array)
            .ok_or_else(|| LlmError::Malformed("no choices".into()))?;
        let text = choices
            .first()
            .and_then(|c| c.pointer("/message/content"))
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string();
        if text.trim().is_empty() {
            return Err(LlmError::Empty);
        }
        let answered_by = body.get("model").and_then(Value::as_str).unwrap_or(model);
        Ok(self.finish(answered_by, request, text, usage_of(body)))
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
        let mut finished = false;
        let mut done = false;
        let fail = |error: LlmError, text: &str| Failure {
            error,
            retry_after: None,
            streamed: !text.is_empty(),
        };
        while let Some(chunk) = bytes.next().await {
            let chunk = match chunk {
                Ok(chunk) => chunk,
                Err(e) => {
                    tracing::debug!(error = %without_url(&e), "LLM stream read failed");
                    return Err(fail(LlmError::Truncated, &text));
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
                let value: Value = serde_json::from_str(&payload).map_err(|_| {
                    fail(
                        LlmError::Malformed("a stream event is not JSON".into()),
                        &text,
                    )
                })?;
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
                    if choice.get("finish_reason").is_some_and(|r| !r.is_null()) {
                        finished = true;
                    }
                }
            }
            if done {
                break;
            }
        }
        if !done && !finished {
            return Err(fail(LlmError::Truncated, &text));
        }
        if text.trim().is_empty() {
            return Err(fail(LlmError::Empty, &text));
        }
        Ok(self.finish(&answered_by, request, text, usage))
    }
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
        let mut attempt = 0;
        loop {
            match self.attempt(model, request, sink).await {
                Ok(completion) => {
                    tracing::debug!(
                        model = %completion.model,
                        prompt_tokens = completion.usage.prompt_tokens,
                        completion_tokens = completion.usage.completion_tokens,
                        cost_micros = completion.cost_micros,
                        "LLM call"
                    );
                    if let Some(cache) = &self.cache {
                        cache.put(&key, &completion).await;
                    }
                    self.totals.record(&completion);
                    return Ok(completion);
                }
                Err(failure) => {
                    if attempt >= self.config.max_retries
                        || failure.streamed
                        || !failure.error.is_retryable()
                    {
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

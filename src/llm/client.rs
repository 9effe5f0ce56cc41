//! The client trait and its request, answer and error types.

use async_trait::async_trait;
use serde::{Deserialize, Serialize};
use std::sync::atomic::{AtomicI64, Ordering};

/// Who says a message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// Instructions.
    System,
    /// The caller.
    User,
    /// The model.
    Assistant,
}

/// One chat message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChatMessage {
    /// Who says it.
    pub role: Role,
    /// What is said.
    pub content: String,
}

impl ChatMessage {
    /// A system message.
    pub fn system(content: impl Into<String>) -> Self {
        Self {
            role: Role::System,
            content: content.into(),
        }
    }

    /// A user message.
    pub fn user(content: impl Into<String>) -> Self {
        Self {
            role: Role::User,
            content: content.into(),
        }
    }

    /// An assistant message.
    pub fn assistant(content: impl Into<String>) -> Self {
        Self {
            role: Role::Assistant,
            content: content.into(),
        }
    }
}

/// One chat-completion request. Everything here is part of the cache key.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ChatRequest {
    /// The model (empty: the client's default).
    pub model: String,
    /// The conversation.
    pub messages: Vec<ChatMessage>,
    /// Sampling temperature.
    pub temperature: f32,
    /// The most tokens to generate.
    pub max_tokens: Option<u32>,
    /// Ask for a JSON object (`response_format: json_object`) where the endpoint supports it.
    pub json: bool,
    /// A sampling seed, where the endpoint supports it (also varies ensemble members' cache keys).
    pub seed: Option<u64>,
}

impl ChatRequest {
    /// A request with the client's default model, temperature 0 and no limits.
    pub fn new(messages: Vec<ChatMessage>) -> Self {
        Self {
            model: String::new(),
            messages,
            temperature: 0.0,
            max_tokens: None,
            json: false,
            seed: None,
        }
    }
}

/// Tokens of one call.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Usage {
    /// Prompt tokens.
    pub prompt_tokens: u64,
    /// Completion tokens.
    pub completion_tokens: u64,
    /// True when the endpoint reported no usage and these are estimates (4 characters a token).
    #[serde(default)]
    pub estimated: bool,
}

/// An answer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Completion {
    /// The generated text.
    pub text: String,
    /// The model that answered.
    pub model: String,
    /// Tokens used.
    pub usage: Usage,
    /// What the call cost, in millionths of a dollar (0 for a cache hit).
    pub cost_micros: i64,
    /// True when the answer came from the response cache.
    pub cached: bool,
    /// True when the model stopped at the token limit (`finish_reason: "length"`) even after
    /// the client gave it a larger budget: the text is incomplete.
    #[serde(default)]
    pub cut_off: bool,
}

/// Prices per 1 000 tokens, in millionths of a dollar.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Pricing {
    /// Per 1 000 prompt tokens.
    pub input_per_1k_micros: i64,
    /// Per 1 000 completion tokens.
    pub output_per_1k_micros: i64,
}

impl Pricing {
    /// The cost of `usage`, rounded to the nearest millionth of a dollar.
    pub fn cost(&self, usage: Usage) -> i64 {
        let input = usage.prompt_tokens as i128 * self.input_per_1k_micros as i128;
        let output = usage.completion_tokens as i128 * self.output_per_1k_micros as i128;
        ((input + output + 500) / 1000) as i64
    }

    /// Parses a dollar price per 1 000 tokens ("0.005", "2.5").
    pub fn parse_per_1k(text: &str) -> Option<i64> {
        let value: f64 = text.trim().parse().ok()?;
        (value.is_finite() && value >= 0.0).then(|| (value * 1_000_000.0).round() as i64)
    }
}

/// Running totals of a client's calls.
#[derive(Debug, Default)]
pub struct Totals {
    calls: AtomicI64,
    cache_hits: AtomicI64,
    prompt_tokens: AtomicI64,
    completion_tokens: AtomicI64,
    cost_micros: AtomicI64,
    estimated_calls: AtomicI64,
}

/// A copy of the totals at one moment.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct TotalsSnapshot {
    /// Calls answered (cache hits included).
    pub calls: i64,
    /// Of which answered from the cache.
    pub cache_hits: i64,
    /// Prompt tokens of calls that reached the endpoint.
    pub prompt_tokens: i64,
    /// Completion tokens of calls that reached the endpoint.
    pub completion_tokens: i64,
    /// Money spent, in millionths of a dollar.
    pub cost_micros: i64,
    /// Calls whose endpoint reported no token usage: their tokens (and cost) are estimates,
    /// four characters a token.
    pub estimated_calls: i64,
}

impl TotalsSnapshot {
    /// One line for people: calls, tokens, dollars, and how much of it is estimated.
    pub fn describe(&self) -> String {
        let mut line = format!(
            "{} calls ({} from the cache), {} prompt + {} completion tokens, ${:.4}",
            self.calls,
            self.cache_hits,
            self.prompt_tokens,
            self.completion_tokens,
            self.cost_micros as f64 / 1e6
        );
        let reached = self.calls - self.cache_hits;
        if self.estimated_calls > 0 {
            line.push_str(&format!(
                " ({} of {} calls reported no token usage: their tokens are estimated at four \
                 characters a token)",
                self.estimated_calls, reached
            ));
        }
        line
    }
}

impl Totals {
    /// Adds one answered call.
    pub fn record(&self, completion: &Completion) {
        self.calls.fetch_add(1, Ordering::Relaxed);
        if completion.cached {
            self.cache_hits.fetch_add(1, Ordering::Relaxed);
            return;
        }
        self.prompt_tokens
            .fetch_add(completion.usage.prompt_tokens as i64, Ordering::Relaxed);
        self.completion_tokens
            .fetch_add(completion.usage.completion_tokens as i64, Ordering::Relaxed);
        self.cost_micros
            .fetch_add(completion.cost_micros, Ordering::Relaxed);
        if completion.usage.estimated {
            self.estimated_calls.fetch_add(1, Ordering::Relaxed);
        }
    }

    /// The totals now.
    pub fn snapshot(&self) -> TotalsSnapshot {
        TotalsSnapshot {
            calls: self.calls.load(Ordering::Relaxed),
            cache_hits: self.cache_hits.load(Ordering::Relaxed),
            prompt_tokens: self.prompt_tokens.load(Ordering::Relaxed),
            completion_tokens: self.completion_tokens.load(Ordering::Relaxed),
            cost_micros: self.cost_micros.load(Ordering::Relaxed),
            estimated_calls: self.estimated_calls.load(Ordering::Relaxed),
        }
    }
}

/// Why a call failed, after any retries. The text never holds the API key.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LlmError {
    /// No answer within the timeout.
    #[error(
        "the language model did not answer within the timeout of {0} s (DX0_LLM_TIMEOUT, \
         --llm-timeout)"
    )]
    Timeout(u64),
    /// Too many requests, still after retrying.
    #[error("the language model endpoint is rate limiting (HTTP 429)")]
    RateLimited,
    /// An HTTP error status.
    #[error("the language model endpoint answered HTTP {status}: {detail}")]
    Status {
        /// The status code.
        status: u16,
        /// The start of the body.
        detail: String,
    },
    /// The body was not a chat completion.
    #[error("the language model's answer was malformed: {0}")]
    Malformed(String),
    /// The answer had no choices, or an empty message.
    #[error("the language model's answer was empty")]
    Empty,
    /// The stream ended before its end marker.
    #[error("the language model's stream was cut off")]
    Truncated,
    /// The stream ended (`[DONE]`) without saying why the answer finished: the server stopped it
    /// before the answer was complete (llama.cpp's server does so when another request comes).
    #[error("the language model's server ended the answer before it was finished")]
    Interrupted,
    /// The server reported an error in the middle of an answer (an `error` event in the stream,
    /// or `finish_reason: "error"`, as OpenRouter and vLLM send when a generation fails).
    #[error("the language model's server failed in the middle of the answer: {0}")]
    Failed(String),
    /// The provider's content filter stopped the answer (`finish_reason: "content_filter"`): what
    /// came is not the whole answer, and asking again gives the same.
    #[error("the language model provider's content filter stopped the answer")]
    Filtered,
    /// The prompt and the answer's budget do not fit the model's context window (an HTTP 400
    /// saying so, as OpenAI, vLLM and llama.cpp's servers word it).
    #[error(
        "the request does not fit the language model's context window{}{} (raise the server's \
         context: llama.cpp -c / --n_ctx, vLLM --max-model-len, Ollama num_ctx)",
        limit.map(|n| format!(" of {n} tokens")).unwrap_or_default(),
        prompt.map(|n| format!(": the prompt alone is {n} tokens")).unwrap_or_default()
    )]
    ContextExceeded {
        /// The window, when the server said.
        limit: Option<u64>,
        /// The prompt's tokens, when the server said.
        prompt: Option<u64>,
    },
    /// The connection failed.
    #[error("cannot reach the language model endpoint: {0}")]
    Transport(String),
}

impl LlmError {
    /// True for failures worth another try.
    pub fn is_retryable(&self) -> bool {
        match self {
            LlmError::Timeout(_)
            | LlmError::RateLimited
            | LlmError::Transport(_)
            | LlmError::Truncated
            | LlmError::Interrupted
            | LlmError::Failed(_) => true,
            LlmError::Status { status, .. } => *status >= 500,
            LlmError::Malformed(_)
            | LlmError::Empty
            | LlmError::Filtered
            | LlmError::ContextExceeded { .. } => false,
        }
    }
}

/// Receives the text of a streamed answer as it arrives.
pub type TokenSink<'a> = &'a (dyn Fn(&str) + Send + Sync);

/// A chat-completion client.
#[async_trait]
pub trait LlmClient: Send + Sync {
    /// Answers `request`; with a `sink`, streams the text into it as it arrives (a cached answer
    /// is given to the sink whole).
    async fn complete(
        &self,
        request: &ChatRequest,
        sink: Option<TokenSink<'_>>,
    ) -> Result<Completion, LlmError>;

    /// The model used when a request names none.
    fn default_model(&self) -> &str;

    /// The running totals of this client's calls.
    fn totals(&self) -> TotalsSnapshot;
}

pub use TotalsSnapshot as Snapshot;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prices_per_thousand_tokens_add_up_exactly() {
        let pricing = Pricing {
            input_per_1k_micros: Pricing::parse_per_1k("0.0025").unwrap(),
            output_per_1k_micros: Pricing::parse_per_1k("0.01").unwrap(),
        };
        let usage = Usage {
            prompt_tokens: 1_200,
            completion_tokens: 300,
            estimated: false,
        };
        // 1.2 × $0.0025 + 0.3 × $0.01 = $0.006
        assert_eq!(pricing.cost(usage), 6_000);
        assert_eq!(Pricing::parse_per_1k("-1"), None);
        assert_eq!(Pricing::parse_per_1k("abc"), None);
    }

    #[test]
    fn only_passing_failures_are_retried() {
        assert!(LlmError::RateLimited.is_retryable());
        assert!(LlmError::Status {
            status: 503,
            detail: String::new()
        }
        .is_retryable());
        assert!(!LlmError::Status {
            status: 401,
            detail: String::new()
        }
        .is_retryable());
        assert!(!LlmError::Malformed("x".into()).is_retryable());
    }
}

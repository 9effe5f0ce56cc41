//! Language-model clients: the trait the panel, gatekeeper and judge call, an OpenAI-compatible
//! chat-completions client (streaming, retries, a concurrency limit, a response cache, token and
//! dollar accounting), and a fake OpenAI-compatible server for tests.

pub mod cache;
pub mod client;
pub mod fake;
pub mod openai;
mod sse;

pub use cache::{cache_key, ResponseCache};
pub use client::{
    ChatMessage, ChatRequest, Completion, LlmClient, LlmError, Pricing, Role, Totals, Usage,
};
pub use openai::{OpenAiClient, OpenAiConfig, SystemRole, SYSTEM_PROBE};

//! The response cache: an answer is kept under a hash of everything that shapes it (model,
//! messages, sampling parameters), so asking the same again costs nothing.

use super::client::{ChatRequest, Completion};
use async_trait::async_trait;
use sha2::{Digest, Sha256};

/// Where answers are kept.
#[async_trait]
pub trait ResponseCache: Send + Sync {
    /// The answer stored under `key`, if any.
    async fn get(&self, key: &str) -> Option<Completion>;
    /// Stores an answer (failures are logged, never fatal: the cache only saves money).
    async fn put(&self, key: &str, completion: &Completion);
}

/// The cache key of a request sent to `model`: SHA-256 (hex) of its canonical JSON.
pub fn cache_key(model: &str, request: &ChatRequest) -> String {
    let canonical = serde_json::json!({
        "model": model,
        "messages": request.messages,
        // The bits, so 0.7 and 0.70000001 are different keys and no float formatting intervenes.
        "temperature": request.temperature.to_bits(),
        "max_tokens": request.max_tokens,
        "json": request.json,
        "seed": request.seed,
    });
    let digest = Sha256::digest(canonical.to_string().as_bytes());
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::llm::ChatMessage;

    #[test]
    fn the_key_changes_with_everything_that_shapes_the_answer() {
        let base = ChatRequest::new(vec![ChatMessage::user("Hello")]);
        let key = cache_key("m", &base);
        assert_eq!(key.len(), 64);
        assert_eq!(key, cache_key("m", &base.clone()));
        assert_ne!(key, cache_key("other", &base));
        for changed in [
            ChatRequest {
                temperature: 0.7,
                ..base.clone()
            },
            ChatRequest {
                seed: Some(1),
                ..base.clone()
            },
            ChatRequest {
                json: true,
                ..base.clone()
            },
            ChatRequest {
                max_tokens: Some(10),
                ..base.clone()
            },
            ChatRequest::new(vec![ChatMessage::user("Hello!")]),
        ] {
            assert_ne!(key, cache_key("m", &changed), "{changed:?}");
        }
    }
}

//! The LLM response cache's table: answers kept under the hash of their request.

use crate::error::AppError;
use async_trait::async_trait;

/// Storage of cached LLM answers.
#[async_trait]
pub trait LlmCacheStore {
    /// The stored answer (JSON) under `key`, if any.
    async fn llm_cached(&self, key: &str) -> Result<Option<String>, AppError>;
    /// Stores an answer under `key`; an answer already there stays.
    async fn llm_cache_put(
        &self,
        key: &str,
        model: &str,
        body: &str,
        now: i64,
    ) -> Result<(), AppError>;
}

/// Implements [`LlmCacheStore`] for a store with a `pool` field (the SQL is the same in both).
macro_rules! impl_llm_cache_store {
    ($store:ty) => {
        #[async_trait::async_trait]
        impl $crate::store::llm::LlmCacheStore for $store {
            async fn llm_cached(
                &self,
                key: &str,
            ) -> Result<Option<String>, $crate::error::AppError> {
                let row: Option<(String,)> =
                    sqlx::query_as("SELECT body FROM llm_cache WHERE key = $1")
                        .bind(key)
                        .fetch_optional(&self.pool)
                        .await?;
                Ok(row.map(|r| r.0))
            }

            async fn llm_cache_put(
                &self,
                key: &str,
                model: &str,
                body: &str,
                now: i64,
            ) -> Result<(), $crate::error::AppError> {
                sqlx::query(
                    "INSERT INTO llm_cache (key, model, body, created_at) VALUES ($1, $2, $3, $4) \
                     ON CONFLICT (key) DO NOTHING",
                )
                .bind(key)
                .bind(model)
                .bind(body)
                .bind(now)
                .execute(&self.pool)
                .await?;
                Ok(())
            }
        }
    };
}
pub(crate) use impl_llm_cache_store;

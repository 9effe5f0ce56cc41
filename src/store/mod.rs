//! Storage behind one trait, with an SQLite and a PostgreSQL implementation.

pub mod auth;
mod auth_sql;
pub mod cases;
mod common;
pub mod llm;
mod postgres;
mod readiness;
mod release;
mod sqlite;

pub use auth::{
    AuthStore, CleanupReport, FailureScope, NewSession, RefreshUse, SessionKind, SessionRecord,
    UserRecord,
};
pub use cases::{CaseRecord, CaseStore, EncounterRecord};
pub use llm::LlmCacheStore;
pub use postgres::PgStore;
pub use sqlite::SqliteStore;

use crate::error::AppError;
use async_trait::async_trait;
use std::sync::Arc;

/// The database engine behind a store.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// The embedded default.
    Sqlite,
    /// For several instances sharing one database.
    Postgres,
}

impl Backend {
    /// The engine's display name.
    pub fn name(self) -> &'static str {
        match self {
            Backend::Sqlite => "SQLite",
            Backend::Postgres => "PostgreSQL",
        }
    }
}

/// What the schema looks like now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SchemaInfo {
    /// The newest applied migration's version.
    pub version: i64,
    /// How many migrations have been applied.
    pub applied: i64,
}

/// Everything the server keeps, whatever the database.
#[async_trait]
pub trait Store: AuthStore + CaseStore + LlmCacheStore + Send + Sync + 'static {
    /// Which engine this is.
    fn backend(&self) -> Backend;
    /// Checks that the database answers a query.
    async fn ping(&self) -> Result<(), AppError>;
    /// Checks that the database takes a write: commits a one-row update, trusted for a second.
    async fn check_writable(&self) -> Result<(), AppError>;
    /// Reads the applied schema migrations.
    async fn schema(&self) -> Result<SchemaInfo, AppError>;
    /// Closes the pool; later calls fail.
    async fn close(&self);
}

/// Opens the database named by `url`, creating an SQLite file when missing, and migrates it.
pub async fn open(url: &str) -> Result<Arc<dyn Store>, AppError> {
    if url.starts_with("sqlite:") {
        Ok(Arc::new(SqliteStore::open(url).await?))
    } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        Ok(Arc::new(PgStore::open(url).await?))
    } else {
        Err(AppError::Config(format!(
            "unsupported database URL {:?}: use sqlite:PATH or postgres://…",
            crate::redact::url(url)
        )))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn sqlite_file_is_created_and_migrated() {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite:{}", dir.path().join("new.db").display());
        let store = open(&url).await.unwrap();
        assert_eq!(store.backend(), Backend::Sqlite);
        store.ping().await.unwrap();
        let schema = store.schema().await.unwrap();
        assert!(schema.version >= 1 && schema.applied >= 1, "{schema:?}");
        // Opening again is idempotent: nothing to apply, same schema.
        store.close().await;
        let again = open(&url).await.unwrap();
        assert_eq!(again.schema().await.unwrap(), schema);
        again.close().await;
        assert!(
            again.ping().await.is_err(),
            "a closed store must not answer"
        );
    }

    #[tokio::test]
    async fn unknown_scheme_is_a_clear_error() {
        let err = open("mysql://root:pw@localhost/x").await.err().unwrap();
        let text = err.to_string();
        assert!(text.contains("unsupported database URL"), "{text}");
        assert!(!text.contains("pw"), "password leaked: {text}");
    }
}

//! The SQLite store: one file, WAL mode and a busy timeout so the CLI can write while the server runs.

use super::{common, Backend, SchemaInfo, Store};
use crate::error::AppError;
use async_trait::async_trait;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions};
use std::str::FromStr;
use std::time::Duration;

/// A store on an SQLite database.
#[derive(Debug, Clone)]
pub struct SqliteStore {
    pool: SqlitePool,
}

impl SqliteStore {
    /// Opens (creating when missing) and migrates the database at `url`.
    pub async fn open(url: &str) -> Result<Self, AppError> {
        let options = SqliteConnectOptions::from_str(url)?
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .busy_timeout(Duration::from_secs(5))
            .foreign_keys(true);
        let pool = SqlitePoolOptions::new()
            .max_connections(8)
            .acquire_timeout(Duration::from_secs(5))
            .connect_with(options)
            .await?;
        sqlx::migrate!("migrations/sqlite").run(&pool).await?;
        Ok(Self { pool })
    }
}

#[async_trait]
impl Store for SqliteStore {
    fn backend(&self) -> Backend {
        Backend::Sqlite
    }

    async fn ping(&self) -> Result<(), AppError> {
        common::ping(&self.pool).await
    }

    async fn schema(&self) -> Result<SchemaInfo, AppError> {
        common::schema(&self.pool).await
    }

    async fn close(&self) {
        self.pool.close().await;
    }
}

super::auth_sql::impl_auth_store!(SqliteStore, sqlx::Sqlite);
super::cases::impl_case_store!(SqliteStore);
super::llm::impl_llm_cache_store!(SqliteStore);

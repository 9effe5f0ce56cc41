//! The PostgreSQL store, for several instances sharing one database.

use super::readiness::{self, WriteProbe};
use super::{common, release, Backend, SchemaInfo, Store};
use crate::error::AppError;
use async_trait::async_trait;
use sqlx::postgres::{PgPool, PgPoolOptions};
use std::sync::Arc;
use std::time::Duration;

/// A store on a PostgreSQL database.
#[derive(Debug, Clone)]
pub struct PgStore {
    pool: PgPool,
    probe: Arc<WriteProbe>,
}

impl PgStore {
    /// Connects to and migrates the database at `url`.
    pub async fn open(url: &str) -> Result<Self, AppError> {
        let pool = PgPoolOptions::new()
            .max_connections(16)
            .acquire_timeout(Duration::from_secs(5))
            .after_release(|conn, _| Box::pin(async move { Ok(release::postgres_clean(conn)) }))
            .connect(url)
            .await?;
        // Migrations take an advisory lock, so instances starting together apply them once.
        sqlx::migrate!("migrations/postgres").run(&pool).await?;
        Ok(Self {
            pool,
            probe: Arc::default(),
        })
    }
}

#[async_trait]
impl Store for PgStore {
    fn backend(&self) -> Backend {
        Backend::Postgres
    }

    async fn ping(&self) -> Result<(), AppError> {
        common::ping(&self.pool).await
    }

    async fn check_writable(&self) -> Result<(), AppError> {
        self.probe
            .check(&self.pool, readiness::POSTGRES_PROBE)
            .await
    }

    async fn schema(&self) -> Result<SchemaInfo, AppError> {
        common::schema(&self.pool).await
    }

    async fn close(&self) {
        self.pool.close().await;
    }
}

super::auth_sql::impl_auth_store!(PgStore, sqlx::Postgres);
super::cases::impl_case_store!(PgStore);
super::llm::impl_llm_cache_store!(PgStore);

//! The SQLite store: one file, WAL mode and a busy timeout so the CLI can write while the server
//! runs; connections left inside a transaction by a failed write are closed, not pooled.

use super::readiness::{self, WriteProbe};
use super::{common, release, Backend, SchemaInfo, Store};
use crate::error::AppError;
use async_trait::async_trait;
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

/// A store on an SQLite database.
#[derive(Debug, Clone)]
pub struct SqliteStore {
    pool: SqlitePool,
    probe: Arc<WriteProbe>,
}

impl SqliteStore {
    /// Opens (creating when missing) and migrates the database at `url`.
    pub async fn open(url: &str) -> Result<Self, AppError> {
        let pool = pool_options()
            .max_connections(8)
            .connect_with(connect_options(url)?)
            .await?;
        sqlx::migrate!("migrations/sqlite").run(&pool).await?;
        Ok(Self {
            pool,
            probe: Arc::default(),
        })
    }
}

/// How each connection is opened. In WAL mode `synchronous = NORMAL` (the default) still makes
/// every commit durable when the process dies — it is in the log file before the commit
/// returns; only an operating-system crash or a power loss may take the last commits back — and
/// it saves an fsync on every commit, two per question frame. `?synchronous=full` on the URL
/// (`sqlite:dx0.db?synchronous=full`) syncs every commit to the disk as well.
fn connect_options(url: &str) -> Result<SqliteConnectOptions, AppError> {
    let (url, synchronous) = synchronous_of(url)?;
    Ok(SqliteConnectOptions::from_str(&url)?
        .create_if_missing(true)
        .journal_mode(SqliteJournalMode::Wal)
        .synchronous(synchronous)
        .busy_timeout(Duration::from_secs(5))
        // Checkpoint every 10 000 pages (about 40 MB of log) rather than SQLite's 1 000: an
        // encounter's rows are rewritten at every step, and a checkpoint copies each page once
        // however often it changed since the last one (about 8 % less server CPU a question
        // frame under the 50-client load, two alternating runs).
        .pragma("wal_autocheckpoint", "10000")
        .foreign_keys(true))
}

/// The URL without Dx0's own `synchronous=` parameter, and the mode it asks for.
fn synchronous_of(url: &str) -> Result<(String, SqliteSynchronous), AppError> {
    let Some((base, query)) = url.split_once('?') else {
        return Ok((url.to_string(), SqliteSynchronous::Normal));
    };
    let mut mode = SqliteSynchronous::Normal;
    let mut kept = Vec::new();
    for pair in query.split('&').filter(|p| !p.is_empty()) {
        match pair.split_once('=') {
            Some(("synchronous", value)) => {
                mode = match value.to_ascii_lowercase().as_str() {
                    "normal" => SqliteSynchronous::Normal,
                    "full" => SqliteSynchronous::Full,
                    "extra" => SqliteSynchronous::Extra,
                    _ => {
                        return Err(AppError::Config(format!(
                            "synchronous={value} in the database URL: use normal, full or extra"
                        )))
                    }
                }
            }
            _ => kept.push(pair),
        }
    }
    let url = if kept.is_empty() {
        base.to_string()
    } else {
        format!("{base}?{}", kept.join("&"))
    };
    Ok((url, mode))
}

/// The pool's settings, with the check every connection passes on its way back.
fn pool_options() -> SqlitePoolOptions {
    // No ping before each checkout: a local file does not drop connections the way a network
    // peer does, and the ping was a round trip to the connection's worker thread per query.
    SqlitePoolOptions::new()
        .test_before_acquire(false)
        .acquire_timeout(Duration::from_secs(5))
        .after_release(|conn, _| Box::pin(release::sqlite_clean(conn)))
}

#[async_trait]
impl Store for SqliteStore {
    fn backend(&self) -> Backend {
        Backend::Sqlite
    }

    async fn ping(&self) -> Result<(), AppError> {
        common::ping(&self.pool).await
    }

    async fn check_writable(&self) -> Result<(), AppError> {
        self.probe.check(&self.pool, readiness::SQLITE_PROBE).await
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::AuthStore;

    #[test]
    fn the_url_may_ask_for_full_syncs_and_keeps_its_other_parameters() {
        let (url, mode) = synchronous_of("sqlite:d.db").unwrap();
        assert_eq!(
            (url.as_str(), mode),
            ("sqlite:d.db", SqliteSynchronous::Normal)
        );
        let (url, mode) = synchronous_of("sqlite:d.db?synchronous=FULL&mode=rwc").unwrap();
        assert_eq!(
            (url.as_str(), mode),
            ("sqlite:d.db?mode=rwc", SqliteSynchronous::Full)
        );
        assert!(synchronous_of("sqlite:d.db?synchronous=sometimes").is_err());
    }

    /// A transaction SQLite ended by itself (as it does when a `COMMIT` finds the disk full), then
    /// one ended by dropping it, on one pooled connection: no transaction, and no write lock, may
    /// outlive them.
    #[tokio::test]
    async fn a_transaction_sqlite_ended_itself_leaves_no_lock_behind() {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite:{}", dir.path().join("t.db").display());
        let options = connect_options(&url)
            .unwrap()
            .busy_timeout(Duration::from_millis(500));
        let pool = pool_options()
            .max_connections(2)
            .connect_with(options)
            .await
            .unwrap();
        sqlx::query("CREATE TABLE t (x INTEGER)")
            .execute(&pool)
            .await
            .unwrap();
        // RAISE(ROLLBACK) ends the whole transaction, as SQLITE_FULL does.
        sqlx::query(
            "CREATE TRIGGER refuse BEFORE INSERT ON t WHEN NEW.x < 0 \
             BEGIN SELECT RAISE(ROLLBACK, 'refused'); END",
        )
        .execute(&pool)
        .await
        .unwrap();
        // One of the two connections is held here, so every transaction below uses the other.
        let mut other = pool.acquire().await.unwrap();
        for _ in 0..3 {
            let mut tx = pool.begin().await.unwrap();
            let refused = sqlx::query("INSERT INTO t VALUES (-1)")
                .execute(&mut *tx)
                .await;
            assert!(refused.is_err(), "the trigger refuses");
            drop(tx);
            // Takes the write lock and ends without a commit, like an early return.
            let mut tx = pool.begin().await.unwrap();
            sqlx::query("UPDATE t SET x = x WHERE x < 0")
                .execute(&mut *tx)
                .await
                .unwrap();
            drop(tx);
        }
        let written = sqlx::query("INSERT INTO t VALUES (1)")
            .execute(&mut *other)
            .await;
        assert!(
            written.is_ok(),
            "the write lock was left taken: {written:?}"
        );
        drop(other);
        let mut tx = pool.begin().await.unwrap();
        sqlx::query("INSERT INTO t VALUES (2)")
            .execute(&mut *tx)
            .await
            .unwrap();
        tx.commit().await.unwrap();
        pool.close().await;
        // Both rows are in the file for a fresh connection to read: nothing was left uncommitted.
        let pool = pool_options()
            .connect_with(connect_options(&url).unwrap())
            .await
            .unwrap();
        let (rows,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM t")
            .fetch_one(&pool)
            .await
            .unwrap();
        assert_eq!(rows, 2);
    }

    /// Makes the commit of any write to `table` fail, as a full disk does: the triggers leave a
    /// deferred foreign key unmet, which SQLite checks only when the write commits.
    async fn fail_commits_of(pool: &SqlitePool, table: &str) {
        for sql in [
            "CREATE TABLE IF NOT EXISTS nowhere (id INTEGER PRIMARY KEY)".to_string(),
            "CREATE TABLE IF NOT EXISTS orphans \
             (parent INTEGER REFERENCES nowhere (id) DEFERRABLE INITIALLY DEFERRED)"
                .into(),
            format!(
                "CREATE TRIGGER {table}_inserted AFTER INSERT ON {table} \
                 BEGIN INSERT INTO orphans VALUES (1); END"
            ),
            format!(
                "CREATE TRIGGER {table}_updated AFTER UPDATE ON {table} \
                 BEGIN INSERT INTO orphans VALUES (1); END"
            ),
        ] {
            sqlx::query(&sql).execute(pool).await.unwrap();
        }
    }

    /// A single-statement write that returns rows commits as it finishes: when that commit
    /// fails, the caller must hear it, not get the rows of a write that was undone.
    #[tokio::test]
    async fn a_write_whose_commit_fails_is_reported_as_failed() {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite:{}", dir.path().join("t.db").display());
        let store = SqliteStore::open(&url).await.unwrap();
        store.check_writable().await.unwrap();
        fail_commits_of(&store.pool, "readiness_probe").await;
        fail_commits_of(&store.pool, "users").await;
        // Past the second in which the successful probe above is trusted.
        tokio::time::sleep(super::readiness::TRUST_FOR).await;
        let probed = store.check_writable().await;
        assert!(probed.is_err(), "the probe's commit failed: {probed:?}");
        let added = store
            .add_user("late", "hash", crate::protocol::Group::Physician, 0)
            .await;
        assert!(added.is_err(), "the account's commit failed: {added:?}");
        assert!(store.user_by_name("late").await.unwrap().is_none());
    }
}

//! The write probe behind `/readyz`: proof that the database takes a write, not only that it
//! answers.
//!
//! A database on a full disk, or one whose write lock is stuck, still answers reads; only a
//! committed write tells. The probe rewrites the one row of `readiness_probe`, so no rows pile
//! up, with [`HEADROOM`] bytes in it: on a full disk a write of a page or two still fits in the
//! space the last failed write left behind, while a step or a login does not. A success is
//! trusted for [`TRUST_FOR`], with a plain ping in between, so that a busy `/readyz` does not
//! become a stream of commits. A failure is not remembered: the next check probes again, and
//! readiness returns with the first write that succeeds.

use super::common;
use crate::error::AppError;
use sqlx::{Database, Encode, Executor, FromRow, IntoArguments, Pool, Type};
use tokio::sync::Mutex;
use tokio::time::{Duration, Instant};

/// How many bytes the probe writes: more than an ordinary write (an encounter's state, a login).
pub(super) const HEADROOM: i32 = 64 * 1024;

/// The probe in SQLite's dialect.
pub(super) const SQLITE_PROBE: &str = "UPDATE readiness_probe \
     SET probes = probes + 1, headroom = zeroblob($1) WHERE id = 1 RETURNING probes";

/// The probe in PostgreSQL's dialect.
pub(super) const POSTGRES_PROBE: &str = "UPDATE readiness_probe \
     SET probes = probes + 1, headroom = decode(repeat('00', $1), 'hex') WHERE id = 1 \
     RETURNING probes";

/// How long a successful write probe is trusted.
pub(super) const TRUST_FOR: Duration = Duration::from_secs(1);

/// When the last write probe succeeded, shared by the clones of one store.
#[derive(Debug, Default)]
pub(super) struct WriteProbe {
    last_success: Mutex<Option<Instant>>,
}

impl WriteProbe {
    /// Checks that `pool`'s database takes a write by running `probe` (one of the dialects'
    /// probes above), or only pings it while a recent probe is trusted.
    pub(super) async fn check<DB>(&self, pool: &Pool<DB>, probe: &str) -> Result<(), AppError>
    where
        DB: Database,
        for<'c> &'c Pool<DB>: Executor<'c, Database = DB>,
        for<'q> <DB as Database>::Arguments<'q>: IntoArguments<'q, DB>,
        for<'r> (i64,): FromRow<'r, DB::Row>,
        i32: for<'q> Encode<'q, DB> + Type<DB>,
    {
        // Held while probing, so that checks arriving together share one write.
        let mut last = self.last_success.lock().await;
        if last.is_some_and(|at| at.elapsed() < TRUST_FOR) {
            drop(last);
            return common::ping(pool).await;
        }
        *last = None;
        write(pool, probe).await?;
        *last = Some(Instant::now());
        Ok(())
    }
}

/// Commits one update of the probe row.
async fn write<DB>(pool: &Pool<DB>, probe: &str) -> Result<(), AppError>
where
    DB: Database,
    for<'c> &'c Pool<DB>: Executor<'c, Database = DB>,
    for<'q> <DB as Database>::Arguments<'q>: IntoArguments<'q, DB>,
    for<'r> (i64,): FromRow<'r, DB::Row>,
    i32: for<'q> Encode<'q, DB> + Type<DB>,
{
    // Fetched to the end: SQLite commits the statement as it finishes, and a fetch that stops at
    // the first row never hears that the commit failed (on a full disk, it does).
    let updated: Vec<(i64,)> = sqlx::query_as(probe).bind(HEADROOM).fetch_all(pool).await?;
    match updated.first() {
        Some(_) => Ok(()),
        None => Err(AppError::Internal(
            "the readiness_probe row is missing (migration 5)".into(),
        )),
    }
}

//! What a connection must be like to go back to the pool: outside any transaction.
//!
//! sqlx rolls a dropped transaction back when its connection is next used, and counts the
//! transaction ended only when that `ROLLBACK` succeeds. SQLite rolls a whole transaction back by
//! itself when a write fails with `SQLITE_FULL` or `SQLITE_IOERR` (a `COMMIT` on a full disk), so
//! sqlx's `ROLLBACK` then fails ("no transaction is active") and its count stays at one. The
//! connection's next transaction becomes a `SAVEPOINT`, and when that one is rolled back,
//! `ROLLBACK TO` keeps the transaction, and the write lock it took, open for good: every other
//! connection gets "database is locked" until a restart. The pools run these checks on every
//! connection coming back and close any that is not clean, so the store recovers by itself.

use sqlx::postgres::PgConnection;
use sqlx::sqlite::SqliteConnection;
use sqlx::{Connection, Executor};

/// What SQLite says to a `ROLLBACK` with no transaction open.
const NO_TRANSACTION: &str = "no transaction is active";

/// Whether an SQLite connection may go back to the pool: `true` when SQLite has no transaction
/// open and sqlx counts none. A transaction found open is rolled back here, and the connection
/// closed (as one sqlx miscounts is), since its last write failed in a way nobody handled.
pub(super) async fn sqlite_clean(conn: &mut SqliteConnection) -> Result<bool, sqlx::Error> {
    // sqlx counts a transaction from its `BEGIN` until a `ROLLBACK` or `COMMIT` succeeds (a
    // dropped transaction's queued rollback included), so SQLite holds one open only while
    // sqlx counts one: a connection counted clean goes back without a round trip to its worker.
    if !conn.is_in_transaction() {
        return Ok(true);
    }
    // The connection's worker runs this after any rollback a dropped transaction queued, so
    // sqlx's count is settled when it is read below.
    let rollback = conn.execute("ROLLBACK").await;
    let counted = conn.is_in_transaction();
    let open = match rollback {
        Ok(_) => true,
        Err(sqlx::Error::Database(err)) if err.message().contains(NO_TRANSACTION) => false,
        // Anything else (an I/O error): the pool closes the connection without ceremony.
        Err(err) => return Err(err),
    };
    if open || counted {
        tracing::warn!(
            open,
            counted,
            "an SQLite connection came back to the pool inside a transaction: closed"
        );
        return Ok(false);
    }
    Ok(true)
}

/// Whether a PostgreSQL connection may go back to the pool: `true` when sqlx counts no
/// transaction open.
///
/// sqlx-postgres counts a dropped transaction ended when it queues the `ROLLBACK`, and
/// PostgreSQL's `ROLLBACK` ends any transaction, aborted or not (with none open it only warns),
/// so the count holds; this closes a connection should it ever not.
pub(super) fn postgres_clean(conn: &PgConnection) -> bool {
    let counted = conn.is_in_transaction();
    if counted {
        tracing::warn!(
            "a PostgreSQL connection came back to the pool inside a transaction: closed"
        );
    }
    !counted
}

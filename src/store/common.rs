//! Queries both dialects share, written once over any sqlx pool.

use super::SchemaInfo;
use crate::error::AppError;
use sqlx::{Connection, Database, Executor, FromRow, IntoArguments, Pool};

/// Checks that a connection can be had and answers.
pub(super) async fn ping<DB: Database>(pool: &Pool<DB>) -> Result<(), AppError> {
    let mut conn = pool.acquire().await?;
    conn.ping().await?;
    Ok(())
}

/// Reads the applied schema migrations (`_sqlx_migrations` has the same shape in both dialects).
pub(super) async fn schema<DB>(pool: &Pool<DB>) -> Result<SchemaInfo, AppError>
where
    DB: Database,
    for<'c> &'c Pool<DB>: Executor<'c, Database = DB>,
    for<'q> <DB as Database>::Arguments<'q>: IntoArguments<'q, DB>,
    for<'r> (i64, i64): FromRow<'r, DB::Row>,
{
    let (version, applied): (i64, i64) = sqlx::query_as(
        "SELECT COALESCE(MAX(version), 0), COUNT(*) FROM _sqlx_migrations WHERE success",
    )
    .fetch_one(pool)
    .await?;
    Ok(SchemaInfo { version, applied })
}

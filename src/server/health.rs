//! `/healthz` (the process is up) and `/readyz` (the database takes a write).

use super::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use serde_json::{json, Value};
use std::time::Duration;

/// How long readiness waits for the database.
const READY_TIMEOUT: Duration = Duration::from_secs(2);

/// Always 200 while the process serves requests.
pub async fn healthz() -> Json<Value> {
    Json(json!({ "status": "ok", "version": env!("CARGO_PKG_VERSION") }))
}

/// 200 when the database takes a write, 503 with the reason when it does not (a full disk, a
/// stuck write lock, a database gone).
pub async fn readyz(State(state): State<AppState>) -> (StatusCode, Json<Value>) {
    let database = state.store.backend().name();
    let reason = match tokio::time::timeout(READY_TIMEOUT, state.store.check_writable()).await {
        Ok(Ok(())) => {
            return (
                StatusCode::OK,
                Json(json!({ "status": "ready", "database": database })),
            )
        }
        Ok(Err(err)) => format!("database cannot take a write: {err}"),
        Err(_) => format!(
            "database did not answer within {} s",
            READY_TIMEOUT.as_secs()
        ),
    };
    tracing::warn!(%reason, "not ready");
    (
        StatusCode::SERVICE_UNAVAILABLE,
        Json(json!({ "status": "unavailable", "database": database, "reason": reason })),
    )
}

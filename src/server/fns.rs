//! Server-side bodies of the UI's server functions; the `#[server]` wrappers live beside the
//! components in `app/` and call these.

use super::AppState;
use crate::error::{AppError, UserError};
use crate::protocol::SystemStatus;

/// The state of the running system, read from the database.
pub async fn system_status(state: &AppState) -> Result<SystemStatus, AppError> {
    let schema = state.store.schema().await?;
    Ok(SystemStatus {
        database: state.store.backend().name().to_string(),
        schema_version: schema.version,
        migrations_applied: schema.applied,
        version: env!("CARGO_PKG_VERSION").to_string(),
    })
}

/// The `AppState` of the request a server function serves.
pub fn state() -> Result<AppState, UserError> {
    leptos::prelude::use_context::<AppState>().ok_or_else(|| {
        tracing::error!("server function called without AppState in context");
        UserError::internal()
    })
}

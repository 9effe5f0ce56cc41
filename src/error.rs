//! Errors in two layers: server-side faults (ssr only) and the serialisable error users see.

use crate::protocol::ErrorCode;
use leptos::server_fn::codec::JsonEncoding;
use leptos::server_fn::error::{FromServerFnError, ServerFnErrorErr};
use serde::{Deserialize, Serialize};

/// The error a server function shows to its caller: a stable code — from the same vocabulary
/// as the socket's error frames — and a message that is safe to display (never an internal
/// detail).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
#[error("{message}")]
pub struct UserError {
    /// Stable machine-readable code, e.g. `internal`.
    pub code: ErrorCode,
    /// Human-readable text.
    pub message: String,
}

impl UserError {
    /// Builds an error from a code and a message.
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
        }
    }

    /// The error for a fault the user cannot fix; details go to the server log, not here.
    pub fn internal() -> Self {
        Self::new(
            ErrorCode::Internal,
            "Something went wrong on the server. Please try again.",
        )
    }
}

impl FromServerFnError for UserError {
    type Encoder = JsonEncoding;

    fn from_server_fn_error(value: ServerFnErrorErr) -> Self {
        match value {
            // On the server these say the call itself is wrong: a missing or malformed
            // argument, or a body over the limit (the web edge answers them 400 and 413).
            #[cfg(feature = "ssr")]
            ServerFnErrorErr::Args(detail) | ServerFnErrorErr::MissingArg(detail) => Self::new(
                ErrorCode::InvalidArguments,
                format!("The call's arguments are missing or malformed: {detail}"),
            ),
            #[cfg(feature = "ssr")]
            ServerFnErrorErr::Deserialization(detail) if detail.contains("length limit") => {
                Self::new(ErrorCode::TooLarge, "The request body is over the limit.")
            }
            #[cfg(feature = "ssr")]
            ServerFnErrorErr::Deserialization(detail) => Self::new(
                ErrorCode::InvalidArguments,
                format!("The call's body cannot be read: {detail}"),
            ),
            // The request never reached the server (offline, server down): say so plainly.
            ServerFnErrorErr::Request(_) => {
                Self::new(ErrorCode::Unreachable, "The server could not be reached.")
            }
            other => Self::new(ErrorCode::Internal, other.to_string()),
        }
    }
}

#[cfg(feature = "ssr")]
pub use server_side::{ApiError, AppError};

#[cfg(feature = "ssr")]
mod server_side {
    use super::UserError;
    use axum::http::{header, HeaderValue, StatusCode};
    use axum::response::{IntoResponse, Response};
    use axum::Json;
    use serde_json::json;

    /// A real fault on the server. Expected outcomes (a refusal, a lockout) are values, not these.
    #[derive(Debug, thiserror::Error)]
    pub enum AppError {
        /// The database failed or could not be reached.
        #[error("database error: {0}")]
        Database(#[from] sqlx::Error),
        /// Applying the schema migrations failed.
        #[error("migration error: {0}")]
        Migration(#[from] sqlx::migrate::MigrateError),
        /// The configuration cannot be used.
        #[error("configuration error: {0}")]
        Config(String),
        /// Any other fault (a failed task, a signing failure).
        #[error("internal error: {0}")]
        Internal(String),
    }

    impl AppError {
        /// What the user may see: internals are logged here and never leaked.
        pub fn to_user(&self) -> UserError {
            tracing::error!(error = %self, "request failed");
            UserError::internal()
        }
    }

    /// An HTTP answer that is not a success, as the API gives it (`{"detail": …}`, as the
    /// original did): a refusal the caller can act on, a lockout, or a fault — logged, and
    /// answered 500 without its details. Every plain HTTP handler answers through this one
    /// mapping.
    #[derive(Debug)]
    pub enum ApiError {
        /// Refused with this status and words.
        Refused(StatusCode, String),
        /// Too many failed logins: 429 with `Retry-After` seconds.
        Locked(u64),
        /// A fault on the server.
        Fault(AppError),
    }

    impl ApiError {
        /// A refusal with `status` and `detail`.
        pub fn new(status: StatusCode, detail: impl Into<String>) -> Self {
            Self::Refused(status, detail.into())
        }
    }

    impl From<AppError> for ApiError {
        fn from(err: AppError) -> Self {
            Self::Fault(err)
        }
    }

    impl IntoResponse for ApiError {
        fn into_response(self) -> Response {
            match self {
                ApiError::Refused(status, detail) => {
                    (status, Json(json!({ "detail": detail }))).into_response()
                }
                ApiError::Locked(retry_after) => {
                    let body = json!({
                        "detail": format!(
                            "Too many failed login attempts; try again in {retry_after} seconds"
                        ),
                        "retry_after": retry_after,
                    });
                    let mut response = (StatusCode::TOO_MANY_REQUESTS, Json(body)).into_response();
                    response
                        .headers_mut()
                        .insert(header::RETRY_AFTER, HeaderValue::from(retry_after));
                    response
                }
                ApiError::Fault(err) => {
                    tracing::error!(error = %err, "request failed");
                    (
                        StatusCode::INTERNAL_SERVER_ERROR,
                        Json(json!({ "detail": "Internal server error" })),
                    )
                        .into_response()
                }
            }
        }
    }
}

//! Errors in two layers: server-side faults (ssr only) and the serialisable error users see.

use leptos::server_fn::codec::JsonEncoding;
use leptos::server_fn::error::{FromServerFnError, ServerFnErrorErr};
use serde::{Deserialize, Serialize};

/// The error a server function or API answer shows to its caller: a stable code and a message
/// that is safe to display (never an internal detail).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
#[error("{message}")]
pub struct UserError {
    /// Stable machine-readable code, e.g. `internal`.
    pub code: String,
    /// Human-readable text.
    pub message: String,
}

/// The code of a server-function call whose arguments are missing or malformed (HTTP 400).
pub const INVALID_ARGUMENTS: &str = "invalid_arguments";
/// The code of a server-function call whose body is over the limit (HTTP 413).
pub const TOO_LARGE: &str = "too_large";
/// The code of an argument the function refuses (too long, out of range; HTTP 400).
pub const INVALID_CONTENT: &str = "invalid_content";

impl UserError {
    /// Builds an error from a code and a message.
    pub fn new(code: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            code: code.into(),
            message: message.into(),
        }
    }

    /// The error for a fault the user cannot fix; details go to the server log, not here.
    pub fn internal() -> Self {
        Self::new(
            "internal",
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
                INVALID_ARGUMENTS,
                format!("The call's arguments are missing or malformed: {detail}"),
            ),
            #[cfg(feature = "ssr")]
            ServerFnErrorErr::Deserialization(detail) if detail.contains("length limit") => {
                Self::new(TOO_LARGE, "The request body is over the limit.")
            }
            #[cfg(feature = "ssr")]
            ServerFnErrorErr::Deserialization(detail) => Self::new(
                INVALID_ARGUMENTS,
                format!("The call's body cannot be read: {detail}"),
            ),
            // The request never reached the server (offline, server down): say so plainly.
            ServerFnErrorErr::Request(_) => {
                Self::new("unreachable", "The server could not be reached.")
            }
            other => Self::new("internal", other.to_string()),
        }
    }
}

#[cfg(feature = "ssr")]
pub use server_side::AppError;

#[cfg(feature = "ssr")]
mod server_side {
    use super::UserError;

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
}

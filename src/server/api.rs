//! API v1 credentials: `/api/v1/login`, `/api/v1/refresh`, `/api/v1/logout`, answering exactly as
//! the original did (`{"detail": …}` refusals, 422 for missing fields, 429 with `Retry-After`).

use super::client::ClientAddr;
use super::AppState;
use crate::auth::{Refreshed, TokenPair, Verdict};
use crate::error::ApiError;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::{json, Value};

/// Reads the named non-empty string fields of a JSON object body, or says what is wrong (422).
fn fields<const N: usize>(body: &[u8], names: [&str; N]) -> Result<[String; N], String> {
    let value: Value = serde_json::from_slice(body)
        .map_err(|e| format!("The request body must be a JSON object: {e}"))?;
    let Some(object) = value.as_object() else {
        return Err("The request body must be a JSON object".into());
    };
    let mut out: [String; N] = std::array::from_fn(|_| String::new());
    for (slot, name) in out.iter_mut().zip(names) {
        match object.get(name).and_then(Value::as_str) {
            Some(text) if !text.is_empty() => *slot = text.to_string(),
            _ => {
                return Err(format!(
                    "Field `{name}` is required and must be a non-empty string"
                ))
            }
        }
    }
    Ok(out)
}

fn unprocessable(message: String) -> ApiError {
    ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, message)
}

fn tokens(pair: TokenPair) -> Response {
    Json(json!({
        "access_token": pair.access_token,
        "refresh_token": pair.refresh_token,
        "token_type": "bearer",
        "expires_in": pair.expires_in,
    }))
    .into_response()
}

/// `POST /api/v1/login {username, password}`.
pub async fn login(
    State(state): State<AppState>,
    ClientAddr(addr): ClientAddr,
    body: Bytes,
) -> Result<Response, ApiError> {
    let [username, password] = fields(&body, ["username", "password"]).map_err(unprocessable)?;
    let verdict = state
        .auth
        .check_credentials(&username, &password, &addr)
        .await?;
    match verdict {
        Verdict::Accepted(user) => {
            let pair = state.auth.open_api_session(&user, Some(addr)).await?;
            tracing::info!(user = %user.name, "API login");
            Ok(tokens(pair))
        }
        Verdict::Invalid => {
            let mut response =
                ApiError::new(StatusCode::UNAUTHORIZED, "Invalid username or password")
                    .into_response();
            response
                .headers_mut()
                .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
            Ok(response)
        }
        Verdict::Locked { retry_after } => Err(ApiError::Locked(retry_after)),
    }
}

/// `POST /api/v1/refresh {refresh_token}`.
pub async fn refresh(State(state): State<AppState>, body: Bytes) -> Result<Response, ApiError> {
    let [token] = fields(&body, ["refresh_token"]).map_err(unprocessable)?;
    match state.auth.refresh(&token).await? {
        Refreshed::Rotated(pair) => Ok(tokens(pair)),
        Refreshed::Reused => Err(ApiError::new(
            StatusCode::UNAUTHORIZED,
            "This refresh token was already used; the session has been revoked. Log in again",
        )),
        Refreshed::Invalid => Err(ApiError::new(
            StatusCode::UNAUTHORIZED,
            "Invalid or expired refresh token",
        )),
    }
}

/// `POST /api/v1/logout {refresh_token}`: 200 even for an unknown token.
pub async fn logout(State(state): State<AppState>, body: Bytes) -> Result<Response, ApiError> {
    let [token] = fields(&body, ["refresh_token"]).map_err(unprocessable)?;
    state.auth.logout_refresh(&token).await?;
    Ok(Json(json!({ "detail": "Logged out" })).into_response())
}

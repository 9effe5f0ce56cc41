//! API v1 credentials: `/api/v1/login`, `/api/v1/refresh`, `/api/v1/logout`, answering exactly as
//! the original did (`{"detail": …}` refusals, 422 for missing fields, 429 with `Retry-After`).

use super::client::ClientAddr;
use super::AppState;
use crate::auth::{Refreshed, TokenPair, Verdict};
use crate::error::AppError;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::{json, Value};

/// `{"detail": message}` with a status.
pub fn detail(status: StatusCode, message: &str) -> Response {
    (status, Json(json!({ "detail": message }))).into_response()
}

/// A fault: logged, never leaked.
pub fn internal(err: &AppError) -> Response {
    tracing::error!(error = %err, "request failed");
    detail(StatusCode::INTERNAL_SERVER_ERROR, "Internal server error")
}

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

fn unprocessable(message: &str) -> Response {
    detail(StatusCode::UNPROCESSABLE_ENTITY, message)
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

/// The 429 of a lockout: `Retry-After` and a body that says when it lifts.
pub fn locked(retry_after: u64) -> Response {
    let body = json!({
        "detail": format!("Too many failed login attempts; try again in {retry_after} seconds"),
        "retry_after": retry_after,
    });
    let mut response = (StatusCode::TOO_MANY_REQUESTS, Json(body)).into_response();
    response
        .headers_mut()
        .insert(header::RETRY_AFTER, HeaderValue::from(retry_after));
    response
}

/// `POST /api/v1/login {username, password}`.
pub async fn login(
    State(state): State<AppState>,
    ClientAddr(addr): ClientAddr,
    body: Bytes,
) -> Response {
    let [username, password] = match fields(&body, ["username", "password"]) {
        Ok(f) => f,
        Err(message) => return unprocessable(&message),
    };
    let verdict = match state
        .auth
        .check_credentials(&username, &password, &addr)
        .await
    {
        Ok(v) => v,
        Err(err) => return internal(&err),
    };
    match verdict {
        Verdict::Accepted(user) => match state.auth.open_api_session(&user, Some(addr)).await {
            Ok(pair) => {
                tracing::info!(user = %user.name, "API login");
                tokens(pair)
            }
            Err(err) => internal(&err),
        },
        Verdict::Invalid => {
            let mut response = detail(StatusCode::UNAUTHORIZED, "Invalid username or password");
            response
                .headers_mut()
                .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
            response
        }
        Verdict::Locked { retry_after } => locked(retry_after),
    }
}

/// `POST /api/v1/refresh {refresh_token}`.
pub async fn refresh(State(state): State<AppState>, body: Bytes) -> Response {
    let [token] = match fields(&body, ["refresh_token"]) {
        Ok(f) => f,
        Err(message) => return unprocessable(&message),
    };
    match state.auth.refresh(&token).await {
        Ok(Refreshed::Rotated(pair)) => tokens(pair),
        Ok(Refreshed::Reused) => detail(
            StatusCode::UNAUTHORIZED,
            "This refresh token was already used; the session has been revoked. Log in again",
        ),
        Ok(Refreshed::Invalid) => {
            detail(StatusCode::UNAUTHORIZED, "Invalid or expired refresh token")
        }
        Err(err) => internal(&err),
    }
}

/// `POST /api/v1/logout {refresh_token}`: 200 even for an unknown token.
pub async fn logout(State(state): State<AppState>, body: Bytes) -> Response {
    let [token] = match fields(&body, ["refresh_token"]) {
        Ok(f) => f,
        Err(message) => return unprocessable(&message),
    };
    match state.auth.logout_refresh(&token).await {
        Ok(()) => Json(json!({ "detail": "Logged out" })).into_response(),
        Err(err) => internal(&err),
    }
}

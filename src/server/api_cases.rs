//! API v1 routes about cases, tests and encounters: `/case`, `/cases`, `/tests`, `/encounters`.

use super::client::{bearer_token, session_cookie};
use super::views;
use super::AppState;
use crate::error::ApiError;
use crate::store::SessionRecord;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Deserialize;
use serde_json::json;

/// The caller's live session: `Authorization: Bearer` (API) or the session cookie (browser).
pub async fn caller(state: &AppState, headers: &HeaderMap) -> Result<SessionRecord, ApiError> {
    let bearer = bearer_token(headers);
    let found = match (bearer, session_cookie(headers)) {
        (Some(token), _) => state.auth.session_for_access_token(token).await?,
        (None, Some(cookie)) => state.auth.session_for_cookie(&cookie).await?,
        (None, None) => {
            return Err(ApiError::new(StatusCode::UNAUTHORIZED, "Not authenticated"));
        }
    };
    found.ok_or_else(|| ApiError::new(StatusCode::UNAUTHORIZED, "Invalid or expired credentials"))
}

fn no_case() -> ApiError {
    ApiError::new(StatusCode::NOT_FOUND, "No case is loaded")
}

/// `GET /api/v1/case`: the default case's abstract (no login, as the original).
pub async fn default_case(State(state): State<AppState>) -> Result<Response, ApiError> {
    let id = state
        .encounters
        .default_case_id()
        .await?
        .ok_or_else(no_case)?;
    let case = state.store.case(&id).await?.ok_or_else(no_case)?;
    Ok(
        Json(json!({ "summary": case.summary, "id": case.id, "title": case.title }))
            .into_response(),
    )
}

/// `GET /api/v1/cases`: every case's listing.
pub async fn cases(State(state): State<AppState>) -> Result<Response, ApiError> {
    let cases = state.store.list_cases().await?;
    Ok(Json(json!({
        "cases": cases.iter().map(|c| json!({
            "id": c.id,
            "title": c.title,
            "specialty": c.specialty,
            "difficulty": c.difficulty,
            "summary": c.summary,
            "default": c.is_default,
        })).collect::<Vec<_>>()
    }))
    .into_response())
}

/// The query of `/api/v1/tests`.
#[derive(Debug, Deserialize)]
pub struct TestsQuery {
    q: Option<String>,
}

/// `GET /api/v1/tests`: every priced name, sorted; with `?q=`, the best matches with prices.
pub async fn tests(
    State(state): State<AppState>,
    Query(query): Query<TestsQuery>,
) -> Result<Response, ApiError> {
    let prices = &state.encounters.clinic.prices;
    let limit = crate::engine::prices::MAX_NAME_CHARS;
    if query.q.as_ref().is_some_and(|q| q.chars().count() > limit) {
        return Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            format!("The query q is at most {limit} characters"),
        ));
    }
    Ok(match query.q.filter(|q| !q.trim().is_empty()) {
        Some(q) => Json(json!({ "tests": views::search_tests(&state, &q, 10) })).into_response(),
        None => {
            let mut names: Vec<&str> = prices.tests().iter().map(|t| t.name.as_str()).collect();
            names.sort_unstable_by_key(|n| n.to_lowercase());
            Json(json!({ "tests": names })).into_response()
        }
    })
}

/// `GET /api/v1/encounters`: the caller's encounters, newest first.
pub async fn encounters(
    State(state): State<AppState>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let session = caller(&state, &headers).await?;
    let list = views::encounters_of(&state, session.user_id).await?;
    Ok(Json(json!({ "encounters": list })).into_response())
}

/// `GET /api/v1/encounters/ID`: one of the caller's encounters, whole.
pub async fn encounter(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let session = caller(&state, &headers).await?;
    let (record, parsed) = state
        .encounters
        .own(session.user_id, &id)
        .await?
        .ok_or_else(|| ApiError::new(StatusCode::NOT_FOUND, "No such encounter"))?;
    Ok(Json(views::view(&state, &record, parsed).await?).into_response())
}

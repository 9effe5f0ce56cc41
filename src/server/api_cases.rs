//! API v1 routes about cases, tests and encounters: `/case`, `/cases`, `/tests`, `/encounters`.

use super::api::{detail, internal};
use super::client::{bearer_token, session_cookie};
use super::encounter::{default_case_id, load_case};
use super::AppState;
use crate::engine::EncounterState;
use crate::protocol::Money;
use crate::store::{EncounterRecord, SessionRecord};
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Deserialize;
use serde_json::{json, Value};
use std::collections::HashMap;

/// The caller's live session: `Authorization: Bearer` (API) or the session cookie (browser).
pub async fn caller(state: &AppState, headers: &HeaderMap) -> Result<SessionRecord, Response> {
    let bearer = bearer_token(headers);
    let found = match (bearer, session_cookie(headers)) {
        (Some(token), _) => state.auth.session_for_access_token(token).await,
        (None, Some(cookie)) => state.auth.session_for_cookie(&cookie).await,
        (None, None) => return Err(detail(StatusCode::UNAUTHORIZED, "Not authenticated")),
    };
    match found {
        Ok(Some(session)) => Ok(session),
        Ok(None) => Err(detail(
            StatusCode::UNAUTHORIZED,
            "Invalid or expired credentials",
        )),
        Err(err) => Err(internal(&err)),
    }
}

/// `GET /api/v1/case`: the default case's abstract (no login, as the original).
pub async fn default_case(State(state): State<AppState>) -> Response {
    let id = match default_case_id(&state).await {
        Ok(id) => id,
        Err(err) => return internal(&err),
    };
    let Some(id) = id else {
        return detail(StatusCode::NOT_FOUND, "No case is loaded");
    };
    match state.store.case(&id).await {
        Ok(Some(case)) => {
            Json(json!({ "summary": case.summary, "id": case.id, "title": case.title }))
                .into_response()
        }
        Ok(None) => detail(StatusCode::NOT_FOUND, "No case is loaded"),
        Err(err) => internal(&err),
    }
}

/// `GET /api/v1/cases`: every case's listing.
pub async fn cases(State(state): State<AppState>) -> Response {
    match state.store.list_cases().await {
        Ok(cases) => Json(json!({
            "cases": cases.iter().map(|c| json!({
                "id": c.id,
                "title": c.title,
                "specialty": c.specialty,
                "difficulty": c.difficulty,
                "summary": c.summary,
                "default": c.is_default,
            })).collect::<Vec<_>>()
        }))
        .into_response(),
        Err(err) => internal(&err),
    }
}

/// The query of `/api/v1/tests`.
#[derive(Debug, Deserialize)]
pub struct TestsQuery {
    q: Option<String>,
}

/// `GET /api/v1/tests`: every priced name, sorted; with `?q=`, the best matches with prices.
pub async fn tests(State(state): State<AppState>, Query(query): Query<TestsQuery>) -> Response {
    let prices = &state.clinic.prices;
    match query.q.filter(|q| !q.trim().is_empty()) {
        Some(q) => Json(json!({
            "tests": prices.search(&q, 10).iter().map(|t| json!({
                "name": t.name,
                "cpt": t.cpt,
                "price": t.price,
                "estimate": false,
            })).collect::<Vec<_>>()
        }))
        .into_response(),
        None => {
            let mut names: Vec<&str> = prices.tests().iter().map(|t| t.name.as_str()).collect();
            names.sort_unstable_by_key(|n| n.to_lowercase());
            Json(json!({ "tests": names })).into_response()
        }
    }
}

fn parse_state(record: &EncounterRecord) -> Option<EncounterState> {
    serde_json::from_str(&record.state).ok()
}

fn summary(record: &EncounterRecord, titles: &HashMap<String, String>) -> Value {
    let state = parse_state(record).unwrap_or_default();
    json!({
        "id": record.id,
        "case_id": record.case_id,
        "case_title": titles.get(&record.case_id),
        "status": record.status,
        "total_spent": Money(record.spent_cents),
        "budget": record.budget_cents.map(Money),
        "ordered_tests": state.ordered_names(),
        "verdict": state.verdict,
        "created_at": record.created_at,
        "updated_at": record.updated_at,
    })
}

/// `GET /api/v1/encounters`: the caller's encounters, newest first.
pub async fn encounters(State(state): State<AppState>, headers: HeaderMap) -> Response {
    let session = match caller(&state, &headers).await {
        Ok(s) => s,
        Err(response) => return response,
    };
    let (records, cases) = match (
        state.store.encounters_of(session.user_id).await,
        state.store.list_cases().await,
    ) {
        (Ok(r), Ok(c)) => (r, c),
        (Err(err), _) | (_, Err(err)) => return internal(&err),
    };
    let titles: HashMap<String, String> = cases.into_iter().map(|c| (c.id, c.title)).collect();
    Json(json!({
        "encounters": records.iter().map(|r| summary(r, &titles)).collect::<Vec<_>>()
    }))
    .into_response()
}

/// The caller's own encounter, or the 404 that hides others'.
async fn own_encounter(
    state: &AppState,
    headers: &HeaderMap,
    id: &str,
) -> Result<(EncounterRecord, EncounterState), Response> {
    let session = caller(state, headers).await?;
    match state.store.encounter(id).await {
        Ok(Some(record)) if record.user_id == session.user_id => match parse_state(&record) {
            Some(parsed) => Ok((record, parsed)),
            None => Err(detail(
                StatusCode::INTERNAL_SERVER_ERROR,
                "Internal server error",
            )),
        },
        Ok(_) => Err(detail(StatusCode::NOT_FOUND, "No such encounter")),
        Err(err) => Err(internal(&err)),
    }
}

/// `GET /api/v1/encounters/ID`: one of the caller's encounters, whole.
pub async fn encounter(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    let (record, parsed) = match own_encounter(&state, &headers, &id).await {
        Ok(found) => found,
        Err(response) => return response,
    };
    let case = load_case(&state, &record.case_id).await.ok().flatten();
    let mut body = summary(
        &record,
        &case
            .iter()
            .map(|c| (c.id.clone(), c.title.clone()))
            .collect(),
    );
    body["case_summary"] = json!(case.as_ref().map(|c| c.summary.clone()));
    body["remaining_budget"] = json!(parsed.remaining());
    body["transcript"] = json!(parsed.transcript);
    body["tests"] = json!(parsed.ordered);
    Json(body).into_response()
}

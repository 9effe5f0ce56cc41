//! Exports of one's own encounter (Markdown, JSON, FHIR) and the original's FHIR endpoints
//! (admin group only, decided from the stored session).

use super::api_cases::caller;
use super::views;
use super::AppState;
use crate::engine::encounter::{EncounterState, Turn};
use crate::engine::fhir;
use crate::error::ApiError;
use crate::protocol::{Action, Actor, Group};
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Deserialize;
use serde_json::Value;

/// The query of the export route.
#[derive(Debug, Deserialize)]
pub struct ExportQuery {
    format: Option<String>,
}

fn speaker(turn: &Turn) -> (&'static str, &'static str) {
    match turn.action {
        Action::Question | Action::Ping | Action::Panel | Action::PanelRun => {
            ("Question", "Answer")
        }
        Action::Test => ("Order", "Result"),
        Action::Diagnosis => ("Diagnosis", "Judge"),
    }
}

/// Text from a case, a physician or a model, made safe for Markdown: renderers pass inline HTML
/// through, so `<`, `>` and `&` go in as entities (which render as the characters themselves).
fn text(raw: &str) -> std::borrow::Cow<'_, str> {
    html_escape::encode_text(raw)
}

/// The encounter as a Markdown document; every step, order and the diagnosis name who took
/// them (`owner` is the user name of the encounter's physician). Every text in it that is not
/// ours is escaped (see [`text`]).
pub fn markdown(
    id: &str,
    title: &str,
    summary: &str,
    owner: &str,
    state: &EncounterState,
) -> String {
    let who = |actor: &Actor| text(&actor.name(Some(owner))).into_owned();
    let (id, title, summary) = (text(id), text(title), text(summary));
    let mut out = format!("# Encounter {id}\n\n**Case:** {title}\n\n> {summary}\n\n");
    out.push_str(&format!(
        "**Status:** {:?} · **Total spent:** ${}",
        state.status, state.spent
    ));
    if let Some(budget) = state.budget {
        out.push_str(&format!(" · **Budget:** ${budget}"));
    }
    out.push_str(&format!("\n\n**Physician:** {}", text(owner)));
    if let Some(by) = state.diagnosed_by() {
        out.push_str(&format!(" · **Diagnosed by:** {}", who(&by)));
    }
    out.push_str("\n\n## Transcript\n\n");
    for (i, step) in state.acted_transcript().iter().enumerate() {
        let turn = &step.turn;
        let (asked, answered) = speaker(turn);
        out.push_str(&format!(
            "{}. **{asked} by {}:** {}\n   **{answered}:** {} _(cost ${})_\n",
            i + 1,
            who(&step.actor),
            text(turn.content.trim()),
            text(turn.reply.trim()).replace('\n', "\n   "),
            turn.cost
        ));
    }
    if !state.panel.is_empty() {
        out.push_str("\n## AI panel\n");
        for turn in &state.panel {
            let member = turn
                .member
                .map(|m| format!(" (panel {m})"))
                .unwrap_or_default();
            let by = turn
                .by
                .as_ref()
                .map(|p| format!(" — {}", text(&p.name())))
                .unwrap_or_default();
            out.push_str(&format!("\n### Turn {}{member}{by}\n\n", turn.turn));
            for c in &turn.contributions {
                out.push_str(&format!(
                    "- **{}:** {}\n",
                    text(crate::protocol::persona_title(&c.persona)),
                    text(c.text.trim()).replace('\n', " ")
                ));
            }
            if !turn.differential.is_empty() {
                out.push_str(&format!(
                    "\n**Differential:** {}\n",
                    text(&turn.differential_text())
                ));
            }
            let decision = text(&turn.proposal.describe()).into_owned();
            let reasons = text(&turn.reasons);
            out.push_str(&format!("**Decision:** {decision}. {reasons}\n"));
            for note in &turn.notes {
                out.push_str(&format!("_{}_\n", text(note)));
            }
        }
    }
    if !state.ordered.is_empty() {
        out.push_str(
            "\n## Tests\n\n| Test | CPT | Price | Ordered by | Result from |\n|---|---|---|---|---|\n",
        );
        for t in state.acted_tests() {
            out.push_str(&format!(
                "| {} | {} | ${} | {} | {} |\n",
                text(&t.test.name),
                text(&t.test.cpt),
                t.test.price,
                who(&t.actor),
                text(t.test.source.note().unwrap_or("the case record"))
            ));
        }
    }
    if let Some(v) = &state.verdict {
        out.push_str(&format!(
            "\n## Verdict\n\n{} — score {}/5. Diagnosis given by {}: {}. True diagnosis: {}. {}\n",
            if v.correct { "Correct" } else { "Incorrect" },
            v.score,
            who(&v.actor),
            text(&v.given),
            text(&v.diagnosis),
            text(&v.rationale)
        ));
        if !v.judged_by.is_empty() {
            out.push_str(&format!("Judged by {}.\n", text(&v.judged_by)));
        }
        for point in &v.teaching_points {
            out.push_str(&format!("- {}\n", text(point)));
        }
    }
    out
}

/// `GET /api/v1/encounters/ID/export?format=markdown|json|fhir`.
pub async fn export(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
    Query(query): Query<ExportQuery>,
) -> Result<Response, ApiError> {
    let format = query.format.unwrap_or_else(|| "markdown".into());
    if !matches!(format.as_str(), "markdown" | "md" | "json" | "fhir") {
        return Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            "format must be markdown, json or fhir",
        ));
    }
    let session = caller(&state, &headers).await?;
    let (record, parsed) = state
        .encounters
        .own(session.user_id, &id)
        .await?
        .ok_or_else(|| ApiError::new(StatusCode::NOT_FOUND, "No such encounter"))?;
    let view = views::view(&state, &record, parsed.clone()).await?;
    let title = view
        .summary
        .case_title
        .clone()
        .unwrap_or_else(|| record.case_id.clone());
    let summary = view.case_summary.clone().unwrap_or_default();
    let filename = |ext: &str| format!("attachment; filename=\"encounter-{id}.{ext}\"");
    let (body, content_type, ext) = match format.as_str() {
        "json" => (
            serde_json::to_string_pretty(&view).unwrap_or_default(),
            "application/json",
            "json",
        ),
        "fhir" => (
            fhir::encounter_bundle(&parsed, &session.user_name).to_string(),
            "application/fhir+json",
            "fhir.json",
        ),
        _ => (
            markdown(&record.id, &title, &summary, &session.user_name, &parsed),
            "text/markdown; charset=utf-8",
            "md",
        ),
    };
    let mut response = body.into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    if let Ok(value) = HeaderValue::from_str(&filename(ext)) {
        headers.insert(header::CONTENT_DISPOSITION, value);
    }
    Ok(response)
}

/// The JSON object body of a request from the admin group: 401 / 403 for anyone else, 422 for
/// a body that is not a JSON object.
async fn admin_body(
    state: &AppState,
    headers: &HeaderMap,
    body: &[u8],
) -> Result<serde_json::Map<String, Value>, ApiError> {
    let session = caller(state, headers).await?;
    if session.group != Group::Admin {
        return Err(ApiError::new(StatusCode::FORBIDDEN, "Admin group required"));
    }
    match serde_json::from_slice::<Value>(body) {
        Ok(Value::Object(map)) => Ok(map),
        _ => Err(unprocessable("The request body must be a JSON object")),
    }
}

fn patient(map: &serde_json::Map<String, Value>) -> Option<String> {
    map.get("patient_id")
        .and_then(Value::as_str)
        .map(str::to_string)
}

/// `POST /api/v1/fhir/transcript {transcript: [[speaker, text], …], patient_id?}` (admin).
pub async fn fhir_transcript(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, ApiError> {
    let map = admin_body(&state, &headers, &body).await?;
    let Some(items) = map.get("transcript").and_then(Value::as_array) else {
        return Err(unprocessable(
            "Field `transcript` must be a list of [speaker, text] pairs",
        ));
    };
    if items.len() > MAX_FHIR_ENTRIES {
        return Err(too_many("transcript"));
    }
    let mut lines = Vec::new();
    for item in items {
        match item.as_array().map(Vec::as_slice) {
            Some([Value::String(who), Value::String(text)]) => {
                lines.push((who.clone(), text.clone()))
            }
            _ => {
                return Err(unprocessable(
                    "Each transcript entry must be [speaker, text]",
                ))
            }
        }
    }
    Ok(Json(fhir::transcript_bundle(&lines, patient(&map).as_deref())).into_response())
}

/// The most entries a FHIR conversion takes: each becomes a resource of a few hundred bytes,
/// so a body of tiny entries would otherwise come back 25 times larger.
pub const MAX_FHIR_ENTRIES: usize = 2_000;

fn too_many(field: &str) -> ApiError {
    ApiError::new(
        StatusCode::PAYLOAD_TOO_LARGE,
        format!("Field `{field}` holds at most {MAX_FHIR_ENTRIES} entries"),
    )
}

fn unprocessable(detail: &str) -> ApiError {
    ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, detail)
}

/// `POST /api/v1/fhir/tests {tests: [names], patient_id?}` (admin).
pub async fn fhir_tests(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, ApiError> {
    let map = admin_body(&state, &headers, &body).await?;
    let names: Option<Vec<String>> = map
        .get("tests")
        .and_then(Value::as_array)
        .and_then(|items| {
            items
                .iter()
                .map(|v| v.as_str().map(str::to_string))
                .collect()
        });
    let Some(names) = names else {
        return Err(unprocessable("Field `tests` must be a list of test names"));
    };
    if names.len() > MAX_FHIR_ENTRIES {
        return Err(too_many("tests"));
    }
    Ok(Json(fhir::tests_bundle(
        &names,
        &state.encounters.clinic.prices,
        patient(&map).as_deref(),
    ))
    .into_response())
}

//! What the API and the UI show of cases and encounters, built once for both: the case cards,
//! an encounter's summary and its whole view, and the owner check that hides others' encounters.

use super::AppState;
use crate::engine::EncounterState;
use crate::error::AppError;
use crate::protocol::{CaseCard, EncounterSummary, EncounterView, Money, TestPrice};
use crate::store::EncounterRecord;
use std::collections::HashMap;

/// The list form of an encounter.
pub fn summary(
    record: &EncounterRecord,
    parsed: &EncounterState,
    case_title: Option<String>,
) -> EncounterSummary {
    EncounterSummary {
        id: record.id.clone(),
        case_id: record.case_id.clone(),
        case_title,
        status: record.status.clone(),
        total_spent: Money(record.spent_cents),
        budget: record.budget_cents.map(Money),
        ordered_tests: parsed.ordered_names(),
        verdict: parsed.verdict.clone(),
        diagnosed_by: parsed.diagnosed_by(),
        created_at: record.created_at,
        updated_at: record.updated_at,
    }
}

/// The whole view of an encounter.
pub async fn view(
    state: &AppState,
    record: &EncounterRecord,
    parsed: EncounterState,
) -> Result<EncounterView, AppError> {
    let case = state.encounters.case(&record.case_id).await?;
    Ok(EncounterView {
        summary: summary(record, &parsed, case.as_ref().map(|c| c.title.clone())),
        case_summary: case.as_ref().map(|c| c.summary.clone()),
        remaining_budget: parsed.remaining(),
        in_visit: parsed.in_visit,
        visit_cost: state.encounters.clinic.visit_cost,
        has_diagnosis: case.as_ref().is_some_and(|c| c.diagnosis.is_some()),
        transcript: parsed.acted_transcript(),
        tests: parsed.acted_tests(),
        panel: parsed.panel,
        panel_engine: state.encounters.clinic.panel.engine().to_string(),
    })
}

/// A user's encounters, newest first.
pub async fn encounters_of(
    state: &AppState,
    user_id: i64,
) -> Result<Vec<EncounterSummary>, AppError> {
    let records = state.store.encounters_of(user_id).await?;
    let titles: HashMap<String, String> = state
        .store
        .list_cases()
        .await?
        .into_iter()
        .map(|c| (c.id, c.title))
        .collect();
    records
        .iter()
        .map(|r| {
            Ok(summary(
                r,
                &crate::clinic::parse_state(r)?,
                titles.get(&r.case_id).cloned(),
            ))
        })
        .collect()
}

/// Every case's card; with a user, each names that user's newest open encounter on it.
pub async fn case_cards(state: &AppState, user_id: Option<i64>) -> Result<Vec<CaseCard>, AppError> {
    let mut open: HashMap<String, String> = HashMap::new();
    if let Some(user_id) = user_id {
        // Newest first: the first open one seen per case wins.
        for (case_id, id) in state.store.open_encounters_of(user_id).await? {
            open.entry(case_id).or_insert(id);
        }
    }
    Ok(state
        .store
        .list_cases()
        .await?
        .into_iter()
        .map(|c| CaseCard {
            open_encounter: open.get(&c.id).cloned(),
            id: c.id,
            title: c.title,
            specialty: c.specialty,
            difficulty: c.difficulty,
            summary: c.summary,
        })
        .collect())
}

/// The best matches of a test search, best first.
pub fn search_tests(state: &AppState, query: &str, limit: usize) -> Vec<TestPrice> {
    state
        .encounters
        .clinic
        .prices
        .search(query, limit)
        .iter()
        .map(|t| TestPrice {
            name: t.name.clone(),
            cpt: t.cpt.clone(),
            price: t.price,
            estimate: false,
        })
        .collect()
}

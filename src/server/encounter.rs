//! Encounters over the socket: which encounter a socket works on, and one step of it — load the
//! stored state, apply the action with the engine, save under a version check, answer in frames.

use super::AppState;
use crate::engine::panel::Panel;
use crate::engine::{Case, EncounterState, Engine, Gatekeeper, Judge, PriceTable};
use crate::error::AppError;
use crate::protocol::{Action, DoneFrame, ErrorCode, ErrorFrame, Money, ReplyFrame, ServerFrame};
use crate::store::{EncounterRecord, SessionRecord};
use serde_json::Value;
use std::sync::Arc;

/// Prices, gatekeeper, judge and costs: what every encounter shares.
#[derive(Clone)]
pub struct Clinic {
    /// The price table.
    pub prices: Arc<PriceTable>,
    /// Answers questions and tests.
    pub gatekeeper: Arc<dyn Gatekeeper>,
    /// Scores diagnoses.
    pub judge: Arc<dyn Judge>,
    /// One physician visit.
    pub visit_cost: Money,
    /// The budget of new encounters when the socket names none.
    pub default_budget: Option<Money>,
    /// The case a socket opens when it names none (else the bundled default).
    pub default_case: Option<String>,
    /// Prices test names the table cannot match (with a language model only).
    pub estimator: Option<Arc<dyn crate::engine::TestEstimator>>,
    /// The AI panel ("Ask the panel", "Let the panel run"): offline unless a model is set.
    pub panel: Arc<dyn Panel>,
}

impl Clinic {
    /// The offline clinic: bundled prices, offline gatekeeper and judge.
    pub fn offline(
        visit_cost: Money,
        default_budget: Option<Money>,
        default_case: Option<String>,
    ) -> Self {
        let prices = PriceTable::bundled();
        let panel: Arc<dyn Panel> = match crate::engine::bayes::bundled_panel(&prices) {
            Ok(panel) => Arc::new(panel),
            Err(why) => {
                tracing::error!("{why}");
                Arc::new(UnavailablePanel(why))
            }
        };
        Self {
            prices: Arc::new(prices),
            panel,
            gatekeeper: Arc::new(crate::engine::OfflineGatekeeper),
            judge: Arc::new(crate::engine::OfflineJudge),
            visit_cost,
            default_budget,
            default_case,
            estimator: None,
        }
    }
}

impl Clinic {
    /// The budget of a new encounter from what the physician typed: blank means the configured
    /// default; otherwise a dollar amount, or `None` when it is not one.
    pub fn budget_for(&self, typed: Option<&str>) -> Option<Option<Money>> {
        match typed.map(str::trim).filter(|t| !t.is_empty()) {
            None => Some(self.default_budget),
            Some(text) => Money::parse_dollars(text).map(Some),
        }
    }

    /// What the encounter state machine needs to work `case` in this clinic.
    pub fn engine<'a>(&'a self, case: &'a Case) -> Engine<'a> {
        Engine {
            case,
            prices: &self.prices,
            gatekeeper: self.gatekeeper.as_ref(),
            judge: self.judge.as_ref(),
            visit_cost: self.visit_cost,
            estimator: self.estimator.as_deref(),
        }
    }

    /// The same clinic with a language model as gatekeeper and judge (prices and costs stay).
    pub fn with_llm(self, client: Arc<dyn crate::llm::LlmClient>) -> Self {
        Self {
            gatekeeper: Arc::new(crate::engine::LlmGatekeeper::new(client.clone(), None)),
            judge: Arc::new(crate::engine::LlmJudge::new(client.clone(), None)),
            estimator: Some(Arc::new(crate::engine::LlmEstimator::new(client.clone()))),
            panel: Arc::new(crate::engine::panel::LlmPanel::new(client)),
            ..self
        }
    }

    /// The same clinic with another AI panel.
    pub fn with_panel(self, panel: Arc<dyn Panel>) -> Self {
        Self { panel, ..self }
    }
}

/// A panel that cannot deliberate, and says why (a malformed knowledge base, say).
struct UnavailablePanel(String);

#[async_trait::async_trait]
impl Panel for UnavailablePanel {
    fn engine(&self) -> &'static str {
        "offline"
    }

    async fn deliberate(
        &self,
        _: &crate::engine::panel::Brief<'_>,
        _: Option<crate::engine::panel::PersonaSink<'_>>,
    ) -> Result<crate::engine::panel::Deliberation, crate::engine::panel::PanelUnavailable> {
        Err(crate::engine::panel::PanelUnavailable(self.0.clone()))
    }
}

/// Stores the bundled cases (new ones added, changed ones refreshed); returns how many there are.
pub async fn install_bundled_cases(
    store: &dyn crate::store::Store,
    now: i64,
) -> Result<usize, AppError> {
    let cases = crate::engine::library::bundled_cases().map_err(|problems| {
        AppError::Internal(format!(
            "bundled cases are malformed: {}",
            problems.join("; ")
        ))
    })?;
    let records = cases
        .iter()
        .map(case_record)
        .collect::<Result<Vec<_>, _>>()?;
    store.put_bundled_cases(&records, now).await?;
    Ok(records.len())
}

/// The stored form of a case.
pub fn case_record(case: &Case) -> Result<crate::store::CaseRecord, AppError> {
    Ok(crate::store::CaseRecord {
        id: case.id.clone(),
        title: case.title.clone(),
        specialty: case.specialty.clone(),
        difficulty: case.difficulty.as_str().to_string(),
        summary: case.summary.clone(),
        is_default: case.default,
        source: "bundled".into(),
        body: serde_json::to_string(case)
            .map_err(|e| AppError::Internal(format!("cannot encode case {}: {e}", case.id)))?,
    })
}

/// What a socket works on.
#[derive(Debug, Clone)]
pub enum Target {
    /// A named encounter (already checked to be the caller's).
    Encounter(String),
    /// A case: this session's newest open encounter on it, or a new one (always new with `new`).
    Case {
        /// The case.
        case_id: String,
        /// Start a new encounter even when one is open.
        new: bool,
        /// The budget of a new encounter.
        budget: Option<Money>,
    },
}

/// The longest reply chunk, in characters; chunks end at word boundaries.
const CHUNK_CHARS: usize = 80;

/// Cuts a reply into chunks at word boundaries; the chunks joined give the reply back.
pub fn chunks(reply: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut current = String::new();
    for word in reply.split_inclusive([' ', '\n']) {
        if !current.is_empty() && current.chars().count() + word.chars().count() > CHUNK_CHARS {
            out.push(std::mem::take(&mut current));
        }
        current.push_str(word);
    }
    if !current.is_empty() || out.is_empty() {
        out.push(current);
    }
    out
}

pub(super) fn error(
    code: ErrorCode,
    message: impl Into<String>,
    id: Option<Value>,
) -> Vec<ServerFrame> {
    vec![ServerFrame::Error(ErrorFrame::new(code, message, id))]
}

/// The case a socket or `/api/v1/case` opens when none is named: the configured one, else the
/// stored default.
pub async fn default_case_id(state: &AppState) -> Result<Option<String>, AppError> {
    match &state.clinic.default_case {
        Some(id) => Ok(Some(id.clone())),
        None => state.store.default_case_id().await,
    }
}

/// Loads and parses a stored case.
pub async fn load_case(state: &AppState, id: &str) -> Result<Option<Case>, AppError> {
    let Some(record) = state.store.case(id).await? else {
        return Ok(None);
    };
    serde_json::from_str(&record.body)
        .map(Some)
        .map_err(|e| AppError::Internal(format!("case {id} is stored malformed: {e}")))
}

/// Finds or creates the socket's encounter; once created the socket stays on it.
pub(super) async fn encounter_for(
    state: &AppState,
    session: &SessionRecord,
    target: &mut Target,
) -> Result<EncounterRecord, AppError> {
    let (case_id, new, budget) = match target.clone() {
        Target::Encounter(id) => {
            return match state.store.encounter(&id).await? {
                Some(found) => Ok(found),
                None => Err(AppError::Internal(format!("encounter {id} disappeared"))),
            };
        }
        Target::Case {
            case_id,
            new,
            budget,
        } => (case_id, new, budget),
    };
    if !new {
        if let Some(found) = state
            .store
            .latest_open_encounter(session.user_id, &session.id, &case_id)
            .await?
        {
            *target = Target::Encounter(found.id.clone());
            return Ok(found);
        }
    }
    let record = create_encounter(state, session, &case_id, budget).await?;
    *target = Target::Encounter(record.id.clone());
    Ok(record)
}

/// Starts a new encounter of the session's user on a case (known to exist).
pub async fn create_encounter(
    state: &AppState,
    session: &SessionRecord,
    case_id: &str,
    budget: Option<Money>,
) -> Result<EncounterRecord, AppError> {
    let now = state.auth.now();
    let fresh = EncounterState::new(budget);
    let record = EncounterRecord {
        id: crate::auth::tokens::random_token()[..22].to_string(),
        user_id: session.user_id,
        session_id: Some(session.id.clone()),
        case_id: case_id.to_string(),
        status: "open".into(),
        spent_cents: 0,
        budget_cents: budget.map(Money::cents),
        state: serde_json::to_string(&fresh)
            .map_err(|e| AppError::Internal(format!("cannot encode an encounter: {e}")))?,
        version: 1,
        created_at: now,
        updated_at: now,
    };
    state.store.create_encounter(&record).await?;
    Ok(record)
}

/// What a writer that lost the race is told.
pub(super) const CONFLICT: &str =
    "This encounter was changed elsewhere (another tab or device) at \
     the same moment; nothing was charged here. Try again.";

/// Saves an encounter's state if it is still at `version`; false when another writer won.
pub(super) async fn save(
    state: &AppState,
    id: &str,
    version: i64,
    encounter: &EncounterState,
) -> Result<bool, AppError> {
    let status = match encounter.status {
        crate::engine::encounter::Status::Open => "open",
        crate::engine::encounter::Status::Closed => "closed",
    };
    let body = serde_json::to_string(encounter)
        .map_err(|e| AppError::Internal(format!("cannot encode an encounter: {e}")))?;
    state
        .store
        .save_encounter(
            id,
            version,
            status,
            encounter.spent.cents(),
            &body,
            state.auth.now(),
        )
        .await
}

/// Applies one action for the socket and returns the frames to send, in order.
pub async fn step(
    state: &AppState,
    session: &SessionRecord,
    target: &mut Target,
    action: Action,
    content: &str,
    id: Option<Value>,
) -> Vec<ServerFrame> {
    match try_step(state, session, target, action, content, id.clone()).await {
        Ok(frames) => frames,
        Err(err) => {
            tracing::error!(error = %err, "encounter step failed");
            error(ErrorCode::Internal, "internal error", id)
        }
    }
}

async fn try_step(
    state: &AppState,
    session: &SessionRecord,
    target: &mut Target,
    action: Action,
    content: &str,
    id: Option<Value>,
) -> Result<Vec<ServerFrame>, AppError> {
    let record = encounter_for(state, session, target).await?;
    let Some(case) = load_case(state, &record.case_id).await? else {
        return Ok(error(
            ErrorCode::Internal,
            "the case of this encounter is gone",
            id,
        ));
    };
    let mut encounter: EncounterState = serde_json::from_str(&record.state).map_err(|e| {
        AppError::Internal(format!("encounter {} is stored malformed: {e}", record.id))
    })?;
    let engine = state.clinic.engine(&case);
    let actor = crate::protocol::Actor::user(&session.user_name);
    let outcome = match encounter.step_by(&engine, action, content, &actor).await {
        Ok(outcome) => outcome,
        Err(refusal) => {
            return Ok(vec![ServerFrame::Error(ErrorFrame {
                suggestions: refusal.suggestions,
                ..ErrorFrame::new(refusal.code, refusal.message, id)
            })]);
        }
    };
    if !save(state, &record.id, record.version, &encounter).await? {
        return Ok(error(ErrorCode::Conflict, CONFLICT, id));
    }
    let mut parts = chunks(&outcome.reply);
    let last = parts.pop().unwrap_or_default();
    let mut frames: Vec<ServerFrame> = parts
        .into_iter()
        .map(|reply| {
            ServerFrame::Reply(ReplyFrame {
                reply,
                done: false,
                id: id.clone(),
            })
        })
        .collect();
    frames.push(ServerFrame::Done(DoneFrame {
        reply: last,
        done: true,
        cost: outcome.cost,
        total_spent: encounter.spent,
        ordered_tests: encounter.ordered_names(),
        remaining_budget: encounter.remaining(),
        id,
        encounter_id: Some(record.id),
        verdict: outcome.verdict,
        estimate: outcome.estimate,
    }));
    Ok(frames)
}

#[cfg(test)]
mod tests {
    use super::chunks;

    #[test]
    fn chunks_end_at_words_and_join_back() {
        let text = "word ".repeat(50) + "end.";
        let parts = chunks(&text);
        assert!(parts.len() > 2);
        assert!(parts.iter().all(|p| p.chars().count() <= 80));
        assert!(parts[..parts.len() - 1].iter().all(|p| p.ends_with(' ')));
        assert_eq!(parts.concat(), text);
        assert_eq!(chunks(""), vec![String::new()]);
        assert_eq!(chunks("short"), vec!["short".to_string()]);
    }
}

//! Encounters: finding or starting the one a caller works on, loading it with its case, one
//! step of it by the engine, and saving it under its version check so that two writers never
//! both win.

use super::memory::Memory;
use super::Clinic;
use crate::auth::Clock;
use crate::engine::encounter::{Refusal, Status, StepOutcome};
use crate::engine::{Case, EncounterState};
use crate::error::AppError;
use crate::protocol::{ActedTest, ActedTurn, Action, Actor, Applied, ErrorCode, Money};
use crate::store::{EncounterRecord, SessionRecord, Store};
use std::sync::Arc;

/// What a writer that lost the race is told.
pub const CONFLICT: &str = "This encounter was changed elsewhere (another tab or device) at \
     the same moment; nothing was charged here. Try again.";

/// What a caller works on.
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

/// An encounter loaded to be worked: its record (the version it was read at), its case and its
/// state.
pub struct Loaded {
    /// The stored row as read.
    pub record: EncounterRecord,
    /// The case it works.
    pub case: Arc<Case>,
    /// Its state.
    pub state: EncounterState,
}

/// Where an encounter stands after a step: what the page shows beside the answer.
#[derive(Debug, Clone, PartialEq)]
pub struct Standing {
    /// The encounter.
    pub encounter_id: String,
    /// All spent so far.
    pub total_spent: Money,
    /// Every test ordered so far.
    pub ordered_tests: Vec<String>,
    /// What is left of the budget, when there is one.
    pub remaining_budget: Option<Money>,
}

impl Standing {
    pub(super) fn of(encounter_id: &str, state: &EncounterState) -> Self {
        Self {
            encounter_id: encounter_id.to_string(),
            total_spent: state.spent,
            ordered_tests: state.ordered_names(),
            remaining_budget: state.remaining(),
        }
    }
}

/// A step carried out and saved.
#[derive(Debug, Clone)]
pub struct Stepped {
    /// What the engine answered.
    pub outcome: StepOutcome,
    /// Where the encounter stands now.
    pub standing: Standing,
    /// The step as saved, for a page to apply.
    pub applied: Option<Applied>,
}

/// Step `at` of the encounter as saved, with the tests ordered from index `tests_from` on when
/// it is a test order.
pub(super) fn applied(state: &EncounterState, at: usize, tests_from: usize) -> Option<Applied> {
    let turn = state.transcript.get(at)?;
    let tests = if turn.action == Action::Test {
        (tests_from..state.ordered.len())
            .map(|i| ActedTest {
                test: state.ordered[i].clone(),
                actor: state.actors.test(i),
            })
            .collect()
    } else {
        Vec::new()
    };
    Some(Applied {
        step: ActedTurn {
            turn: turn.clone(),
            actor: state.actors.step(at),
        },
        tests,
        in_visit: state.in_visit,
    })
}

/// Parses an encounter's stored state: the one place it is read.
pub fn parse_state(record: &EncounterRecord) -> Result<EncounterState, AppError> {
    serde_json::from_str(&record.state).map_err(|e| {
        AppError::Internal(format!("encounter {} is stored malformed: {e}", record.id))
    })
}

/// The encounter service: the store, the clinic that works the cases, and the clock that dates
/// the rows. Cheap to clone.
#[derive(Clone)]
pub struct Encounters {
    /// The database.
    pub store: Arc<dyn Store>,
    /// Prices, gatekeeper, judge, panel and costs.
    pub clinic: Clinic,
    clock: Arc<dyn Clock>,
    memory: Arc<Memory>,
}

impl Encounters {
    /// The service over `store`, working cases with `clinic`.
    pub fn new(store: Arc<dyn Store>, clinic: Clinic, clock: Arc<dyn Clock>) -> Self {
        Self {
            store,
            clinic,
            clock,
            memory: Arc::default(),
        }
    }

    /// A stored case, parsed: as read within the last two seconds, else read now.
    pub async fn case(&self, id: &str) -> Result<Option<Arc<Case>>, AppError> {
        let now = self.clock.now_ms();
        if let Some(case) = self.memory.case(id, now) {
            return Ok(Some(case));
        }
        let Some(record) = self.store.case(id).await? else {
            return Ok(None);
        };
        let case: Arc<Case> = serde_json::from_str(&record.body)
            .map(Arc::new)
            .map_err(|e| AppError::Internal(format!("case {id} is stored malformed: {e}")))?;
        self.memory.keep_case(id, now, case.clone());
        Ok(Some(case))
    }

    /// The case opened when none is named: the configured one, else the stored default.
    pub async fn default_case_id(&self) -> Result<Option<String>, AppError> {
        match &self.clinic.default_case {
            Some(id) => Ok(Some(id.clone())),
            None => self.store.default_case_id().await,
        }
    }

    /// The user's own encounter `id` with its state; `None` for a missing one or someone else's.
    pub async fn own(
        &self,
        user_id: i64,
        id: &str,
    ) -> Result<Option<(EncounterRecord, EncounterState)>, AppError> {
        match self.store.encounter(id).await? {
            Some(record) if record.user_id == user_id => {
                let parsed = parse_state(&record)?;
                Ok(Some((record, parsed)))
            }
            _ => Ok(None),
        }
    }

    /// Starts a new encounter of the session's user on a case (known to exist).
    pub async fn create(
        &self,
        session: &SessionRecord,
        case_id: &str,
        budget: Option<Money>,
    ) -> Result<EncounterRecord, AppError> {
        let now = self.clock.now_ms();
        let record = EncounterRecord {
            id: crate::auth::tokens::random_token()[..22].to_string(),
            user_id: session.user_id,
            session_id: Some(session.id.clone()),
            case_id: case_id.to_string(),
            status: "open".into(),
            spent_cents: 0,
            budget_cents: budget.map(Money::cents),
            state: encode(&EncounterState::new(budget))?,
            version: 1,
            created_at: now,
            updated_at: now,
        };
        self.store.create_encounter(&record).await?;
        Ok(record)
    }

    /// The target's encounter, found or created; once created the target names it.
    async fn record_for(
        &self,
        session: &SessionRecord,
        target: &mut Target,
    ) -> Result<EncounterRecord, AppError> {
        let (case_id, new, budget) = match target.clone() {
            Target::Encounter(id) => {
                return match self.store.encounter(&id).await? {
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
            if let Some(found) = self
                .store
                .latest_open_encounter(session.user_id, &session.id, &case_id)
                .await?
            {
                *target = Target::Encounter(found.id.clone());
                return Ok(found);
            }
        }
        let record = self.create(session, &case_id, budget).await?;
        *target = Target::Encounter(record.id.clone());
        Ok(record)
    }

    /// Loads the target's encounter (found or created) with its case: as this service last
    /// saved it when it did (`true` with it), else from the database.
    async fn open_warm(
        &self,
        session: &SessionRecord,
        target: &mut Target,
        may_warm: bool,
    ) -> Result<Result<(Loaded, bool), Refusal>, AppError> {
        if let (Target::Encounter(id), true) = (&*target, may_warm) {
            if let Some(mut warm) = self.memory.take(id) {
                match self.case(&warm.record.case_id).await? {
                    Some(case) => {
                        warm.case = case;
                        return Ok(Ok((warm, true)));
                    }
                    None => return Ok(Err(case_gone())),
                }
            }
        }
        Ok(self
            .open(session, target)
            .await?
            .map(|loaded| (loaded, false)))
    }

    /// Loads the target's encounter (found or created) with its case from the database.
    pub async fn open(
        &self,
        session: &SessionRecord,
        target: &mut Target,
    ) -> Result<Result<Loaded, Refusal>, AppError> {
        let record = self.record_for(session, target).await?;
        let Some(case) = self.case(&record.case_id).await? else {
            return Ok(Err(case_gone()));
        };
        let state = parse_state(&record)?;
        Ok(Ok(Loaded {
            record,
            case,
            state,
        }))
    }

    /// Saves a loaded encounter if nobody wrote it since it was read (its version then moves
    /// on); false when another writer won.
    pub async fn save(&self, loaded: &mut Loaded) -> Result<bool, AppError> {
        let saved = self
            .save_state(&loaded.record.id, loaded.record.version, &loaded.state)
            .await?;
        if saved {
            loaded.record.version += 1;
        }
        Ok(saved)
    }

    /// Saves `state` as encounter `id` if it is still at `version`.
    pub(super) async fn save_state(
        &self,
        id: &str,
        version: i64,
        state: &EncounterState,
    ) -> Result<bool, AppError> {
        self.memory.forget(id);
        let status = match state.status {
            Status::Open => "open",
            Status::Closed => "closed",
        };
        self.store
            .save_encounter(
                id,
                version,
                status,
                state.spent.cents(),
                &encode(state)?,
                self.clock.now_ms(),
            )
            .await
    }

    /// One step by the session's user: applied by the engine and saved. A refusal (over budget,
    /// closed, a lost race…) changes nothing. The encounter as last saved here is worked when
    /// there is one; when that copy turns out behind the database (another tab, device or
    /// instance wrote since) or refuses, the step is worked again on the stored encounter.
    pub async fn step(
        &self,
        session: &SessionRecord,
        target: &mut Target,
        action: Action,
        content: &str,
    ) -> Result<Result<Stepped, Refusal>, AppError> {
        // Worked warm at most once; a second round reads the database.
        let mut may_warm = true;
        loop {
            let (mut loaded, warm) = match self.open_warm(session, target, may_warm).await? {
                Ok(opened) => opened,
                Err(refusal) => return Ok(Err(refusal)),
            };
            may_warm = false;
            let actor = Actor::user(&session.user_name);
            let tests_from = loaded.state.ordered.len();
            let engine = self.clinic.engine(&loaded.case);
            let outcome = match loaded.state.step_by(&engine, action, content, &actor).await {
                Ok(outcome) => outcome,
                Err(_) if warm => continue,
                Err(refusal) => return Ok(Err(refusal)),
            };
            if !self.save(&mut loaded).await? {
                if warm {
                    continue;
                }
                return Ok(Err(Refusal::new(ErrorCode::Conflict, CONFLICT)));
            }
            let at = loaded.state.transcript.len().saturating_sub(1);
            let stepped = Stepped {
                outcome,
                standing: Standing::of(&loaded.record.id, &loaded.state),
                applied: applied(&loaded.state, at, tests_from),
            };
            self.memory.keep(loaded);
            return Ok(Ok(stepped));
        }
    }
}

fn case_gone() -> Refusal {
    Refusal::new(ErrorCode::Internal, "the case of this encounter is gone")
}

fn encode(state: &EncounterState) -> Result<String, AppError> {
    serde_json::to_string(state)
        .map_err(|e| AppError::Internal(format!("cannot encode an encounter: {e}")))
}

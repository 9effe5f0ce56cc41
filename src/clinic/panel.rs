//! The AI panel on a stored encounter. "Ask the panel": one deliberation, recorded in the
//! encounter, nothing done or charged. "Let the panel run": the engine's `run_panel` works the
//! case turn by turn, and every turn is saved as it ends (under the version check), so a dropped
//! connection or a failing model loses nothing already done.

use super::service::{applied, Encounters, Standing, Target, CONFLICT};
use crate::engine::encounter::Refusal;
use crate::engine::panel::{
    consult, run_panel, Mode, Persona, RunEvent, RunOptions, RunOutcome, TurnHook,
};
use crate::engine::{EncounterState, EngineError};
use crate::error::AppError;
use crate::protocol::{Applied, ErrorCode, Money, PanelTurn, Verdict};
use crate::store::SessionRecord;
use async_trait::async_trait;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

/// The most turns one "Let the panel run" takes; the last one diagnoses.
pub const RUN_TURNS: u32 = 10;

/// Something the panel did, as it happens.
#[derive(Debug)]
pub enum PanelEvent<'a> {
    /// A persona's words as they stream in.
    Words {
        /// Who speaks.
        persona: Persona,
        /// The new text.
        text: &'a str,
    },
    /// A turn's deliberation is complete (and recorded).
    Deliberated(&'a PanelTurn),
    /// A step the panel took, told once it is saved.
    Stepped {
        /// The step as saved.
        applied: Applied,
        /// The encounter's spend after it.
        total_spent: Money,
        /// What is left of the budget after it, when there is one.
        remaining_budget: Option<Money>,
        /// Every test ordered so far.
        ordered_tests: Vec<String>,
    },
}

/// Receives the panel's events.
pub type PanelSink<'a> = &'a (dyn Fn(PanelEvent<'_>) + Send + Sync);

/// How the panel's work ended.
#[derive(Debug, Clone)]
#[expect(
    clippy::large_enum_variant,
    reason = "one is made per panel call, never stored in bulk"
)]
pub enum PanelEnd {
    /// "Ask the panel": its proposal, recorded and saved, nothing done.
    Consulted {
        /// The proposal in words.
        proposal: String,
        /// Where the encounter stands.
        standing: Standing,
    },
    /// The panel gave its diagnosis and it was judged.
    Verdict {
        /// The diagnosis step's reply.
        reply: String,
        /// What this run spent.
        cost: Money,
        /// The verdict (`None`: the case has no recorded diagnosis).
        verdict: Option<Verdict>,
        /// Where the encounter stands.
        standing: Standing,
    },
    /// The panel stopped before a verdict; the message says why. Every turn it finished is
    /// saved.
    Stopped(EngineError),
}

/// Asks a running panel to stop once its current turn is saved (its page went away, its
/// session ended, the server is stopping). Cheap to clone; every clone is the same signal.
#[derive(Debug, Clone, Default)]
pub struct StopRun(Arc<AtomicBool>);

impl StopRun {
    /// Stop after the current turn.
    pub fn stop(&self) {
        self.0.store(true, Ordering::SeqCst);
    }

    /// True once asked to stop.
    pub fn asked(&self) -> bool {
        self.0.load(Ordering::SeqCst)
    }
}

/// Why a saving hook stopped the run.
enum Stop {
    /// Another writer changed the encounter.
    Conflict,
    /// The store failed.
    Fault(AppError),
}

/// Saves the encounter after every turn and then tells the turn's steps.
struct Saver<'a> {
    encounters: &'a Encounters,
    id: &'a str,
    version: i64,
    /// Transcript entries already told.
    told: usize,
    /// Ordered tests already told.
    tests_told: usize,
    /// The spend after the last step told.
    running: Money,
    sink: PanelSink<'a>,
    asked: &'a StopRun,
    stop: Option<Stop>,
}

#[async_trait]
impl TurnHook for Saver<'_> {
    async fn turn_ended(&mut self, state: &EncounterState) -> Result<(), EngineError> {
        match self
            .encounters
            .save_state(self.id, self.version, state)
            .await
        {
            Ok(true) => self.version += 1,
            Ok(false) => {
                self.stop = Some(Stop::Conflict);
                return Err(EngineError::Interrupted(CONFLICT.into()));
            }
            Err(err) => {
                let message = err.to_string();
                self.stop = Some(Stop::Fault(err));
                return Err(EngineError::Interrupted(message));
            }
        }
        for at in self.told..state.transcript.len() {
            let Some(applied) = applied(state, at, self.tests_told) else {
                continue;
            };
            self.running = Money(self.running.0 + applied.step.turn.cost.0);
            (self.sink)(PanelEvent::Stepped {
                total_spent: self.running,
                remaining_budget: state.budget.map(|b| Money(b.0 - self.running.0)),
                ordered_tests: state.ordered_names(),
                applied,
            });
        }
        self.told = state.transcript.len();
        self.tests_told = state.ordered.len();
        if self.asked.asked() {
            return Err(EngineError::Interrupted(format!(
                "The run was stopped after turn {} (its page went away or its session ended); \
                 every turn it finished is saved.",
                state.panel.iter().filter(|p| p.member.is_none()).count()
            )));
        }
        Ok(())
    }
}

impl Encounters {
    /// The panel on the target's encounter: one deliberation (`run` false) or a run to a
    /// verdict, at most [`RUN_TURNS`] turns, in budgeted mode when the encounter has a budget.
    /// A run stops after the turn during which `stop` is asked.
    pub async fn panel(
        &self,
        session: &SessionRecord,
        target: &mut Target,
        run: bool,
        sink: PanelSink<'_>,
        stop: &StopRun,
    ) -> Result<Result<PanelEnd, Refusal>, AppError> {
        let mut loaded = match self.open(session, target).await? {
            Ok(loaded) => loaded,
            Err(refusal) => return Ok(Err(refusal)),
        };
        if loaded.state.status == crate::engine::encounter::Status::Closed {
            return Ok(Err(Refusal::new(
                ErrorCode::EncounterClosed,
                "encounter closed",
            )));
        }
        let earlier = loaded
            .state
            .panel
            .iter()
            .filter(|p| p.member.is_none())
            .count() as u32;
        let options = RunOptions {
            mode: if loaded.state.budget.is_some() {
                Mode::Budgeted
            } else {
                Mode::Unconstrained
            },
            max_turns: earlier + RUN_TURNS,
            members: 1,
        };
        let events = |event: RunEvent<'_>| match event {
            RunEvent::Words { persona, text, .. } => sink(PanelEvent::Words { persona, text }),
            RunEvent::Deliberated(turn) => sink(PanelEvent::Deliberated(turn)),
            // Steps are told by the saver, once saved.
            RunEvent::Stepped { .. } | RunEvent::Voted(_) => {}
        };
        let panel = self.clinic.panel.as_ref();
        let engine = self.clinic.engine(&loaded.case);

        if !run {
            let consulted = consult(
                &engine,
                &mut loaded.state,
                panel,
                &options,
                None,
                Some(&events),
            )
            .await;
            if let Err(why) = consulted {
                return Ok(Ok(PanelEnd::Stopped(why)));
            }
            if !self.save(&mut loaded).await? {
                return Ok(Err(Refusal::new(ErrorCode::Conflict, CONFLICT)));
            }
            let proposal = loaded
                .state
                .panel
                .last()
                .map(|t| format!("The panel proposes to {}.", t.proposal.describe()))
                .unwrap_or_default();
            return Ok(Ok(PanelEnd::Consulted {
                proposal,
                standing: Standing::of(&loaded.record.id, &loaded.state),
            }));
        }

        let spent_before = loaded.state.spent;
        let mut saver = Saver {
            encounters: self,
            id: &loaded.record.id,
            version: loaded.record.version,
            told: loaded.state.transcript.len(),
            tests_told: loaded.state.ordered.len(),
            running: loaded.state.spent,
            sink,
            asked: stop,
            stop: None,
        };
        let outcome = run_panel(
            &engine,
            &mut loaded.state,
            panel,
            &options,
            Some(&events),
            Some(&mut saver),
        )
        .await;
        match saver.stop {
            Some(Stop::Conflict) => return Ok(Err(Refusal::new(ErrorCode::Conflict, CONFLICT))),
            Some(Stop::Fault(err)) => return Err(err),
            None => {}
        }
        let state = &loaded.state;
        Ok(Ok(match outcome {
            RunOutcome::Verdict(verdict) => PanelEnd::Verdict {
                reply: state
                    .transcript
                    .last()
                    .map(|t| t.reply.clone())
                    .unwrap_or_default(),
                cost: Money(state.spent.0 - spent_before.0),
                verdict,
                standing: Standing::of(&loaded.record.id, state),
            },
            RunOutcome::Stopped(why) => PanelEnd::Stopped(why),
        }))
    }
}

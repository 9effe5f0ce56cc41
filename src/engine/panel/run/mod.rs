//! Works a case with a panel: one turn at a time (deliberate, then carry out the action through
//! the same encounter state machine a physician uses), in one of the five modes, until a
//! verdict. A turn that cannot be completed leaves the encounter exactly as its last step left
//! it, so a run can be resumed.

mod ensemble;

use super::brief::{Brief, Rules};
use super::consensus::{Consensus, PanelAction};
use super::vote::{Ballot, Tally};
use super::{Panel, Persona};
use crate::engine::encounter::{EncounterState, Engine, Status};
use crate::engine::EngineError;
use crate::protocol::{
    Action, Actor, ErrorCode, PanelActor, PanelCandidate, PanelTurn, Turn, Verdict,
};

/// How the panel may work.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Mode {
    /// Diagnose from the abstract alone.
    Instant,
    /// Questions only, no tests.
    QuestionOnly,
    /// Everything, within the encounter's budget.
    Budgeted,
    /// Everything, no budget.
    Unconstrained,
    /// Several independent panels, then a vote weighted by confidence.
    Ensemble,
}

impl Mode {
    /// Every mode.
    pub const ALL: [Mode; 5] = [
        Mode::Instant,
        Mode::QuestionOnly,
        Mode::Budgeted,
        Mode::Unconstrained,
        Mode::Ensemble,
    ];

    /// The mode's name on the command line and in results.
    pub fn key(self) -> &'static str {
        match self {
            Mode::Instant => "instant",
            Mode::QuestionOnly => "question-only",
            Mode::Budgeted => "budgeted",
            Mode::Unconstrained => "unconstrained",
            Mode::Ensemble => "ensemble",
        }
    }

    /// The mode named `key`.
    pub fn from_key(key: &str) -> Option<Mode> {
        Mode::ALL.into_iter().find(|m| m.key() == key)
    }
}

/// How a run goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RunOptions {
    /// The mode.
    pub mode: Mode,
    /// The most turns (of each ensemble member); the last one must diagnose.
    pub max_turns: u32,
    /// Panels in an ensemble.
    pub members: u32,
}

impl Default for RunOptions {
    fn default() -> Self {
        Self {
            mode: Mode::Unconstrained,
            max_turns: 10,
            members: 3,
        }
    }
}

/// Something a run did, as it happens.
#[derive(Debug)]
pub enum RunEvent<'a> {
    /// A persona's words as they stream in.
    Words {
        /// The ensemble member, if any.
        member: Option<u32>,
        /// Who speaks.
        persona: Persona,
        /// The new text.
        text: &'a str,
    },
    /// A turn's deliberation is complete.
    Deliberated(&'a PanelTurn),
    /// The agreed action was carried out.
    Stepped {
        /// The ensemble member, if any.
        member: Option<u32>,
        /// The step.
        turn: &'a Turn,
    },
    /// The ensemble voted.
    Voted(&'a [Tally]),
}

/// Receives a run's events.
pub type RunSink<'a> = &'a (dyn Fn(RunEvent<'_>) + Send + Sync);

/// How one turn ended.
#[derive(Debug, Clone, PartialEq)]
pub enum TurnEnd {
    /// The action was carried out (or refused and fed back); the case goes on.
    Continue,
    /// A diagnosis was given and judged (`None`: the case has no recorded diagnosis).
    Closed(Option<Verdict>),
    /// An ensemble member settled on a diagnosis (it is voted on, not yet given).
    Proposed(Ballot),
    /// The turn could not be completed; nothing of it was charged.
    Stopped(EngineError),
}

/// How a run ended.
#[derive(Debug, Clone, PartialEq)]
pub enum RunOutcome {
    /// A verdict (`None`: the case has no recorded diagnosis to judge against).
    Verdict(Option<Verdict>),
    /// The run stopped before a verdict; the message says why. The encounter keeps every step
    /// made so far and can be run again.
    Stopped(EngineError),
}

/// The panel as the actor of its steps: engine, mode and model.
pub fn panel_actor(panel: &dyn Panel, options: &RunOptions) -> PanelActor {
    PanelActor {
        engine: panel.engine().to_string(),
        mode: options.mode.key().to_string(),
        model: panel.model(),
    }
}

fn to_candidates(consensus: &Consensus) -> Vec<PanelCandidate> {
    consensus
        .differential
        .iter()
        .map(|c| PanelCandidate {
            diagnosis: c.diagnosis.clone(),
            probability: c.probability,
        })
        .collect()
}

/// What a stopped run leaves behind, in words.
pub(super) fn kept(state: &EncounterState) -> String {
    let steps = state.transcript.len();
    format!(
        "The encounter is kept as it was: {steps} step{}, ${} spent; run it again to go on.",
        if steps == 1 { "" } else { "s" },
        state.spent
    )
}

/// The rules of the coming turn, from the mode, the turn count and the money left.
fn rules(
    options: &RunOptions,
    engine: &Engine<'_>,
    state: &EncounterState,
    turn: u32,
    stalled: usize,
) -> Rules {
    let left = state.remaining().map(|m| m.0);
    let affords = |cost: i64| left.is_none_or(|left| cost <= left);
    let cheapest = engine
        .prices
        .tests()
        .iter()
        .map(|t| t.price.0)
        .min()
        .unwrap_or(0);
    let may_ask = options.mode != Mode::Instant && (state.in_visit || affords(engine.visit_cost.0));
    let may_order = matches!(
        options.mode,
        Mode::Budgeted | Mode::Unconstrained | Mode::Ensemble
    ) && affords(cheapest);
    let must_diagnose = if options.mode == Mode::Instant {
        Some("instant mode: diagnose from the abstract alone".to_string())
    } else if turn >= options.max_turns {
        Some(format!("turn {turn} is the last one allowed"))
    } else if stalled >= 2 {
        Some("the last two proposed actions could not be carried out".to_string())
    } else if !may_ask && !may_order {
        Some("nothing else is affordable within the budget".to_string())
    } else {
        None
    };
    Rules {
        may_ask: may_ask && must_diagnose.is_none(),
        may_order: may_order && must_diagnose.is_none(),
        must_diagnose,
    }
}

/// The panel deliberates over the encounter so far; the deliberation is recorded in the
/// encounter (not yet carried out) and its agreed action returned, or why it could not
/// deliberate.
pub async fn consult(
    engine: &Engine<'_>,
    state: &mut EncounterState,
    panel: &dyn Panel,
    options: &RunOptions,
    member: Option<u32>,
    sink: Option<RunSink<'_>>,
) -> Result<(u32, Consensus), EngineError> {
    let mine: Vec<&PanelTurn> = state.panel.iter().filter(|p| p.member == member).collect();
    let turn = mine.len() as u32 + 1;
    let previous = mine.last().copied();
    // Turns whose action was not carried out leave the transcript where it was.
    let stalled = mine
        .iter()
        .rev()
        .take_while(|p| {
            p.at == state.transcript.len()
                && p.notes.iter().any(|n| n.starts_with("Not carried out"))
        })
        .count();
    let feedback = previous
        .filter(|p| p.at == state.transcript.len())
        .and_then(|p| {
            p.notes
                .iter()
                .rev()
                .find(|n| n.starts_with("Not carried out"))
        })
        .map(|n| n.trim_start_matches("Not carried out: ").to_string());
    let brief = Brief {
        summary: &engine.case.summary,
        state,
        prices: engine.prices,
        visit_cost: engine.visit_cost,
        turn,
        max_turns: options.max_turns,
        rules: rules(options, engine, state, turn, stalled),
        member,
        previous,
        feedback,
    };
    let words = |persona: Persona, text: &str| {
        if let Some(sink) = sink {
            sink(RunEvent::Words {
                member,
                persona,
                text,
            })
        }
    };
    let deliberation = panel
        .deliberate(&brief, sink.map(|_| &words as super::PersonaSink<'_>))
        .await
        .map_err(|why| {
            EngineError::PanelUnavailable(format!(
                "The panel could not deliberate on turn {turn}: {why}. {}",
                kept(state)
            ))
        })?;
    let mut notes = deliberation.notes;
    // Every engine's action passes the same checks; one that does not is replaced.
    let consensus = match brief.check(&deliberation.consensus) {
        Ok(()) => deliberation.consensus,
        Err(why) => {
            let fallback = brief.fallback(Some(&deliberation.consensus));
            notes.push(format!(
                "The proposed action could not be used ({why}); the panel fell back to a safe action."
            ));
            fallback
        }
    };
    drop(brief);
    state.panel.push(PanelTurn {
        turn,
        member,
        at: state.transcript.len(),
        contributions: deliberation.contributions,
        differential: to_candidates(&consensus),
        proposal: consensus.action.proposal(),
        reasons: consensus.reasons.clone(),
        notes,
        by: Some(panel_actor(panel, options)),
    });
    if let Some(sink) = sink {
        if let Some(last) = state.panel.last() {
            sink(RunEvent::Deliberated(last));
        }
    }
    Ok((turn, consensus))
}

/// One turn: the panel deliberates over the encounter so far, then its action is carried out.
/// With `ballot_only`, a diagnosis is returned as a ballot instead of being given.
pub async fn run_turn(
    engine: &Engine<'_>,
    state: &mut EncounterState,
    panel: &dyn Panel,
    options: &RunOptions,
    member: Option<u32>,
    ballot_only: bool,
    sink: Option<RunSink<'_>>,
) -> TurnEnd {
    if state.status == Status::Closed {
        return TurnEnd::Closed(state.verdict.clone());
    }
    let (turn, consensus) = match consult(engine, state, panel, options, member, sink).await {
        Ok(done) => done,
        Err(why) => return TurnEnd::Stopped(why),
    };
    let steps: Vec<(Action, String)> = match consensus.action {
        PanelAction::Ask(questions) => questions
            .into_iter()
            .map(|q| (Action::Question, q))
            .collect(),
        PanelAction::Order(tests) => vec![(Action::Test, tests.join("; "))],
        PanelAction::Diagnose {
            diagnosis,
            confidence,
        } => {
            if ballot_only {
                return TurnEnd::Proposed(Ballot {
                    member: member.unwrap_or(1),
                    diagnosis,
                    confidence,
                });
            }
            vec![(Action::Diagnosis, diagnosis)]
        }
    };
    let actor = Actor::Panel(panel_actor(panel, options));
    for (action, content) in steps {
        match state.step_by(engine, action, &content, &actor).await {
            Ok(outcome) => {
                if let (Some(sink), Some(turn)) = (sink, state.transcript.last()) {
                    sink(RunEvent::Stepped { member, turn });
                }
                if let Some(verdict) = outcome.verdict {
                    return TurnEnd::Closed(verdict);
                }
            }
            Err(refusal) if refusal.code == ErrorCode::Internal => {
                if let Some(last) = state.panel.last_mut() {
                    last.notes.push(format!("Interrupted: {}", refusal.message));
                }
                return TurnEnd::Stopped(EngineError::ModelUnavailable(format!(
                    "Turn {turn} could not be carried out: {} {}",
                    refusal.message,
                    kept(state)
                )));
            }
            Err(refusal) => {
                if let Some(last) = state.panel.last_mut() {
                    last.notes
                        .push(format!("Not carried out: {}", refusal.message));
                }
                break;
            }
        }
    }
    TurnEnd::Continue
}

/// Called after every turn of a run (an ensemble: once, when its vote is given), with the
/// encounter as the turn left it: where a caller saves, so a run that stops later loses nothing
/// done. An error stops the run with that message.
#[async_trait::async_trait]
pub trait TurnHook: Send {
    /// The turn is over; `state` is the encounter as it left it.
    async fn turn_ended(&mut self, state: &EncounterState) -> Result<(), EngineError>;
}

/// Works the case with `panel` in `options.mode` until a verdict or a stop, at most
/// `options.max_turns` turns in all (turns of earlier runs count). The caller sets the
/// encounter's budget (the budgeted and ensemble modes spend within it).
pub async fn run_panel(
    engine: &Engine<'_>,
    state: &mut EncounterState,
    panel: &dyn Panel,
    options: &RunOptions,
    sink: Option<RunSink<'_>>,
    mut hook: Option<&mut dyn TurnHook>,
) -> RunOutcome {
    if options.mode == Mode::Ensemble {
        let outcome = ensemble::run_ensemble(engine, state, panel, options, sink).await;
        if let Some(hook) = hook {
            if let Err(why) = hook.turn_ended(state).await {
                return RunOutcome::Stopped(why);
            }
        }
        return outcome;
    }
    // The last allowed turn must diagnose; a diagnosis that cannot be given still ends the loop.
    let started = state.panel.iter().filter(|p| p.member.is_none()).count() as u32;
    for _ in started..=options.max_turns.saturating_add(1) {
        let end = run_turn(engine, state, panel, options, None, false, sink).await;
        if let Some(hook) = hook.as_deref_mut() {
            if let Err(why) = hook.turn_ended(state).await {
                return RunOutcome::Stopped(why);
            }
        }
        match end {
            TurnEnd::Continue => {}
            TurnEnd::Closed(verdict) => return RunOutcome::Verdict(verdict),
            TurnEnd::Stopped(why) => return RunOutcome::Stopped(why),
            // Ballots come back only when asked for; a single panel gives its diagnosis.
            TurnEnd::Proposed(ballot) => {
                return RunOutcome::Stopped(EngineError::NoVerdict(format!(
                    "the panel proposed {} without giving it",
                    ballot.diagnosis
                )))
            }
        }
    }
    RunOutcome::Stopped(EngineError::NoVerdict(format!(
        "The panel did not reach a diagnosis within {} turns. {}",
        options.max_turns,
        kept(state)
    )))
}

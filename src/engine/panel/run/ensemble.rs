//! The ensemble: N independent panels on copies of the encounter, then a vote on their
//! diagnoses weighted by confidence.

use super::{kept, panel_actor, run_turn, RunEvent, RunOptions, RunOutcome, RunSink, TurnEnd};
use crate::engine::encounter::{EncounterState, Engine, Status};
use crate::engine::panel::vote::{vote, Ballot, Tally};
use crate::engine::panel::Panel;
use crate::engine::EngineError;
use crate::protocol::{Action, Actor, Money, PanelCandidate, PanelProposal, PanelTurn};

/// One ensemble member's run on its own copy of the encounter: its ballot, or why it stopped.
async fn run_member(
    engine: &Engine<'_>,
    mut state: EncounterState,
    panel: &dyn Panel,
    options: &RunOptions,
    member: u32,
    sink: Option<RunSink<'_>>,
) -> (EncounterState, Result<Ballot, EngineError>) {
    loop {
        match run_turn(engine, &mut state, panel, options, Some(member), true, sink).await {
            TurnEnd::Continue => {}
            TurnEnd::Proposed(ballot) => return (state, Ok(ballot)),
            TurnEnd::Stopped(why) => return (state, Err(why)),
            TurnEnd::Closed(_) => {
                return (
                    state,
                    Err(EngineError::NoVerdict(
                        "the member closed the encounter".into(),
                    )),
                );
            }
        }
    }
}

/// Adds what a member did on its copy (everything after `base`) to the shared encounter.
fn absorb(state: &mut EncounterState, base: &EncounterState, member: EncounterState) {
    let offset = state.transcript.len() - base.transcript.len();
    let tests_offset = state.ordered.len() - base.ordered.len();
    for at in base.transcript.len()..member.transcript.len() {
        state.actors.set_step(at + offset, &member.actors.step(at));
    }
    for at in base.ordered.len()..member.ordered.len() {
        let actor = member.actors.test(at);
        state
            .actors
            .set_tests(at + tests_offset, at + tests_offset + 1, &actor);
    }
    state.spent = Money(state.spent.0 + member.spent.0 - base.spent.0);
    state.visits += member.visits - base.visits;
    state
        .ordered
        .extend(member.ordered.into_iter().skip(base.ordered.len()));
    state
        .transcript
        .extend(member.transcript.into_iter().skip(base.transcript.len()));
    state.panel.extend(
        member
            .panel
            .into_iter()
            .skip(base.panel.len())
            .map(|p| PanelTurn {
                at: p.at + offset,
                ..p
            }),
    );
    state.in_visit = false;
}

/// N independent panels on copies of the encounter (each with an equal share of the budget
/// left), everything they did added to the encounter, then the vote's diagnosis is given.
pub(super) async fn run_ensemble(
    engine: &Engine<'_>,
    state: &mut EncounterState,
    panel: &dyn Panel,
    options: &RunOptions,
    sink: Option<RunSink<'_>>,
) -> RunOutcome {
    if state.status == Status::Closed {
        return RunOutcome::Verdict(state.verdict.clone());
    }
    let members = options.members.max(1);
    let base = state.clone();
    let share = state.remaining().map(|left| left.0 / i64::from(members));
    let runs = (1..=members).map(|member| {
        let mut copy = base.clone();
        if let Some(share) = share {
            copy.budget = Some(Money(base.spent.0 + share));
        }
        run_member(engine, copy, panel, options, member, sink)
    });
    let results = futures_util::future::join_all(runs).await;
    let mut ballots = Vec::new();
    let mut failures = Vec::new();
    for (member_state, result) in results {
        absorb(state, &base, member_state);
        match result {
            Ok(ballot) => ballots.push(ballot),
            Err(why) => failures.push(why.to_string()),
        }
    }
    let tallies = vote(&ballots);
    let Some(winner) = tallies.first() else {
        return RunOutcome::Stopped(EngineError::NoVerdict(format!(
            "No panel of the ensemble reached a diagnosis. {}",
            failures.join(" ")
        )));
    };
    if let Some(sink) = sink {
        sink(RunEvent::Voted(&tallies));
    }
    let total: f64 = tallies.iter().map(|t| t.weight).sum();
    let share_of = |t: &Tally| if total > 0.0 { t.weight / total } else { 0.0 };
    let mut notes: Vec<String> = failures;
    if ballots.len() < members as usize {
        notes.push(format!("{} of {members} panels voted.", ballots.len()));
    }
    state.panel.push(PanelTurn {
        turn: state.panel.iter().filter(|p| p.member.is_none()).count() as u32 + 1,
        member: None,
        at: state.transcript.len(),
        contributions: Vec::new(),
        differential: tallies
            .iter()
            .take(crate::engine::panel::MAX_ITEMS)
            .map(|t| PanelCandidate {
                diagnosis: t.diagnosis.clone(),
                probability: share_of(t),
            })
            .collect(),
        proposal: PanelProposal::Diagnose {
            diagnosis: winner.diagnosis.clone(),
            confidence: share_of(winner),
        },
        reasons: format!(
            "Ensemble vote weighted by confidence: {}.",
            tallies
                .iter()
                .map(|t| format!(
                    "{} {:.2} (panel{} {})",
                    t.diagnosis,
                    t.weight,
                    if t.members.len() == 1 { "" } else { "s" },
                    t.members
                        .iter()
                        .map(u32::to_string)
                        .collect::<Vec<_>>()
                        .join(", ")
                ))
                .collect::<Vec<_>>()
                .join("; ")
        ),
        notes,
        by: Some(panel_actor(panel, options)),
    });
    if let Some(sink) = sink {
        if let Some(last) = state.panel.last() {
            sink(RunEvent::Deliberated(last));
        }
    }
    let actor = Actor::Panel(panel_actor(panel, options));
    match state
        .step_by(engine, Action::Diagnosis, &winner.diagnosis, &actor)
        .await
    {
        Ok(outcome) => {
            if let (Some(sink), Some(turn)) = (sink, state.transcript.last()) {
                sink(RunEvent::Stepped { member: None, turn });
            }
            RunOutcome::Verdict(outcome.verdict.flatten())
        }
        Err(refusal) => RunOutcome::Stopped(EngineError::NoVerdict(format!(
            "The ensemble's diagnosis could not be given: {} {}",
            refusal.message,
            kept(state)
        ))),
    }
}

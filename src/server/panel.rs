//! The AI panel over the socket. `panel` ("Ask the panel"): one deliberation, streamed persona by
//! persona, recorded in the encounter, nothing done or charged. `panel_run` ("Let the panel
//! run"): the panel works the case turn by turn to a verdict, each turn saved as it ends, so a
//! dropped connection or a failing model loses nothing already done.

use super::encounter::{encounter_for, error, load_case, save, Target, CONFLICT};
use super::AppState;
use crate::engine::encounter::Status;
use crate::engine::panel::{consult, run_turn, Mode, RunEvent, RunOptions, TurnEnd};
use crate::engine::EncounterState;
use crate::error::AppError;
use crate::protocol::{
    DeliberationFrame, DoneFrame, ErrorCode, ErrorFrame, Money, PanelWordsFrame, ServerFrame,
    StepFrame,
};
use crate::store::SessionRecord;
use serde_json::Value;
use tokio::sync::mpsc::UnboundedSender;

/// The most turns one "Let the panel run" takes; the last one diagnoses.
pub const RUN_TURNS: u32 = 10;

/// Answers a `panel` (`run` false) or `panel_run` frame, sending frames into `out` as they come.
pub async fn panel(
    state: &AppState,
    session: &SessionRecord,
    target: &mut Target,
    run: bool,
    id: Option<Value>,
    out: UnboundedSender<ServerFrame>,
) {
    if let Err(err) = try_panel(state, session, target, run, id.clone(), &out).await {
        tracing::error!(error = %err, "the panel failed");
        for frame in error(ErrorCode::Internal, "internal error", id) {
            let _ = out.send(frame);
        }
    }
}

async fn try_panel(
    state: &AppState,
    session: &SessionRecord,
    target: &mut Target,
    run: bool,
    id: Option<Value>,
    out: &UnboundedSender<ServerFrame>,
) -> Result<(), AppError> {
    let send = |frame: ServerFrame| {
        let _ = out.send(frame);
    };
    let fail = |code: ErrorCode, message: &str| {
        send(ServerFrame::Error(ErrorFrame::new(
            code,
            message,
            id.clone(),
        )))
    };
    let record = encounter_for(state, session, target).await?;
    let Some(case) = load_case(state, &record.case_id).await? else {
        fail(ErrorCode::Internal, "the case of this encounter is gone");
        return Ok(());
    };
    let mut encounter: EncounterState = serde_json::from_str(&record.state).map_err(|e| {
        AppError::Internal(format!("encounter {} is stored malformed: {e}", record.id))
    })?;
    if encounter.status == Status::Closed {
        fail(ErrorCode::EncounterClosed, "encounter closed");
        return Ok(());
    }
    let engine = state.clinic.engine(&case);
    let panel = state.clinic.panel.as_ref();
    let earlier = encounter
        .panel
        .iter()
        .filter(|p| p.member.is_none())
        .count() as u32;
    let options = RunOptions {
        mode: if encounter.budget.is_some() {
            Mode::Budgeted
        } else {
            Mode::Unconstrained
        },
        max_turns: earlier + RUN_TURNS,
        members: 1,
    };
    let sink_id = id.clone();
    let sink = move |event: RunEvent<'_>| match event {
        RunEvent::Words { persona, text, .. } => send(ServerFrame::Panel(PanelWordsFrame {
            persona: persona.key().into(),
            text: text.into(),
            id: sink_id.clone(),
        })),
        RunEvent::Deliberated(turn) => send(ServerFrame::Deliberation(DeliberationFrame {
            turn: turn.clone(),
            id: sink_id.clone(),
        })),
        RunEvent::Stepped { .. } | RunEvent::Voted(_) => {}
    };
    let mut version = record.version;
    let done = |encounter: &EncounterState, reply: String, cost: Money, verdict| {
        ServerFrame::Done(DoneFrame {
            reply,
            done: true,
            cost,
            total_spent: encounter.spent,
            ordered_tests: encounter.ordered_names(),
            remaining_budget: encounter.remaining(),
            id: id.clone(),
            encounter_id: Some(record.id.clone()),
            verdict,
            estimate: false,
        })
    };

    if !run {
        return match consult(&engine, &mut encounter, panel, &options, None, Some(&sink)).await {
            Err(why) => {
                fail(ErrorCode::Internal, &why);
                Ok(())
            }
            Ok(_) => {
                if !save(state, &record.id, version, &encounter).await? {
                    fail(ErrorCode::Conflict, CONFLICT);
                    return Ok(());
                }
                let text = encounter
                    .panel
                    .last()
                    .map(|t| format!("The panel proposes to {}.", t.proposal.describe()))
                    .unwrap_or_default();
                send(done(&encounter, text, Money(0), None));
                Ok(())
            }
        };
    }

    let spent_before = encounter.spent;
    for _ in 0..=RUN_TURNS {
        let before = encounter.transcript.len();
        let mut running = encounter.spent;
        let end = run_turn(
            &engine,
            &mut encounter,
            panel,
            &options,
            None,
            false,
            Some(&sink),
        )
        .await;
        if !save(state, &record.id, version, &encounter).await? {
            fail(ErrorCode::Conflict, CONFLICT);
            return Ok(());
        }
        version += 1;
        for (at, step) in encounter.transcript.iter().enumerate().skip(before) {
            running = Money(running.0 + step.cost.0);
            send(ServerFrame::Step(StepFrame {
                step: step.clone(),
                actor: encounter.actors.step(at),
                total_spent: running,
                remaining_budget: encounter.budget.map(|b| Money(b.0 - running.0)),
                id: id.clone(),
            }));
        }
        match end {
            TurnEnd::Continue => {}
            TurnEnd::Closed(verdict) => {
                let reply = encounter
                    .transcript
                    .last()
                    .map(|t| t.reply.clone())
                    .unwrap_or_default();
                let cost = Money(encounter.spent.0 - spent_before.0);
                send(done(&encounter, reply, cost, Some(verdict)));
                return Ok(());
            }
            TurnEnd::Stopped(why) => {
                fail(ErrorCode::Internal, &why);
                return Ok(());
            }
            TurnEnd::Proposed(_) => break,
        }
    }
    fail(
        ErrorCode::Internal,
        "The panel did not reach a diagnosis within its turns; everything it did is saved.",
    );
    Ok(())
}

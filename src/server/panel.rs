//! The AI panel over the socket: `panel` ("Ask the panel") and `panel_run` ("Let the panel
//! run") answered by the encounter service, its events sent as frames as they happen.

use super::encounter::{done, error, refused};
use super::AppState;
use crate::clinic::{PanelEnd, PanelEvent, StopRun, Target};
use crate::protocol::{
    DeliberationFrame, ErrorCode, ErrorFrame, Money, PanelWordsFrame, ServerFrame, StepFrame,
};
use crate::store::SessionRecord;
use serde_json::Value;
use tokio::sync::mpsc::UnboundedSender;

/// Answers a `panel` (`run` false) or `panel_run` frame, sending frames into `out` as they
/// come; gives back the target (which names the encounter once one is created). Owns what it
/// works with, so it can go on as its own task until the turn under way is saved after the
/// socket has gone.
pub async fn panel(
    state: AppState,
    session: SessionRecord,
    mut target: Target,
    run: bool,
    id: Option<Value>,
    out: UnboundedSender<ServerFrame>,
    stop: StopRun,
) -> Target {
    let send = |frame: ServerFrame| {
        // A closed socket has nobody to tell; the run's turns are saved regardless.
        let _ = out.send(frame);
    };
    let sink_id = id.clone();
    let sink = |event: PanelEvent<'_>| {
        send(match event {
            PanelEvent::Words { persona, text } => ServerFrame::Panel(PanelWordsFrame {
                persona: persona.key().into(),
                text: text.into(),
                id: sink_id.clone(),
            }),
            PanelEvent::Deliberated(turn) => ServerFrame::Deliberation(DeliberationFrame {
                turn: turn.clone(),
                id: sink_id.clone(),
            }),
            PanelEvent::Stepped {
                applied,
                total_spent,
                remaining_budget,
                ordered_tests,
            } => ServerFrame::Step(StepFrame {
                step: applied.step.turn,
                actor: applied.step.actor,
                total_spent,
                remaining_budget,
                tests: applied.tests,
                in_visit: applied.in_visit,
                ordered_tests,
                id: sink_id.clone(),
            }),
        })
    };
    let frames = match state
        .encounters
        .panel(&session, &mut target, run, &sink, &stop)
        .await
    {
        Ok(Ok(PanelEnd::Consulted { proposal, standing })) => {
            vec![done(standing, proposal, Money(0), (None, None), false, id)]
        }
        Ok(Ok(PanelEnd::Verdict {
            reply,
            cost,
            verdict,
            standing,
        })) => vec![done(
            standing,
            reply,
            cost,
            (Some(verdict), None),
            false,
            id,
        )],
        Ok(Ok(PanelEnd::Stopped(why))) => vec![ServerFrame::Error(ErrorFrame::new(
            ErrorCode::PanelStopped,
            why.to_string(),
            id,
        ))],
        Ok(Err(refusal)) => vec![refused(refusal, id)],
        Err(err) => {
            tracing::error!(error = %err, "the panel failed");
            error(ErrorCode::Internal, "internal error", id)
        }
    };
    for frame in frames {
        send(frame);
    }
    target
}

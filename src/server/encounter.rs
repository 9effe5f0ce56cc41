//! Encounters over the socket: one step of the encounter service answered in frames (the reply
//! cut into chunks, then the done frame), and a refusal as an error frame.

use super::AppState;
use crate::clinic::{Standing, Stepped, Target};
use crate::engine::encounter::Refusal;
use crate::protocol::{
    Action, Applied, DoneFrame, ErrorCode, ErrorFrame, Money, ReplyFrame, ServerFrame, Verdict,
};
use crate::store::SessionRecord;
use serde_json::Value;

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

/// A refusal as the error frame that answers the frame `id`.
pub(super) fn refused(refusal: Refusal, id: Option<Value>) -> ServerFrame {
    ServerFrame::Error(ErrorFrame {
        suggestions: refusal.suggestions,
        ..ErrorFrame::new(refusal.code, refusal.message, id)
    })
}

/// The done frame that ends an answer: the last piece of the reply, where the encounter stands,
/// the verdict of a diagnosis and the step as saved.
pub(super) fn done(
    standing: Standing,
    reply: String,
    cost: Money,
    (verdict, applied): (Option<Option<Verdict>>, Option<Box<Applied>>),
    estimate: bool,
    id: Option<Value>,
) -> ServerFrame {
    ServerFrame::Done(DoneFrame {
        reply,
        done: true,
        cost,
        total_spent: standing.total_spent,
        ordered_tests: standing.ordered_tests,
        remaining_budget: standing.remaining_budget,
        id,
        encounter_id: Some(standing.encounter_id),
        verdict,
        estimate,
        applied,
    })
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
    let stepped = match state
        .encounters
        .step(session, target, action, content)
        .await
    {
        Ok(Ok(stepped)) => stepped,
        Ok(Err(refusal)) => return vec![refused(refusal, id)],
        Err(err) => {
            tracing::error!(error = %err, "encounter step failed");
            return error(ErrorCode::Internal, "internal error", id);
        }
    };
    let Stepped {
        outcome,
        standing,
        applied,
    } = stepped;
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
    frames.push(done(
        standing,
        last,
        outcome.cost,
        (outcome.verdict, applied.map(Box::new)),
        outcome.estimate,
        id,
    ));
    frames
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

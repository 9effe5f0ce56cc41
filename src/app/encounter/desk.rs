//! The encounter page's working state, shared by its parts: the encounter as last saved, the
//! step in flight, the last notice, the composer's draft — and what each socket event does to
//! them. Nothing the physician typed is lost: an unanswered step goes back into the composer.

use super::get_encounter;
use crate::app::socket::{Conn, Link};
use crate::protocol::{ActedTurn, Action, EncounterView, ErrorCode, ServerFrame};
use leptos::prelude::*;

/// A step sent and not yet answered, with the reply streamed so far.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Pending {
    pub(super) action: Action,
    pub(super) content: String,
    pub(super) reply: String,
}

/// A message for the physician about the last step or the connection.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Notice {
    /// A stable word for tests and styling (an error code, `disconnected`, `saved`…).
    pub(super) kind: String,
    pub(super) text: String,
}

fn notice_for(code: ErrorCode, server_text: &str) -> String {
    match code {
        ErrorCode::RateLimited => {
            "You are sending steps too fast. Wait a minute, then try again; nothing was lost."
                .to_string()
        }
        ErrorCode::EncounterClosed => {
            "This encounter is closed: the diagnosis has been given.".to_string()
        }
        ErrorCode::Internal => {
            "Something went wrong on the server. Your step was not saved; try again.".to_string()
        }
        _ => server_text.to_string(),
    }
}

fn code_key(code: ErrorCode) -> String {
    serde_json::to_value(code)
        .ok()
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_else(|| "error".into())
}

/// Everything the page's parts share.
#[derive(Clone, Copy)]
pub(super) struct Desk {
    pub(super) view: RwSignal<EncounterView>,
    pub(super) pending: RwSignal<Option<Pending>>,
    pub(super) notice: RwSignal<Option<Notice>>,
    pub(super) suggestions: RwSignal<Vec<String>>,
    pub(super) action: RwSignal<Action>,
    pub(super) draft: RwSignal<String>,
    pub(super) link: Link,
    pub(super) next_id: StoredValue<u64>,
    /// The persona words of the deliberation in progress, in speaking order.
    pub(super) panel_words: RwSignal<Vec<(String, String)>>,
    /// While the panel works: `Some(true)` for a run, `Some(false)` for advice.
    pub(super) panel_busy: RwSignal<Option<bool>>,
    /// A diagnosis waiting for the physician's confirmation (it ends the encounter).
    pub(super) confirming: RwSignal<Option<String>>,
    /// The composer's text box, to give focus back to it.
    pub(super) input: NodeRef<leptos::html::Textarea>,
}

impl Desk {
    /// Reloads the encounter from the server (after a step, a conflict or a reconnect).
    pub(super) fn refresh(self, after: impl FnOnce(&EncounterView) + 'static) {
        let id = self.view.read_untracked().summary.id.clone();
        leptos::task::spawn_local(async move {
            if let Ok(Some(fresh)) = get_encounter(id).await {
                after(&fresh);
                self.view.set(fresh);
                self.pending.set(None);
            }
        });
    }

    /// Sends `frame` with the next id; when not connected, says so with `offline` and returns
    /// false.
    fn send_frame(self, action: Action, content: String, offline: &str) -> bool {
        let id = self.next_id.with_value(|n| *n);
        self.next_id.set_value(id + 1);
        let frame = crate::protocol::ClientFrame {
            action,
            content,
            id: Some(id.into()),
        };
        if !self.link.send(&frame) {
            self.notice.set(Some(Notice {
                kind: "offline".into(),
                text: offline.into(),
            }));
            return false;
        }
        self.notice.set(None);
        true
    }

    /// Sends a step the panel proposed, as if typed.
    pub(super) fn send_step(self, action: Action, content: String) {
        self.action.set(action);
        self.draft.set(content);
        self.submit();
    }

    /// Asks the panel (`run` false) or lets it work the case to a verdict.
    pub(super) fn call_panel(self, run: bool) {
        if self.pending.read_untracked().is_some() || self.panel_busy.read_untracked().is_some() {
            return;
        }
        let action = if run { Action::PanelRun } else { Action::Panel };
        if !self.send_frame(
            action,
            String::new(),
            "Not connected yet. Try again in a moment.",
        ) {
            return;
        }
        self.panel_words.set(Vec::new());
        self.panel_busy.set(Some(run));
    }

    /// Sends the draft as a step of the chosen kind; a diagnosis is sent only once confirmed.
    pub(super) fn submit(self) {
        if self.action.get_untracked() == Action::Diagnosis {
            let content = self.draft.get_untracked().trim().to_string();
            if !content.is_empty() && self.pending.read_untracked().is_none() {
                self.confirming.set(Some(content));
                return;
            }
        }
        self.send_draft();
    }

    /// The physician confirmed the diagnosis: it is sent.
    pub(super) fn confirm(self) {
        // What was shown is what is sent, even if the box was edited meanwhile.
        if let Some(content) = self.confirming.get_untracked() {
            self.confirming.set(None);
            self.action.set(Action::Diagnosis);
            self.draft.set(content);
            self.send_draft();
        }
    }

    /// The physician took the diagnosis back: the text stays in the composer, focused.
    pub(super) fn cancel_confirm(self) {
        self.confirming.set(None);
        if let Some(input) = self.input.get_untracked() {
            let _ = input.focus();
        }
    }

    fn send_draft(self) {
        let content = self.draft.get_untracked().trim().to_string();
        if content.is_empty() {
            self.notice.set(Some(Notice {
                kind: "empty".into(),
                text: "Write a question, a test name or a diagnosis first.".into(),
            }));
            return;
        }
        if self.pending.read_untracked().is_some() {
            return;
        }
        let action = self.action.get_untracked();
        if !self.send_frame(
            action,
            content.clone(),
            "Not connected yet; your text is kept. Try again in a moment.",
        ) {
            return;
        }
        self.suggestions.set(Vec::new());
        self.draft.set(String::new());
        self.pending.set(Some(Pending {
            action,
            content,
            reply: String::new(),
        }));
    }

    /// Puts an unanswered step back into the composer, so nothing typed is lost.
    pub(super) fn restore_pending(self) {
        if let Some(p) = self.pending.get_untracked() {
            if self.draft.read_untracked().trim().is_empty() {
                self.draft.set(p.content);
                self.action.set(p.action);
            }
            self.pending.set(None);
        }
    }

    pub(super) fn on_frame(self, frame: ServerFrame) {
        match frame {
            ServerFrame::Reply(chunk) => self.pending.update(|p| {
                if let Some(p) = p {
                    p.reply.push_str(&chunk.reply);
                }
            }),
            ServerFrame::Done(done) => {
                // The answer carries the step as saved: applied here, nothing fetched again.
                let mine = self.pending.read_untracked().is_some();
                if mine && done.applied.is_none() {
                    let panel = self.panel_busy;
                    self.refresh(move |_| panel.set(None));
                    return;
                }
                self.view
                    .update(|v| v.apply_frame(&ServerFrame::Done(done)));
                self.pending.set(None);
                self.panel_busy.set(None);
            }
            ServerFrame::Panel(words) => self.panel_words.update(|all| {
                match all
                    .iter_mut()
                    .find(|(persona, _)| *persona == words.persona)
                {
                    Some((_, text)) => text.push_str(&words.text),
                    None => all.push((words.persona, words.text)),
                }
            }),
            ServerFrame::Deliberation(_) => {
                self.panel_words.set(Vec::new());
                self.view.update(|v| v.apply_frame(&frame));
            }
            ServerFrame::Step(_) => self.view.update(|v| v.apply_frame(&frame)),
            ServerFrame::Error(error) => {
                self.panel_busy.set(None);
                self.panel_words.set(Vec::new());
                self.restore_pending();
                self.suggestions.set(error.suggestions.clone());
                self.notice.set(Some(Notice {
                    kind: code_key(error.code),
                    text: notice_for(error.code, &error.error),
                }));
                // A stopped panel saved the turns it finished: the page shows them as stored.
                if matches!(
                    error.code,
                    ErrorCode::Conflict | ErrorCode::EncounterClosed | ErrorCode::PanelStopped
                ) {
                    self.refresh(|_| {});
                }
            }
            ServerFrame::Pong(_) => {}
        }
    }

    pub(super) fn on_open(self, again: bool) {
        if !again {
            return;
        }
        // Back after a loss: the server's copy is the truth. A restored step that the server
        // did save before the loss is taken out of the composer again.
        let draft = self.draft;
        let action = self.action;
        let notice = self.notice;
        self.refresh(move |fresh| {
            let saved = fresh.transcript.last().is_some_and(|t: &ActedTurn| {
                t.turn.content == draft.get_untracked().trim()
                    && t.turn.action == action.get_untracked()
            });
            if saved {
                draft.set(String::new());
            }
            // A rate-limit pause stays explained until the physician sends again.
            if notice
                .read_untracked()
                .as_ref()
                .is_some_and(|n| n.kind == "rate_limited")
            {
                return;
            }
            notice.set(Some(Notice {
                kind: "reconnected".into(),
                text: if saved {
                    "Reconnected. Your last step had been saved before the connection dropped."
                        .into()
                } else {
                    "Reconnected. The encounter is up to date.".into()
                },
            }));
        });
    }

    pub(super) fn on_close(self, code: u16) {
        // What the panel finished is saved; the page reloads it on reconnecting.
        self.panel_busy.set(None);
        self.panel_words.set(Vec::new());
        let had_pending = self.pending.read_untracked().is_some();
        self.restore_pending();
        let text = match code {
            1008 => "You are signed out. Sign in again to continue; everything done so far is \
                     saved."
                .to_string(),
            4001 => "This encounter's connection moved to a newer window or tab of yours; this \
                     page stopped updating. Reload it to continue here; nothing was lost."
                .to_string(),
            1013 => "You are sending steps too fast: the server paused this connection. It \
                     reconnects by itself; wait a minute before the next step. Nothing was lost."
                .to_string(),
            _ if had_pending => "The connection dropped before the answer arrived. \
                                 Reconnecting… your text is kept in the box below."
                .to_string(),
            _ => "The connection dropped. Reconnecting…".to_string(),
        };
        let kind = match code {
            1008 => "ended",
            4001 => "replaced",
            1013 => "rate_limited",
            _ => "disconnected",
        };
        self.notice.set(Some(Notice {
            kind: kind.into(),
            text,
        }));
    }
}

impl Desk {
    pub(super) fn conn(self) -> Conn {
        self.link.conn.get()
    }
}

#[cfg(test)]
mod tests {
    use super::notice_for;
    use crate::protocol::ErrorCode;

    #[test]
    fn a_stopped_panel_is_told_in_the_servers_words_a_fault_in_ours() {
        let stopped = "The panel could not deliberate on turn 3: the model timed out. The \
                       encounter is kept as it was: 4 steps, $612.00 spent; run it again to go on.";
        assert_eq!(notice_for(ErrorCode::PanelStopped, stopped), stopped);
        assert!(notice_for(ErrorCode::Internal, "internal error").contains("not saved"));
    }
}

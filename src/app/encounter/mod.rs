//! `/encounters/ID`: one encounter — the abstract, the chat with its action selector and
//! streamed replies, test search with prices before ordering, the cost panels, the timeline and
//! the verdict. Server-rendered with the whole transcript; after hydration it talks to the
//! WebSocket and resumes by itself after a disconnect.

mod composer;
mod panels;
mod socket;

use super::account::RequireUser;
use crate::error::UserError;
use crate::protocol::{Action, EncounterView, ErrorCode, ServerFrame, TestPrice, Turn};
use composer::Composer;
use leptos::either::Either;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_params_map;
use panels::{CostPanel, TestsPanel, Timeline, VerdictCard};
use socket::{Conn, Events};

/// One of the signed-in user's encounters (`None`: not theirs, or no such encounter).
#[server(prefix = "/api/fn", endpoint = "get_encounter")]
pub async fn get_encounter(id: String) -> Result<Option<EncounterView>, UserError> {
    let state = crate::server::fns::state()?;
    crate::server::fns::encounter(&state, &id).await
}

/// Priced tests matching a name, best first.
#[server(prefix = "/api/fn", endpoint = "search_tests")]
pub async fn search_tests(q: String) -> Result<Vec<TestPrice>, UserError> {
    let state = crate::server::fns::state()?;
    Ok(crate::server::views::search_tests(&state, &q, 8))
}

/// The encounter page.
#[component]
pub fn EncounterPage() -> impl IntoView {
    view! {
        <RequireUser>
            <EncounterLoader/>
        </RequireUser>
    }
}

#[component]
fn EncounterLoader() -> impl IntoView {
    let params = use_params_map();
    let id = move || params.read().get("id").unwrap_or_default();
    let found = Resource::new(id, get_encounter);
    view! {
        <Suspense fallback=|| view! { <p class="muted">"Loading the encounter…"</p> }>
            {move || Suspend::new(async move {
                match found.await {
                    Ok(Some(view)) => Either::Left(view! { <Workspace initial=view/> }),
                    Ok(None) => Either::Right(Either::Left(view! {
                        <Title text="No such encounter"/>
                        <section class="card">
                            <h1>"No such encounter"</h1>
                            <p>
                                "It does not exist or belongs to someone else. "
                                <a href="/encounters">"Your encounters"</a>
                                " · "
                                <a href="/cases">"Case library"</a>
                            </p>
                        </section>
                    })),
                    Err(err) => Either::Right(Either::Right(view! {
                        <p class="form-message" role="alert">{err.message}</p>
                    })),
                }
            })}
        </Suspense>
    }
}

/// A step sent and not yet answered, with the reply streamed so far.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Pending {
    action: Action,
    content: String,
    reply: String,
}

/// A message for the physician about the last step or the connection.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Notice {
    /// A stable word for tests and styling (an error code, `disconnected`, `saved`…).
    kind: String,
    text: String,
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
pub(crate) struct Desk {
    view: RwSignal<EncounterView>,
    pending: RwSignal<Option<Pending>>,
    notice: RwSignal<Option<Notice>>,
    suggestions: RwSignal<Vec<String>>,
    action: RwSignal<Action>,
    draft: RwSignal<String>,
    link: socket::Link,
    next_id: StoredValue<u64>,
}

impl Desk {
    /// Reloads the encounter from the server (after a step, a conflict or a reconnect).
    fn refresh(self, after: impl FnOnce(&EncounterView) + 'static) {
        let id = self.view.read_untracked().summary.id.clone();
        leptos::task::spawn_local(async move {
            if let Ok(Some(fresh)) = get_encounter(id).await {
                after(&fresh);
                self.view.set(fresh);
                self.pending.set(None);
            }
        });
    }

    /// Sends the draft as a step of the chosen kind.
    fn submit(self) {
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
        let id = self.next_id.with_value(|n| *n);
        self.next_id.set_value(id + 1);
        let frame = serde_json::json!({
            "action": action,
            "content": content,
            "id": id,
        });
        if !self.link.send(&frame.to_string()) {
            self.notice.set(Some(Notice {
                kind: "offline".into(),
                text: "Not connected yet; your text is kept. Try again in a moment.".into(),
            }));
            return;
        }
        self.notice.set(None);
        self.suggestions.set(Vec::new());
        self.draft.set(String::new());
        self.pending.set(Some(Pending {
            action,
            content,
            reply: String::new(),
        }));
    }

    /// Puts an unanswered step back into the composer, so nothing typed is lost.
    fn restore_pending(self) {
        if let Some(p) = self.pending.get_untracked() {
            if self.draft.read_untracked().trim().is_empty() {
                self.draft.set(p.content);
                self.action.set(p.action);
            }
            self.pending.set(None);
        }
    }

    fn on_frame(self, frame: ServerFrame) {
        match frame {
            ServerFrame::Reply(chunk) => self.pending.update(|p| {
                if let Some(p) = p {
                    p.reply.push_str(&chunk.reply);
                }
            }),
            ServerFrame::Done(done) => {
                self.pending.update(|p| {
                    if let Some(p) = p {
                        p.reply.push_str(&done.reply);
                    }
                });
                self.refresh(|_| {});
            }
            ServerFrame::Error(error) => {
                self.restore_pending();
                self.suggestions.set(error.suggestions.clone());
                self.notice.set(Some(Notice {
                    kind: code_key(error.code),
                    text: notice_for(error.code, &error.error),
                }));
                if matches!(error.code, ErrorCode::Conflict | ErrorCode::EncounterClosed) {
                    self.refresh(|_| {});
                }
            }
            ServerFrame::Pong(_) => {}
        }
    }

    fn on_open(self, again: bool) {
        if !again {
            return;
        }
        // Back after a loss: the server's copy is the truth. A restored step that the server
        // did save before the loss is taken out of the composer again.
        let draft = self.draft;
        let action = self.action;
        let notice = self.notice;
        self.refresh(move |fresh| {
            let saved = fresh.transcript.last().is_some_and(|t: &Turn| {
                t.content == draft.get_untracked().trim() && t.action == action.get_untracked()
            });
            if saved {
                draft.set(String::new());
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

    fn on_close(self, code: u16) {
        let had_pending = self.pending.read_untracked().is_some();
        self.restore_pending();
        let text = match code {
            1008 => "Your session has ended (signed out or expired). Sign in again to continue; \
                     everything done so far is saved."
                .to_string(),
            1013 => "Too many steps in a minute: the server paused this connection. It will \
                     reconnect by itself; nothing was lost."
                .to_string(),
            _ if had_pending => "The connection dropped before the answer arrived. \
                                 Reconnecting… your text is kept in the box below."
                .to_string(),
            _ => "The connection dropped. Reconnecting…".to_string(),
        };
        self.notice.set(Some(Notice {
            kind: if code == 1008 {
                "ended"
            } else {
                "disconnected"
            }
            .into(),
            text,
        }));
    }
}

#[component]
fn Workspace(initial: EncounterView) -> impl IntoView {
    let encounter_id = initial.summary.id.clone();
    let title = initial
        .summary
        .case_title
        .clone()
        .unwrap_or_else(|| initial.summary.case_id.clone());
    let abstract_text = initial
        .case_summary
        .clone()
        .unwrap_or_else(|| "The case of this encounter is no longer in the library.".into());
    let view = RwSignal::new(initial);
    let desk_cell: StoredValue<Option<Desk>> = StoredValue::new(None);
    let events = Events {
        frame: Box::new(move |frame| {
            if let Some(desk) = desk_cell.get_value() {
                desk.on_frame(frame);
            }
        }),
        opened: Box::new(move |again| {
            if let Some(desk) = desk_cell.get_value() {
                desk.on_open(again);
            }
        }),
        closed: Box::new(move |code| {
            if let Some(desk) = desk_cell.get_value() {
                desk.on_close(code);
            }
        }),
    };
    let link = socket::connect(&encounter_id, events);
    let desk = Desk {
        view,
        pending: RwSignal::new(None),
        notice: RwSignal::new(None),
        suggestions: RwSignal::new(Vec::new()),
        action: RwSignal::new(Action::Question),
        draft: RwSignal::new(String::new()),
        link,
        next_id: StoredValue::new(1),
    };
    desk_cell.set_value(Some(desk));
    let exports = {
        let id = encounter_id.clone();
        move || export_links(&id)
    };

    view! {
        <Title text=title.clone()/>
        <div class="encounter" data-conn=move || link.conn.get().key() data-encounter-id=encounter_id.clone()>
            <header class="encounter-head">
                <p class="breadcrumb"><a href="/cases">"Case library"</a> " / " <a href="/encounters">"My encounters"</a></p>
                <h1>{title}</h1>
                <section class="card abstract" aria-labelledby="abstract-title">
                    <h2 id="abstract-title">"Case abstract"</h2>
                    <p data-testid="case-abstract">{abstract_text}</p>
                </section>
            </header>
            <div class="encounter-grid">
                <section class="chat" aria-labelledby="chat-title">
                    <h2 id="chat-title" class="visually-hidden">"Work-up"</h2>
                    <Transcript desk/>
                    {move || {
                        let v = view.read();
                        (!v.is_open())
                            .then(|| view! {
                                <VerdictCard verdict=v.summary.verdict.clone() total=v.summary.total_spent/>
                            })
                    }}
                    <NoticeBar desk/>
                    <Show
                        when=move || view.read().is_open()
                        fallback=move || view! {
                            <p class="closed-note">
                                "This encounter is closed. "
                                <a href="/cases">"Work another case"</a>
                                " or export this one: "
                                {exports.clone()}
                            </p>
                        }
                    >
                        <Composer desk/>
                    </Show>
                </section>
                <aside class="encounter-side" aria-label="Cost, tests and flow">
                    <CostPanel view/>
                    <TestsPanel view/>
                    <Timeline view/>
                </aside>
            </div>
        </div>
    }
}

/// Links that download the encounter as Markdown, JSON or a FHIR bundle.
pub fn export_links(id: &str) -> impl IntoView {
    let href = |format: &str| format!("/api/v1/encounters/{id}/export?format={format}");
    view! {
        <span class="export-links">
            <a href=href("markdown") download="">"Markdown"</a>
            " · "
            <a href=href("json") download="">"JSON"</a>
            " · "
            <a href=href("fhir") download="">"FHIR"</a>
        </span>
    }
}

fn action_label(action: Action) -> &'static str {
    match action {
        Action::Question => "You asked",
        Action::Test => "You ordered",
        Action::Diagnosis => "Your diagnosis",
        Action::Ping => "Ping",
    }
}

/// The transcript: every saved turn, then the step in flight with its reply as it streams.
#[component]
fn Transcript(desk: Desk) -> impl IntoView {
    let turns = move || {
        desk.view
            .read()
            .transcript
            .iter()
            .cloned()
            .enumerate()
            .collect::<Vec<_>>()
    };
    view! {
        <ol class="transcript" aria-label="Transcript" aria-live="polite" data-testid="transcript">
            <For each=turns key=|(i, t)| (*i, t.content.clone()) let:item>
                <TurnView turn=item.1/>
            </For>
            {move || desk.pending.get().map(|p| view! {
                <li class=format!("turn turn-{} pending", p.action.as_str()) aria-busy="true">
                    <p class="turn-ask">
                        <span class="turn-who">{action_label(p.action)}</span>
                        <span class="turn-text">{p.content}</span>
                    </p>
                    <p class="turn-reply" data-testid="streaming-reply">
                        {if p.reply.is_empty() { "…".to_string() } else { p.reply }}
                    </p>
                </li>
            })}
        </ol>
        {move || desk.view.read().transcript.is_empty().then(|| view! {
            <p class="muted empty-note">
                "Start by asking the patient a question (history or examination), or order a test."
            </p>
        })}
    }
}

#[component]
fn TurnView(turn: Turn) -> impl IntoView {
    let cost = (turn.cost.0 > 0).then(|| format!("${}", turn.cost));
    view! {
        <li class=format!("turn turn-{}", turn.action.as_str())>
            <p class="turn-ask">
                <span class="turn-who">{action_label(turn.action)}</span>
                <span class="turn-text">{turn.content}</span>
                {cost.map(|c| view! { <span class="turn-cost">{c}</span> })}
            </p>
            <p class="turn-reply">{turn.reply}</p>
        </li>
    }
}

/// The last message about a step or the connection, with suggestions for an unknown test.
#[component]
fn NoticeBar(desk: Desk) -> impl IntoView {
    view! {
        <div class="notice-area" role="status" aria-live="polite">
            {move || desk.notice.get().map(|n| {
                let alert = !matches!(n.kind.as_str(), "reconnected");
                view! {
                    <p class=if alert { "notice notice-alert" } else { "notice" } data-kind=n.kind.clone()>
                        {n.text}
                        {(n.kind == "ended").then(|| view! { " " <a href="/login">"Sign in"</a> })}
                    </p>
                }
            })}
            {move || {
                let list = desk.suggestions.get();
                (!list.is_empty()).then(|| view! {
                    <div class="suggestions">
                        <span class="muted">"Did you mean: "</span>
                        <ul class="suggestion-list" aria-label="Suggested tests">
                            {list.into_iter().map(|name| {
                                let label = name.clone();
                                view! {
                                    <li>
                                        <button
                                            type="button"
                                            class="chip"
                                            on:click=move |_| {
                                                desk.action.set(Action::Test);
                                                desk.draft.set(name.clone());
                                                desk.suggestions.set(Vec::new());
                                            }
                                        >
                                            {label}
                                        </button>
                                    </li>
                                }
                            }).collect_view()}
                        </ul>
                    </div>
                })
            }}
        </div>
    }
}

impl Desk {
    fn conn(self) -> Conn {
        self.link.conn.get()
    }
}

//! `/encounters/ID`: one encounter — the abstract, the chat with its action selector and
//! streamed replies, test search with prices before ordering, the cost panels, the timeline and
//! the verdict. Server-rendered with the whole transcript; after hydration it talks to the
//! WebSocket and resumes by itself after a disconnect.

mod composer;
mod confirm;
mod desk;
mod panel;
mod panels;
mod verdict;

use super::account::RequireUser;
use super::socket::{self, Events};
use crate::error::UserError;
use crate::protocol::{ActedTurn, Action, Actor, EncounterView, TestPrice};
use composer::Composer;
use desk::Desk;
use leptos::either::Either;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_params_map;
use panel::PanelSection;
use panels::{CostPanel, TestsPanel, Timeline};
use verdict::VerdictCard;

/// One of the signed-in user's encounters (`None`: not theirs, or no such encounter).
#[server(prefix = "/api/fn", endpoint = "get_encounter")]
pub async fn get_encounter(id: String) -> Result<Option<EncounterView>, UserError> {
    let state = crate::server::fns::state()?;
    crate::server::fns::encounter(&state, &id).await
}

/// Priced tests matching a name, best first.
#[server(prefix = "/api/fn", endpoint = "search_tests")]
pub async fn search_tests(q: String) -> Result<Vec<TestPrice>, UserError> {
    let limit = crate::engine::prices::MAX_NAME_CHARS;
    if q.chars().count() > limit {
        return Err(UserError::new(
            crate::protocol::ErrorCode::InvalidContent,
            format!("A test search is at most {limit} characters."),
        ));
    }
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
    let link = socket::connect(
        &format!(
            "?encounter={}",
            leptos_router::location::Url::escape(&encounter_id)
        ),
        events,
    );
    let desk = Desk {
        view,
        pending: RwSignal::new(None),
        notice: RwSignal::new(None),
        suggestions: RwSignal::new(Vec::new()),
        action: RwSignal::new(Action::Question),
        draft: RwSignal::new(String::new()),
        link,
        next_id: StoredValue::new(1),
        panel_words: RwSignal::new(Vec::new()),
        panel_busy: RwSignal::new(None),
        confirming: RwSignal::new(None),
        input: NodeRef::new(),
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
                                <VerdictCard
                                    verdict=v.summary.verdict.clone()
                                    total=v.summary.total_spent
                                    by=v.summary.diagnosed_by.clone().unwrap_or_default()
                                />
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
                    <PanelSection desk/>
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

/// What a step was, said of who took it: "You asked", "AI panel ordered", "AI panel's diagnosis".
fn action_label(action: Action, actor: &Actor) -> &'static str {
    let panel = actor.is_panel();
    match (action, panel) {
        (Action::Question, false) => "You asked",
        (Action::Test, false) => "You ordered",
        (Action::Diagnosis, false) => "Your diagnosis",
        (Action::Question, true) => "AI panel asked",
        (Action::Test, true) => "AI panel ordered",
        (Action::Diagnosis, true) => "AI panel's diagnosis",
        (Action::Ping | Action::Panel | Action::PanelRun, _) => "Panel",
    }
}

/// "user" or "panel", for styling and tests.
fn actor_kind(actor: &Actor) -> &'static str {
    if actor.is_panel() {
        "panel"
    } else {
        "user"
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
    // The step in flight is always the physician's: the panel's steps arrive whole.
    let you = Actor::default();
    view! {
        <ol class="transcript" aria-label="Transcript" aria-live="polite" data-testid="transcript">
            <For each=turns key=|(i, t)| (*i, t.turn.content.clone()) let:item>
                <TurnView turn=item.1/>
            </For>
            {move || desk.pending.get().map(|p| view! {
                <li class=format!("turn turn-{} pending", p.action.as_str()) aria-busy="true" data-actor="user">
                    <p class="turn-ask">
                        <span class="turn-who">{action_label(p.action, &you)}</span>
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
fn TurnView(turn: ActedTurn) -> impl IntoView {
    let ActedTurn { turn, actor } = turn;
    let cost = (turn.cost.0 > 0).then(|| format!("${}", turn.cost));
    // The panel's steps say which panel took them, so none passes for the physician's.
    let by = actor
        .panel()
        .map(|p| view! { <span class="turn-by">{format!("({})", p.describe())}</span> });
    view! {
        <li class=format!("turn turn-{}", turn.action.as_str()) data-actor=actor_kind(&actor)>
            <p class="turn-ask">
                <span class="turn-who">{action_label(turn.action, &actor)}</span>
                {by}
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

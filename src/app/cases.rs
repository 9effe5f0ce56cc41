//! `/cases`: the case library — every case with its title, specialty, difficulty and abstract;
//! search and filters kept in the address (so they survive a reload and work without
//! JavaScript); start an encounter, optionally with a budget, or resume an open one.

use super::account::CurrentUser;
use crate::error::UserError;
use crate::protocol::{CaseCard, StartOutcome};
use leptos::either::Either;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::{use_navigate, use_query_map};
use leptos_router::NavigateOptions;

/// Every case's card, with the signed-in user's open encounters.
#[server(prefix = "/api/fn", endpoint = "list_cases")]
pub async fn list_cases() -> Result<Vec<CaseCard>, UserError> {
    let state = crate::server::fns::state()?;
    crate::server::fns::list_cases(&state).await
}

/// Starts an encounter and sends the browser to it.
#[server(prefix = "/api/fn", endpoint = "start_encounter")]
pub async fn start_encounter(case_id: String, budget: String) -> Result<StartOutcome, UserError> {
    let state = crate::server::fns::state()?;
    crate::server::fns::start_encounter(&state, &case_id, &budget).await
}

/// The filters of the library, read from the address.
#[derive(Debug, Clone, Default, PartialEq)]
struct Filters {
    q: String,
    specialty: String,
    difficulty: String,
}

impl Filters {
    fn matches(&self, case: &CaseCard) -> bool {
        let haystack = format!("{} {} {}", case.title, case.specialty, case.summary).to_lowercase();
        self.q
            .to_lowercase()
            .split_whitespace()
            .all(|word| haystack.contains(word))
            && (self.specialty.is_empty() || case.specialty == self.specialty)
            && (self.difficulty.is_empty() || case.difficulty == self.difficulty)
    }

    fn query(&self) -> String {
        let mut parts = Vec::new();
        for (name, value) in [
            ("q", &self.q),
            ("specialty", &self.specialty),
            ("difficulty", &self.difficulty),
        ] {
            if !value.is_empty() {
                parts.push(format!(
                    "{name}={}",
                    leptos_router::location::Url::escape(value)
                ));
            }
        }
        if parts.is_empty() {
            "/cases".to_string()
        } else {
            format!("/cases?{}", parts.join("&"))
        }
    }
}

const DIFFICULTIES: [&str; 3] = ["easy", "medium", "hard"];

/// The case library page.
#[component]
pub fn CasesPage() -> impl IntoView {
    let query = use_query_map();
    let filters = Memo::new(move |_| {
        let q = query.read();
        Filters {
            q: q.get("q").unwrap_or_default(),
            specialty: q.get("specialty").unwrap_or_default(),
            difficulty: q.get("difficulty").unwrap_or_default(),
        }
    });
    let cases = Resource::new(|| (), |_| list_cases());
    let user = expect_context::<CurrentUser>().0;
    let navigate = use_navigate();
    let set_filter = move |field: fn(&mut Filters) -> &mut String, value: String| {
        let mut next = filters.get_untracked();
        *field(&mut next) = value;
        navigate(
            &next.query(),
            NavigateOptions {
                replace: true,
                scroll: false,
                ..Default::default()
            },
        );
    };
    let set_filter = StoredValue::new(set_filter);
    // A field's input or change event puts its value into the address.
    let update = move |field: fn(&mut Filters) -> &mut String| {
        move |ev: leptos::ev::Event| {
            let value = event_target_value(&ev);
            set_filter.with_value(|set| set(field, value));
        }
    };

    view! {
        <Title text="Case library"/>
        <section aria-labelledby="library-title">
            <h1 id="library-title">"Case library"</h1>
            <p class="lead">
                "Original teaching cases across specialties. Pick one, set a budget if you like, and work it up."
            </p>
            <form class="filters" role="search" method="get" action="/cases" aria-label="Filter cases">
                <div class="field">
                    <label for="case-search">"Search"</label>
                    <input
                        id="case-search"
                        type="search"
                        name="q"
                        placeholder="Title, specialty or symptom"
                        prop:value=move || filters.read().q.clone()
                        on:input=update(|f| &mut f.q)
                    />
                </div>
                <div class="field">
                    <label for="filter-specialty">"Specialty"</label>
                    <select
                        id="filter-specialty"
                        name="specialty"
                        prop:value=move || filters.read().specialty.clone()
                        on:change=update(|f| &mut f.specialty)
                    >
                        <option value="">"All specialties"</option>
                        <Suspense fallback=|| ()>
                            {move || Suspend::new(async move {
                                let mut specialties: Vec<String> = cases
                                    .await
                                    .unwrap_or_default()
                                    .into_iter()
                                    .map(|c| c.specialty)
                                    .collect();
                                specialties.sort();
                                specialties.dedup();
                                specialties
                                    .into_iter()
                                    .map(|s| {
                                        let selected = filters.read_untracked().specialty == s;
                                        view! { <option value=s.clone() selected=selected>{s.clone()}</option> }
                                    })
                                    .collect_view()
                            })}
                        </Suspense>
                    </select>
                </div>
                <div class="field">
                    <label for="filter-difficulty">"Difficulty"</label>
                    <select
                        id="filter-difficulty"
                        name="difficulty"
                        prop:value=move || filters.read().difficulty.clone()
                        on:change=update(|f| &mut f.difficulty)
                    >
                        <option value="">"Any difficulty"</option>
                        {DIFFICULTIES
                            .into_iter()
                            .map(|d| {
                                let selected = filters.read_untracked().difficulty == d;
                                view! { <option value=d selected=selected>{capitalized(d)}</option> }
                            })
                            .collect_view()}
                    </select>
                </div>
                <noscript>
                    <button type="submit" class="button secondary">"Filter"</button>
                </noscript>
            </form>
            <Suspense fallback=|| view! { <p class="muted">"Loading cases…"</p> }>
                {move || Suspend::new(async move {
                    let signed_in = matches!(user.await, Ok(Some(_)));
                    match cases.await {
                        Ok(all) => Either::Left(view! { <CaseList all filters signed_in/> }),
                        Err(err) => Either::Right(view! {
                            <p class="form-message" role="alert">{err.message}</p>
                        }),
                    }
                })}
            </Suspense>
        </section>
    }
}

fn capitalized(word: &str) -> String {
    let mut chars = word.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

#[component]
fn CaseList(all: Vec<CaseCard>, filters: Memo<Filters>, signed_in: bool) -> impl IntoView {
    let start = ServerAction::<StartEncounter>::new();
    let last_case = RwSignal::new(None::<String>);
    Effect::new(move |_| {
        if let Some(input) = start.input().get() {
            last_case.set(Some(input.case_id));
        }
    });
    let all = StoredValue::new(all);
    let shown = move || {
        let f = filters.get();
        all.with_value(|cases| {
            cases
                .iter()
                .filter(|c| f.matches(c))
                .cloned()
                .collect::<Vec<_>>()
        })
    };
    view! {
        <p class="result-count" role="status" aria-live="polite" data-testid="case-count">
            {move || {
                let n = shown().len();
                let total = all.with_value(Vec::len);
                if n == total {
                    format!("{total} cases")
                } else {
                    format!("{n} of {total} cases")
                }
            }}
        </p>
        <ul class="case-grid" aria-label="Cases">
            <For each=shown key=|c| c.id.clone() let:case>
                <li>
                    <CaseCardView case start last_case signed_in/>
                </li>
            </For>
        </ul>
    }
}

#[component]
fn CaseCardView(
    case: CaseCard,
    start: ServerAction<StartEncounter>,
    /// The case of the last start request (its refusal is shown on its own card).
    last_case: RwSignal<Option<String>>,
    signed_in: bool,
) -> impl IntoView {
    let title_id = format!("case-{}-title", case.id);
    let labelled_by = title_id.clone();
    let budget_id = format!("case-{}-budget", case.id);
    let case_id = case.id.clone();
    let starting = {
        let case_id = case_id.clone();
        move || {
            start
                .input()
                .with(|i| i.as_ref().is_some_and(|i| i.case_id == case_id))
        }
    };
    let refused = {
        let case_id = case_id.clone();
        move || {
            if last_case.read().as_deref() != Some(case_id.as_str()) {
                return None;
            }
            match start.value().get() {
                Some(Ok(StartOutcome::Refused { message })) => Some(message),
                Some(Err(err)) => Some(err.message),
                _ => None,
            }
        }
    };
    let actions = if signed_in {
        let title = case.title.clone();
        Either::Right(view! {
            <div class="case-actions">
                {case.open_encounter.clone().map(|id| view! {
                    <a
                        class="button"
                        href=format!("/encounters/{id}")
                        aria-label=format!("Resume your open encounter: {title}")
                    >
                        "Resume"
                    </a>
                })}
                <ActionForm action=start attr:class="start-form">
                    <input type="hidden" name="case_id" value=case_id.clone()/>
                    <label for=budget_id.clone() class="budget-label">"Budget ($, optional)"</label>
                    <input
                        id=budget_id
                        name="budget"
                        type="text"
                        inputmode="decimal"
                        autocomplete="off"
                        placeholder="No limit"
                        class="budget-input"
                    />
                    <button type="submit" class="button secondary" disabled=starting>
                        "Start new encounter"
                    </button>
                </ActionForm>
            </div>
        })
    } else {
        Either::Left(view! {
            <p class="muted">
                <a href="/login?next=%2Fcases">"Sign in"</a>
                " to work this case."
            </p>
        })
    };
    view! {
        <article class="card case-card" aria-labelledby=labelled_by data-case-id=case.id.clone()>
            <h2 id=title_id class="case-title">{case.title.clone()}</h2>
            <p class="tags">
                <span class="tag">{case.specialty.clone()}</span>
                <span class=format!("tag difficulty difficulty-{}", case.difficulty)>
                    {capitalized(&case.difficulty)}
                </span>
            </p>
            <p class="case-summary">{case.summary.clone()}</p>
            {actions}
            <p class="form-message" role="alert">{refused}</p>
        </article>
    }
}

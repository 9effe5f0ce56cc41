//! `/encounters`: the signed-in physician's encounters — status, case, cost and verdict; resume
//! an open one, open a closed one, export any.

use super::account::RequireUser;
use super::encounter::export_links;
use crate::error::UserError;
use crate::protocol::{format_unix_utc, EncounterSummary};
use leptos::prelude::*;
use leptos_meta::Title;
use std::collections::BTreeMap;

/// The signed-in user's encounters, newest first (`None`: nobody is signed in).
#[server(prefix = "/api/fn", endpoint = "my_encounters")]
pub async fn get_my_encounters() -> Result<Option<Vec<EncounterSummary>>, UserError> {
    let state = crate::server::fns::state()?;
    crate::server::fns::my_encounters(&state).await
}

/// The page.
#[component]
pub fn EncountersPage() -> impl IntoView {
    view! {
        <Title text="My encounters"/>
        <RequireUser>
            <EncounterList/>
        </RequireUser>
    }
}

#[component]
fn EncounterList() -> impl IntoView {
    let list = Resource::new(|| (), |_| get_my_encounters());
    view! {
        <section aria-labelledby="encounters-title">
            <h1 id="encounters-title">"My encounters"</h1>
            <Suspense fallback=|| view! { <p class="muted">"Loading…"</p> }>
                {move || Suspend::new(async move {
                    match list.await {
                        Ok(list) => {
                            let list = list.unwrap_or_default();
                            if list.is_empty() {
                                return view! {
                                    <p>
                                        "No encounters yet. "
                                        <a href="/cases">"Pick a case from the library"</a>
                                        " to start one."
                                    </p>
                                }
                                .into_any();
                            }
                            let tally = tally_line(&list);
                            view! {
                                <p class="encounter-tally" data-testid="encounter-tally">{tally}</p>
                                <div class="table-wrap">
                                    <table class="encounter-table">
                                        <caption class="visually-hidden">"Your encounters, newest first"</caption>
                                        <thead>
                                            <tr>
                                                <th scope="col">"Case"</th>
                                                <th scope="col">"Status"</th>
                                                <th scope="col">"Cost"</th>
                                                <th scope="col">"Verdict"</th>
                                                <th scope="col">"Last step"</th>
                                                <th scope="col">"Export"</th>
                                            </tr>
                                        </thead>
                                        <tbody>
                                            {list.into_iter().map(row).collect_view()}
                                        </tbody>
                                    </table>
                                </div>
                            }
                            .into_any()
                        }
                        Err(err) => view! { <p class="form-message" role="alert">{err.message}</p> }.into_any(),
                    }
                })}
            </Suspense>
        </section>
    }
}

/// Diagnoses given and correct, by who gave them: the physician's own record never counts
/// what the AI panel diagnosed.
#[derive(Debug, Default, PartialEq, Eq)]
struct Tally {
    /// By the physician: (diagnosed, correct).
    mine: (u32, u32),
    /// By each panel, by its description: (diagnosed, correct).
    panels: BTreeMap<String, (u32, u32)>,
}

fn tally(list: &[EncounterSummary]) -> Tally {
    let mut out = Tally::default();
    for e in list {
        let Some(by) = &e.diagnosed_by else { continue };
        let counts = match by.panel() {
            Some(panel) => out.panels.entry(panel.name()).or_default(),
            None => &mut out.mine,
        };
        counts.0 += 1;
        counts.1 += u32::from(e.verdict.as_ref().is_some_and(|v| v.correct));
    }
    out
}

/// "You diagnosed 2 (1 correct). AI panel (offline, unconstrained) diagnosed 1 (1 correct)."
fn tally_line(list: &[EncounterSummary]) -> String {
    let t = tally(list);
    let mut line = format!("You diagnosed {} ({} correct).", t.mine.0, t.mine.1);
    for (panel, (given, correct)) in &t.panels {
        line.push_str(&format!(" {panel} diagnosed {given} ({correct} correct)."));
    }
    line
}

fn row(e: EncounterSummary) -> impl IntoView {
    let title = e.case_title.clone().unwrap_or_else(|| e.case_id.clone());
    let open = e.status == "open";
    let verdict = match (&e.verdict, open) {
        (Some(v), _) => format!(
            "{} · {}/5",
            if v.correct { "Correct" } else { "Incorrect" },
            v.score
        ),
        (None, true) => "—".to_string(),
        (None, false) => "Not judged".to_string(),
    };
    let cost = match e.budget {
        Some(b) => format!("${} of ${b}", e.total_spent),
        None => format!("${}", e.total_spent),
    };
    // An encounter the panel finished is the panel's, and says so.
    let by = e.diagnosed_by.as_ref().map(|by| match by.panel() {
        Some(panel) => format!("Diagnosed by {}", panel.name()),
        None => "Diagnosed by you".to_string(),
    });
    let by_kind = e
        .diagnosed_by
        .as_ref()
        .map(|by| if by.is_panel() { "panel" } else { "user" });
    let link_label = if open { "Resume" } else { "View" };
    view! {
        <tr data-encounter-id=e.id.clone()>
            <th scope="row">
                <a href=format!("/encounters/{}", e.id) aria-label=format!("{link_label}: {title}")>
                    {title.clone()}
                </a>
            </th>
            <td>
                <span class=if open { "badge badge-open" } else { "badge" }>
                    {if open { "Open" } else { "Closed" }}
                </span>
            </td>
            <td>{cost}</td>
            <td>
                {verdict}
                {by.map(|by| view! { <br/><span class="diagnosed-by muted" data-actor=by_kind>{by}</span> })}
            </td>
            <td>{format_unix_utc(e.updated_at)}</td>
            <td>{export_links(&e.id)}</td>
        </tr>
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::{Actor, Money, PanelActor, Verdict};

    fn closed(by: Actor, correct: bool) -> EncounterSummary {
        EncounterSummary {
            id: "e".into(),
            case_id: "c".into(),
            case_title: None,
            status: "closed".into(),
            total_spent: Money(0),
            budget: None,
            ordered_tests: vec![],
            verdict: Some(Verdict {
                score: if correct { 5 } else { 1 },
                correct,
                diagnosis: "d".into(),
                given: "g".into(),
                rationale: String::new(),
                teaching_points: vec![],
                total_cost: Money(0),
                actor: by.clone(),
                judged_by: String::new(),
            }),
            diagnosed_by: Some(by),
            created_at: 0,
            updated_at: 0,
        }
    }

    #[test]
    fn the_panels_diagnoses_are_never_counted_as_the_physicians() {
        let panel = Actor::Panel(PanelActor {
            engine: "offline".into(),
            mode: "unconstrained".into(),
            model: None,
        });
        let mut open = closed(Actor::default(), false);
        open.status = "open".into();
        open.verdict = None;
        open.diagnosed_by = None;
        let list = [
            closed(Actor::user("physician"), true),
            closed(Actor::default(), false),
            closed(panel.clone(), true),
            closed(panel, true),
            open,
        ];
        assert_eq!(
            tally_line(&list),
            "You diagnosed 2 (1 correct). AI panel (offline, unconstrained) diagnosed 2 (2 correct)."
        );
    }
}

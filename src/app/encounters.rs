//! `/encounters`: the signed-in physician's encounters — status, case, cost and verdict; resume
//! an open one, open a closed one, export any.

use super::account::RequireUser;
use super::encounter::export_links;
use crate::error::UserError;
use crate::protocol::{format_unix_utc, EncounterSummary};
use leptos::prelude::*;
use leptos_meta::Title;

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
                            view! {
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
            <td>{verdict}</td>
            <td>{format_unix_utc(e.updated_at)}</td>
            <td>{export_links(&e.id)}</td>
        </tr>
    }
}

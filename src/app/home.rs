//! The home page: what Dx0 is, and the state of the running system.

use crate::error::UserError;
use crate::protocol::SystemStatus;
use leptos::prelude::*;
use leptos_meta::Title;

/// Reads the system's state from the database.
#[server(prefix = "/api/fn", endpoint = "system_status")]
pub async fn get_system_status() -> Result<SystemStatus, UserError> {
    let state = crate::server::fns::state()?;
    crate::server::fns::system_status(&state)
        .await
        .map_err(|err| err.to_user())
}

/// The landing page.
#[component]
pub fn HomePage() -> impl IntoView {
    view! {
        <Title text=""/>
        <section class="hero" aria-labelledby="hero-title">
            <h1 id="hero-title">"Sequential diagnosis, one priced step at a time"</h1>
            <p class="lead">
                "Dx0 is a teaching and research tool for cost-aware diagnosis. A clinical case starts "
                "as a short abstract. You — or an AI panel of five physician personas — ask the patient "
                "questions and order tests one step at a time. A gatekeeper reveals only what was asked "
                "for, every visit and test has a price, and when you commit to a diagnosis a judge scores "
                "it against the case's true diagnosis."
            </p>
        </section>
        <section aria-labelledby="how-title">
            <h2 id="how-title">"How an encounter works"</h2>
            <ol class="steps">
                <li>
                    <h3>"Ask"</h3>
                    <p>"Question the patient. Each round of questions is charged as a physician visit."</p>
                </li>
                <li>
                    <h3>"Order"</h3>
                    <p>"Order tests by name. Each has its CPT-based price, shown before you commit."</p>
                </li>
                <li>
                    <h3>"Diagnose"</h3>
                    <p>"Name the diagnosis when you are confident, within the budget if one is set."</p>
                </li>
                <li>
                    <h3>"Learn"</h3>
                    <p>"The judge scores your answer from 1 to 5 and shows the true diagnosis and the total cost."</p>
                </li>
            </ol>
        </section>
        <SystemStatusCard/>
    }
}

/// The database figure, fetched through a server function (rendered on the server first, and
/// re-checked from the browser on request).
#[component]
fn SystemStatusCard() -> impl IntoView {
    let status = Resource::new(|| (), |_| get_system_status());
    view! {
        <section class="card status-card" aria-labelledby="status-title">
            <div class="card-head">
                <h2 id="status-title">"System status"</h2>
                <button type="button" class="button secondary" on:click=move |_| status.refetch()>
                    "Check again"
                </button>
            </div>
            <Transition fallback=|| view! { <p class="muted">"Reading the database…"</p> }>
                {move || Suspend::new(async move {
                    match status.await {
                        Ok(s) => view! {
                            <dl class="figures" aria-label="Database">
                                <div>
                                    <dt>"Database"</dt>
                                    <dd data-testid="database-engine">{s.database}</dd>
                                </div>
                                <div>
                                    <dt>"Schema version"</dt>
                                    <dd data-testid="schema-version">{s.schema_version}</dd>
                                </div>
                                <div>
                                    <dt>"Migrations applied"</dt>
                                    <dd>{s.migrations_applied}</dd>
                                </div>
                                <div>
                                    <dt>"Server version"</dt>
                                    <dd>{s.version}</dd>
                                </div>
                            </dl>
                        }
                        .into_any(),
                        Err(err) => view! {
                            <p class="error" role="alert">{err.message}</p>
                        }
                        .into_any(),
                    }
                })}
            </Transition>
        </section>
    }
}

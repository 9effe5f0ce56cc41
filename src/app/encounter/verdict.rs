//! The verdict card: the judge's verdict with who gave the diagnosis, or the note for a case
//! that cannot be judged.

use crate::protocol::{Actor, Money, Verdict};
use leptos::prelude::*;

/// The judge's verdict (saying who gave the diagnosis), or the note for a case without a
/// recorded diagnosis. `by` gave the diagnosis when there is no verdict to say so.
#[component]
pub fn VerdictCard(verdict: Option<Verdict>, total: Money, by: Actor) -> impl IntoView {
    let kind = |actor: &Actor| if actor.is_panel() { "panel" } else { "user" };
    match verdict {
        Some(v) => {
            let given_label = if v.actor.is_panel() {
                "AI panel's diagnosis"
            } else {
                "Your diagnosis"
            };
            view! {
                <section
                    class=if v.correct { "card verdict verdict-correct" } else { "card verdict verdict-incorrect" }
                    aria-labelledby="verdict-title"
                    data-testid="verdict"
                    data-actor=kind(&v.actor)
                >
                    <h2 id="verdict-title">
                        {if v.correct { "Correct" } else { "Incorrect" }}
                        <span class="verdict-score">{format!(" · score {}/5", v.score)}</span>
                    </h2>
                    <dl class="verdict-facts">
                        <div><dt>"Diagnosed by"</dt><dd data-testid="diagnosed-by">{v.actor.name_for_owner()}</dd></div>
                        <div><dt>{given_label}</dt><dd>{v.given}</dd></div>
                        <div><dt>"True diagnosis"</dt><dd data-testid="true-diagnosis">{v.diagnosis}</dd></div>
                        <div><dt>"Judge"</dt><dd>{v.rationale}</dd></div>
                        {(!v.judged_by.is_empty()).then(|| view! {
                            <div><dt>"Judged by"</dt><dd data-testid="judged-by">{judged_by(&v.judged_by)}</dd></div>
                        })}
                        <div><dt>"Total cost"</dt><dd>{format!("${}", v.total_cost)}</dd></div>
                    </dl>
                    {(!v.teaching_points.is_empty()).then(|| view! {
                        <h3>"Teaching points"</h3>
                        <ul class="teaching-points">
                            {v.teaching_points.into_iter().map(|p| view! { <li>{p}</li> }).collect_view()}
                        </ul>
                    })}
                </section>
            }
            .into_any()
        }
        None => view! {
            <section class="card verdict" aria-labelledby="verdict-title" data-testid="verdict" data-actor=kind(&by)>
                <h2 id="verdict-title">"Diagnosis recorded"</h2>
                <p>
                    "This case has no recorded diagnosis, so it cannot be judged. "
                    {format!("Total cost: ${total}.")}
                </p>
                <dl class="verdict-facts">
                    <div><dt>"Diagnosed by"</dt><dd data-testid="diagnosed-by">{by.name_for_owner()}</dd></div>
                </dl>
            </section>
        }
        .into_any(),
    }
}

/// "the offline judge" → "The offline judge".
fn judged_by(by: &str) -> String {
    let mut chars = by.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

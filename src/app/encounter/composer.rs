//! The composer: choose Ask / Order test / Diagnose, write, send. In "Order test" it searches
//! the price table as you type and shows each match with its CPT code and price before you
//! order.

use super::confirm::DiagnosisConfirm;
use super::Desk;
use crate::app::socket::Conn;
use crate::protocol::{Action, TestPrice};
use leptos::prelude::*;

const CHOICES: [(Action, &str, &str); 3] = [
    (
        Action::Question,
        "Ask",
        "Question for the patient or the examination",
    ),
    (
        Action::Test,
        "Order test",
        "Test names (several: separate with ; or ,)",
    ),
    (Action::Diagnosis, "Diagnose", "Your final diagnosis"),
];

/// The part of an order being typed: what follows the last separator.
fn last_part(order: &str) -> &str {
    order
        .rsplit([';', ',', '\n'])
        .next()
        .unwrap_or_default()
        .trim()
}

/// The order with its last part replaced by a chosen test name.
fn with_last_part(order: &str, name: &str) -> String {
    match order.rfind([';', ',', '\n']) {
        Some(at) => format!("{}; {name}", order[..at].trim_end()),
        None => name.to_string(),
    }
}

#[component]
pub fn Composer(desk: Desk) -> impl IntoView {
    let matches: RwSignal<Vec<TestPrice>> = RwSignal::new(Vec::new());
    let generation = StoredValue::new(0u64);
    // Search as the physician types a test name (debounced; stale answers are dropped).
    Effect::new(move |_| {
        let action = desk.action.get();
        let term = last_part(&desk.draft.get()).to_string();
        generation.update_value(|g| *g += 1);
        let mine = generation.get_value();
        if action != Action::Test || term.chars().count() < 2 {
            matches.set(Vec::new());
            return;
        }
        set_timeout(
            move || {
                if generation.get_value() != mine {
                    return;
                }
                leptos::task::spawn_local(async move {
                    if let Ok(found) = super::search_tests(term).await {
                        if generation.get_value() == mine {
                            matches.set(found);
                        }
                    }
                });
            },
            std::time::Duration::from_millis(180),
        );
    });
    let ready = move || desk.conn() == Conn::Open && desk.pending.read().is_none();
    let placeholder = move || {
        let a = desk.action.get();
        CHOICES
            .iter()
            .find(|(x, _, _)| *x == a)
            .map(|(_, _, p)| *p)
            .unwrap_or_default()
    };
    let button = move || match desk.action.get() {
        Action::Test => "Order",
        Action::Diagnosis => "Give diagnosis",
        _ => "Ask",
    };
    let input_ref = desk.input;
    view! {
        <form
            class="composer card"
            aria-label="Next step"
            on:submit=move |ev| {
                ev.prevent_default();
                desk.submit();
            }
        >
            <fieldset class="action-choice">
                <legend>"Next step"</legend>
                {CHOICES
                    .into_iter()
                    .map(|(action, label, _)| {
                        let id = format!("action-{}", action.as_str());
                        view! {
                            <span class="choice">
                                <input
                                    type="radio"
                                    name="action"
                                    id=id.clone()
                                    value=action.as_str()
                                    prop:checked=move || desk.action.get() == action
                                    on:change=move |_| desk.action.set(action)
                                />
                                <label for=id>{label}</label>
                            </span>
                        }
                    })
                    .collect_view()}
            </fieldset>
            <label for="step-text" class="visually-hidden">
                {move || placeholder()}
            </label>
            <div class="composer-row">
                <textarea
                    id="step-text"
                    node_ref=input_ref
                    rows="2"
                    maxlength="10000"
                    placeholder=placeholder
                    prop:value=move || desk.draft.get()
                    on:input=move |ev| desk.draft.set(event_target_value(&ev))
                    on:keydown=move |ev| {
                        // Enter sends; Shift+Enter starts a new line.
                        if ev.key() == "Enter" && !ev.shift_key() && !ev.is_composing() {
                            ev.prevent_default();
                            desk.submit();
                        }
                    }
                ></textarea>
                <button type="submit" class="button" disabled=move || !ready()>
                    {button}
                </button>
            </div>
            <DiagnosisConfirm desk/>
            {move || {
                let list = matches.get();
                (!list.is_empty()).then(|| view! {
                    <div class="test-matches">
                        <p class="muted">"Matching tests — price shown before you order:"</p>
                        <ul aria-label="Matching tests">
                            {list.into_iter().map(|t| {
                                let name = t.name.clone();
                                view! {
                                    <li>
                                        <button
                                            type="button"
                                            class="test-match"
                                            on:click=move |_| {
                                                desk.draft.update(|d| *d = with_last_part(d, &name));
                                                matches.set(Vec::new());
                                                if let Some(input) = input_ref.get() {
                                                    let _ = input.focus();
                                                }
                                            }
                                        >
                                            <span class="test-name">{t.name.clone()}</span>
                                            <span class="muted">{format!("CPT {}", t.cpt)}</span>
                                            <span class="test-price">{format!("${}", t.price)}</span>
                                        </button>
                                    </li>
                                }
                            }).collect_view()}
                        </ul>
                    </div>
                })
            }}
            <noscript>
                <p class="muted">"Working a case needs JavaScript: the steps travel over a live connection."</p>
            </noscript>
        </form>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_last_part_of_an_order_is_searched_and_replaced() {
        assert_eq!(last_part("CBC; lipa"), "lipa");
        assert_eq!(last_part("troponin"), "troponin");
        assert_eq!(with_last_part("CBC; lipa", "Lipase"), "CBC; Lipase");
        assert_eq!(with_last_part("CBC,lipa", "Lipase"), "CBC; Lipase");
        assert_eq!(with_last_part("trop", "Troponin I"), "Troponin I");
    }
}

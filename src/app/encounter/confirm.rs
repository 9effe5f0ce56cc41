//! The confirmation a diagnosis needs before it is sent: it ends the encounter for good, so one
//! stray Enter (or one click on the panel's proposal) must not give it. A diagnosis that reads
//! like a question or a list of alternatives is flagged, since the judge scores exactly what is
//! sent.

use super::Desk;
use leptos::prelude::*;

/// True when `text` reads like a question or several alternatives rather than one diagnosis.
pub fn reads_like_question(text: &str) -> bool {
    let lower = text.trim().to_lowercase();
    let words: Vec<&str> = lower
        .split_whitespace()
        .map(|w| w.trim_matches(|c: char| matches!(c, ',' | ';' | ':' | '(' | ')')))
        .collect();
    let starts = |phrase: &[&str]| words.len() >= phrase.len() && words[..phrase.len()] == *phrase;
    lower.ends_with('?')
        || starts(&["could", "this", "be"])
        || starts(&["is", "it"])
        || starts(&["maybe"])
        || words
            .iter()
            .any(|w| matches!(*w, "or" | "vs" | "vs." | "versus"))
        || lower.contains('/')
}

/// The confirmation region, shown while a diagnosis waits: its text, that it ends the
/// encounter, a warning when it reads like a question; focus moves into it and Escape or
/// Cancel return to the composer with the text kept.
#[component]
pub(super) fn DiagnosisConfirm(desk: Desk) -> impl IntoView {
    let cancel_ref = NodeRef::<leptos::html::Button>::new();
    // The safe choice gets the focus: a second Enter keeps the encounter open.
    Effect::new(move |_| {
        if let Some(button) = cancel_ref.get() {
            let _ = button.focus();
        }
    });
    move || {
        desk.confirming.get().map(|text| {
            let doubtful = reads_like_question(&text);
            view! {
                <div
                    class="confirm card"
                    role="alertdialog"
                    aria-modal="false"
                    aria-labelledby="confirm-title"
                    aria-describedby="confirm-text confirm-ends"
                    data-testid="diagnosis-confirm"
                    on:keydown=move |ev| {
                        if ev.key() == "Escape" {
                            ev.prevent_default();
                            desk.cancel_confirm();
                        }
                    }
                >
                    <h2 id="confirm-title">"Give this diagnosis?"</h2>
                    <p id="confirm-text" class="confirm-text">
                        <q>{text}</q>
                    </p>
                    <p id="confirm-ends">
                        "This ends the encounter: it is judged at once, and no more questions or tests can follow."
                    </p>
                    {doubtful.then(|| view! {
                        <p class="confirm-warning" data-testid="question-warning">
                            <strong>"This reads like a question or a list of alternatives. "</strong>
                            "The judge scores exactly what you send: name one diagnosis."
                        </p>
                    })}
                    <div class="confirm-buttons">
                        <button type="button" class="button" on:click=move |_| desk.confirm()>
                            "Give diagnosis"
                        </button>
                        <button
                            type="button"
                            class="button secondary"
                            node_ref=cancel_ref
                            on:click=move |_| desk.cancel_confirm()
                        >
                            "Cancel"
                        </button>
                    </div>
                </div>
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::reads_like_question;

    #[test]
    fn questions_and_alternatives_are_flagged() {
        for text in [
            "Appendicitis?",
            "Could this be appendicitis",
            "is it gout",
            "Maybe sarcoidosis",
            "Gout or pseudogout",
            "Gout vs pseudogout",
            "Gout vs. pseudogout",
            "Gout versus septic arthritis",
            "Gout/pseudogout",
        ] {
            assert!(reads_like_question(text), "{text}");
        }
    }

    #[test]
    fn a_plain_diagnosis_is_not() {
        for text in [
            "Acute appendicitis",
            "Primary membranous nephropathy",
            "Isolated orbital floor fracture",
            "Giant cell arteritis",
            "Maybelline allergy",
            "Organising pneumonia",
        ] {
            assert!(!reads_like_question(text), "{text}");
        }
    }
}

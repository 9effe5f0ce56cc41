//! Telling a request for the diagnosis (or a guess at it) from an ordinary question.

use crate::engine::text::{contains_phrase, normalize, words};

/// Phrases that ask for the answer itself.
const DIAGNOSIS_REQUESTS: &[&str] = &[
    "diagnosis",
    "diagnoses",
    "diagnose",
    "differential",
    "ddx",
    "what is wrong",
    "whats wrong",
    "what s wrong",
    "what do i have",
    "what do you have",
    "what does he have",
    "what does she have",
    "what does the patient have",
    "what disease",
    "which disease",
    "what condition",
    "which condition",
    "what illness",
    "the answer",
    "final answer",
    "impression",
    "assessment and plan",
];

/// Openings of a question that guesses a diagnosis ("is it lupus?").
const GUESS_OPENINGS: &[&str] = &[
    "is it",
    "is this",
    "could it be",
    "could this be",
    "might it be",
    "might this be",
    "can it be",
    "do you think",
    "rule out",
    "consistent with",
    "suggestive of",
    "is the cause",
];

/// Word endings and words that name diseases.
const DISEASE_SUFFIXES: &[&str] = &[
    "itis", "osis", "oma", "emia", "aemia", "pathy", "plasia", "algia", "trophy", "ectasis",
];
const DISEASE_WORDS: &[&str] = &[
    "syndrome",
    "disease",
    "cancer",
    "tumor",
    "tumour",
    "infection",
    "failure",
    "disorder",
    "deficiency",
    "infarction",
    "embolism",
    "thrombosis",
    "stroke",
    "sepsis",
    "abscess",
    "fracture",
    "palsy",
    "overdose",
    "poisoning",
    "pregnancy",
    "lupus",
    "gout",
    "diabetes",
    "dissection",
    "aneurysm",
    "hemorrhage",
    "haemorrhage",
    "rupture",
    "ulcer",
    "obstruction",
];

/// True when a question asks for the diagnosis or guesses one.
pub fn asks_for_diagnosis(question: &str) -> bool {
    let text = normalize(question);
    if DIAGNOSIS_REQUESTS
        .iter()
        .any(|phrase| contains_phrase(&text, phrase))
    {
        return true;
    }
    let guess = GUESS_OPENINGS
        .iter()
        .any(|opening| text.starts_with(&format!("{opening} ")) || contains_phrase(&text, opening));
    guess
        && words(&text).iter().any(|w| {
            DISEASE_WORDS.contains(&w.as_str())
                || DISEASE_SUFFIXES
                    .iter()
                    .any(|s| w.len() > s.len() + 2 && w.ends_with(s))
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn diagnosis_requests_and_guesses_are_refused_but_symptom_questions_are_not() {
        for q in [
            "What is the diagnosis?",
            "Is it lupus?",
            "could this be a pulmonary embolism",
            "differential?",
            "What's wrong with me?",
        ] {
            assert!(asks_for_diagnosis(q), "{q}");
        }
        for q in [
            "Is it worse when you lie down?",
            "Do you have chest pain?",
            "Is this the first time?",
            "Any fever?",
        ] {
            assert!(!asks_for_diagnosis(q), "{q}");
        }
    }
}

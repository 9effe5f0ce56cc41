//! Telling a request for the diagnosis (or a guess at it) from an ordinary question.

use crate::engine::text::{normalize, words, Padded};

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

/// What "your impression of …" may be about and still ask for the diagnosis.
const WHOLE_CASE: &[&str] = &[
    "case",
    "patient",
    "findings",
    "results",
    "presentation",
    "picture",
    "situation",
    "condition",
    "illness",
    "problem",
    "everything",
    "all",
    "this",
    "it",
    "what",
];

/// Words skipped between "of" and what an impression is of.
const DETERMINERS: &[&str] = &["the", "your", "his", "her", "my", "their", "this", "that"];

/// True when a question asks for the diagnosis or guesses one.
pub fn asks_for_diagnosis(question: &str) -> bool {
    // The phrase lists are written normalised (a test holds them to it).
    let text = normalize(question);
    let padded = Padded::of_normalized(&text);
    if DIAGNOSIS_REQUESTS.iter().any(|phrase| padded.has(phrase)) {
        return true;
    }
    let words = words(&text);
    if asks_for_impression(&words) {
        return true;
    }
    let guess = GUESS_OPENINGS.iter().any(|opening| {
        // "Do you think you have an infection?" asks the patient what they believe: history.
        let own_belief = *opening == "do you think"
            && (padded.has("do you think you") || padded.has("do you think that you"));
        !own_belief && padded.has(opening)
    });
    guess && words.iter().any(|w| disease_shaped(w))
}

/// True for a word that names a disease by its shape ("…itis", "syndrome", "lupus"): a guess at
/// the diagnosis uses one, and so does each part of a list of diagnoses.
pub(crate) fn disease_shaped(word: &str) -> bool {
    DISEASE_WORDS.contains(&word)
        || DISEASE_SUFFIXES
            .iter()
            .any(|s| word.len() > s.len() + 2 && word.ends_with(s))
}

/// "What is your impression?" (or "… of the case") asks for the diagnosis; "your impression of
/// the pain" asks what a symptom is like.
fn asks_for_impression(words: &[String]) -> bool {
    words.iter().enumerate().any(|(i, w)| {
        if w != "impression" && w != "impressions" {
            return false;
        }
        if words.get(i + 1).map(String::as_str) != Some("of") {
            return true;
        }
        match words[i + 2..]
            .iter()
            .find(|w| !DETERMINERS.contains(&w.as_str()))
        {
            Some(object) => WHOLE_CASE.contains(&object.as_str()),
            None => true,
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_phrase_lists_are_written_normalised() {
        for phrase in DIAGNOSIS_REQUESTS.iter().chain(GUESS_OPENINGS) {
            assert_eq!(normalize(phrase), *phrase);
        }
    }

    #[test]
    fn diagnosis_requests_and_guesses_are_refused_but_symptom_questions_are_not() {
        for q in [
            "What is the diagnosis?",
            "Is it lupus?",
            "could this be a pulmonary embolism",
            "differential?",
            "What's wrong with me?",
            "What is your impression?",
            "What is your impression of the case?",
            "What do you think the diagnosis is?",
            "Do you think it is lupus?",
        ] {
            assert!(asks_for_diagnosis(q), "{q}");
        }
        for q in [
            "Is it worse when you lie down?",
            "Do you have chest pain?",
            "Is this the first time?",
            "Any fever?",
            "Do you think you have an infection?",
            "What is your impression of the pain?",
            "Do you think that you might have a fracture?",
        ] {
            assert!(!asks_for_diagnosis(q), "{q}");
        }
    }
}

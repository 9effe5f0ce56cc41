use super::super::{OfflineGatekeeper, NOTHING};
use crate::engine::case::Case;

fn case() -> Case {
    serde_json::from_value(serde_json::json!({
        "id": "c", "title": "t", "summary": "A 19-year-old man comes in with abdominal pain.",
        "history": [
            {"topic": "Smoking", "keywords": ["smoke", "cigarettes", "tobacco"], "answer": "I have never smoked."},
            {"topic": "Nausea and vomiting", "keywords": ["nausea", "vomit", "throw up", "sick"], "answer": "I threw up once."}
        ],
        "exam": [{"topic": "Vital signs", "keywords": ["vital signs", "temperature", "fever", "pulse"], "answer": "Temperature 38.1 °C, heart rate 104/min."}],
        "diagnosis": "Acute appendicitis", "synonyms": ["appendicitis"]
    }))
    .unwrap()
}

#[test]
fn questions_find_their_findings() {
    let g = OfflineGatekeeper;
    let c = case();
    assert_eq!(g.answer(&c, "Do you smoke?"), "I have never smoked.");
    assert_eq!(g.answer(&c, "Have you been vomiting?"), "I threw up once.");
    assert!(g.answer(&c, "What are the vital signs?").contains("38.1"));
    // Two questions in one message get both answers.
    let both = g.answer(&c, "Do you smoke? Any vomiting?");
    assert!(
        both.contains("never smoked") && both.contains("threw up"),
        "{both}"
    );
    // The abstract answers what the findings do not.
    assert!(g.answer(&c, "How old are you?").contains("19-year-old"));
    assert_eq!(g.answer(&c, "Do you keep pet parrots?"), NOTHING);
    // An examination request prefers the examination's findings.
    assert!(g.answer(&c, "Check for fever").contains("38.1"));
}

fn reviewed_case() -> Case {
    serde_json::from_value(serde_json::json!({
        "id": "r", "title": "t", "summary": "A 40-year-old woman with breathlessness.",
        "history": [
            {"topic": "Onset and character of the pain", "keywords": ["pain", "onset", "sharp"], "answer": "A sharp pain on the right since yesterday."},
            {"topic": "Leg symptoms", "keywords": ["leg", "calf", "swelling"], "answer": "My left calf is swollen."},
            {"topic": "Urine", "keywords": ["urine", "urinary", "pee"], "answer": "My urine is normal."},
            {"topic": "Recent illness", "keywords": ["recent illness", "cold", "flu"], "answer": "No colds lately."},
            {"topic": "Travel", "keywords": ["travel", "flight", "trip"], "answer": "I flew back from Sydney last week."},
            {"topic": "Bowels", "keywords": ["bowel", "stool", "rectal pressure"], "answer": "Bowels are regular."}
        ],
        "exam": [
            {"topic": "Vital signs", "keywords": ["vital signs", "heart rate", "blood pressure", "pulse"], "answer": "Heart rate 118/min, blood pressure 104/68 mmHg."},
            {"topic": "Cardiovascular", "keywords": ["heart", "murmur", "heart sounds"], "answer": "Loud P2, no murmur."},
            {"topic": "Cranial nerves", "keywords": ["cranial nerves", "pupils", "face"], "answer": "Cranial nerves intact."},
            {"topic": "Motor examination", "keywords": ["strength", "power", "tone"], "answer": "Power 5/5 throughout."},
            {"topic": "Reflexes", "keywords": ["reflexes", "plantar"], "answer": "Reflexes 2+ and symmetric."}
        ]
    }))
    .unwrap()
}

#[test]
fn generic_words_never_match_alone() {
    let g = OfflineGatekeeper;
    let c = reviewed_case();
    assert_eq!(g.answer(&c, "Any urinary symptoms?"), "My urine is normal.");
    assert_eq!(
        g.answer(&c, "Any recent travel?"),
        "I flew back from Sydney last week."
    );
    assert_eq!(g.answer(&c, "Any other symptoms?"), NOTHING);
}

#[test]
fn a_word_inside_an_unasked_phrase_ranks_below_a_word_of_its_own() {
    let g = OfflineGatekeeper;
    let c = reviewed_case();
    assert_eq!(g.answer(&c, "Listen to the heart"), "Loud P2, no murmur.");
    // Half of a three-word question is not met by "pressure" alone.
    assert_eq!(g.answer(&c, "Jugular venous pressure"), NOTHING);
}

#[test]
fn adjectives_in_ful_meet_their_noun() {
    let g = OfflineGatekeeper;
    assert!(g
        .answer(&reviewed_case(), "Is it painful?")
        .contains("sharp pain"));
}

#[test]
fn a_broad_examination_request_gets_every_section_and_a_narrow_one_its_own() {
    let g = OfflineGatekeeper;
    let c = reviewed_case();
    let neuro = g.answer(&c, "Neurological exam");
    for part in ["Cranial nerves intact", "Power 5/5", "Reflexes 2+"] {
        assert!(neuro.contains(part), "{neuro}");
    }
    assert_eq!(g.answer(&c, "Check reflexes"), "Reflexes 2+ and symmetric.");
}

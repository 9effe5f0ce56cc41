//! Answering questions from a case's structured findings (history and examination), or from
//! the sentences of an imported free-text case.

use super::scoring::{closeness, score, Asked, Described};
use super::LeakGuard;
use crate::engine::case::{Case, Finding};
use crate::engine::retrieval::SentenceIndex;
use crate::engine::text::{contains_phrase, normalize, stem, terms, words};

/// Words that make a request about the examination rather than the history.
const EXAM_VERBS: &[&str] = &[
    "examine",
    "examination",
    "exam",
    "listen",
    "auscultate",
    "auscultation",
    "palpate",
    "palpation",
    "inspect",
    "inspection",
    "percuss",
    "percussion",
    "look at",
    "check",
    "measure",
    "vital signs",
    "vitals",
    "on exam",
];

/// Splits a message into its questions ("?", ";" or new lines).
pub(super) fn questions(text: &str) -> Vec<&str> {
    let parts: Vec<&str> = text
        .split(['?', ';', '\n'])
        .map(str::trim)
        .filter(|p| {
            words(p)
                .iter()
                .any(|w| !crate::engine::text::is_stopword(w))
        })
        .collect();
    if parts.is_empty() {
        vec![text.trim()]
    } else {
        parts
    }
}

/// Examinations written in sections whose titles need not repeat the system's name: asking for
/// the system by name (a trigger) brings back every section titled by a member word.
const EXAM_FAMILIES: &[(&[&str], &[&str])] = &[(
    &["neuro", "neurologic", "neurological", "neurology"],
    &[
        "neuro",
        "neurologic",
        "neurological",
        "cranial",
        "motor",
        "reflexes",
        "sensation",
        "sensory",
        "coordination",
        "gait",
        "cerebellar",
        "strength",
        "bulbar",
    ],
)];

/// For a broad examination request ("neurological exam", "examine the abdomen"): every
/// examination finding whose topic names what was asked (or, for a system asked by name, one
/// of its sections), in case order, so that an examination written in several sections comes
/// back whole. Narrow requests ("check reflexes") name one section and go the usual way.
fn examined_region<'a>(case: &'a Case, asked: &Asked) -> Vec<&'a Finding> {
    let specific: Vec<&String> = asked.specific().collect();
    if specific.is_empty() || specific.len() > 2 {
        return Vec::new();
    }
    let accepted: Vec<Vec<String>> = specific
        .iter()
        .map(|term| {
            let mut words = vec![term.to_string()];
            for (triggers, members) in EXAM_FAMILIES {
                let triggers: Vec<String> = triggers.iter().map(|w| stem(w)).collect();
                if closeness(term, &triggers) > 0.0 {
                    words.extend(members.iter().map(|w| stem(w)));
                }
            }
            words
        })
        .collect();
    case.exam
        .iter()
        .filter(|f| {
            let topic = terms(&f.topic);
            accepted
                .iter()
                .all(|words| words.iter().any(|w| closeness(w, &topic) > 0.0))
        })
        .collect()
}

/// The answer the findings (or the free text) give to one question, if any.
pub(super) fn answer_one(case: &Case, guard: &LeakGuard, question: &str) -> Option<String> {
    if let Some(text) = &case.full_text {
        let index = SentenceIndex::new(text, |s| !guard.leaks(s));
        let best = index.best(question, 2);
        if !best.is_empty() {
            return Some(best.join(" "));
        }
    }
    let normalized = normalize(question);
    let asked = Asked::new(question);
    let exam_request = EXAM_VERBS.iter().any(|v| contains_phrase(&normalized, v));
    if exam_request {
        let region = examined_region(case, &asked);
        if region.len() > 1 {
            let answers: Vec<&str> = region.iter().map(|f| f.answer.as_str()).collect();
            return Some(answers.join(" "));
        }
    }
    // "Listen to the heart" is about the examination, "your heart" about the history.
    let (history_weight, exam_weight) = if exam_request { (0.5, 1.5) } else { (1.0, 1.0) };
    let described: Vec<(f64, &Finding, Described)> = case
        .history
        .iter()
        .map(|f| (history_weight, f))
        .chain(case.exam.iter().map(|f| (exam_weight, f)))
        .map(|(w, f)| (w, f, Described::new(&normalized, f)))
        .collect();
    // A term most findings mention tells them apart less than one only a few mention.
    let total = described.len() as f64;
    let rarity = |term: &str| {
        let df = described
            .iter()
            .filter(|(_, _, d)| d.mentions(term))
            .count() as f64;
        0.75 + 0.5 * ((1.0 + total) / (1.0 + df)).ln() / (1.0 + total).ln()
    };
    let mut scored: Vec<(f64, &Finding)> = described
        .iter()
        .filter_map(|(w, f, d)| {
            score(&asked, d, &rarity).map(|(raw, rank)| (w * raw, w * rank, *f))
        })
        .filter(|(raw, _, _)| *raw >= 1.0)
        .map(|(_, rank, f)| (rank, f))
        .collect();
    scored.sort_by(|a, b| b.0.total_cmp(&a.0));
    let Some(&(top, _)) = scored.first() else {
        // Nothing in the findings: the abstract may hold it (age, sex, setting).
        let index = SentenceIndex::new(&case.summary, |s| !guard.leaks(s));
        return index.best(question, 1).into_iter().next();
    };
    let answers: Vec<&str> = scored
        .iter()
        .take_while(|(s, _)| *s >= top * 0.75)
        .take(2)
        .map(|(_, f)| f.answer.as_str())
        .collect();
    Some(answers.join(" "))
}

#[cfg(test)]
mod tests {
    use super::super::{OfflineGatekeeper, NOTHING};
    use super::*;

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
}

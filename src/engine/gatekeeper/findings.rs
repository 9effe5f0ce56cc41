//! Answering questions from a case's structured findings (history and examination), or from
//! the sentences of an imported free-text case.

use super::LeakGuard;
use crate::engine::case::{Case, Finding};
use crate::engine::retrieval::SentenceIndex;
use crate::engine::text::{contains_phrase, normalize, terms, words};

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

/// How well a finding answers a question: keyword phrases found whole count most, then shared
/// terms (stemmed, or nearly equal).
fn score(question: &str, question_terms: &[String], finding: &Finding) -> f64 {
    let mut score = 0.0;
    for keyword in &finding.keywords {
        let keyword = normalize(keyword);
        if keyword.contains(' ') && contains_phrase(question, &keyword) {
            score += 2.0;
        }
    }
    let finding_terms: Vec<String> = finding
        .keywords
        .iter()
        .chain(std::iter::once(&finding.topic))
        .flat_map(|k| terms(k))
        .collect();
    for term in question_terms {
        let best = finding_terms
            .iter()
            .map(|t| {
                if t == term {
                    1.0
                } else if term.len() >= 5 && strsim::jaro_winkler(t, term) >= 0.92 {
                    0.7
                } else {
                    0.0
                }
            })
            .fold(0.0, f64::max);
        score += best;
    }
    score
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
    let question_terms = terms(question);
    // "Listen to the heart" is about the examination, "your heart" about the history.
    let (history_weight, exam_weight) =
        if EXAM_VERBS.iter().any(|v| contains_phrase(&normalized, v)) {
            (0.5, 1.5)
        } else {
            (1.0, 1.0)
        };
    let weighted = case
        .history
        .iter()
        .map(|f| (history_weight, f))
        .chain(case.exam.iter().map(|f| (exam_weight, f)));
    let mut scored: Vec<(f64, &Finding)> = weighted
        .map(|(w, f)| (w * score(&normalized, &question_terms, f), f))
        .filter(|(s, _)| *s >= 1.0)
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
    use super::super::{Gatekeeper, OfflineGatekeeper, NOTHING};
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
}

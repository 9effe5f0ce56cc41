//! The gatekeeper: answers a question or a test order from the case and nothing else. Every
//! answer passes the leak guard, which withholds any text naming the diagnosis, a synonym, or a
//! teaching point.

use super::case::{Case, CaseTest, Finding};
use super::prices::PricedTest;
use super::retrieval::SentenceIndex;
use super::text::{contains_phrase, normalize, terms, words};

/// What the gatekeeper says when a question asks for the diagnosis.
pub const REFUSAL: &str = "I can only report findings. The diagnosis is yours to make: ask about \
     symptoms, history or examination, or order tests.";
/// What it says when the case holds nothing on a question.
pub const NOTHING: &str = "The case holds no information on that.";

/// Answers questions and test orders from a case.
pub trait Gatekeeper: Send + Sync {
    /// Answers one question.
    fn answer(&self, case: &Case, question: &str) -> String;
    /// Reports one test's result (the case's, or a normal one for a real test it does not list).
    fn result(&self, case: &Case, test: &PricedTest) -> String;
}

/// The offline gatekeeper: keyword and fuzzy matching over structured findings, ranked sentence
/// retrieval over free text.
#[derive(Debug, Clone, Copy, Default)]
pub struct OfflineGatekeeper;

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

/// Withholds any text that would reveal the answer key.
#[derive(Debug, Clone)]
pub struct LeakGuard {
    forbidden: Vec<String>,
}

impl LeakGuard {
    /// The guard of a case: its diagnosis, synonyms and teaching points.
    pub fn for_case(case: &Case) -> Self {
        let mut forbidden = case.diagnosis_names();
        forbidden.extend(
            case.teaching_points
                .iter()
                .map(|p| normalize(p))
                .filter(|p| !p.is_empty()),
        );
        Self { forbidden }
    }

    /// True when `text` names the diagnosis, a synonym, or holds a teaching point.
    pub fn leaks(&self, text: &str) -> bool {
        let text = normalize(text);
        self.forbidden
            .iter()
            .any(|phrase| contains_phrase(&text, phrase))
    }

    /// `text` when it is safe, else the neutral "nothing on that" answer.
    pub fn filter(&self, text: String) -> String {
        if self.leaks(&text) {
            NOTHING.to_string()
        } else {
            text
        }
    }
}

/// Splits a message into its questions ("?", ";" or new lines).
fn questions(text: &str) -> Vec<&str> {
    let parts: Vec<&str> = text
        .split(['?', ';', '\n'])
        .map(str::trim)
        .filter(|p| words(p).iter().any(|w| !super::text::is_stopword(w)))
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

impl OfflineGatekeeper {
    fn answer_one(&self, case: &Case, guard: &LeakGuard, question: &str) -> Option<String> {
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

    /// The case's result for a priced test: matched by name or alias first, by CPT code only
    /// when no name matches (several table rows may share a code).
    fn case_test<'a>(&self, case: &'a Case, test: &PricedTest) -> Option<&'a CaseTest> {
        let names: Vec<String> = std::iter::once(&test.name)
            .chain(&test.aliases)
            .map(|n| normalize(n))
            .collect();
        case.tests
            .iter()
            .find(|t| names.contains(&normalize(&t.name)))
            .or_else(|| {
                case.tests.iter().find(|t| {
                    t.cpt
                        .as_deref()
                        .is_some_and(|c| c.eq_ignore_ascii_case(&test.cpt))
                })
            })
    }
}

impl Gatekeeper for OfflineGatekeeper {
    fn answer(&self, case: &Case, question: &str) -> String {
        if asks_for_diagnosis(question) {
            return REFUSAL.to_string();
        }
        let guard = LeakGuard::for_case(case);
        let answers: Vec<String> = questions(question)
            .into_iter()
            .map(|q| {
                if asks_for_diagnosis(q) {
                    REFUSAL.to_string()
                } else {
                    guard.filter(
                        self.answer_one(case, &guard, q)
                            .unwrap_or_else(|| NOTHING.to_string()),
                    )
                }
            })
            .collect();
        let mut unique: Vec<String> = Vec::new();
        for answer in answers {
            if !unique.contains(&answer) {
                unique.push(answer);
            }
        }
        guard.filter(unique.join(" "))
    }

    fn result(&self, case: &Case, test: &PricedTest) -> String {
        let guard = LeakGuard::for_case(case);
        // A table name may itself name a disease ("… (pulmonary embolism protocol)"): then the
        // result is labelled neutrally rather than withheld.
        let label = if guard.leaks(&test.name) {
            "Result"
        } else {
            test.name.as_str()
        };
        if let Some(found) = self.case_test(case, test) {
            return guard.filter(format!("{label}: {}", found.result));
        }
        if let Some(text) = &case.full_text {
            let index = SentenceIndex::new(text, |s| !guard.leaks(s));
            let query = std::iter::once(test.name.as_str())
                .chain(test.aliases.iter().map(String::as_str))
                .collect::<Vec<_>>()
                .join(" ");
            if let Some(sentence) = index.best(&query, 1).first() {
                return guard.filter(format!("{label}: {sentence}"));
            }
        }
        let normal = if test.normal_result.is_empty() {
            "within normal limits.".to_string()
        } else {
            test.normal_result.clone()
        };
        guard.filter(format!("{label}: {normal} (no abnormality found)"))
    }
}

#[cfg(test)]
mod tests {
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

//! What a case can answer a question with: its items. A native case's items are its history and
//! examination findings; a free-text case's are the sentences of its text, each placed in the
//! history, the examination or the test results. Every sentence has passed the leak guard.

use super::LeakGuard;
use crate::engine::case::Case;
use crate::engine::lexicon::Lexicon;
use crate::engine::retrieval::sentences;
use crate::engine::text::{list_parts, normalize, terms};

/// Where an item belongs; a question about the history prefers history items, and test results
/// are revealed only by ordering the test.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Section {
    /// What the patient tells.
    History,
    /// What the examiner finds, vital signs included.
    Exam,
    /// A test result (never answers a question).
    Test,
    /// The abstract (answers only when nothing else does).
    Summary,
}

/// A sentence of an item, with its stems and, for a list of values, its clauses.
#[derive(Debug, Clone)]
pub(super) struct Sentence {
    pub text: String,
    pub stems: Vec<String>,
    /// The stems outside the sentence's multi-word lexicon phrases: "heart" said of a "heart
    /// rate" is not said of the heart.
    pub free: Vec<String>,
    /// The clauses of a list of values ("Temperature 38.1 °C, heart rate 104/min, …").
    pub clauses: Vec<(String, Vec<String>)>,
}

/// One item a question can be answered with.
#[derive(Debug, Clone)]
pub(super) struct Item {
    pub section: Section,
    /// Stems of the finding's topic (native cases).
    pub topic: Vec<String>,
    /// Stems of the finding's keywords: a hint, never required.
    pub hint: Vec<String>,
    /// The same without the modifiers of multi-word keywords ("heart" of "heart rate").
    pub hint_free: Vec<String>,
    pub sentences: Vec<Sentence>,
    /// The whole answer (its sentences that passed the guard).
    pub text: String,
}

impl Item {
    /// Stems of everything the item says, with those outside multi-word phrases.
    pub fn said(&self) -> impl Iterator<Item = (&Vec<String>, &Vec<String>)> {
        self.sentences.iter().map(|s| (&s.stems, &s.free))
    }
}

/// Words that place a free-text sentence in the examination.
const EXAM_WORDS: &[&str] = &[
    "examination",
    "exam",
    "examined",
    "auscultation",
    "palpation",
    "percussion",
    "inspection",
    "tender",
    "tenderness",
    "nontender",
    "murmur",
    "reflexes",
    "afebrile",
    "febrile",
    "appeared",
    "appears",
    "vital",
    "temperature",
    "pulse",
    "saturation",
    "mmhg",
    "palpable",
    "auscultated",
];

/// Words that make a sentence naming a test a report of its result.
const RESULT_WORDS: &[&str] = &[
    "showed",
    "shows",
    "revealed",
    "demonstrated",
    "was",
    "were",
    "positive",
    "negative",
    "normal",
    "elevated",
    "grew",
    "found",
    "detected",
    "measured",
];

/// Splits a sentence into the clauses of a list of values, when it is one (at least three
/// clauses with a number each); otherwise nothing.
fn clauses(sentence: &str) -> Vec<(String, Vec<String>)> {
    let joined = list_parts(sentence);
    let with_numbers = joined
        .iter()
        .filter(|p| p.chars().any(|c| c.is_ascii_digit()))
        .count();
    if joined.len() < 3 || with_numbers < 3 {
        return Vec::new();
    }
    joined
        .into_iter()
        .map(|p| {
            let t = terms(&p);
            (p.trim_end_matches('.').to_string(), t)
        })
        .collect()
}

/// The stems of a text outside its multi-word lexicon phrases.
fn free_stems(text: &str) -> Vec<String> {
    let words: Vec<String> = normalize(text).split(' ').map(str::to_string).collect();
    // The last word of a phrase is its head: "pain" of "chest pain" is said of pain, "heart"
    // of "heart rate" is not said of the heart.
    let mut bound = vec![false; words.len()];
    for found in Lexicon::clinical().find(text) {
        if found.len >= 2 {
            for b in bound.iter_mut().skip(found.start).take(found.len - 1) {
                *b = true;
            }
        }
    }
    let free: Vec<&str> = words
        .iter()
        .zip(&bound)
        .filter(|(_, b)| !**b)
        .map(|(w, _)| w.as_str())
        .collect();
    terms(&free.join(" "))
}

fn sentence(text: String) -> Sentence {
    Sentence {
        free: free_stems(&text),
        stems: terms(&text),
        clauses: clauses(&text),
        text,
    }
}

fn item(section: Section, topic: &str, hint: &[String], answer: &str, guard: &LeakGuard) -> Item {
    let kept: Vec<Sentence> = sentences(answer)
        .into_iter()
        .filter(|s| !guard.leaks(s))
        .map(sentence)
        .collect();
    Item {
        section,
        topic: terms(topic),
        hint: hint.iter().flat_map(|k| terms(k)).collect(),
        hint_free: hint.iter().filter_map(|k| terms(k).pop()).collect(),
        text: kept
            .iter()
            .map(|s| s.text.as_str())
            .collect::<Vec<_>>()
            .join(" "),
        sentences: kept,
    }
}

/// Lexicon concepts that make a sentence part of the history (their first phrase).
const HISTORY_TOPICS: &[&str] = &[
    "medications",
    "over-the-counter medications",
    "allergies",
    "drug allergies",
    "no known drug allergies",
    "no known allergies",
    "past medical history",
    "past surgical history",
    "family history",
    "social history",
];

/// Where a sentence of a free-text case belongs.
fn place(text: &str, lexicon: &Lexicon) -> Section {
    let normalized = normalize(text);
    let words: Vec<&str> = normalized.split(' ').collect();
    let found = lexicon.find(text);
    let names_a_test = found.iter().any(|f| {
        f.groups
            .iter()
            .any(|&g| lexicon.group(g).section == "tests")
    });
    let reports =
        words.iter().any(|w| RESULT_WORDS.contains(w)) || text.chars().any(|c| c.is_ascii_digit());
    let exam_words = words.iter().any(|w| EXAM_WORDS.contains(w))
        || found.iter().any(|f| {
            f.groups
                .iter()
                .any(|&g| matches!(lexicon.group(g).section.as_str(), "exam" | "vitals"))
        });
    // "Her medications were … estradiol 30 µg daily": a sentence about a history topic is
    // history, whatever drug or analyte it names.
    let history_topic = found.iter().any(|f| {
        f.groups
            .iter()
            .any(|&g| HISTORY_TOPICS.contains(&lexicon.group(g).phrases[0].as_str()))
    });
    if history_topic && !exam_words {
        Section::History
    } else if names_a_test && reports && !exam_words {
        Section::Test
    } else if exam_words {
        Section::Exam
    } else {
        Section::History
    }
}

/// Every item of a case that may answer a question, the abstract's sentences last.
pub(super) fn items(case: &Case, guard: &LeakGuard) -> Vec<Item> {
    let lexicon = Lexicon::clinical();
    let mut out: Vec<Item> = Vec::new();
    for f in &case.history {
        out.push(item(
            Section::History,
            &f.topic,
            &f.keywords,
            &f.answer,
            guard,
        ));
    }
    for f in &case.exam {
        out.push(item(Section::Exam, &f.topic, &f.keywords, &f.answer, guard));
    }
    if let Some(text) = &case.full_text {
        for (n, s) in sentences(text).into_iter().enumerate() {
            if guard.leaks(&s) {
                continue;
            }
            // A case opens with who came and why ("A 31-year-old woman at 34 weeks came with a
            // headache that began 18 hours earlier"), whatever test its dating names.
            let section = if n == 0 {
                Section::History
            } else {
                place(&s, lexicon)
            };
            out.push(item(section, "", &[], &s, guard));
        }
    }
    for s in sentences(&case.summary) {
        out.push(item(Section::Summary, "", &[], &s, guard));
    }
    out.retain(|i| !i.sentences.is_empty());
    out
}

/// Free-text sentences that may report a result (a value or a word that reports one), in text
/// order; the caller keeps those that name the ordered test.
pub(super) fn reporting_sentences(case: &Case, guard: &LeakGuard) -> Vec<String> {
    case.full_text
        .as_deref()
        .map(|text| {
            sentences(text)
                .into_iter()
                .filter(|s| {
                    let normalized = normalize(s);
                    !guard.leaks(s)
                        && (s.chars().any(|c| c.is_ascii_digit())
                            || normalized.split(' ').any(|w| RESULT_WORDS.contains(&w)))
                })
                .collect()
        })
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_list_of_values_splits_into_clauses_and_prose_does_not() {
        let c = clauses(
            "Temperature 38.1 °C, heart rate 104/min, blood pressure 124/78 mmHg, SpO2 98%.",
        );
        assert_eq!(c.len(), 4);
        assert_eq!(c[1].0, "heart rate 104/min");
        let c = clauses("Lipase 3,120 U/L (ref 13–60), ALT 40 U/L, AST 38 U/L");
        assert_eq!(c[0].0, "Lipase 3,120 U/L (ref 13–60)");
        assert!(clauses("I smoke, I drink, and I work nights.").is_empty());
    }
}

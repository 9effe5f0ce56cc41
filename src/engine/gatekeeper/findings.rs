//! Answering questions from a case: the message split into its questions, each answered from
//! the case's items (see `items`, `ask` and `select`).

use super::ask::Asked;
use super::items::{Item, Section};
use crate::engine::text::{normalize, stem, terms, words};

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

/// For a request to examine a system by name ("neurological exam"), every examination item
/// titled as one of its sections, when there are several.
fn examined_system<'a>(items: &'a [Item], question: &str, asked: &Asked) -> Vec<&'a Item> {
    if asked.section != Some(Section::Exam) {
        return Vec::new();
    }
    let normalized = normalize(question);
    let asked_words: Vec<&str> = normalized.split(' ').collect();
    for (triggers, members) in EXAM_FAMILIES {
        if !asked_words.iter().any(|w| triggers.contains(w)) {
            continue;
        }
        let members: Vec<String> = members.iter().map(|m| stem(m)).collect();
        let sections: Vec<&Item> = items
            .iter()
            .filter(|i| i.section == Section::Exam && i.topic.iter().any(|t| members.contains(t)))
            .collect();
        if sections.len() > 1 {
            return sections;
        }
    }
    Vec::new()
}

/// The answer the case's items give to one question, if any.
pub(super) fn answer_one(items: &[Item], question: &str) -> Option<String> {
    let asked = Asked::new(question);
    let system = examined_system(items, question, &asked);
    if !system.is_empty() {
        let texts: Vec<&str> = system.iter().map(|i| i.text.as_str()).collect();
        return Some(texts.join(" "));
    }
    if asked.concepts.is_empty() && !asked.duration && terms(question).is_empty() {
        return None;
    }
    super::select::answer(items, &asked)
}

#[cfg(test)]
mod tests;

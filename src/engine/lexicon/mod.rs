//! The clinical lexicon (`data/lexicon/`): groups of phrases that mean the same thing to a
//! physician — shorthand and its expansion (`PMH`, past medical history), lay and clinical words
//! (sweating, diaphoresis), examination terms and their paraphrases, test names, and the names a
//! disease goes by (abbreviations, eponyms, older and lay names). The gatekeeper widens a question
//! through it; the judge reads a diagnosis through it.

mod parse;

use super::text::{normalize, terms};
use std::collections::HashMap;
use std::sync::LazyLock;

pub use parse::parse;

/// The bundled clinical lexicon (history, vital signs, symptoms, examination, tests).
pub const BUNDLED_CLINICAL: &str = include_str!("../../../data/lexicon/clinical.txt");
/// The bundled lexicon of disease and organism names.
pub const BUNDLED_DIAGNOSES: &str = include_str!("../../../data/lexicon/diagnoses.txt");
/// The bundled cues: words that show a history category in a sentence ("mother" for family
/// history).
pub const BUNDLED_CUES: &str = include_str!("../../../data/lexicon/cues.txt");

/// One group of phrases that mean the same thing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Group {
    /// The section it was written under (`history`, `vitals`, `symptoms`, `exam`, `tests`,
    /// `diseases`, `organisms`).
    pub section: String,
    /// The normalised phrases, headword first.
    pub phrases: Vec<String>,
    /// Each phrase's meaningful stems (see [`terms`]), in the same order.
    pub stems: Vec<Vec<String>>,
}

/// A parsed lexicon with an index from phrase to groups.
#[derive(Debug, Clone, Default)]
pub struct Lexicon {
    groups: Vec<Group>,
    by_phrase: HashMap<String, Vec<usize>>,
    longest: usize,
}

/// A lexicon phrase found in a text: where (in words) and which groups it belongs to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Found {
    /// Index of the first word.
    pub start: usize,
    /// Number of words.
    pub len: usize,
    /// Groups holding the phrase.
    pub groups: Vec<usize>,
}

/// Short abbreviations that are also everyday words ("all", "as", "pt"): in running text they
/// count only when written in capitals, or when they are the whole question.
const EVERYDAY: &[&str] = &[
    "all", "as", "am", "an", "at", "be", "do", "go", "hi", "in", "is", "it", "me", "no", "of",
    "on", "or", "pt", "so", "to", "up", "us", "we", "can", "may", "man", "hip", "ice", "pat", "ms",
    "mm", "ca", "mg", "pe", "ra", "sad", "cap", "ace", "aid", "aids", "lap", "art", "ed", "er",
];

static CLINICAL: LazyLock<Lexicon> = LazyLock::new(|| bundled(BUNDLED_CLINICAL, "clinical"));
static DIAGNOSES: LazyLock<Lexicon> = LazyLock::new(|| bundled(BUNDLED_DIAGNOSES, "diagnoses"));
static CUES: LazyLock<Lexicon> = LazyLock::new(|| bundled(BUNDLED_CUES, "cues"));

fn bundled(text: &str, name: &str) -> Lexicon {
    match parse(text) {
        Ok(lexicon) => lexicon,
        // A unit test checks the bundled files; an empty lexicon is the safe fallback.
        Err(problems) => {
            tracing::error!(?problems, "the bundled {name} lexicon is malformed");
            Lexicon::default()
        }
    }
}

impl Lexicon {
    /// The bundled clinical lexicon, parsed once.
    pub fn clinical() -> &'static Lexicon {
        &CLINICAL
    }

    /// The bundled lexicon of disease and organism names, parsed once.
    pub fn diagnoses() -> &'static Lexicon {
        &DIAGNOSES
    }

    /// The bundled cues, parsed once: each group's headword is a clinical-lexicon phrase, the
    /// rest are words that show it in a sentence.
    pub fn cues() -> &'static Lexicon {
        &CUES
    }

    pub(crate) fn from_groups(groups: Vec<Group>) -> Self {
        let mut by_phrase: HashMap<String, Vec<usize>> = HashMap::new();
        let mut longest = 0;
        for (i, group) in groups.iter().enumerate() {
            for phrase in &group.phrases {
                longest = longest.max(phrase.split(' ').count());
                let entry = by_phrase.entry(phrase.clone()).or_default();
                if !entry.contains(&i) {
                    entry.push(i);
                }
            }
        }
        Self {
            groups,
            by_phrase,
            longest,
        }
    }

    /// How many groups (entries) it holds.
    pub fn len(&self) -> usize {
        self.groups.len()
    }

    /// True when it holds no entry.
    pub fn is_empty(&self) -> bool {
        self.groups.is_empty()
    }

    /// One group.
    pub fn group(&self, index: usize) -> &Group {
        &self.groups[index]
    }

    /// The groups a whole phrase belongs to.
    pub fn groups_of(&self, phrase: &str) -> &[usize] {
        self.by_phrase
            .get(&normalize(phrase))
            .map(Vec::as_slice)
            .unwrap_or(&[])
    }

    /// Every lexicon phrase in `text`, longest first and without overlaps, left to right.
    /// Everyday words that double as abbreviations count only in capitals or alone.
    pub fn find(&self, text: &str) -> Vec<Found> {
        let words: Vec<String> = normalize(text)
            .split(' ')
            .filter(|w| !w.is_empty())
            .map(str::to_string)
            .collect();
        let raw = raw_words(text);
        let aligned = raw.len() == words.len();
        let alone = words.len() <= 2;
        let mut out = Vec::new();
        let mut i = 0;
        while i < words.len() {
            let mut matched = None;
            for len in (1..=self.longest.min(words.len() - i)).rev() {
                let phrase = words[i..i + len].join(" ");
                let Some(groups) = self.by_phrase.get(&phrase) else {
                    continue;
                };
                if len == 1 && (phrase.len() <= 2 || EVERYDAY.contains(&phrase.as_str())) {
                    let capitals = aligned
                        && raw[i].chars().filter(char::is_ascii_alphabetic).count() >= 1
                        && raw[i].chars().all(|c| !c.is_lowercase());
                    if !(capitals || alone) {
                        continue;
                    }
                }
                matched = Some(Found {
                    start: i,
                    len,
                    groups: groups.clone(),
                });
                break;
            }
            match matched {
                Some(found) => {
                    i += found.len;
                    out.push(found);
                }
                None => i += 1,
            }
        }
        out
    }
}

/// True for a phrase too short or too common to be looked for in running text ("all", "t").
pub fn is_everyday(phrase: &str) -> bool {
    phrase.len() <= 1 || EVERYDAY.contains(&phrase)
}

/// The words of a text as written (case kept), split where [`normalize`] splits.
fn raw_words(text: &str) -> Vec<String> {
    text.split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_string)
        .collect()
}

/// The stems of a phrase as the gatekeeper compares them.
pub(crate) fn phrase_stems(phrase: &str) -> Vec<String> {
    terms(phrase)
}

#[cfg(test)]
mod tests;

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
/// Everyday and descriptive wordings of the same concepts (by another author).
pub const BUNDLED_LAY: &str = include_str!("../../../data/lexicon/lay.txt");
/// More shorthand, and drug classes as concepts (by another author).
pub const BUNDLED_SHORTHAND: &str = include_str!("../../../data/lexicon/shorthand.txt");
/// Drug classes and their members, as cues of the class.
pub const BUNDLED_DRUGS: &str = include_str!("../../../data/lexicon/drugs.txt");
/// The bundled lexicon of disease and organism names.
pub const BUNDLED_DIAGNOSES: &str = include_str!("../../../data/lexicon/diagnoses.txt");
/// Which diseases are narrower forms of which (both named as in the diagnosis lexicon).
pub const BUNDLED_SUBTYPES: &str = include_str!("../../../data/lexicon/subtypes.txt");
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

static CLINICAL: LazyLock<Lexicon> = LazyLock::new(|| {
    Lexicon::merged([
        bundled(BUNDLED_CLINICAL, "clinical"),
        bundled(BUNDLED_SHORTHAND, "shorthand"),
        bundled(BUNDLED_LAY, "lay"),
    ])
});
static DIAGNOSES: LazyLock<Lexicon> = LazyLock::new(|| bundled(BUNDLED_DIAGNOSES, "diagnoses"));
static SUBTYPES: LazyLock<Subtypes> =
    LazyLock::new(|| Subtypes::new(&bundled(BUNDLED_SUBTYPES, "subtypes"), &DIAGNOSES));

/// Narrower forms of diseases: acute promyelocytic leukemia of acute myeloid leukemia,
/// STEMI of myocardial infarction. Indices are groups of the diagnosis lexicon.
#[derive(Debug, Clone, Default)]
pub struct Subtypes {
    broader: HashMap<usize, Vec<usize>>,
}

impl Subtypes {
    /// The relations of a subtype lexicon (`broader = narrower | narrower`) between the
    /// groups of `diagnoses`; a phrase the diagnosis lexicon does not know is left out.
    pub fn new(relations: &Lexicon, diagnoses: &Lexicon) -> Self {
        let mut broader: HashMap<usize, Vec<usize>> = HashMap::new();
        for group in &relations.groups {
            let Some((parent, children)) = group.phrases.split_first() else {
                continue;
            };
            for &p in diagnoses.groups_of(parent) {
                for child in children {
                    for &c in diagnoses.groups_of(child) {
                        let entry = broader.entry(c).or_default();
                        if c != p && !entry.contains(&p) {
                            entry.push(p);
                        }
                    }
                }
            }
        }
        Self { broader }
    }

    /// True when disease group `narrow` is a form of `broad`, directly or through others.
    pub fn is_narrower(&self, narrow: usize, broad: usize) -> bool {
        let mut seen = vec![narrow];
        let mut frontier = vec![narrow];
        while let Some(g) = frontier.pop() {
            for &up in self.broader.get(&g).map(Vec::as_slice).unwrap_or(&[]) {
                if up == broad {
                    return true;
                }
                if !seen.contains(&up) {
                    seen.push(up);
                    frontier.push(up);
                }
            }
        }
        false
    }
}
static CUES: LazyLock<Lexicon> = LazyLock::new(|| {
    let drugs = bundled(BUNDLED_DRUGS, "drugs");
    // Every drug a class names shows the medications too ("meds?" is told "aspirin 81 mg").
    let members: Vec<String> = drugs
        .groups
        .iter()
        .flat_map(|g| g.phrases.iter().skip(1).cloned())
        .collect();
    let mut phrases = vec!["medications".to_string()];
    phrases.extend(members);
    let stems = phrases.iter().map(|p| terms(p)).collect();
    let medications = Lexicon::from_groups(vec![Group {
        section: "cues".to_string(),
        phrases,
        stems,
    }]);
    Lexicon::merged([bundled(BUNDLED_CUES, "cues"), drugs, medications])
});

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

    /// The bundled disease subtypes, read once.
    pub fn subtypes() -> &'static Subtypes {
        &SUBTYPES
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

    /// Several lexicons as one: a line whose headword another file already has adds its
    /// phrases to that group (the first file's section stays).
    pub fn merged(parts: impl IntoIterator<Item = Lexicon>) -> Self {
        let mut groups: Vec<Group> = Vec::new();
        let mut by_head: HashMap<String, usize> = HashMap::new();
        for part in parts {
            for group in part.groups {
                let Some(head) = group.phrases.first().cloned() else {
                    continue;
                };
                match by_head.get(&head) {
                    Some(&i) => {
                        let into = &mut groups[i];
                        for (phrase, stems) in group.phrases.into_iter().zip(group.stems) {
                            if !into.phrases.contains(&phrase) {
                                into.phrases.push(phrase);
                                into.stems.push(stems);
                            }
                        }
                    }
                    None => {
                        by_head.insert(head, groups.len());
                        groups.push(group);
                    }
                }
            }
        }
        Self::from_groups(groups)
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
        self.groups_of_normalized(&normalize(phrase))
    }

    /// [`Lexicon::groups_of`] for a phrase already normalised (a lexicon's own phrases are).
    pub fn groups_of_normalized(&self, phrase: &str) -> &[usize] {
        self.by_phrase.get(phrase).map(Vec::as_slice).unwrap_or(&[])
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

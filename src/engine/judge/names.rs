//! Comparing a diagnosis with the true one: both read through the lexicon of disease names
//! (abbreviations, eponyms, older and lay names), possessives and spelling variants folded, and
//! the qualifiers that make another disease (primary/secondary, acute/chronic, type 1/type 2,
//! congenital/acquired, organism, site) held against each other.

use crate::engine::lexicon::Lexicon;
use crate::engine::text::{normalize, stem};

/// Words that add nothing to a diagnosis' identity.
const FILLER: &[&str] = &[
    "the", "of", "with", "and", "due", "to", "a", "an", "in", "from", "by", "s", "disease",
    "syndrome", "disorder", "stage", "grade", "class", "type",
];

/// Words that state a cause: a diagnosis with a stated cause is not the primary (idiopathic)
/// disease of the same name ("IgG4-related sclerosing cholangitis").
pub(super) const CAUSES: &[&str] = &["related", "induced", "due", "caused", "secondary"];

/// Words that hedge or frame a diagnosis without changing it.
const HEDGES: &[&str] = &[
    "probable",
    "probably",
    "likely",
    "most",
    "possible",
    "possibly",
    "suspected",
    "presumed",
    "presumptive",
    "consistent",
    "confirmed",
    "final",
    "new",
    "onset",
    "known",
    "complicated",
    "uncomplicated",
    "case",
    "patient",
    "diagnosis",
    "picture",
    "clinical",
    "state",
    "episode",
    "presentation",
    "severe",
    "mild",
    "moderate",
    "early",
    "late",
    "classic",
    "typical",
    "true",
];

/// Qualifiers that may be left out without changing the disease ("appendicitis" for "acute
/// appendicitis"), but not swapped for their opposite.
const SOFT: &[&str] = &[
    "adult",
    "infective",
    "acute",
    "primary",
    "chronic",
    "idiopathic",
    "isolated",
    "simple",
];

/// Qualifier classes: two words of different classes in one row name different diseases.
const OPPOSED: &[&[&[&str]]] = &[
    &[
        &[
            "primary",
            "hereditary",
            "idiopathic",
            "essential",
            "familial",
            "inherited",
            "genetic",
        ],
        &["secondary", "acquired", "reactive"],
    ],
    &[
        &["acute", "hyperacute", "fulminant"],
        &["chronic", "subacute"],
    ],
    &[&["congenital"], &["acquired"]],
    &[
        &["type 1", "type i", "juvenile"],
        &["type 2", "type ii", "adult onset"],
    ],
    &[&["benign"], &["malignant"]],
    &[&["left"], &["right"]],
    &[&["upper"], &["lower"]],
    &[&["unilateral"], &["bilateral"]],
    &[&["central"], &["nephrogenic", "peripheral"]],
    &[&["focal"], &["generalized", "generalised", "diffuse"]],
    &[&["systolic", "reduced"], &["diastolic", "preserved"]],
    &[
        &["anterior"],
        &["inferior"],
        &["lateral"],
        &["posterior"],
        &["septal"],
    ],
    &[&["proximal"], &["distal"]],
    &[&["hyper"], &["hypo"]],
    &[&["st elevation", "stemi"], &["non st elevation", "nstemi"]],
    &[
        &["myeloid", "myelogenous", "myelocytic"],
        &["lymphoblastic", "lymphocytic", "lymphoid"],
    ],
    &[
        &["falciparum"],
        &["vivax"],
        &["ovale"],
        &["malariae"],
        &["knowlesi"],
    ],
];

/// A name read for comparison: its significant stems, in order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Name {
    pub stems: Vec<String>,
    /// The normalised text it came from.
    pub text: String,
}

/// Folds a word: possessive and plural forms of eponyms, then a light stem.
fn fold_word(word: &str) -> String {
    // Abbreviations keep their letters ("pe" is not "p").
    if word.len() <= 3 {
        word.to_string()
    } else {
        stem(word)
    }
}

/// Reads a name: normalised, filler and hedges dropped, stems kept in order.
pub(super) fn read_name(text: &str) -> Name {
    let normalized = normalize(text).replace("secondary to", "due to");
    let stems = normalized
        .split(' ')
        .filter(|w| !w.is_empty() && !FILLER.contains(w) && !HEDGES.contains(w))
        .map(fold_word)
        .filter(|w| !w.is_empty())
        .collect();
    Name {
        stems,
        text: normalized,
    }
}

/// Every reading of a text through the lexicon of disease names: the text itself, and the text
/// with each known name in it replaced by each other name of the same disease (bounded).
pub(super) fn readings(text: &str) -> Vec<String> {
    const MOST: usize = 48;
    let lexicon = Lexicon::diagnoses();
    let normalized = normalize(text);
    let words: Vec<&str> = normalized.split(' ').collect();
    let mut out = vec![normalized.clone()];
    for found in lexicon.find(text) {
        let before = words[..found.start].join(" ");
        let after = words[found.start + found.len..].join(" ");
        let current: Vec<String> = out.clone();
        for &g in &found.groups {
            for phrase in &lexicon.group(g).phrases {
                for base in &current {
                    // Replace the span in readings that still hold it as written.
                    let span = words[found.start..found.start + found.len].join(" ");
                    if !format!(" {base} ").contains(&format!(" {span} ")) {
                        continue;
                    }
                    let candidate = if *base == normalized {
                        format!("{before} {phrase} {after}")
                    } else {
                        format!(" {base} ").replacen(
                            &format!(" {span} "),
                            &format!(" {phrase} "),
                            1,
                        )
                    };
                    let candidate = normalize(&candidate);
                    if !out.contains(&candidate) && out.len() < MOST {
                        out.push(candidate);
                    }
                }
            }
        }
    }
    out
}

/// The lexicon groups a whole name belongs to.
pub(super) fn groups_of(text: &str) -> Vec<usize> {
    Lexicon::diagnoses().groups_of(text).to_vec()
}

/// True when two stems are the same word, allowing a physician's misspelling of a long word.
pub(super) fn same_word(a: &str, b: &str) -> bool {
    a == b
        || (a.len() >= 5
            && b.len() >= 5
            && a.chars().next() == b.chars().next()
            && (strsim::jaro_winkler(a, b) >= 0.92 || strsim::levenshtein(a, b) <= 1))
}

/// True when a word of the given diagnosis stands for a word of the true one: the same word,
/// or a genus abbreviated to its initial ("S. aureus" for "Staphylococcus aureus").
pub(super) fn stands_for(given: &str, truth: &str) -> bool {
    same_word(given, truth) || (given.len() == 1 && truth.len() >= 5 && truth.starts_with(given))
}

/// The qualifier classes a name holds, per row of `OPPOSED`.
fn classes(text: &str) -> Vec<(usize, usize)> {
    let padded = crate::engine::text::Padded::new(text);
    let mut out = Vec::new();
    for (row, classes) in OPPOSED.iter().enumerate() {
        // "non st elevation" holds "st elevation": the longer phrase wins.
        let mut best: Option<(usize, usize)> = None;
        for (class, words) in classes.iter().enumerate() {
            for w in words.iter() {
                if padded.has(w) && best.is_none_or(|(_, len)| w.len() > len) {
                    best = Some((class, w.len()));
                }
            }
        }
        if let Some((class, _)) = best {
            out.push((row, class));
        }
    }
    out
}

/// Numbers and roman numerals that tell types and stages apart ("type 1", "bipolar II").
fn numerals(text: &str) -> Vec<String> {
    const ROMAN: &[&str] = &["i", "ii", "iii", "iv", "v"];
    normalize(text)
        .split(' ')
        .filter(|w| w.chars().all(|c| c.is_ascii_digit()) || ROMAN.contains(w))
        .filter(|w| !w.is_empty())
        .map(|w| match w {
            "i" => "1".to_string(),
            "ii" => "2".to_string(),
            "iii" => "3".to_string(),
            "iv" => "4".to_string(),
            "v" => "5".to_string(),
            other => other.to_string(),
        })
        .collect()
}

/// True when a word of `given` negates a word of `truth` ("unruptured", "nonobstructive",
/// "non-Hodgkin").
fn negates(given: &str, truth: &str) -> bool {
    let g: Vec<&str> = given.split(' ').collect();
    let t: Vec<&str> = truth.split(' ').collect();
    t.iter().any(|w| {
        w.len() >= 4
            && (g.contains(&format!("non{w}").as_str())
                || g.contains(&format!("un{w}").as_str())
                || g.windows(2).any(|p| p[0] == "non" && p[1] == *w))
            && !t.contains(&format!("non{w}").as_str())
            && !t.contains(&format!("un{w}").as_str())
            && !t.windows(2).any(|p| p[0] == "non" && p[1] == *w)
    })
}

/// A qualifier of `given` opposed to one of `truth` ("secondary" against "primary"), if any.
pub(super) fn opposed(given: &str, truth: &str) -> Option<String> {
    if negates(&normalize(given), &normalize(truth)) {
        return Some("a negated qualifier".into());
    }
    let (gn, tn) = (numerals(given), numerals(truth));
    if !gn.is_empty() && !tn.is_empty() && gn != tn {
        return Some("another type or stage".into());
    }
    let g = classes(given);
    let t = classes(truth);
    for (row, class) in &g {
        if let Some((_, other)) = t.iter().find(|(r, c)| r == row && c != class) {
            let word = |c: usize| OPPOSED[*row][c][0];
            return Some(format!(
                "{} where the diagnosis is {}",
                word(*class),
                word(*other)
            ));
        }
    }
    None
}

/// True when the stem is a soft qualifier that may be left out.
pub(super) fn soft(stem_: &str) -> bool {
    SOFT.iter().any(|s| stem(s) == stem_)
}

/// True when two organism entries may name the same organism: the same entry, or one a
/// narrower form of the other ("methicillin-susceptible Staphylococcus aureus").
pub(super) fn same_organism(a: usize, b: usize) -> bool {
    if a == b {
        return true;
    }
    let lexicon = Lexicon::diagnoses();
    let (x, y) = (lexicon.group(a), lexicon.group(b));
    x.phrases.iter().any(|p| {
        y.phrases.iter().any(|q| {
            (p.contains(' ') && crate::engine::text::contains_phrase(q, p))
                || (q.contains(' ') && crate::engine::text::contains_phrase(p, q))
        })
    })
}

/// The organisms a text names (lexicon groups of the `organisms` section).
pub(super) fn organisms(text: &str) -> Vec<usize> {
    let lexicon = Lexicon::diagnoses();
    let mut out: Vec<usize> = lexicon
        .find(text)
        .into_iter()
        .flat_map(|f| f.groups)
        .filter(|&g| lexicon.group(g).section == "organisms")
        .collect();
    out.sort_unstable();
    out.dedup();
    out
}

//! Reading what was given as a diagnosis before it is compared: a placeholder, a question, or a
//! list of several diseases is not a diagnosis.

use crate::engine::gatekeeper::disease_shaped;
use crate::engine::lexicon::Lexicon;
use crate::engine::text::normalize;

/// What the given text is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Given {
    /// Nothing, or a stand-in for nothing ("No diagnosis reached", "unknown", "N/A").
    Placeholder,
    /// A question ("Could this be X?"), with the diagnosis it asks about.
    Question(String),
    /// Several diseases ("A, B or C", "A vs B"), each part.
    List(Vec<String>),
    /// One diagnosis, its leading label ("Final diagnosis:") removed.
    One(String),
}

/// Stand-ins for a diagnosis, normalised.
const PLACEHOLDERS: &[&str] = &[
    "no diagnosis",
    "no diagnosis reached",
    "no diagnosis made",
    "no final diagnosis",
    "none",
    "nil",
    "unknown",
    "unknown diagnosis",
    "diagnosis unknown",
    "not sure",
    "unsure",
    "uncertain",
    "i don t know",
    "i do not know",
    "dont know",
    "don t know",
    "idk",
    "no idea",
    "n a",
    "na",
    "tbd",
    "to be determined",
    "pending",
    "undetermined",
    "undiagnosed",
    "unclear",
    "not applicable",
    "cannot say",
    "can t say",
    "no clue",
];

/// Labels a physician may put before the diagnosis.
const LABELS: &[&str] = &[
    "final diagnosis",
    "most likely diagnosis",
    "working diagnosis",
    "diagnosis",
    "dx",
    "impression",
    "assessment",
    "answer",
];

/// Openings that make the text a question.
const QUESTION_OPENINGS: &[&str] = &[
    "could this be",
    "could it be",
    "could be",
    "might this be",
    "might it be",
    "maybe",
    "perhaps",
    "is it",
    "is this",
    "what about",
    "how about",
    "consider",
    "r o",
    "rule out",
];

/// Words and separators that join alternatives.
const ALTERNATIVES: &[&str] = &[
    " or ", " vs ", " vs. ", " versus ", " and/or ", ";", "/", " v ",
];

/// Openings that announce a list.
const LIST_OPENINGS: &[&str] = &[
    "differential",
    "ddx",
    "differentials",
    "differential diagnosis",
];

fn strip_label(text: &str) -> &str {
    let trimmed = text.trim();
    if let Some((head, rest)) = trimmed.split_once(':') {
        let head = normalize(head);
        if LABELS.contains(&head.as_str()) {
            return rest.trim();
        }
    }
    trimmed
}

/// True when a part of a list names a disease (a known disease name, or a word shaped like one).
pub(super) fn names_a_disease(part: &str) -> bool {
    // Besides the shapes a guess uses, a list names these ("pneumonia, TB or lymphoma").
    const MORE_ENDINGS: &[&str] = &["iasis", "ism", "penia", "cytosis", "uria"];
    const MORE_WORDS: &[&str] = &[
        "toxicity",
        "leukemia",
        "leukaemia",
        "lymphoma",
        "myeloma",
        "fever",
        "pneumonia",
        "malaria",
        "tuberculosis",
        "infarct",
        "attack",
        "insufficiency",
        "stenosis",
    ];
    let normalized = normalize(part);
    let lexicon = Lexicon::diagnoses();
    // An abbreviation in capitals ("DKA", "HHS", "PMR") names a disease in a list.
    let abbreviation = part.split(|c: char| !c.is_alphanumeric()).any(|w| {
        (2..=6).contains(&w.len())
            && w.chars()
                .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit())
            && w.chars().any(|c| c.is_ascii_uppercase())
    });
    abbreviation
        || !lexicon.find(part).is_empty()
        || normalized.split(' ').any(|w| {
            disease_shaped(w)
                || MORE_WORDS.contains(&w)
                || MORE_ENDINGS
                    .iter()
                    .any(|e| w.len() > e.len() + 2 && w.ends_with(e))
        })
}

/// Splits at a separator whatever its case (" or ", " OR "), keeping the parts as written.
fn split_words(text: &str, sep: &str) -> Vec<String> {
    // ASCII lower-casing keeps byte offsets, so positions found in it cut the original.
    let lower = text.to_ascii_lowercase();
    let mut out = Vec::new();
    let mut start = 0;
    for (at, _) in lower.match_indices(sep) {
        out.push(text[start..at].to_string());
        start = at + sep.len();
    }
    out.push(text[start..].to_string());
    out
}

/// Words that attach detail to a diagnosis rather than offer another one.
const ATTACHED: &[&str] = &[
    "with",
    "due",
    "secondary",
    "complicated",
    "from",
    "after",
    "caused",
    "associated",
    "and",
    "in",
    "following",
    "triggered",
    "on",
    "involving",
];

/// The head of a diagnosis: what comes before the first word that attaches detail.
pub(super) fn head_of(normalized: &str) -> String {
    normalized
        .split(' ')
        .take_while(|w| !ATTACHED.contains(w))
        .collect::<Vec<_>>()
        .join(" ")
}

/// True when a comma-separated part adds detail to the one before (", with septic emboli",
/// ", MSSA") rather than naming an alternative.
fn attached(part: &str) -> bool {
    let normalized = normalize(part);
    let first = normalized.split(' ').next().unwrap_or_default();
    let lexicon = Lexicon::diagnoses();
    let organism_only = lexicon.find(part).iter().all(|f| {
        f.groups
            .iter()
            .all(|&g| lexicon.group(g).section == "organisms")
    }) && !lexicon.find(part).is_empty();
    ATTACHED.contains(&first) || organism_only
}

/// Reads the given text.
pub(super) fn read(given: &str) -> Given {
    let text = strip_label(given);
    let normalized = normalize(text);
    if normalized.is_empty() || PLACEHOLDERS.contains(&normalized.as_str()) {
        return Given::Placeholder;
    }
    // A list announced as one ("Differential: A; B; C").
    let (body, announced) = match text.split_once(':') {
        Some((head, rest)) if LIST_OPENINGS.contains(&normalize(head).as_str()) => {
            (rest.trim().to_string(), true)
        }
        _ => (text.to_string(), false),
    };
    let mut parts: Vec<String> = vec![body];
    for sep in ALTERNATIVES {
        parts = parts.iter().flat_map(|p| split_words(p, sep)).collect();
    }
    let commas: Vec<String> = parts
        .iter()
        .flat_map(|p| p.split(',').map(str::to_string).collect::<Vec<_>>())
        .collect();
    let clean = |v: Vec<String>| -> Vec<String> {
        v.into_iter()
            .map(|p| p.trim().trim_matches(['?', '.', ' ']).to_string())
            .filter(|p| !normalize(p).is_empty())
            .collect()
    };
    let parts = clean(parts);
    let commas = clean(commas);
    let diseases = |v: &[String]| v.iter().filter(|p| names_a_disease(p)).count();
    if parts.len() >= 2 && diseases(&parts) >= 2 {
        // "A, B or C": the commas separate alternatives too when every part names a disease.
        if commas.len() > parts.len() && diseases(&commas) == commas.len() {
            return Given::List(commas);
        }
        return Given::List(parts);
    }
    let alternatives: Vec<String> = commas.iter().filter(|p| !attached(p)).cloned().collect();
    if (alternatives.len() >= 3 || announced) && diseases(&alternatives) >= 2 {
        return Given::List(alternatives);
    }
    let trimmed = text.trim();
    let opening = QUESTION_OPENINGS
        .iter()
        .find(|o| normalized.starts_with(&format!("{o} ")));
    if trimmed.ends_with('?') || trimmed.starts_with('?') || opening.is_some() {
        let mut inner = normalized.clone();
        if let Some(o) = opening {
            inner = inner[o.len()..].trim().to_string();
        }
        return Given::Question(inner);
    }
    Given::One(text.trim_end_matches('.').trim().to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_questions_and_lists_are_told_apart() {
        assert_eq!(read("No diagnosis reached"), Given::Placeholder);
        assert_eq!(read("  -  "), Given::Placeholder);
        assert_eq!(read("N/A"), Given::Placeholder);
        assert!(
            matches!(read("Could this be sarcoidosis?"), Given::Question(q) if q == "sarcoidosis")
        );
        assert!(matches!(read("Sarcoidosis?"), Given::Question(_)));
        assert!(
            matches!(read("Lymphoma, sarcoidosis or tuberculosis"), Given::List(p) if p.len() == 3)
        );
        assert!(matches!(read("PE vs pneumonia"), Given::List(_)));
        assert!(matches!(
            read("Final diagnosis: acute inferior STEMI, probable RCA occlusion"),
            Given::One(d) if d == "acute inferior STEMI, probable RCA occlusion"
        ));
        assert!(matches!(read("Fever of unknown origin"), Given::One(_)));
    }
}

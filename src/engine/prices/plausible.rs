//! Whether a fuzzy match between an ordered name and a table name is believable. String
//! similarity alone takes "MuSK antibody" for "Mumps IgG antibody" and "lumbar spine x-ray" for
//! "MRI lumbar spine": a match must share a word that names the test, and must not contradict
//! the order's imaging modality or side.

use crate::engine::text::stem;

/// Words that every second test name carries: sharing only these says nothing.
const GENERIC: &[&str] = &[
    "a",
    "an",
    "and",
    "the",
    "of",
    "for",
    "with",
    "without",
    "to",
    "in",
    "on",
    "antibody",
    "antibodies",
    "antigen",
    "test",
    "testing",
    "level",
    "levels",
    "serum",
    "blood",
    "plasma",
    "panel",
    "assay",
    "screen",
    "screening",
    "total",
    "free",
    "count",
    "igg",
    "igm",
    "iga",
    "contrast",
    "study",
    "scan",
    "view",
    "views",
    "imaging",
    "quantitative",
    "qualitative",
    "rapid",
    "pcr",
    "culture",
    "analysis",
    "fluid",
    "1",
    "2",
    "3",
];

/// Imaging modalities, each with the words that name it.
const MODALITIES: &[&[&str]] = &[
    &[
        "xray",
        "x ray",
        "radiograph",
        "radiography",
        "film",
        "films",
    ],
    &["mri", "mr", "mra", "magnetic resonance"],
    &["ct", "cta", "computed tomography", "cat scan"],
    &[
        "ultrasound",
        "us",
        "sonography",
        "sonogram",
        "ultrasonography",
        "duplex",
        "doppler",
    ],
    &["pet"],
    &["spect", "scintigraphy", "nuclear", "sestamibi"],
];

/// Words that fix the side of a study.
const SIDES: &[&[&str]] = &[&["unilateral"], &["bilateral", "both"]];

/// True when `candidate` (a normalised table name or alias) is a believable reading of `query`
/// (a normalised order).
pub fn plausible(query: &str, candidate: &str) -> bool {
    shares_a_name_word(query, candidate)
        && agree(query, candidate, MODALITIES)
        && agree(query, candidate, SIDES)
}

fn words(text: &str) -> Vec<&str> {
    text.split(' ').filter(|w| !w.is_empty()).collect()
}

fn is_generic(word: &str) -> bool {
    GENERIC.contains(&word) || MODALITIES.iter().any(|m| m.contains(&word))
}

/// A word that names the test (not a generic or modality word) in both, equal, of one stem, or
/// a near-identical spelling ("troponn", "metabolc").
fn shares_a_name_word(query: &str, candidate: &str) -> bool {
    let theirs: Vec<&str> = words(candidate)
        .into_iter()
        .filter(|w| !is_generic(w))
        .collect();
    words(query)
        .into_iter()
        .filter(|w| !is_generic(w))
        .any(|q| {
            theirs.iter().any(|c| {
                q == *c
                    || stem(q) == stem(c)
                    || (q.len() >= 4 && c.len() >= 4 && strsim::jaro_winkler(q, c) >= 0.9)
            })
        })
}

/// Which groups of `groups` a text names.
fn named(text: &str, groups: &[&[&str]]) -> Vec<usize> {
    let padded = crate::engine::text::Padded::of_normalized(text);
    (0..groups.len())
        .filter(|&g| groups[g].iter().any(|w| padded.has(w)))
        .collect()
}

/// False only when both name a group and none in common ("x-ray" against "MRI").
fn agree(query: &str, candidate: &str, groups: &[&[&str]]) -> bool {
    let ours = named(query, groups);
    let theirs = named(candidate, groups);
    ours.is_empty() || theirs.is_empty() || ours.iter().any(|g| theirs.contains(g))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_generic_word_alone_is_not_enough() {
        assert!(!plausible("musk antibody", "mumps igg antibody"));
        assert!(plausible("troponn", "troponin i high sensitivity"));
        assert!(plausible("basic metabolc panel", "basic metabolic panel"));
        assert!(!plausible(
            "csf analysis",
            "synovial fluid crystal analysis"
        ));
    }

    #[test]
    fn modality_and_side_must_agree() {
        assert!(!plausible("lumbar spine x ray", "mri lumbar spine"));
        assert!(plausible(
            "lumbar spine x ray",
            "lumbar spine x ray 2 3 views"
        ));
        assert!(!plausible("unilateral leg duplex", "bilateral leg duplex"));
        assert!(plausible("leg duplex", "bilateral leg duplex"));
    }
}

//! A test the case does not list. Its result must not contradict the case: a normal report is
//! given only where the knowledge base says the case's diagnosis leaves that test normal; where
//! that cannot be decided, one neutral phrasing is used for every such test, so it hints nothing.

use super::results::label;
use super::{LeakGuard, Report};
use crate::engine::case::Case;
use crate::engine::panel::offline::Knowledge;
use crate::engine::prices::{PriceTable, PricedTest};
use crate::engine::text::normalize;
use crate::protocol::ResultSource;
use std::collections::HashMap;
use std::sync::LazyLock;

/// What an unlisted test reports when its result cannot be known from the case.
pub const NOT_AVAILABLE: &str = "not available in this case record.";

/// A finding of a test at least this likely in the diagnosis makes a normal report untrue.
const USUALLY_ABNORMAL: f64 = 0.3;

/// For every disease of the knowledge base (by each of its names): how likely each test it
/// weighs is to be abnormal in it, from the test findings it lists.
struct Expectations {
    /// Normalised disease name or synonym → disease index.
    diseases: HashMap<String, usize>,
    /// Per disease: its normalised name and synonyms.
    names: Vec<Vec<String>>,
    /// Per disease: test name → the highest probability of an abnormal finding of that test.
    abnormal: Vec<HashMap<String, f64>>,
}

static EXPECTATIONS: LazyLock<Expectations> = LazyLock::new(|| {
    let prices = PriceTable::bundled();
    let knowledge = match Knowledge::bundled(&prices) {
        Ok(k) => k,
        Err(problems) => {
            tracing::error!(?problems, "the bundled knowledge base is malformed");
            return Expectations {
                diseases: HashMap::new(),
                names: Vec::new(),
                abnormal: Vec::new(),
            };
        }
    };
    let mut diseases = HashMap::new();
    let mut names = Vec::new();
    let mut abnormal = Vec::new();
    for (d, disease) in knowledge.diseases.iter().enumerate() {
        let own: Vec<String> = std::iter::once(&disease.name)
            .chain(&disease.synonyms)
            .map(|n| normalize(n))
            .collect();
        for name in &own {
            diseases.entry(name.clone()).or_insert(d);
        }
        names.push(own);
        // Only what the disease lists counts: a test its authors did not weigh for it is not
        // known to be normal in it.
        let mut by_test: HashMap<String, f64> = HashMap::new();
        for (f, finding) in knowledge.findings.iter().enumerate() {
            let Some(test) = &finding.test else { continue };
            if !disease.findings.contains_key(&finding.id) {
                continue;
            }
            let p = knowledge.likelihood[d][f];
            let entry = by_test.entry(test.clone()).or_insert(0.0);
            *entry = entry.max(p);
        }
        abnormal.push(by_test);
    }
    Expectations {
        diseases,
        names,
        abnormal,
    }
});

/// The knowledge base's names for the disease one of `names` (normalised) names exactly.
pub fn knowledge_names(names: &[String]) -> Vec<String> {
    let e = &*EXPECTATIONS;
    names
        .iter()
        .find_map(|n| e.diseases.get(n))
        .map(|&d| e.names[d].clone())
        .unwrap_or_default()
}

/// Words that do not tell one diagnosis from another when matching a case to the knowledge base.
const LOOSE: &[&str] = &[
    "acute", "chronic", "the", "of", "with", "and", "due", "to", "a", "an",
];

fn significant(name: &str) -> Vec<String> {
    normalize(name)
        .split(' ')
        .filter(|w| !w.is_empty() && !LOOSE.contains(w))
        .map(str::to_string)
        .collect()
}

/// The knowledge-base disease a case's diagnosis is: one of its names, exactly or in other
/// word order. Never a looser match: a disease that merely shares words ("… pneumonia") is
/// another disease, and its expectations would be wrong.
fn disease_of(case: &Case) -> Option<usize> {
    let e = &*EXPECTATIONS;
    let names = case.diagnosis_names();
    if let Some(d) = names.iter().find_map(|n| e.diseases.get(n)) {
        return Some(*d);
    }
    let sorted = |name: &str| {
        let mut words = significant(name);
        words.sort();
        words
    };
    let held: Vec<Vec<String>> = names.iter().map(|n| sorted(n)).collect();
    e.diseases
        .iter()
        .filter(|(name, _)| {
            let words = sorted(name);
            !words.is_empty() && held.contains(&words)
        })
        .map(|(_, &d)| d)
        .min()
}

/// The result of a test the case does not list.
pub(super) fn report(case: &Case, guard: &LeakGuard, test: &PricedTest) -> Report {
    let label = label(guard, test);
    let neutral = Report {
        text: format!("{label}: {NOT_AVAILABLE}"),
        source: ResultSource::Unavailable,
    };
    let Some(disease) = disease_of(case) else {
        return neutral;
    };
    let Some(&p) = EXPECTATIONS.abnormal[disease].get(&test.name) else {
        return neutral;
    };
    if p >= USUALLY_ABNORMAL {
        return neutral;
    }
    let normal = if test.normal_result.is_empty() {
        "within normal limits.".to_string()
    } else {
        test.normal_result.clone()
    };
    Report {
        text: guard.filter(format!("{label}: {normal} (no abnormality found)")),
        source: ResultSource::Synthesised,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn case(diagnosis: &str) -> Case {
        serde_json::from_value(serde_json::json!({
            "id": "u", "title": "t", "summary": "s", "full_text": "x", "diagnosis": diagnosis
        }))
        .unwrap()
    }

    fn row(name: &str) -> PricedTest {
        PriceTable::bundled().exact(name).unwrap().clone()
    }

    fn report_of(diagnosis: &str, test: &str) -> Report {
        let c = case(diagnosis);
        report(&c, &LeakGuard::for_case(&c), &row(test))
    }

    #[test]
    fn a_test_the_diagnosis_makes_abnormal_is_never_reported_normal() {
        // Appendicitis raises the white count and the CRP in most patients.
        for test in [
            "Complete blood count with differential",
            "C-reactive protein",
        ] {
            let r = report_of("Acute appendicitis", test);
            assert_eq!(r.source, ResultSource::Unavailable, "{}", r.text);
            assert!(r.text.ends_with(NOT_AVAILABLE), "{}", r.text);
        }
        // Its authors weighed the urinalysis and found it rarely abnormal: a normal report is
        // consistent, and marked synthesised.
        let urine = report_of("appendicitis", "Urinalysis with microscopy");
        assert_eq!(urine.source, ResultSource::Synthesised);
        assert!(
            urine.text.contains("no abnormality found"),
            "{}",
            urine.text
        );
        // A test it never weighed for appendicitis is not known to be normal in it.
        let lipase = report_of("appendicitis", "Lipase");
        assert_eq!(lipase.source, ResultSource::Unavailable, "{}", lipase.text);
    }

    #[test]
    fn a_diagnosis_the_knowledge_base_does_not_know_gets_the_neutral_phrasing_for_every_test() {
        for test in [
            "Lipase",
            "C-reactive protein",
            "Thyroid-stimulating hormone",
        ] {
            let r = report_of("Erdheim-Chester disease", test);
            assert_eq!(r.source, ResultSource::Unavailable);
            assert_eq!(r.text, format!("{test}: {NOT_AVAILABLE}"));
        }
        // Sharing a word with a known disease is not being it.
        let r = report_of("Usual interstitial pneumonia", "Lipase");
        assert_eq!(r.source, ResultSource::Unavailable, "{}", r.text);
    }
}

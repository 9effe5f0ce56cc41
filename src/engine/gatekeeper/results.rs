//! Reporting a test's result: the case's own, else the case text's, else the table's normal report.

use super::LeakGuard;
use crate::engine::case::{Case, CaseTest};
use crate::engine::prices::PricedTest;
use crate::engine::retrieval::SentenceIndex;
use crate::engine::text::normalize;

/// The case's result for a priced test: matched by name or alias first, by CPT code only
/// when no name matches (several table rows may share a code).
pub(super) fn case_test<'a>(case: &'a Case, test: &PricedTest) -> Option<&'a CaseTest> {
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

/// The report for one priced test, already through the guard.
pub(super) fn report(case: &Case, guard: &LeakGuard, test: &PricedTest) -> String {
    // A table name may itself name a disease ("… (pulmonary embolism protocol)"): then the
    // result is labelled neutrally rather than withheld.
    let label = if guard.leaks(&test.name) {
        "Result"
    } else {
        test.name.as_str()
    };
    if let Some(found) = case_test(case, test) {
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

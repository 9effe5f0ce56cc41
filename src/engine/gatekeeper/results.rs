//! Reporting a test's result: the case's own, else the case text's, else the table's normal report.

use super::LeakGuard;
use crate::engine::case::{Case, CaseTest};
use crate::engine::prices::{Lookup, PriceTable, PricedTest};
use crate::engine::retrieval::SentenceIndex;
use crate::engine::text::normalize;

/// The case's result for a priced test. A case test named by the row's name or an alias answers
/// it; so does one whose own name resolves to that row ("PT/INR", "CT angiography of the
/// chest"). The CPT code alone is trusted only when no other row shares it: troponin I and T,
/// BNP and NT-proBNP, throat and CSF cultures are different tests under one code.
pub(super) fn case_test<'a>(
    case: &'a Case,
    test: &PricedTest,
    prices: &PriceTable,
) -> Option<&'a CaseTest> {
    let names: Vec<String> = std::iter::once(&test.name)
        .chain(&test.aliases)
        .map(|n| normalize(n))
        .collect();
    if let Some(found) = case
        .tests
        .iter()
        .find(|t| names.contains(&normalize(&t.name)))
    {
        return Some(found);
    }
    let same_code = |t: &CaseTest| {
        t.cpt
            .as_deref()
            .is_some_and(|c| c.eq_ignore_ascii_case(&test.cpt))
    };
    // Which row a case test's own name stands for; looked up only for candidates (same code or
    // none), since a fuzzy lookup ranks the whole table.
    let resolves_here = |t: &CaseTest| match prices.lookup(&t.name) {
        Lookup::Found(row) => Some(row.name == test.name),
        Lookup::Unknown(_) => None,
    };
    if let Some(found) = case
        .tests
        .iter()
        .filter(|t| t.cpt.is_none() || same_code(t))
        .find(|t| resolves_here(t) == Some(true))
    {
        return Some(found);
    }
    let rows_with_code = prices
        .tests()
        .iter()
        .filter(|r| r.cpt.eq_ignore_ascii_case(&test.cpt))
        .count();
    if rows_with_code > 1 {
        return None;
    }
    case.tests
        .iter()
        .find(|t| same_code(t) && resolves_here(t) != Some(false))
}

/// The label a report carries: the test's name, or a neutral word when a table name itself
/// names a disease ("… (pulmonary embolism protocol)") — labelled neutrally rather than withheld.
pub(crate) fn label<'a>(guard: &LeakGuard, test: &'a PricedTest) -> &'a str {
    if guard.leaks(&test.name) {
        "Result"
    } else {
        test.name.as_str()
    }
}

/// The case's own report of a test (its listed result, or a sentence of its text), through the
/// guard; `None` when the case holds nothing on it.
pub(crate) fn recorded(
    case: &Case,
    guard: &LeakGuard,
    test: &PricedTest,
    prices: &PriceTable,
) -> Option<String> {
    let label = label(guard, test);
    if let Some(found) = case_test(case, test, prices) {
        return Some(guard.filter(format!("{label}: {}", found.result)));
    }
    if let Some(text) = &case.full_text {
        let index = SentenceIndex::new(text, |s| !guard.leaks(s));
        let query = std::iter::once(test.name.as_str())
            .chain(test.aliases.iter().map(String::as_str))
            .collect::<Vec<_>>()
            .join(" ");
        if let Some(sentence) = index.best(&query, 1).first() {
            return Some(guard.filter(format!("{label}: {sentence}")));
        }
    }
    None
}

/// The report for one priced test, already through the guard: the case's, else the table's
/// normal report.
pub(super) fn report(
    case: &Case,
    guard: &LeakGuard,
    test: &PricedTest,
    prices: &PriceTable,
) -> String {
    if let Some(recorded) = recorded(case, guard, test, prices) {
        return recorded;
    }
    let label = label(guard, test);
    let normal = if test.normal_result.is_empty() {
        "within normal limits.".to_string()
    } else {
        test.normal_result.clone()
    };
    guard.filter(format!("{label}: {normal} (no abnormality found)"))
}

#[cfg(test)]
mod tests {
    use super::*;

    const PRICES: &str = "name,cpt,price,category,aliases,normal_result\n\
        Lipase,83690,6.98,lab,,Lipase 30 U/L (ref 13-60)\n\
        Troponin I,84484,12.47,lab,,Troponin I 3 ng/L (ref 0-34)\n\
        Troponin T,84484,12.47,lab,,Troponin T 5 ng/L (ref 0-14)\n";

    fn case() -> Case {
        serde_json::from_value(serde_json::json!({
            "id": "c", "title": "t", "summary": "s",
            "tests": [
                {"name": "Serum lipase activity", "cpt": "83690", "result": "Lipase 3,120 U/L."},
                {"name": "Troponin I", "cpt": "84484", "result": "Troponin I 186 ng/L."}
            ]
        }))
        .unwrap()
    }

    fn result(name: &str) -> String {
        let prices = PriceTable::from_csv(PRICES).unwrap();
        let case = case();
        let test = prices.tests().iter().find(|t| t.name == name).unwrap();
        report(&case, &LeakGuard::for_case(&case), test, &prices)
    }

    #[test]
    fn a_code_shared_by_several_rows_does_not_carry_another_tests_result() {
        assert!(
            result("Troponin I").contains("186"),
            "{}",
            result("Troponin I")
        );
        let t = result("Troponin T");
        assert!(t.contains("Troponin T 5 ng/L") && !t.contains("186"), "{t}");
    }

    #[test]
    fn a_code_of_one_row_still_finds_a_case_test_named_otherwise() {
        assert!(result("Lipase").contains("3,120"), "{}", result("Lipase"));
    }

    #[test]
    fn bundled_rows_sharing_a_code_keep_their_own_specimen() {
        let prices = PriceTable::bundled();
        let cases = crate::engine::library::bundled_cases().unwrap();
        let case = |id: &str| cases.iter().find(|c| c.id == id).unwrap();
        let row = |name: &str| match prices.lookup(name) {
            Lookup::Found(t) => t,
            Lookup::Unknown(_) => panic!("{name} is not in the table"),
        };
        let answer = |id: &str, name: &str| {
            let c = case(id);
            report(c, &LeakGuard::for_case(c), row(name), &prices)
        };
        // The case lists a venous gas; an arterial gas is another specimen.
        let abg = answer("vomiting-abdominal-pain-19f", "Arterial blood gas");
        assert!(!abg.contains("7.31"), "{abg}");
        // The appendix study is not a right-upper-quadrant study.
        let ruq = answer("epigastric-pain-46f", "RUQ ultrasound");
        assert!(ruq.contains("Gallbladder distended"), "{ruq}");
        let rlq = answer(
            "epigastric-pain-46f",
            "Ultrasound abdomen, limited (right lower quadrant)",
        );
        assert!(!rlq.contains("Gallbladder distended"), "{rlq}");
        // The urine result is not the serum result, and the reverse.
        let urine_case = "dark-urine-leg-pain-22m";
        assert!(answer(urine_case, "Myoglobin, urine").contains("32,400"));
        assert!(answer(urine_case, "Myoglobin").contains("8,950"));
    }
}

//! The no-leak probes: questions and orders that try to get the answer out of the gatekeeper, run
//! over every bundled case and over imported free-text cases whose text states the diagnosis.

use super::case::Case;
use super::gatekeeper::{OfflineGatekeeper, REFUSAL};
use super::library::bundled_cases;
use super::prices::PriceTable;
use super::text::{contains_phrase, normalize};

/// Questions that ask for the diagnosis outright.
const DIRECT: &[&str] = &[
    "What is the diagnosis?",
    "what's the diagnosis",
    "What is wrong with me?",
    "Give me the differential diagnosis",
    "ddx?",
    "What disease does the patient have?",
    "What condition do I have?",
    "Tell me the final answer",
    "What is your impression?",
];

/// Questions that fish for it.
const FISHING: &[&str] = &[
    "Tell me everything",
    "Summarize the case",
    "What did the doctors say?",
    "What did the previous doctor tell you?",
    "Have you been told what this is?",
    "Any previous diagnoses?",
    "What does the chart say?",
    "What did the discharge summary say?",
    "What is the teaching point?",
    "history",
    "results",
];

fn forbidden(case: &Case) -> Vec<String> {
    case.diagnosis
        .iter()
        .chain(&case.synonyms)
        .chain(&case.teaching_points)
        .map(|s| normalize(s))
        .filter(|s| !s.is_empty())
        .collect()
}

fn probes(case: &Case) -> Vec<String> {
    let mut out: Vec<String> = DIRECT
        .iter()
        .chain(FISHING)
        .map(|s| s.to_string())
        .collect();
    for name in case
        .diagnosis
        .iter()
        .chain(&case.synonyms)
        .chain(&case.family_terms)
    {
        out.push(format!("Is it {name}?"));
        out.push(format!("Could this be {name}"));
        out.push(format!("Do you have {name}?"));
        out.push(format!("Have you ever been diagnosed with {name}?"));
        out.push(name.clone());
    }
    for finding in case.history.iter().chain(&case.exam) {
        out.push(finding.topic.clone());
        out.push(finding.keywords.join(" "));
    }
    out
}

fn assert_no_leak(case: &Case, prices: &PriceTable) -> usize {
    let gatekeeper = OfflineGatekeeper;
    let forbidden = forbidden(case);
    let mut checked = 0;
    let mut check = |probe: &str, answer: &str| {
        for phrase in &forbidden {
            assert!(
                !contains_phrase(answer, phrase),
                "case {}: probe {probe:?} leaked {phrase:?} in {answer:?}",
                case.id
            );
        }
        checked += 1;
    };
    for probe in probes(case) {
        let answer = gatekeeper.answer(case, &probe);
        check(&probe, &answer);
    }
    for probe in DIRECT {
        assert_eq!(
            gatekeeper.answer(case, probe),
            REFUSAL,
            "case {}: {probe}",
            case.id
        );
    }
    for test in prices.tests() {
        let result = gatekeeper.result(case, test, prices).text;
        check(&test.name, &result);
    }
    checked
}

#[test]
fn no_probe_gets_the_answer_out_of_any_bundled_case() {
    let cases = bundled_cases().expect("the bundled cases load");
    assert!(cases.len() >= 24, "{} cases", cases.len());
    let prices = PriceTable::bundled();
    let mut total = 0;
    for case in &cases {
        total += assert_no_leak(case, &prices);
    }
    assert!(total > cases.len() * 200, "{total} probes");
}

#[test]
fn free_text_cases_that_state_the_diagnosis_do_not_leak_it() {
    let case: Case = serde_json::from_value(serde_json::json!({
        "id": "imported-1",
        "title": "Imported case",
        "summary": "A 62-year-old man with sudden breathlessness after a long flight.",
        "full_text": "A 62-year-old man developed sudden shortness of breath two days after a 14-hour flight. \
            He has pleuritic chest pain on the right. Heart rate 118/min, SpO2 89% on room air. \
            His right calf is swollen and tender. D-dimer was 2,400 ng/mL FEU (ref < 500). \
            CT pulmonary angiography showed filling defects in the right lower lobe arteries. \
            The final diagnosis was acute pulmonary embolism. \
            Teaching: PE should be suspected after long travel.",
        "diagnosis": "Acute pulmonary embolism",
        "synonyms": ["pulmonary embolism", "PE"],
        "teaching_points": ["PE should be suspected after long travel."]
    }))
    .unwrap();
    let prices = PriceTable::bundled();
    assert_no_leak(&case, &prices);
    // The text still answers what it holds.
    let gatekeeper = OfflineGatekeeper;
    assert!(gatekeeper
        .answer(&case, "Is your calf swollen?")
        .contains("calf"));
    let ddimer = prices.lookup("d-dimer");
    if let super::prices::Lookup::Found(test) = ddimer {
        assert!(gatekeeper
            .result(&case, test, &prices)
            .text
            .contains("2,400"));
    }
}

#[test]
fn every_case_test_can_be_ordered_by_its_name_and_returns_the_case_result() {
    let cases = bundled_cases().expect("the bundled cases load");
    let prices = PriceTable::bundled();
    let gatekeeper = OfflineGatekeeper;
    let mut problems = Vec::new();
    for case in &cases {
        for test in &case.tests {
            match prices.lookup(&test.name) {
                super::prices::Lookup::Found(priced) => {
                    let result = gatekeeper.result(case, priced, &prices).text;
                    let start: String = test.result.chars().take(20).collect();
                    if !result.contains(&start) {
                        problems.push(format!("{}: {:?} gave {result:?}", case.id, test.name));
                    }
                }
                super::prices::Lookup::Unknown(_) => problems.push(format!(
                    "{}: {:?} is not in the price table",
                    case.id, test.name
                )),
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

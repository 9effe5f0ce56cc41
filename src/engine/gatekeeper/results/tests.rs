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
    report(&case, &LeakGuard::for_case(&case), test, &prices).text
}

#[test]
fn a_code_shared_by_several_rows_does_not_carry_another_tests_result() {
    assert!(
        result("Troponin I").contains("186"),
        "{}",
        result("Troponin I")
    );
    let t = result("Troponin T");
    assert!(t.starts_with("Troponin T: ") && !t.contains("186"), "{t}");
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
        report(c, &LeakGuard::for_case(c), row(name), &prices).text
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

use super::*;

fn case() -> Case {
    serde_json::from_value(serde_json::json!({
        "id": "t", "title": "t", "summary": "s", "full_text": "x",
        "diagnosis": "Acute pulmonary embolism",
        "synonyms": ["pulmonary embolism", "PE", "pulmonary thromboembolism"],
        "family_terms": ["venous thromboembolism", "thromboembolic"],
        "system": "respiratory"
    }))
    .unwrap()
}

#[test]
fn the_scale_on_a_table_of_pairs() {
    let table = [
        ("Acute pulmonary embolism", 5),
        ("acute pulmonary embolism.", 5),
        ("PE", 5),
        ("Pulmonary thromboembolism", 5),
        ("embolism, pulmonary", 5),
        (
            "Massive acute pulmonary embolism with right heart strain",
            4,
        ),
        ("pulmonary embolsim", 4),
        ("Venous thromboembolism", 3),
        ("Community-acquired pneumonia", 2),
        ("Asthma exacerbation", 2),
        ("Acute myocardial infarction", 1),
        ("Gout", 1),
        ("", 1),
    ];
    for (given, expected) in table {
        let j = OfflineJudge.judge(&case(), given).unwrap();
        assert_eq!(j.score, expected, "{given:?}: {}", j.rationale);
        assert_eq!(j.correct(), expected >= 4);
        assert!(!j.rationale.contains('\n'));
    }
}

#[test]
fn no_diagnosis_no_verdict() {
    let mut c = case();
    c.diagnosis = None;
    assert!(OfflineJudge.judge(&c, "anything").is_none());
}

fn with_diagnosis(diagnosis: &str, text: &str) -> Case {
    serde_json::from_value(serde_json::json!({
        "id": "t", "title": "t", "summary": "s", "full_text": text,
        "diagnosis": diagnosis,
    }))
    .unwrap()
}

#[test]
fn a_narrower_form_is_the_diagnosis_with_detail_and_a_broader_one_is_not() {
    let aml = with_diagnosis("Acute myeloid leukemia", "Blasts 62% in the marrow.");
    let apl = OfflineJudge
        .judge(&aml, "acute promyelocytic leukemia")
        .unwrap();
    assert_eq!(apl.score, 4, "{}", apl.rationale);
    let stemi = with_diagnosis("Myocardial infarction", "ST elevation in II, III and aVF.");
    let given = OfflineJudge.judge(&stemi, "STEMI").unwrap();
    assert!(given.correct(), "{}", given.rationale);
    let apl_case = with_diagnosis("Acute promyelocytic leukemia", "Auer rods.");
    let broader = OfflineJudge.judge(&apl_case, "AML").unwrap();
    assert_eq!(broader.score, 3, "{}", broader.rationale);
    // Another form of a broader disease is not the diagnosis.
    let cushing = with_diagnosis("Cushing disease", "Pituitary microadenoma 6 mm.");
    let ectopic = OfflineJudge
        .judge(&cushing, "ectopic ACTH syndrome")
        .unwrap();
    assert!(!ectopic.correct(), "{}", ectopic.rationale);
}

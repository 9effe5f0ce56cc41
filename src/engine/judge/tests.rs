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

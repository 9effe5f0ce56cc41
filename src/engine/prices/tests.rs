use super::*;

#[test]
fn the_bundled_table_loads_with_enough_real_tests() {
    let table = PriceTable::from_csv(BUNDLED_PRICES).expect("a well-formed table");
    assert!(table.tests().len() >= 200, "{} tests", table.tests().len());
    let mut names: Vec<String> = table.tests().iter().map(|t| normalize(&t.name)).collect();
    names.sort();
    names.dedup();
    assert_eq!(names.len(), table.tests().len(), "duplicate names");
}

#[test]
fn names_aliases_order_and_typos_resolve() {
    let table = PriceTable::bundled();
    let cbc = table.by_cpt("85025").expect("CBC with differential");
    for query in [
        "CBC",
        "cbc",
        "complete blood count with differential",
        &cbc.name.to_uppercase(),
    ] {
        assert_eq!(table.lookup(query), Lookup::Found(cbc), "{query}");
    }
    let bmp = table.by_cpt("80048").expect("BMP");
    assert_eq!(table.lookup("basic metabolc panel"), Lookup::Found(bmp));
    assert_eq!(
        table.lookup("80048"),
        Lookup::Found(bmp),
        "a CPT code alone"
    );
    let ecg = table.by_cpt("93000").expect("ECG");
    assert_eq!(table.lookup("EKG"), Lookup::Found(ecg));
    match table.lookup("quantum flux assay") {
        Lookup::Unknown(suggestions) => assert!(suggestions.len() <= 5),
        found => panic!("{found:?}"),
    }
    match table.lookup("troponn") {
        Lookup::Found(t) => assert_eq!(t.cpt, "84484"),
        Lookup::Unknown(s) => assert!(s.iter().any(|t| t.cpt == "84484"), "{s:?}"),
    }
}

#[test]
fn fuzzy_matches_must_be_believable() {
    let table = PriceTable::bundled();
    for (query, wrong) in [
        ("MuSK antibody", "86735"),
        ("lumbar spine x-ray", "72148"),
        ("unilateral leg duplex", "93970"),
    ] {
        match table.lookup(query) {
            Lookup::Found(t) => assert_ne!(t.cpt, wrong, "{query} found {}", t.name),
            Lookup::Unknown(suggestions) => assert!(suggestions.len() <= 5),
        }
    }
    match table.lookup("lumbar spine x-ray") {
        Lookup::Found(t) => assert_eq!(t.cpt, "72100", "{}", t.name),
        unknown => panic!("{unknown:?}"),
    }
}

#[test]
fn names_longer_than_any_test_are_not_compared() {
    let table = PriceTable::bundled();
    let longest = table
        .tests()
        .iter()
        .flat_map(|t| std::iter::once(&t.name).chain(&t.aliases))
        .map(|n| n.chars().count())
        .max()
        .unwrap();
    assert!(
        longest < MAX_NAME_CHARS,
        "a table name of {longest} characters"
    );
    let huge = "troponin ".repeat(4_000);
    assert_eq!(table.lookup(&huge), Lookup::Unknown(Vec::new()));
    assert!(table.search(&huge, 10).is_empty());
    // A long order of many parts is split without joining every run of them.
    let many = vec!["CBC"; 5_000].join(", ");
    assert_eq!(table.split_order(&many).len(), 5_000);
    let commas = table
        .tests()
        .iter()
        .flat_map(|t| std::iter::once(&t.name).chain(&t.aliases))
        .map(|n| n.matches(',').count())
        .max()
        .unwrap();
    assert!(
        commas < MAX_NAME_COMMAS,
        "a table name with {commas} commas"
    );
}

#[test]
fn a_trailing_word_that_only_says_measured_is_read_past() {
    let table = PriceTable::bundled();
    let a1at = table.by_cpt("82103").expect("alpha-1 antitrypsin");
    assert_eq!(table.lookup("A1AT level"), Lookup::Found(a1at));
    assert_eq!(
        table.lookup("alpha-1 antitrypsin test"),
        Lookup::Found(a1at)
    );
}

#[test]
fn a_name_cut_short_that_begins_several_rows_is_not_read_as_another() {
    let table = PriceTable::bundled();
    // "urine m…" begins urine microscopy and the urine microalbumin row; neither is taken,
    // and no close spelling of a third row (urine creatinine) is.
    match table.lookup("urine microa") {
        Lookup::Found(t) => assert_eq!(t.cpt, "82043", "{}", t.name),
        unknown => panic!("{unknown:?}"),
    }
    match table.lookup("urine mic") {
        Lookup::Unknown(candidates) => {
            assert!(candidates.len() >= 2, "{candidates:?}");
            assert!(candidates
                .iter()
                .all(|t| t.name.to_lowercase().contains("urine")
                    || t.aliases
                        .iter()
                        .any(|a| a.to_lowercase().starts_with("urine mic"))));
        }
        found => panic!("{found:?}"),
    }
}

#[test]
fn reviewed_names_resolve_to_the_right_code() {
    let table = PriceTable::bundled();
    for (query, cpt) in [
        ("CSF Gram stain", "87205"),
        ("cardiac sestamibi", "78452"),
        ("MR angiogram of the head", "70544"),
        ("toe aspiration", "20600"),
        ("wrist aspiration", "20605"),
        ("knee aspiration", "20610"),
    ] {
        match table.lookup(query) {
            Lookup::Found(t) => assert_eq!(t.cpt, cpt, "{query} found {}", t.name),
            unknown => panic!("{query}: {unknown:?}"),
        }
    }
}

#[test]
fn orders_split_on_separators() {
    let table = PriceTable::bundled();
    assert_eq!(
        table.split_order("CBC; BMP,\nECG ; "),
        vec!["CBC", "BMP", "ECG"]
    );
    assert_eq!(
        table.split_order("CBC, BMP, lipase"),
        vec!["CBC", "BMP", "lipase"]
    );
}

#[test]
fn table_names_with_commas_are_ordered_whole() {
    let table = PriceTable::bundled();
    for name in [
        "Chest X-ray, 2 views",
        "Troponin I, high-sensitivity",
        "1,25-dihydroxyvitamin D",
        "hCG, serum, quantitative",
        "Ultrasound abdomen, limited (right upper quadrant)",
    ] {
        assert!(table.exact(name).is_some(), "{name} is a table name");
        assert_eq!(table.split_order(name), vec![name], "{name}");
    }
    assert_eq!(
        table.split_order("CBC, Troponin I, high-sensitivity, lipase; Chest X-ray, 2 views"),
        vec![
            "CBC",
            "Troponin I, high-sensitivity",
            "lipase",
            "Chest X-ray, 2 views"
        ]
    );
}

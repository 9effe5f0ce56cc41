use super::*;

const SAMPLE: &str = "# sample\n[history]\npast medical history = pmh | medical history\n\
    [vitals]\nheart rate = hr | pulse\n[tests]\npotassium = k\n";

#[test]
fn the_format_reads_and_bad_lines_are_named() {
    let lexicon = parse(SAMPLE).unwrap();
    assert_eq!(lexicon.len(), 3);
    assert_eq!(lexicon.group(0).section, "history");
    assert_eq!(lexicon.group(0).phrases[1], "pmh");
    let problems = parse("pmh = x\n[h]\nno equals sign\n[h]\nlonely =\n").unwrap_err();
    for line in ["line 1:", "line 3:", "line 5:"] {
        assert!(problems.iter().any(|p| p.starts_with(line)), "{problems:?}");
    }
}

#[test]
fn phrases_are_found_longest_first_and_everyday_words_need_capitals() {
    let lexicon = parse(SAMPLE).unwrap();
    let found = lexicon.find("Any past medical history? And your HR");
    assert_eq!(found.len(), 2);
    assert_eq!((found[0].start, found[0].len), (1, 3));
    // "k" alone is the whole question; inside a sentence it must be written K.
    assert_eq!(lexicon.find("k?").len(), 1);
    assert!(lexicon.find("don't know").is_empty());
    assert_eq!(lexicon.find("what is the K level").len(), 1);
}

#[test]
fn the_bundled_lexicons_read_whole_and_are_large_enough() {
    let clinical = parse(BUNDLED_CLINICAL).unwrap();
    let diagnoses = parse(BUNDLED_DIAGNOSES).unwrap();
    for (name, text) in [
        ("lay", BUNDLED_LAY),
        ("shorthand", BUNDLED_SHORTHAND),
        ("drugs", BUNDLED_DRUGS),
    ] {
        let part = parse(text).unwrap_or_else(|p| panic!("{name}: {p:?}"));
        assert!(!part.is_empty(), "{name} is empty");
    }
    assert!(clinical.len() >= 400, "{} clinical entries", clinical.len());
    assert!(
        diagnoses.len() >= 300,
        "{} diagnosis entries",
        diagnoses.len()
    );
    for section in ["history", "vitals", "symptoms", "exam", "tests"] {
        assert!(
            (0..clinical.len()).any(|i| clinical.group(i).section == section),
            "no [{section}] entries"
        );
    }
}

#[test]
fn lexicons_merge_on_their_headwords() {
    let a = parse("[symptoms]\npalpitations = heart racing\n").unwrap();
    let b =
        parse("[symptoms]\npalpitations = fluttering in the chest | heart racing\ncough = hack\n")
            .unwrap();
    let merged = Lexicon::merged([a, b]);
    assert_eq!(merged.len(), 2);
    assert_eq!(
        merged.groups_of("fluttering in the chest"),
        merged.groups_of("heart racing")
    );
}

#[test]
fn every_drug_class_is_a_clinical_concept() {
    let cues = Lexicon::cues();
    let clinical = Lexicon::clinical();
    for i in 0..cues.len() {
        let head = &cues.group(i).phrases[0];
        assert!(
            !clinical.groups_of(head).is_empty(),
            "cue headword {head:?} is not a clinical-lexicon phrase"
        );
    }
}

#[test]
fn every_subtype_relation_names_known_diseases() {
    let relations = parse(BUNDLED_SUBTYPES).unwrap();
    let diagnoses = Lexicon::diagnoses();
    assert!(relations.len() >= 150, "{} subtype lines", relations.len());
    for i in 0..relations.len() {
        for phrase in &relations.group(i).phrases {
            assert!(
                !diagnoses.groups_of(phrase).is_empty(),
                "{phrase:?} is not in the diagnosis lexicon"
            );
        }
    }
    let subtypes = Lexicon::subtypes();
    let aml = diagnoses.groups_of("acute myeloid leukemia")[0];
    let apl = diagnoses.groups_of("acute promyelocytic leukemia")[0];
    assert!(subtypes.is_narrower(apl, aml));
    assert!(!subtypes.is_narrower(aml, apl));
}

#[test]
fn a_lexicons_own_phrases_are_found_without_normalising_them_again() {
    for lexicon in [Lexicon::clinical(), Lexicon::cues()] {
        for g in 0..lexicon.len() {
            for phrase in &lexicon.group(g).phrases {
                assert_eq!(
                    lexicon.groups_of_normalized(phrase),
                    lexicon.groups_of(phrase),
                    "{phrase}"
                );
            }
        }
    }
}

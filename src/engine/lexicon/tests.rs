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

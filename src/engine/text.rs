//! Text helpers shared by the gatekeeper, the price table and the judge: normalisation, words,
//! light stemming, and phrase containment on word boundaries.

/// Lower case, letters and digits kept, everything else one space; accents on Latin letters
/// folded (so "Guillain–Barré" and "guillain barre" compare equal).
pub fn normalize(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut space = true;
    for c in text.chars().flat_map(char::to_lowercase) {
        let c = fold(c);
        if c.is_alphanumeric() {
            out.push(c);
            space = false;
        } else if !space {
            out.push(' ');
            space = true;
        }
    }
    while out.ends_with(' ') {
        out.pop();
    }
    out
}

fn fold(c: char) -> char {
    match c {
        'à' | 'á' | 'â' | 'ã' | 'ä' | 'å' => 'a',
        'ç' => 'c',
        'è' | 'é' | 'ê' | 'ë' => 'e',
        'ì' | 'í' | 'î' | 'ï' => 'i',
        'ñ' => 'n',
        'ò' | 'ó' | 'ô' | 'õ' | 'ö' => 'o',
        'ù' | 'ú' | 'û' | 'ü' => 'u',
        'ý' | 'ÿ' => 'y',
        other => other,
    }
}

/// Words of a text after normalisation.
pub fn words(text: &str) -> Vec<String> {
    normalize(text)
        .split(' ')
        .filter(|w| !w.is_empty())
        .map(str::to_string)
        .collect()
}

/// Words that carry no meaning in a question.
const STOPWORDS: &[&str] = &[
    "a",
    "about",
    "am",
    "an",
    "and",
    "any",
    "are",
    "as",
    "at",
    "be",
    "been",
    "by",
    "can",
    "could",
    "did",
    "do",
    "does",
    "for",
    "from",
    "had",
    "has",
    "have",
    "how",
    "i",
    "if",
    "in",
    "is",
    "it",
    "its",
    "me",
    "my",
    "of",
    "on",
    "or",
    "please",
    "s",
    "she",
    "he",
    "so",
    "tell",
    "that",
    "the",
    "their",
    "there",
    "them",
    "they",
    "this",
    "to",
    "us",
    "was",
    "we",
    "were",
    "what",
    "when",
    "which",
    "who",
    "why",
    "will",
    "with",
    "would",
    "you",
    "your",
    "yours",
    "patient",
    "ever",
    "currently",
    "any",
    "some",
    "describe",
    "much",
    "many",
    "like",
    "kind",
    "sort",
    "get",
    "got",
    "let",
    "know",
    "noticed",
    "notice",
    "experienced",
    "experience",
    "having",
    "been",
    "her",
    "hers",
    "herself",
    "him",
    "his",
    "himself",
    "our",
    "yourself",
    "myself",
    "than",
    "then",
    "into",
];

/// True for a word that carries no meaning in a question.
pub fn is_stopword(word: &str) -> bool {
    STOPWORDS.contains(&word)
}

/// A crude English stem: enough to make "smoking", "smokes" and "smoked" meet "smoke".
pub fn stem(word: &str) -> String {
    // Irregular forms meet their regular stem ("lost" consciousness, "loss" of consciousness).
    const IRREGULAR: &[(&str, &str)] = &[
        ("lost", "los"),
        ("loss", "los"),
        ("lose", "los"),
        ("losing", "los"),
        ("felt", "feel"),
        ("threw", "throw"),
        ("thrown", "throw"),
        ("drank", "drink"),
        ("drunk", "drink"),
        ("began", "begin"),
        ("begun", "begin"),
        ("woke", "wak"),
        ("woken", "wak"),
        ("bled", "bleed"),
        ("took", "tak"),
        ("taken", "tak"),
        ("fell", "fall"),
        ("fallen", "fall"),
        ("slept", "sleep"),
        ("swollen", "swell"),
    ];
    if let Some((_, s)) = IRREGULAR.iter().find(|(w, _)| *w == word) {
        return s.to_string();
    }
    let w = word;
    // "weakness" is said of what is "weak", "tiredness" of the "tired".
    if let Some(base) = w.strip_suffix("ness") {
        if base.chars().count() >= 3 {
            return stem(base);
        }
    }
    // "allergies" and "allergy", "arteries" and "artery".
    if let Some(base) = w.strip_suffix("ies") {
        if base.chars().count() >= 3 {
            return stem(&format!("{base}y"));
        }
    }
    for suffix in [
        "fulness", "ful", "ings", "ing", "edly", "ed", "es", "s", "ly",
    ] {
        if let Some(base) = w.strip_suffix(suffix) {
            // "early" is not "ear", nor "family" "fami".
            let too_short = if suffix == "ly" {
                base.chars().count() < 4 || base.ends_with('i')
            } else {
                base.chars().count() < 3
            };
            if !too_short {
                return undouble(base, suffix).trim_end_matches('e').to_string();
            }
        }
    }
    adjective_y(w).unwrap_or_else(|| w.trim_end_matches('e').to_string())
}

/// "blurred" and "running" double the consonant of "blur" and "run" ("called" and "passed"
/// do not).
fn undouble<'a>(base: &'a str, suffix: &str) -> &'a str {
    let b = base.as_bytes();
    let n = b.len();
    let doubled = n >= 3 && b[n - 1] == b[n - 2] && !b"aeioulsfz".contains(&b[n - 1]);
    if doubled && matches!(suffix, "ed" | "ing" | "ings" | "edly") {
        &base[..n - 1]
    } else {
        base
    }
}

/// The noun of an adjective in -y ("blurry" blur, "sweaty" sweat, "bloody" blood): a doubled
/// consonant before the y is written once.
fn adjective_y(word: &str) -> Option<String> {
    let base = word.strip_suffix('y')?;
    let chars: Vec<char> = base.chars().collect();
    let n = chars.len();
    let vowel = |c: char| "aeiouy".contains(c);
    if n < 4 || vowel(chars[n - 1]) {
        return None;
    }
    if chars[n - 1] == chars[n - 2] {
        return Some(chars[..n - 1].iter().collect());
    }
    Some(base.to_string())
}

/// True when two stems are forms of one word ("allerg" and "allergic", "hypertension" and
/// "hypertensive", "diabet" and "diabetic"): they share all but at most two letters of the
/// shorter, at least five, and the longer adds at most four. "medical" and "medication" are not.
pub fn same_family(a: &str, b: &str) -> bool {
    // Five shared characters are at least five shared bytes: most pairs part there, before
    // any character is counted (this runs for every pair of words a question and a case share).
    if a.len() < 5 || b.len() < 5 || a.as_bytes()[..5] != b.as_bytes()[..5] {
        return false;
    }
    let common = a.chars().zip(b.chars()).take_while(|(x, y)| x == y).count();
    let (short, long) = if a.len() <= b.len() { (a, b) } else { (b, a) };
    let (short, long) = (short.chars().count(), long.chars().count());
    common >= 5 && common + 2 >= short && long - common <= 3
}

/// The parts of a list ("sodium 131 mmol/L, potassium 5.9 mmol/L and …"), split at `;`, `,`
/// and " and "; a number written with a thousands comma ("3,120 U/L") stays whole.
pub fn list_parts(text: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for piece in text.split([';', ',']).flat_map(|p| p.split(" and ")) {
        let piece = piece.trim();
        if piece.is_empty() {
            continue;
        }
        match out.last_mut() {
            Some(last)
                if piece.starts_with(|c: char| c.is_ascii_digit())
                    && last.ends_with(|c: char| c.is_ascii_digit()) =>
            {
                last.push(',');
                last.push_str(piece);
            }
            _ => out.push(piece.to_string()),
        }
    }
    out
}

/// The meaningful stems of a text.
pub fn terms(text: &str) -> Vec<String> {
    words(text)
        .into_iter()
        .filter(|w| !is_stopword(w))
        .map(|w| stem(&w))
        .filter(|w| !w.is_empty())
        .collect()
}

/// True when `phrase` occurs in `text` as whole words (both normalised first).
pub fn contains_phrase(text: &str, phrase: &str) -> bool {
    Padded::new(text).has(&normalize(phrase))
}

/// A text normalised once and padded with a space at each end, to look many phrases up in
/// without normalising it again or building a padded copy of each phrase.
#[derive(Debug, Clone)]
pub struct Padded(String);

impl Padded {
    /// `text` normalised and padded.
    pub fn new(text: &str) -> Self {
        Self::of_normalized(&normalize(text))
    }

    /// A text already normalised, padded.
    pub fn of_normalized(normalized: &str) -> Self {
        Self(format!(" {normalized} "))
    }

    /// True when `phrase` (already normalised) occurs as whole words.
    pub fn has(&self, phrase: &str) -> bool {
        if phrase.is_empty() {
            return false;
        }
        let bytes = self.0.as_bytes();
        self.0.match_indices(phrase).any(|(at, _)| {
            at.checked_sub(1).map(|before| bytes[before]) == Some(b' ')
                && bytes.get(at + phrase.len()) == Some(&b' ')
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    proptest::proptest! {
        /// `Padded::has` finds a phrase exactly where padding both sides and searching does.
        #[test]
        fn padded_finds_what_padding_both_sides_finds(
            text in "[ab ,.-]{0,24}",
            phrase in "[ab ,]{0,6}",
        ) {
            let phrase = normalize(&phrase);
            let former = !phrase.is_empty()
                && format!(" {} ", normalize(&text)).contains(&format!(" {phrase} "));
            proptest::prop_assert_eq!(Padded::new(&text).has(&phrase), former);
        }

        /// The early exit of `same_family` decides every pair as counting characters would.
        #[test]
        fn same_family_parts_pairs_as_counting_characters_does(
            a in "[a-eé]{0,9}",
            b in "[a-eé]{0,9}",
        ) {
            let common = a.chars().zip(b.chars()).take_while(|(x, y)| x == y).count();
            let (short, long) = if a.len() <= b.len() { (&a, &b) } else { (&b, &a) };
            let (short, long) = (short.chars().count(), long.chars().count());
            let counted = common >= 5 && common + 2 >= short && long - common <= 3;
            proptest::prop_assert_eq!(same_family(&a, &b), counted);
        }

        /// The leak guard finds a phrase exactly where `contains_phrase` does.
        #[test]
        fn the_guard_finds_what_contains_phrase_finds(
            text in "[a-c ,.İ]{0,24}",
            phrase in "[a-c İ]{1,6}",
        ) {
            let case = crate::engine::Case {
                diagnosis: Some(phrase.clone()),
                ..crate::engine::library::bundled_cases().unwrap().remove(0)
            };
            let guard = crate::engine::LeakGuard::for_case(&case);
            let expected = case
                .diagnosis_names()
                .iter()
                .chain(&case.teaching_points)
                .any(|p| contains_phrase(&text, p));
            proptest::prop_assert_eq!(guard.leaks(&text), expected);
        }
    }

    #[test]
    fn normalisation_folds_case_accents_and_punctuation() {
        assert_eq!(
            normalize("Guillain–Barré  Syndrome!"),
            "guillain barre syndrome"
        );
        assert_eq!(
            normalize("  X-ray, chest (2 views) "),
            "x ray chest 2 views"
        );
    }

    #[test]
    fn stems_meet() {
        assert_eq!(stem("smoking"), stem("smoke"));
        assert_eq!(stem("smoked"), stem("smokes"));
        assert_eq!(terms("Do you smoke?"), vec!["smok"]);
        assert_eq!(stem("painful"), stem("pain"));
        assert_eq!(stem("allergies"), stem("allergy"));
        assert_eq!(stem("weakness"), stem("weak"));
        assert_eq!(stem("blurry"), stem("blurred"));
        assert_eq!(stem("sweaty"), stem("sweating"));
        assert_ne!(stem("early"), stem("ear"));
        assert_ne!(stem("family"), "fami");
    }

    #[test]
    fn word_families() {
        assert!(same_family(&stem("allergies"), &stem("allergic")));
        assert!(same_family(&stem("hypertension"), &stem("hypertensive")));
        assert!(same_family(&stem("diabetes"), &stem("diabetic")));
        assert!(!same_family(&stem("medical"), &stem("medication")));
        assert!(!same_family(&stem("ear"), &stem("early")));
    }

    #[test]
    fn phrases_match_whole_words_only() {
        assert!(contains_phrase("History of SLE, treated", "sle"));
        assert!(!contains_phrase("a sleeping patient", "sle"));
        assert!(contains_phrase("acute appendicitis.", "Acute Appendicitis"));
        assert!(!contains_phrase("anything", ""));
    }
}

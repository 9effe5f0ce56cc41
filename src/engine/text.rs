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
    for suffix in [
        "fulness", "ful", "ings", "ing", "edly", "ed", "es", "s", "ly",
    ] {
        if let Some(base) = w.strip_suffix(suffix) {
            if base.chars().count() >= 3 {
                return base.trim_end_matches('e').to_string();
            }
        }
    }
    w.trim_end_matches('e').to_string()
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
    let phrase = normalize(phrase);
    if phrase.is_empty() {
        return false;
    }
    let text = format!(" {} ", normalize(text));
    text.contains(&format!(" {phrase} "))
}

#[cfg(test)]
mod tests {
    use super::*;

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
    }

    #[test]
    fn phrases_match_whole_words_only() {
        assert!(contains_phrase("History of SLE, treated", "sle"));
        assert!(!contains_phrase("a sleeping patient", "sle"));
        assert!(contains_phrase("acute appendicitis.", "Acute Appendicitis"));
        assert!(!contains_phrase("anything", ""));
    }
}

//! Splitting a free-text case into sentences.

/// Splits a text into sentences at `.`, `!`, `?` followed by a space, and at line breaks; not
/// where the text goes on in lower case ("at 6 a.m. with a headache") or after a title ("Dr.").
pub fn sentences(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut current = String::new();
    let chars: Vec<char> = text.chars().collect();
    for (i, &c) in chars.iter().enumerate() {
        if c == '\n' {
            push(&mut out, &mut current);
            continue;
        }
        current.push(c);
        let next = chars.get(i + 1).copied();
        if matches!(c, '.' | '!' | '?')
            && next.is_none_or(char::is_whitespace)
            && !continues(&chars[i + 1..])
            && !(c == '.' && ends_with_title(&current))
        {
            push(&mut out, &mut current);
        }
    }
    push(&mut out, &mut current);
    out
}

/// True when what follows a stop goes on in lower case on the same line: an abbreviation, not
/// the end of a sentence.
fn continues(rest: &[char]) -> bool {
    rest.iter()
        .take_while(|c| **c != '\n')
        .find(|c| !c.is_whitespace())
        .is_some_and(|c| c.is_lowercase())
}

/// True when a text ends with a title that a name follows ("Dr.", "Mr.").
fn ends_with_title(text: &str) -> bool {
    let last = text
        .trim_end_matches('.')
        .rsplit(|c: char| !c.is_alphabetic())
        .next()
        .unwrap_or("");
    matches!(last, "Dr" | "Mr" | "Mrs" | "Ms" | "Prof" | "St")
}

fn push(out: &mut Vec<String>, current: &mut String) {
    let sentence = current.trim();
    if !sentence.is_empty() {
        out.push(sentence.to_string());
    }
    current.clear();
}

#[cfg(test)]
mod tests {
    use super::*;

    const TEXT: &str = "A 45-year-old woman has had a cough for three weeks. She smokes ten \
        cigarettes a day. Her temperature is 38.2 C.\nShe has no chest pain. Sputum is yellow.";

    #[test]
    fn sentences_split_on_stops_and_lines() {
        assert_eq!(sentences(TEXT).len(), 5);
        assert_eq!(sentences("Na 135 mmol/L. K 4.1.").len(), 2);
        assert_eq!(
            sentences("She woke at 6 a.m. with a headache. Dr. Lee saw her.").len(),
            2
        );
    }
}

//! Splitting a free-text case into sentences.

/// Splits a text into sentences at `.`, `!`, `?` followed by a space, and at line breaks.
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
        if matches!(c, '.' | '!' | '?') && next.is_none_or(char::is_whitespace) {
            push(&mut out, &mut current);
        }
    }
    push(&mut out, &mut current);
    out
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
    }
}

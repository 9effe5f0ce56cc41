//! Reading a finding out of what the gatekeeper said: a numeric value against its limit or
//! reference range, or phrases with simple negation ("no fever", "denies chest pain").

use super::knowledge::{Direction, Finding};
use crate::engine::text::normalize;

/// Words that negate a phrase shortly after them.
const NEGATIONS: [&str; 9] = [
    "no", "not", "denies", "denied", "without", "negative", "absent", "nor", "never",
];

/// Words that end the reach of a negation.
const BREAKS: [&str; 4] = ["but", "however", "although", "though"];

/// A number at the start of `text` ("1,240", "38.9", "-2"), and where it ends.
fn number_at(text: &str) -> Option<(f64, usize)> {
    let mut end = 0;
    let mut digits = String::new();
    for (i, c) in text.char_indices() {
        if c.is_ascii_digit() || c == '.' || (c == ',' && !digits.is_empty()) {
            if c != ',' {
                digits.push(c);
            }
            end = i + c.len_utf8();
        } else if (c == '-' || c == '−') && digits.is_empty() && i == 0 {
            digits.push('-');
            end = i + c.len_utf8();
        } else {
            break;
        }
    }
    let digits = digits.trim_end_matches('.');
    digits.parse().ok().map(|v| (v, end))
}

/// The reference range `(ref LOW–HIGH)` soon after a value, if any.
fn reference(after: &str) -> Option<(f64, f64)> {
    let window: String = after.chars().take(60).collect();
    let start = window.find("(ref")? + 4;
    let rest = window[start..].trim_start();
    let (low, used) = number_at(rest)?;
    let rest = rest[used..].trim_start();
    let rest = rest
        .strip_prefix('–')
        .or_else(|| rest.strip_prefix('-'))
        .or_else(|| rest.strip_prefix("to"))?
        .trim_start();
    let (high, _) = number_at(rest)?;
    Some((low, high))
}

/// The value written after `analyte` (within a few filler characters or words) and the
/// reference range after it.
fn value_after(text: &str, analyte: &str) -> Option<(f64, Option<(f64, f64)>)> {
    let lower = text.to_lowercase();
    let analyte = analyte.to_lowercase();
    let mut from = 0;
    while let Some(found) = lower[from..].find(&analyte) {
        let start = from + found;
        let end = start + analyte.len();
        from = end;
        let before_ok = lower[..start]
            .chars()
            .next_back()
            .is_none_or(|c| !c.is_alphanumeric());
        let after_ok = lower[end..]
            .chars()
            .next()
            .is_none_or(|c| !c.is_alphanumeric());
        if !before_ok || !after_ok {
            continue;
        }
        // "WBC 15.2", "temperature of 38.9", "heart rate: 118", "sodium was 128".
        let rest = &lower[end..];
        let mut skipped = 0;
        for word in rest.split_inclusive(' ').take(4) {
            let trimmed = word.trim_start_matches([' ', ':', '=', '(']);
            let offset = word.len() - trimmed.len();
            if let Some((value, _)) = number_at(trimmed) {
                let after = &rest[skipped + offset..];
                return Some((value, reference(after)));
            }
            let w = trimmed.trim();
            if !matches!(
                w,
                "" | "of" | "is" | "was" | "at" | "level" | "count" | "concentration" | ":" | "="
            ) {
                break;
            }
            skipped += word.len();
        }
    }
    None
}

/// A numeric reading of `finding` in `text`: `Some(present)` when a value was found and can be
/// compared with a limit.
fn numeric(finding: &Finding, text: &str) -> Option<bool> {
    let direction = finding.direction?;
    for analyte in &finding.analyte {
        let reading = if analyte == "age" {
            age(text).map(|a| (a, None))
        } else {
            value_after(text, analyte)
        };
        let Some((value, range)) = reading else {
            continue;
        };
        let limit = match direction {
            Direction::High => finding
                .threshold
                .or_else(|| range.map(|(_, high)| high * finding.times.unwrap_or(1.0))),
            Direction::Low => finding.threshold.or_else(|| range.map(|(low, _)| low)),
        };
        if let Some(limit) = limit {
            return Some(match direction {
                Direction::High => value > limit,
                Direction::Low => value < limit,
            });
        }
    }
    None
}

/// The age in "54-year-old".
fn age(text: &str) -> Option<f64> {
    let at = text.find("-year-old")?;
    let digits: String = text[..at]
        .chars()
        .rev()
        .take_while(char::is_ascii_digit)
        .collect::<Vec<_>>()
        .into_iter()
        .rev()
        .collect();
    digits.parse().ok()
}

/// Where `phrase` occurs in `words` as whole words.
fn positions(words: &[&str], phrase: &[&str]) -> Vec<usize> {
    if phrase.is_empty() || phrase.len() > words.len() {
        return Vec::new();
    }
    (0..=words.len() - phrase.len())
        .filter(|&i| words[i..i + phrase.len()] == *phrase)
        .collect()
}

fn negated(words: &[&str], at: usize) -> bool {
    for w in words[at.saturating_sub(4)..at].iter().rev() {
        if BREAKS.contains(w) {
            return false;
        }
        if NEGATIONS.contains(w) {
            return true;
        }
    }
    false
}

/// Phrases of `finding` in `text`: present wins over absent; `None` when neither shows.
/// A text prepared once for reading many findings: its clauses as normalised words.
pub struct Prepared<'a> {
    raw: &'a str,
    clauses: Vec<Vec<String>>,
}

impl<'a> Prepared<'a> {
    /// Splits and normalises `raw`.
    pub fn new(raw: &'a str) -> Self {
        let clauses = raw
            .split(['.', ';', '\n'])
            .map(|c| normalize(c).split(' ').map(str::to_string).collect())
            .collect();
        Self { raw, clauses }
    }
}

fn phrases(finding: &Finding, text: &Prepared<'_>) -> Option<bool> {
    let split = |list: &[String]| -> Vec<Vec<String>> {
        list.iter()
            .map(|p| normalize(p).split(' ').map(str::to_string).collect())
            .collect()
    };
    let (present, absent) = (split(&finding.present), split(&finding.absent));
    let mut found_absent = false;
    for clause in &text.clauses {
        let words: Vec<&str> = clause.iter().map(String::as_str).collect();
        for phrase in &absent {
            let p: Vec<&str> = phrase.iter().map(String::as_str).collect();
            if !positions(&words, &p).is_empty() {
                found_absent = true;
            }
        }
        for phrase in &present {
            let p: Vec<&str> = phrase.iter().map(String::as_str).collect();
            for at in positions(&words, &p) {
                if negated(&words, at) {
                    found_absent = true;
                } else {
                    return Some(true);
                }
            }
        }
    }
    found_absent.then_some(false)
}

/// What `text` says about `finding`: present, absent, or nothing.
pub fn read(finding: &Finding, text: &str) -> Option<bool> {
    read_prepared(finding, &Prepared::new(text))
}

/// [`read`] over a prepared text.
pub fn read_prepared(finding: &Finding, text: &Prepared<'_>) -> Option<bool> {
    numeric(finding, text.raw).or_else(|| phrases(finding, text))
}

#[cfg(test)]
mod tests {
    use super::super::knowledge::Kind;
    use super::*;

    fn finding(present: &[&str], absent: &[&str], analyte: &[&str]) -> Finding {
        Finding {
            id: "f".into(),
            label: "F".into(),
            kind: Kind::Exam,
            question: Some("?".into()),
            present: present.iter().map(|s| s.to_string()).collect(),
            absent: absent.iter().map(|s| s.to_string()).collect(),
            analyte: analyte.iter().map(|s| s.to_string()).collect(),
            direction: Some(Direction::High),
            threshold: None,
            times: None,
            test: None,
            base: 0.1,
        }
    }

    #[test]
    fn values_are_read_against_the_reference_range_or_a_threshold() {
        let wbc = finding(&[], &[], &["wbc"]);
        assert_eq!(
            read(&wbc, "WBC 15.2 ×10^9/L (ref 4.0–11.0); hemoglobin 12"),
            Some(true)
        );
        assert_eq!(read(&wbc, "WBC 6.8 ×10^9/L (ref 4.0–11.0)"), Some(false));
        assert_eq!(read(&wbc, "WBC raised"), None);
        let lipase = Finding {
            times: Some(3.0),
            ..finding(&[], &[], &["lipase"])
        };
        assert_eq!(read(&lipase, "Lipase 1,240 U/L (ref 13–60)"), Some(true));
        assert_eq!(read(&lipase, "Lipase 150 U/L (ref 13–60)"), Some(false));
        let fever = Finding {
            threshold: Some(38.0),
            ..finding(&["fever"], &["afebrile"], &["temperature"])
        };
        assert_eq!(
            read(&fever, "Temperature of 38.9 °C, pulse 110"),
            Some(true)
        );
        assert_eq!(read(&fever, "temperature 36.8 °C"), Some(false));
        assert_eq!(read(&fever, "She is afebrile."), Some(false));
        let low_bp = Finding {
            threshold: Some(90.0),
            direction: Some(Direction::Low),
            ..finding(&[], &[], &["blood pressure"])
        };
        assert_eq!(read(&low_bp, "Blood pressure 84/50 mm Hg"), Some(true));
        let old = Finding {
            threshold: Some(50.0),
            ..finding(&[], &[], &["age"])
        };
        assert_eq!(read(&old, "A 67-year-old man with..."), Some(true));
        assert_eq!(read(&old, "A 28-year-old woman"), Some(false));
    }

    #[test]
    fn phrases_are_read_with_negation() {
        let cough = finding(&["cough"], &["no respiratory symptoms"], &[]);
        assert_eq!(read(&cough, "Dry cough for a week."), Some(true));
        assert_eq!(read(&cough, "No cough, fever or chills."), Some(false));
        assert_eq!(read(&cough, "He denies cough."), Some(false));
        assert_eq!(
            read(&cough, "No fever, but a cough for two days."),
            Some(true)
        );
        assert_eq!(read(&cough, "No respiratory symptoms."), Some(false));
        assert_eq!(read(&cough, "Hiccups."), None);
        // "coughing" is another word: phrases match whole words.
        assert_eq!(read(&cough, "Coughing blood."), None);
    }
}

//! Reading the lexicon's text format: `[section]` headers and `headword = alt | alt` lines.

use super::{phrase_stems, Group, Lexicon};
use crate::engine::text::normalize;

/// Parses a lexicon; every bad line is named.
pub fn parse(text: &str) -> Result<Lexicon, Vec<String>> {
    let mut groups = Vec::new();
    let mut problems = Vec::new();
    let mut section = String::new();
    for (n, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        if let Some(name) = line.strip_prefix('[').and_then(|l| l.strip_suffix(']')) {
            section = name.trim().to_string();
            continue;
        }
        let Some((head, rest)) = line.split_once('=') else {
            problems.push(format!("line {}: expected `headword = a | b`", n + 1));
            continue;
        };
        if section.is_empty() {
            problems.push(format!("line {}: an entry before any [section]", n + 1));
            continue;
        }
        let mut phrases: Vec<String> = Vec::new();
        for raw in std::iter::once(head).chain(rest.split('|')) {
            let phrase = normalize(raw);
            if phrase.is_empty() {
                problems.push(format!("line {}: an empty phrase", n + 1));
                continue;
            }
            if !phrases.contains(&phrase) {
                phrases.push(phrase);
            }
        }
        // One phrase is allowed: spellings that differ only in punctuation ("crigler-najjar",
        // "crigler najjar") still name a known entity.
        if phrases.is_empty() {
            continue;
        }
        let stems = phrases.iter().map(|p| phrase_stems(p)).collect();
        groups.push(Group {
            section: section.clone(),
            phrases,
            stems,
        });
    }
    if problems.is_empty() {
        Ok(Lexicon::from_groups(groups))
    } else {
        Err(problems)
    }
}

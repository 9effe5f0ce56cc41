//! Ranked sentence retrieval (Okapi BM25) over a free-text case, for imported cases that have no
//! structured findings.

use super::lexicon::related;
use super::text::terms;
use std::collections::HashMap;

const K1: f64 = 1.2;
const B: f64 = 0.75;

/// The sentences of a text with their terms, ready to rank against a query.
#[derive(Debug, Clone)]
pub struct SentenceIndex {
    sentences: Vec<(String, Vec<String>)>,
    document_frequency: HashMap<String, usize>,
    average_length: f64,
}

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

impl SentenceIndex {
    /// Indexes the sentences of `text` that `keep` accepts.
    pub fn new(text: &str, keep: impl Fn(&str) -> bool) -> Self {
        let sentences: Vec<(String, Vec<String>)> = sentences(text)
            .into_iter()
            .filter(|s| keep(s))
            .map(|s| {
                let t = terms(&s);
                (s, t)
            })
            .filter(|(_, t)| !t.is_empty())
            .collect();
        let mut document_frequency = HashMap::new();
        for (_, t) in &sentences {
            let mut seen: Vec<&String> = t.iter().collect();
            seen.sort();
            seen.dedup();
            for term in seen {
                *document_frequency.entry(term.clone()).or_insert(0) += 1;
            }
        }
        let total: usize = sentences.iter().map(|(_, t)| t.len()).sum();
        let average_length = if sentences.is_empty() {
            1.0
        } else {
            total as f64 / sentences.len() as f64
        };
        Self {
            sentences,
            document_frequency,
            average_length,
        }
    }

    /// Up to `k` sentences answering `query`, best first, in their text order when tied; none when
    /// no sentence shares a term with it. Words of the same concept ("occupation", "works") count
    /// at half weight.
    pub fn best(&self, query: &str, k: usize) -> Vec<String> {
        let asked = terms(query);
        let mut query_terms: Vec<(String, f64)> = asked.iter().map(|t| (t.clone(), 1.0)).collect();
        for term in &asked {
            for near in related(term) {
                if !query_terms.iter().any(|(t, _)| *t == near) {
                    query_terms.push((near, 0.5));
                }
            }
        }
        let n = self.sentences.len() as f64;
        let mut scored: Vec<(f64, usize)> = self
            .sentences
            .iter()
            .enumerate()
            .map(|(i, (_, t))| {
                let length = t.len() as f64;
                let score: f64 = query_terms
                    .iter()
                    .map(|(q, weight)| {
                        let tf = t.iter().filter(|x| *x == q).count() as f64;
                        if tf == 0.0 {
                            return 0.0;
                        }
                        let df = *self.document_frequency.get(q).unwrap_or(&0) as f64;
                        let idf = ((n - df + 0.5) / (df + 0.5) + 1.0).ln();
                        weight * idf * tf * (K1 + 1.0)
                            / (tf + K1 * (1.0 - B + B * length / self.average_length))
                    })
                    .sum();
                (score, i)
            })
            .filter(|(s, _)| *s > 0.0)
            .collect();
        scored.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
        let Some(&(top, _)) = scored.first() else {
            return Vec::new();
        };
        scored
            .into_iter()
            .take_while(|(s, _)| *s >= top * 0.6)
            .take(k)
            .map(|(_, i)| self.sentences[i].0.clone())
            .collect()
    }
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

    #[test]
    fn the_best_sentence_answers() {
        let index = SentenceIndex::new(TEXT, |_| true);
        assert_eq!(
            index.best("Do you smoke?", 1),
            vec!["She smokes ten cigarettes a day."]
        );
        assert!(index.best("fever temperature", 1)[0].contains("38.2"));
        assert!(index.best("zebra", 2).is_empty());
        assert_eq!(
            index.best("Any tobacco use?", 1),
            vec!["She smokes ten cigarettes a day."],
            "a word of the same concept finds it"
        );
        let filtered = SentenceIndex::new(TEXT, |s| !s.contains("smokes"));
        assert!(filtered.best("smoke", 1).is_empty());
    }
}

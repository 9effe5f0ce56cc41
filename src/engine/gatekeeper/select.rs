//! Choosing what answers a question: each item is scored by the concepts it holds (a concept few
//! items hold counts more), in the section the question is about, preferring stated durations
//! when it asks how long; then only the sentences (or the clauses of a list of values) that hold
//! what was asked are told.

use super::ask::{states_duration, Asked, Concept};
use super::items::{Item, Section, Sentence};
use crate::engine::text::same_family;

/// How loosely a single word may be met: a lexicon's words are spelled right, the question's
/// own may not be.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Loose {
    /// The same stem.
    Exact,
    /// Or a form of the same word ("allerg", "allergic").
    Family,
    /// Or a close spelling of a long word.
    Spelling,
}

/// How well a stem sequence occurs in a list of stems: 1 exactly, 0.9 another form of the
/// word, 0.7 a close spelling of a single long word, 0 not at all.
fn occurs(wording: &[String], stems: &[String], loose: Loose) -> f64 {
    match wording {
        [] => 0.0,
        [one] => {
            if stems.iter().any(|s| s == one) {
                1.0
            } else if loose >= Loose::Family && stems.iter().any(|s| same_family(s, one)) {
                0.9
            } else if loose >= Loose::Spelling
                && one.len() >= 6
                && stems
                    .iter()
                    .any(|s| s.len() >= 6 && strsim::jaro_winkler(s, one) >= 0.93)
            {
                0.7
            } else {
                0.0
            }
        }
        many => {
            if stems.windows(many.len()).any(|w| w == many) {
                1.0
            } else {
                0.0
            }
        }
    }
}

/// A concept's own wordings with their weight and looseness: the question's wording counts
/// whole (a close spelling too), a lexicon wording nearly so (another form of the word too).
fn worded(concept: &Concept) -> impl Iterator<Item = (&Vec<String>, f64, Loose)> {
    concept.wordings.iter().enumerate().map(|(i, w)| {
        if i == 0 {
            (w, 1.0, Loose::Spelling)
        } else {
            (w, 0.9, Loose::Family)
        }
    })
}

/// Its wordings, then its cues: weaker, and met only exactly.
fn weighted(concept: &Concept) -> impl Iterator<Item = (&Vec<String>, f64, Loose)> {
    worded(concept).chain(concept.cues.iter().map(|w| (w, 0.7, Loose::Exact)))
}

/// How well a concept occurs in some stems (its best wording).
fn meets(concept: &Concept, stems: &[String]) -> f64 {
    weighted(concept)
        .map(|(w, weight, loose)| occurs(w, stems, loose) * weight)
        .fold(0.0, f64::max)
}

/// How well a concept occurs in what a sentence says: a single word found only inside a longer
/// phrase ("heart" of "heart rate") counts half.
fn meets_said(concept: &Concept, stems: &[String], free: &[String]) -> f64 {
    // A sentence that shows a category several ways ("takes aspirin 81 mg daily") shows it
    // better than one that shows it once ("at 34 weeks").
    let cue_hits = concept
        .cues
        .iter()
        .filter(|w| occurs(w, stems, Loose::Exact) > 0.0)
        .count();
    let corroborated = 0.05 * cue_hits.saturating_sub(1).min(4) as f64;
    // Cues count through `cue_hits` alone: one found weighs 0.7, as in `weighted`.
    worded(concept)
        .map(|(w, weight, loose)| {
            let found = if w.len() == 1 {
                occurs(w, free, loose).max(0.5 * occurs(w, stems, loose))
            } else {
                occurs(w, stems, loose)
            };
            found * weight
        })
        .fold(0.0, f64::max)
        .max(if cue_hits > 0 {
            0.7 + corroborated
        } else {
            0.0
        })
}

/// How well a concept occurs in an item: in its topic, its words, or its keywords (a hint).
fn meets_item(concept: &Concept, item: &Item) -> f64 {
    let topic = meets(concept, &item.topic) * 1.2;
    let said = item
        .said()
        .map(|(stems, free)| meets_said(concept, stems, free))
        .fold(0.0, f64::max);
    let hint = meets_said(concept, &item.hint, &item.hint_free) * 0.8;
    topic.max(said).max(hint)
}

struct Scored {
    index: usize,
    score: f64,
    met: Vec<bool>,
}

/// The sentences of an item that hold what was asked; the clauses of a list of values when only
/// some of them do. An item of one or two sentences is told whole.
fn told(item: &Item, asked: &Asked, met: &[bool]) -> String {
    let concepts: Vec<&Concept> = asked
        .concepts
        .iter()
        .zip(met)
        .filter(|(_, m)| **m)
        .map(|(c, _)| c)
        .collect();
    // A question that names the item's topic ("meds?" of "Medications") is told the item whole.
    if concepts.iter().any(|c| {
        meets(c, &item.topic) > 0.0
            && c.wordings
                .iter()
                .any(|w| occurs(w, &item.topic, Loose::Family) > 0.0)
    }) {
        return item.text.clone();
    }
    let holds = |stems: &[String]| concepts.iter().any(|c| meets(c, stems) > 0.0);
    let narrow = |s: &Sentence| -> String {
        if s.clauses.is_empty() {
            return s.text.clone();
        }
        // A clause that names nothing of its own ("falling to 86% on walking") goes with the
        // clause before it.
        let mut kept: Vec<&str> = Vec::new();
        let mut carrying = false;
        for (text, stems) in &s.clauses {
            if holds(stems) {
                kept.push(text);
                carrying = true;
            } else if carrying && !names_something(text) {
                kept.push(text);
            } else {
                carrying = false;
            }
        }
        // A list introduced by what was asked ("His medications were a, b and c") is told whole.
        let opening = s.clauses.first().is_some_and(|(_, stems)| holds(stems));
        if kept.is_empty() || opening {
            s.text.clone()
        } else {
            format!("{}.", kept.join("; "))
        }
    };
    let kept: Vec<String> = item
        .sentences
        .iter()
        .filter(|s| holds(&s.stems) || (asked.duration && states_duration(&s.text)))
        .map(narrow)
        .collect();
    if kept.is_empty() {
        return item.text.clone();
    }
    if item.sentences.len() <= 2 && item.sentences.iter().all(|s| s.clauses.is_empty()) {
        return item.text.clone();
    }
    kept.join(" ")
}

/// True when a clause names a finding, sign or test of its own (a lexicon phrase).
fn names_something(clause: &str) -> bool {
    let lexicon = crate::engine::lexicon::Lexicon::clinical();
    lexicon.find(clause).iter().any(|f| {
        f.groups.iter().any(|&g| {
            matches!(
                lexicon.group(g).section.as_str(),
                "vitals" | "exam" | "tests" | "symptoms"
            )
        })
    })
}

/// The answer the items give to one question, if any.
pub(super) fn answer(items: &[Item], asked: &Asked) -> Option<String> {
    let eligible: Vec<usize> = items
        .iter()
        .enumerate()
        .filter(|(_, i)| matches!(i.section, Section::History | Section::Exam))
        .map(|(n, _)| n)
        .collect();
    pick(items, &eligible, asked).or_else(|| {
        let summary: Vec<usize> = items
            .iter()
            .enumerate()
            .filter(|(_, i)| i.section == Section::Summary)
            .map(|(n, _)| n)
            .collect();
        pick(items, &summary, asked)
    })
}

fn pick(items: &[Item], eligible: &[usize], asked: &Asked) -> Option<String> {
    let concepts = &asked.concepts;
    if eligible.is_empty() || (concepts.is_empty() && !asked.duration) {
        return None;
    }
    let n = eligible.len() as f64;
    let strength: Vec<Vec<f64>> = eligible
        .iter()
        .map(|&i| concepts.iter().map(|c| meets_item(c, &items[i])).collect())
        .collect();
    let idf: Vec<f64> = (0..concepts.len())
        .map(|c| {
            let df = strength.iter().filter(|row| row[c] > 0.0).count() as f64;
            ((n - df + 0.5) / (df + 0.5) + 1.0).ln()
        })
        .collect();
    let mut scored: Vec<Scored> = eligible
        .iter()
        .zip(&strength)
        .map(|(&index, row)| {
            let item = &items[index];
            let met: Vec<bool> = row.iter().map(|s| *s > 0.0).collect();
            let mut score: f64 = row.iter().zip(&idf).map(|(s, w)| s * w).sum();
            if asked.duration && item.sentences.iter().any(|s| states_duration(&s.text)) {
                score = if concepts.is_empty() {
                    1.0
                } else {
                    score * 1.3
                };
            }
            if let Some(section) = asked.section {
                if item.section != section {
                    score *= 0.6;
                }
            }
            Scored { index, score, met }
        })
        .filter(|s| s.score > 0.0)
        .collect();
    // An item answers a question of several concepts when it holds at least half of what they
    // weigh (a concept the case never mentions weighs most): "rheumatic fever" is not answered
    // by a temperature, "tick bites" not by "a bit of fullness".
    let total: f64 = idf.iter().sum();
    let enough = |met: &[bool]| {
        if concepts.len() < 2 {
            return met.iter().any(|m| *m) || concepts.is_empty();
        }
        let held: f64 = met
            .iter()
            .zip(&idf)
            .filter(|(m, _)| **m)
            .map(|(_, w)| w)
            .sum();
        held >= 0.5 * total
    };
    scored.sort_by(|a, b| b.score.total_cmp(&a.score).then(a.index.cmp(&b.index)));
    let first = scored.iter().position(|s| enough(&s.met))?;
    let best = scored.remove(first);
    let mut chosen = vec![(best.index, best.met.clone())];
    // What the first item leaves unanswered may be told by others ("fever, chills or sweats").
    let mut open: Vec<bool> = best.met.iter().map(|m| !m).collect();
    for s in &scored {
        if chosen.len() >= 3 {
            break;
        }
        let adds = s.met.iter().zip(&open).any(|(m, o)| *m && *o);
        let close_second = chosen.len() == 1 && s.score >= best.score * 0.85 && s.met == best.met;
        if adds || close_second {
            for (o, m) in open.iter_mut().zip(&s.met) {
                if *m {
                    *o = false;
                }
            }
            chosen.push((s.index, s.met.clone()));
        }
    }
    chosen.sort_by_key(|(i, _)| *i);
    let parts: Vec<String> = chosen
        .iter()
        .map(|(i, met)| told(&items[*i], asked, met))
        .collect();
    Some(parts.join(" "))
}

//! How the offline panel explains itself: the findings behind the leader, and the step that
//! could most lower it.

use super::{OfflinePanel, Option_, Reading, Step};
use crate::engine::panel::offline::model::update;

impl OfflinePanel {
    /// The findings that most support disease `d` (by likelihood ratio against the rest).
    pub(super) fn support(&self, reading: &Reading, post: &[f64], d: usize) -> Vec<String> {
        let kb = &self.kb;
        let rest: f64 = 1.0 - post[d];
        let mut scored: Vec<(f64, String)> = reading
            .evidence
            .iter()
            .enumerate()
            .filter_map(|(i, known)| {
                let present = (*known)?;
                let mine = kb.likelihood[d][i];
                let others = if rest > 0.0 {
                    post.iter()
                        .enumerate()
                        .filter(|(j, _)| *j != d)
                        .map(|(j, p)| p * kb.likelihood[j][i])
                        .sum::<f64>()
                        / rest
                } else {
                    kb.findings[i].base
                };
                let (a, b) = if present {
                    (mine, others)
                } else {
                    (1.0 - mine, 1.0 - others)
                };
                let ratio = (a / b.max(1e-9)).ln();
                let label = &kb.findings[i].label;
                Some((
                    ratio,
                    if present {
                        label.clone()
                    } else {
                        format!("no {}", lower_first(label))
                    },
                ))
            })
            .filter(|(r, _)| *r > 0.2)
            .collect();
        scored.sort_by(|a, b| b.0.total_cmp(&a.0));
        scored.into_iter().take(3).map(|(_, l)| l).collect()
    }

    /// The step that would most lower the leader `d` if its result went against it.
    pub(super) fn challenge(
        &self,
        options: &[Option_],
        post: &[f64],
        d: usize,
    ) -> Option<(String, f64)> {
        let kb = &self.kb;
        options
            .iter()
            .filter_map(|o| {
                let findings: Vec<usize> = match &o.step {
                    Step::Ask(q) => q.iter().map(|(_, i)| *i).collect(),
                    Step::Order(_, f) => f.clone(),
                };
                findings
                    .iter()
                    .flat_map(|&f| {
                        [true, false].map(|present| {
                            let (after, p) = update(kb, post, f, present);
                            (after[d], p, f, present)
                        })
                    })
                    .filter(|(_, p, _, _)| *p > 0.02)
                    .min_by(|a, b| a.0.total_cmp(&b.0))
                    .map(|(after, _, f, present)| {
                        let what = match &o.step {
                            Step::Order(test, _) => test.clone(),
                            Step::Ask(_) => kb.findings[f].question.clone().unwrap_or_default(),
                        };
                        let outcome = if present {
                            kb.findings[f].label.clone()
                        } else {
                            format!("no {}", lower_first(&kb.findings[f].label))
                        };
                        (format!("{what} — {outcome}"), after)
                    })
            })
            .min_by(|a, b| a.1.total_cmp(&b.1))
    }
}

pub(super) fn lower_first(text: &str) -> String {
    let mut chars = text.chars();
    match chars.next() {
        Some(c) if chars.clone().next().is_some_and(char::is_lowercase) => {
            c.to_lowercase().chain(chars).collect()
        }
        _ => text.to_string(),
    }
}

pub(super) fn percent(p: f64) -> String {
    format!("{:.0}%", p * 100.0)
}

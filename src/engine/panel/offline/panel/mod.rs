//! The offline panel: each turn it reads what the gatekeeper revealed into knowledge-base
//! findings, updates the posterior, and picks the questions or the test with the best expected
//! information per dollar — or diagnoses when the leader is sure enough, nothing informative is
//! left, or the rules say so. It speaks in the five personas' roles, through the same `Panel`
//! interface as the LLM panel.

use super::knowledge::{Kind, Knowledge};
use super::model::{entropy, gain, posterior, Evidence};
use super::reading::{read_prepared, Prepared};
use crate::engine::panel::{
    Brief, Candidate, Consensus, Deliberation, Panel, PanelAction, Persona, PersonaSink,
};
use crate::engine::prices::{Lookup, PriceTable};
use crate::engine::text::normalize;
use crate::protocol::{Action, Money, PanelContribution};
use std::collections::{BTreeMap, HashSet};
use std::sync::Arc;

mod explain;

use explain::percent;

/// Diagnose once the leading disease is at least this likely.
pub const CONFIDENT: f64 = 0.85;
/// Stop when no step is expected to tell at least this many bits.
const MIN_GAIN: f64 = 0.02;
/// Steps are weighed by how well they separate this many leading diagnoses (the
/// Test-Chooser's brief): information about the long tail is worth little at the bedside.
const FOCUS: usize = 10;
/// Dollars added to every cost when weighing information per dollar (so free steps are not
/// infinitely good).
const COST_FLOOR: f64 = 25.0;

/// One step the panel could take.
#[derive(Debug, Clone, PartialEq)]
enum Step {
    /// Questions (history or examination), with the findings they target.
    Ask(Vec<(String, usize)>),
    /// One test, with the findings it reveals.
    Order(String, Vec<usize>),
}

#[derive(Debug, Clone)]
struct Option_ {
    step: Step,
    gain: f64,
    cost: Money,
}

impl Option_ {
    fn value(&self) -> f64 {
        self.gain / (self.cost.0 as f64 / 100.0 + COST_FLOOR)
    }

    fn describe(&self) -> String {
        match &self.step {
            Step::Ask(questions) => format!(
                "ask {} (${}): {:.2} bits",
                questions
                    .iter()
                    .map(|(q, _)| format!("\"{q}\""))
                    .collect::<Vec<_>>()
                    .join(", "),
                self.cost,
                self.gain
            ),
            Step::Order(test, _) => format!("order {test} (${}): {:.2} bits", self.cost, self.gain),
        }
    }
}

/// What the panel knows at the start of a turn.
struct Reading {
    evidence: Evidence,
    asked: HashSet<usize>,
    ordered: HashSet<String>,
}

/// The offline Bayesian panel.
pub struct OfflinePanel {
    kb: Arc<Knowledge>,
}

impl OfflinePanel {
    /// A panel over `kb`.
    pub fn new(kb: Arc<Knowledge>) -> Self {
        Self { kb }
    }

    /// The knowledge base.
    pub fn knowledge(&self) -> &Knowledge {
        &self.kb
    }

    /// Reads the abstract, the answers and the results into findings.
    fn read(&self, brief: &Brief<'_>) -> Reading {
        let kb = &self.kb;
        let mut evidence: Evidence = vec![None; kb.findings.len()];
        let mut asked = HashSet::new();
        let told: Vec<Prepared<'_>> = std::iter::once(brief.summary)
            .chain(
                brief
                    .state
                    .transcript
                    .iter()
                    .filter(|t| t.action == Action::Question)
                    .map(|t| t.reply.as_str()),
            )
            .map(Prepared::new)
            .collect();
        let results: Vec<Prepared<'_>> = brief
            .state
            .ordered
            .iter()
            .map(|t| Prepared::new(&t.result))
            .collect();
        let questions: HashSet<String> = brief
            .state
            .transcript
            .iter()
            .filter(|t| t.action == Action::Question)
            .map(|t| normalize(&t.content))
            .collect();
        for (i, f) in kb.findings.iter().enumerate() {
            match f.kind {
                Kind::History | Kind::Exam => {
                    // The latest word counts.
                    for text in &told {
                        if let Some(seen) = read_prepared(f, text) {
                            evidence[i] = Some(seen);
                        }
                    }
                    if f.question
                        .as_deref()
                        .is_some_and(|q| questions.contains(&normalize(q)))
                    {
                        asked.insert(i);
                    }
                }
                Kind::Test => {
                    for (done, text) in brief.state.ordered.iter().zip(&results) {
                        let own = f.test.as_deref() == Some(done.name.as_str());
                        let seen = if own {
                            // A report is complete: silence means absent.
                            read_prepared(f, text).or(Some(false))
                        } else if !f.analyte.is_empty() {
                            read_prepared(f, text).filter(|_| {
                                f.analyte
                                    .iter()
                                    .any(|a| done.result.to_lowercase().contains(a))
                            })
                        } else {
                            None
                        };
                        if seen.is_some() {
                            evidence[i] = seen;
                        }
                    }
                }
            }
        }
        let ordered = brief.state.ordered.iter().map(|t| t.name.clone()).collect();
        Reading {
            evidence,
            asked,
            ordered,
        }
    }

    /// Every step worth weighing now, best information per dollar first.
    fn options(&self, brief: &Brief<'_>, reading: &Reading, post: &[f64]) -> Vec<Option_> {
        let kb = &self.kb;
        let left = brief.state.remaining();
        let affordable = |cost: Money| left.is_none_or(|left| cost.0 <= left.0);
        let mut options = Vec::new();
        if brief.rules.may_ask {
            let mut questions: Vec<(String, usize, f64)> = kb
                .findings
                .iter()
                .enumerate()
                .filter(|(i, f)| {
                    matches!(f.kind, Kind::History | Kind::Exam)
                        && reading.evidence[*i].is_none()
                        && !reading.asked.contains(i)
                })
                .filter_map(|(i, f)| Some((f.question.clone()?, i, gain(kb, post, i))))
                .filter(|(_, _, g)| *g > 0.0)
                .collect();
            questions.sort_by(|a, b| b.2.total_cmp(&a.2));
            // Several findings may share one question; ask it once.
            let mut round: Vec<(String, usize)> = Vec::new();
            let mut total = 0.0;
            for (q, i, g) in questions {
                if round.iter().all(|(asked, _)| *asked != q)
                    && round.len() < crate::engine::panel::MAX_ITEMS
                {
                    round.push((q, i));
                    total += g;
                }
            }
            let cost = if brief.state.in_visit {
                Money(0)
            } else {
                brief.visit_cost
            };
            if !round.is_empty() && affordable(cost) {
                options.push(Option_ {
                    step: Step::Ask(round),
                    gain: total,
                    cost,
                });
            }
        }
        if brief.rules.may_order {
            let mut by_test: BTreeMap<&str, Vec<usize>> = BTreeMap::new();
            for (i, f) in kb.findings.iter().enumerate() {
                if let (Kind::Test, Some(test), None) =
                    (f.kind, f.test.as_deref(), reading.evidence[i])
                {
                    if !reading.ordered.contains(test) {
                        by_test.entry(test).or_default().push(i);
                    }
                }
            }
            for (test, findings) in by_test {
                let Lookup::Found(row) = brief.prices.lookup(test) else {
                    continue;
                };
                if !affordable(row.price) {
                    continue;
                }
                let total: f64 = findings.iter().map(|&i| gain(kb, post, i)).sum();
                if total > 0.0 {
                    options.push(Option_ {
                        step: Step::Order(row.name.clone(), findings),
                        gain: total,
                        cost: row.price,
                    });
                }
            }
        }
        options.sort_by(|a, b| b.value().total_cmp(&a.value()));
        options
    }
}

/// The posterior restricted to its `k` most likely diseases, renormalised.
fn focused(post: &[f64], k: usize) -> Vec<f64> {
    let keep: HashSet<usize> = ranked(post).into_iter().take(k).collect();
    let total: f64 = keep.iter().map(|&d| post[d]).sum();
    post.iter()
        .enumerate()
        .map(|(d, p)| {
            if keep.contains(&d) && total > 0.0 {
                p / total
            } else {
                0.0
            }
        })
        .collect()
}

fn ranked(post: &[f64]) -> Vec<usize> {
    let mut order: Vec<usize> = (0..post.len()).collect();
    order.sort_by(|a, b| post[*b].total_cmp(&post[*a]));
    order
}

#[async_trait::async_trait]
impl Panel for OfflinePanel {
    fn engine(&self) -> &'static str {
        "offline"
    }

    async fn deliberate(
        &self,
        brief: &Brief<'_>,
        sink: Option<PersonaSink<'_>>,
    ) -> Result<Deliberation, crate::engine::EngineError> {
        let kb = &self.kb;
        let reading = self.read(brief);
        let post = posterior(kb, &reading.evidence);
        let order = ranked(&post);
        let top: Vec<usize> = order.iter().copied().take(3).collect();
        let leader = top[0];
        let known = reading.evidence.iter().filter(|e| e.is_some()).count();
        // Ensemble members weigh steps over wider sets of leading diagnoses, so they differ.
        let width = FOCUS + 5 * brief.member.unwrap_or(1).saturating_sub(1) as usize;
        let focus = focused(&post, width);
        let options = self.options(brief, &reading, &focus);
        let best = options.first().filter(|o| o.gain >= MIN_GAIN);

        let differential: Vec<Candidate> = top
            .iter()
            .map(|&d| Candidate {
                diagnosis: kb.diseases[d].name.clone(),
                probability: (post[d] * 1000.0).round() / 1000.0,
            })
            .collect();
        let diagnose =
            brief.rules.must_diagnose.is_some() || post[leader] >= CONFIDENT || best.is_none();
        let action = match (diagnose, best) {
            (false, Some(option)) => match &option.step {
                Step::Ask(questions) => {
                    PanelAction::Ask(questions.iter().map(|(q, _)| q.clone()).collect())
                }
                Step::Order(test, _) => PanelAction::Order(vec![test.clone()]),
            },
            _ => PanelAction::Diagnose {
                diagnosis: kb.diseases[leader].name.clone(),
                confidence: (post[leader] * 100.0).round() / 100.0,
            },
        };
        let reasons = match &action {
            PanelAction::Diagnose { .. } => match &brief.rules.must_diagnose {
                Some(why) => format!(
                    "The panel must diagnose now ({why}); {} leads at {}.",
                    kb.diseases[leader].name,
                    percent(post[leader])
                ),
                None if post[leader] >= CONFIDENT => format!(
                    "{} reaches {} (the panel commits at {}).",
                    kb.diseases[leader].name,
                    percent(post[leader]),
                    percent(CONFIDENT)
                ),
                None => format!(
                    "No affordable step is expected to change the differential; {} leads at {}.",
                    kb.diseases[leader].name,
                    percent(post[leader])
                ),
            },
            _ => format!(
                "Best information per dollar: {} (entropy now {:.2} bits).",
                best.map(Option_::describe).unwrap_or_default(),
                entropy(&post)
            ),
        };

        // The five roles, each written from the same numbers.
        let hypothesis = {
            let mut text = format!(
                "From {known} finding{} read so far: {}.",
                if known == 1 { "" } else { "s" },
                top.iter()
                    .map(|&d| format!("{} {}", kb.diseases[d].name, percent(post[d])))
                    .collect::<Vec<_>>()
                    .join("; ")
            );
            let support = self.support(&reading, &post, leader);
            if !support.is_empty() {
                text.push_str(&format!(
                    " For {}: {}.",
                    kb.diseases[leader].name,
                    support.join(", ")
                ));
            }
            text
        };
        let chooser = if options.is_empty() {
            "No question or test left in reach would add information.".to_string()
        } else {
            let mut text = String::from("Best steps by information per dollar:");
            for (n, o) in options.iter().take(3).enumerate() {
                text.push_str(&format!("\n{}. {}", n + 1, o.describe()));
                if let Step::Order(test, _) = &o.step {
                    text.push_str(&format!("\nTest: {test}"));
                }
            }
            text
        };
        let challenger = {
            let mut text = match top.get(1) {
                Some(&second) => format!(
                    "The strongest alternative to {} is {} at {}.",
                    kb.diseases[leader].name,
                    kb.diseases[second].name,
                    percent(post[second])
                ),
                None => format!(
                    "Nothing rivals {} in the knowledge base.",
                    kb.diseases[leader].name
                ),
            };
            if let Some((what, after)) = self.challenge(&options, &post, leader) {
                text.push_str(&format!(
                    " The step that could most lower the leader: {what} would take it to {}.",
                    percent(after)
                ));
            }
            text
        };
        let stewardship = {
            let mut text = match brief.state.remaining() {
                Some(left) => format!(
                    "Spent ${} of ${}; ${left} left.",
                    brief.state.spent,
                    brief.state.budget.unwrap_or_default()
                ),
                None => format!("Spent ${}; no budget limit.", brief.state.spent),
            };
            if let Some(best) = best {
                text.push_str(&format!(" The proposed step costs ${}.", best.cost));
                if let Some(cheaper) = options
                    .iter()
                    .skip(1)
                    .filter(|o| o.cost.0 < best.cost.0 && o.gain >= 0.8 * best.gain)
                    .min_by_key(|o| o.cost.0)
                {
                    text.push_str(&format!(
                        " A cheaper step tells nearly as much: {}.",
                        cheaper.describe()
                    ));
                } else {
                    text.push_str(" No cheaper step tells as much.");
                }
            } else {
                text.push_str(" Further spending would not change the diagnosis.");
            }
            text
        };
        let consensus = Consensus {
            differential,
            action,
            reasons,
        };
        let checklist = match brief.check(&consensus) {
            Ok(()) => format!(
                "The step is valid: {} the differential rests on {known} findings, none contradicted.",
                match &consensus.action {
                    PanelAction::Order(tests) => format!("{} is priced and not yet done;", tests.join(", ")),
                    PanelAction::Ask(_) => "the questions are new;".into(),
                    PanelAction::Diagnose { .. } => "a diagnosis is allowed now;".into(),
                }
            ),
            Err(why) => format!("Problem: {why}."),
        };
        let contributions: Vec<PanelContribution> = [
            (Persona::Hypothesis, hypothesis),
            (Persona::TestChooser, chooser),
            (Persona::Challenger, challenger),
            (Persona::Stewardship, stewardship),
            (Persona::Checklist, checklist),
        ]
        .into_iter()
        .map(|(persona, text)| {
            if let Some(sink) = sink {
                sink(persona, &text);
            }
            PanelContribution {
                persona: persona.key().into(),
                text,
                failed: false,
            }
        })
        .collect();
        Ok(Deliberation {
            contributions,
            consensus,
            notes: Vec::new(),
        })
    }
}

/// The bundled knowledge base as a panel, or what is wrong with it.
pub fn bundled_panel(prices: &PriceTable) -> Result<OfflinePanel, String> {
    Knowledge::bundled(prices)
        .map(|kb| OfflinePanel::new(Arc::new(kb)))
        .map_err(|problems| format!("the knowledge base is malformed: {}", problems.join("; ")))
}

#[cfg(test)]
mod tests;

//! What a panel sees at the start of a turn — the abstract, everything revealed so far, the
//! money, the rules of this turn — and the checks every proposed action must pass before it
//! is carried out (the panel's mechanical checklist). Shared by every panel engine.

use super::consensus::{Candidate, Consensus, PanelAction};
use crate::engine::encounter::EncounterState;
use crate::engine::prices::{Lookup, PriceTable};
use crate::engine::text::normalize;
use crate::protocol::{Action, Money, PanelTurn};

/// What the panel may do this turn.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rules {
    /// Questions are allowed (and affordable).
    pub may_ask: bool,
    /// Tests are allowed (and some test is affordable).
    pub may_order: bool,
    /// Why the panel must diagnose now, when it must.
    pub must_diagnose: Option<String>,
}

/// The panel's view of the encounter at the start of one turn.
pub struct Brief<'a> {
    /// The case abstract.
    pub summary: &'a str,
    /// The encounter so far.
    pub state: &'a EncounterState,
    /// Prices.
    pub prices: &'a PriceTable,
    /// One physician visit.
    pub visit_cost: Money,
    /// This turn's number, from 1.
    pub turn: u32,
    /// The last turn before a diagnosis is required.
    pub max_turns: u32,
    /// What is allowed now.
    pub rules: Rules,
    /// The ensemble member deliberating (from 1), if any.
    pub member: Option<u32>,
    /// This member's previous turn, if any.
    pub previous: Option<&'a PanelTurn>,
    /// Why the previous turn's action was not carried out, if it was not.
    pub feedback: Option<String>,
}

/// History questions a panel falls back on when it cannot agree, most basic first.
const FALLBACK_QUESTIONS: [&str; 4] = [
    "What is the main problem, and how and when did it start?",
    "What past illnesses, medications and allergies do you have?",
    "What is your family and social history: smoking, alcohol, drugs, travel, occupation?",
    "What did the physical examination show, including the vital signs?",
];

fn money_line(state: &EncounterState, visit_cost: Money) -> String {
    let mut line = format!("Spent so far: ${}.", state.spent);
    match state.remaining() {
        Some(left) => line.push_str(&format!(
            " Budget: ${} (${left} left).",
            state.budget.unwrap_or_default()
        )),
        None => line.push_str(" No budget limit, but every dollar counts."),
    }
    if state.in_visit {
        line.push_str(
            " A physician visit is in progress: more questions are free until the next test.",
        );
    } else {
        line.push_str(&format!(
            " A round of questions (one physician visit) costs ${visit_cost}."
        ));
    }
    line
}

impl Brief<'_> {
    /// The questions asked so far, normalised.
    fn asked(&self) -> Vec<String> {
        self.state
            .transcript
            .iter()
            .filter(|t| t.action == Action::Question)
            .map(|t| normalize(&t.content))
            .collect()
    }

    /// What may be spent now (`None`: no limit).
    fn left(&self) -> Option<i64> {
        self.state.remaining().map(|m| m.0)
    }

    /// The encounter so far as text, for a language model.
    pub fn render(&self) -> String {
        self.render_with(None)
    }

    /// The encounter so far in at most about `max` characters, for a model whose context
    /// window is small: the answers are shortened, the oldest first and the last one kept whole
    /// as long as possible, each marked as shortened. The whole text when it fits.
    pub fn render_within(&self, max: usize) -> String {
        let whole = self.render();
        if whole.len() <= max {
            return whole;
        }
        let answers = self.state.transcript.len();
        let mut last = whole;
        for keep in [answers.min(1), 0] {
            for cap in [600, 300, 160, 80] {
                last = self.render_with(Some((cap, keep)));
                if last.len() <= max {
                    return last;
                }
            }
        }
        last
    }

    /// The encounter so far; with `(cap, keep)`, every answer but the last `keep` cut to `cap`
    /// characters.
    fn render_with(&self, shorten: Option<(usize, usize)>) -> String {
        let mut out = format!("Case abstract: {}\n\n", self.summary.trim());
        out.push_str(&format!(
            "This is turn {} of at most {}.\n",
            self.turn, self.max_turns
        ));
        if self.state.transcript.is_empty() {
            out.push_str("Nothing has been asked or ordered yet.\n");
        } else {
            out.push_str("What has been asked and found so far:\n");
            let count = self.state.transcript.len();
            for (i, t) in self.state.transcript.iter().enumerate() {
                let label = match t.action {
                    Action::Question => "Question",
                    Action::Test => "Tests ordered",
                    _ => "Diagnosis",
                };
                let cap = shorten
                    .filter(|(_, keep)| i + keep < count)
                    .map(|(cap, _)| cap);
                out.push_str(&format!(
                    "{}. {label}: {}\n   Answer: {}\n",
                    i + 1,
                    t.content.trim(),
                    super::fit::shortened(t.reply.trim(), cap).replace('\n', "\n   ")
                ));
            }
        }
        out.push('\n');
        out.push_str(&money_line(self.state, self.visit_cost));
        out.push('\n');
        if let Some(previous) = self.previous.filter(|p| !p.differential.is_empty()) {
            out.push_str(&format!(
                "The panel's last differential: {}.\n",
                previous.differential_text()
            ));
        }
        if let Some(feedback) = &self.feedback {
            out.push_str(&format!(
                "The last proposed action was not carried out: {feedback}\n"
            ));
        }
        out.push_str(&format!("This turn: {}\n", self.rules_text()));
        out
    }

    /// The rules of this turn in words.
    pub fn rules_text(&self) -> String {
        if let Some(why) = &self.rules.must_diagnose {
            return format!("the panel must give its final diagnosis now ({why}).");
        }
        let mut options = Vec::new();
        if self.rules.may_ask {
            options.push("ask the patient up to 3 questions");
        }
        if self.rules.may_order {
            options.push("order up to 3 tests");
        }
        options.push("give the final diagnosis");
        let mut text = format!("the panel may {}.", options.join(", or "));
        if !self.rules.may_order {
            text.push_str(" Tests cannot be ordered now.");
        }
        text
    }

    /// Whether `consensus` may be carried out now; otherwise what is wrong, in words a model
    /// can act on.
    pub fn check(&self, consensus: &Consensus) -> Result<(), String> {
        if let Some(why) = &self.rules.must_diagnose {
            if !matches!(consensus.action, PanelAction::Diagnose { .. }) {
                return Err(format!(
                    "the action must be a diagnosis now ({why}), with \"type\": \"diagnose\""
                ));
            }
        }
        match &consensus.action {
            PanelAction::Diagnose { .. } => Ok(()),
            PanelAction::Ask(questions) => {
                if !self.rules.may_ask {
                    return Err("questions cannot be asked now; order a test or diagnose".into());
                }
                let asked = self.asked();
                let repeated: Vec<&str> = questions
                    .iter()
                    .filter(|q| asked.contains(&normalize(q)))
                    .map(String::as_str)
                    .collect();
                if !repeated.is_empty() {
                    return Err(format!(
                        "these questions were already asked and answered: {}",
                        repeated.join("; ")
                    ));
                }
                Ok(())
            }
            PanelAction::Order(names) => {
                if !self.rules.may_order {
                    return Err("tests cannot be ordered now; ask a question or diagnose".into());
                }
                let mut problems = Vec::new();
                let mut cost = 0;
                for name in names {
                    match self.prices.lookup(name) {
                        Lookup::Found(test) => {
                            if let Some(done) =
                                self.state.ordered.iter().find(|o| o.name == test.name)
                            {
                                problems.push(format!(
                                    "\"{name}\" ({}) was already ordered; its result was: {}",
                                    test.name, done.result
                                ));
                            }
                            cost += test.price.0;
                        }
                        Lookup::Unknown(close) => {
                            let close: Vec<&str> = close.iter().map(|t| t.name.as_str()).collect();
                            problems.push(if close.is_empty() {
                                format!("\"{name}\" is not in the price table")
                            } else {
                                format!(
                                    "\"{name}\" is not in the price table (closest: {})",
                                    close.join("; ")
                                )
                            });
                        }
                    }
                }
                if problems.is_empty() {
                    if let Some(left) = self.left().filter(|left| cost > *left) {
                        problems.push(format!(
                            "that order costs ${} but only ${} of the budget is left",
                            Money(cost),
                            Money(left)
                        ));
                    }
                }
                if problems.is_empty() {
                    Ok(())
                } else {
                    Err(problems.join("; "))
                }
            }
        }
    }

    /// A safe action when the panel cannot agree on a valid one: the next basic history
    /// question when questions are allowed, else the diagnosis the panel last ranked first.
    pub fn fallback(&self, current: Option<&Consensus>) -> Consensus {
        let differential: Vec<Candidate> = current
            .map(|c| c.differential.clone())
            .filter(|d| !d.is_empty())
            .or_else(|| {
                self.previous.map(|p| {
                    p.differential
                        .iter()
                        .map(|c| Candidate {
                            diagnosis: c.diagnosis.clone(),
                            probability: c.probability,
                        })
                        .collect()
                })
            })
            .unwrap_or_default();
        if self.rules.must_diagnose.is_none() && self.rules.may_ask {
            let asked = self.asked();
            if let Some(question) = FALLBACK_QUESTIONS
                .iter()
                .find(|q| !asked.contains(&normalize(q)))
            {
                return Consensus {
                    differential,
                    action: PanelAction::Ask(vec![question.to_string()]),
                    reasons: "The panel could not agree on a valid action, so it takes the \
                              history step by step."
                        .into(),
                };
            }
        }
        let (diagnosis, confidence) = differential
            .first()
            .map(|c| (c.diagnosis.clone(), c.probability))
            .unwrap_or_else(|| ("No diagnosis reached".to_string(), 0.0));
        Consensus {
            differential,
            action: PanelAction::Diagnose {
                diagnosis,
                confidence,
            },
            reasons: "The panel could not agree on a valid action, so it commits to the \
                      diagnosis it last ranked first."
                .into(),
        }
    }

    /// Prices and validity of the tests named in `texts` (lines `Test: <name>`), for the
    /// personas who weigh cost and check names.
    pub fn price_sheet(&self, texts: &[&str]) -> String {
        let mut seen = Vec::new();
        let mut lines = Vec::new();
        for text in texts {
            for name in proposed_tests(text) {
                let key = normalize(&name);
                if seen.contains(&key) {
                    continue;
                }
                seen.push(key);
                lines.push(match self.prices.lookup(&name) {
                    Lookup::Found(test) => {
                        let again = if self.state.ordered.iter().any(|o| o.name == test.name) {
                            " — already ordered"
                        } else {
                            ""
                        };
                        format!(
                            "- {name}: {} (CPT {}), ${}{again}",
                            test.name, test.cpt, test.price
                        )
                    }
                    Lookup::Unknown(close) => {
                        let close: Vec<&str> = close.iter().map(|t| t.name.as_str()).collect();
                        format!(
                            "- {name}: not in the price table{}",
                            if close.is_empty() {
                                String::new()
                            } else {
                                format!(" (closest: {})", close.join("; "))
                            }
                        )
                    }
                });
            }
        }
        if lines.is_empty() {
            "No tests were proposed.".into()
        } else {
            format!("Prices of the proposed tests:\n{}", lines.join("\n"))
        }
    }
}

/// Test names a persona listed as `Test: <name>` lines.
pub fn proposed_tests(text: &str) -> Vec<String> {
    text.lines()
        .filter_map(|line| {
            let line = line.trim_start_matches(|c: char| !c.is_alphanumeric());
            let (head, rest) = line.split_once(':')?;
            head.trim()
                .eq_ignore_ascii_case("test")
                .then(|| {
                    rest.trim()
                        .trim_matches(['*', '_', '`', '.'])
                        .trim()
                        .to_string()
                })
                .filter(|name| !name.is_empty())
        })
        .collect()
}

#[cfg(test)]
mod tests;

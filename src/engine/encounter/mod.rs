//! One work-up of one case: the state (spend, visit round, ordered tests, transcript, verdict)
//! and the step function that applies an action to it. A refused step changes nothing.

use super::case::Case;
use super::gatekeeper::{asks_for_diagnosis, Gatekeeper, Report, REFUSAL};
use super::judge::Judge;
use super::prices::{Lookup, PriceTable, PricedTest};
mod actors;

use crate::protocol::{Action, Actor, ErrorCode, Money, PanelTurn, Verdict};
pub use crate::protocol::{OrderedTest, Turn};
pub use actors::Actors;
use serde::{Deserialize, Serialize};

/// What the engine needs besides the state.
pub struct Engine<'a> {
    /// The case being worked.
    pub case: &'a Case,
    /// Prices.
    pub prices: &'a PriceTable,
    /// Answers questions and tests.
    pub gatekeeper: &'a dyn Gatekeeper,
    /// Scores the diagnosis.
    pub judge: &'a dyn Judge,
    /// The price of one physician visit (a round of questions).
    pub visit_cost: Money,
    /// Prices names the table cannot match (a language model), if configured.
    pub estimator: Option<&'a dyn crate::engine::prices::estimate::TestEstimator>,
}

/// Open or closed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    /// Accepting actions.
    #[default]
    Open,
    /// A diagnosis was given.
    Closed,
}

/// The whole state of an encounter (what the database keeps after every turn).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct EncounterState {
    /// Spend so far.
    pub spent: Money,
    /// The budget fixed at creation.
    pub budget: Option<Money>,
    /// True between the first question of a round and the next test or diagnosis.
    pub in_visit: bool,
    /// How many visits were charged.
    pub visits: u32,
    /// Every test ordered, in order (repeats included).
    pub ordered: Vec<OrderedTest>,
    /// Every exchange.
    pub transcript: Vec<Turn>,
    /// Open or closed.
    pub status: Status,
    /// The verdict, once given (`None` also for a case without a diagnosis).
    pub verdict: Option<Verdict>,
    /// The AI panel's deliberations, when a panel worked or advised on this encounter.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub panel: Vec<PanelTurn>,
    /// Who took each step and ordered each test.
    #[serde(default, skip_serializing_if = "Actors::is_empty")]
    pub actors: Actors,
}

/// What a step produced.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StepOutcome {
    /// The reply text.
    pub reply: String,
    /// What this step cost.
    pub cost: Money,
    /// Set on a diagnosis: the verdict, or `None` for a case without a diagnosis.
    pub verdict: Option<Option<Verdict>>,
    /// True when a price in this step was estimated.
    pub estimate: bool,
}

/// Why a step was refused (nothing changed).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    /// Machine code.
    pub code: ErrorCode,
    /// Human text.
    pub message: String,
    /// For an unknown test: the closest priced names, best first.
    pub suggestions: Vec<String>,
}

impl Refusal {
    /// A refusal with no suggestions.
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
            suggestions: Vec::new(),
        }
    }
}

/// The refusal of a step whose gatekeeper or judge could not answer: nothing was charged.
fn unavailable(why: super::EngineError) -> Refusal {
    Refusal::new(
        ErrorCode::Internal,
        format!("{why} Nothing was charged; try again."),
    )
}

impl EncounterState {
    /// A new encounter with an optional budget.
    pub fn new(budget: Option<Money>) -> Self {
        Self {
            budget,
            ..Self::default()
        }
    }

    /// What is left of the budget, if one is set.
    pub fn remaining(&self) -> Option<Money> {
        self.budget.map(|b| Money(b.0 - self.spent.0))
    }

    /// Names of the tests ordered so far, in order.
    pub fn ordered_names(&self) -> Vec<String> {
        self.ordered.iter().map(|t| t.name.clone()).collect()
    }

    fn affordable(&self, cost: Money, what: &str) -> Result<(), Refusal> {
        match self.budget {
            Some(budget) if self.spent.0 + cost.0 > budget.0 => Err(Refusal::new(
                ErrorCode::OverBudget,
                format!(
                    "Over budget: {what} costs ${cost}, but only ${} of the ${budget} budget is left. Nothing was charged.",
                    Money(budget.0 - self.spent.0)
                ),
            )),
            _ => Ok(()),
        }
    }

    /// Applies one action of the encounter's user, name unrecorded (see [`Self::step_by`]).
    pub async fn step(
        &mut self,
        engine: &Engine<'_>,
        action: Action,
        content: &str,
    ) -> Result<StepOutcome, Refusal> {
        self.step_by(engine, action, content, &Actor::default())
            .await
    }

    /// Applies one action taken by `actor`, and records who took it. On a refusal the state is
    /// unchanged.
    pub async fn step_by(
        &mut self,
        engine: &Engine<'_>,
        action: Action,
        content: &str,
        actor: &Actor,
    ) -> Result<StepOutcome, Refusal> {
        let tests_before = self.ordered.len();
        if self.status == Status::Closed {
            return Err(Refusal::new(ErrorCode::EncounterClosed, "encounter closed"));
        }
        let outcome = match action {
            Action::Question => self.question(engine, content).await?,
            Action::Test => self.order(engine, content).await?,
            Action::Diagnosis => self.diagnose(engine, content, actor).await?,
            Action::Ping | Action::Panel | Action::PanelRun => {
                return Err(Refusal::new(
                    ErrorCode::InvalidAction,
                    format!("{} is not an encounter step", action.as_str()),
                ))
            }
        };
        self.spent = Money(self.spent.0 + outcome.cost.0);
        self.actors.set_step(self.transcript.len(), actor);
        self.actors
            .set_tests(tests_before, self.ordered.len(), actor);
        self.transcript.push(Turn {
            action,
            content: content.to_string(),
            reply: outcome.reply.clone(),
            cost: outcome.cost,
        });
        Ok(outcome)
    }

    async fn question(
        &mut self,
        engine: &Engine<'_>,
        content: &str,
    ) -> Result<StepOutcome, Refusal> {
        // A question that asks for the diagnosis is refused by every gatekeeper: it is no visit
        // and costs nothing.
        if asks_for_diagnosis(content) {
            return Ok(StepOutcome {
                reply: REFUSAL.to_string(),
                cost: Money(0),
                verdict: None,
                estimate: false,
            });
        }
        let cost = if self.in_visit {
            Money(0)
        } else {
            engine.visit_cost
        };
        if cost.0 > 0 {
            self.affordable(cost, "a physician visit")?;
        }
        let reply = engine
            .gatekeeper
            .answer(engine.case, content)
            .await
            .map_err(unavailable)?;
        if !self.in_visit {
            self.in_visit = true;
            self.visits += 1;
        }
        Ok(StepOutcome {
            reply,
            cost,
            verdict: None,
            estimate: false,
        })
    }

    async fn order(&mut self, engine: &Engine<'_>, content: &str) -> Result<StepOutcome, Refusal> {
        let parts = engine.prices.split_order(content);
        // (row, estimated price?) for every part; a name the table cannot match goes to the
        // estimator when there is one.
        let mut found: Vec<(PricedTest, bool)> = Vec::new();
        let mut unknown = Vec::new();
        for part in &parts {
            match engine.prices.lookup(part) {
                Lookup::Found(test) => found.push((test.clone(), false)),
                Lookup::Unknown(suggestions) => {
                    let mapped = match engine.estimator {
                        Some(estimator) => estimator
                            .estimate(part, engine.prices)
                            .await
                            .map_err(unavailable)?,
                        None => None,
                    };
                    match mapped {
                        Some(e) => found.push((e.test, e.estimate)),
                        None => unknown.push((part.clone(), suggestions)),
                    }
                }
            }
        }
        if let Some((name, suggestions)) = unknown.first() {
            let names: Vec<&str> = suggestions.iter().map(|t| t.name.as_str()).collect();
            let hint = if names.is_empty() {
                String::new()
            } else {
                format!(" Did you mean: {}?", names.join("; "))
            };
            return Err(Refusal {
                suggestions: names.iter().map(|n| n.to_string()).collect(),
                ..Refusal::new(
                    ErrorCode::UnknownTest,
                    format!("Unknown test \"{name}\": it is not in the price table.{hint}"),
                )
            });
        }
        let cost = Money(found.iter().map(|(t, _)| t.price.0).sum());
        let what = if found.len() == 1 {
            found[0].0.name.clone()
        } else {
            format!("this order of {} tests", found.len())
        };
        self.affordable(cost, &what)?;
        // Every result first: if one cannot be had, the order is refused and nothing changes.
        let mut results = Vec::with_capacity(found.len());
        for (test, estimate) in &found {
            // A repeat of the same table row gives the same report; another row that shares the
            // CPT code (C3 and C4, troponin I and T) is a different test with its own result.
            let previous = self
                .ordered
                .iter()
                .chain(results.iter())
                .find(|o| o.name == test.name)
                .map(|o| Report {
                    text: o.result.clone(),
                    source: o.source,
                });
            let report = match previous {
                Some(report) => report,
                None => engine
                    .gatekeeper
                    .result(engine.case, test, engine.prices)
                    .await
                    .map_err(unavailable)?,
            };
            results.push(OrderedTest {
                name: test.name.clone(),
                cpt: test.cpt.clone(),
                price: test.price,
                result: report.text,
                estimate: *estimate,
                source: report.source,
            });
        }
        self.in_visit = false;
        let lines: Vec<String> = results
            .iter()
            .map(|t| {
                if t.estimate {
                    format!(
                        "{} [${}, estimated: CPT {} is not in the price table]",
                        t.result, t.price, t.cpt
                    )
                } else if let Some(note) = t.source.note() {
                    format!("{} [{note}] [${}]", t.result, t.price)
                } else {
                    format!("{} [${}]", t.result, t.price)
                }
            })
            .collect();
        let estimate = results.iter().any(|t| t.estimate);
        self.ordered.extend(results);
        Ok(StepOutcome {
            reply: lines.join("\n"),
            cost,
            verdict: None,
            estimate,
        })
    }

    async fn diagnose(
        &mut self,
        engine: &Engine<'_>,
        content: &str,
        actor: &Actor,
    ) -> Result<StepOutcome, Refusal> {
        let judgement = engine
            .judge
            .judge(engine.case, content)
            .await
            .map_err(unavailable)?;
        self.in_visit = false;
        self.status = Status::Closed;
        let verdict = match (judgement, &engine.case.diagnosis) {
            (Some(j), Some(truth)) => Some(Verdict {
                score: j.score,
                correct: j.correct(),
                diagnosis: truth.clone(),
                given: content.to_string(),
                rationale: j.rationale,
                teaching_points: engine.case.teaching_points.clone(),
                total_cost: self.spent,
                actor: actor.clone(),
                judged_by: j.by,
            }),
            _ => None,
        };
        let reply = match &verdict {
            Some(v) => format!(
                "{} (score {}/5). The diagnosis was {}. {} Total cost: ${}.",
                if v.correct { "Correct" } else { "Incorrect" },
                v.score,
                v.diagnosis,
                v.rationale,
                v.total_cost
            ),
            None => format!(
                "Diagnosis recorded: \"{content}\". This case has no recorded diagnosis, so it cannot be judged. Total cost: ${}.",
                self.spent
            ),
        };
        self.verdict = verdict.clone();
        Ok(StepOutcome {
            reply,
            cost: Money(0),
            verdict: Some(verdict),
            estimate: false,
        })
    }
}

#[cfg(test)]
mod tests;

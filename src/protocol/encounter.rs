//! What the UI and `/api/v1/encounters` show of cases and encounters (serde only).

use super::{Action, Actor, Money, ServerFrame, Verdict};
use serde::{Deserialize, Serialize};

/// One exchange of an encounter.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Turn {
    /// question, test or diagnosis.
    pub action: Action,
    /// What was asked, ordered or diagnosed (who did it: [`ActedTurn`]).
    pub content: String,
    /// What the case answered.
    pub reply: String,
    /// What it cost.
    pub cost: Money,
}

/// A test ordered in an encounter.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrderedTest {
    /// Canonical name.
    pub name: String,
    /// CPT code.
    pub cpt: String,
    /// What was charged.
    pub price: Money,
    /// The report.
    pub result: String,
    /// True when the price is an estimate.
    #[serde(default)]
    pub estimate: bool,
    /// Whether the report is the case's own, synthesised, or not available in the case record.
    #[serde(default, skip_serializing_if = "ResultSource::is_case")]
    pub source: ResultSource,
}

/// Where a test's report came from.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ResultSource {
    /// The case's own result.
    #[default]
    Case,
    /// Written for a test the case does not list, consistent with the case.
    Synthesised,
    /// The case record holds no result, and none could be written consistently.
    Unavailable,
}

impl ResultSource {
    /// True for the case's own result.
    pub fn is_case(&self) -> bool {
        *self == ResultSource::Case
    }

    /// How the record marks a report that is not the case's own, if it is not.
    pub fn note(self) -> Option<&'static str> {
        match self {
            ResultSource::Case => None,
            ResultSource::Synthesised => Some("not in the case record: synthesised"),
            ResultSource::Unavailable => Some("not in the case record"),
        }
    }
}

/// A step with who took it: the form pages, the API and exports show.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ActedTurn {
    /// The step.
    #[serde(flatten)]
    pub turn: Turn,
    /// Who took it.
    #[serde(default)]
    pub actor: Actor,
}

/// An ordered test with who ordered it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ActedTest {
    /// The test and its result.
    #[serde(flatten)]
    pub test: OrderedTest,
    /// Who ordered it.
    #[serde(default)]
    pub actor: Actor,
}

/// A saved step as a page shows it: the step with who took it, the tests it ordered with their
/// results, and whether a visit is under way after it. Sent with the answer, so the page applies
/// it to its copy instead of fetching the whole encounter again.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Applied {
    /// The step and who took it.
    pub step: ActedTurn,
    /// The tests the step ordered, with their results.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tests: Vec<ActedTest>,
    /// A visit is under way after the step (the next question is part of it).
    #[serde(default)]
    pub in_visit: bool,
}

/// A case as the library lists it (never its findings or diagnosis).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CaseCard {
    /// Stable id.
    pub id: String,
    /// Short title.
    pub title: String,
    /// Specialty tag.
    pub specialty: String,
    /// easy, medium or hard.
    pub difficulty: String,
    /// The abstract shown at the start.
    pub summary: String,
    /// The caller's newest open encounter on this case, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub open_encounter: Option<String>,
}

/// One encounter in a list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EncounterSummary {
    /// Stable id.
    pub id: String,
    /// The case worked.
    pub case_id: String,
    /// Its title (absent when the case is gone).
    pub case_title: Option<String>,
    /// open or closed.
    pub status: String,
    /// Everything spent so far.
    pub total_spent: Money,
    /// The budget fixed at creation.
    pub budget: Option<Money>,
    /// Every test ordered, in order.
    pub ordered_tests: Vec<String>,
    /// The verdict, once given.
    pub verdict: Option<Verdict>,
    /// Who gave the diagnosis that closed the encounter (also for a case that cannot be
    /// judged); absent while open.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub diagnosed_by: Option<Actor>,
    /// Unix seconds.
    pub created_at: i64,
    /// Unix seconds.
    pub updated_at: i64,
}

/// One encounter, whole: what the encounter page renders.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EncounterView {
    /// The list fields.
    #[serde(flatten)]
    pub summary: EncounterSummary,
    /// The case's abstract.
    pub case_summary: Option<String>,
    /// What is left of the budget, when one is set.
    pub remaining_budget: Option<Money>,
    /// Every exchange, with who took it.
    pub transcript: Vec<ActedTurn>,
    /// Every test ordered, with its result and who ordered it.
    pub tests: Vec<ActedTest>,
    /// True between the first question of a round and the next test or diagnosis (the next
    /// question is then free).
    pub in_visit: bool,
    /// The price of a physician visit.
    pub visit_cost: Money,
    /// False for a case without a recorded diagnosis (it can be worked but not judged).
    pub has_diagnosis: bool,
    /// The AI panel's deliberations on this encounter, oldest first.
    #[serde(default)]
    pub panel: Vec<super::PanelTurn>,
    /// The AI panel's engine here (`llm` or `offline`).
    #[serde(default)]
    pub panel_engine: String,
}

impl EncounterView {
    /// True while actions are accepted.
    pub fn is_open(&self) -> bool {
        self.summary.status == "open"
    }

    /// Applies a step the server saved, with the encounter's money and tests after it: the
    /// copy then matches the stored encounter.
    pub fn apply(
        &mut self,
        applied: &Applied,
        total_spent: Money,
        remaining_budget: Option<Money>,
        ordered_tests: &[String],
    ) {
        self.transcript.push(applied.step.clone());
        self.tests.extend(applied.tests.iter().cloned());
        self.in_visit = applied.in_visit;
        self.summary.total_spent = total_spent;
        self.summary.ordered_tests = ordered_tests.to_vec();
        self.remaining_budget = remaining_budget;
    }

    /// Closes the copy with the verdict its diagnosis received (`None`: the case has no
    /// recorded diagnosis); the diagnosis is the last one in the transcript.
    pub fn close(&mut self, verdict: Option<Verdict>) {
        self.summary.status = "closed".into();
        self.summary.verdict = verdict;
        self.summary.diagnosed_by = self
            .transcript
            .iter()
            .rev()
            .find(|t| t.turn.action == Action::Diagnosis)
            .map(|t| t.actor.clone());
        self.in_visit = false;
    }
}

/// A priced test, as `/api/v1/tests?q=` and the order box show it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TestPrice {
    /// Canonical name.
    pub name: String,
    /// CPT code.
    pub cpt: String,
    /// Price.
    pub price: Money,
    /// True for an estimated price.
    pub estimate: bool,
}

/// What starting an encounter from the library gave.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum StartOutcome {
    /// The encounter exists; the page goes to it.
    Started {
        /// Its id.
        id: String,
    },
    /// Why not (a bad budget, an unknown case, nobody signed in).
    Refused {
        /// For the physician.
        message: String,
    },
}

impl EncounterView {
    /// Applies what a server frame says was saved (a step, a deliberation, a verdict), so the
    /// copy matches the stored encounter without fetching it again; other frames change
    /// nothing.
    pub fn apply_frame(&mut self, frame: &ServerFrame) {
        match frame {
            ServerFrame::Done(done) => {
                match &done.applied {
                    Some(applied) => self.apply(
                        applied,
                        done.total_spent,
                        done.remaining_budget,
                        &done.ordered_tests,
                    ),
                    None => {
                        self.summary.total_spent = done.total_spent;
                        self.remaining_budget = done.remaining_budget;
                        self.summary.ordered_tests = done.ordered_tests.clone();
                    }
                }
                if let Some(verdict) = &done.verdict {
                    self.close(verdict.clone());
                }
            }
            ServerFrame::Step(step) => {
                let applied = Applied {
                    step: ActedTurn {
                        turn: step.step.clone(),
                        actor: step.actor.clone(),
                    },
                    tests: step.tests.clone(),
                    in_visit: step.in_visit,
                };
                self.apply(
                    &applied,
                    step.total_spent,
                    step.remaining_budget,
                    &step.ordered_tests,
                );
            }
            ServerFrame::Deliberation(turn) => self.panel.push(turn.turn.clone()),
            ServerFrame::Reply(_)
            | ServerFrame::Panel(_)
            | ServerFrame::Error(_)
            | ServerFrame::Pong(_) => {}
        }
    }
}

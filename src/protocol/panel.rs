//! What the AI panel said in one turn: each persona's contribution, the differential and the
//! one action agreed on. Kept in the encounter's state and shown to physicians.

use super::{Actor, Money, PanelActor, Turn};
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// One persona's words in one turn.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PanelContribution {
    /// The persona's key (`hypothesis`, `test-chooser`, `challenger`, `stewardship`,
    /// `checklist`).
    pub persona: String,
    /// What it said (or why it could not take part).
    pub text: String,
    /// True when it could not take part this turn.
    #[serde(default)]
    pub failed: bool,
}

/// One entry of the panel's differential.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PanelCandidate {
    /// The diagnosis.
    pub diagnosis: String,
    /// Its probability, 0 to 1.
    pub probability: f64,
}

/// The action the panel agreed on.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "lowercase")]
pub enum PanelProposal {
    /// Questions for the patient.
    Ask {
        /// One to three questions.
        questions: Vec<String>,
    },
    /// Tests to order.
    Order {
        /// One to three test names.
        tests: Vec<String>,
    },
    /// A final diagnosis.
    Diagnose {
        /// The diagnosis.
        diagnosis: String,
        /// How sure the panel is, 0 to 1.
        confidence: f64,
    },
}

impl PanelProposal {
    /// The kind of step, capitalised: `Ask`, `Order`, `Diagnose`.
    pub fn verb(&self) -> &'static str {
        match self {
            PanelProposal::Ask { .. } => "Ask",
            PanelProposal::Order { .. } => "Order",
            PanelProposal::Diagnose { .. } => "Diagnose",
        }
    }

    /// What the step names: the questions, the tests, or the diagnosis with its confidence.
    pub fn detail(&self) -> String {
        match self {
            PanelProposal::Ask { questions } => questions.join(" / "),
            PanelProposal::Order { tests } => tests.join("; "),
            PanelProposal::Diagnose {
                diagnosis,
                confidence,
            } => format!("{diagnosis} ({:.0}% sure)", confidence * 100.0),
        }
    }

    /// The step in words: "ask Q1 / Q2", "order T1; T2", "diagnose D (80% sure)".
    pub fn describe(&self) -> String {
        format!("{} {}", self.verb().to_lowercase(), self.detail())
    }
}

/// One turn of deliberation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PanelTurn {
    /// The turn's number, from 1 (per ensemble member).
    pub turn: u32,
    /// The ensemble member (from 1) that deliberated, when the panel ran as an ensemble.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub member: Option<u32>,
    /// The transcript position of the step this turn led to.
    pub at: usize,
    /// Each persona's contribution, in speaking order.
    pub contributions: Vec<PanelContribution>,
    /// The differential, most likely first.
    pub differential: Vec<PanelCandidate>,
    /// The action agreed on.
    pub proposal: PanelProposal,
    /// Why.
    pub reasons: String,
    /// What went wrong and how it was handled (a repaired answer, a fallback, a refusal).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
    /// Which panel deliberated (absent in turns stored before actors were recorded).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub by: Option<PanelActor>,
}

impl PanelTurn {
    /// The differential in words: "A 60% · B 20%" (empty when there is none).
    pub fn differential_text(&self) -> String {
        self.differential
            .iter()
            .map(|c| format!("{} {:.0}%", c.diagnosis, c.probability * 100.0))
            .collect::<Vec<_>>()
            .join(" · ")
    }
}

/// The name shown for a persona's key.
pub fn persona_title(key: &str) -> &'static str {
    match key {
        "hypothesis" => "Dr. Hypothesis",
        "test-chooser" => "Dr. Test-Chooser",
        "challenger" => "Dr. Challenger",
        "stewardship" => "Dr. Stewardship",
        "checklist" => "Dr. Checklist",
        _ => "A panel member",
    }
}

// The panel's socket frames (answers to the `panel` and `panel_run` actions).

/// A piece of one persona's contribution.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PanelWordsFrame {
    /// The persona's key.
    pub persona: String,
    /// The new text.
    pub text: String,
    /// The client frame's `id`, echoed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<Value>,
}

/// One complete panel turn.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DeliberationFrame {
    /// The turn, as kept in the encounter.
    #[serde(flatten)]
    pub turn: PanelTurn,
    /// The client frame's `id`, echoed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<Value>,
}

/// One step taken by the panel.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StepFrame {
    /// The step.
    #[serde(flatten)]
    pub step: Turn,
    /// Who took it (the panel).
    #[serde(default)]
    pub actor: Actor,
    /// The encounter's total spend.
    pub total_spent: Money,
    /// What is left of the budget, only when a budget is set.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub remaining_budget: Option<Money>,
    /// The tests the step ordered, with their results.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tests: Vec<super::ActedTest>,
    /// A visit is under way after the step.
    #[serde(default)]
    pub in_visit: bool,
    /// Every test ordered so far.
    #[serde(default)]
    pub ordered_tests: Vec<String>,
    /// The client frame's `id`, echoed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<Value>,
}

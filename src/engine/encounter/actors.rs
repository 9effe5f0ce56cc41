//! Who took each step and ordered each test of an encounter, by position.
//!
//! Kept beside the transcript rather than inside `Turn` and `OrderedTest`, so every encounter
//! stored before actors were recorded loads unchanged and every literal of those types stays
//! valid. A position without an entry (anything recorded before) is the user's: until then only
//! the physician could take steps.

use super::EncounterState;
use crate::protocol::{ActedTest, ActedTurn, Action, Actor};
use serde::{Deserialize, Serialize};

/// The actor of every step and every ordered test, by position.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Actors {
    /// By transcript position.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    steps: Vec<Actor>,
    /// By position in the ordered tests.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    tests: Vec<Actor>,
}

fn set(list: &mut Vec<Actor>, at: usize, actor: &Actor) {
    if list.len() <= at {
        list.resize(at + 1, Actor::default());
    }
    list[at] = actor.clone();
}

impl Actors {
    /// True when nothing was recorded (every step is the user's).
    pub fn is_empty(&self) -> bool {
        self.steps.is_empty() && self.tests.is_empty()
    }

    /// Who took the step at transcript position `at`.
    pub fn step(&self, at: usize) -> Actor {
        self.steps.get(at).cloned().unwrap_or_default()
    }

    /// Who ordered the test at position `at`.
    pub fn test(&self, at: usize) -> Actor {
        self.tests.get(at).cloned().unwrap_or_default()
    }

    /// Records who took the step at transcript position `at`.
    pub fn set_step(&mut self, at: usize, actor: &Actor) {
        set(&mut self.steps, at, actor);
    }

    /// Records who ordered the tests at positions `from..to`.
    pub fn set_tests(&mut self, from: usize, to: usize, actor: &Actor) {
        for at in from..to {
            set(&mut self.tests, at, actor);
        }
    }
}

impl EncounterState {
    /// Every step with who took it, in order.
    pub fn acted_transcript(&self) -> Vec<ActedTurn> {
        self.transcript
            .iter()
            .enumerate()
            .map(|(at, turn)| ActedTurn {
                turn: turn.clone(),
                actor: self.actors.step(at),
            })
            .collect()
    }

    /// Every ordered test with who ordered it, in order.
    pub fn acted_tests(&self) -> Vec<ActedTest> {
        self.ordered
            .iter()
            .enumerate()
            .map(|(at, test)| ActedTest {
                test: test.clone(),
                actor: self.actors.test(at),
            })
            .collect()
    }

    /// Who gave the diagnosis that closed the encounter; `None` while it is open.
    pub fn diagnosed_by(&self) -> Option<Actor> {
        if self.status != super::Status::Closed {
            return None;
        }
        let at = self
            .transcript
            .iter()
            .rposition(|t| t.action == Action::Diagnosis)?;
        Some(self.actors.step(at))
    }

    /// True when the AI panel took any step.
    pub fn panel_acted(&self) -> bool {
        (0..self.transcript.len()).any(|at| self.actors.step(at).is_panel())
    }
}

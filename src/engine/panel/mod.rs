//! The virtual panel (after MAI-DxO): five physician personas deliberate each turn and a
//! consensus step emits one action. This module holds what every panel engine shares — the
//! personas, the consensus schema, the brief a panel reads, the checks its action must pass —
//! the LLM panel, and the runner that works a case with any panel in any mode.

mod brief;
mod consensus;
mod fit;
mod llm_panel;
pub mod offline;
mod personas;
mod run;
mod vote;

pub use brief::{proposed_tests, Brief, Rules};
pub use consensus::{parse_consensus, Candidate, Consensus, PanelAction, MAX_ITEMS};
pub use llm_panel::LlmPanel;
pub use personas::Persona;
pub use run::{
    consult, panel_actor, run_panel, run_turn, Mode, RunEvent, RunOptions, RunOutcome, RunSink,
    TurnEnd, TurnHook,
};
pub use vote::{vote, Ballot, Tally};

use crate::protocol::PanelContribution;

/// Receives a persona's words as they are produced.
pub type PersonaSink<'a> = &'a (dyn Fn(Persona, &str) + Send + Sync);

/// One turn's deliberation: what each persona said and the action agreed on.
#[derive(Debug, Clone, PartialEq)]
pub struct Deliberation {
    /// Each persona's contribution, in speaking order.
    pub contributions: Vec<PanelContribution>,
    /// The decision; it has passed [`Brief::check`].
    pub consensus: Consensus,
    /// What went wrong and how it was handled.
    pub notes: Vec<String>,
}

/// A diagnostic panel: the LLM panel, or the offline Bayesian one.
#[async_trait::async_trait]
pub trait Panel: Send + Sync {
    /// The engine's name (`llm`, `offline`).
    fn engine(&self) -> &'static str;

    /// The language model(s) it deliberates with; `None` for an engine without one.
    fn model(&self) -> Option<String> {
        None
    }

    /// Deliberates one turn over `brief`; streams each persona's words into `sink`.
    async fn deliberate(
        &self,
        brief: &Brief<'_>,
        sink: Option<PersonaSink<'_>>,
    ) -> Result<Deliberation, crate::engine::EngineError>;
}

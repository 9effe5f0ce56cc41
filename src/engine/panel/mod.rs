//! The virtual panel (after MAI-DxO): five physician personas deliberate each turn and a
//! consensus step emits one action. This module holds what every panel engine shares — the
//! personas, the consensus schema and its parser; the orchestrators (LLM and offline) build on it.

mod consensus;
mod personas;

pub use consensus::{parse_consensus, Candidate, Consensus, PanelAction, MAX_ITEMS};
pub use personas::Persona;

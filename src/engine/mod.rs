//! The domain, free of any web or UI crate: cases, the gatekeeper, prices, the judge and the
//! encounter state machine.

pub mod case;
pub mod encounter;
mod error;
pub mod fhir;
pub mod gatekeeper;
pub mod import;
pub mod judge;
pub mod lexicon;
pub mod library;
mod llm_json;
pub mod panel;
pub mod prices;
pub mod retrieval;
pub mod text;

pub use case::{Case, Difficulty};
pub use encounter::{EncounterState, Engine, Refusal, StepOutcome};
pub use error::EngineError;
pub use gatekeeper::llm::LlmGatekeeper;
pub use gatekeeper::{Gatekeeper, LeakGuard, OfflineGatekeeper};
pub use judge::llm::LlmJudge;
pub use judge::{Judge, OfflineJudge};
pub use prices::estimate::{LlmEstimator, TestEstimator};
pub use prices::PriceTable;

#[cfg(test)]
mod probes;

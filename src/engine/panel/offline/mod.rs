//! The offline AI panel: Bayesian sequential diagnosis over the bundled knowledge base
//! (`data/knowledge/`) — read what was revealed into findings, update the posterior, take the
//! step with the best expected information per dollar, diagnose when sure enough.

mod knowledge;
mod model;
mod panel;
mod reading;

pub use knowledge::{Direction, Disease, Finding, Kind, Knowledge};
pub use model::{entropy, gain, posterior, Evidence};
pub use panel::{bundled_panel, OfflinePanel, CONFIDENT};
pub use reading::{read, read_prepared, Prepared};

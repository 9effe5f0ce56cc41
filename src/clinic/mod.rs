//! The encounter service: the one place where an encounter is loaded, stepped, saved under its
//! version check, and worked by the AI panel turn by turn, each turn saved as it ends. The
//! socket, `dx0 run` and server functions call it and translate its typed results and events
//! into frames, lines or views; none of them touches the stored state themselves. Also the one
//! composition root ([`Clinic::configured`]) that builds gatekeeper, judge, prices and panel from
//! the configuration for `serve`, `run` and the tests.

mod cases;
mod compose;
mod memory;
mod panel;
mod service;

pub use cases::{case_record, install_bundled_cases};
pub use compose::{llm_client, llm_panel, StoreCache};
pub use panel::{PanelEnd, PanelEvent, PanelSink, StopRun, RUN_TURNS};
pub use service::{parse_state, Encounters, Loaded, Standing, Stepped, Target, CONFLICT};

use crate::engine::panel::Panel;
use crate::engine::{Case, Engine, Gatekeeper, Judge, PriceTable};
use crate::protocol::Money;
use std::sync::Arc;

/// Prices, gatekeeper, judge and costs: what every encounter shares.
#[derive(Clone)]
pub struct Clinic {
    /// The price table.
    pub prices: Arc<PriceTable>,
    /// Answers questions and tests.
    pub gatekeeper: Arc<dyn Gatekeeper>,
    /// Scores diagnoses.
    pub judge: Arc<dyn Judge>,
    /// One physician visit.
    pub visit_cost: Money,
    /// The budget of new encounters when the socket names none.
    pub default_budget: Option<Money>,
    /// The case a socket opens when it names none (else the bundled default).
    pub default_case: Option<String>,
    /// Prices test names the table cannot match (with a language model only).
    pub estimator: Option<Arc<dyn crate::engine::TestEstimator>>,
    /// The AI panel ("Ask the panel", "Let the panel run"): offline unless a model is set.
    pub panel: Arc<dyn Panel>,
}

impl Clinic {
    /// The offline clinic: bundled prices, offline gatekeeper and judge.
    pub fn offline(
        visit_cost: Money,
        default_budget: Option<Money>,
        default_case: Option<String>,
    ) -> Self {
        let prices = PriceTable::bundled();
        let panel: Arc<dyn Panel> = match crate::engine::panel::offline::bundled_panel(&prices) {
            Ok(panel) => Arc::new(panel),
            Err(why) => {
                tracing::error!("{why}");
                Arc::new(UnavailablePanel(why))
            }
        };
        Self {
            prices: Arc::new(prices),
            panel,
            gatekeeper: Arc::new(crate::engine::OfflineGatekeeper),
            judge: Arc::new(crate::engine::OfflineJudge),
            visit_cost,
            default_budget,
            default_case,
            estimator: None,
        }
    }
}

impl Clinic {
    /// The budget of a new encounter from what the physician typed: blank means the configured
    /// default; otherwise a dollar amount, or `None` when it is not one.
    pub fn budget_for(&self, typed: Option<&str>) -> Option<Option<Money>> {
        match typed.map(str::trim).filter(|t| !t.is_empty()) {
            None => Some(self.default_budget),
            Some(text) => Money::parse_dollars(text).map(Some),
        }
    }

    /// What the encounter state machine needs to work `case` in this clinic.
    pub fn engine<'a>(&'a self, case: &'a Case) -> Engine<'a> {
        Engine {
            case,
            prices: &self.prices,
            gatekeeper: self.gatekeeper.as_ref(),
            judge: self.judge.as_ref(),
            visit_cost: self.visit_cost,
            estimator: self.estimator.as_deref(),
        }
    }

    /// The same clinic with a language model as gatekeeper and judge (prices and costs stay).
    pub fn with_llm(self, client: Arc<dyn crate::llm::LlmClient>) -> Self {
        Self {
            gatekeeper: Arc::new(crate::engine::LlmGatekeeper::new(client.clone(), None)),
            judge: Arc::new(crate::engine::LlmJudge::new(client.clone(), None)),
            estimator: Some(Arc::new(crate::engine::LlmEstimator::new(client.clone()))),
            panel: Arc::new(crate::engine::panel::LlmPanel::new(client)),
            ..self
        }
    }

    /// The same clinic with another AI panel.
    pub fn with_panel(self, panel: Arc<dyn Panel>) -> Self {
        Self { panel, ..self }
    }
}

/// A panel that cannot deliberate, and says why (a malformed knowledge base, say).
struct UnavailablePanel(String);

#[async_trait::async_trait]
impl Panel for UnavailablePanel {
    fn engine(&self) -> &'static str {
        "offline"
    }

    async fn deliberate(
        &self,
        _: &crate::engine::panel::Brief<'_>,
        _: Option<crate::engine::panel::PersonaSink<'_>>,
    ) -> Result<crate::engine::panel::Deliberation, crate::engine::EngineError> {
        Err(crate::engine::EngineError::PanelUnavailable(self.0.clone()))
    }
}

//! The gatekeeper: answers a question or a test order from the case and nothing else. Every
//! answer passes the leak guard, which withholds any text naming the diagnosis, a synonym, or a
//! teaching point.

mod ask;
mod describe;
mod diagnosis;
mod findings;
mod guard;
mod items;
pub mod llm;
mod prepared;
pub(crate) mod results;
mod select;
pub mod unlisted;

pub use diagnosis::asks_for_diagnosis;
pub(crate) use diagnosis::disease_shaped;
pub use guard::LeakGuard;

use super::case::Case;
use super::prices::{PriceTable, PricedTest};
use super::EngineError;
pub use crate::protocol::ResultSource;

/// What the gatekeeper says when a question asks for the diagnosis.
pub const REFUSAL: &str = "I can only report findings. The diagnosis is yours to make: ask about \
     symptoms, history or examination, or order tests.";
/// What it says when the case holds nothing on a question.
pub const NOTHING: &str = "The case holds no information on that.";

/// A test's report and where it came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Report {
    /// The report as shown.
    pub text: String,
    /// The case's own, synthesised, or not available.
    pub source: ResultSource,
}

/// Answers questions and test orders from a case.
#[async_trait::async_trait]
pub trait Gatekeeper: Send + Sync {
    /// Answers one question.
    async fn answer(&self, case: &Case, question: &str) -> Result<String, EngineError>;
    /// Reports one test's result (the case's, or one consistent with the case for a real test
    /// it does not list); `prices` tells which other rows share the test's CPT code.
    async fn result(
        &self,
        case: &Case,
        test: &PricedTest,
        prices: &PriceTable,
    ) -> Result<Report, EngineError>;
}

/// The offline gatekeeper: questions widened through the clinical lexicon and matched against
/// every item of the case (findings, or sentences of a free-text case); tests found under any
/// name.
#[derive(Debug, Clone, Copy, Default)]
pub struct OfflineGatekeeper;

#[async_trait::async_trait]
impl Gatekeeper for OfflineGatekeeper {
    async fn answer(&self, case: &Case, question: &str) -> Result<String, EngineError> {
        Ok(OfflineGatekeeper::answer(self, case, question))
    }

    async fn result(
        &self,
        case: &Case,
        test: &PricedTest,
        prices: &PriceTable,
    ) -> Result<Report, EngineError> {
        Ok(OfflineGatekeeper::result(self, case, test, prices))
    }
}

impl OfflineGatekeeper {
    /// Answers one question (never fails: everything is local).
    pub fn answer(&self, case: &Case, question: &str) -> String {
        if asks_for_diagnosis(question) {
            return REFUSAL.to_string();
        }
        let ready = prepared::prepared(case);
        let (guard, items) = (&ready.guard, &ready.items);
        let mut unique: Vec<String> = Vec::new();
        for q in findings::questions(question) {
            let answer = if asks_for_diagnosis(q) {
                REFUSAL.to_string()
            } else {
                guard.filter(findings::answer_one(items, q).unwrap_or_else(|| NOTHING.to_string()))
            };
            if !unique.contains(&answer) {
                unique.push(answer);
            }
        }
        guard.filter(unique.join(" "))
    }

    /// Reports one test's result.
    pub fn result(&self, case: &Case, test: &PricedTest, prices: &PriceTable) -> Report {
        results::report(case, &prepared::prepared(case).guard, test, prices)
    }
}

//! The gatekeeper with a language model: it holds the case (never its diagnosis field or
//! teaching points), answers only what was asked, and writes realistic results for tests the
//! case does not list, consistent with it. Diagnosis requests are refused before any model is
//! asked; the model's whole answer passes the leak guard sentence by sentence before any of it
//! leaves the engine.

use crate::engine::case::Case;
use crate::engine::gatekeeper::results::{label, recorded};
use crate::engine::gatekeeper::{
    asks_for_diagnosis, Gatekeeper, LeakGuard, OfflineGatekeeper, Report, ResultSource, NOTHING,
    REFUSAL,
};
use crate::engine::prices::{PriceTable, PricedTest};
use crate::engine::retrieval::sentences;
use crate::engine::EngineError;
use crate::llm::{ChatMessage, ChatRequest, LlmClient, LlmError};
use std::fmt::Write;
use std::sync::Arc;

const SYSTEM: &str = "You are the gatekeeper of a simulated clinical case in a diagnostic \
exercise. You hold the case given with each request; the physician does not see it. Answer only what the physician \
asks, briefly: history questions in the patient's own words (first person), examination requests \
as the examining clinician's findings. Use the case. When the case does not cover what was asked, \
answer as this patient plausibly would, or report an unremarkable finding, consistent with the \
case. Never name, hint at, confirm or exclude any diagnosis, even when asked; never suggest tests \
or interpret results. Do not volunteer findings that were not asked for.";

/// Answers from the case with a language model.
pub struct LlmGatekeeper {
    client: Arc<dyn LlmClient>,
    model: String,
}

impl LlmGatekeeper {
    /// A gatekeeper asking `client` (its default model unless `model` is set).
    pub fn new(client: Arc<dyn LlmClient>, model: Option<String>) -> Self {
        Self {
            client,
            model: model.unwrap_or_default(),
        }
    }

    async fn ask(&self, sheet: String, question: &str) -> Result<String, LlmError> {
        let request = ChatRequest {
            model: self.model.clone(),
            max_tokens: Some(400),
            // The case goes with the request, in the user message: every chat template keeps
            // that one (some drop system messages).
            ..ChatRequest::new(vec![
                ChatMessage::system(SYSTEM),
                ChatMessage::user(format!("{sheet}\nTHE PHYSICIAN'S REQUEST\n{question}")),
            ])
        };
        self.client.complete(&request, None).await.map(|a| a.text)
    }
}

/// A failed call as the encounter sees it: the step is refused, nothing charged.
fn unavailable(err: &LlmError) -> EngineError {
    tracing::warn!(error = %err, "the LLM gatekeeper did not answer");
    EngineError::ModelUnavailable(format!("The case could not answer just now ({err})."))
}

/// Says, once per process, that a case did not fit the model's context window and the offline
/// gatekeeper answered from the case instead.
fn answered_offline(err: &LlmError) {
    static SAID: std::sync::Once = std::sync::Once::new();
    SAID.call_once(|| {
        tracing::warn!(
            error = %err,
            "a case does not fit the language model's context window: the offline gatekeeper \
             answers from the case where it does not"
        );
    });
}

/// The case as the gatekeeper model sees it: everything the physician may uncover, and not the
/// answer key (diagnosis, synonyms, teaching points). A question is answered from the sheet
/// without the listed test results (`with_tests` false): a question never reveals a result that
/// only ordering the test may.
pub fn case_sheet(case: &Case, with_tests: bool) -> String {
    let mut sheet = format!("CASE\nAbstract: {}\n", case.summary);
    for (title, findings) in [("History", &case.history), ("Examination", &case.exam)] {
        if !findings.is_empty() {
            let _ = writeln!(sheet, "{title}:");
            for f in findings {
                let _ = writeln!(sheet, "- {}: {}", f.topic, f.answer);
            }
        }
    }
    if with_tests && !case.tests.is_empty() {
        let _ = writeln!(sheet, "Test results:");
        for t in &case.tests {
            let _ = writeln!(sheet, "- {}: {}", t.name, t.result);
        }
    }
    if let Some(text) = &case.full_text {
        let _ = writeln!(sheet, "Case text:\n{text}");
    }
    sheet
}

/// The sentences of `text` that name nothing of the answer key; `NOTHING` when none is left.
pub fn guarded(guard: &LeakGuard, text: &str) -> String {
    let kept: Vec<String> = sentences(text)
        .into_iter()
        .filter(|s| !guard.leaks(s))
        .collect();
    if kept.is_empty() {
        NOTHING.to_string()
    } else {
        guard.filter(kept.join(" "))
    }
}

#[async_trait::async_trait]
impl Gatekeeper for LlmGatekeeper {
    async fn answer(&self, case: &Case, question: &str) -> Result<String, EngineError> {
        if asks_for_diagnosis(question) {
            return Ok(REFUSAL.to_string());
        }
        match self.ask(case_sheet(case, false), question).await {
            Ok(text) => Ok(guarded(&LeakGuard::for_case(case), &text)),
            // A case too long for the model's window is still answered, from the case itself.
            Err(err @ LlmError::ContextExceeded { .. }) => {
                answered_offline(&err);
                Ok(OfflineGatekeeper.answer(case, question))
            }
            Err(err) => Err(unavailable(&err)),
        }
    }

    async fn result(
        &self,
        case: &Case,
        test: &PricedTest,
        prices: &PriceTable,
    ) -> Result<Report, EngineError> {
        let guard = LeakGuard::for_case(case);
        if let Some(text) = recorded(case, &guard, test, prices) {
            return Ok(Report {
                text,
                source: ResultSource::Case,
            });
        }
        let prompt = format!(
            "The physician ordered: {} (CPT {}). The case does not list this test. Write its \
             result for this patient as a laboratory or imaging report would: values with units \
             and reference ranges, or the findings and impression of a study. Make it realistic \
             and consistent with the case. Reply with the report only.",
            test.name, test.cpt
        );
        // The whole case keeps the report consistent with the other results; when it does not
        // fit the window, the case without them; when that does not either, the offline
        // gatekeeper's report (consistent with the diagnosis, or "not available").
        let text = match self.ask(case_sheet(case, true), &prompt).await {
            Err(LlmError::ContextExceeded { .. }) => {
                match self.ask(case_sheet(case, false), &prompt).await {
                    Err(err @ LlmError::ContextExceeded { .. }) => {
                        answered_offline(&err);
                        return Ok(OfflineGatekeeper.result(case, test, prices));
                    }
                    other => other,
                }
            }
            other => other,
        }
        .map_err(|err| unavailable(&err))?;
        Ok(Report {
            text: format!("{}: {}", label(&guard, test), guarded(&guard, &text)),
            source: ResultSource::Synthesised,
        })
    }
}

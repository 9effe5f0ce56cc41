//! The engine's one error type: why a step, a deliberation or a panel run could not be carried
//! out. Ordinary outcomes (an order refused over budget, a wrong diagnosis) are values, not
//! errors; each of these leaves the encounter as it was before the step that failed.

/// Why the engine could not do what it was asked.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EngineError {
    /// A language model behind the gatekeeper, the judge or the price estimator did not answer,
    /// or not in a form that could be used.
    #[error("{0}")]
    ModelUnavailable(String),
    /// The AI panel could not deliberate (its model unreachable, its knowledge base malformed).
    #[error("{0}")]
    PanelUnavailable(String),
    /// A panel run ended without a verdict: the turn limit reached, no ballot in an ensemble, a
    /// turn that could not be carried out.
    #[error("{0}")]
    NoVerdict(String),
    /// The caller of a panel run stopped it after a turn (asked to, or could not save it).
    #[error("{0}")]
    Interrupted(String),
}

//! The leak guard: every answer passes it before it leaves the gatekeeper.

use super::NOTHING;
use crate::engine::case::Case;
use crate::engine::text::{normalize, Padded};

/// Withholds any text that would reveal the answer key.
#[derive(Debug, Clone)]
pub struct LeakGuard {
    /// The forbidden phrases, normalised.
    forbidden: Vec<String>,
}

impl LeakGuard {
    /// The guard of a case: its diagnosis, synonyms and teaching points.
    pub fn for_case(case: &Case) -> Self {
        let mut forbidden = case.diagnosis_names();
        forbidden.extend(case.teaching_points.iter().map(|p| normalize(p)));
        Self {
            forbidden: forbidden.into_iter().filter(|p| !p.is_empty()).collect(),
        }
    }

    /// True when `text` names the diagnosis, a synonym, or holds a teaching point (as whole
    /// words, both sides normalised: the text once, the phrases when the guard was made).
    pub fn leaks(&self, text: &str) -> bool {
        let text = Padded::new(text);
        self.forbidden.iter().any(|phrase| text.has(phrase))
    }

    /// `text` when it is safe, else the neutral "nothing on that" answer.
    pub fn filter(&self, text: String) -> String {
        if self.leaks(&text) {
            NOTHING.to_string()
        } else {
            text
        }
    }
}

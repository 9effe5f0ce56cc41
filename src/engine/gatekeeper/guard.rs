//! The leak guard: every answer passes it before it leaves the gatekeeper.

use super::NOTHING;
use crate::engine::case::Case;
use crate::engine::text::{contains_phrase, normalize};

/// Withholds any text that would reveal the answer key.
#[derive(Debug, Clone)]
pub struct LeakGuard {
    forbidden: Vec<String>,
}

impl LeakGuard {
    /// The guard of a case: its diagnosis, synonyms and teaching points.
    pub fn for_case(case: &Case) -> Self {
        let mut forbidden = case.diagnosis_names();
        forbidden.extend(
            case.teaching_points
                .iter()
                .map(|p| normalize(p))
                .filter(|p| !p.is_empty()),
        );
        Self { forbidden }
    }

    /// True when `text` names the diagnosis, a synonym, or holds a teaching point.
    pub fn leaks(&self, text: &str) -> bool {
        let text = normalize(text);
        self.forbidden
            .iter()
            .any(|phrase| contains_phrase(&text, phrase))
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

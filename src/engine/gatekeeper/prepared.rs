//! What the gatekeeper derives from a case before any question — the leak guard and the items
//! with their stems and clauses — made once per case and kept for the next question. The work
//! is the same for every question on a case and was most of a question's cost.

use super::items::{items, Item};
use super::LeakGuard;
use crate::engine::case::Case;
use std::sync::{Arc, LazyLock, Mutex, PoisonError};

/// How many cases are kept prepared (the most recently asked about).
const KEPT: usize = 64;

/// A case made ready for questions.
pub(super) struct Prepared {
    /// The case it was made from; an entry serves only the same case, field for field.
    case: Case,
    pub guard: LeakGuard,
    pub items: Vec<Item>,
}

static CACHE: LazyLock<Mutex<Vec<Arc<Prepared>>>> = LazyLock::new(|| Mutex::new(Vec::new()));

/// The case prepared: from the cache when this very case (every field equal) was prepared
/// before, else made now and kept, the least recently used entry dropped past `KEPT`.
pub(super) fn prepared(case: &Case) -> Arc<Prepared> {
    {
        let mut cache = CACHE.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(at) = cache.iter().position(|p| p.case == *case) {
            let hit = cache.remove(at);
            cache.push(hit.clone());
            return hit;
        }
    }
    // Made outside the lock: two threads may both make one; the second replaces nothing.
    let guard = LeakGuard::for_case(case);
    let made = Arc::new(Prepared {
        items: items(case, &guard),
        guard,
        case: case.clone(),
    });
    let mut cache = CACHE.lock().unwrap_or_else(PoisonError::into_inner);
    if !cache.iter().any(|p| p.case == *case) {
        if cache.len() >= KEPT {
            cache.remove(0);
        }
        cache.push(made.clone());
    }
    made
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::library::bundled_cases;

    #[test]
    fn a_changed_case_is_prepared_again_and_the_same_case_is_not() {
        let case = bundled_cases().unwrap().remove(0);
        let first = prepared(&case);
        assert!(Arc::ptr_eq(&first, &prepared(&case.clone())));
        let mut changed = case.clone();
        changed.history[0].answer = "I have had no symptoms at all.".into();
        let second = prepared(&changed);
        assert!(!Arc::ptr_eq(&first, &second));
        assert!(second
            .items
            .iter()
            .any(|i| i.text == "I have had no symptoms at all."));
        assert!(!first
            .items
            .iter()
            .any(|i| i.text == "I have had no symptoms at all."));
    }
}

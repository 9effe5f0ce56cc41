//! What the encounter service keeps in memory between frames so that a question does not read
//! and parse the case and the encounter again: cases as read (for a short while, since an
//! import by another process may replace one), and the encounters worked last, each with the
//! version it was saved at. Nothing here is trusted on its own: a warm encounter is saved under
//! its version check like any other, and one that another writer moved on is read again.

use super::service::Loaded;
use crate::engine::Case;
use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};

/// How long a case read from the database is used without reading it again, in milliseconds:
/// a case replaced by `dx0 cases import --replace` is worked within this long.
pub(super) const CASE_FRESH_MS: i64 = 2_000;

/// How many cases, and how many encounters, are kept.
const KEPT: usize = 1_024;

/// Cases and warm encounters.
#[derive(Default)]
pub(super) struct Memory {
    cases: Mutex<HashMap<String, (i64, Arc<Case>)>>,
    warm: Mutex<HashMap<String, Loaded>>,
}

/// Makes room for one more entry: past `KEPT`, the entry found first goes (any one will do;
/// a dropped entry costs one read).
fn room<V>(map: &mut HashMap<String, V>) {
    if map.len() >= KEPT {
        if let Some(key) = map.keys().next().cloned() {
            map.remove(&key);
        }
    }
}

impl Memory {
    /// Case `id` as read at most [`CASE_FRESH_MS`] before `now`.
    pub(super) fn case(&self, id: &str, now: i64) -> Option<Arc<Case>> {
        let cases = self.cases.lock().unwrap_or_else(PoisonError::into_inner);
        cases
            .get(id)
            .filter(|(read, _)| now.saturating_sub(*read) < CASE_FRESH_MS && now >= *read)
            .map(|(_, case)| case.clone())
    }

    /// Keeps case `id` as read at `now`.
    pub(super) fn keep_case(&self, id: &str, now: i64, case: Arc<Case>) {
        let mut cases = self.cases.lock().unwrap_or_else(PoisonError::into_inner);
        room(&mut cases);
        cases.insert(id.to_string(), (now, case));
    }

    /// Encounter `id` as it was last saved here, taken out (a second worker reads it from the
    /// database instead, and the version check settles which of the two wins).
    pub(super) fn take(&self, id: &str) -> Option<Loaded> {
        let mut warm = self.warm.lock().unwrap_or_else(PoisonError::into_inner);
        warm.remove(id)
    }

    /// Keeps an encounter just saved (its record at the version saved).
    pub(super) fn keep(&self, mut loaded: Loaded) {
        // The parsed state is what is worked; the stored text would only take room.
        loaded.record.state = String::new();
        let mut warm = self.warm.lock().unwrap_or_else(PoisonError::into_inner);
        room(&mut warm);
        warm.insert(loaded.record.id.clone(), loaded);
    }

    /// Forgets encounter `id` (saved by a path that does not keep it).
    pub(super) fn forget(&self, id: &str) {
        let mut warm = self.warm.lock().unwrap_or_else(PoisonError::into_inner);
        warm.remove(id);
    }
}

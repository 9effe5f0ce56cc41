//! Ends the WebSockets of revoked sessions, on every instance: sockets register their session
//! here; a revocation made in this process is announced at once, and a poller asks the database
//! every few seconds which registered sessions have ended (revoked elsewhere, or expired).

use crate::error::AppError;
use crate::store::Store;
use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};
use tokio::sync::broadcast;

/// The registry of sessions with open sockets in this process.
#[derive(Clone)]
pub struct Revocations {
    open: Arc<Mutex<HashMap<String, usize>>>,
    ended: broadcast::Sender<String>,
}

impl Default for Revocations {
    fn default() -> Self {
        Self::new()
    }
}

impl Revocations {
    /// An empty registry.
    pub fn new() -> Self {
        let (ended, _) = broadcast::channel(256);
        Self {
            open: Arc::new(Mutex::new(HashMap::new())),
            ended,
        }
    }

    /// Registers a socket of `session_id`; the watch resolves when that session ends.
    pub fn watch(&self, session_id: &str) -> SessionWatch {
        let mut open = self.open.lock().unwrap_or_else(PoisonError::into_inner);
        *open.entry(session_id.to_string()).or_default() += 1;
        SessionWatch {
            session_id: session_id.to_string(),
            ended: self.ended.subscribe(),
            registry: self.clone(),
        }
    }

    /// Announces that a session ended (sockets of it in this process close).
    pub fn announce(&self, session_id: &str) {
        // No receivers is fine: nobody had a socket open.
        let _ = self.ended.send(session_id.to_string());
    }

    /// The sessions that have sockets open here.
    pub fn open_sessions(&self) -> Vec<String> {
        let open = self.open.lock().unwrap_or_else(PoisonError::into_inner);
        open.keys().cloned().collect()
    }

    /// Asks the database which open sessions have ended and announces them; returns how many.
    pub async fn poll(&self, store: &dyn Store, now: i64) -> Result<usize, AppError> {
        let open = self.open_sessions();
        if open.is_empty() {
            return Ok(0);
        }
        let ended = store.ended_sessions(&open, now).await?;
        for id in &ended {
            self.announce(id);
        }
        Ok(ended.len())
    }

    fn release(&self, session_id: &str) {
        let mut open = self.open.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(count) = open.get_mut(session_id) {
            *count -= 1;
            if *count == 0 {
                open.remove(session_id);
            }
        }
    }
}

/// One socket's registration; dropping it unregisters the socket.
pub struct SessionWatch {
    session_id: String,
    ended: broadcast::Receiver<String>,
    registry: Revocations,
}

impl SessionWatch {
    /// Resolves when the session is announced as ended.
    pub async fn ended(&mut self) {
        loop {
            match self.ended.recv().await {
                Ok(id) if id == self.session_id => return,
                Ok(_) => {}
                // Missed announcements are repeated by the poller while the socket stays open.
                Err(broadcast::error::RecvError::Lagged(_)) => {}
                Err(broadcast::error::RecvError::Closed) => std::future::pending::<()>().await,
            }
        }
    }
}

impl Drop for SessionWatch {
    fn drop(&mut self) {
        self.registry.release(&self.session_id);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[tokio::test]
    async fn a_watch_ends_only_for_its_session_and_unregisters_on_drop() {
        let registry = Revocations::new();
        let mut a = registry.watch("a");
        let b = registry.watch("b");
        let mut sorted = registry.open_sessions();
        sorted.sort();
        assert_eq!(sorted, ["a", "b"]);
        registry.announce("b");
        assert!(
            tokio::time::timeout(Duration::from_millis(50), a.ended())
                .await
                .is_err(),
            "another session's end must not end this one"
        );
        registry.announce("a");
        tokio::time::timeout(Duration::from_secs(1), a.ended())
            .await
            .expect("ended");
        drop(b);
        assert_eq!(registry.open_sessions(), ["a"]);
        drop(a);
        assert!(registry.open_sessions().is_empty());
    }
}

//! A shutdown signal that long-lived tasks can wait on.

use tokio::sync::watch;

/// Cloneable handle: one `trigger` wakes every waiter.
#[derive(Clone, Debug)]
pub struct Shutdown {
    tx: watch::Sender<bool>,
}

impl Default for Shutdown {
    fn default() -> Self {
        Self::new()
    }
}

impl Shutdown {
    /// A signal that has not fired.
    pub fn new() -> Self {
        Self {
            tx: watch::channel(false).0,
        }
    }

    /// Fires the signal; every current and future `wait` returns.
    pub fn trigger(&self) {
        self.tx.send_replace(true);
    }

    /// Returns once the signal has fired.
    pub async fn wait(&self) {
        let mut rx = self.tx.subscribe();
        // An error means the sender is gone, which cannot happen while `self` lives.
        let _ = rx.wait_for(|fired| *fired).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[tokio::test]
    async fn waiters_before_and_after_the_trigger_return() {
        let shutdown = Shutdown::new();
        let early = tokio::spawn({
            let s = shutdown.clone();
            async move { s.wait().await }
        });
        tokio::time::sleep(Duration::from_millis(50)).await;
        assert!(!early.is_finished(), "a waiter returned before the trigger");
        shutdown.trigger();
        tokio::time::timeout(Duration::from_secs(1), early)
            .await
            .unwrap()
            .unwrap();
        tokio::time::timeout(Duration::from_secs(1), shutdown.wait())
            .await
            .unwrap();
    }
}

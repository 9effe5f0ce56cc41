//! The open WebSockets of each session, at most `per_session` at once: opening one more closes
//! the oldest (5,000 sockets of one session used to hold 700 MB).

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};
use tokio::sync::Notify;

/// A session's open sockets, oldest first: each one's id and how to tell it to close.
type Open = VecDeque<(u64, Arc<Notify>)>;

/// Every session's open sockets.
#[derive(Clone, Debug)]
pub struct Sockets {
    per_session: usize,
    open: Arc<Mutex<HashMap<String, Open>>>,
    next: Arc<std::sync::atomic::AtomicU64>,
}

/// One socket's place: tells it when a newer socket of its session pushed it out, and gives
/// the place back when dropped.
#[derive(Debug)]
pub struct Place {
    sockets: Sockets,
    session: String,
    id: u64,
    evicted: Arc<Notify>,
}

impl Sockets {
    /// At most `per_session` sockets per session (at least one).
    pub fn new(per_session: usize) -> Self {
        Self {
            per_session: per_session.max(1),
            open: Arc::default(),
            next: Arc::default(),
        }
    }

    /// Takes a place for a new socket of `session`, pushing out the oldest ones over the limit.
    pub fn open(&self, session: &str) -> Place {
        let id = self.next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let evicted = Arc::new(Notify::new());
        let mut open = self.open.lock().unwrap_or_else(|p| p.into_inner());
        let list = open.entry(session.to_string()).or_default();
        while list.len() >= self.per_session {
            if let Some((_, oldest)) = list.pop_front() {
                // A stored permit: the socket sees it even if it is busy right now.
                oldest.notify_one();
            }
        }
        list.push_back((id, evicted.clone()));
        Place {
            sockets: self.clone(),
            session: session.to_string(),
            id,
            evicted,
        }
    }

    /// How many sockets `session` has open.
    pub fn count(&self, session: &str) -> usize {
        let open = self.open.lock().unwrap_or_else(|p| p.into_inner());
        open.get(session).map_or(0, VecDeque::len)
    }
}

impl Place {
    /// Returns once a newer socket of the session has pushed this one out.
    pub async fn evicted(&self) {
        self.evicted.notified().await;
    }
}

impl Drop for Place {
    fn drop(&mut self) {
        let mut open = self.sockets.open.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(list) = open.get_mut(&self.session) {
            list.retain(|(id, _)| *id != self.id);
            if list.is_empty() {
                open.remove(&self.session);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[tokio::test]
    async fn the_oldest_socket_of_a_session_is_pushed_out() {
        let sockets = Sockets::new(2);
        let first = sockets.open("s");
        let second = sockets.open("s");
        let other = sockets.open("t");
        assert_eq!(sockets.count("s"), 2);
        let third = sockets.open("s");
        assert_eq!(sockets.count("s"), 2);
        tokio::time::timeout(Duration::from_secs(1), first.evicted())
            .await
            .expect("the oldest is told");
        assert!(
            tokio::time::timeout(Duration::from_millis(50), second.evicted())
                .await
                .is_err(),
            "the second stays"
        );
        drop((first, second, third));
        assert_eq!(sockets.count("s"), 0);
        assert_eq!(sockets.count("t"), 1);
        drop(other);
        assert_eq!(sockets.count("t"), 0);
    }
}

//! The browser's WebSocket to `/api/v1/ws` (authenticated by the session cookie): hands every
//! server frame to its owner and reconnects on its own (growing delays, capped) until the
//! component goes away, the server ends the session (close 1008, or a refused handshake while
//! signed out) or a newer socket of the session replaces it (close 4001). The header's live
//! badge and the encounter page both use it.

use leptos::prelude::*;

/// The state of the encounter's connection.
// Only the browser build moves past `Idle`.
#[cfg_attr(
    not(feature = "hydrate"),
    expect(dead_code, reason = "only the browser build drives the socket")
)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Conn {
    /// Not started (the server-rendered page, or no JavaScript).
    Idle,
    /// Opening.
    Connecting,
    /// Ready for frames.
    Open,
    /// Closed unexpectedly; a retry is scheduled.
    Lost,
    /// The server ended the session (signed out elsewhere, or expired): no retry.
    Ended,
    /// A newer connection of the same session (another tab) took this one's place: no retry,
    /// or the two would push each other out.
    Replaced,
}

impl Conn {
    /// A short word for the `data-conn` attribute.
    pub fn key(self) -> &'static str {
        match self {
            Conn::Idle => "idle",
            Conn::Connecting => "connecting",
            Conn::Open => "open",
            Conn::Lost => "lost",
            Conn::Ended => "ended",
            Conn::Replaced => "replaced",
        }
    }
}

/// A handle on the page's socket: send frames, and stop it when the page goes away.
#[derive(Clone, Copy)]
pub struct Link {
    /// The connection's state.
    pub conn: RwSignal<Conn>,
    #[cfg(feature = "hydrate")]
    inner: StoredValue<client::Inner, LocalStorage>,
}

impl Link {
    /// Sends a frame; false when the socket is not open.
    pub fn send(&self, frame: &crate::protocol::ClientFrame) -> bool {
        #[cfg(feature = "hydrate")]
        {
            self.inner.with_value(|inner| inner.send(frame))
        }
        #[cfg(not(feature = "hydrate"))]
        {
            let _ = frame;
            false
        }
    }
}

/// What the page does with the socket's events.
#[cfg_attr(
    not(feature = "hydrate"),
    expect(dead_code, reason = "only the browser build drives the socket")
)]
pub struct Events {
    /// A frame arrived.
    pub frame: Box<dyn Fn(crate::protocol::ServerFrame)>,
    /// The socket opened (the first time, or again after a loss).
    pub opened: Box<dyn Fn(bool)>,
    /// The socket closed with this code.
    pub closed: Box<dyn Fn(u16)>,
}

/// Opens the socket with `query` (e.g. `?encounter=ID`, or empty) once the page has hydrated;
/// on the server it stays idle.
pub fn connect(query: &str, events: Events) -> Link {
    let conn = RwSignal::new(Conn::Idle);
    #[cfg(feature = "hydrate")]
    {
        let inner = StoredValue::new_local(client::Inner::new(query, conn, events));
        let link = Link { conn, inner };
        // Mounted in the browser only: the first connection waits for hydration.
        Effect::new(move |_| inner.with_value(|i| i.start()));
        on_cleanup(move || inner.with_value(|i| i.stop()));
        link
    }
    #[cfg(not(feature = "hydrate"))]
    {
        let _ = (query, events);
        Link { conn }
    }
}

#[cfg(feature = "hydrate")]
mod client {
    use super::{Conn, Events};
    use crate::protocol::{ClientFrame, ServerFrame};
    use futures_channel::mpsc::{unbounded, UnboundedReceiver, UnboundedSender};
    use futures_util::future::{poll_fn, select, Either};
    use futures_util::{pin_mut, Sink, SinkExt, StreamExt};
    use gloo_net::websocket::futures::WebSocket;
    use gloo_net::websocket::{Message, State, WebSocketError};
    use leptos::prelude::*;
    use std::cell::{Cell, RefCell};
    use std::pin::Pin;
    use std::rc::Rc;
    use std::time::Duration;

    /// The close code of an ended session: retrying would only be refused.
    const CLOSE_SESSION_ENDED: u16 = crate::protocol::CLOSE_SESSION_ENDED;
    /// The close code of a socket a newer one of its session replaced.
    const CLOSE_REPLACED: u16 = crate::protocol::CLOSE_REPLACED;
    /// What a connection that ended without a close frame reports (the browser's own code).
    const CLOSE_ABNORMAL: u16 = 1006;

    struct Shared {
        url: String,
        conn: RwSignal<Conn>,
        events: Events,
        /// Frames for the open connection's task to send; `None` while there is none.
        outbox: RefCell<Option<UnboundedSender<String>>>,
        stopped: Cell<bool>,
        started: Cell<bool>,
        opened_before: Cell<bool>,
    }

    /// The socket and its reconnection, shared by the connection's task and the page.
    pub struct Inner(Rc<Shared>);

    impl Inner {
        pub fn new(query: &str, conn: RwSignal<Conn>, events: Events) -> Self {
            let url = web_sys::window()
                .map(|w| w.location())
                .and_then(|l| {
                    let scheme = if l.protocol().ok()? == "https:" {
                        "wss"
                    } else {
                        "ws"
                    };
                    Some(format!("{scheme}://{}/api/v1/ws{query}", l.host().ok()?))
                })
                .unwrap_or_default();
            Self(Rc::new(Shared {
                url,
                conn,
                events,
                outbox: RefCell::new(None),
                stopped: Cell::new(false),
                started: Cell::new(false),
                opened_before: Cell::new(false),
            }))
        }

        pub fn start(&self) {
            if !self.0.started.replace(true) {
                open(self.0.clone(), 0);
            }
        }

        /// Stops for good: the connection's task closes the socket once its outbox is gone.
        pub fn stop(&self) {
            self.0.stopped.set(true);
            self.0.outbox.borrow_mut().take();
        }

        pub fn send(&self, frame: &ClientFrame) -> bool {
            if self.0.conn.get_untracked() != Conn::Open {
                return false;
            }
            let Ok(text) = serde_json::to_string(frame) else {
                return false;
            };
            self.0
                .outbox
                .borrow()
                .as_ref()
                .is_some_and(|outbox| outbox.unbounded_send(text).is_ok())
        }
    }

    fn open(shared: Rc<Shared>, attempt: u32) {
        if shared.stopped.get() {
            return;
        }
        shared.conn.set(Conn::Connecting);
        let Ok(socket) = WebSocket::open(&shared.url) else {
            shared.conn.set(Conn::Lost);
            retry(shared, attempt + 1);
            return;
        };
        let (outbox, outgoing) = unbounded();
        *shared.outbox.borrow_mut() = Some(outbox);
        leptos::task::spawn_local(connection(shared, socket, outgoing, attempt));
    }

    /// One connection, from the handshake to its close: frames in are handed to the page,
    /// frames from the outbox go out, and the close decides what comes next.
    async fn connection(
        shared: Rc<Shared>,
        mut socket: WebSocket,
        mut outgoing: UnboundedReceiver<String>,
        attempt: u32,
    ) {
        // The sink is ready once the handshake is over, answered or not.
        let _ = poll_fn(|cx| Pin::new(&mut socket).poll_ready(cx)).await;
        if shared.stopped.get() {
            return;
        }
        let was_open = matches!(socket.state(), State::Open);
        if was_open {
            shared.conn.set(Conn::Open);
            let again = shared.opened_before.replace(true);
            (shared.events.opened)(again);
        }
        let code = loop {
            let next = {
                let incoming = socket.next();
                let sending = outgoing.next();
                pin_mut!(incoming, sending);
                match select(incoming, sending).await {
                    Either::Left((incoming, _)) => Either::Left(incoming),
                    Either::Right((sending, _)) => Either::Right(sending),
                }
            };
            match next {
                Either::Right(Some(text)) => {
                    // A failed send shows as the close that follows.
                    let _ = socket.send(Message::Text(text)).await;
                }
                // The page stopped the socket: dropping it closes it.
                Either::Right(None) => return,
                Either::Left(Some(Ok(Message::Text(text)))) => {
                    if let Ok(frame) = serde_json::from_str::<ServerFrame>(&text) {
                        (shared.events.frame)(frame);
                    }
                }
                Either::Left(Some(Ok(Message::Bytes(_)))) => {}
                Either::Left(Some(Err(WebSocketError::ConnectionClose(event)))) => {
                    break event.code;
                }
                // An error event is followed by the close.
                Either::Left(Some(Err(_))) => {}
                Either::Left(None) => break CLOSE_ABNORMAL,
            }
        };
        drop(socket);
        shared.outbox.borrow_mut().take();
        if !shared.stopped.get() {
            closed(shared, code, was_open, attempt);
        }
    }

    /// What follows a close the page did not ask for.
    fn closed(shared: Rc<Shared>, code: u16, was_open: bool, attempt: u32) {
        match code {
            CLOSE_SESSION_ENDED => {
                (shared.events.closed)(CLOSE_SESSION_ENDED);
                shared.conn.set(Conn::Ended);
            }
            CLOSE_REPLACED => {
                (shared.events.closed)(CLOSE_REPLACED);
                shared.conn.set(Conn::Replaced);
            }
            code if was_open => {
                (shared.events.closed)(code);
                shared.conn.set(Conn::Lost);
                // A socket that worked starts the back-off afresh.
                retry(shared, 0);
            }
            code => {
                // The handshake was refused or never answered; the browser does not say why.
                // Signed out meanwhile (expired, or elsewhere), retrying is useless: ask, and
                // stop if so.
                leptos::task::spawn_local(async move {
                    if let Ok(None) = crate::app::account::get_current_user().await {
                        (shared.events.closed)(CLOSE_SESSION_ENDED);
                        shared.conn.set(Conn::Ended);
                        return;
                    }
                    (shared.events.closed)(code);
                    shared.conn.set(Conn::Lost);
                    retry(shared, attempt + 1);
                });
            }
        }
    }

    fn retry(shared: Rc<Shared>, attempt: u32) {
        let delay = Duration::from_millis((500u64 << attempt.min(6)).min(15_000));
        set_timeout(move || open(shared, attempt), delay);
    }
}

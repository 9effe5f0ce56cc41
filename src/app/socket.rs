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
    /// Sends a text frame; false when the socket is not open.
    pub fn send(&self, text: &str) -> bool {
        #[cfg(feature = "hydrate")]
        {
            self.inner.with_value(|inner| inner.send(text))
        }
        #[cfg(not(feature = "hydrate"))]
        {
            let _ = text;
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
    use crate::protocol::ServerFrame;
    use leptos::prelude::*;
    use std::cell::{Cell, RefCell};
    use std::rc::Rc;
    use std::time::Duration;
    use wasm_bindgen::closure::Closure;
    use wasm_bindgen::JsCast;
    use web_sys::{CloseEvent, MessageEvent, WebSocket};

    /// The close code of an ended session: retrying would only be refused.
    const CLOSE_SESSION_ENDED: u16 = crate::protocol::CLOSE_SESSION_ENDED;
    /// The close code of a socket a newer one of its session replaced.
    const CLOSE_REPLACED: u16 = crate::protocol::CLOSE_REPLACED;

    struct Shared {
        url: String,
        conn: RwSignal<Conn>,
        events: Events,
        socket: RefCell<Option<WebSocket>>,
        stopped: Cell<bool>,
        started: Cell<bool>,
        opened_before: Cell<bool>,
    }

    /// The socket and its reconnection, shared by the handlers.
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
                socket: RefCell::new(None),
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

        pub fn stop(&self) {
            self.0.stopped.set(true);
            if let Some(socket) = self.0.socket.borrow_mut().take() {
                let _ = socket.close();
            }
        }

        pub fn send(&self, text: &str) -> bool {
            match self.0.socket.borrow().as_ref() {
                Some(socket) if socket.ready_state() == WebSocket::OPEN => {
                    socket.send_with_str(text).is_ok()
                }
                _ => false,
            }
        }
    }

    fn open(shared: Rc<Shared>, attempt: u32) {
        if shared.stopped.get() {
            return;
        }
        shared.conn.set(Conn::Connecting);
        let Ok(socket) = WebSocket::new(&shared.url) else {
            shared.conn.set(Conn::Lost);
            retry(shared, attempt + 1);
            return;
        };
        let on_message = Closure::<dyn FnMut(MessageEvent)>::new({
            let shared = shared.clone();
            move |event: MessageEvent| {
                let Some(text) = event.data().as_string() else {
                    return;
                };
                if let Ok(frame) = serde_json::from_str::<ServerFrame>(&text) {
                    (shared.events.frame)(frame);
                }
            }
        });
        let was_open = Rc::new(Cell::new(false));
        let on_open = Closure::<dyn FnMut()>::new({
            let shared = shared.clone();
            let was_open = was_open.clone();
            move || {
                was_open.set(true);
                shared.conn.set(Conn::Open);
                let again = shared.opened_before.replace(true);
                (shared.events.opened)(again);
            }
        });
        let on_close = Closure::<dyn FnMut(CloseEvent)>::new({
            let shared = shared.clone();
            move |event: CloseEvent| {
                if shared.stopped.get() {
                    return;
                }
                match event.code() {
                    CLOSE_SESSION_ENDED => {
                        (shared.events.closed)(CLOSE_SESSION_ENDED);
                        shared.conn.set(Conn::Ended);
                    }
                    CLOSE_REPLACED => {
                        (shared.events.closed)(CLOSE_REPLACED);
                        shared.conn.set(Conn::Replaced);
                    }
                    code if was_open.get() => {
                        (shared.events.closed)(code);
                        shared.conn.set(Conn::Lost);
                        // A socket that worked starts the back-off afresh.
                        retry(shared.clone(), 0);
                    }
                    code => {
                        // The handshake was refused or never answered; the browser does not
                        // say why. Signed out meanwhile (expired, or elsewhere), retrying is
                        // useless: ask, and stop if so.
                        let shared = shared.clone();
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
        });
        socket.set_onopen(Some(on_open.as_ref().unchecked_ref()));
        socket.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
        socket.set_onclose(Some(on_close.as_ref().unchecked_ref()));
        // The handlers live as long as their socket; a page opens few sockets over its life.
        on_open.forget();
        on_message.forget();
        on_close.forget();
        *shared.socket.borrow_mut() = Some(socket);
    }

    fn retry(shared: Rc<Shared>, attempt: u32) {
        let delay = Duration::from_millis((500u64 << attempt.min(6)).min(15_000));
        set_timeout(move || open(shared, attempt), delay);
    }
}

//! The live-connection badge: opens the WebSocket `/api/v1/ws`, pings it, and shows the state.

use leptos::prelude::*;

/// The state of the live connection.
// Only the browser build moves past `Idle`.
#[cfg_attr(not(feature = "hydrate"), allow(dead_code))]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LinkState {
    /// Not started (the server-rendered page, or no JavaScript).
    Idle,
    /// Opening the socket, or waiting for the first answer.
    Connecting,
    /// The server answered a ping in `rtt_ms` milliseconds.
    Connected { rtt_ms: u32 },
    /// The socket closed; a retry is scheduled.
    Disconnected,
    /// The server ended the session (signed out elsewhere, or expired): no retry.
    Ended,
}

impl LinkState {
    fn key(self) -> &'static str {
        match self {
            LinkState::Idle => "idle",
            LinkState::Connecting => "connecting",
            LinkState::Connected { .. } => "connected",
            LinkState::Disconnected => "disconnected",
            LinkState::Ended => "ended",
        }
    }

    fn label(self) -> String {
        match self {
            LinkState::Idle => "Live link off".to_string(),
            LinkState::Connecting => "Connecting…".to_string(),
            LinkState::Connected { rtt_ms } => format!("Connected · {rtt_ms} ms"),
            LinkState::Disconnected => "Disconnected, retrying".to_string(),
            LinkState::Ended => "Signed out".to_string(),
        }
    }
}

/// Shows whether the browser holds a live WebSocket to the server.
#[component]
pub fn LiveBadge() -> impl IntoView {
    let state = RwSignal::new(LinkState::Idle);
    #[cfg(feature = "hydrate")]
    Effect::new(move |_| client::connect(state, 0));
    view! {
        <span
            class="live-badge"
            role="status"
            aria-live="polite"
            aria-label=move || format!("Live connection: {}", state.get().label())
            data-state=move || state.get().key()
        >
            <span class="dot" aria-hidden="true"></span>
            <span class="text">{move || state.get().label()}</span>
        </span>
    }
}

#[cfg(feature = "hydrate")]
mod client {
    use super::LinkState;
    use crate::protocol::ServerFrame;
    use leptos::prelude::*;
    use std::cell::Cell;
    use std::rc::Rc;
    use std::time::Duration;
    use wasm_bindgen::closure::Closure;
    use wasm_bindgen::JsCast;
    use web_sys::{CloseEvent, MessageEvent, WebSocket};

    /// The close code of an ended session: retrying would only be refused.
    const CLOSE_SESSION_ENDED: u16 = 1008;
    /// How often an open socket is pinged.
    const PING_EVERY: Duration = Duration::from_secs(20);
    const PING: &str = r#"{"action":"ping","id":"live-badge"}"#;

    fn now_ms() -> f64 {
        web_sys::window()
            .and_then(|w| w.performance())
            .map(|p| p.now())
            .unwrap_or_default()
    }

    fn socket_url() -> Option<String> {
        let location = web_sys::window()?.location();
        let scheme = if location.protocol().ok()? == "https:" {
            "wss"
        } else {
            "ws"
        };
        Some(format!("{scheme}://{}/api/v1/ws", location.host().ok()?))
    }

    /// Opens the socket; on close, retries with a growing delay (capped at 30 s).
    pub fn connect(state: RwSignal<LinkState>, attempt: u32) {
        state.set(LinkState::Connecting);
        let Some(socket) = socket_url().and_then(|url| WebSocket::new(&url).ok()) else {
            state.set(LinkState::Disconnected);
            retry(state, attempt);
            return;
        };
        let sent_at = Rc::new(Cell::new(0.0));
        let ping = {
            let socket = socket.clone();
            let sent_at = sent_at.clone();
            move || {
                if socket.ready_state() == WebSocket::OPEN {
                    sent_at.set(now_ms());
                    let _ = socket.send_with_str(PING);
                }
            }
        };

        let interval = set_interval_with_handle(ping.clone(), PING_EVERY).ok();
        let on_message = Closure::<dyn FnMut(MessageEvent)>::new(move |event: MessageEvent| {
            let Some(text) = event.data().as_string() else {
                return;
            };
            if let Ok(ServerFrame::Pong(_)) = serde_json::from_str::<ServerFrame>(&text) {
                let rtt = (now_ms() - sent_at.get()).max(0.0).round() as u32;
                state.set(LinkState::Connected { rtt_ms: rtt });
            }
        });
        let was_open = Rc::new(Cell::new(false));
        let on_open = Closure::<dyn FnMut()>::new({
            let was_open = was_open.clone();
            move || {
                was_open.set(true);
                ping();
            }
        });
        let on_close = Closure::<dyn FnMut(CloseEvent)>::new(move |event: CloseEvent| {
            if let Some(handle) = interval {
                handle.clear();
            }
            if event.code() == CLOSE_SESSION_ENDED {
                state.set(LinkState::Ended);
                return;
            }
            state.set(LinkState::Disconnected);
            // A socket that worked starts the back-off afresh.
            retry(state, if was_open.get() { 0 } else { attempt + 1 });
        });
        socket.set_onopen(Some(on_open.as_ref().unchecked_ref()));
        socket.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
        socket.set_onclose(Some(on_close.as_ref().unchecked_ref()));
        // The handlers live as long as the socket, which lives as long as the page.
        on_open.forget();
        on_message.forget();
        on_close.forget();
    }

    fn retry(state: RwSignal<LinkState>, attempt: u32) {
        let delay = Duration::from_millis((1000u64 << attempt.min(5)).min(30_000));
        set_timeout(move || connect(state, attempt), delay);
    }
}

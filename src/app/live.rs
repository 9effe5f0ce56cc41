//! The live-connection badge: holds a WebSocket to `/api/v1/ws` (the shared reconnecting
//! socket), pings it, and shows the state and the round-trip time.

use super::socket::{self, Conn, Events};
use crate::protocol::ServerFrame;
use leptos::prelude::*;

/// How often an open socket is pinged.
#[cfg(feature = "hydrate")]
const PING_EVERY: std::time::Duration = std::time::Duration::from_secs(20);

fn now_ms() -> f64 {
    #[cfg(feature = "hydrate")]
    {
        web_sys::window()
            .and_then(|w| w.performance())
            .map(|p| p.now())
            .unwrap_or_default()
    }
    #[cfg(not(feature = "hydrate"))]
    {
        0.0
    }
}

fn label(conn: Conn, rtt_ms: Option<u32>) -> String {
    match (conn, rtt_ms) {
        (Conn::Idle, _) => "Live link off".to_string(),
        (Conn::Connecting, _) | (Conn::Open, None) => "Connecting…".to_string(),
        (Conn::Open, Some(rtt)) => format!("Connected · {rtt} ms"),
        (Conn::Lost, _) => "Disconnected, retrying".to_string(),
        (Conn::Ended, _) => "Signed out".to_string(),
        (Conn::Replaced, _) => "Open in another window".to_string(),
    }
}

fn key(conn: Conn, rtt_ms: Option<u32>) -> &'static str {
    match (conn, rtt_ms) {
        (Conn::Open, Some(_)) => "connected",
        (Conn::Open, None) => "connecting",
        (Conn::Lost, _) => "disconnected",
        (other, _) => other.key(),
    }
}

/// Shows whether the browser holds a live WebSocket to the server.
#[component]
pub fn LiveBadge() -> impl IntoView {
    let rtt_ms = RwSignal::new(None::<u32>);
    let sent_at = StoredValue::new(0.0_f64);
    let link_cell: StoredValue<Option<socket::Link>> = StoredValue::new(None);
    let ping = move || {
        if let Some(link) = link_cell.get_value() {
            sent_at.set_value(now_ms());
            link.send(&crate::protocol::ClientFrame {
                action: crate::protocol::Action::Ping,
                content: String::new(),
                id: Some("live-badge".into()),
            });
        }
    };
    let link = socket::connect(
        "",
        Events {
            frame: Box::new(move |frame| {
                if let ServerFrame::Pong(_) = frame {
                    let rtt = (now_ms() - sent_at.get_value()).max(0.0).round() as u32;
                    rtt_ms.set(Some(rtt));
                }
            }),
            opened: Box::new(move |_| ping()),
            closed: Box::new(move |_| rtt_ms.set(None)),
        },
    );
    link_cell.set_value(Some(link));
    #[cfg(feature = "hydrate")]
    {
        if let Ok(handle) = set_interval_with_handle(ping, PING_EVERY) {
            on_cleanup(move || handle.clear());
        }
    }
    let conn = link.conn;
    view! {
        <span
            class="live-badge"
            role="status"
            aria-live="polite"
            aria-label=move || format!("Live connection: {}", label(conn.get(), rtt_ms.get()))
            data-state=move || key(conn.get(), rtt_ms.get())
        >
            <span class="dot" aria-hidden="true"></span>
            <span class="text">{move || label(conn.get(), rtt_ms.get())}</span>
        </span>
    }
}

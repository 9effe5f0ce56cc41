//! The WebSocket `/api/v1/ws`: frames in, frames out, in order; a bad frame gets an error frame
//! and the socket stays open.

use super::AppState;
use crate::protocol::{
    parse_client_frame, Action, ClientFrame, DoneFrame, ErrorCode, ErrorFrame, Money, PongFrame,
    ServerFrame,
};
use axum::extract::ws::{CloseFrame, Message, WebSocket, WebSocketUpgrade};
use axum::extract::State;
use axum::response::Response;

/// The largest frame accepted; content is at most 10 000 characters (up to 40 000 bytes).
const MAX_FRAME_BYTES: usize = 64 * 1024;
/// Close code sent when the server stops ("going away").
const CLOSE_GOING_AWAY: u16 = 1001;

/// Upgrades the connection and runs the session loop.
pub async fn upgrade(ws: WebSocketUpgrade, State(state): State<AppState>) -> Response {
    ws.max_message_size(MAX_FRAME_BYTES)
        .max_frame_size(MAX_FRAME_BYTES)
        .on_upgrade(move |socket| session(socket, state))
}

async fn session(mut socket: WebSocket, state: AppState) {
    tracing::debug!("websocket opened");
    loop {
        let incoming = tokio::select! {
            incoming = socket.recv() => incoming,
            () = state.shutdown.wait() => {
                let close = CloseFrame { code: CLOSE_GOING_AWAY, reason: "server shutting down".into() };
                let _ = socket.send(Message::Close(Some(close))).await;
                return;
            }
        };
        let reply = match incoming {
            Some(Ok(Message::Text(text))) => answer(&text),
            Some(Ok(Message::Binary(_))) => ServerFrame::Error(ErrorFrame {
                error: "Binary frames are not supported: send JSON text".into(),
                code: ErrorCode::InvalidJson,
                id: None,
            }),
            // Pings are answered by the library; pongs need nothing.
            Some(Ok(Message::Ping(_) | Message::Pong(_))) => continue,
            Some(Ok(Message::Close(_))) | None => break,
            Some(Err(err)) => {
                tracing::debug!(error = %err, "websocket receive failed");
                break;
            }
        };
        if send(&mut socket, &reply).await.is_err() {
            break;
        }
    }
    tracing::debug!("websocket closed");
}

/// Answers one text frame.
fn answer(text: &str) -> ServerFrame {
    match parse_client_frame(text) {
        Ok(frame) => respond(frame),
        Err(err) => err.into_frame(),
    }
}

fn respond(frame: ClientFrame) -> ServerFrame {
    match frame.action {
        Action::Ping => ServerFrame::Pong(PongFrame {
            version: env!("CARGO_PKG_VERSION").to_string(),
            id: frame.id,
        }),
        // No case engine is attached to the socket yet: acknowledge without charging.
        Action::Question | Action::Test | Action::Diagnosis => ServerFrame::Done(DoneFrame {
            reply: "No case is open on this server yet, so nothing was charged.".into(),
            done: true,
            cost: Money(0),
            total_spent: Money(0),
            ordered_tests: Vec::new(),
            remaining_budget: None,
            id: frame.id,
        }),
    }
}

async fn send(socket: &mut WebSocket, frame: &ServerFrame) -> Result<(), axum::Error> {
    let text = match serde_json::to_string(frame) {
        Ok(text) => text,
        Err(err) => {
            tracing::error!(error = %err, "could not encode a server frame");
            r#"{"type":"error","error":"internal error","code":"internal"}"#.to_string()
        }
    };
    socket.send(Message::Text(text.into())).await
}

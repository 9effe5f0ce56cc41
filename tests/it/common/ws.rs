//! WebSocket helpers: handshakes with chosen headers, frames, and close codes.

use futures_util::{SinkExt, StreamExt};
use serde_json::Value;
use std::net::SocketAddr;
use std::time::Duration;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::http::HeaderValue;
use tokio_tungstenite::tungstenite::{Error as WsError, Message};

pub type Socket =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// Opens `/api/v1/ws` with extra request headers (and an optional query string). `Ok` after a
/// 101; `Err(status)` when the server answered the handshake with a plain HTTP response.
pub async fn ws_open(
    addr: SocketAddr,
    query: &str,
    headers: &[(&str, &str)],
) -> Result<Socket, u16> {
    let mut request = format!("ws://{addr}/api/v1/ws{query}")
        .into_client_request()
        .expect("a valid WebSocket URL");
    for (name, value) in headers {
        let name: tokio_tungstenite::tungstenite::http::HeaderName = name.parse().unwrap();
        request
            .headers_mut()
            .insert(name, HeaderValue::from_str(value).unwrap());
    }
    let attempt = tokio::time::timeout(
        Duration::from_secs(10),
        tokio_tungstenite::connect_async(request),
    )
    .await
    .expect("the handshake finishes within 10 s");
    match attempt {
        Ok((socket, response)) => {
            assert_eq!(response.status(), 101);
            Ok(socket)
        }
        Err(WsError::Http(response)) => {
            let status = response.status().as_u16();
            assert_ne!(status, 101, "a refused handshake must not switch protocols");
            Err(status)
        }
        Err(other) => panic!("the handshake failed without an HTTP answer: {other}"),
    }
}

/// Opens `/api/v1/ws` with `Authorization: Bearer <token>`.
pub async fn ws_bearer(addr: SocketAddr, token: &str) -> Result<Socket, u16> {
    ws_open(addr, "", &[("Authorization", &format!("Bearer {token}"))]).await
}

/// The handshake status for a bearer token: 101 or the refusal's status.
pub async fn ws_status(addr: SocketAddr, token: &str) -> u16 {
    match ws_bearer(addr, token).await {
        Ok(mut socket) => {
            let _ = socket.close(None).await;
            101
        }
        Err(status) => status,
    }
}

/// Sends one text frame.
pub async fn send_text(socket: &mut Socket, text: &str) {
    socket
        .send(Message::Text(text.into()))
        .await
        .expect("the frame is sent");
}

/// What arrived next, skipping control pings and pongs.
#[derive(Debug)]
pub enum Next {
    Json(Value),
    Close(Option<u16>),
    Ended,
}

/// The next data or close frame within `within`.
pub async fn next_event(socket: &mut Socket, within: Duration) -> Next {
    let deadline = tokio::time::Instant::now() + within;
    loop {
        let msg = tokio::time::timeout_at(deadline, socket.next())
            .await
            .unwrap_or_else(|_| panic!("nothing arrived within {within:?}"));
        match msg {
            None => return Next::Ended,
            Some(Err(err)) => panic!("socket error: {err}"),
            Some(Ok(Message::Text(text))) => {
                return Next::Json(serde_json::from_str(&text).expect("a JSON text frame"))
            }
            Some(Ok(Message::Close(frame))) => return Next::Close(frame.map(|f| f.code.into())),
            Some(Ok(Message::Ping(_) | Message::Pong(_))) => continue,
            Some(Ok(other)) => panic!("unexpected frame {other:?}"),
        }
    }
}

/// The next JSON frame (within 5 s); panics on a close.
pub async fn next_json(socket: &mut Socket) -> Value {
    match next_event(socket, Duration::from_secs(5)).await {
        Next::Json(value) => value,
        other => panic!("expected a JSON frame, got {other:?}"),
    }
}

/// Opens `/api/v1/ws?token=…` plus `query` ("&case=…"), panicking if the handshake is refused.
pub async fn open_with_token(addr: SocketAddr, token: &str, query: &str) -> Socket {
    ws_open(addr, &format!("?token={token}{query}"), &[])
        .await
        .unwrap_or_else(|status| panic!("handshake refused with {status}"))
}

/// Sends a frame; every frame of the answer, of any type, the done (or error) frame last.
pub async fn frames_until_done(socket: &mut Socket, frame: Value) -> Vec<Value> {
    send_text(socket, &frame.to_string()).await;
    let mut frames = Vec::new();
    loop {
        let next = next_json(socket).await;
        let end = matches!(next["type"].as_str(), Some("done" | "error"));
        frames.push(next);
        if end {
            return frames;
        }
    }
}

/// Sends a frame and collects the answer: the reply chunks (each checked to be `done: false`),
/// then the done (or error) frame.
pub async fn exchange(socket: &mut Socket, frame: Value) -> (Vec<Value>, Value) {
    send_text(socket, &frame.to_string()).await;
    let mut chunks = Vec::new();
    loop {
        let next = next_json(socket).await;
        match next["type"].as_str() {
            Some("reply") => {
                assert_eq!(next["done"], false, "{next}");
                chunks.push(next);
            }
            Some("done") | Some("error") => return (chunks, next),
            _ => panic!("unexpected frame {next}"),
        }
    }
}

/// The whole reply text of an answer: its chunks and its last frame joined.
pub fn reply_text(chunks: &[Value], last: &Value) -> String {
    chunks
        .iter()
        .chain(std::iter::once(last))
        .filter_map(|f| f["reply"].as_str())
        .collect()
}

/// The close code the server sends within `within`; panics on a data frame or no close.
pub async fn expect_close(socket: &mut Socket, within: Duration) -> u16 {
    match next_event(socket, within).await {
        Next::Close(Some(code)) => code,
        other => panic!("expected a close frame with a code, got {other:?}"),
    }
}

/// True when nothing but control frames arrives for `quiet`.
pub async fn stays_quiet(socket: &mut Socket, quiet: Duration) -> bool {
    let deadline = tokio::time::Instant::now() + quiet;
    loop {
        match tokio::time::timeout_at(deadline, socket.next()).await {
            Err(_) => return true,
            Ok(Some(Ok(Message::Ping(_) | Message::Pong(_)))) => continue,
            Ok(_) => return false,
        }
    }
}

/// Sends a question and asserts a done frame comes back (after any reply chunks).
pub async fn ask(socket: &mut Socket, content: &str) {
    let frame = serde_json::json!({ "action": "question", "content": content }).to_string();
    send_text(socket, &frame).await;
    loop {
        let reply = next_json(socket).await;
        if reply["type"] == "reply" {
            assert_eq!(reply["done"], false, "{reply}");
            continue;
        }
        assert_eq!(reply["type"], "done", "{reply}");
        assert_eq!(reply["done"], true, "{reply}");
        return;
    }
}

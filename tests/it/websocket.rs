//! The WebSocket `/api/v1/ws` through the whole stack, on SQLite and PostgreSQL.

use crate::common;

use common::{databases, demo_token, spawn_app};
use futures_util::{SinkExt, StreamExt};
use serde_json::{json, Value};
use std::net::SocketAddr;
use std::time::Duration;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
use tokio_tungstenite::tungstenite::Message;

type Socket =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// Logs in as the demo user and opens a socket with its access token.
async fn connect(addr: SocketAddr) -> Socket {
    let token = demo_token(addr).await;
    let (socket, response) =
        tokio_tungstenite::connect_async(format!("ws://{addr}/api/v1/ws?token={token}"))
            .await
            .expect("the upgrade succeeds");
    assert_eq!(response.status(), 101);
    socket
}

async fn next_json(socket: &mut Socket) -> Value {
    loop {
        let msg = tokio::time::timeout(Duration::from_secs(5), socket.next())
            .await
            .expect("a frame within 5 s")
            .expect("the socket is open")
            .expect("a valid frame");
        match msg {
            Message::Text(text) => return serde_json::from_str(&text).expect("JSON frame"),
            Message::Ping(_) | Message::Pong(_) => continue,
            other => panic!("unexpected frame {other:?}"),
        }
    }
}

async fn send(socket: &mut Socket, text: &str) {
    socket.send(Message::Text(text.into())).await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn ping_round_trip_on_every_backend() {
    for db in databases().await {
        let app = spawn_app(&db).await;
        let mut socket = connect(app.addr).await;
        send(&mut socket, r#"{"action":"ping","id":"p1"}"#).await;
        let pong = next_json(&mut socket).await;
        assert_eq!(pong["type"], "pong", "{}: {pong}", db.name);
        assert_eq!(pong["id"], "p1");
        assert_eq!(pong["version"], env!("CARGO_PKG_VERSION"));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn bad_frames_get_error_frames_and_the_socket_stays_open() {
    let db = common::sqlite_db();
    let app = spawn_app(&db).await;
    let mut socket = connect(app.addr).await;
    let long = "x".repeat(10_001);
    let cases = [
        ("not json".to_string(), "invalid_json"),
        ("[1,2,3]".to_string(), "invalid_json"),
        (
            json!({"action": "prescribe", "content": "x", "id": 9}).to_string(),
            "invalid_action",
        ),
        (
            json!({"action": "question", "content": ""}).to_string(),
            "invalid_content",
        ),
        (
            json!({"action": "test", "content": long}).to_string(),
            "invalid_content",
        ),
        (
            json!({"action": "question", "content": 42}).to_string(),
            "invalid_content",
        ),
    ];
    for (frame, code) in cases {
        send(&mut socket, &frame).await;
        let reply = next_json(&mut socket).await;
        assert_eq!(reply["type"], "error", "{frame}: {reply}");
        assert_eq!(reply["code"], code, "{frame}: {reply}");
        assert!(reply["error"].as_str().is_some_and(|e| !e.is_empty()));
    }
    socket
        .send(Message::Binary(vec![0, 159, 146, 150].into()))
        .await
        .unwrap();
    assert_eq!(next_json(&mut socket).await["code"], "invalid_json");

    // Still open, and the id of a refused frame is echoed.
    send(&mut socket, r#"{"action":"nope","content":"x","id":"a7"}"#).await;
    assert_eq!(next_json(&mut socket).await["id"], "a7");
    send(&mut socket, r#"{"action":"ping"}"#).await;
    assert_eq!(next_json(&mut socket).await["type"], "pong");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn frames_are_answered_in_order_with_v1_fields() {
    let db = common::sqlite_db();
    let app = spawn_app(&db).await;
    let mut socket = connect(app.addr).await;
    // v1: `action` may be omitted (a question); answers keep the v1 done-frame fields.
    send(&mut socket, r#"{"content":"Any fever?","id":1}"#).await;
    send(&mut socket, r#"{"action":"ping","id":2}"#).await;
    send(&mut socket, r#"{"action":"test","content":"CBC","id":3}"#).await;
    // Each answer: zero or more reply chunks, then its done frame, all carrying its id.
    let mut first = next_json(&mut socket).await;
    while first["type"] == "reply" {
        assert_eq!(first["id"], 1);
        assert_eq!(first["done"], false);
        first = next_json(&mut socket).await;
    }
    assert_eq!(first["id"], 1);
    assert_eq!(first["type"], "done");
    assert_eq!(first["done"], true);
    assert!(first["reply"].is_string());
    assert_eq!(
        first["cost"],
        json!(300.0),
        "the first question opens a visit"
    );
    assert_eq!(first["total_spent"], json!(300.0));
    assert_eq!(first["ordered_tests"], json!([]));
    assert_eq!(next_json(&mut socket).await["id"], 2);
    let mut third = next_json(&mut socket).await;
    while third["type"] == "reply" {
        assert_eq!(third["id"], 3);
        third = next_json(&mut socket).await;
    }
    assert_eq!(third["id"], 3);
    assert_eq!(
        third["ordered_tests"].as_array().map(Vec::len),
        Some(1),
        "{third}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn server_says_nothing_before_the_first_frame() {
    let db = common::sqlite_db();
    let app = spawn_app(&db).await;
    let mut socket = connect(app.addr).await;
    let quiet = tokio::time::timeout(Duration::from_millis(300), socket.next()).await;
    assert!(quiet.is_err(), "the server sent {quiet:?} unprompted");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn shutdown_closes_open_sockets_with_going_away() {
    let db = common::sqlite_db();
    let app = spawn_app(&db).await;
    let mut socket = connect(app.addr).await;
    send(&mut socket, r#"{"action":"ping"}"#).await;
    next_json(&mut socket).await;
    app.shutdown.trigger();
    let msg = tokio::time::timeout(Duration::from_secs(5), socket.next())
        .await
        .expect("the server closes within 5 s");
    match msg {
        Some(Ok(Message::Close(Some(frame)))) => assert_eq!(frame.code, CloseCode::Away),
        other => panic!("expected a close frame, got {other:?}"),
    }
}

/// The next text frame's JSON, skipping control frames; `None` on a close.
async fn next_or_close(socket: &mut Socket) -> Option<Value> {
    loop {
        let msg = tokio::time::timeout(Duration::from_secs(10), socket.next())
            .await
            .expect("a frame within 10 s")?
            .ok()?;
        match msg {
            Message::Text(text) => return Some(serde_json::from_str(&text).expect("JSON frame")),
            Message::Close(_) => return None,
            _ => continue,
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn frames_that_cannot_be_read_close_with_the_code_that_says_why() {
    use tokio_tungstenite::tungstenite::protocol::frame::coding::{Data, OpCode};
    use tokio_tungstenite::tungstenite::protocol::frame::Frame;
    let db = common::sqlite_db();
    let app = spawn_app(&db).await;

    // A legal question at the content limit, every character an emoji that JSON escapes to 12
    // bytes, is read and answered (it used to be dropped as over 64 KiB).
    let mut socket = connect(app.addr).await;
    let content = "\\ud83d\\ude00".repeat(10_000);
    let frame = format!(r#"{{"action":"question","content":"{content}","id":"emoji"}}"#);
    assert!(frame.len() > 64 * 1024, "{} bytes", frame.len());
    send(&mut socket, &frame).await;
    loop {
        let next = next_or_close(&mut socket).await.expect("no close");
        if next["type"] == "done" || next["type"] == "error" {
            assert_eq!(next["type"], "done", "{next}");
            break;
        }
    }

    // Over the limit: closed with 1009 ("message too big").
    let mut socket = connect(app.addr).await;
    let huge = format!(
        r#"{{"action":"question","content":"{}"}}"#,
        "x".repeat(200 * 1024)
    );
    send(&mut socket, &huge).await;
    assert_eq!(
        common::ws::expect_close(&mut socket, Duration::from_secs(10)).await,
        1009
    );

    // Text that is not UTF-8: 1007.
    let mut socket = connect(app.addr).await;
    let bad = Frame::message(vec![0x7b, 0xff, 0xfe, 0x7d], OpCode::Data(Data::Text), true);
    socket.send(Message::Frame(bad)).await.unwrap();
    assert_eq!(
        common::ws::expect_close(&mut socket, Duration::from_secs(10)).await,
        1007
    );

    // A frame that breaks the protocol (a reserved bit set): 1002.
    let mut socket = connect(app.addr).await;
    let mut odd = Frame::message(b"{}".to_vec(), OpCode::Data(Data::Text), true);
    odd.header_mut().rsv1 = true;
    socket.send(Message::Frame(odd)).await.unwrap();
    assert_eq!(
        common::ws::expect_close(&mut socket, Duration::from_secs(10)).await,
        1002
    );
}

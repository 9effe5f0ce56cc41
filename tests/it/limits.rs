//! Connection limits through the real accept loop: a client that sends no request head in time
//! (or leaves a keep-alive connection idle) is closed; connections over the cap are answered 503
//! at once; a session's sockets over its cap push out the oldest.

use crate::common;

use common::{demo_token, spawn_app_with, sqlite_db, TestOptions};
use dx0::server::listen::Limits;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// Reads until the peer closes (Ok with what came) or `within` passes (Err).
async fn read_to_close(stream: &mut TcpStream, within: Duration) -> Result<String, ()> {
    let mut all = Vec::new();
    let mut buf = [0u8; 4096];
    let deadline = tokio::time::Instant::now() + within;
    loop {
        match tokio::time::timeout_at(deadline, stream.read(&mut buf)).await {
            Ok(Ok(0)) | Ok(Err(_)) => return Ok(String::from_utf8_lossy(&all).into_owned()),
            Ok(Ok(n)) => all.extend_from_slice(&buf[..n]),
            Err(_) => return Err(()),
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn silent_and_idle_connections_are_closed_after_the_header_timeout() {
    let db = sqlite_db();
    let options = TestOptions {
        limits: Some(Limits {
            max_connections: 64,
            header_timeout: Duration::from_secs(1),
        }),
        ..Default::default()
    };
    let app = spawn_app_with(&db, options).await;
    // Connected, sending nothing.
    let mut silent = TcpStream::connect(app.addr).await.unwrap();
    assert!(
        read_to_close(&mut silent, Duration::from_secs(5))
            .await
            .is_ok(),
        "a silent connection stayed open"
    );
    // Half a request head, never finished.
    let mut slow = TcpStream::connect(app.addr).await.unwrap();
    slow.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n")
        .await
        .unwrap();
    assert!(read_to_close(&mut slow, Duration::from_secs(5))
        .await
        .is_ok());
    // A keep-alive connection: answered, then closed once idle.
    let mut idle = TcpStream::connect(app.addr).await.unwrap();
    idle.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
        .await
        .unwrap();
    let answer = read_to_close(&mut idle, Duration::from_secs(5))
        .await
        .expect("closed after being idle");
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn connections_over_the_cap_are_refused_at_once_and_the_cap_frees_up() {
    let db = sqlite_db();
    let options = TestOptions {
        limits: Some(Limits {
            max_connections: 4,
            header_timeout: Duration::from_secs(30),
        }),
        ..Default::default()
    };
    let app = spawn_app_with(&db, options).await;
    let mut held = Vec::new();
    for _ in 0..4 {
        held.push(TcpStream::connect(app.addr).await.unwrap());
    }
    // Let the server accept them.
    tokio::time::sleep(Duration::from_millis(200)).await;
    let mut over = TcpStream::connect(app.addr).await.unwrap();
    let answer = read_to_close(&mut over, Duration::from_secs(5))
        .await
        .expect("the refusal closes the connection");
    assert!(answer.starts_with("HTTP/1.1 503"), "{answer:?}");
    assert!(answer.contains("Too many connections"), "{answer}");
    drop(held);
    tokio::time::sleep(Duration::from_millis(200)).await;
    let health = common::http(app.addr, "GET", "/healthz", None).await;
    assert_eq!(health.status, 200);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_sessions_sockets_over_its_cap_close_the_oldest() {
    let db = sqlite_db();
    let options = TestOptions {
        sockets_per_session: Some(2),
        ..Default::default()
    };
    let app = spawn_app_with(&db, options).await;
    let token = demo_token(app.addr).await;
    let mut first = common::ws::open_with_token(app.addr, &token, "").await;
    let mut second = common::ws::open_with_token(app.addr, &token, "").await;
    let mut third = common::ws::open_with_token(app.addr, &token, "").await;
    assert_eq!(
        common::ws::expect_close(&mut first, Duration::from_secs(5)).await,
        4001
    );
    // The two newest still work.
    common::ws::ask(&mut second, "Any fever?").await;
    common::ws::ask(&mut third, "Any cough?").await;
    // Another session is counted apart.
    let other = demo_token(app.addr).await;
    let mut fourth = common::ws::open_with_token(app.addr, &other, "").await;
    common::ws::ask(&mut fourth, "Any rash?").await;
    assert!(common::ws::stays_quiet(&mut second, Duration::from_millis(300)).await);
}

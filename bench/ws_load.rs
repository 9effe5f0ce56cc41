//! Load on a running server: `IDLE` sockets opened and left idle, then `CLIENTS` sockets that
//! each ask `QUESTIONS` questions one after another, all at once. Prints round-trip percentiles
//! and throughput; the server's memory is read by `bench/run.sh`.
//! Usage: cargo run --release --features ssr --example ws_load -- 'ws://HOST/api/v1/ws?token=T' IDLE CLIENTS QUESTIONS

use futures_util::{SinkExt, StreamExt};
use std::time::{Duration, Instant};
use tokio_tungstenite::tungstenite::Message;

type Socket =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

async fn ask_all(url: String, questions: usize) -> Result<Vec<u64>, String> {
    let (mut socket, _): (Socket, _) = tokio_tungstenite::connect_async(&url)
        .await
        .map_err(|e| e.to_string())?;
    let mut micros = Vec::with_capacity(questions);
    for i in 0..questions {
        let t = Instant::now();
        let frame =
            format!(r#"{{"action":"question","content":"Any fever or chills?","id":"{i}"}}"#);
        socket
            .send(Message::Text(frame.into()))
            .await
            .map_err(|e| e.to_string())?;
        // Reply pieces, then the done frame.
        loop {
            match socket.next().await {
                Some(Ok(Message::Text(text))) if text.contains(r#""type":"done""#) => break,
                Some(Ok(Message::Text(text))) if text.contains(r#""type":"error""#) => {
                    return Err(text.to_string())
                }
                Some(Ok(_)) => continue,
                other => return Err(format!("socket ended: {other:?}")),
            }
        }
        micros.push(t.elapsed().as_micros() as u64);
    }
    Ok(micros)
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let url = args.next().ok_or("a ws:// URL with a token")?;
    let idle: usize = args.next().map(|s| s.parse()).transpose()?.unwrap_or(1000);
    let clients: usize = args.next().map(|s| s.parse()).transpose()?.unwrap_or(50);
    let questions: usize = args.next().map(|s| s.parse()).transpose()?.unwrap_or(40);

    let mut held = Vec::with_capacity(idle);
    let opened = Instant::now();
    for _ in 0..idle {
        let (socket, _) = tokio_tungstenite::connect_async(&url).await?;
        held.push(socket);
    }
    println!(
        "idle: {idle} sockets open in {:.2} s",
        opened.elapsed().as_secs_f64()
    );
    tokio::time::sleep(Duration::from_millis(500)).await;

    let started = Instant::now();
    let tasks: Vec<_> = (0..clients)
        // Each client works its own new encounter (one encounter takes one step at a time).
        .map(|_| tokio::spawn(ask_all(format!("{url}&new=1"), questions)))
        .collect();
    let mut micros = Vec::new();
    let mut failed = 0;
    for task in tasks {
        match task.await? {
            Ok(m) => micros.extend(m),
            Err(e) => {
                failed += 1;
                eprintln!("client failed: {e}");
            }
        }
    }
    let total = started.elapsed();
    micros.sort_unstable();
    if micros.is_empty() {
        return Err("no question was answered".into());
    }
    let pct = |p: f64| micros[((micros.len() - 1) as f64 * p) as usize];
    println!(
        "questions: {clients} clients x {questions}, {} answered in {:.2} s ({:.0}/s), {failed} clients failed; p50 {} us, p99 {} us, max {} us",
        micros.len(),
        total.as_secs_f64(),
        micros.len() as f64 / total.as_secs_f64(),
        pct(0.50),
        pct(0.99),
        micros[micros.len() - 1]
    );
    drop(held);
    Ok(())
}

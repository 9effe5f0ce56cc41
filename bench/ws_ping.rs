//! Measures WebSocket round trips against a running server: N sequential frames on one socket,
//! either keep-alive pings (not counted) or questions (each counted against the message rate
//! limit in the database).
//! Usage: cargo run --release --features ssr --example ws_ping -- 'ws://HOST/api/v1/ws?token=T' [N] [ping|question]

use futures_util::{SinkExt, StreamExt};
use std::time::Instant;
use tokio_tungstenite::tungstenite::Message;

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let url = args
        .next()
        .unwrap_or_else(|| "ws://127.0.0.1:3000/api/v1/ws".into());
    let n: usize = args.next().map(|s| s.parse()).transpose()?.unwrap_or(2000);
    let kind = args.next().unwrap_or_else(|| "ping".into());
    if kind != "ping" && kind != "question" {
        return Err(format!("unknown frame kind {kind:?}: ping or question").into());
    }
    let (mut socket, _) = tokio_tungstenite::connect_async(&url).await?;
    let mut micros = Vec::with_capacity(n);
    let started = Instant::now();
    for i in 0..n {
        let t = Instant::now();
        socket
            .send(Message::Text(
                format!(r#"{{"action":"{kind}","content":"bench","id":"{i}"}}"#).into(),
            ))
            .await?;
        loop {
            match socket.next().await {
                Some(Ok(Message::Text(_))) => break,
                Some(Ok(_)) => continue,
                other => return Err(format!("socket ended: {other:?}").into()),
            }
        }
        micros.push(t.elapsed().as_micros() as u64);
    }
    let total = started.elapsed();
    micros.sort_unstable();
    let pct = |p: f64| micros[((micros.len() - 1) as f64 * p) as usize];
    println!(
        "ws {kind}: {n} round trips in {:.2} s ({:.0}/s); p50 {} us, p99 {} us, max {} us",
        total.as_secs_f64(),
        n as f64 / total.as_secs_f64(),
        pct(0.50),
        pct(0.99),
        micros[micros.len() - 1]
    );
    Ok(())
}

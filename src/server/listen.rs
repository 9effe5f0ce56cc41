//! Accepting connections, with limits: at most `max_connections` open at once, WebSockets
//! included (one more is answered 503 and closed at once, so a flood of idle connections cannot
//! use up the process's file descriptors); a request's head must arrive within `header_timeout`
//! (a slow client, a connection that never speaks, or a keep-alive connection left idle, is
//! closed: hyper's header-read timeout); HTTP/1.1 only; on shutdown no new connection is taken
//! and open ones finish their request.

use super::Shutdown;
use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::Router;
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::service::TowerToHyperService;
use std::convert::Infallible;
use std::future::Future;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncWrite, AsyncWriteExt, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tower::Service;

/// The connection limits.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Connections open at once, WebSockets included.
    pub max_connections: usize,
    /// Time to send a request's head, and the most a keep-alive connection stays idle.
    pub header_timeout: Duration,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_connections: 1024,
            header_timeout: Duration::from_secs(10),
        }
    }
}

/// What a connection over the limit is told before it is closed.
const BUSY: &[u8] = b"HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/json\r\n\
Retry-After: 1\r\nConnection: close\r\nContent-Length: 45\r\n\r\n\
{\"detail\":\"Too many connections; try again\"}";

/// Serves `app` on `listener` until `shutdown` fires, then waits up to `drain` for open
/// requests to finish.
pub async fn serve(
    listener: TcpListener,
    app: Router,
    limits: Limits,
    shutdown: Shutdown,
    drain: Duration,
) {
    let permits = Arc::new(Semaphore::new(limits.max_connections));
    tokio::spawn(give_back_memory(
        permits.clone(),
        limits.max_connections,
        shutdown.clone(),
    ));
    let mut http = http1::Builder::new();
    http.timer(TokioTimer::new())
        .header_read_timeout(limits.header_timeout)
        .keep_alive(true);
    loop {
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(err) => {
                    // Out of descriptors or a connection reset before accept: wait a moment
                    // rather than spin.
                    tracing::warn!(error = %err, "accept failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            () = shutdown.wait() => break,
        };
        let Ok(permit) = permits.clone().try_acquire_owned() else {
            tokio::spawn(refuse(stream));
            continue;
        };
        let _ = stream.set_nodelay(true);
        let io = TokioIo::new(Counted {
            io: stream,
            _permit: permit,
        });
        let service = TowerToHyperService::new(WithPeer {
            app: app.clone(),
            peer,
        });
        let connection = http.serve_connection(io, service).with_upgrades();
        let shutdown = shutdown.clone();
        tokio::spawn(async move {
            let mut connection = std::pin::pin!(connection);
            let ended = tokio::select! {
                ended = connection.as_mut() => ended,
                () = shutdown.wait() => {
                    // The request in progress finishes; no other is read.
                    connection.as_mut().graceful_shutdown();
                    connection.await
                }
            };
            if let Err(err) = ended {
                tracing::trace!(error = %err, "connection ended with an error");
            }
        });
    }
    drop(listener);
    // Every connection gives its place back when it ends (WebSockets close themselves on
    // shutdown).
    let all = u32::try_from(limits.max_connections).unwrap_or(u32::MAX);
    if tokio::time::timeout(drain, permits.acquire_many(all))
        .await
        .is_err()
    {
        tracing::warn!("connections still open after {drain:?}; stopping anyway");
    }
}

/// Once a burst is over (at most a few connections open), gives the memory it took back to the
/// system: glibc keeps freed heap pages resident otherwise (measured with `bench/load.sh`: 178 MB
/// stayed after 1,050 sockets closed). Not while busy: a trim walks every heap and would stall
/// the requests in progress.
async fn give_back_memory(permits: Arc<Semaphore>, max: usize, shutdown: Shutdown) {
    const QUIET: usize = 8;
    let mut tick = tokio::time::interval(Duration::from_secs(10));
    let mut owed = false;
    loop {
        tokio::select! {
            _ = tick.tick() => {}
            () = shutdown.wait() => return,
        }
        let open = max.saturating_sub(permits.available_permits());
        if open > QUIET {
            owed = true;
        } else if owed {
            owed = false;
            #[cfg(all(target_os = "linux", target_env = "gnu"))]
            // SAFETY: malloc_trim only gives free memory back to the system; it is thread-safe.
            #[expect(unsafe_code, reason = "glibc's malloc_trim has no safe wrapper")]
            unsafe {
                libc::malloc_trim(0);
            }
        }
    }
}

/// Tells a connection over the limit so, and closes it.
async fn refuse(mut stream: TcpStream) {
    let _ = tokio::time::timeout(Duration::from_secs(1), async {
        let _ = stream.write_all(BUSY).await;
        let _ = stream.shutdown().await;
    })
    .await;
}

/// A connection's stream that holds its place under the limit until it is dropped (after an
/// upgrade too: the WebSocket keeps the stream).
struct Counted {
    io: TcpStream,
    _permit: OwnedSemaphorePermit,
}

impl AsyncRead for Counted {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.io).poll_read(cx, buf)
    }
}

impl AsyncWrite for Counted {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        Pin::new(&mut self.io).poll_write(cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.io).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.io).poll_shutdown(cx)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[std::io::IoSlice<'_>],
    ) -> Poll<std::io::Result<usize>> {
        Pin::new(&mut self.io).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.io.is_write_vectored()
    }
}

/// The application for one connection: every request carries the peer's address, as
/// `into_make_service_with_connect_info` would give it.
#[derive(Clone)]
struct WithPeer {
    app: Router,
    peer: SocketAddr,
}

impl Service<axum::http::Request<Incoming>> for WithPeer {
    type Response = axum::response::Response;
    type Error = Infallible;
    type Future = Pin<Box<dyn Future<Output = Result<Self::Response, Infallible>> + Send>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        <Router as Service<axum::http::Request<Body>>>::poll_ready(&mut self.app, cx)
    }

    fn call(&mut self, request: axum::http::Request<Incoming>) -> Self::Future {
        let mut request = request.map(Body::new);
        request.extensions_mut().insert(ConnectInfo(self.peer));
        Box::pin(self.app.call(request))
    }
}

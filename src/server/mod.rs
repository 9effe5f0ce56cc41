//! The web edge: router, state, health checks, the WebSocket, and the server-function helpers.
//! It translates HTTP and WebSocket traffic into calls on the store and the engine.

mod api;
mod api_cases;
mod client;
mod encounter;
mod export;
pub mod fns;
mod headers;
mod health;
pub mod listen;
mod origin;
mod pages;
mod panel;
mod shutdown;
pub mod sockets;
pub mod views;
mod ws;

pub use client::client_address;

pub use shutdown::Shutdown;

use crate::app::{shell, App};
use crate::auth::Auth;
use crate::store::Store;
use axum::extract::DefaultBodyLimit;
use axum::extract::FromRef;
use axum::middleware;
use axum::routing::{get, post};
use axum::Router;
use leptos::config::LeptosOptions;
use leptos_axum::{generate_route_list, LeptosRoutes};
use std::sync::Arc;
use tower_http::trace::{DefaultOnResponse, TraceLayer};
use tracing::Level;

/// Everything a request handler may need; cloned per request (all fields are cheap handles).
#[derive(Clone)]
pub struct AppState {
    /// Where the site is and how to render it.
    pub leptos: LeptosOptions,
    /// The database.
    pub store: Arc<dyn Store>,
    /// Tells long-lived connections (WebSockets) that the server is stopping.
    pub shutdown: Shutdown,
    /// Accounts, sessions, tokens and limits.
    pub auth: Auth,
    /// Take client addresses from `X-Forwarded-For` (behind a trusted proxy only).
    pub trusted_proxy: bool,
    /// Running with `DX0_ENV=production`.
    pub production: bool,
    /// Send `Strict-Transport-Security` (`DX0_HSTS=1`: served over HTTPS).
    pub hsts: bool,
    /// The encounter service: loads, steps, saves and runs the panel on encounters.
    pub encounters: crate::clinic::Encounters,
    /// The open WebSockets of each session, capped.
    pub sockets: sockets::Sockets,
}

impl FromRef<AppState> for LeptosOptions {
    fn from_ref(state: &AppState) -> Self {
        state.leptos.clone()
    }
}

/// The span of one request in the log: method, path and query with secret values hidden (a
/// socket's `?token=` would otherwise be copied into every log line), never headers.
fn request_span<B>(request: &axum::http::Request<B>) -> tracing::Span {
    let uri = request.uri();
    let target = match uri.query() {
        Some(query) => format!("{}?{}", uri.path(), crate::redact::query(query)),
        None => uri.path().to_string(),
    };
    tracing::info_span!(
        "request",
        method = %request.method(),
        uri = %target,
        version = ?request.version(),
    )
}

/// The whole application: API routes, health checks, the pages, their server functions and
/// the static site, each answer with the security headers (`headers`), and server functions
/// refused to other sites (`origin`).
pub fn router(state: AppState) -> Router {
    let routes = generate_route_list(App);
    // cargo-leptos's reload script (`make dev`) connects to its own port; Leptos renders it
    // exactly when LEPTOS_WATCH is set, so the page policy allows that port then.
    let reload_port = std::env::var_os("LEPTOS_WATCH").map(|_| state.leptos.reload_port);
    let page_headers = headers::page_headers_context(reload_port);
    let routes = Router::new()
        .route("/healthz", get(health::healthz))
        .route("/readyz", get(health::readyz))
        .route("/api/v1/ws", get(ws::upgrade))
        .route("/api/v1/case", get(api_cases::default_case))
        .route("/api/v1/cases", get(api_cases::cases))
        .route("/api/v1/tests", get(api_cases::tests))
        .route("/api/v1/encounters", get(api_cases::encounters))
        .route("/api/v1/encounters/{id}", get(api_cases::encounter))
        .route("/api/v1/encounters/{id}/export", get(export::export))
        .merge(
            Router::new()
                .route("/api/v1/login", post(api::login))
                .route("/api/v1/refresh", post(api::refresh))
                .route("/api/v1/logout", post(api::logout))
                // Credentials are small; refuse anything bigger before reading it.
                .layer(DefaultBodyLimit::max(16 * 1024)),
        )
        .merge(
            Router::new()
                .route("/api/v1/fhir/transcript", post(export::fhir_transcript))
                .route("/api/v1/fhir/tests", post(export::fhir_tests))
                .layer(DefaultBodyLimit::max(1024 * 1024)),
        )
        .leptos_routes_with_context(&state, routes, page_headers.clone(), {
            let options = state.leptos.clone();
            move || shell(options.clone())
        })
        .route_layer(headers::no_store())
        .route_layer(middleware::from_fn(pages::redirects_are_redirects))
        // Static files, and the 404 page for any other path (GET and HEAD only).
        .fallback(pages::read_only(
            leptos_axum::file_and_error_handler_with_context::<AppState, _>(page_headers, shell),
        ))
        .layer(middleware::from_fn_with_state(
            state.clone(),
            origin::refuse_cross_site,
        ))
        .layer(middleware::from_fn(origin::server_fn_status));
    headers::secure(routes, state.hsts)
        .layer(
            TraceLayer::new_for_http()
                .make_span_with(request_span)
                .on_response(DefaultOnResponse::new().level(Level::INFO)),
        )
        .with_state(state)
}

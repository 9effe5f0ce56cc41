//! What pages and static files answer at the HTTP level, for clients without JavaScript: a
//! page that sends the visitor elsewhere (a protected page, signed out) answers with a real
//! redirect, and the static site answers only `GET` and `HEAD`.

use super::AppState;
use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{header, HeaderValue, Method, StatusCode, Uri};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use std::future::Future;
use std::pin::Pin;

/// A page render that asked to go elsewhere carries a `Location` but, for a client that does
/// not say it accepts HTML (curl, a bot), a 200 status: it becomes a `303 See Other`, so the
/// page works without JavaScript. Server functions (`/api/fn/…`) keep Leptos's own signal.
pub async fn redirects_are_redirects(request: Request, next: Next) -> Response {
    let page = matches!(*request.method(), Method::GET | Method::HEAD)
        && !request.uri().path().starts_with("/api/");
    let mut response = next.run(request).await;
    if page
        && response.status() == StatusCode::OK
        && response.headers().contains_key(header::LOCATION)
    {
        *response.status_mut() = StatusCode::SEE_OTHER;
        response
            .headers_mut()
            .remove(header::HeaderName::from_static("serverfnredirect"));
    }
    response
}

/// The static site and the 404 page (`files`), for `GET` and `HEAD` only; any other method
/// is answered 405 with `Allow: GET, HEAD`.
pub fn read_only<F>(
    files: F,
) -> impl Fn(Uri, State<AppState>, Request<Body>) -> Pin<Box<dyn Future<Output = Response> + Send>>
       + Clone
       + Send
       + 'static
where
    F: Fn(Uri, State<AppState>, Request<Body>) -> Pin<Box<dyn Future<Output = Response> + Send>>
        + Clone
        + Send
        + 'static,
{
    move |uri, state, request| {
        if matches!(*request.method(), Method::GET | Method::HEAD) {
            files(uri, state, request)
        } else {
            Box::pin(async {
                let mut refused = (
                    StatusCode::METHOD_NOT_ALLOWED,
                    "Only GET and HEAD are served here.",
                )
                    .into_response();
                refused
                    .headers_mut()
                    .insert(header::ALLOW, HeaderValue::from_static("GET, HEAD"));
                refused
            })
        }
    }
}

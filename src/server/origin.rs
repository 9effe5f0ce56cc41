//! Where a request comes from: the `Origin` check that keeps other sites from acting with a
//! signed-in browser's cookie (server functions, and the WebSocket opened by cookie).

use super::AppState;
use crate::protocol::ErrorCode;
use axum::extract::{Request, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

/// Where the server functions live (the `prefix` of every `#[server]` in `app/`).
pub const SERVER_FN_PREFIX: &str = "/api/fn/";

/// True when the `Origin` names the host the request was sent to (the `X-Forwarded-Host` a
/// trusted proxy set, else `Host`). No `Origin`, `Origin: null` or any other site: false.
pub fn same_origin(headers: &HeaderMap, trusted_proxy: bool) -> bool {
    let text = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
    let Some(origin) = text("origin") else {
        return false;
    };
    let host = trusted_proxy
        .then(|| text("x-forwarded-host"))
        .flatten()
        .or_else(|| text("host"));
    let Some(host) = host else {
        return false;
    };
    let authority = origin
        .strip_prefix("http://")
        .or_else(|| origin.strip_prefix("https://"));
    authority.is_some_and(|a| a.eq_ignore_ascii_case(host.trim()))
}

/// Refuses (403) a server-function call whose `Origin` is another site: it would act with the
/// browser's session cookie (start encounters, sign in or out, end sessions). Browsers send an
/// `Origin` with every POST; a request without one comes from a non-browser client, which
/// holds the cookie itself, and is let through.
pub async fn refuse_cross_site(
    State(state): State<AppState>,
    request: Request,
    next: Next,
) -> Response {
    let headers = request.headers();
    if request.uri().path().starts_with(SERVER_FN_PREFIX)
        && headers.contains_key(header::ORIGIN)
        && !same_origin(headers, state.trusted_proxy)
    {
        tracing::warn!(
            path = %request.uri().path(),
            origin = ?headers.get(header::ORIGIN),
            "cross-site server function call refused"
        );
        return crate::error::ApiError::new(
            StatusCode::FORBIDDEN,
            "Cross-site request refused: this action is accepted only from Dx0's own pages",
        )
        .into_response();
    }
    next.run(request).await
}

/// A server function that failed answers 500 whatever the failure (Leptos's choice); a call
/// that is itself wrong gets the status that says so: 400 for missing or malformed arguments
/// and refused input, 413 for a body over the limit. Other failures stay 500.
pub async fn server_fn_status(request: Request, next: Next) -> Response {
    let is_server_fn = request.uri().path().starts_with(SERVER_FN_PREFIX);
    let response = next.run(request).await;
    if !is_server_fn || response.status() != StatusCode::INTERNAL_SERVER_ERROR {
        return response;
    }
    let (mut parts, body) = response.into_parts();
    // An error answer is a small JSON object; a larger body is left as it is.
    let Ok(bytes) = axum::body::to_bytes(body, 64 * 1024).await else {
        parts.status = StatusCode::INTERNAL_SERVER_ERROR;
        return Response::from_parts(parts, axum::body::Body::empty());
    };
    let code = serde_json::from_slice::<crate::error::UserError>(&bytes)
        .map(|e| e.code)
        .unwrap_or(ErrorCode::Internal);
    parts.status = match code {
        ErrorCode::InvalidArguments | ErrorCode::InvalidContent => StatusCode::BAD_REQUEST,
        ErrorCode::TooLarge => StatusCode::PAYLOAD_TOO_LARGE,
        _ => StatusCode::INTERNAL_SERVER_ERROR,
    };
    Response::from_parts(parts, axum::body::Body::from(bytes))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.append(*name, value.parse().unwrap());
        }
        map
    }

    #[test]
    fn only_an_origin_naming_the_requested_host_is_same_origin() {
        let ours = headers(&[
            ("host", "dx0.example:3000"),
            ("origin", "http://dx0.example:3000"),
        ]);
        assert!(same_origin(&ours, false));
        let tls = headers(&[("host", "dx0.example"), ("origin", "https://DX0.example")]);
        assert!(same_origin(&tls, false));
        for origin in [
            "https://evil.example",
            "null",
            "http://dx0.example:3001",
            "dx0.example",
        ] {
            let other = headers(&[("host", "dx0.example:3000"), ("origin", origin)]);
            assert!(!same_origin(&other, false), "{origin}");
        }
        assert!(!same_origin(&headers(&[("host", "dx0.example")]), false));
    }

    #[test]
    fn a_forwarded_host_counts_only_behind_a_trusted_proxy() {
        let proxied = headers(&[
            ("host", "127.0.0.1:3000"),
            ("x-forwarded-host", "dx0.example"),
            ("origin", "https://dx0.example"),
        ]);
        assert!(same_origin(&proxied, true));
        assert!(!same_origin(&proxied, false));
    }
}

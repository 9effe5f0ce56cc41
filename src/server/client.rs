//! Who is asking: the client address (from the socket, or from a trusted proxy's
//! `X-Forwarded-For`) and the browser session cookie.

use super::AppState;
use crate::auth::service::session_cookie_value;
use axum::extract::{ConnectInfo, FromRequestParts};
use http::request::Parts;
use http::HeaderMap;
use std::convert::Infallible;
use std::net::SocketAddr;

/// The client address: the rightmost `X-Forwarded-For` entry when `trusted_proxy` is set (the
/// one our proxy appended; entries left of it are client-supplied), else the peer address.
pub fn client_address(
    headers: &HeaderMap,
    peer: Option<SocketAddr>,
    trusted_proxy: bool,
) -> String {
    if trusted_proxy {
        let forwarded = headers
            .get_all("x-forwarded-for")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(','))
            .map(str::trim)
            .rfind(|v| !v.is_empty());
        if let Some(addr) = forwarded {
            return addr.chars().take(64).collect();
        }
    }
    peer.map_or_else(|| "unknown".to_string(), |p| p.ip().to_string())
}

/// The token of an `Authorization: Bearer …` header (the scheme in any case), if any.
pub fn bearer_token(headers: &HeaderMap) -> Option<&str> {
    let value = headers.get(http::header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    scheme.eq_ignore_ascii_case("bearer").then(|| token.trim())
}

/// The browser session cookie's value among a request's `Cookie` headers, if any.
pub fn session_cookie(headers: &HeaderMap) -> Option<String> {
    headers
        .get_all(http::header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find_map(session_cookie_value)
}

/// The client address of a request, as an extractor.
#[derive(Debug, Clone)]
pub struct ClientAddr(pub String);

impl FromRequestParts<AppState> for ClientAddr {
    type Rejection = Infallible;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Infallible> {
        let peer = parts
            .extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map(|c| c.0);
        Ok(ClientAddr(client_address(
            &parts.headers,
            peer,
            state.trusted_proxy,
        )))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn forwarded_for_is_read_only_behind_a_trusted_proxy() {
        let mut headers = HeaderMap::new();
        headers.append("x-forwarded-for", "1.1.1.1, 2.2.2.2".parse().unwrap());
        headers.append("x-forwarded-for", "3.3.3.3".parse().unwrap());
        let peer: SocketAddr = "10.0.0.7:5000".parse().unwrap();
        assert_eq!(client_address(&headers, Some(peer), true), "3.3.3.3");
        assert_eq!(client_address(&headers, Some(peer), false), "10.0.0.7");
        assert_eq!(
            client_address(&HeaderMap::new(), Some(peer), true),
            "10.0.0.7"
        );
        assert_eq!(client_address(&HeaderMap::new(), None, false), "unknown");
    }
}

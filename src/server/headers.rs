//! Security headers on every answer: a Content-Security-Policy (pages run only our own scripts,
//! the inline hydration script by the nonce Leptos gives each render; anything else runs
//! nothing), no framing, no MIME sniffing, same-origin referrers, HSTS when configured, and
//! `Cache-Control: no-store` on pages and API answers (static files keep their validators).

use axum::http::{header, HeaderValue};
use axum::Router;
use leptos::prelude::use_context;
use tower_http::set_header::SetResponseHeaderLayer;

/// The policy of every answer that is not a page (API JSON, exports, static files): should a
/// browser ever render one, nothing in it may run, load or be framed.
pub const LOCKED_POLICY: &str =
    "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'";

/// HSTS for a year (`DX0_HSTS=1`); subdomains are left to their owners.
const HSTS: &str = "max-age=31536000";

/// The policy of a page rendered with `nonce`: scripts from this site (the wasm bundle's
/// loader) and the inline scripts Leptos writes with the nonce, WebAssembly compilation,
/// styles from this site only (no inline styles or `style` attributes), connections to this
/// site (the WebSocket; and cargo-leptos's reload socket on `reload_port` in `make dev`).
pub fn page_policy(nonce: &str, reload_port: Option<u32>) -> String {
    let connect = match reload_port {
        Some(port) => format!("'self' ws://*:{port}"),
        None => "'self'".to_string(),
    };
    format!(
        "default-src 'self'; script-src 'self' 'nonce-{nonce}' 'wasm-unsafe-eval'; \
         style-src 'self'; connect-src {connect}; \
         object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
    )
}

/// Run in the context of every page render (the routes and the 404 page): puts the page policy
/// with this render's nonce on the response, and `no-store` (a page shows who is signed in).
/// Outside a page render (server functions, static files) there is no nonce and the locked
/// policy applies.
pub fn page_headers_context(reload_port: Option<u32>) -> impl Fn() + Clone + Send + Sync + 'static {
    move || {
        let nonce = leptos::nonce::use_nonce();
        let response = use_context::<leptos_axum::ResponseOptions>();
        if let (Some(nonce), Some(response)) = (nonce, response) {
            if let Ok(value) = HeaderValue::from_str(&page_policy(&nonce, reload_port)) {
                response.insert_header(header::CONTENT_SECURITY_POLICY, value);
            }
            response.insert_header(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
        }
    }
}

/// `Cache-Control: no-store` for routed answers (pages, server functions, the API): they are
/// private to the signed-in user. Applied with `route_layer`, so static files are left alone.
pub fn no_store() -> SetResponseHeaderLayer<HeaderValue> {
    SetResponseHeaderLayer::if_not_present(
        header::CACHE_CONTROL,
        HeaderValue::from_static("no-store"),
    )
}

/// The headers every answer carries; `hsts` adds `Strict-Transport-Security`.
pub fn secure<S>(router: Router<S>, hsts: bool) -> Router<S>
where
    S: Clone + Send + Sync + 'static,
{
    let router = router
        .layer(SetResponseHeaderLayer::if_not_present(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(LOCKED_POLICY),
        ))
        .layer(SetResponseHeaderLayer::overriding(
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        ))
        .layer(SetResponseHeaderLayer::overriding(
            header::REFERRER_POLICY,
            HeaderValue::from_static("same-origin"),
        ));
    if hsts {
        router.layer(SetResponseHeaderLayer::overriding(
            header::STRICT_TRANSPORT_SECURITY,
            HeaderValue::from_static(HSTS),
        ))
    } else {
        router
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_page_runs_only_scripts_of_this_site_and_of_its_nonce() {
        let policy = page_policy("abc123", None);
        assert!(policy.contains("script-src 'self' 'nonce-abc123' 'wasm-unsafe-eval';"));
        assert!(policy.contains("frame-ancestors 'none'"));
        assert!(policy.contains("object-src 'none'"));
        // No inline script without the nonce, no eval, no handler attributes.
        let scripts = policy
            .split("; ")
            .find(|d| d.starts_with("script-src "))
            .unwrap();
        assert!(!scripts.contains("unsafe-inline"), "{scripts}");
        assert!(!policy.contains("'unsafe-eval'"));
        assert!(!policy.contains("script-src-attr"));
        assert!(
            !policy.contains("unsafe-inline"),
            "no inline script or style: {policy}"
        );
        assert!(policy.contains("connect-src 'self';"));
        assert!(page_policy("n", Some(3001)).contains("connect-src 'self' ws://*:3001;"));
    }
}

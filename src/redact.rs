//! Keeping secrets out of logs and Debug output: passwords in database URLs, and tokens, keys
//! and passwords in the query strings of requests.

/// Query parameters whose values are secrets.
const SECRET_PARAMS: &[&str] = &[
    "token",
    "access_token",
    "refresh_token",
    "id_token",
    "key",
    "api_key",
    "apikey",
    "password",
    "pass",
    "passwd",
    "secret",
    "session",
    "sslpassword",
    "code",
];

/// The query string with every secret value replaced by `***` ("token=***&x=1").
pub fn query(query: &str) -> String {
    query
        .split('&')
        .map(|pair| match pair.split_once('=') {
            Some((name, _)) if SECRET_PARAMS.contains(&name.to_ascii_lowercase().as_str()) => {
                format!("{name}=***")
            }
            _ => pair.to_string(),
        })
        .collect::<Vec<_>>()
        .join("&")
}

/// A URL or request target with its password and secret query values hidden
/// ("postgres://dx0:***@db/dx0", "/api/v1/ws?token=***").
pub fn url(url: &str) -> String {
    let (base, query_part) = match url.split_once('?') {
        Some((base, q)) => (base, Some(q)),
        None => (url, None),
    };
    let base = userinfo(base);
    match query_part {
        Some(q) => format!("{base}?{}", query(q)),
        None => base,
    }
}

/// Hides the password of a URL's user information.
fn userinfo(url: &str) -> String {
    let Some(scheme_end) = url.find("://") else {
        return url.to_string();
    };
    let rest = &url[scheme_end + 3..];
    let authority_end = rest.find('/').unwrap_or(rest.len());
    let authority = &rest[..authority_end];
    let Some(at) = authority.rfind('@') else {
        return url.to_string();
    };
    let user = &authority[..at];
    match user.find(':') {
        Some(colon) => format!(
            "{}://{}:***{}",
            &url[..scheme_end],
            &user[..colon],
            &rest[at..]
        ),
        None => url.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_and_tokens_are_hidden() {
        assert_eq!(
            url("postgres://dx0:hunter2@db.local:5432/dx0"),
            "postgres://dx0:***@db.local:5432/dx0"
        );
        assert_eq!(
            url("postgres://dx0@db.local/dx0"),
            "postgres://dx0@db.local/dx0"
        );
        assert_eq!(url("sqlite:dx0.db"), "sqlite:dx0.db");
        assert_eq!(
            url("postgres://db/dx0?user=dx0&password=hunter2"),
            "postgres://db/dx0?user=dx0&password=***"
        );
        assert_eq!(
            url("/api/v1/ws?token=abc.def&case=x"),
            "/api/v1/ws?token=***&case=x"
        );
        assert_eq!(query("Token=abc"), "Token=***");
        assert_eq!(query("q=cbc"), "q=cbc");
    }
}

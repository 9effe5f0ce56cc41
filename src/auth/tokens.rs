//! Credentials: random opaque tokens (stored only as SHA-256 hashes) and HS256 access tokens that
//! name a stored session.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use rand::RngCore;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// 32 random bytes from the OS, URL-safe base64 (43 characters).
pub fn random_token() -> String {
    let mut bytes = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    URL_SAFE_NO_PAD.encode(bytes)
}

/// The hex SHA-256 of a token: what the database keeps instead of the token.
pub fn token_hash(token: &str) -> String {
    let digest = Sha256::digest(token.as_bytes());
    let mut out = String::with_capacity(64);
    for byte in digest {
        out.push_str(&format!("{byte:02x}"));
    }
    out
}

/// What an access token says. Only `sid` is acted on; the group is always read from the session.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccessClaims {
    /// The session id.
    pub sid: String,
    /// The user name (informational).
    pub sub: String,
    /// Issued at (Unix seconds).
    pub iat: i64,
    /// Expires at (Unix seconds).
    pub exp: i64,
    /// Always `access`, so no other token kind signed with the key is taken for one.
    pub typ: String,
    /// A random id, so two tokens issued in the same second still differ.
    #[serde(default)]
    pub jti: String,
}

/// Signs and checks access tokens with one HS256 secret.
#[derive(Clone)]
pub struct TokenKeys {
    encoding: EncodingKey,
    decoding: DecodingKey,
}

impl std::fmt::Debug for TokenKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("TokenKeys(***)")
    }
}

impl TokenKeys {
    /// Keys from the signing secret.
    pub fn new(secret: &[u8]) -> Self {
        Self {
            encoding: EncodingKey::from_secret(secret),
            decoding: DecodingKey::from_secret(secret),
        }
    }

    /// Signs an access token for `claims`.
    pub fn sign(&self, claims: &AccessClaims) -> Result<String, jsonwebtoken::errors::Error> {
        jsonwebtoken::encode(&Header::new(Algorithm::HS256), claims, &self.encoding)
    }

    /// Checks the signature and algorithm (HS256 only) and returns the claims if the token is
    /// an access token not expired at `now_secs`. Expiry is checked here, on the injected clock,
    /// not by the library on the system clock.
    pub fn verify(&self, token: &str, now_secs: i64) -> Option<AccessClaims> {
        let mut validation = Validation::new(Algorithm::HS256);
        validation.validate_exp = false;
        validation.required_spec_claims.clear();
        let data = jsonwebtoken::decode::<AccessClaims>(token, &self.decoding, &validation).ok()?;
        let claims = data.claims;
        (claims.typ == "access" && claims.exp > now_secs).then_some(claims)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn claims(exp: i64) -> AccessClaims {
        AccessClaims {
            sid: "s1".into(),
            sub: "physician".into(),
            iat: 1_000,
            exp,
            typ: "access".into(),
            jti: "j".into(),
        }
    }

    #[test]
    fn tokens_verify_until_they_expire() {
        let keys = TokenKeys::new(b"0123456789abcdef0123456789abcdef");
        let token = keys.sign(&claims(4_600)).unwrap();
        assert_eq!(keys.verify(&token, 4_599).unwrap().sid, "s1");
        assert!(keys.verify(&token, 4_600).is_none(), "expired at exp");
    }

    #[test]
    fn forged_and_foreign_tokens_are_refused() {
        let keys = TokenKeys::new(b"0123456789abcdef0123456789abcdef");
        let other = TokenKeys::new(b"another secret, also 32 bytes lo");
        let token = other.sign(&claims(9_999)).unwrap();
        assert!(keys.verify(&token, 1_000).is_none(), "other key");
        assert!(keys.verify("garbage", 1_000).is_none());
        assert!(keys.verify("", 1_000).is_none());
        // alg=none with the same claims.
        let header = URL_SAFE_NO_PAD.encode(br#"{"alg":"none","typ":"JWT"}"#);
        let body = URL_SAFE_NO_PAD.encode(serde_json::to_vec(&claims(9_999)).unwrap());
        assert!(keys.verify(&format!("{header}.{body}."), 1_000).is_none());
        let mut wrong_kind = claims(9_999);
        wrong_kind.typ = "refresh".into();
        assert!(keys
            .verify(&keys.sign(&wrong_kind).unwrap(), 1_000)
            .is_none());
    }

    #[test]
    fn random_tokens_differ_and_hash_to_hex() {
        let (a, b) = (random_token(), random_token());
        assert_ne!(a, b);
        assert_eq!(a.len(), 43);
        let h = token_hash(&a);
        assert_eq!(h.len(), 64);
        assert!(h.chars().all(|c| c.is_ascii_hexdigit()));
        assert_eq!(h, token_hash(&a));
    }
}

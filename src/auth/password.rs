//! Passwords: argon2id hashing off the async threads, and the rules for names and new passwords.

use crate::error::AppError;
use argon2::password_hash::rand_core::OsRng;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;

/// The shortest password the CLI accepts for a new account.
pub const MIN_PASSWORD_CHARS: usize = 8;
/// The longest login name.
pub const MAX_NAME_CHARS: usize = 64;

/// Hashes a password with argon2id (the crate's defaults: 19 MiB, 2 passes) on a blocking thread.
pub async fn hash_password(password: String) -> Result<String, AppError> {
    tokio::task::spawn_blocking(move || {
        let salt = SaltString::generate(&mut OsRng);
        Argon2::default()
            .hash_password(password.as_bytes(), &salt)
            .map(|h| h.to_string())
            .map_err(|e| AppError::Internal(format!("password hashing failed: {e}")))
    })
    .await
    .map_err(|e| AppError::Internal(format!("password hashing task failed: {e}")))?
}

/// Checks a password against a stored hash on a blocking thread. With no stored hash (an unknown
/// user) it checks against a fixed dummy hash, so both cases take the same time.
pub async fn verify_password(stored: Option<String>, password: String) -> Result<bool, AppError> {
    tokio::task::spawn_blocking(move || {
        let known = stored.is_some();
        let hash_text = stored.unwrap_or_else(|| DUMMY_HASH.to_string());
        let Ok(hash) = PasswordHash::new(&hash_text) else {
            tracing::error!("a stored password hash cannot be parsed");
            return false;
        };
        let ok = Argon2::default()
            .verify_password(password.as_bytes(), &hash)
            .is_ok();
        ok && known
    })
    .await
    .map_err(|e| AppError::Internal(format!("password check task failed: {e}")))
}

/// An argon2id hash (default parameters) of a random string nobody knows; used only to spend the
/// same time on unknown users as on known ones.
const DUMMY_HASH: &str =
    "$argon2id$v=19$m=19456,t=2,p=1$Ypr3v8805dK5iqjzTVDyqg$Ca5ASZwzJbe8rfIxgsBQ2w7J20Y99hSfqyD7fgxgeRw";

/// Normalises a login name (trimmed, lower case) or says what is wrong with it.
pub fn normalize_name(name: &str) -> Result<String, String> {
    let name = name.trim().to_lowercase();
    if name.is_empty() {
        return Err("a user name cannot be empty".into());
    }
    if name.chars().count() > MAX_NAME_CHARS {
        return Err(format!(
            "a user name has at most {MAX_NAME_CHARS} characters"
        ));
    }
    if !name
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-' | '@'))
    {
        return Err("a user name may contain only letters, digits and . _ - @".into());
    }
    Ok(name)
}

/// Says what is wrong with a new password, if anything.
pub fn check_new_password(password: &str) -> Result<(), String> {
    if password.chars().count() < MIN_PASSWORD_CHARS {
        return Err(format!(
            "a password needs at least {MIN_PASSWORD_CHARS} characters"
        ));
    }
    if password.len() > 1024 {
        return Err("a password has at most 1024 bytes".into());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn hashes_verify_and_are_argon2id() {
        let hash = hash_password("correct horse".into()).await.unwrap();
        assert!(hash.starts_with("$argon2id$"), "{hash}");
        assert!(verify_password(Some(hash.clone()), "correct horse".into())
            .await
            .unwrap());
        assert!(!verify_password(Some(hash), "wrong".into()).await.unwrap());
    }

    #[tokio::test]
    async fn unknown_users_never_verify_but_take_a_real_check() {
        assert!(PasswordHash::new(DUMMY_HASH).is_ok());
        assert!(!verify_password(None, "anything".into()).await.unwrap());
        assert!(!verify_password(None, String::new()).await.unwrap());
    }

    #[test]
    fn names_are_normalised_and_checked() {
        assert_eq!(normalize_name("  Dr.House ").unwrap(), "dr.house");
        assert!(normalize_name("").is_err());
        assert!(normalize_name("a b").is_err());
        assert!(normalize_name(&"x".repeat(65)).is_err());
        assert!(check_new_password("short").is_err());
        assert!(check_new_password("long enough").is_ok());
    }
}

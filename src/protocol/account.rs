//! Account DTOs shared by the browser and the server: who is signed in, what a sign-in attempt
//! came to, and the sessions a user can see and end.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// What an account may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Group {
    /// Works up cases (the default).
    Physician,
    /// Also exports FHIR bundles and sees every run.
    Admin,
}

impl Group {
    /// The stored and displayed spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Group::Physician => "physician",
            Group::Admin => "admin",
        }
    }
}

impl fmt::Display for Group {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Group {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "physician" => Ok(Group::Physician),
            "admin" => Ok(Group::Admin),
            other => Err(format!("unknown group {other:?}")),
        }
    }
}

/// The signed-in user, as the UI shows them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserInfo {
    /// Login name.
    pub name: String,
    /// Group, read from the stored session.
    pub group: Group,
}

/// What a sign-in attempt came to. Refusals are ordinary outcomes, not errors.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum LoginOutcome {
    /// Signed in; the page to go to next.
    SignedIn {
        /// Who.
        user: UserInfo,
        /// A local path.
        redirect: String,
    },
    /// Wrong name or password (the same answer for both).
    Invalid {
        /// What to tell the user.
        message: String,
    },
    /// Too many failed attempts: refused even with the right password until the lock lifts.
    LockedOut {
        /// What to tell the user, including when it lifts.
        message: String,
        /// Seconds until it lifts.
        retry_after: u64,
    },
    /// A name or password was missing.
    Missing {
        /// What to tell the user.
        message: String,
    },
}

/// One of the signed-in user's live sessions.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionInfo {
    /// Its id (safe to show its owner: it is not the cookie and cannot be turned into one).
    pub id: String,
    /// `browser` or `api`.
    pub kind: String,
    /// Where it was opened from, when known.
    pub address: Option<String>,
    /// Opened at, `YYYY-MM-DD HH:MM` UTC.
    pub created: String,
    /// Ends at, `YYYY-MM-DD HH:MM` UTC.
    pub expires: String,
    /// True for the session making this request.
    pub current: bool,
}

/// Where to go after signing in: `next` when it is a path on this site, else `/`. Anything that
/// could leave the site (`//host`, `/\host`, a scheme) falls back to `/`.
pub fn safe_next(next: &str) -> String {
    let local = next.starts_with('/')
        && !next.starts_with("//")
        && !next.starts_with("/\\")
        && !next.contains(['\r', '\n', '\t'])
        && next.len() <= 2048;
    if local && next != "/login" && !next.starts_with("/login?") {
        next.to_string()
    } else {
        "/".to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_local_paths_are_followed_after_sign_in() {
        assert_eq!(safe_next("/account?tab=1"), "/account?tab=1");
        assert_eq!(safe_next("//evil.example/x"), "/");
        assert_eq!(safe_next("/\\evil.example"), "/");
        assert_eq!(safe_next("https://evil.example"), "/");
        assert_eq!(safe_next(""), "/");
        assert_eq!(safe_next("/login?next=/x"), "/");
        assert_eq!(safe_next("/a\r\nSet-Cookie: x"), "/");
    }

    #[test]
    fn groups_round_trip() {
        for g in [Group::Physician, Group::Admin] {
            assert_eq!(g.as_str().parse::<Group>().unwrap(), g);
        }
        assert!("root".parse::<Group>().is_err());
    }
}

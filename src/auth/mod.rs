//! Accounts and sign-in: passwords, sessions, tokens, lockout, message rate limits, revocation.
//! Free of any web crate; the web edge (`server/`) translates requests into these calls.

pub mod bootstrap;
pub mod clock;
pub mod password;
pub mod revocation;
pub mod service;
pub mod tokens;

pub use clock::{Clock, ManualClock, SystemClock};
pub use service::{Auth, AuthPolicy, Refreshed, TokenPair, Verdict, SESSION_COOKIE};

#[cfg(test)]
mod tests;

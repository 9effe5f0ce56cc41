//! Server-side bodies of the UI's server functions; the `#[server]` wrappers live beside the
//! components in `app/` and call these.

use super::client::{client_address, session_cookie};
use super::views;
use super::AppState;
use crate::auth::bootstrap::{demo_user_active, DEMO_USER};
use crate::auth::Verdict;
use crate::error::{AppError, UserError};
use crate::protocol::format_unix_utc;
use crate::protocol::{
    safe_next, CaseCard, EncounterSummary, EncounterView, LoginOutcome, SessionInfo, StartOutcome,
    SystemStatus, UserInfo,
};
use crate::store::SessionRecord;
use axum::extract::ConnectInfo;
use axum::http::{header, HeaderMap, HeaderValue};
use std::net::SocketAddr;

/// The state of the running system, read from the database.
pub async fn system_status(state: &AppState) -> Result<SystemStatus, AppError> {
    let schema = state.store.schema().await?;
    Ok(SystemStatus {
        database: state.store.backend().name().to_string(),
        schema_version: schema.version,
        migrations_applied: schema.applied,
        version: env!("CARGO_PKG_VERSION").to_string(),
    })
}

/// The `AppState` of the request a server function serves.
pub fn state() -> Result<AppState, UserError> {
    leptos::prelude::use_context::<AppState>().ok_or_else(|| {
        tracing::error!("server function called without AppState in context");
        UserError::internal()
    })
}

async fn headers() -> Result<HeaderMap, UserError> {
    leptos_axum::extract::<HeaderMap>().await.map_err(|err| {
        tracing::error!(error = %err, "cannot read request headers");
        UserError::internal()
    })
}

/// The live browser session of the request (named by its cookie), if any.
pub async fn current_session(state: &AppState) -> Result<Option<SessionRecord>, UserError> {
    match session_cookie(&headers().await?) {
        Some(cookie) => state
            .auth
            .session_for_cookie(&cookie)
            .await
            .map_err(|e| e.to_user()),
        None => Ok(None),
    }
}

/// The signed-in user of the request, if any.
pub async fn current_user(state: &AppState) -> Result<Option<UserInfo>, UserError> {
    Ok(current_session(state).await?.map(|s| UserInfo {
        name: s.user_name,
        group: s.group,
    }))
}

fn set_cookie(value: &str) {
    if let (Some(response), Ok(value)) = (
        leptos::prelude::use_context::<leptos_axum::ResponseOptions>(),
        HeaderValue::from_str(value),
    ) {
        response.append_header(header::SET_COOKIE, value);
    }
}

/// Signs in with a name and password: a fresh session and cookie, or the reason why not.
pub async fn login(
    state: &AppState,
    username: &str,
    password: &str,
    next: &str,
) -> Result<LoginOutcome, UserError> {
    if username.trim().is_empty() || password.is_empty() {
        return Ok(LoginOutcome::Missing {
            message: "Enter your user name and password.".into(),
        });
    }
    let headers = headers().await?;
    let peer = leptos_axum::extract::<ConnectInfo<SocketAddr>>()
        .await
        .ok()
        .map(|c| c.0);
    let address = client_address(&headers, peer, state.trusted_proxy);
    let verdict = state
        .auth
        .check_credentials(username, password, &address)
        .await
        .map_err(|e| e.to_user())?;
    match verdict {
        Verdict::Accepted(user) => {
            // A session already named by this browser's cookie ends: each login gets a new id.
            if let Some(old) = current_session(state).await? {
                state.auth.revoke(&old.id).await.map_err(|e| e.to_user())?;
            }
            let cookie = state
                .auth
                .open_browser_session(&user, Some(address))
                .await
                .map_err(|e| e.to_user())?;
            set_cookie(&state.auth.session_cookie(&cookie));
            tracing::info!(user = %user.name, "browser sign-in");
            Ok(LoginOutcome::SignedIn {
                user: UserInfo {
                    name: user.name,
                    group: user.group,
                },
                redirect: safe_next(next),
            })
        }
        Verdict::Invalid => Ok(LoginOutcome::Invalid {
            message: "Wrong user name or password.".into(),
        }),
        Verdict::Locked { retry_after } => Ok(LoginOutcome::LockedOut {
            message: format!(
                "Too many failed sign-in attempts. Try again in {retry_after} seconds."
            ),
            retry_after,
        }),
    }
}

/// Ends the request's browser session (its sockets close) and removes the cookie.
pub async fn logout(state: &AppState) -> Result<(), UserError> {
    if let Some(session) = current_session(state).await? {
        state
            .auth
            .revoke(&session.id)
            .await
            .map_err(|e| e.to_user())?;
    }
    set_cookie(&state.auth.clear_session_cookie());
    Ok(())
}

/// The demo login to show on the sign-in page (development only, while it works).
pub async fn demo_login(state: &AppState) -> Result<Option<(String, String)>, UserError> {
    if state.production {
        return Ok(None);
    }
    let active = demo_user_active(state.store.as_ref())
        .await
        .map_err(|e| e.to_user())?;
    Ok(active.then(|| (DEMO_USER.0.to_string(), DEMO_USER.1.to_string())))
}

/// The signed-in user's live sessions, or `None` when nobody is signed in.
pub async fn my_sessions(state: &AppState) -> Result<Option<Vec<SessionInfo>>, UserError> {
    let Some(current) = current_session(state).await? else {
        return Ok(None);
    };
    let sessions = state
        .store
        .live_sessions_of(current.user_id, state.auth.now())
        .await
        .map_err(|e| e.to_user())?;
    Ok(Some(
        sessions
            .into_iter()
            .map(|s| SessionInfo {
                current: s.id == current.id,
                id: s.id,
                kind: s.kind.as_str().to_string(),
                address: s.address,
                created: format_unix_utc(s.created_at),
                expires: format_unix_utc(s.expires_at),
            })
            .collect(),
    ))
}

/// Ends one of the signed-in user's own sessions; false when it is not theirs or already ended.
pub async fn end_session(state: &AppState, id: &str) -> Result<bool, UserError> {
    let Some(current) = current_session(state).await? else {
        return Ok(false);
    };
    let target = state.store.session(id).await.map_err(|e| e.to_user())?;
    match target {
        Some(target) if target.user_id == current.user_id => {
            state.auth.revoke(&target.id).await.map_err(|e| e.to_user())
        }
        _ => Ok(false),
    }
}

/// Every case's card (with the user's open encounters when someone is signed in).
pub async fn list_cases(state: &AppState) -> Result<Vec<CaseCard>, UserError> {
    let user = current_session(state).await?.map(|s| s.user_id);
    views::case_cards(state, user)
        .await
        .map_err(|e| e.to_user())
}

/// Starts an encounter on a case with an optional budget (empty: the configured default), and
/// sends the browser to it.
pub async fn start_encounter(
    state: &AppState,
    case_id: &str,
    budget: &str,
) -> Result<StartOutcome, UserError> {
    let refused = |message: &str| {
        Ok(StartOutcome::Refused {
            message: message.to_string(),
        })
    };
    let Some(session) = current_session(state).await? else {
        return refused("Sign in to start an encounter.");
    };
    let Some(budget) = state.encounters.clinic.budget_for(Some(budget)) else {
        return refused("The budget must be a dollar amount such as 1500 or 1500.50.");
    };
    if state
        .store
        .case(case_id)
        .await
        .map_err(|e| e.to_user())?
        .is_none()
    {
        return refused("There is no such case.");
    }
    let record = state
        .encounters
        .create(&session, case_id, budget)
        .await
        .map_err(|e| e.to_user())?;
    leptos_axum::redirect(&format!("/encounters/{}", record.id));
    Ok(StartOutcome::Started { id: record.id })
}

/// One of the signed-in user's encounters, whole; `None` when it is not theirs or nobody is
/// signed in.
pub async fn encounter(state: &AppState, id: &str) -> Result<Option<EncounterView>, UserError> {
    let Some(session) = current_session(state).await? else {
        return Ok(None);
    };
    let found = state
        .encounters
        .own(session.user_id, id)
        .await
        .map_err(|e| e.to_user())?;
    match found {
        Some((record, parsed)) => views::view(state, &record, parsed)
            .await
            .map(Some)
            .map_err(|e| e.to_user()),
        None => Ok(None),
    }
}

/// The signed-in user's encounters, newest first (`None`: nobody is signed in).
pub async fn my_encounters(state: &AppState) -> Result<Option<Vec<EncounterSummary>>, UserError> {
    let Some(session) = current_session(state).await? else {
        return Ok(None);
    };
    views::encounters_of(state, session.user_id)
        .await
        .map(Some)
        .map_err(|e| e.to_user())
}

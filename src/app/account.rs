//! Signing in and out: the server functions, the sign-in page, the account page, the header's
//! user menu, and the guard that sends visitors of protected pages to the sign-in page and back.

use crate::error::UserError;
use crate::protocol::{safe_next, LoginOutcome, SessionInfo, UserInfo};
use leptos::either::Either;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::Redirect;
use leptos_router::hooks::{use_location, use_query_map};
use leptos_router::location::Url;

/// The signed-in user of this request (`None`: nobody).
#[server(prefix = "/api/fn", endpoint = "current_user")]
pub async fn get_current_user() -> Result<Option<UserInfo>, UserError> {
    let state = crate::server::fns::state()?;
    crate::server::fns::current_user(&state).await
}

/// Signs in; a refusal (wrong password, lockout) is an outcome, not an error.
#[server(prefix = "/api/fn", endpoint = "login")]
pub async fn login(
    username: String,
    password: String,
    next: String,
) -> Result<LoginOutcome, UserError> {
    let state = crate::server::fns::state()?;
    crate::server::fns::login(&state, &username, &password, &next).await
}

/// Signs out: ends this browser's session and removes its cookie.
#[server(prefix = "/api/fn", endpoint = "logout")]
pub async fn logout() -> Result<(), UserError> {
    let state = crate::server::fns::state()?;
    crate::server::fns::logout(&state).await
}

/// The demo login, shown on the sign-in page in development while it works.
#[server(prefix = "/api/fn", endpoint = "demo_login")]
pub async fn get_demo_login() -> Result<Option<(String, String)>, UserError> {
    let state = crate::server::fns::state()?;
    crate::server::fns::demo_login(&state).await
}

/// The signed-in user's live sessions (`None`: nobody is signed in).
#[server(prefix = "/api/fn", endpoint = "my_sessions")]
pub async fn get_my_sessions() -> Result<Option<Vec<SessionInfo>>, UserError> {
    let state = crate::server::fns::state()?;
    crate::server::fns::my_sessions(&state).await
}

/// Ends one of the signed-in user's other sessions.
#[server(prefix = "/api/fn", endpoint = "end_session")]
pub async fn end_session(id: String) -> Result<bool, UserError> {
    let state = crate::server::fns::state()?;
    crate::server::fns::end_session(&state, &id).await
}

/// The signed-in user, loaded once per page load and shared by the frame and the pages.
#[derive(Clone, Copy)]
pub struct CurrentUser(pub Resource<Result<Option<UserInfo>, UserError>>);

impl CurrentUser {
    /// Loads the user and provides it as context.
    pub fn provide() -> Self {
        let user = Self(Resource::new(|| (), |_| get_current_user()));
        provide_context(user);
        user
    }
}

/// Goes to `path` with a full page load, so every part of the frame starts from the new
/// session state (and the live connection opens or stops).
fn go(path: &str) {
    #[cfg(feature = "hydrate")]
    if let Some(window) = web_sys::window() {
        let _ = window.location().assign(path);
    }
    #[cfg(not(feature = "hydrate"))]
    let _ = path;
}

/// The sign-in page: `/login?next=/where/to/return`.
#[component]
pub fn LoginPage() -> impl IntoView {
    let query = use_query_map();
    let next = move || safe_next(&query.read().get("next").unwrap_or_default());
    let user = expect_context::<CurrentUser>().0;
    let demo = Resource::new(|| (), |_| get_demo_login());
    let action = ServerAction::<Login>::new();
    Effect::new(move |_| {
        if let Some(Ok(LoginOutcome::SignedIn { redirect, .. })) = action.value().get() {
            go(&redirect);
        }
    });
    let message = move || match action.value().get() {
        Some(Ok(LoginOutcome::Invalid { message }))
        | Some(Ok(LoginOutcome::Missing { message }))
        | Some(Ok(LoginOutcome::LockedOut { message, .. })) => Some(message),
        Some(Err(err)) => Some(err.message),
        _ => None,
    };
    view! {
        <Title text="Sign in"/>
        // Someone already signed in is sent on at once.
        <Transition fallback=|| ()>
            {move || Suspend::new(async move {
                match user.await {
                    Ok(Some(_)) => Either::Left(view! { <Redirect path=next()/> }),
                    _ => Either::Right(()),
                }
            })}
        </Transition>
        <section class="card auth-card" aria-labelledby="login-title">
            <h1 id="login-title">"Sign in"</h1>
            <ActionForm action=action attr:class="stack">
                <input type="hidden" name="next" prop:value=next/>
                <label for="login-username">"User name"</label>
                <input
                    id="login-username"
                    name="username"
                    type="text"
                    autocomplete="username"
                    autocapitalize="none"
                    spellcheck="false"
                    required
                />
                <label for="login-password">"Password"</label>
                <input
                    id="login-password"
                    name="password"
                    type="password"
                    autocomplete="current-password"
                    required
                />
                <button type="submit" class="button" disabled=move || action.pending().get()>
                    {move || if action.pending().get() { "Signing in…" } else { "Sign in" }}
                </button>
            </ActionForm>
            <p class="form-message" role="alert">{message}</p>
            <Suspense fallback=|| ()>
                {move || Suspend::new(async move {
                    demo.await
                        .ok()
                        .flatten()
                        .map(|(name, password)| {
                            view! {
                                <p class="demo-login" data-testid="demo-login">
                                    "Demo login (development only): "
                                    <code>{name}</code>
                                    " / "
                                    <code>{password}</code>
                                </p>
                            }
                        })
                })}
            </Suspense>
        </section>
    }
}

/// Renders `children` for a signed-in user; anyone else is sent to the sign-in page, which
/// brings them back here afterwards.
#[component]
pub fn RequireUser(children: ChildrenFn) -> impl IntoView {
    let user = expect_context::<CurrentUser>().0;
    let location = use_location();
    let children = StoredValue::new(children);
    view! {
        <Suspense fallback=|| view! { <p class="muted">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match user.await {
                    Ok(Some(_)) => Either::Left(children.read_value()()),
                    Ok(None) => {
                        let mut here = location.pathname.get_untracked();
                        let search = location.search.get_untracked();
                        if !search.is_empty() {
                            here = format!("{here}?{search}");
                        }
                        let path = format!("/login?next={}", Url::escape(&here));
                        Either::Right(Either::Left(view! { <Redirect path/> }))
                    }
                    Err(err) => Either::Right(Either::Right(view! {
                        <p class="form-message" role="alert">{err.message}</p>
                    })),
                }
            })}
        </Suspense>
    }
}

/// The header's part about the user: a sign-in link, or the name and a sign-out button.
#[component]
pub fn UserMenu() -> impl IntoView {
    let user = expect_context::<CurrentUser>().0;
    let action = ServerAction::<Logout>::new();
    Effect::new(move |_| {
        if let Some(Ok(())) = action.value().get() {
            go("/login");
        }
    });
    view! {
        <Transition fallback=|| ()>
            {move || Suspend::new(async move {
                match user.await {
                    Ok(Some(user)) => Either::Left(view! {
                        <div class="user-menu">
                            <a href="/account" class="user-name" data-testid="signed-in-user">
                                {user.name}
                            </a>
                            <ActionForm action=action>
                                <button type="submit" class="link-button">"Sign out"</button>
                            </ActionForm>
                            <super::LiveBadge/>
                        </div>
                    }),
                    _ => Either::Right(view! {
                        <a href="/login" class="sign-in-link">"Sign in"</a>
                    }),
                }
            })}
        </Transition>
    }
}

/// `/account`: who is signed in, and their sessions, each of which can be ended.
#[component]
pub fn AccountPage() -> impl IntoView {
    view! {
        <Title text="Account"/>
        <RequireUser>
            <AccountDetails/>
        </RequireUser>
    }
}

#[component]
fn AccountDetails() -> impl IntoView {
    let user = expect_context::<CurrentUser>().0;
    let end = ServerAction::<EndSession>::new();
    let sessions = Resource::new(move || end.version().get(), |_| get_my_sessions());
    view! {
        <section class="card" aria-labelledby="account-title">
            <h1 id="account-title">"Account"</h1>
            <Suspense fallback=|| ()>
                {move || Suspend::new(async move {
                    user.await.ok().flatten().map(|u| view! {
                        <p>
                            "Signed in as " <strong data-testid="account-name">{u.name}</strong>
                            " (" {u.group.as_str()} ")."
                        </p>
                    })
                })}
            </Suspense>
            <h2>"Sessions"</h2>
            <p class="muted">
                "Every place you are signed in. Ending a session signs that browser or API client out at once."
            </p>
            <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>
                {move || Suspend::new(async move {
                    let list = sessions.await.ok().flatten().unwrap_or_default();
                    view! {
                        <ul class="session-list" aria-label="Sessions">
                            {list.into_iter().map(|s| session_row(s, end)).collect_view()}
                        </ul>
                    }
                })}
            </Transition>
        </section>
    }
}

fn session_row(session: SessionInfo, end: ServerAction<EndSession>) -> impl IntoView {
    let label = format!(
        "{} session {}",
        if session.kind == "browser" {
            "Browser"
        } else {
            "API"
        },
        session.id.get(..8).unwrap_or(&session.id)
    );
    let address = session.address.unwrap_or_else(|| "unknown address".into());
    let id = session.id;
    view! {
        <li class="session">
            <span class="session-label">{label.clone()}</span>
            <span class="muted">
                {format!("from {address}, since {}, until {}", session.created, session.expires)}
            </span>
            {if session.current {
                Either::Left(view! { <span class="badge">"This browser"</span> })
            } else {
                Either::Right(view! {
                    <ActionForm action=end>
                        <input type="hidden" name="id" value=id/>
                        <button type="submit" class="link-button" aria-label=format!("End {label}")>
                            "End"
                        </button>
                    </ActionForm>
                })
            }}
        </li>
    }
}

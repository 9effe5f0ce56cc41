//! The Leptos UI: the document shell, the app frame and its pages. No database, no tokio here.

mod account;
mod cases;
mod encounter;
mod encounters;
mod home;
mod live;
mod socket;

use leptos::prelude::*;
use leptos_meta::{provide_meta_context, Link, Meta, MetaTags, Stylesheet, Title};
use leptos_router::components::{Route, Router, Routes, A};
use leptos_router::{path, SsrMode, StaticSegment};

pub use account::{AccountPage, CurrentUser, LoginPage, RequireUser, UserMenu};
pub use cases::CasesPage;
pub use encounter::EncounterPage;
pub use encounters::EncountersPage;
pub use home::{get_system_status, HomePage};
pub use live::LiveBadge;

/// The version shown in the footer.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");

/// The HTML document around the app, rendered on the server.
pub fn shell(options: LeptosOptions) -> impl IntoView {
    view! {
        <!DOCTYPE html>
        <html lang="en">
            <head>
                <meta charset="utf-8"/>
                <meta name="viewport" content="width=device-width, initial-scale=1"/>
                <AutoReload options=options.clone()/>
                <HydrationScripts options/>
                <MetaTags/>
            </head>
            <body>
                <App/>
            </body>
        </html>
    }
}

/// The application: frame (header, navigation, footer) and routes.
#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();
    // Effects run only in the browser, after hydration: the marker tells tests (and people
    // reading the DOM) that the page is interactive.
    let hydrated = RwSignal::new(false);
    Effect::new(move |_| hydrated.set(true));
    CurrentUser::provide();

    view! {
        <Stylesheet id="leptos" href="/pkg/dx0.css"/>
        <Link rel="icon" href="/favicon.ico"/>
        <Meta name="color-scheme" content="light dark"/>
        <Meta
            name="description"
            content="Dx0: work up clinical cases step by step, with every question and test priced."
        />
        <Title formatter=document_title/>
        <Router>
            <div class="app" data-hydrated=move || hydrated.get().then_some("true")>
                <a class="skip-link" href="#main">"Skip to content"</a>
                <header class="site-header">
                    <div class="container header-row">
                        <a class="brand" href="/" aria-label="Dx0 home">
                            <span class="brand-mark" aria-hidden="true">"Dx"<sub>"0"</sub></span>
                            <span class="brand-name">"Dx0"</span>
                        </a>
                        <nav class="main-nav" aria-label="Main">
                            <ul>
                                <li>
                                    <A href="/" exact=true>"Home"</A>
                                </li>
                                <li>
                                    <A href="/cases">"Cases"</A>
                                </li>
                                <li>
                                    <A href="/encounters" exact=true>"My encounters"</A>
                                </li>
                            </ul>
                        </nav>
                        <UserMenu/>
                    </div>
                </header>
                <main id="main" class="container" tabindex="-1">
                    <Routes fallback=NotFound>
                        <Route path=StaticSegment("") view=HomePage ssr=SsrMode::Async/>
                        <Route path=path!("/login") view=LoginPage ssr=SsrMode::Async/>
                        <Route path=path!("/account") view=AccountPage ssr=SsrMode::Async/>
                        <Route path=path!("/cases") view=CasesPage ssr=SsrMode::Async/>
                        <Route path=path!("/encounters") view=EncountersPage ssr=SsrMode::Async/>
                        <Route path=path!("/encounters/:id") view=EncounterPage ssr=SsrMode::Async/>
                    </Routes>
                </main>
                <footer class="site-footer">
                    <div class="container footer-row">
                        <span>"Dx0 " <span class="version">{format!("v{VERSION}")}</span></span>
                        <span class="muted">
                            "Cost-aware sequential diagnosis. For teaching and research, not for patient care."
                        </span>
                    </div>
                </footer>
            </div>
        </Router>
    }
}

/// The document title of a page: "Dx0" alone, or "Page · Dx0". Every `<Title>` goes through it.
///
/// While rendering on the server, leptos_meta 0.8 writes the formatted title into `<title>`
/// verbatim, though it escapes every other text: a case titled `…</title><script>…` would
/// become markup. So the server escapes it here, the one place all titles pass. In the browser
/// the same text goes to `document.title`, which takes it as plain text.
fn document_title(page: String) -> String {
    let title = if page.is_empty() {
        "Dx0".to_string()
    } else {
        format!("{page} · Dx0")
    };
    #[cfg(feature = "ssr")]
    let title = html_escape::encode_text(&title).into_owned();
    title
}

/// Shown for any path no route matches.
#[component]
fn NotFound() -> impl IntoView {
    #[cfg(feature = "ssr")]
    if let Some(response) = use_context::<leptos_axum::ResponseOptions>() {
        response.set_status(axum::http::StatusCode::NOT_FOUND);
    }
    view! {
        <Title text="Page not found"/>
        <section class="card">
            <h1>"Page not found"</h1>
            <p>"There is nothing at this address. " <a href="/">"Go to the home page"</a> "."</p>
        </section>
    }
}

//! The `dx0` binary: serves the web app (the default) and carries the command-line tools.

use clap::Parser;
use dx0::auth::bootstrap::{prepare_accounts, run_background, signing_secret, DEMO_USER};
use dx0::auth::{Auth, SystemClock};
use dx0::config::{
    apply_env_aliases, resolve_site_root, Cli, Command, Environment, LogFormat, ServeArgs,
};
use dx0::server::{self, AppState, Shutdown};
use dx0::store;
use leptos::config::{Env, LeptosOptions};
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;
use tracing_subscriber::EnvFilter;

/// How long open connections get to finish after SIGINT/SIGTERM.
const DRAIN_TIMEOUT: Duration = Duration::from_secs(10);

/// Keeps the memory of password hashing from staying resident: each argon2id check allocates
/// 19 MiB, and glibc's adaptive mmap threshold would otherwise serve later ones from per-thread
/// heaps that never shrink (measured: 33 MB → 131 MB RSS after 20 logins). A fixed threshold
/// makes such blocks mmapped and returned to the system when freed.
fn tame_allocator() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: mallopt only adjusts allocator parameters; called before any thread starts.
    #[expect(unsafe_code, reason = "glibc's mallopt has no safe wrapper")]
    unsafe {
        libc::mallopt(libc::M_MMAP_THRESHOLD, 256 * 1024);
    }
}

fn main() -> ExitCode {
    tame_allocator();
    // Before any thread exists: the original project's variable names stand in for ours.
    apply_env_aliases();
    let cli = Cli::parse();
    init_logging(cli.log_format);
    // At least four workers even on a one- or two-core machine: Leptos server rendering can stall
    // a resource's future when too few workers are free (leptos-rs/leptos#4647); tests showed an
    // occasional page that never finished on a single-threaded runtime.
    let workers = std::thread::available_parallelism()
        .map(usize::from)
        .unwrap_or(1)
        .max(4);
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(workers)
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(err) => {
            eprintln!("error: cannot start the async runtime: {err}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(cli.command())) {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            tracing::error!("{err:#}");
            eprintln!("error: {err:#}");
            ExitCode::FAILURE
        }
    }
}

fn init_logging(format: LogFormat) {
    let filter = EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| EnvFilter::new("info,sqlx=warn,leptos_axum=warn"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    match format {
        LogFormat::Text => builder.init(),
        LogFormat::Json => builder.json().init(),
    }
}

async fn run(command: Command) -> anyhow::Result<()> {
    match command {
        Command::Serve(args) => serve(*args).await,
        Command::Migrate(db) => {
            let store = store::open(&db.url).await?;
            let schema = store.schema().await?;
            println!(
                "{} database {} is at schema version {} ({} migrations applied)",
                store.backend().name(),
                dx0::redact::url(&db.url),
                schema.version,
                schema.applied
            );
            store.close().await;
            Ok(())
        }
        Command::Users(args) => dx0::cli::users(args).await,
        Command::Cases(args) => dx0::cli::cases(args).await,
        Command::Run(args) => {
            let signals = Signals::install();
            tokio::select! {
                result = dx0::cli::run(*args) => result,
                () = signals.wait() => {
                    println!("Interrupted before a verdict.");
                    Ok(())
                }
            }
        }
    }
}

async fn serve(args: ServeArgs) -> anyhow::Result<()> {
    let site_root = resolve_site_root(
        args.site_root.as_deref(),
        std::env::current_exe().ok().as_deref(),
    );
    if !site_root.join("pkg").is_dir() {
        tracing::warn!(site_root = %site_root.display(), "no built site found: pages will render but not hydrate (run `make build` or set DX0_SITE_ROOT)");
    }
    let store = store::open(&args.database.url).await?;
    tracing::info!(database = %dx0::redact::url(&args.database.url), backend = store.backend().name(), "database ready");
    let production = args.environment == Environment::Production;
    let secret =
        signing_secret(store.as_ref(), args.auth.secret_key.as_deref(), production).await?;
    let clock = Arc::new(SystemClock);
    if prepare_accounts(store.as_ref(), clock.as_ref(), production).await? {
        tracing::warn!(
            "demo login active: {} / {} (development only; production refuses to start with it)",
            DEMO_USER.0,
            DEMO_USER.1
        );
    }
    let auth = Auth::new(
        store.clone(),
        clock.clone(),
        &secret,
        args.auth.policy(production),
    );
    let cases = dx0::clinic::install_bundled_cases(store.as_ref(), auth.now()).await?;
    tracing::info!(cases, "bundled cases ready");
    let (clinic, client) =
        dx0::clinic::Clinic::configured(&args.encounter, &args.llm, store.clone(), None, 0)?;
    if let Some(client) = client {
        tracing::info!(model = %client.default_model(), "language model: the gatekeeper, judge and panel use it");
    }

    let listener = tokio::net::TcpListener::bind(args.addr).await?;
    let addr = listener.local_addr()?;
    let leptos = leptos_options(&args, &site_root, addr);
    let shutdown = Shutdown::new();
    let state = AppState {
        leptos,
        store: store.clone(),
        shutdown: shutdown.clone(),
        auth: auth.clone(),
        trusted_proxy: args.auth.trusted_proxy,
        production,
        hsts: args.hsts,
        encounters: dx0::clinic::Encounters::new(store.clone(), clinic, clock.clone()),
        sockets: dx0::server::sockets::Sockets::new(args.sockets_per_session as usize),
    };
    let app = server::router(state);
    let background = tokio::spawn({
        let shutdown = shutdown.clone();
        async move { run_background(auth, async move { shutdown.wait().await }).await }
    });

    // Signal handlers are installed before the ready line, so a SIGTERM sent as soon as the line
    // is read stops the server gracefully instead of killing it.
    let signals = Signals::install();
    tokio::spawn({
        let shutdown = shutdown.clone();
        async move {
            signals.wait().await;
            tracing::info!("shutting down");
            shutdown.trigger();
        }
    });
    tracing::info!(%addr, site_root = %site_root.display(), "listening");
    // The one line a person (or a test harness) reads to find the server.
    println!("Dx0 is serving at http://{addr}");
    let limits = dx0::server::listen::Limits {
        max_connections: args.max_connections as usize,
        header_timeout: Duration::from_secs(args.header_timeout),
    };
    dx0::server::listen::serve(listener, app, limits, shutdown.clone(), DRAIN_TIMEOUT).await;
    let _ = background.await;
    store.close().await;
    tracing::info!("stopped");
    Ok(())
}

fn leptos_options(
    args: &ServeArgs,
    site_root: &std::path::Path,
    addr: std::net::SocketAddr,
) -> LeptosOptions {
    let env = match args.environment {
        Environment::Development => Env::DEV,
        Environment::Production => Env::PROD,
    };
    // cargo-leptos passes the live-reload port; elsewhere the default is never used.
    let reload_port = std::env::var("LEPTOS_RELOAD_PORT")
        .ok()
        .and_then(|p| p.parse().ok())
        .unwrap_or(3001);
    LeptosOptions::builder()
        .output_name("dx0")
        .site_root(site_root.to_string_lossy().as_ref())
        .site_pkg_dir("pkg")
        .site_addr(addr)
        .reload_port(reload_port)
        .env(env)
        .build()
}

/// SIGINT and SIGTERM, listened for from the moment of `install`.
struct Signals {
    #[cfg(unix)]
    term: Option<tokio::signal::unix::Signal>,
    #[cfg(unix)]
    int: Option<tokio::signal::unix::Signal>,
}

impl Signals {
    fn install() -> Self {
        #[cfg(unix)]
        {
            use tokio::signal::unix::{signal, SignalKind};
            let listen = |kind: SignalKind, name: &str| match signal(kind) {
                Ok(sig) => Some(sig),
                Err(err) => {
                    tracing::error!(error = %err, "cannot listen for {name}");
                    None
                }
            };
            Self {
                term: listen(SignalKind::terminate(), "SIGTERM"),
                int: listen(SignalKind::interrupt(), "SIGINT"),
            }
        }
        #[cfg(not(unix))]
        Self {}
    }

    async fn wait(self) {
        #[cfg(unix)]
        {
            async fn recv(sig: Option<tokio::signal::unix::Signal>) {
                match sig {
                    Some(mut sig) => {
                        sig.recv().await;
                    }
                    None => std::future::pending::<()>().await,
                }
            }
            tokio::select! {
                () = recv(self.term) => {}
                () = recv(self.int) => {}
            }
        }
        #[cfg(not(unix))]
        if let Err(err) = tokio::signal::ctrl_c().await {
            tracing::error!(error = %err, "cannot listen for Ctrl-C");
            std::future::pending::<()>().await;
        }
    }
}

//! One typed configuration, read once from flags and the environment; secrets redacted in Debug.

use clap::{Args, Parser, Subcommand, ValueEnum};
use std::fmt;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

/// The default database: an SQLite file in the working directory, created on first start.
pub const DEFAULT_DATABASE_URL: &str = "sqlite:dx0.db";

/// The `dx0` command line.
#[derive(Debug, Parser)]
#[command(
    name = "dx0",
    version,
    about = "Dx0 — cost-aware sequential diagnosis: the web app and its command-line tools.",
    long_about = "Dx0 — cost-aware sequential diagnosis.\n\nWith no command, `dx0` serves the web app \
                  (the same as `dx0 serve`). Every flag can also be set by the environment variable \
                  shown beside it.",
    args_conflicts_with_subcommands = true
)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Option<Command>,
    /// Flags of `serve`, accepted without the command name.
    #[command(flatten)]
    pub serve: ServeArgs,
    /// How log lines are written.
    #[arg(long, env = "DX0_LOG_FORMAT", value_enum, default_value_t = LogFormat::Text, global = true)]
    pub log_format: LogFormat,
}

impl Cli {
    /// The command to run; `serve` when none was named.
    pub fn command(self) -> Command {
        self.command.unwrap_or(Command::Serve(self.serve))
    }
}

/// The commands of `dx0`.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Serve the web app, the API and the WebSocket (the default).
    Serve(ServeArgs),
    /// Create the database if needed, apply the schema migrations, and exit.
    Migrate(DatabaseArgs),
}

/// Where the database is.
#[derive(Clone, Args)]
pub struct DatabaseArgs {
    /// Database URL: `sqlite:PATH` (created when missing) or `postgres://USER:PASS@HOST/DB`.
    #[arg(long = "database", env = "DATABASE_URL", default_value = DEFAULT_DATABASE_URL)]
    pub url: String,
}

impl fmt::Debug for DatabaseArgs {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DatabaseArgs")
            .field("url", &redact_url(&self.url))
            .finish()
    }
}

/// Flags of `dx0 serve`.
#[derive(Debug, Clone, Args)]
pub struct ServeArgs {
    /// Address to listen on (port 0 picks a free port).
    #[arg(long, env = "DX0_ADDR", default_value = "127.0.0.1:3000")]
    pub addr: SocketAddr,
    /// The database.
    #[command(flatten)]
    pub database: DatabaseArgs,
    /// Directory holding the built site (`pkg/dx0.js`, `pkg/dx0.wasm`, `pkg/dx0.css`, `favicon.ico`).
    /// Default: `LEPTOS_SITE_ROOT` when cargo-leptos runs the server, else `site/` beside the
    /// binary, `../site` beside it (the cargo `target/` layout), or `target/site`.
    #[arg(long, env = "DX0_SITE_ROOT")]
    pub site_root: Option<PathBuf>,
    /// Development or production.
    #[arg(long = "env", env = "DX0_ENV", value_enum, default_value_t = Environment::Development)]
    pub environment: Environment,
}

/// Where the server runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Environment {
    /// Local development (the default).
    Development,
    /// A deployment.
    Production,
}

/// How log lines are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LogFormat {
    /// Human-readable lines with key=value fields.
    Text,
    /// One JSON object per line.
    Json,
}

/// Hides the password in a database URL, for logs and Debug output.
pub fn redact_url(url: &str) -> String {
    let Some(scheme_end) = url.find("://") else {
        return url.to_string();
    };
    let rest = &url[scheme_end + 3..];
    let authority_end = rest.find(['/', '?']).unwrap_or(rest.len());
    let authority = &rest[..authority_end];
    let Some(at) = authority.rfind('@') else {
        return url.to_string();
    };
    let userinfo = &authority[..at];
    match userinfo.find(':') {
        Some(colon) => format!(
            "{}://{}:***{}",
            &url[..scheme_end],
            &userinfo[..colon],
            &rest[at..]
        ),
        None => url.to_string(),
    }
}

/// Finds the built site: the first candidate holding `pkg/`, else the first candidate.
pub fn resolve_site_root(explicit: Option<&Path>, exe: Option<&Path>) -> PathBuf {
    if let Some(dir) = explicit {
        return dir.to_path_buf();
    }
    if let Some(dir) = std::env::var_os("LEPTOS_SITE_ROOT").filter(|v| !v.is_empty()) {
        return PathBuf::from(dir);
    }
    let mut candidates = Vec::new();
    if let Some(dir) = exe.and_then(Path::parent) {
        candidates.push(dir.join("site"));
        if let Some(up) = dir.parent() {
            candidates.push(up.join("site"));
        }
    }
    candidates.push(PathBuf::from("target/site"));
    candidates
        .iter()
        .find(|dir| dir.join("pkg").is_dir())
        .cloned()
        .unwrap_or_else(|| candidates.last().cloned().unwrap_or_default())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_are_redacted() {
        assert_eq!(
            redact_url("postgres://dx0:hunter2@db.local:5432/dx0"),
            "postgres://dx0:***@db.local:5432/dx0"
        );
        assert_eq!(
            redact_url("postgres://dx0@db.local/dx0"),
            "postgres://dx0@db.local/dx0"
        );
        assert_eq!(redact_url("sqlite:dx0.db"), "sqlite:dx0.db");
        let args = DatabaseArgs {
            url: "postgres://a:secret@h/d".into(),
        };
        assert!(!format!("{args:?}").contains("secret"));
    }

    #[test]
    fn no_command_means_serve_with_its_flags() {
        let cli = Cli::try_parse_from(["dx0", "--addr", "127.0.0.1:4000"]).unwrap();
        match cli.command() {
            Command::Serve(args) => assert_eq!(args.addr.port(), 4000),
            other => panic!("expected serve, got {other:?}"),
        }
        let cli = Cli::try_parse_from(["dx0", "migrate", "--database", "sqlite:x.db"]).unwrap();
        assert!(matches!(cli.command(), Command::Migrate(d) if d.url == "sqlite:x.db"));
    }

    #[test]
    fn site_root_is_found_beside_the_binary() {
        let tmp = tempfile::tempdir().unwrap();
        let release = tmp.path().join("target/release");
        std::fs::create_dir_all(&release).unwrap();
        std::fs::create_dir_all(tmp.path().join("target/site/pkg")).unwrap();
        let found = resolve_site_root(None, Some(&release.join("dx0")));
        if std::env::var_os("LEPTOS_SITE_ROOT").is_none() {
            assert_eq!(found, tmp.path().join("target/site"));
        }
        let explicit = resolve_site_root(Some(Path::new("/srv/dx0")), None);
        assert_eq!(explicit, PathBuf::from("/srv/dx0"));
    }
}

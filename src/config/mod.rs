//! One typed configuration, read once from flags and the environment; secrets redacted in Debug.

mod llm;
mod run;

pub use llm::{LlmArgs, PersonaModels};
pub use run::{EngineChoice, ModeChoice, RunArgs};

use clap::builder::BoolishValueParser;
use clap::{ArgAction, Args, Parser, Subcommand, ValueEnum};
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
        self.command.unwrap_or(Command::Serve(Box::new(self.serve)))
    }
}

/// The commands of `dx0`.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Serve the web app, the API and the WebSocket (the default).
    Serve(Box<ServeArgs>),
    /// Create the database if needed, apply the schema migrations, and exit.
    Migrate(DatabaseArgs),
    /// Manage accounts: add, list, remove, change a password, lift a lockout.
    Users(UsersArgs),
    /// Manage cases: import, list, show, export.
    Cases(CasesArgs),
    /// Work one case with the AI panel in the terminal: the transcript, the verdict, the cost.
    Run(Box<RunArgs>),
}

/// `dx0 cases …`
#[derive(Debug, Args)]
pub struct CasesArgs {
    /// The database.
    #[command(flatten)]
    pub database: DatabaseArgs,
    /// What to do.
    #[command(subcommand)]
    pub command: CasesCommand,
}

/// The case commands.
#[derive(Debug, Subcommand)]
pub enum CasesCommand {
    /// Import cases from a file or directory (native format, or the original project's JSON
    /// list, per-case JSON with steps, or summary.txt/full.txt directories). All or nothing.
    Import {
        /// A file or directory.
        path: PathBuf,
        /// Overwrite previously imported cases with the same id.
        #[arg(long)]
        replace: bool,
    },
    /// List cases: id, difficulty, specialty, title.
    List,
    /// Print one case in the native format (answer key included).
    Show {
        /// Case id.
        id: String,
    },
    /// Write every case in the native format: a JSON list on stdout, or one file per case.
    Export {
        /// Write `<id>.json` files into this directory instead.
        #[arg(long)]
        out: Option<PathBuf>,
    },
}

/// `dx0 users …`
#[derive(Debug, Args)]
pub struct UsersArgs {
    /// The database.
    #[command(flatten)]
    pub database: DatabaseArgs,
    /// What to do.
    #[command(subcommand)]
    pub command: UsersCommand,
}

/// The account commands.
#[derive(Debug, Subcommand)]
pub enum UsersCommand {
    /// Create an account (group `physician` unless --admin); asks for the password twice.
    Add {
        /// Login name (letters, digits, `.`, `_`, `-`, `@`; stored in lower case).
        name: String,
        /// Put the account in the `admin` group.
        #[arg(long)]
        admin: bool,
        /// Read the password from one line of standard input instead of asking.
        #[arg(long)]
        password_stdin: bool,
    },
    /// List accounts with their group and creation date.
    List,
    /// Delete an account and end its sessions.
    Remove {
        /// Login name.
        name: String,
    },
    /// Change an account's password and end its sessions.
    Passwd {
        /// Login name.
        name: String,
        /// Read the password from one line of standard input instead of asking.
        #[arg(long)]
        password_stdin: bool,
    },
    /// Forget an account's failed logins, lifting its lockout.
    Unlock {
        /// Login name.
        name: String,
    },
}

/// Sign-in, lockout and rate-limit settings of `dx0 serve`.
#[derive(Clone, Args)]
pub struct AuthArgs {
    /// Secret that signs access tokens (at least 32 bytes; required in production). In
    /// development an unset secret is generated once and kept in the database.
    #[arg(long, env = "DX0_SECRET_KEY", hide_env_values = true)]
    pub secret_key: Option<String>,
    /// Failed logins per account within the window before it is locked.
    #[arg(long, env = "DX0_FAILED_LOGIN_LIMIT", default_value_t = 5, value_parser = clap::value_parser!(u32).range(1..))]
    pub failed_login_limit: u32,
    /// Failed logins per client address within the window before it is locked.
    #[arg(long, env = "DX0_FAILED_LOGIN_ADDRESS_LIMIT", default_value_t = 20, value_parser = clap::value_parser!(u32).range(1..))]
    pub failed_login_address_limit: u32,
    /// The failed-login window, in seconds.
    #[arg(long, env = "DX0_FAILED_LOGIN_WINDOW", default_value_t = 300, value_parser = clap::value_parser!(u64).range(1..))]
    pub failed_login_window: u64,
    /// WebSocket messages per session within the window.
    #[arg(long, env = "DX0_MESSAGE_RATE_LIMIT", default_value_t = 30, value_parser = clap::value_parser!(u32).range(1..))]
    pub message_rate_limit: u32,
    /// The message window, in seconds.
    #[arg(long, env = "DX0_MESSAGE_RATE_WINDOW", default_value_t = 60, value_parser = clap::value_parser!(u64).range(1..))]
    pub message_rate_window: u64,
    /// Access-token lifetime, in seconds.
    #[arg(long, env = "DX0_TOKEN_TTL", default_value_t = 3600, value_parser = clap::value_parser!(u64).range(1..))]
    pub token_ttl: u64,
    /// Login-session (and refresh-token) lifetime, in seconds.
    #[arg(long, env = "DX0_SESSION_TTL", default_value_t = 7 * 24 * 3600, value_parser = clap::value_parser!(u64).range(60..))]
    pub session_ttl: u64,
    /// Take the client address from the rightmost `X-Forwarded-For` entry (only behind a proxy
    /// you run).
    #[arg(long, env = "DX0_TRUSTED_PROXY", action = ArgAction::Set, default_value_t = false, value_parser = BoolishValueParser::new())]
    pub trusted_proxy: bool,
}

impl fmt::Debug for AuthArgs {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AuthArgs")
            .field("secret_key", &self.secret_key.as_ref().map(|_| "***"))
            .field("failed_login_limit", &self.failed_login_limit)
            .field(
                "failed_login_address_limit",
                &self.failed_login_address_limit,
            )
            .field("failed_login_window", &self.failed_login_window)
            .field("message_rate_limit", &self.message_rate_limit)
            .field("message_rate_window", &self.message_rate_window)
            .field("token_ttl", &self.token_ttl)
            .field("session_ttl", &self.session_ttl)
            .field("trusted_proxy", &self.trusted_proxy)
            .finish()
    }
}

impl AuthArgs {
    /// The limits and lifetimes these flags set.
    pub fn policy(&self, production: bool) -> crate::auth::AuthPolicy {
        crate::auth::AuthPolicy {
            failed_login_limit: self.failed_login_limit,
            failed_login_address_limit: self.failed_login_address_limit,
            failed_login_window_secs: self.failed_login_window,
            message_rate_limit: self.message_rate_limit,
            message_rate_window_secs: self.message_rate_window,
            token_ttl_secs: self.token_ttl,
            session_ttl_secs: self.session_ttl,
            secure_cookies: production,
        }
    }
}

/// The original project's environment names, accepted as aliases of ours.
pub const ENV_ALIASES: &[(&str, &str)] = &[
    ("FAILED_LOGIN_LIMIT", "DX0_FAILED_LOGIN_LIMIT"),
    ("FAILED_LOGIN_COOLDOWN", "DX0_FAILED_LOGIN_WINDOW"),
    ("MESSAGE_RATE_LIMIT", "DX0_MESSAGE_RATE_LIMIT"),
    ("MESSAGE_RATE_WINDOW", "DX0_MESSAGE_RATE_WINDOW"),
    ("UI_TOKEN_TTL", "DX0_TOKEN_TTL"),
    ("UI_SECRET_KEY", "DX0_SECRET_KEY"),
    ("UI_BUDGET_LIMIT", "DX0_BUDGET_LIMIT"),
    ("OPENAI_API_KEY", "DX0_LLM_API_KEY"),
];

/// The variables to set so that each alias present stands in for its unset `DX0_` name.
pub fn alias_assignments(get: impl Fn(&str) -> Option<String>) -> Vec<(&'static str, String)> {
    ENV_ALIASES
        .iter()
        .filter(|(_, ours)| get(ours).is_none())
        .filter_map(|(alias, ours)| get(alias).map(|value| (*ours, value)))
        .collect()
}

/// Copies aliases into their `DX0_` names; call before any thread starts (it sets variables).
pub fn apply_env_aliases() {
    for (name, value) in alias_assignments(|k| std::env::var(k).ok()) {
        std::env::set_var(name, value);
    }
}

/// Where the database is.
#[derive(Clone, Args)]
pub struct DatabaseArgs {
    /// Database URL: `sqlite:PATH` (created when missing) or `postgres://USER:PASS@HOST/DB`.
    #[arg(long = "database", env = "DATABASE_URL", default_value = DEFAULT_DATABASE_URL, global = true)]
    pub url: String,
}

impl fmt::Debug for DatabaseArgs {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DatabaseArgs")
            .field("url", &crate::redact::url(&self.url))
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
    /// Send `Strict-Transport-Security` (set it where the site is served over HTTPS only).
    #[arg(long, env = "DX0_HSTS", action = ArgAction::Set, default_value_t = false, value_parser = BoolishValueParser::new())]
    pub hsts: bool,
    /// Connections open at once, WebSockets included; one more is answered 503 and closed.
    #[arg(long, env = "DX0_MAX_CONNECTIONS", default_value_t = 1024, value_parser = clap::value_parser!(u32).range(1..))]
    pub max_connections: u32,
    /// Seconds a client has to send a request's head; also the longest a keep-alive connection
    /// stays idle.
    #[arg(long, env = "DX0_HEADER_TIMEOUT", default_value_t = 10, value_parser = clap::value_parser!(u64).range(1..=3600))]
    pub header_timeout: u64,
    /// WebSockets open at once per session; opening one more closes the oldest.
    #[arg(long, env = "DX0_SOCKETS_PER_SESSION", default_value_t = 16, value_parser = clap::value_parser!(u32).range(1..=1000))]
    pub sockets_per_session: u32,
    /// Sign-in, lockout and rate limits.
    #[command(flatten)]
    pub auth: AuthArgs,
    /// Costs and budgets of encounters.
    #[command(flatten)]
    pub encounter: EncounterArgs,
    /// The language model (unset: offline).
    #[command(flatten)]
    pub llm: LlmArgs,
}

/// Costs, budgets and the default case.
#[derive(Debug, Clone, Args)]
pub struct EncounterArgs {
    /// The price of one physician visit (a round of questions), in dollars.
    #[arg(long, env = "DX0_VISIT_COST", default_value = "300", value_parser = parse_money)]
    pub visit_cost: crate::protocol::Money,
    /// Budget of new encounters when the socket gives none (`&budget=` wins), in dollars.
    #[arg(long, env = "DX0_BUDGET_LIMIT", value_parser = parse_money)]
    pub budget_limit: Option<crate::protocol::Money>,
    /// The case a socket opens when it names none (default: the bundled default case).
    #[arg(long, env = "DX0_DEFAULT_CASE")]
    pub default_case: Option<String>,
}

fn parse_money(text: &str) -> Result<crate::protocol::Money, String> {
    crate::protocol::Money::parse_dollars(text)
        .ok_or_else(|| format!("{text:?} is not a dollar amount (e.g. 300 or 12.50)"))
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
        let cli = Cli::try_parse_from(["dx0"]).unwrap();
        assert!(!cli.serve.hsts, "HSTS is off unless configured");
        let cli = Cli::try_parse_from(["dx0", "--hsts", "1"]).unwrap();
        assert!(cli.serve.hsts);
    }

    #[test]
    fn original_names_stand_in_for_unset_ones() {
        let env = |k: &str| match k {
            "FAILED_LOGIN_COOLDOWN" => Some("60".to_string()),
            "UI_SECRET_KEY" => Some("old".to_string()),
            "DX0_SECRET_KEY" => Some("new".to_string()),
            _ => None,
        };
        assert_eq!(
            alias_assignments(env),
            vec![("DX0_FAILED_LOGIN_WINDOW", "60".to_string())],
            "an alias fills an unset name and never overrides a set one"
        );
        let cli = Cli::try_parse_from(["dx0", "--failed-login-limit", "3", "--trusted-proxy", "1"])
            .unwrap();
        assert_eq!(cli.serve.auth.failed_login_limit, 3);
        assert!(cli.serve.auth.trusted_proxy);
        assert!(Cli::try_parse_from(["dx0", "--message-rate-limit", "0"]).is_err());
        let debug = format!(
            "{:?}",
            Cli::try_parse_from(["dx0", "--secret-key", "hunter2"]).unwrap()
        );
        assert!(!debug.contains("hunter2"), "{debug}");
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

//! Shared helpers of the integration tests: databases on both backends, an in-process server,
//! and a minimal HTTP/1.1 client over a plain TCP socket.

pub mod panel;
pub mod ws;

use dx0::auth::bootstrap::prepare_accounts;
use dx0::auth::{Auth, AuthPolicy, SystemClock};
use dx0::server::{router, AppState, Shutdown};
use dx0::store::{self, Store};
use leptos::config::LeptosOptions;
use sqlx::Connection;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Arc;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// A database for one test: an SQLite file in a temporary directory, or a fresh PostgreSQL
/// database on the server named by `DX0_TEST_POSTGRES_URL`.
pub struct TestDb {
    pub name: &'static str,
    pub url: String,
    _dir: Option<tempfile::TempDir>,
}

/// One database per backend. PostgreSQL is skipped only when no server was given and
/// `DX0_REQUIRE_POSTGRES` is not `1` (`make test` always gives one).
pub async fn databases() -> Vec<TestDb> {
    let mut dbs = vec![sqlite_db()];
    if let Some(db) = postgres_db().await {
        dbs.push(db);
    }
    dbs
}

pub fn sqlite_db() -> TestDb {
    let dir = tempfile::tempdir().expect("temp dir");
    let url = format!("sqlite:{}", dir.path().join("test.db").display());
    TestDb {
        name: "sqlite",
        url,
        _dir: Some(dir),
    }
}

/// An SQLite database file in `dir`, which the test owns and cleans up itself.
pub fn sqlite_db_in(dir: &std::path::Path) -> TestDb {
    TestDb {
        name: "sqlite",
        url: format!("sqlite:{}", dir.join("test.db").display()),
        _dir: None,
    }
}

pub async fn postgres_db() -> Option<TestDb> {
    static COUNTER: AtomicU32 = AtomicU32::new(0);
    let Ok(admin) = std::env::var("DX0_TEST_POSTGRES_URL") else {
        assert!(
            std::env::var("DX0_REQUIRE_POSTGRES").as_deref() != Ok("1"),
            "DX0_REQUIRE_POSTGRES=1 but DX0_TEST_POSTGRES_URL is not set"
        );
        eprintln!("note: DX0_TEST_POSTGRES_URL not set, PostgreSQL half skipped");
        return None;
    };
    let name = format!(
        "dx0_test_{}_{}",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::SeqCst)
    );
    let mut conn = sqlx::PgConnection::connect(&admin)
        .await
        .expect("connect to the test PostgreSQL server");
    sqlx::query(&format!("CREATE DATABASE {name}"))
        .execute(&mut conn)
        .await
        .expect("create a test database");
    let base = admin.rsplit_once('/').expect("URL with a database").0;
    Some(TestDb {
        name: "postgres",
        url: format!("{base}/{name}"),
        _dir: None,
    })
}

/// A server running in this process on a free port.
pub struct TestApp {
    pub addr: SocketAddr,
    pub store: Arc<dyn Store>,
    pub shutdown: Shutdown,
    pub auth: Auth,
}

/// How a test server is set up.
#[derive(Clone, Default)]
pub struct TestOptions {
    pub policy: AuthPolicy,
    pub trusted_proxy: bool,
    /// Send `Strict-Transport-Security` (`DX0_HSTS=1`).
    pub hsts: bool,
    /// The clinic (gatekeeper, judge, prices, costs); the offline one when `None`.
    pub clinic: Option<dx0::clinic::Clinic>,
    /// Connection limits; the server's defaults when `None`.
    pub limits: Option<dx0::server::listen::Limits>,
    /// WebSockets per session; 16 (the server's default) when `None`.
    pub sockets_per_session: Option<usize>,
    /// The server's clock; the system's when `None`.
    pub clock: Option<dx0::auth::ManualClock>,
}

/// Several Leptos apps rendering pages at once in one process stalled a render about once in
/// 25 runs; never one app alone (serially 0 in 30, and the real server runs one app per
/// process). Every test that renders pages in this process takes its turn under this lock.
pub static ONE_APP_AT_A_TIME: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// A server on `db` whose gatekeeper, judge and panel use the language model served by `fake`
/// (asked once, no retries).
pub async fn spawn_llm_app(db: &TestDb, fake: &dx0::llm::fake::FakeLlm) -> TestApp {
    let client = dx0::llm::OpenAiClient::new(
        dx0::llm::OpenAiConfig {
            max_retries: 0,
            ..dx0::llm::OpenAiConfig::new(fake.base_url(), "fake-model")
        },
        None,
    )
    .expect("a client of the fake server");
    let clinic = dx0::clinic::Clinic::offline(dx0::protocol::Money(30_000), None, None)
        .with_llm(Arc::new(client));
    spawn_app_with(
        db,
        TestOptions {
            clinic: Some(clinic),
            ..TestOptions::default()
        },
    )
    .await
}

/// The signing secret of test servers (so two test instances accept each other's tokens).
pub const TEST_SECRET: &[u8] = b"integration tests' signing secret, 32+ bytes";

/// A server with the default policy and the demo user `physician` / `secret`.
pub async fn spawn_app(db: &TestDb) -> TestApp {
    spawn_app_with(db, TestOptions::default()).await
}

pub async fn spawn_app_with(db: &TestDb, options: TestOptions) -> TestApp {
    let store = store::open(&db.url).await.expect("open the store");
    let clock: Arc<dyn dx0::auth::Clock> = match &options.clock {
        Some(manual) => Arc::new(manual.clone()),
        None => Arc::new(SystemClock),
    };
    prepare_accounts(store.as_ref(), clock.as_ref(), false)
        .await
        .expect("demo user");
    let auth = Auth::new(
        store.clone(),
        clock.clone(),
        TEST_SECRET,
        options.policy.clone(),
    );
    dx0::clinic::install_bundled_cases(store.as_ref(), auth.now())
        .await
        .expect("bundled cases");
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let shutdown = Shutdown::new();
    let leptos = LeptosOptions::builder()
        .output_name("dx0")
        .site_root("target/site")
        .site_pkg_dir("pkg")
        .site_addr(addr)
        .build();
    let app = router(AppState {
        leptos,
        store: store.clone(),
        shutdown: shutdown.clone(),
        auth: auth.clone(),
        trusted_proxy: options.trusted_proxy,
        production: false,
        hsts: options.hsts,
        encounters: dx0::clinic::Encounters::new(
            store.clone(),
            options.clinic.clone().unwrap_or_else(|| {
                dx0::clinic::Clinic::offline(dx0::protocol::Money(30_000), None, None)
            }),
            clock.clone(),
        ),
        sockets: dx0::server::sockets::Sockets::new(options.sockets_per_session.unwrap_or(16)),
    });
    tokio::spawn(dx0::auth::bootstrap::run_background(auth.clone(), {
        let shutdown = shutdown.clone();
        async move { shutdown.wait().await }
    }));
    tokio::spawn(dx0::server::listen::serve(
        listener,
        app,
        options.limits.unwrap_or_default(),
        shutdown.clone(),
        std::time::Duration::from_secs(10),
    ));
    TestApp {
        addr,
        store,
        shutdown,
        auth,
    }
}

/// Logs in through `/api/v1/login` and returns the JSON answer (access and refresh tokens).
pub async fn api_login(addr: SocketAddr, user: &str, password: &str) -> Response {
    let body = serde_json::json!({ "username": user, "password": password }).to_string();
    request(
        addr,
        "POST",
        "/api/v1/login",
        &[("Content-Type", "application/json")],
        Some(&body),
    )
    .await
}

/// POSTs a JSON body (raw text, so malformed bodies can be sent too) with extra headers.
pub async fn post_json(
    addr: SocketAddr,
    path: &str,
    body: &str,
    headers: &[(&str, &str)],
) -> Response {
    let mut all = vec![("Content-Type", "application/json")];
    all.extend_from_slice(headers);
    request(addr, "POST", path, &all, Some(body)).await
}

/// An access and refresh token from `/api/v1/login`.
#[derive(Debug, Clone)]
pub struct Pair {
    pub access: String,
    pub refresh: String,
}

impl Pair {
    /// The pair in a 200 answer of `/api/v1/login` or `/api/v1/refresh`.
    pub fn from_response(response: &Response) -> Pair {
        assert_eq!(response.status, 200, "{}", response.body);
        let body = response.json();
        Pair {
            access: body["access_token"].as_str().expect("access_token").into(),
            refresh: body["refresh_token"]
                .as_str()
                .expect("refresh_token")
                .into(),
        }
    }
}

/// Logs in (asserting success) and returns the token pair.
pub async fn login_pair(addr: SocketAddr, user: &str, password: &str) -> Pair {
    Pair::from_response(&api_login(addr, user, password).await)
}

/// `POST /api/v1/refresh`.
pub async fn api_refresh(addr: SocketAddr, refresh_token: &str) -> Response {
    let body = serde_json::json!({ "refresh_token": refresh_token }).to_string();
    post_json(addr, "/api/v1/refresh", &body, &[]).await
}

/// `POST /api/v1/logout`.
pub async fn api_logout(addr: SocketAddr, refresh_token: &str) -> Response {
    let body = serde_json::json!({ "refresh_token": refresh_token }).to_string();
    post_json(addr, "/api/v1/logout", &body, &[]).await
}

/// Creates an account directly in the store (the CLI refuses nothing the tests need here).
pub async fn add_user(app: &TestApp, name: &str, password: &str, group: dx0::protocol::Group) {
    let hash = dx0::auth::password::hash_password(password.into())
        .await
        .unwrap();
    app.store
        .add_user(name, &hash, group, 0)
        .await
        .unwrap()
        .expect("a new account");
}

/// The demo user's access token.
pub async fn demo_token(addr: SocketAddr) -> String {
    let response = api_login(addr, "physician", "secret").await;
    assert_eq!(response.status, 200, "{}", response.body);
    response.json()["access_token"]
        .as_str()
        .unwrap()
        .to_string()
}

impl Response {
    /// The first value of a header (name in lower case).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }
}

/// A response: status code, headers (lower-cased names) and body.
#[derive(Debug)]
pub struct Response {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: String,
}

impl Response {
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.body)
            .unwrap_or_else(|e| panic!("body is not JSON ({e}): {}", self.body))
    }
}

/// Sends one HTTP/1.1 request (form-encoded body) and reads the whole answer.
pub async fn http(addr: SocketAddr, method: &str, path: &str, body: Option<&str>) -> Response {
    request(
        addr,
        method,
        path,
        &[("Content-Type", "application/x-www-form-urlencoded")],
        body,
    )
    .await
}

/// Sends one HTTP/1.1 request with extra headers and reads the whole answer.
pub async fn request(
    addr: SocketAddr,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: Option<&str>,
) -> Response {
    let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
    let body = body.unwrap_or("");
    let extra: String = headers
        .iter()
        .map(|(k, v)| format!("{k}: {v}\r\n"))
        .collect();
    let request = format!(
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\nAccept: */*\r\n\
         {extra}Content-Length: {}\r\n\r\n{body}",
        body.len()
    );
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw).await.unwrap();
    parse_response(&raw)
}

fn parse_response(raw: &[u8]) -> Response {
    let text = String::from_utf8_lossy(raw);
    let (head, rest) = text.split_once("\r\n\r\n").expect("a complete response");
    let mut lines = head.lines();
    let status = lines
        .next()
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|s| s.parse().ok())
        .expect("a status line");
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_string()))
        .collect();
    let chunked = headers
        .iter()
        .any(|(k, v)| k == "transfer-encoding" && v.contains("chunked"));
    let body = if chunked {
        dechunk(rest)
    } else {
        rest.to_string()
    };
    Response {
        status,
        headers,
        body,
    }
}

fn dechunk(mut rest: &str) -> String {
    let mut out = String::new();
    while let Some((size, after)) = rest.split_once("\r\n") {
        let Ok(size) = usize::from_str_radix(size.trim(), 16) else {
            break;
        };
        if size == 0 || after.len() < size {
            break;
        }
        out.push_str(&after[..size]);
        rest = after[size..].trim_start_matches("\r\n");
    }
    out
}

/// The `dx0` binary with nothing from the test runner's environment that could change the
/// settings under test.
pub fn dx0_command() -> std::process::Command {
    let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_dx0"));
    cmd.env_remove("DATABASE_URL")
        .env_remove("DX0_ADDR")
        .env("RUST_LOG", "warn");
    for (name, _) in std::env::vars() {
        if name.starts_with("DX0_") {
            cmd.env_remove(name);
        }
    }
    for (alias, _) in dx0::config::ENV_ALIASES {
        cmd.env_remove(alias);
    }
    cmd
}

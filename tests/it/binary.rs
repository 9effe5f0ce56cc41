//! The `dx0` binary as an operator runs it: help, migrate, serve on both backends, signals.

use crate::common;

use std::io::{BufRead, BufReader, Write};
use std::net::SocketAddr;
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

fn dx0() -> Command {
    common::dx0_command()
}

/// Starts `dx0 serve` on a free port and returns it with the address it printed.
fn serve(database: &str) -> (Child, SocketAddr) {
    serve_with(database, &[])
}

/// Starts `dx0 serve` with extra environment variables.
fn serve_with(database: &str, envs: &[(&str, &str)]) -> (Child, SocketAddr) {
    let mut child = dx0()
        .args(["serve", "--addr", "127.0.0.1:0", "--database", database])
        .envs(envs.iter().copied())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("dx0 starts");
    let stdout = child.stdout.take().unwrap();
    let mut line = String::new();
    BufReader::new(stdout).read_line(&mut line).unwrap();
    let addr = line
        .trim()
        .strip_prefix("Dx0 is serving at http://")
        .unwrap_or_else(|| panic!("unexpected first line {line:?}"))
        .parse()
        .unwrap();
    (child, addr)
}

fn terminate(child: &mut Child) -> std::process::ExitStatus {
    let status = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            return status;
        }
        assert!(Instant::now() < deadline, "dx0 did not stop after SIGTERM");
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn help_lists_the_commands() {
    let out = dx0().arg("--help").output().unwrap();
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    for word in [
        "serve",
        "migrate",
        "--addr",
        "--database",
        "DATABASE_URL",
        "DX0_ADDR",
    ] {
        assert!(text.contains(word), "--help lacks {word}:\n{text}");
    }
    let out = dx0().arg("--version").output().unwrap();
    assert!(String::from_utf8_lossy(&out.stdout).contains(env!("CARGO_PKG_VERSION")));
}

#[test]
fn bad_database_url_is_a_clear_error() {
    let out = dx0()
        .args([
            "migrate",
            "--database",
            "mysql://root:topsecret@localhost/x",
        ])
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("unsupported database URL"), "{err}");
    assert!(!err.contains("topsecret"), "password leaked: {err}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn migrate_then_serve_on_every_backend_and_stop_on_sigterm() {
    for db in common::databases().await {
        let out = dx0()
            .args(["migrate", "--database", &db.url])
            .output()
            .unwrap();
        assert!(out.status.success(), "{}: {out:?}", db.name);
        assert!(String::from_utf8_lossy(&out.stdout).contains("schema version"));

        let (mut child, addr) = serve(&db.url);
        let ready = common::http(addr, "GET", "/readyz", None).await;
        assert_eq!(ready.status, 200, "{}: {ready:?}", db.name);
        let page = common::http(addr, "GET", "/", None).await;
        assert_eq!(page.status, 200);
        assert!(page.body.contains("data-testid=\"schema-version\""));
        let status = terminate(&mut child);
        assert!(
            status.success(),
            "{}: exit {status:?} after SIGTERM",
            db.name
        );
    }
}

#[test]
fn sqlite_database_is_created_at_start() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("fresh.db");
    let (mut child, _addr) = serve(&format!("sqlite:{}", path.display()));
    assert!(path.exists(), "the SQLite file was not created");
    assert!(terminate(&mut child).success());
}

/// A signing secret long enough for production (40 bytes).
const GOOD_SECRET: &str = "0123456789abcdefghij0123456789abcdefghij";

fn sqlite_url(dir: &tempfile::TempDir, file: &str) -> String {
    format!("sqlite:{}", dir.path().join(file).display())
}

/// Runs `dx0 users ARGS --database DB`, feeding `stdin` when given.
fn users(database: &str, args: &[&str], stdin: Option<&str>) -> Output {
    let mut child = dx0()
        .args(["users", "--database", database])
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("dx0 users starts");
    {
        let mut input = child.stdin.take().unwrap();
        if let Some(text) = stdin {
            input.write_all(text.as_bytes()).unwrap();
        }
    }
    wait_briefly(child)
}

/// Waits up to 20 s for a process that should end by itself, and returns its output.
fn wait_briefly(mut child: Child) -> Output {
    let deadline = Instant::now() + Duration::from_secs(20);
    while child.try_wait().unwrap().is_none() {
        if Instant::now() > deadline {
            let _ = child.kill();
            let output = child.wait_with_output().unwrap();
            panic!(
                "dx0 did not exit within 20 s; stderr:\n{}",
                String::from_utf8_lossy(&output.stderr)
            );
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    child.wait_with_output().unwrap()
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// The (name, group) rows of `dx0 users list`.
fn user_rows(database: &str) -> Vec<(String, String)> {
    let out = users(database, &["list"], None);
    assert!(out.status.success(), "users list: {}", stderr(&out));
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    let mut lines = text.lines();
    let header = lines.next().expect("a header line");
    assert!(header.starts_with("NAME"), "{text}");
    lines
        .map(|line| {
            let mut words = line.split_whitespace();
            let name = words.next().expect("a name").to_string();
            let group = words.next().expect("a group").to_string();
            (name, group)
        })
        .collect()
}

fn row(name: &str, group: &str) -> (String, String) {
    (name.to_string(), group.to_string())
}

/// Runs `dx0 serve` expecting it to refuse to start: it must exit non-zero within 20 s (and
/// never print the serving line). Returns its stderr.
fn serve_refused(database: &str, args: &[&str], envs: &[(&str, &str)]) -> String {
    let started = Instant::now();
    let child = dx0()
        .args(["serve", "--addr", "127.0.0.1:0", "--database", database])
        .args(args)
        .envs(envs.iter().copied())
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("dx0 starts");
    let output = wait_briefly(child);
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "took {:?} to refuse",
        started.elapsed()
    );
    let err = stderr(&output);
    assert!(
        !output.status.success(),
        "dx0 serve should have refused:\n{err}"
    );
    assert!(
        !String::from_utf8_lossy(&output.stdout).contains("serving at"),
        "it served before refusing"
    );
    err
}

async fn login_status(addr: SocketAddr, user: &str, password: &str) -> u16 {
    common::api_login(addr, user, password).await.status
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn users_add_list_passwd_and_remove_on_every_backend() {
    for db in common::databases().await {
        let url = db.url.as_str();
        let out = users(
            url,
            &["add", "alice", "--password-stdin"],
            Some("alice-password\n"),
        );
        assert!(out.status.success(), "{}: {}", db.name, stderr(&out));
        assert_eq!(user_rows(url), [row("alice", "physician")], "{}", db.name);

        let out = users(
            url,
            &["add", "Bob", "--admin", "--password-stdin"],
            Some("bob-password\n"),
        );
        assert!(out.status.success(), "{}: {}", db.name, stderr(&out));
        assert_eq!(
            user_rows(url),
            [row("alice", "physician"), row("bob", "admin")],
            "{}",
            db.name
        );

        let again = users(
            url,
            &["add", "alice", "--password-stdin"],
            Some("another-password\n"),
        );
        assert!(
            !again.status.success(),
            "{}: a duplicate was added",
            db.name
        );
        assert!(
            stderr(&again).contains("already exists"),
            "{}",
            stderr(&again)
        );

        let short = users(url, &["add", "dave", "--password-stdin"], Some("short7c\n"));
        assert!(
            !short.status.success(),
            "{}: a 7-character password",
            db.name
        );
        assert!(stderr(&short).contains("at least 8"), "{}", stderr(&short));
        assert!(!user_rows(url).iter().any(|(name, _)| name == "dave"));

        let empty = users(url, &["add", "erin", "--password-stdin"], Some(""));
        assert!(!empty.status.success(), "{}: an empty password", db.name);

        let out = users(
            url,
            &["passwd", "alice", "--password-stdin"],
            Some("new-alice-pw\n"),
        );
        assert!(out.status.success(), "{}: {}", db.name, stderr(&out));
        let short = users(
            url,
            &["passwd", "alice", "--password-stdin"],
            Some("tiny\n"),
        );
        assert!(!short.status.success());
        let nobody = users(
            url,
            &["passwd", "nobody", "--password-stdin"],
            Some("whatever-pw\n"),
        );
        assert!(!nobody.status.success());
        assert!(stderr(&nobody).contains("no user"), "{}", stderr(&nobody));

        // The new password is the one that works (accounts exist, so no demo user appears).
        let (mut child, addr) = serve(url);
        assert_eq!(
            login_status(addr, "alice", "new-alice-pw").await,
            200,
            "{}",
            db.name
        );
        assert_eq!(login_status(addr, "alice", "alice-password").await, 401);
        assert_eq!(login_status(addr, "bob", "bob-password").await, 200);
        assert_eq!(login_status(addr, "physician", "secret").await, 401);
        assert!(terminate(&mut child).success());

        let out = users(url, &["remove", "alice"], None);
        assert!(out.status.success(), "{}: {}", db.name, stderr(&out));
        assert_eq!(user_rows(url), [row("bob", "admin")], "{}", db.name);
        let again = users(url, &["remove", "alice"], None);
        assert_eq!(
            again.status.code(),
            Some(1),
            "{}: {}",
            db.name,
            stderr(&again)
        );
        assert!(stderr(&again).contains("no user"), "{}", stderr(&again));
    }
}

#[test]
fn production_refuses_a_missing_or_short_secret() {
    let dir = tempfile::tempdir().unwrap();
    let url = sqlite_url(&dir, "prod.db");
    let err = serve_refused(&url, &["--env", "production"], &[]);
    assert!(err.contains("DX0_SECRET_KEY"), "{err}");

    let err = serve_refused(&url, &[], &[("DX0_ENV", "production")]);
    assert!(err.contains("DX0_SECRET_KEY"), "{err}");

    let err = serve_refused(
        &url,
        &[],
        &[("DX0_ENV", "production"), ("DX0_SECRET_KEY", "0123456789")],
    );
    assert!(err.contains("DX0_SECRET_KEY"), "{err}");
    assert!(err.contains("10 bytes"), "{err}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn development_creates_the_demo_user_and_production_refuses_it() {
    let dir = tempfile::tempdir().unwrap();
    let url = sqlite_url(&dir, "demo.db");
    let (mut child, addr) = serve(&url);
    assert_eq!(login_status(addr, "physician", "secret").await, 200);
    assert!(terminate(&mut child).success());
    assert_eq!(user_rows(&url), [row("physician", "physician")]);

    let production = [("DX0_ENV", "production"), ("DX0_SECRET_KEY", GOOD_SECRET)];
    let err = serve_refused(&url, &[], &production);
    assert!(err.contains("demo user"), "{err}");
    assert!(!err.contains(GOOD_SECRET), "the secret leaked: {err}");

    // Changing the demo password is one of the two remedies the message names.
    let out = users(
        &url,
        &["passwd", "physician", "--password-stdin"],
        Some("secret\n"),
    );
    assert!(
        !out.status.success(),
        "the CLI must refuse the demo password"
    );
    let out = users(
        &url,
        &["passwd", "physician", "--password-stdin"],
        Some("a real password\n"),
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let (mut child, addr) = serve_with(&url, &production);
    assert_eq!(
        common::http(addr, "GET", "/healthz", None).await.status,
        200
    );
    assert_eq!(login_status(addr, "physician", "secret").await, 401);
    assert_eq!(
        login_status(addr, "physician", "a real password").await,
        200
    );
    assert!(terminate(&mut child).success());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn production_serves_with_a_good_secret_and_no_demo_user() {
    let dir = tempfile::tempdir().unwrap();
    let url = sqlite_url(&dir, "fresh.db");
    let out = users(
        &url,
        &["add", "carol", "--password-stdin"],
        Some("carol-password\n"),
    );
    assert!(out.status.success(), "{}", stderr(&out));

    let (mut child, addr) = serve_with(
        &url,
        &[("DX0_ENV", "production"), ("DX0_SECRET_KEY", GOOD_SECRET)],
    );
    let health = common::http(addr, "GET", "/healthz", None).await;
    assert_eq!(health.status, 200, "{health:?}");
    assert_eq!(login_status(addr, "carol", "carol-password").await, 200);
    assert_eq!(login_status(addr, "physician", "secret").await, 401);
    assert!(terminate(&mut child).success());
    assert_eq!(user_rows(&url), [row("carol", "physician")]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_original_failed_login_limit_name_is_honoured() {
    let dir = tempfile::tempdir().unwrap();
    let url = sqlite_url(&dir, "alias.db");
    let (mut child, addr) = serve_with(&url, &[("FAILED_LOGIN_LIMIT", "2")]);
    assert_eq!(login_status(addr, "physician", "wrong").await, 401);
    assert_eq!(login_status(addr, "physician", "wrong").await, 401);
    let third = common::api_login(addr, "physician", "secret").await;
    assert_eq!(third.status, 429, "{third:?}");
    assert!(third.header("retry-after").is_some());
    // `dx0 users unlock` lifts it while the server runs.
    let out = users(&url, &["unlock", "physician"], None);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(login_status(addr, "physician", "secret").await, 200);
    assert!(terminate(&mut child).success());
}

fn cases_cmd(database: &str, args: &[&str]) -> Output {
    dx0()
        .arg("cases")
        .args(args)
        .args(["--database", database])
        .output()
        .expect("run dx0 cases")
}

#[test]
fn cases_import_list_show_and_export() {
    let dir = tempfile::tempdir().unwrap();
    let db = sqlite_url(&dir, "cases.db");
    let source = dir.path().join("import");
    std::fs::create_dir_all(source.join("folder-case")).unwrap();
    std::fs::write(
        source.join("list.json"),
        r#"[{"id": "imp-1", "summary": "A 50-year-old with cough.", "full_text": "He has coughed for a month.", "diagnosis": "Chronic bronchitis"}]"#,
    )
    .unwrap();
    std::fs::write(
        source.join("folder-case/summary.txt"),
        "A child with a limp.",
    )
    .unwrap();
    std::fs::write(
        source.join("folder-case/full.txt"),
        "The left hip is held flexed.",
    )
    .unwrap();

    let imported = cases_cmd(&db, &["import", source.to_str().unwrap()]);
    assert!(imported.status.success(), "{}", stderr(&imported));
    assert!(String::from_utf8_lossy(&imported.stdout).contains("imported 2 case(s)"));
    let list = String::from_utf8_lossy(&cases_cmd(&db, &["list"]).stdout).to_string();
    assert!(
        list.contains("imp-1") && list.contains("folder-case"),
        "{list}"
    );
    assert!(
        list.contains("(default)"),
        "the bundled default case is listed: {list}"
    );
    let shown = cases_cmd(&db, &["show", "imp-1"]);
    assert!(shown.status.success());
    assert!(String::from_utf8_lossy(&shown.stdout).contains("Chronic bronchitis"));

    // Importing again without --replace changes nothing and names the case.
    let again = cases_cmd(&db, &["import", source.to_str().unwrap()]);
    assert_eq!(again.status.code(), Some(1));
    assert!(stderr(&again).contains("imp-1"), "{}", stderr(&again));
    assert!(
        cases_cmd(&db, &["import", "--replace", source.to_str().unwrap()])
            .status
            .success()
    );

    // A bad file anywhere: nothing is imported, every bad one is named.
    std::fs::write(source.join("broken.json"), "{oops").unwrap();
    std::fs::write(
        source.join("new.json"),
        r#"{"id": "fresh", "summary": "s", "full_text": "t"}"#,
    )
    .unwrap();
    let bad = cases_cmd(&db, &["import", source.to_str().unwrap()]);
    assert_eq!(bad.status.code(), Some(1));
    assert!(stderr(&bad).contains("broken.json"), "{}", stderr(&bad));
    let list = String::from_utf8_lossy(&cases_cmd(&db, &["list"]).stdout).to_string();
    assert!(!list.contains("fresh"), "all or nothing: {list}");

    let missing = cases_cmd(&db, &["show", "NOPE"]);
    assert_eq!(missing.status.code(), Some(1));
    assert!(stderr(&missing).contains("NOPE"));

    let out = dir.path().join("export");
    let exported = cases_cmd(&db, &["export", "--out", out.to_str().unwrap()]);
    assert!(exported.status.success(), "{}", stderr(&exported));
    assert!(out.join("imp-1.json").exists());
    let all = cases_cmd(&db, &["export"]);
    let parsed: serde_json::Value = serde_json::from_slice(&all.stdout).unwrap();
    assert!(parsed.as_array().unwrap().len() >= 26);
}

/// Every secret a scripted session handles — a password, access and refresh tokens (in a
/// socket's `?token=`, a Bearer header, a refresh body), a session cookie, the language-model key
/// — is kept out of the log, even at DEBUG level.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn secrets_never_reach_the_log_even_at_debug_level() {
    let dir = tempfile::tempdir().unwrap();
    let url = sqlite_url(&dir, "logs.db");
    let password = "Plum-Kettle-7731-unlikely";
    let out = users(
        &url,
        &["add", "loguser", "--password-stdin"],
        Some(&format!("{password}\n")),
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let log_path = dir.path().join("dx0.log");
    let api_key = "sk-logtest-0123456789abcdef";
    let mut child = dx0()
        .args(["serve", "--addr", "127.0.0.1:0", "--database", &url])
        .envs([("RUST_LOG", "debug"), ("DX0_LLM_API_KEY", api_key)])
        .stdout(Stdio::piped())
        .stderr(std::fs::File::create(&log_path).unwrap())
        .spawn()
        .expect("dx0 starts");
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let addr: SocketAddr = line
        .trim()
        .strip_prefix("Dx0 is serving at http://")
        .unwrap_or_else(|| panic!("unexpected first line {line:?}"))
        .parse()
        .unwrap();

    let pair = common::login_pair(addr, "loguser", password).await;
    let mut socket = common::ws::open_with_token(addr, &pair.access, "").await;
    common::ws::ask(&mut socket, "Any fever?").await;
    drop(socket);
    let bearer = format!("Bearer {}", pair.access);
    let listed = common::request(
        addr,
        "GET",
        "/api/v1/encounters",
        &[("Authorization", &bearer)],
        None,
    )
    .await;
    assert_eq!(listed.status, 200, "{}", listed.body);
    let renewed = common::Pair::from_response(&common::api_refresh(addr, &pair.refresh).await);
    let form = format!("username=loguser&password={password}&next=%2F");
    let signed_in = common::request(
        addr,
        "POST",
        "/api/fn/login",
        &[("Content-Type", "application/x-www-form-urlencoded")],
        Some(&form),
    )
    .await;
    let set_cookie = signed_in
        .header("set-cookie")
        .unwrap_or_else(|| panic!("no cookie: {} {}", signed_in.status, signed_in.body))
        .to_string();
    let cookie = set_cookie.split(';').next().unwrap().to_string();
    let cookie_value = cookie.split_once('=').unwrap().1.to_string();
    let page = common::request(addr, "GET", "/encounters", &[("Cookie", &cookie)], None).await;
    assert_eq!(page.status, 200);
    assert!(terminate(&mut child).success());

    let log = std::fs::read_to_string(&log_path).unwrap();
    // The session was logged, in detail: the check below is about what is not there.
    assert!(log.contains("/api/v1/ws"), "no request was logged:\n{log}");
    assert!(log.contains("DEBUG"), "the log is not at DEBUG level");
    for (what, secret) in [
        ("password", password),
        ("access token", pair.access.as_str()),
        ("refresh token", pair.refresh.as_str()),
        ("renewed access token", renewed.access.as_str()),
        ("renewed refresh token", renewed.refresh.as_str()),
        ("session cookie", cookie_value.as_str()),
        ("language-model key", api_key),
    ] {
        assert!(!log.contains(secret), "the {what} is in the log");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_answered_step_survives_kill_9() {
    use common::ws::{exchange, open_with_token};
    use serde_json::json;
    for db in common::databases().await {
        let (mut child, addr) = serve(&db.url);
        let token = common::demo_token(addr).await;
        let mut socket = open_with_token(addr, &token, "&case=rlq-pain-19m&new=1").await;
        let (_, asked) = exchange(&mut socket, json!({"content": "Where is the pain?"})).await;
        let (_, ordered) = exchange(
            &mut socket,
            json!({"action": "test", "content": "Complete blood count"}),
        )
        .await;
        assert_eq!(ordered["type"], "done", "{}: {ordered}", db.name);
        let id = asked["encounter_id"].as_str().unwrap().to_string();
        // SIGKILL: no shutdown, no flush, nothing but what each commit already made durable.
        child.kill().unwrap();
        child.wait().unwrap();

        let (mut child, addr) = serve(&db.url);
        let token = common::demo_token(addr).await;
        let got = common::request(
            addr,
            "GET",
            &format!("/api/v1/encounters/{id}"),
            &[("Authorization", &format!("Bearer {token}"))],
            None,
        )
        .await;
        assert_eq!(got.status, 200, "{}: {}", db.name, got.body);
        let view = got.json();
        assert_eq!(
            view["transcript"].as_array().unwrap().len(),
            2,
            "{}",
            db.name
        );
        assert_eq!(view["total_spent"], ordered["total_spent"], "{}", db.name);
        assert_eq!(view["tests"].as_array().unwrap().len(), 1, "{}", db.name);
        assert!(terminate(&mut child).success());
    }
}

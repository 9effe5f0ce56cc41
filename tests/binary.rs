//! The `dx0` binary as an operator runs it: help, migrate, serve on both backends, signals.
#![cfg(feature = "ssr")]

mod common;

use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

fn dx0() -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_dx0"));
    cmd.env_remove("DATABASE_URL")
        .env_remove("DX0_ADDR")
        .env("RUST_LOG", "warn");
    cmd
}

/// Starts `dx0 serve` on a free port and returns it with the address it printed.
fn serve(database: &str) -> (Child, SocketAddr) {
    let mut child = dx0()
        .args(["serve", "--addr", "127.0.0.1:0", "--database", database])
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

#[tokio::test]
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

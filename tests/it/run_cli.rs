//! `dx0 run` as a researcher uses it, against the fake OpenAI-compatible server: every mode on
//! every bundled case ends with the verdict and cost lines and exit 0, with the language model
//! as panel, gatekeeper and judge; a model that fails ends with a clear message and exit 1;
//! flags that do not fit are refused; SIGTERM ends a run cleanly; the key never shows.

use crate::common;

use common::dx0_command;
use dx0::engine::library::bundled_cases;
use dx0::llm::fake::{FakeLlm, FakeReply};
use std::process::Output;
use std::sync::Arc;
use std::time::Duration;

const KEY: &str = "sk-test-0123456789-secret";

fn run(database: &str, fake: &FakeLlm, args: &[&str]) -> Output {
    dx0_command()
        .arg("run")
        .args(args)
        .args(["--database", database])
        .env("DX0_LLM_BASE_URL", fake.base_url())
        .env("DX0_LLM_API_KEY", KEY)
        .env("DX0_LLM_MAX_RETRIES", "0")
        .env("DX0_LLM_TIMEOUT", "2")
        .output()
        .expect("dx0 run")
}

fn text(output: &Output) -> (String, String) {
    (
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn every_mode_on_every_bundled_case_ends_with_a_verdict_and_the_cost() {
    let cases = Arc::new(bundled_cases().expect("cases"));
    let for_script = cases.clone();
    let fake =
        Arc::new(FakeLlm::start(move |request| common::panel::clinic(&for_script, request)).await);
    let db = common::sqlite_db();
    // The database exists before the parallel runs share it.
    assert!(dx0_command()
        .args(["migrate", "--database", &db.url])
        .status()
        .unwrap()
        .success());
    let modes = [
        "instant",
        "question-only",
        "budgeted",
        "unconstrained",
        "ensemble",
    ];
    let jobs: Vec<(String, &str)> = cases
        .iter()
        .filter(|c| c.diagnosis.is_some())
        .flat_map(|c| modes.iter().map(move |m| (c.id.clone(), *m)))
        .collect();
    let jobs = Arc::new(std::sync::Mutex::new(jobs));
    let mut workers = Vec::new();
    for _ in 0..4 {
        let (jobs, fake, url) = (jobs.clone(), fake.clone(), db.url.clone());
        workers.push(tokio::task::spawn_blocking(move || {
            let mut done = 0;
            loop {
                let Some((case, mode)) = jobs.lock().unwrap().pop() else {
                    return done;
                };
                let mut args = vec![case.as_str(), "--mode", mode];
                if mode == "budgeted" {
                    args.extend(["--budget", "1000"]);
                }
                let output = run(&url, &fake, &args);
                let (stdout, stderr) = text(&output);
                assert!(output.status.success(), "{case} {mode}: {stdout}\n{stderr}");
                let lines: Vec<&str> = stdout.trim_end().lines().collect();
                let n = lines.len();
                assert_eq!(
                    lines[n - 2],
                    "Verdict: correct (score 5/5)",
                    "{case} {mode}: {stdout}"
                );
                assert!(lines[n - 1].starts_with("Total cost: $"), "{stdout}");
                assert!(
                    stdout.contains(&format!("\nDiagnosed by: AI panel (llm, {mode}, ")),
                    "{stdout}"
                );
                assert!(stdout.contains("Dr. Hypothesis: ") && stdout.contains("Decision: "));
                assert!(
                    stdout.contains("\nJudged by: the offline judge\n"),
                    "{stdout}"
                );
                assert!(!stdout.contains(KEY) && !stderr.contains(KEY));
                match mode {
                    "instant" => assert_eq!(lines[n - 1], "Total cost: $0.00"),
                    "question-only" => assert!(!stdout.contains("\nTests: ")),
                    "ensemble" => {
                        assert!(stdout.contains("── Ensemble vote ──"));
                        assert!(
                            stdout.contains("[panel 2] Diagnosis") || stdout.contains("(panel 2)")
                        );
                    }
                    _ => {
                        assert!(stdout
                            .contains("\nTests: Complete blood count with differential (+$7.77)"))
                    }
                }
                done += 1;
            }
        }));
    }
    let mut total = 0;
    for worker in workers {
        total += worker.await.expect("a worker");
    }
    assert_eq!(
        total,
        cases.iter().filter(|c| c.diagnosis.is_some()).count() * 5
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_failing_model_ends_with_a_clear_message_and_exit_1() {
    let case = bundled_cases().unwrap().remove(0);
    let db = common::sqlite_db();
    for failure in [
        FakeReply::Status {
            status: 500,
            retry_after: None,
        },
        FakeReply::Status {
            status: 429,
            retry_after: Some(0),
        },
        FakeReply::Hang,
    ] {
        let hangs = failure == FakeReply::Hang;
        let fake = FakeLlm::start(move |_| failure.clone()).await;
        let output = tokio::task::block_in_place(|| run(&db.url, &fake, &[&case.id]));
        let (stdout, stderr) = text(&output);
        assert_eq!(output.status.code(), Some(1), "{stdout}\n{stderr}");
        assert!(stderr.contains("error: The panel could not deliberate on turn 1: no member of the panel could be reached"), "{stderr}");
        assert!(
            stdout.trim_end().ends_with("Total cost so far: $0.00"),
            "{stdout}"
        );
        assert!(!stdout.contains(KEY) && !stderr.contains(KEY), "{stderr}");
        if hangs {
            // A hang says it timed out, after how long, and which setting to change.
            assert!(
                stderr.contains("did not answer within the timeout of 2 s (DX0_LLM_TIMEOUT"),
                "{stderr}"
            );
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn flags_that_do_not_fit_are_refused() {
    let case = bundled_cases().unwrap().remove(0);
    let fake = FakeLlm::start(|_| FakeReply::Text("x".into())).await;
    let db = common::sqlite_db();
    let refused = |args: &[&str], expected: &str| {
        let output = tokio::task::block_in_place(|| run(&db.url, &fake, args));
        let (_, stderr) = text(&output);
        assert!(!output.status.success());
        assert!(stderr.contains(expected), "{args:?}: {stderr}");
    };
    refused(
        &[&case.id, "--mode", "budgeted"],
        "the budgeted mode needs a budget",
    );
    refused(
        &[&case.id, "--mode", "instant", "--budget", "100"],
        "--budget applies to the budgeted and ensemble modes",
    );
    refused(&["no-such-case"], "no case \"no-such-case\"");
    refused(&[&case.id, "--mode", "fast"], "invalid value 'fast'");
    refused(&[&case.id, "--budget", "lots"], "is not a dollar amount");
    // Without a model there is no LLM panel to run.
    let output = tokio::task::block_in_place(|| {
        dx0_command()
            .args(["run", &case.id, "--engine", "llm", "--database", &db.url])
            .output()
            .unwrap()
    });
    assert_eq!(output.status.code(), Some(1));
    assert!(text(&output)
        .1
        .contains("--engine llm needs a language model"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sigterm_ends_a_run_cleanly() {
    let case = bundled_cases().unwrap().remove(0);
    let fake = FakeLlm::start(|_| FakeReply::Hang).await;
    let db = common::sqlite_db();
    let child = dx0_command()
        .args(["run", &case.id, "--database", &db.url])
        .env("DX0_LLM_BASE_URL", fake.base_url())
        .env("DX0_LLM_TIMEOUT", "600")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    // Wait until the panel is deliberating (its requests reach the fake).
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    while fake.requests().len() < 3 {
        assert!(
            std::time::Instant::now() < deadline,
            "the run never asked the model"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let status = std::process::Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let output = tokio::task::block_in_place(|| child.wait_with_output().unwrap());
    let (stdout, stderr) = text(&output);
    assert_eq!(output.status.code(), Some(0), "{stdout}\n{stderr}");
    assert!(
        stdout.trim_end().ends_with("Interrupted before a verdict."),
        "{stdout}"
    );
}

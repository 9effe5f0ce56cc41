//! The encounter with more than one writer, on SQLite and PostgreSQL: two sockets racing on one
//! encounter never lose or double-charge a turn (the loser of a race gets `conflict`), and
//! `dx0 cases import` run beside a live server makes the case usable at once.

use crate::common;

use common::ws::{exchange, next_json, reply_text, send_text, ws_open, Socket};
use common::{databases, login_pair, request, spawn_app, spawn_app_with, TestOptions};
use dx0::auth::AuthPolicy;
use serde_json::{json, Value};
use std::collections::HashMap;
use std::process::Command;

fn cents(v: &Value) -> i64 {
    (v.as_f64().unwrap_or_else(|| panic!("not a number: {v}")) * 100.0).round() as i64
}

/// Sends every frame at once, then reads until each has its done or error frame.
async fn pipeline(socket: &mut Socket, frames: &[Value]) -> HashMap<i64, Value> {
    for frame in frames {
        send_text(socket, &frame.to_string()).await;
    }
    let mut answers = HashMap::new();
    while answers.len() < frames.len() {
        let frame = next_json(socket).await;
        match frame["type"].as_str() {
            Some("reply") => continue,
            Some("done") | Some("error") => {
                let id = frame["id"]
                    .as_i64()
                    .unwrap_or_else(|| panic!("no id: {frame}"));
                assert!(answers.insert(id, frame).is_none(), "two answers for {id}");
            }
            _ => panic!("unexpected frame {frame}"),
        }
    }
    answers
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn racing_sockets_on_one_encounter_lose_and_double_charge_nothing() {
    for db in databases().await {
        let app = spawn_app_with(
            &db,
            TestOptions {
                policy: AuthPolicy {
                    message_rate_limit: 1_000,
                    ..AuthPolicy::default()
                },
                ..TestOptions::default()
            },
        )
        .await;
        // One physician in two tabs: two login sessions, one encounter.
        let tab_a = login_pair(app.addr, "physician", "secret").await.access;
        let tab_b = login_pair(app.addr, "physician", "secret").await.access;
        let mut a = ws_open(app.addr, &format!("?token={tab_a}&new=1"), &[])
            .await
            .unwrap();
        send_text(&mut a, r#"{"action":"test","content":"CBC","id":0}"#).await;
        let first = loop {
            let frame = next_json(&mut a).await;
            if frame["type"] == "done" {
                break frame;
            }
        };
        let encounter = first["encounter_id"].as_str().unwrap().to_string();
        let mut b = ws_open(
            app.addr,
            &format!("?token={tab_b}&encounter={encounter}"),
            &[],
        )
        .await
        .unwrap();

        const ROUNDS: i64 = 40;
        let orders = |base: i64| -> Vec<Value> {
            (0..ROUNDS)
                .map(|i| {
                    let content = if i % 2 == 0 {
                        "CBC"
                    } else {
                        "basic metabolic panel"
                    };
                    json!({"action": "test", "content": content, "id": base + i})
                })
                .collect()
        };
        let (orders_a, orders_b) = (orders(1_000), orders(2_000));
        let (from_a, from_b) =
            tokio::join!(pipeline(&mut a, &orders_a), pipeline(&mut b, &orders_b));

        let mut charged = cents(&first["cost"]);
        let mut done = 1;
        let mut conflicts = 0;
        for frame in from_a.values().chain(from_b.values()) {
            match frame["type"].as_str() {
                Some("done") => {
                    done += 1;
                    charged += cents(&frame["cost"]);
                    assert_eq!(frame["encounter_id"], encounter.as_str());
                }
                _ => {
                    assert_eq!(frame["code"], "conflict", "{}: {frame}", db.name);
                    conflicts += 1;
                }
            }
        }
        eprintln!(
            "{}: {done} turns saved, {conflicts} conflicts out of {}",
            db.name,
            2 * ROUNDS
        );
        // Eighty pipelined orders on two sockets always collide somewhere (about a third do).
        assert!(conflicts > 0, "{}: the race never happened", db.name);

        // Both sockets are still open and agree with the stored encounter.
        send_text(&mut b, r#"{"action":"test","content":"CBC","id":9}"#).await;
        let last = loop {
            let frame = next_json(&mut b).await;
            if frame["type"] != "reply" {
                break frame;
            }
        };
        assert_eq!(last["type"], "done", "{last}");
        charged += cents(&last["cost"]);
        done += 1;
        assert_eq!(cents(&last["total_spent"]), charged, "{}", db.name);

        let stored = request(
            app.addr,
            "GET",
            &format!("/api/v1/encounters/{encounter}"),
            &[("Authorization", &format!("Bearer {tab_a}"))],
            None,
        )
        .await
        .json();
        let tests = stored["tests"].as_array().unwrap();
        assert_eq!(
            tests.len(),
            done,
            "{}: one stored order per done frame",
            db.name
        );
        let stored_cost: i64 = tests.iter().map(|t| cents(&t["price"])).sum();
        assert_eq!(stored_cost, charged, "{}: {stored}", db.name);
        send_text(&mut a, r#"{"action":"ping"}"#).await;
        assert_eq!(next_json(&mut a).await["type"], "pong");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_case_imported_beside_a_running_server_is_usable_at_once() {
    for db in databases().await {
        let app = spawn_app(&db).await;
        let token = login_pair(app.addr, "physician", "secret").await.access;
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("cases.json");
        std::fs::write(
            &file,
            json!([{
                "id": "imported-cough",
                "summary": "A 40-year-old man with two weeks of cough.",
                "full_text": "He has had a dry cough for two weeks. He has no fever. \
                              He works in a grain mill. Chest examination is normal.",
                "diagnosis": "Hypersensitivity pneumonitis",
            }])
            .to_string(),
        )
        .unwrap();
        let output = Command::new(env!("CARGO_BIN_EXE_dx0"))
            .args([
                "cases",
                "import",
                file.to_str().unwrap(),
                "--database",
                &db.url,
            ])
            .env("RUST_LOG", "warn")
            .output()
            .unwrap();
        assert!(output.status.success(), "{}: {output:?}", db.name);

        let listed = request(app.addr, "GET", "/api/v1/cases", &[], None)
            .await
            .json();
        assert!(
            listed["cases"]
                .as_array()
                .unwrap()
                .iter()
                .any(|c| c["id"] == "imported-cough"),
            "{}: {listed}",
            db.name
        );
        let mut socket = ws_open(
            app.addr,
            &format!("?token={token}&case=imported-cough"),
            &[],
        )
        .await
        .unwrap();
        let (chunks, done) = exchange(
            &mut socket,
            json!({"content": "What is your occupation?", "id": 1}),
        )
        .await;
        let reply = reply_text(&chunks, &done);
        assert_eq!(done["type"], "done", "{}: {done}", db.name);
        assert!(reply.contains("grain mill"), "{}: {reply}", db.name);
    }
}

/// Each instance keeps the encounter it saved last in memory; a step on such a copy after the
/// other instance moved the encounter on is worked again on the stored encounter, so nothing the
/// other wrote is lost, nothing is refused and the visit is charged once.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_step_on_a_copy_another_instance_moved_past_is_worked_on_the_stored_encounter() {
    for db in databases().await {
        let (one, two) = (spawn_app(&db).await, spawn_app(&db).await);
        let token = login_pair(one.addr, "physician", "secret").await.access;
        let mut at_one = ws_open(one.addr, &format!("?token={token}&new=1"), &[])
            .await
            .unwrap();
        let ask =
            |content: &str, id: i64| json!({"action": "question", "content": content, "id": id});
        let (_, first) = exchange(&mut at_one, ask("Where is the pain?", 1)).await;
        assert_eq!(first["type"], "done", "{}: {first}", db.name);
        let encounter = first["encounter_id"].as_str().unwrap().to_string();

        let mut at_two = ws_open(
            two.addr,
            &format!("?token={token}&encounter={encounter}"),
            &[],
        )
        .await
        .unwrap();
        let (_, second) = exchange(&mut at_two, ask("Any fever?", 2)).await;
        assert_eq!(second["type"], "done", "{}: {second}", db.name);

        // Instance one's copy is a step behind the database now.
        let (_, third) = exchange(&mut at_one, ask("Any vomiting?", 3)).await;
        assert_eq!(third["type"], "done", "{}: {third}", db.name);
        assert_eq!(third["applied"]["step"]["content"], "Any vomiting?");

        let stored = request(
            two.addr,
            "GET",
            &format!("/api/v1/encounters/{encounter}"),
            &[("Authorization", &format!("Bearer {token}"))],
            None,
        )
        .await
        .json();
        let asked: Vec<&str> = stored["transcript"]
            .as_array()
            .unwrap_or_else(|| panic!("{}: {stored}", db.name))
            .iter()
            .map(|t| t["content"].as_str().unwrap())
            .collect();
        assert_eq!(
            asked,
            ["Where is the pain?", "Any fever?", "Any vomiting?"],
            "{}",
            db.name
        );
        assert_eq!(
            cents(&third["total_spent"]),
            30_000,
            "{}: one visit",
            db.name
        );
        assert_eq!(
            cents(&stored["total_spent"]),
            30_000,
            "{}: {stored}",
            db.name
        );
    }
}

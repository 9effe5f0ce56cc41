//! Encounter exports and the admin-only FHIR endpoints over HTTP, on SQLite and PostgreSQL.

use crate::common;

use common::ws::{next_json, send_text, ws_open};
use common::{databases, demo_token, login_pair, request, spawn_app};
use serde_json::json;

async fn worked_encounter(addr: std::net::SocketAddr, token: &str) -> String {
    let mut socket = ws_open(addr, &format!("?token={token}&new=1"), &[])
        .await
        .unwrap();
    let mut id = String::new();
    for frame in [
        json!({"content": "Where does it hurt?"}),
        json!({"action": "test", "content": "CBC"}),
        json!({"action": "diagnosis", "content": "Acute appendicitis"}),
    ] {
        send_text(&mut socket, &frame.to_string()).await;
        loop {
            let next = next_json(&mut socket).await;
            if next["type"] == "done" {
                id = next["encounter_id"].as_str().unwrap().to_string();
                break;
            }
            assert_eq!(next["type"], "reply", "{next}");
        }
    }
    id
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn own_encounters_export_as_markdown_json_and_fhir() {
    for db in databases().await {
        let app = spawn_app(&db).await;
        let token = demo_token(app.addr).await;
        let id = worked_encounter(app.addr, &token).await;
        let auth = format!("Bearer {token}");
        let get = |format: &str| {
            let path = format!("/api/v1/encounters/{id}/export?format={format}");
            let auth = auth.clone();
            async move { request(app.addr, "GET", &path, &[("Authorization", &auth)], None).await }
        };
        let md = get("markdown").await;
        assert_eq!(md.status, 200, "{}", db.name);
        assert!(md
            .header("content-type")
            .unwrap()
            .starts_with("text/markdown"));
        assert!(
            md.body.contains("## Transcript") && md.body.contains("## Verdict"),
            "{}",
            md.body
        );
        assert!(md.body.contains("85025"));
        let js = get("json").await;
        assert_eq!(js.status, 200);
        let body = js.json();
        assert_eq!(body["verdict"]["score"], 5);
        assert_eq!(body["transcript"].as_array().unwrap().len(), 3);
        let fhir = get("fhir").await;
        assert_eq!(fhir.status, 200);
        let bundle = fhir.json();
        assert_eq!(bundle["resourceType"], "Bundle");
        assert_eq!(bundle["type"], "collection");
        let kinds: Vec<&str> = bundle["entry"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["resource"]["resourceType"].as_str().unwrap())
            .collect();
        assert_eq!(kinds.iter().filter(|k| **k == "Communication").count(), 6);
        assert_eq!(kinds.iter().filter(|k| **k == "ServiceRequest").count(), 1);
        assert_eq!(get("pdf").await.status, 400);
        let anonymous = request(
            app.addr,
            "GET",
            &format!("/api/v1/encounters/{id}/export"),
            &[],
            None,
        )
        .await;
        assert_eq!(anonymous.status, 401);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn fhir_endpoints_are_for_admins_only() {
    for db in databases().await {
        let app = spawn_app(&db).await;
        let physician = demo_token(app.addr).await;
        common::add_user(&app, "root", "admin password", dx0::protocol::Group::Admin).await;
        let admin = login_pair(app.addr, "root", "admin password").await.access;
        let post = |token: String, path: &'static str, body: String| async move {
            let auth = format!("Bearer {token}");
            request(
                app.addr,
                "POST",
                path,
                &[
                    ("Authorization", &auth),
                    ("Content-Type", "application/json"),
                ],
                Some(&body),
            )
            .await
        };
        let transcript = json!({"transcript": [["physician", "Any fever?"], ["patient", "No."]], "patient_id": "p7"}).to_string();
        assert_eq!(
            post(
                physician.clone(),
                "/api/v1/fhir/transcript",
                transcript.clone()
            )
            .await
            .status,
            403,
            "{}",
            db.name
        );
        let ok = post(admin.clone(), "/api/v1/fhir/transcript", transcript).await;
        assert_eq!(ok.status, 200);
        let bundle = ok.json();
        assert_eq!(
            bundle["entry"][0]["resource"]["resourceType"],
            "Communication"
        );
        assert_eq!(
            bundle["entry"][0]["resource"]["subject"]["reference"],
            "Patient/p7"
        );
        let tests = post(
            admin.clone(),
            "/api/v1/fhir/tests",
            json!({"tests": ["CBC", "ECG"]}).to_string(),
        )
        .await;
        assert_eq!(tests.status, 200);
        assert_eq!(
            tests.json()["entry"][1]["resource"]["code"]["coding"][0]["code"],
            "93000"
        );
        assert_eq!(
            post(admin.clone(), "/api/v1/fhir/tests", "[1,2]".into())
                .await
                .status,
            422
        );
        assert_eq!(
            post(
                admin.clone(),
                "/api/v1/fhir/transcript",
                json!({"transcript": [["only one"]]}).to_string()
            )
            .await
            .status,
            422
        );
        // A body of many tiny entries is refused, not turned into an answer 25 times its size.
        let tiny: Vec<[&str; 2]> = vec![["a", "b"]; 100_000];
        let amplified = post(
            admin.clone(),
            "/api/v1/fhir/transcript",
            json!({ "transcript": tiny }).to_string(),
        )
        .await;
        assert_eq!(amplified.status, 413, "{}", db.name);
        assert!(amplified.body.len() < 1_000);
        let names = vec!["CBC"; 50_000];
        let many = post(
            admin,
            "/api/v1/fhir/tests",
            json!({ "tests": names }).to_string(),
        )
        .await;
        assert_eq!(many.status, 413);
        let anonymous = request(
            app.addr,
            "POST",
            "/api/v1/fhir/tests",
            &[("Content-Type", "application/json")],
            Some("{}"),
        )
        .await;
        assert_eq!(anonymous.status, 401);
    }
}

//! The case and encounter storage on both backends: bundled cases, imports, and the version
//! check that makes a concurrent writer lose with `conflict`.

use crate::common;

use common::databases;
use dx0::store::{self, CaseRecord, EncounterRecord};

fn record(id: &str, source: &str) -> CaseRecord {
    CaseRecord {
        id: id.into(),
        title: format!("Title {id}"),
        specialty: "Imported".into(),
        difficulty: "unrated".into(),
        summary: "s".into(),
        is_default: false,
        source: source.into(),
        body: format!(r#"{{"id":"{id}","title":"t","summary":"s","full_text":"x"}}"#),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn imports_are_all_or_nothing_and_versions_decide_concurrent_writes() {
    for db in databases().await {
        let store = store::open(&db.url).await.unwrap();
        let n = dx0::clinic::install_bundled_cases(store.as_ref(), 1)
            .await
            .unwrap();
        // Installing again changes nothing.
        assert_eq!(
            dx0::clinic::install_bundled_cases(store.as_ref(), 2)
                .await
                .unwrap(),
            n
        );
        assert_eq!(store.list_cases().await.unwrap().len(), n, "{}", db.name);
        let default = store.default_case_id().await.unwrap().unwrap();
        assert_eq!(default, "rlq-pain-19m");

        assert_eq!(
            store
                .import_cases(&[record("a", "imported")], false, 3)
                .await
                .unwrap(),
            Ok(1)
        );
        // A batch with one clash writes nothing and names the clashes.
        let refused = store
            .import_cases(
                &[
                    record("b", "imported"),
                    record("a", "imported"),
                    record(&default, "imported"),
                ],
                false,
                4,
            )
            .await
            .unwrap()
            .unwrap_err();
        assert_eq!(refused.len(), 2, "{refused:?}");
        assert!(
            store.case("b").await.unwrap().is_none(),
            "{}: nothing written",
            db.name
        );
        assert_eq!(
            store
                .import_cases(&[record("a", "imported")], true, 5)
                .await
                .unwrap(),
            Ok(1)
        );

        let hash = dx0::auth::password::hash_password("pw-pw-pw-pw".into())
            .await
            .unwrap();
        let user = store
            .add_user("u", &hash, dx0::protocol::Group::Physician, 0)
            .await
            .unwrap()
            .unwrap();
        let encounter = EncounterRecord {
            id: "e1".into(),
            user_id: user.id,
            session_id: Some("s1".into()),
            case_id: default.clone(),
            status: "open".into(),
            spent_cents: 0,
            budget_cents: Some(10_000),
            state: "{}".into(),
            version: 1,
            created_at: 10,
            updated_at: 10,
        };
        store.create_encounter(&encounter).await.unwrap();
        assert!(store
            .save_encounter("e1", 1, "open", 30_000, "{\"a\":1}", 11)
            .await
            .unwrap());
        // A second writer that read version 1 too loses.
        assert!(
            !store
                .save_encounter("e1", 1, "open", 99, "{\"b\":2}", 12)
                .await
                .unwrap(),
            "{}",
            db.name
        );
        let stored = store.encounter("e1").await.unwrap().unwrap();
        assert_eq!(
            (stored.version, stored.spent_cents, stored.state.as_str()),
            (2, 30_000, "{\"a\":1}")
        );
        let latest = store
            .latest_open_encounter(user.id, "s1", &default)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(latest.id, "e1");
        assert_eq!(
            store.open_encounters_of(user.id).await.unwrap(),
            vec![(default.clone(), "e1".to_string())]
        );
        assert!(store
            .save_encounter("e1", 2, "closed", 30_000, "{}", 13)
            .await
            .unwrap());
        assert!(store
            .latest_open_encounter(user.id, "s1", &default)
            .await
            .unwrap()
            .is_none());
        assert_eq!(store.encounters_of(user.id).await.unwrap().len(), 1);
        assert!(store.open_encounters_of(user.id).await.unwrap().is_empty());
    }
}

/// The encounter service keeps a case it read for two seconds (by its clock), so a case
/// replaced by `dx0 cases import --replace` beside a running server is worked within that long.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_case_replaced_beside_the_service_is_worked_within_two_seconds() {
    use dx0::auth::ManualClock;
    use std::sync::Arc;
    for db in databases().await {
        let store = store::open(&db.url).await.unwrap();
        dx0::clinic::install_bundled_cases(store.as_ref(), 1)
            .await
            .unwrap();
        let bundled = store.case("rlq-pain-19m").await.unwrap().unwrap();
        let mut body: serde_json::Value = serde_json::from_str(&bundled.body).unwrap();
        body["id"] = "copy".into();
        let mut copy = CaseRecord {
            id: "copy".into(),
            is_default: false,
            source: "import".into(),
            body: body.to_string(),
            ..bundled
        };
        assert_eq!(
            store.import_cases(&[copy.clone()], false, 2).await.unwrap(),
            Ok(1)
        );
        let clock = ManualClock::new(1_000_000);
        let encounters = dx0::clinic::Encounters::new(
            store.clone(),
            dx0::clinic::Clinic::offline(dx0::protocol::Money(30_000), None, None),
            Arc::new(clock.clone()),
        );
        let first = encounters.case("copy").await.unwrap().unwrap();

        body["title"] = "Replaced while the server ran".into();
        copy.body = body.to_string();
        assert_eq!(store.import_cases(&[copy], true, 3).await.unwrap(), Ok(1));
        clock.advance_ms(1_999);
        let kept = encounters.case("copy").await.unwrap().unwrap();
        assert_eq!(kept.title, first.title, "{}: read within 2 s", db.name);
        clock.advance_ms(1);
        let fresh = encounters.case("copy").await.unwrap().unwrap();
        assert_eq!(fresh.title, "Replaced while the server ran", "{}", db.name);
    }
}

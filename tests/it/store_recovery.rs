//! A failed write leaves the store usable, on both backends: a transaction the database ended by
//! itself (SQLite rolls a whole transaction back when a write fails on a full disk; PostgreSQL
//! ends one whose `COMMIT` fails) is not carried on by a pooled connection, so no lock outlives it.

use crate::common;

use common::{databases, TestDb};
use dx0::protocol::Group;
use dx0::store::{self, CaseRecord, RefreshUse};
use std::time::Duration;

/// Makes the database end, by itself, any transaction that writes the case `doomed`: SQLite at
/// once, as on a full disk; PostgreSQL at its `COMMIT`, on a deferred foreign key.
async fn doom(db: &TestDb) {
    let statements: &[&str] = if db.name == "sqlite" {
        &[
            "CREATE TRIGGER doom BEFORE INSERT ON cases WHEN NEW.id = 'doomed' \
           BEGIN SELECT RAISE(ROLLBACK, 'doomed'); END",
        ]
    } else {
        &[
            "CREATE TABLE nowhere (id INTEGER PRIMARY KEY)",
            "CREATE TABLE orphans \
             (parent INTEGER REFERENCES nowhere (id) DEFERRABLE INITIALLY DEFERRED)",
            "CREATE FUNCTION orphan() RETURNS trigger LANGUAGE plpgsql AS \
             $$ BEGIN INSERT INTO orphans VALUES (1); RETURN NEW; END $$",
            "CREATE TRIGGER doom AFTER INSERT ON cases FOR EACH ROW \
             WHEN (NEW.id = 'doomed') EXECUTE FUNCTION orphan()",
        ]
    };
    if db.name == "sqlite" {
        let pool = sqlx::SqlitePool::connect(&db.url).await.unwrap();
        for sql in statements {
            sqlx::query(sql).execute(&pool).await.unwrap();
        }
        pool.close().await;
    } else {
        let pool = sqlx::PgPool::connect(&db.url).await.unwrap();
        for sql in statements {
            sqlx::query(sql).execute(&pool).await.unwrap();
        }
        pool.close().await;
    }
}

fn doomed_case() -> CaseRecord {
    CaseRecord {
        id: "doomed".into(),
        title: "Doomed".into(),
        specialty: "Imported".into(),
        difficulty: "unrated".into(),
        summary: "s".into(),
        is_default: false,
        source: "imported".into(),
        body: r#"{"id":"doomed","title":"t","summary":"s","full_text":"x"}"#.into(),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_transaction_the_database_ended_leaves_no_lock_behind() {
    for db in databases().await {
        let store = store::open(&db.url).await.unwrap();
        doom(&db).await;
        // A second instance on the same database: its writes go through connections of its own.
        let other = store::open(&db.url).await.unwrap();
        for round in 0..4 {
            let failed = store.import_cases(&[doomed_case()], false, 1).await;
            assert!(failed.is_err(), "{}: {failed:?}", db.name);
            // A transaction that writes and ends without a commit: an unknown refresh token.
            let used = store
                .rotate_refresh_token("unknown", "next", 1)
                .await
                .unwrap();
            assert!(matches!(used, RefreshUse::Invalid), "{used:?}");
            let name = format!("user{round}");
            let added = tokio::time::timeout(
                Duration::from_secs(3),
                other.add_user(&name, "hash", Group::Physician, 1),
            )
            .await;
            assert!(
                matches!(added, Ok(Ok(Some(_)))),
                "{} round {round}: a write elsewhere: {added:?}",
                db.name
            );
            let own = tokio::time::timeout(
                Duration::from_secs(3),
                store.add_user(&format!("own{round}"), "hash", Group::Physician, 1),
            )
            .await;
            assert!(
                matches!(own, Ok(Ok(Some(_)))),
                "{} round {round}: a write here: {own:?}",
                db.name
            );
        }
        store.close().await;
        other.close().await;
        // What was written is there for a fresh instance, and nothing of the doomed case.
        let fresh = store::open(&db.url).await.unwrap();
        assert_eq!(fresh.count_users().await.unwrap(), 8, "{}", db.name);
        assert!(fresh.case("doomed").await.unwrap().is_none());
        fresh.close().await;
    }
}

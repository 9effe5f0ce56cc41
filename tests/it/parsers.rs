//! Every parser that takes outside input, fed 10,000 generated inputs each (proptest): client
//! frames, the case importers (JSON documents and case folders), test-name resolution, the
//! report reader and the language model's answers (consensus, judgement, test mapping). None
//! may panic; a refusal says what is wrong; no input takes long (the ceiling is generous: it
//! catches a runaway, it measures nothing).

use dx0::engine::judge::llm::parse_judgement;
use dx0::engine::panel::offline::{read, Knowledge};
use dx0::engine::panel::parse_consensus;
use dx0::engine::prices::estimate::parse_mapping;
use dx0::engine::prices::Lookup;
use dx0::engine::{import, PriceTable};
use dx0::protocol::parse_client_frame;
use proptest::prelude::*;
use serde_json::{json, Value};
use std::sync::LazyLock;
use std::time::{Duration, Instant};

const CASES: u32 = 10_000;
/// Far above any input's cost in a debug build; only a runaway reaches it.
const CEILING: Duration = Duration::from_secs(2);

static PRICES: LazyLock<PriceTable> = LazyLock::new(PriceTable::bundled);
static KNOWLEDGE: LazyLock<Knowledge> =
    LazyLock::new(|| Knowledge::bundled(&PRICES).expect("the bundled knowledge base"));

/// 10,000 cases, nothing written to disk, and the XorShift generator (ChaCha, the default,
/// spends most of a debug build's time making the inputs).
fn config() -> ProptestConfig {
    ProptestConfig {
        cases: CASES,
        failure_persistence: None,
        rng_algorithm: proptest::test_runner::RngAlgorithm::XorShift,
        ..ProptestConfig::default()
    }
}

/// Runs `f` and checks it did not run away.
fn timed<T>(what: &str, f: impl FnOnce() -> T) -> T {
    let start = Instant::now();
    let out = f();
    assert!(
        start.elapsed() < CEILING,
        "{what} took {:?}",
        start.elapsed()
    );
    out
}

/// Text of every kind: any characters, clinical words, numbers and JSON punctuation mixed.
fn text(max: usize) -> impl Strategy<Value = String> {
    prop_oneof![
        proptest::collection::vec(any::<char>(), 0..max).prop_map(|c| c.into_iter().collect()),
        proptest::collection::vec(
            prop_oneof![
                Just("CBC".to_string()),
                Just("troponin".to_string()),
                Just(", ".to_string()),
                Just("; ".to_string()),
                Just("\n".to_string()),
                Just("{\"".to_string()),
                Just("\":".to_string()),
                Just("}".to_string()),
                Just("[".to_string()),
                Just("]".to_string()),
                Just("score".to_string()),
                Just("5".to_string()),
                Just("-1".to_string()),
                Just("1e999".to_string()),
                Just("mg/dL".to_string()),
                Just("(ref 0–5)".to_string()),
                Just("positive".to_string()),
                Just("négatif".to_string()),
                Just("\u{0}".to_string()),
                Just("😀".to_string()),
                "[a-z]{1,12}",
                "[0-9.,]{1,8}",
            ],
            0..(max / 4).max(1),
        )
        .prop_map(|parts| parts.concat()),
    ]
}

/// Any JSON value, a few levels deep.
fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(|n| json!(n)),
        any::<f64>()
            .prop_filter("finite", |f| f.is_finite())
            .prop_map(|f| json!(f)),
        text(40).prop_map(Value::String),
    ];
    leaf.prop_recursive(4, 64, 8, |inner| {
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            proptest::collection::btree_map(
                prop_oneof![
                    Just("id".to_string()),
                    Just("title".to_string()),
                    Just("summary".to_string()),
                    Just("full_text".to_string()),
                    Just("diagnosis".to_string()),
                    Just("history".to_string()),
                    Just("exam".to_string()),
                    Just("tests".to_string()),
                    Just("action".to_string()),
                    Just("content".to_string()),
                    Just("score".to_string()),
                    Just("rationale".to_string()),
                    Just("tests_to_order".to_string()),
                    Just("differential".to_string()),
                    "[a-z_]{1,10}",
                ],
                inner,
                0..6,
            )
            .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn client_frames(raw in text(400), value in json_value(), action in "[a-z_]{0,10}", content in text(200)) {
        for input in [
            raw,
            value.to_string(),
            json!({ "action": action, "content": content, "id": value }).to_string(),
        ] {
            if let Err(err) = timed("a frame", || parse_client_frame(&input)) {
                prop_assert!(!err.message.trim().is_empty(), "{input:?}");
            }
        }
    }

    #[test]
    fn case_documents(raw in text(400), value in json_value()) {
        for input in [raw, value.to_string(), json!([value]).to_string()] {
            match timed("an import", || import::from_json("fuzz.json", &input)) {
                Ok(cases) => {
                    for case in cases {
                        prop_assert!(case.problems().is_empty(), "{input:?}");
                    }
                }
                Err(problems) => {
                    prop_assert!(!problems.is_empty());
                    prop_assert!(problems.iter().all(|p| p.starts_with("fuzz.json")), "{problems:?}");
                }
            }
        }
    }

    // Names as long as test names are (longer ones are not compared at all; see the price
    // table's own tests), orders of any length.
    #[test]
    fn test_names_and_orders(name in text(60), order in text(400)) {
        match timed("a lookup", || PRICES.lookup(&name)) {
            Lookup::Found(test) => prop_assert!(!test.name.is_empty()),
            Lookup::Unknown(suggestions) => prop_assert!(suggestions.len() <= 5),
        }
        let parts = timed("an order", || PRICES.split_order(&order));
        prop_assert!(parts.iter().all(|p| !p.trim().is_empty()));
    }

    #[test]
    fn test_reports(report in text(300), which in any::<prop::sample::Index>()) {
        let finding = which.get(&KNOWLEDGE.findings);
        let _ = timed("a report", || read(finding, &report));
    }

    #[test]
    fn language_model_answers(raw in text(400), value in json_value()) {
        for input in [raw, value.to_string(), format!("```json\n{value}\n```")] {
            if let Err(why) = timed("a consensus", || parse_consensus(&input)) {
                prop_assert!(!why.trim().is_empty(), "{input:?}");
            }
            if let Some(judgement) = timed("a judgement", || parse_judgement(&input)) {
                prop_assert!((1..=5).contains(&judgement.score), "{input:?}");
            }
            let _ = timed("a mapping", || parse_mapping(&input, &PRICES));
        }
    }
}

/// Case folders as `dx0 cases import` reads them: any text in any of their files.
#[test]
fn case_folders() {
    let mut runner = proptest::test_runner::TestRunner::new(config());
    let root = tempfile::tempdir().unwrap();
    let files = (
        text(200),
        text(300),
        proptest::option::of(text(60)),
        proptest::option::of(text(80)),
    );
    let n = std::sync::atomic::AtomicU32::new(0);
    runner
        .run(&files, |(summary, full, diagnosis, synonyms)| {
            let k = n.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            let dir = root.path().join(format!("case-{k}"));
            std::fs::create_dir_all(&dir).unwrap();
            std::fs::write(dir.join("summary.txt"), &summary).unwrap();
            std::fs::write(dir.join("full.txt"), &full).unwrap();
            if let Some(d) = &diagnosis {
                std::fs::write(dir.join("diagnosis.txt"), d).unwrap();
            }
            if let Some(s) = &synonyms {
                std::fs::write(dir.join("synonyms.txt"), s).unwrap();
            }
            let read = timed("a case folder", || import::read_cases(&dir));
            std::fs::remove_dir_all(&dir).unwrap();
            match read {
                Ok(cases) => prop_assert_eq!(cases.len(), 1),
                Err(problems) => prop_assert!(!problems.is_empty()),
            }
            Ok(())
        })
        .unwrap();
}

//! The offline gatekeeper and judge measured on sets written by other authors than the code
//! (`tests/probes/`, see its FORMAT.md): cases that are not the bundled ones, in the native
//! format without keywords and in the original free-text format, with the questions and orders
//! a physician would type; and (given, true, correct?) judge labels. Prints the figures the
//! README states and holds them to the goals.

use dx0::engine::gatekeeper::NOTHING;
use dx0::engine::prices::Lookup;
use dx0::engine::text::{contains_phrase, normalize};
use dx0::engine::{Case, OfflineGatekeeper, OfflineJudge, PriceTable};
use dx0::protocol::ResultSource;
use serde::Deserialize;
use std::collections::BTreeMap;
use std::path::PathBuf;

fn probes_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/probes")
}

fn files(prefix: &str, ext: &str) -> Vec<PathBuf> {
    let mut out: Vec<PathBuf> = std::fs::read_dir(probes_dir())
        .expect("tests/probes")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            let name = p.file_name().unwrap().to_string_lossy().to_string();
            name.starts_with(prefix) && name.ends_with(ext)
        })
        .collect();
    out.sort();
    out
}

#[derive(Deserialize)]
struct ProbeFile {
    cases: Vec<Entry>,
}

#[derive(Deserialize)]
struct Entry {
    format: String,
    case: serde_json::Value,
    #[serde(default)]
    markers: Vec<Marker>,
    #[serde(default)]
    questions: Vec<Question>,
    #[serde(default)]
    orders: Vec<Order>,
}

#[derive(Deserialize)]
struct Marker {
    of: String,
    phrase: String,
}

#[derive(Deserialize)]
struct Question {
    q: String,
    style: String,
    #[serde(default)]
    expect: Vec<String>,
}

#[derive(Deserialize)]
struct Order {
    order: String,
    listed: bool,
    #[serde(default)]
    answers_from: Vec<String>,
    #[serde(default)]
    expect: Vec<String>,
    #[serde(default)]
    expected: Option<String>,
}

/// Case, spacing and punctuation do not matter when a phrase is looked for in an answer; it
/// must stand as whole words.
fn holds(answer: &str, phrase: &str) -> bool {
    contains_phrase(answer, phrase)
}

fn case_of(entry: &Entry) -> Case {
    match entry.format.as_str() {
        "native" => serde_json::from_value(entry.case.clone()).expect("a native probe case"),
        "freetext" => {
            let text = serde_json::to_string(&vec![entry.case.clone()]).unwrap();
            let mut cases = dx0::engine::import::from_json("probe", &text)
                .unwrap_or_else(|p| panic!("a free-text probe case: {p:?}"));
            cases.remove(0)
        }
        other => panic!("unknown probe format {other}"),
    }
}

#[derive(Default)]
struct Tally {
    cases: usize,
    answerable: usize,
    recalled: usize,
    false_nothing: usize,
    shorthand: usize,
    shorthand_recalled: usize,
    absent: usize,
    absent_silent: usize,
    orders: usize,
    unresolved: usize,
    listed: usize,
    listed_found: usize,
    replaced_by_default: usize,
    wrong_test: usize,
    contradicting_normal: usize,
    leaks: usize,
    misses: Vec<String>,
}

fn pct(a: usize, b: usize) -> f64 {
    if b == 0 {
        0.0
    } else {
        100.0 * a as f64 / b as f64
    }
}

fn lookup<'a>(prices: &'a PriceTable, name: &str) -> Option<&'a dx0::engine::prices::PricedTest> {
    match prices.lookup(name) {
        Lookup::Found(t) => Some(t),
        Lookup::Unknown(_) => None,
    }
}

/// Per format: the lowest recall (%), the highest false "no information" rate (%) and the most
/// listed results replaced by a default report, as measured when set (see README).
const FLOORS: &[(&str, f64, f64, usize)] =
    &[("freetext", 77.5, 15.5, 0), ("native", 76.5, 16.5, 0)];

#[test]
fn the_gatekeeper_on_cases_it_was_not_written_for() {
    let prices = PriceTable::bundled();
    let gatekeeper = OfflineGatekeeper;
    let mut tallies: BTreeMap<String, Tally> = BTreeMap::new();
    let paths = files("gatekeeper-", ".json");
    assert!(!paths.is_empty(), "no probe sets in tests/probes");
    for path in &paths {
        let file: ProbeFile = serde_json::from_str(&std::fs::read_to_string(path).unwrap())
            .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        for entry in &file.cases {
            let case = case_of(entry);
            let names = case.diagnosis_names();
            let leaks = |text: &str| names.iter().any(|n| holds(text, n) && n.len() > 2);
            let t = tallies.entry(entry.format.clone()).or_default();
            t.cases += 1;
            for q in &entry.questions {
                let answer = gatekeeper.answer(&case, &q.q);
                if leaks(&answer) {
                    t.leaks += 1;
                    t.misses
                        .push(format!("LEAK {} {:?} -> {answer:?}", case.id, q.q));
                }
                if q.style == "absent" {
                    t.absent += 1;
                    if answer == NOTHING {
                        t.absent_silent += 1;
                    } else {
                        t.misses
                            .push(format!("ABSENT {} {:?} -> {answer:?}", case.id, q.q));
                    }
                    continue;
                }
                t.answerable += 1;
                let ok = q.expect.iter().all(|p| holds(&answer, p));
                if q.style == "shorthand" {
                    t.shorthand += 1;
                    t.shorthand_recalled += usize::from(ok);
                }
                if ok {
                    t.recalled += 1;
                } else {
                    if answer == NOTHING {
                        t.false_nothing += 1;
                    }
                    t.misses.push(format!(
                        "Q {} [{}] {:?} expected {:?} -> {answer:?}",
                        case.id, q.style, q.q, q.expect
                    ));
                }
            }
            for o in &entry.orders {
                t.orders += 1;
                let parts = prices.split_order(&o.order);
                let rows: Vec<_> = parts.iter().filter_map(|p| lookup(&prices, p)).collect();
                if rows.is_empty() || rows.len() != parts.len() {
                    t.unresolved += 1;
                    t.misses.push(format!(
                        "ORDER {} {:?} is not in the price table",
                        case.id, o.order
                    ));
                    if o.listed {
                        t.listed += 1;
                    }
                    continue;
                }
                let reports: Vec<_> = rows
                    .iter()
                    .map(|r| gatekeeper.result(&case, r, &prices))
                    .collect();
                let text: String = reports
                    .iter()
                    .map(|r| r.text.as_str())
                    .collect::<Vec<_>>()
                    .join(" ");
                if leaks(&text) {
                    t.leaks += 1;
                    t.misses
                        .push(format!("LEAK {} order {:?} -> {text:?}", case.id, o.order));
                }
                let foreign: Vec<&Marker> = entry
                    .markers
                    .iter()
                    .filter(|m| {
                        !o.answers_from
                            .iter()
                            .any(|a| normalize(a) == normalize(&m.of))
                    })
                    .filter(|m| holds(&text, &m.phrase))
                    .collect();
                if !foreign.is_empty() {
                    t.wrong_test += 1;
                    t.misses.push(format!(
                        "WRONG TEST {} {:?} carries {:?} -> {text:?}",
                        case.id,
                        o.order,
                        foreign.iter().map(|m| &m.of).collect::<Vec<_>>()
                    ));
                }
                if o.listed {
                    t.listed += 1;
                    if reports.iter().any(|r| r.source != ResultSource::Case) {
                        t.replaced_by_default += 1;
                    }
                    if o.expect.iter().all(|p| holds(&text, p)) {
                        t.listed_found += 1;
                    } else {
                        t.misses.push(format!(
                            "ORDER {} {:?} -> {:?} expected {:?} -> {text:?}",
                            case.id,
                            o.order,
                            rows.iter().map(|r| &r.name).collect::<Vec<_>>(),
                            o.expect
                        ));
                    }
                } else if o.expected.as_deref() == Some("abnormal")
                    && text.contains("no abnormality found")
                {
                    t.contradicting_normal += 1;
                    t.misses.push(format!(
                        "NORMAL WHERE ABNORMAL {} {:?} -> {text:?}",
                        case.id, o.order
                    ));
                }
            }
        }
    }
    let mut failures = Vec::new();
    for (format, t) in &tallies {
        for miss in &t.misses {
            println!("{format}: {miss}");
        }
    }
    println!(
        "\nGatekeeper on probe sets by other authors ({} files)",
        paths.len()
    );
    println!(
        "{:<9} {:>5} {:>9} {:>7} {:>9} {:>9} {:>8} {:>7} {:>8} {:>8} {:>9} {:>10} {:>6}",
        "format",
        "cases",
        "questions",
        "recall",
        "shorthand",
        "false-no",
        "absent",
        "orders",
        "listed",
        "default",
        "wrong-tst",
        "unresolved",
        "leaks"
    );
    for (format, t) in &tallies {
        let recall = pct(t.recalled, t.answerable);
        let false_nothing = pct(t.false_nothing, t.answerable);
        println!(
            "{:<9} {:>5} {:>9} {:>6.1}% {:>8.1}% {:>8.1}% {:>7.1}% {:>7} {:>7.1}% {:>8} {:>9} {:>10} {:>6}",
            format,
            t.cases,
            t.answerable + t.absent,
            recall,
            pct(t.shorthand_recalled, t.shorthand),
            false_nothing,
            pct(t.absent_silent, t.absent),
            t.orders,
            pct(t.listed_found, t.listed),
            t.replaced_by_default,
            t.wrong_test,
            t.unresolved,
            t.leaks,
        );
        println!(
            "{:<9} unlisted tests reported normal where the diagnosis makes them abnormal: {}",
            "", t.contradicting_normal
        );
        // Held at zero: an answer that names the diagnosis, or carries another test's result,
        // or calls a test normal against the diagnosis, is a wrong measurement.
        if t.leaks > 0 {
            failures.push(format!("{format}: {} leaks", t.leaks));
        }
        if t.wrong_test > 0 {
            failures.push(format!(
                "{format}: {} orders carried another test's result",
                t.wrong_test
            ));
        }
        if t.contradicting_normal > 0 {
            failures.push(format!(
                "{format}: {} unlisted tests reported normal against the diagnosis",
                t.contradicting_normal
            ));
        }
        // The goals (recall >= 90 %, false "no information" <= 5 %, no listed result
        // replaced by a default report) are not reached yet; these floors are the figures
        // measured when they were set, so that nothing slips back while the work goes on.
        let floor = FLOORS
            .iter()
            .find(|f| f.0 == format)
            .expect("a floor per format");
        if recall < floor.1 {
            failures.push(format!(
                "{format}: recall {recall:.1}% fell under {:.1}%",
                floor.1
            ));
        }
        if false_nothing > floor.2 {
            failures.push(format!(
                "{format}: false \"no information\" {false_nothing:.1}% rose over {:.1}%",
                floor.2
            ));
        }
        if t.replaced_by_default > floor.3 {
            failures.push(format!(
                "{format}: {} listed results replaced by a default report (was {})",
                t.replaced_by_default, floor.3
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// The judge's agreement (%): the goal, 97 %.
const JUDGE_FLOOR: f64 = 97.0;

#[derive(Deserialize)]
struct Label {
    truth: String,
    given: String,
    correct: bool,
    kind: String,
    #[serde(default)]
    synonyms: Vec<String>,
    #[serde(default)]
    support: Option<String>,
}

#[test]
fn the_judge_agrees_with_a_physicians_labels() {
    let paths = files("judge-labels", ".jsonl");
    assert!(!paths.is_empty(), "no judge labels in tests/probes");
    let mut by_kind: BTreeMap<String, (usize, usize)> = BTreeMap::new();
    let (mut agreed, mut total) = (0, 0);
    for path in &paths {
        for (n, line) in std::fs::read_to_string(path).unwrap().lines().enumerate() {
            if line.trim().is_empty() {
                continue;
            }
            let label: Label = serde_json::from_str(line)
                .unwrap_or_else(|e| panic!("{}:{}: {e}", path.display(), n + 1));
            let case: Case = serde_json::from_value(serde_json::json!({
                "id": "label", "title": "t", "summary": "s",
                "full_text": label.support.clone().unwrap_or_else(|| "No further detail.".into()),
                "diagnosis": label.truth, "synonyms": label.synonyms,
            }))
            .unwrap();
            let judgement = OfflineJudge.judge(&case, &label.given).expect("a verdict");
            let agrees = judgement.correct() == label.correct;
            total += 1;
            let entry = by_kind.entry(label.kind.clone()).or_default();
            entry.1 += 1;
            if agrees {
                agreed += 1;
                entry.0 += 1;
            } else {
                println!(
                    "DISAGREE [{}] truth {:?} given {:?}: label {}, judge {}/5 ({})",
                    label.kind,
                    label.truth,
                    label.given,
                    if label.correct {
                        "correct"
                    } else {
                        "incorrect"
                    },
                    judgement.score,
                    judgement.rationale
                );
            }
        }
    }
    println!(
        "\nJudge agreement with the labels: {agreed}/{total} = {:.1}%",
        pct(agreed, total)
    );
    for (kind, (a, n)) in &by_kind {
        println!("  {kind:<13} {a}/{n}");
    }
    assert!(total >= 200, "only {total} labels");
    // The goal is 97 %; 252 of 260 (96.9 %) was measured when this floor was set.
    assert!(
        pct(agreed, total) >= JUDGE_FLOOR,
        "agreement {:.1}% fell under {JUDGE_FLOOR}%",
        pct(agreed, total)
    );
}

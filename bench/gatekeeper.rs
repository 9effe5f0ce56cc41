//! The offline gatekeeper's cost per question, in-process: every bundled case asked the same
//! twelve questions (history, examination, shorthand, a compound and an absent one), many rounds.
//! Prints microseconds per question twice: as it runs (each case prepared once), and with each
//! question on a copy of its case whose title differs (the gatekeeper reads no title), so every
//! question prepares its case again, as every question did before the preparation was kept.
//! Usage: `cargo run --release --features ssr --example gatekeeper_cost [ROUNDS]`.

use dx0::engine::library::bundled_cases;
use dx0::engine::OfflineGatekeeper;
use std::hint::black_box;
use std::time::Instant;

const QUESTIONS: &[&str] = &[
    "When did the pain start?",
    "Any fever or chills?",
    "PMH?",
    "meds?",
    "Do you smoke or drink alcohol?",
    "FHx?",
    "Examine the abdomen",
    "Vital signs?",
    "HR?",
    "Any shortness of breath? Chest pain?",
    "Do you keep birds?",
    "How long have you had these symptoms?",
];

fn main() {
    let rounds: usize = std::env::args()
        .nth(1)
        .and_then(|r| r.parse().ok())
        .unwrap_or(20);
    let cases = bundled_cases().expect("the bundled cases");
    let gatekeeper = OfflineGatekeeper;
    // Warm the lexicons and any per-case preparation.
    for case in &cases {
        black_box(gatekeeper.answer(case, QUESTIONS[0]));
    }
    let start = Instant::now();
    let mut asked = 0usize;
    for _ in 0..rounds {
        for case in &cases {
            for q in QUESTIONS {
                black_box(gatekeeper.answer(case, q));
                asked += 1;
            }
        }
    }
    let kept = start.elapsed().as_secs_f64() * 1e6 / asked as f64;

    // Copies made beforehand, so the timing holds no cloning.
    let mut copies = Vec::with_capacity(rounds * cases.len() * QUESTIONS.len());
    for round in 0..rounds {
        for case in &cases {
            for (n, _) in QUESTIONS.iter().enumerate() {
                let mut copy = case.clone();
                copy.title = format!("{} ({round}.{n})", copy.title);
                copies.push(copy);
            }
        }
    }
    let start = Instant::now();
    let mut copy = copies.iter();
    for _ in 0..rounds {
        for _ in &cases {
            for q in QUESTIONS {
                let case = copy.next().expect("one copy a question");
                black_box(gatekeeper.answer(case, q));
            }
        }
    }
    let again = start.elapsed().as_secs_f64() * 1e6 / asked as f64;
    println!(
        "{asked} questions on {} cases: {kept:.1} µs per question with each case prepared once, \
         {again:.1} µs when every question prepares its case",
        cases.len(),
    );
}

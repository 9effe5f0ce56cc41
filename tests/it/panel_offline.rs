//! The offline Bayesian panel on every bundled case, in every mode, with no language model:
//! each run reaches a verdict, keeps the five roles' words for every turn, respects its mode
//! and budget, and `dx0 run` does the same from the command line (the default engine without
//! a model).

use crate::common;

use dx0::engine::library::bundled_cases;
use dx0::engine::panel::offline::bundled_panel;
use dx0::engine::panel::{run_panel, Mode, RunOptions, RunOutcome};
use dx0::engine::{EncounterState, Engine, OfflineGatekeeper, OfflineJudge, PriceTable};
use dx0::protocol::{Action, Money};

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn every_bundled_case_reaches_a_verdict_in_every_mode() {
    let prices = PriceTable::bundled();
    let panel = bundled_panel(&prices).expect("the knowledge base loads");
    let cases = bundled_cases().expect("cases");
    let mut correct = 0;
    let mut judged = 0;
    for case in cases.iter().filter(|c| c.diagnosis.is_some()) {
        let engine = Engine {
            case,
            prices: &prices,
            gatekeeper: &OfflineGatekeeper,
            judge: &OfflineJudge,
            visit_cost: Money(30000),
            estimator: None,
        };
        for mode in Mode::ALL {
            let budget = (mode == Mode::Budgeted).then_some(Money(50_000));
            let mut state = EncounterState::new(budget);
            let options = RunOptions {
                mode,
                ..RunOptions::default()
            };
            let outcome = run_panel(&engine, &mut state, &panel, &options, None, None).await;
            let RunOutcome::Verdict(Some(verdict)) = outcome else {
                panic!("{} in {}: {outcome:?}", case.id, mode.key());
            };
            judged += 1;
            correct += usize::from(verdict.correct);
            let steps: i64 = state.transcript.iter().map(|t| t.cost.0).sum();
            assert_eq!(state.spent.0, steps);
            assert!(state
                .panel
                .iter()
                .filter(|t| !t.contributions.is_empty())
                .all(|t| t.contributions.len() == 5
                    && t.contributions.iter().all(|c| !c.text.is_empty())));
            match mode {
                Mode::Instant => assert_eq!(state.transcript.len(), 1),
                Mode::QuestionOnly => {
                    assert!(state.transcript.iter().all(|t| t.action != Action::Test))
                }
                Mode::Budgeted => assert!(state.spent.0 <= 50_000, "{}: {}", case.id, state.spent),
                Mode::Unconstrained => {
                    assert!(state.panel.len() <= RunOptions::default().max_turns as usize)
                }
                Mode::Ensemble => assert!(state.panel.iter().any(|t| t.member == Some(3))),
            }
        }
    }
    // Not a target, a sanity floor: far better than chance among ~100 diseases.
    assert!(correct * 4 >= judged, "{correct} of {judged} correct");
}

#[test]
fn dx0_run_uses_the_offline_panel_without_a_model_on_every_case() {
    let db = common::sqlite_db();
    let migrated = common::dx0_command()
        .args(["migrate", "--database", &db.url])
        .output()
        .expect("dx0 migrate");
    assert!(migrated.status.success());
    for case in bundled_cases().expect("cases") {
        let output = common::dx0_command()
            .args(["run", &case.id, "--database", &db.url])
            .output()
            .expect("dx0 run");
        let stdout = String::from_utf8_lossy(&output.stdout);
        assert!(
            output.status.success(),
            "{}: {stdout}\n{}",
            case.id,
            String::from_utf8_lossy(&output.stderr)
        );
        assert!(
            stdout.contains("Panel: offline, mode unconstrained"),
            "{stdout}"
        );
        assert!(stdout.contains("Dr. Test-Chooser: "), "{stdout}");
        let lines: Vec<&str> = stdout.trim_end().lines().collect();
        let verdict = if case.diagnosis.is_some() {
            "Verdict: "
        } else {
            "Verdict: not judged"
        };
        assert!(
            lines[lines.len() - 2].starts_with(verdict),
            "{}: {stdout}",
            case.id
        );
        assert!(
            lines[lines.len() - 1].starts_with("Total cost: $"),
            "{stdout}"
        );
    }
}

//! The checks, rules, fallback and price sheet of the brief.

use super::*;
use crate::protocol::Turn;

fn brief<'a>(state: &'a EncounterState, prices: &'a PriceTable, rules: Rules) -> Brief<'a> {
    Brief {
        summary: "A 30-year-old with fever.",
        state,
        prices,
        visit_cost: Money(30000),
        turn: 2,
        max_turns: 10,
        rules,
        member: None,
        previous: None,
        feedback: None,
    }
}

fn open_rules() -> Rules {
    Rules {
        may_ask: true,
        may_order: true,
        must_diagnose: None,
    }
}

fn order(names: &[&str]) -> Consensus {
    Consensus {
        differential: vec![],
        action: PanelAction::Order(names.iter().map(|n| n.to_string()).collect()),
        reasons: "r".into(),
    }
}

#[test]
fn orders_must_name_priced_new_affordable_tests() {
    let prices = PriceTable::bundled();
    let mut state = EncounterState::new(Some(Money(5000)));
    let b = brief(&state, &prices, open_rules());
    assert!(b.check(&order(&["CBC"])).is_ok());
    let err = b.check(&order(&["Quantum blood scan"])).unwrap_err();
    assert!(err.contains("not in the price table"), "{err}");
    let err = b
        .check(&order(&["CT abdomen and pelvis with contrast"]))
        .unwrap_err();
    assert!(err.contains("only $50.00 of the budget is left"), "{err}");
    state.ordered.push(crate::protocol::OrderedTest {
        name: prices.exact("CBC").unwrap().name.clone(),
        cpt: "85025".into(),
        price: Money(1000),
        result: "WBC 15.2".into(),
        estimate: false,
        source: Default::default(),
    });
    let b = brief(&state, &prices, open_rules());
    let err = b.check(&order(&["CBC"])).unwrap_err();
    assert!(
        err.contains("already ordered") && err.contains("WBC 15.2"),
        "{err}"
    );
}

#[test]
fn the_rules_of_the_turn_are_enforced() {
    let prices = PriceTable::bundled();
    let mut state = EncounterState::new(None);
    state.transcript.push(Turn {
        action: Action::Question,
        content: "Any fever?".into(),
        reply: "Yes.".into(),
        cost: Money(30000),
    });
    let no_tests = brief(
        &state,
        &prices,
        Rules {
            may_order: false,
            ..open_rules()
        },
    );
    assert!(no_tests.check(&order(&["CBC"])).is_err());
    let ask = Consensus {
        differential: vec![],
        action: PanelAction::Ask(vec!["any fever".into()]),
        reasons: "r".into(),
    };
    assert!(no_tests.check(&ask).unwrap_err().contains("already asked"));
    let must = brief(
        &state,
        &prices,
        Rules {
            may_ask: false,
            may_order: false,
            must_diagnose: Some("the turn limit is reached".into()),
        },
    );
    assert!(must
        .check(&order(&["CBC"]))
        .unwrap_err()
        .contains("turn limit"));
    assert!(must.render().contains("must give its final diagnosis now"));
}

#[test]
fn the_fallback_asks_basic_history_then_commits_to_the_leader() {
    let prices = PriceTable::bundled();
    let state = EncounterState::new(None);
    let b = brief(&state, &prices, open_rules());
    let fallback = b.fallback(None);
    assert!(matches!(&fallback.action, PanelAction::Ask(q) if q[0] == FALLBACK_QUESTIONS[0]));
    let current = Consensus {
        differential: vec![Candidate {
            diagnosis: "Influenza".into(),
            probability: 0.7,
        }],
        action: PanelAction::Ask(vec![]),
        reasons: "r".into(),
    };
    let must = brief(
        &state,
        &prices,
        Rules {
            may_ask: false,
            may_order: false,
            must_diagnose: Some("instant mode".into()),
        },
    );
    let fallback = must.fallback(Some(&current));
    assert_eq!(
        fallback.action,
        PanelAction::Diagnose {
            diagnosis: "Influenza".into(),
            confidence: 0.7
        }
    );
    assert!(b.check(&fallback).is_ok());
}

#[test]
fn proposed_tests_are_read_from_test_lines() {
    let text = "I suggest:\n- Test: Lipase\n* **Test:** CT abdomen with contrast\nQuestion: any alcohol?\nTest:";
    assert_eq!(
        proposed_tests(text),
        vec!["Lipase".to_string(), "CT abdomen with contrast".to_string()]
    );
    let prices = PriceTable::bundled();
    let state = EncounterState::new(None);
    let sheet = brief(&state, &prices, open_rules()).price_sheet(&[text, "Test: lipase"]);
    assert_eq!(sheet.matches("\n-").count(), 2, "{sheet}");
    assert!(sheet.contains("CPT 83690"), "{sheet}");
}

#[test]
fn a_long_encounter_is_rendered_within_a_limit_older_answers_first() {
    let prices = PriceTable::bundled();
    let mut state = EncounterState::new(None);
    for i in 0..6 {
        state.transcript.push(Turn {
            action: Action::Question,
            content: format!("Question {i}?"),
            reply: format!("Answer {i}: ") + &"a long description of the finding ".repeat(20),
            cost: Money(0),
        });
    }
    let b = brief(&state, &prices, open_rules());
    let whole = b.render();
    assert_eq!(b.render_within(whole.len()), whole);
    let fitted = b.render_within(whole.len() / 2);
    assert!(fitted.len() <= whole.len() / 2, "{}", fitted.len());
    // Every answer keeps its start and says it was shortened; the last one is whole.
    for i in 0..6 {
        assert!(fitted.contains(&format!("Answer {i}:")), "{fitted}");
    }
    assert_eq!(fitted.matches("[shortened to fit").count(), 5, "{fitted}");
    // Nothing can be too small to say something.
    assert!(b.render_within(10).contains("Answer 5:"));
}

//! The offline panel on a two-disease knowledge base, checked by hand.
use super::*;
use crate::engine::encounter::EncounterState;
use crate::engine::panel::Rules;
use crate::protocol::{OrderedTest, Turn};

/// Two diseases told apart by fever (a question) and a lipase (a $6.89 test).
fn kb() -> Arc<Knowledge> {
    let text = r#"
[[finding]]
id = "fever"
label = "Fever"
kind = "exam"
question = "Is there a fever?"
present = ["fever"]
absent = ["afebrile"]
base = 0.1

[[finding]]
id = "lipase-high"
label = "Lipase raised"
kind = "test"
test = "Lipase"
analyte = ["lipase"]
direction = "high"
times = 3.0
base = 0.05

[[disease]]
id = "pancreatitis"
name = "Acute pancreatitis"
specialty = "GI"
prior = 0.5
basis = "b"
[disease.findings]
fever = 0.3
lipase-high = 0.95

[[disease]]
id = "gastritis"
name = "Gastritis"
specialty = "GI"
prior = 0.5
basis = "b"
[disease.findings]
fever = 0.3
lipase-high = 0.02
"#;
    Arc::new(
        Knowledge::parse(
            &[("t.toml".into(), text.to_string())],
            &PriceTable::bundled(),
        )
        .unwrap(),
    )
}

fn open() -> Rules {
    Rules {
        may_ask: true,
        may_order: true,
        must_diagnose: None,
    }
}

async fn decide(state: &EncounterState, rules: Rules) -> Deliberation {
    let prices = PriceTable::bundled();
    let brief = Brief {
        summary: "A 40-year-old with epigastric pain.",
        state,
        prices: &prices,
        visit_cost: Money(30000),
        turn: 1,
        max_turns: 10,
        rules,
        member: None,
        previous: None,
        feedback: None,
    };
    OfflinePanel::new(kb())
        .deliberate(&brief, None)
        .await
        .unwrap()
}

fn with_lipase(result: &str) -> EncounterState {
    let mut state = EncounterState::new(None);
    state.ordered.push(OrderedTest {
        name: "Lipase".into(),
        cpt: "83690".into(),
        price: Money(689),
        result: result.into(),
        estimate: false,
        source: Default::default(),
    });
    state
}

#[tokio::test]
async fn it_orders_the_test_that_separates_not_the_question_that_does_not() {
    let d = decide(&EncounterState::new(None), open()).await;
    // Fever is as likely in both: asking about it is worth nothing; the lipase decides.
    assert_eq!(
        d.consensus.action,
        PanelAction::Order(vec!["Lipase".into()])
    );
    assert_eq!(d.contributions.len(), 5);
    assert!(
        d.contributions[1].text.contains("order Lipase ($6.89)"),
        "{}",
        d.contributions[1].text
    );
    assert!(
        d.contributions[0].text.contains("Acute pancreatitis 50%"),
        "{}",
        d.contributions[0].text
    );
}

#[tokio::test]
async fn it_diagnoses_once_the_result_is_in() {
    let d = decide(&with_lipase("Lipase 1,240 U/L (ref 13–60)"), open()).await;
    // 0.5×0.95 against 0.5×0.02: 97.9%.
    assert!(
        matches!(&d.consensus.action, PanelAction::Diagnose { diagnosis, confidence } if diagnosis == "Acute pancreatitis" && (*confidence - 0.98).abs() < 1e-9),
        "{:?}",
        d.consensus
    );
    let d = decide(&with_lipase("Lipase 32 U/L (ref 13–60)"), open()).await;
    assert!(
        matches!(&d.consensus.action, PanelAction::Diagnose { diagnosis, .. } if diagnosis == "Gastritis")
    );
    assert!(
        d.contributions[0].text.contains("no lipase raised")
            || d.contributions[0].text.contains("For Gastritis"),
        "{}",
        d.contributions[0].text
    );
}

#[tokio::test]
async fn it_stops_when_told_and_when_nothing_is_affordable() {
    let must = Rules {
        may_ask: false,
        may_order: false,
        must_diagnose: Some("instant mode".into()),
    };
    let d = decide(&EncounterState::new(None), must).await;
    assert!(matches!(d.consensus.action, PanelAction::Diagnose { .. }));
    assert!(d
        .consensus
        .reasons
        .contains("must diagnose now (instant mode)"));
    // $5 left: the $6.89 lipase is out of reach, so the panel commits.
    let mut poor = EncounterState::new(Some(Money(500)));
    poor.transcript.push(Turn {
        action: Action::Question,
        content: "Is there a fever?".into(),
        reply: "Afebrile.".into(),
        cost: Money(0),
    });
    let d = decide(&poor, open()).await;
    assert!(
        matches!(d.consensus.action, PanelAction::Diagnose { .. }),
        "{:?}",
        d.consensus
    );
    assert!(d.consensus.reasons.contains("No affordable step"));
}

//! The encounter rules: visit rounds, orders, budget refusals, repeats, the verdict, closing.

use super::*;
use crate::engine::gatekeeper::OfflineGatekeeper;
use crate::engine::judge::OfflineJudge;
use crate::engine::EngineError;

const PRICES: &str = "name,cpt,price,category,aliases,normal_result\n\
Complete blood count with differential,85025,7.77,lab,CBC,WBC 6.8 x10^9/L (ref 4.0-11.0)\n\
Lipase,83690,6.98,lab,,Lipase 30 U/L (ref 13-60)\n\
CT abdomen and pelvis with contrast,74177,350.00,imaging,CT abdomen,No acute abnormality.\n";

fn case() -> Case {
    serde_json::from_value(serde_json::json!({
        "id": "rlq", "title": "Belly pain", "summary": "A 19-year-old man with abdominal pain.",
        "history": [
            {"topic": "Pain", "keywords": ["pain", "where", "hurt", "start"], "answer": "It started around my belly button and moved to the right lower side."},
            {"topic": "Smoking", "keywords": ["smoke", "cigarettes", "tobacco"], "answer": "I have never smoked."}
        ],
        "exam": [{"topic": "Abdomen", "keywords": ["abdomen", "abdominal exam", "tender"], "answer": "Tender at McBurney's point with guarding."}],
        "tests": [{"name": "Complete blood count with differential", "cpt": "85025", "result": "WBC 14.2 x10^9/L (ref 4.0-11.0)."}],
        "diagnosis": "Acute appendicitis", "synonyms": ["appendicitis"],
        "family_terms": ["appendiceal"], "system": "gastrointestinal",
        "teaching_points": ["Pain migrating to the right lower quadrant is classic."]
    }))
    .unwrap()
}

struct Fixture {
    case: Case,
    prices: PriceTable,
}

impl Fixture {
    fn new() -> Self {
        Self {
            case: case(),
            prices: PriceTable::from_csv(PRICES).unwrap(),
        }
    }
    fn engine(&self) -> Engine<'_> {
        Engine {
            case: &self.case,
            prices: &self.prices,
            gatekeeper: &OfflineGatekeeper,
            judge: &OfflineJudge,
            visit_cost: Money(30_000),
            estimator: None,
        }
    }
}

#[tokio::test]
async fn a_round_of_questions_is_one_visit() {
    let f = Fixture::new();
    let mut s = EncounterState::new(None);
    let first = s
        .step(&f.engine(), Action::Question, "Where does it hurt?")
        .await
        .unwrap();
    assert_eq!(first.cost, Money(30_000));
    assert!(first.reply.contains("belly button"), "{}", first.reply);
    let second = s
        .step(&f.engine(), Action::Question, "Do you smoke?")
        .await
        .unwrap();
    assert_eq!(second.cost, Money(0));
    assert!(second.reply.contains("never smoked"));
    // A test ends the round: the next question opens a new visit.
    s.step(&f.engine(), Action::Test, "CBC").await.unwrap();
    let third = s
        .step(&f.engine(), Action::Question, "Examine the abdomen")
        .await
        .unwrap();
    assert_eq!(third.cost, Money(30_000));
    assert_eq!(s.visits, 2);
    assert_eq!(s.spent, Money(60_777));
}

#[tokio::test]
async fn a_question_refused_for_asking_the_diagnosis_costs_nothing_and_opens_no_visit() {
    let f = Fixture::new();
    let mut s = EncounterState::new(None);
    let refused = s
        .step(&f.engine(), Action::Question, "What is the diagnosis?")
        .await
        .unwrap();
    assert_eq!(refused.reply, REFUSAL);
    assert_eq!(refused.cost, Money(0));
    assert_eq!((s.visits, s.spent), (0, Money(0)));
    // The next real question opens the first visit.
    let asked = s
        .step(&f.engine(), Action::Question, "Do you smoke?")
        .await
        .unwrap();
    assert_eq!(asked.cost, Money(30_000));
    assert_eq!(s.transcript.len(), 2);
}

#[tokio::test]
async fn orders_are_priced_as_a_batch_and_repeats_are_charged_again() {
    let f = Fixture::new();
    let mut s = EncounterState::new(None);
    let out = s
        .step(&f.engine(), Action::Test, "CBC; lipase")
        .await
        .unwrap();
    assert_eq!(out.cost, Money(777 + 698));
    assert!(
        out.reply.contains("WBC 14.2"),
        "the case's own result: {}",
        out.reply
    );
    // The case does not list a lipase and the knowledge base does not weigh it for
    // appendicitis: its result is not in the record, said the same way for every such test.
    assert!(
        out.reply
            .contains("Lipase: not available in this case record. [not in the case record]"),
        "an unlisted result: {}",
        out.reply
    );
    let again = s
        .step(
            &f.engine(),
            Action::Test,
            "complete blood count with differential",
        )
        .await
        .unwrap();
    assert_eq!(again.cost, Money(777));
    assert_eq!(s.ordered_names().len(), 3);
}

#[tokio::test]
async fn unknown_tests_are_refused_with_suggestions_and_nothing_is_charged() {
    let f = Fixture::new();
    let mut s = EncounterState::new(None);
    let before = s.clone();
    let refusal = s
        .step(&f.engine(), Action::Test, "CBC, flux capacitor")
        .await
        .unwrap_err();
    assert_eq!(refusal.code, ErrorCode::UnknownTest);
    assert!(refusal.message.contains("flux capacitor"));
    assert_eq!(s, before);
}

#[tokio::test]
async fn the_budget_refuses_tests_and_visits_without_charging() {
    let f = Fixture::new();
    let mut s = EncounterState::new(Some(Money(31_000)));
    s.step(&f.engine(), Action::Question, "Where does it hurt?")
        .await
        .unwrap();
    let before = s.clone();
    let refusal = s
        .step(&f.engine(), Action::Test, "CT abdomen")
        .await
        .unwrap_err();
    assert_eq!(refusal.code, ErrorCode::OverBudget);
    assert!(
        refusal.message.contains("Nothing was charged"),
        "{}",
        refusal.message
    );
    assert_eq!(s, before, "a refused step changes nothing");
    s.step(&f.engine(), Action::Test, "lipase").await.unwrap();
    assert_eq!(s.remaining(), Some(Money(31_000 - 30_000 - 698)));
    // The next question would open a visit past the budget.
    let refusal = s
        .step(&f.engine(), Action::Question, "Do you smoke?")
        .await
        .unwrap_err();
    assert_eq!(refusal.code, ErrorCode::OverBudget);
}

#[tokio::test]
async fn a_diagnosis_is_judged_and_closes_the_encounter() {
    let f = Fixture::new();
    let mut s = EncounterState::new(None);
    s.step(&f.engine(), Action::Test, "CBC").await.unwrap();
    let out = s
        .step(&f.engine(), Action::Diagnosis, "appendicitis")
        .await
        .unwrap();
    let verdict = out.verdict.unwrap().unwrap();
    assert_eq!(verdict.score, 5);
    assert!(verdict.correct);
    assert_eq!(verdict.diagnosis, "Acute appendicitis");
    assert_eq!(verdict.total_cost, Money(777));
    assert_eq!(verdict.teaching_points.len(), 1);
    assert_eq!(s.status, Status::Closed);
    let refusal = s
        .step(&f.engine(), Action::Question, "anything else?")
        .await
        .unwrap_err();
    assert_eq!(refusal.code, ErrorCode::EncounterClosed);
    assert_eq!(refusal.message, "encounter closed");
}

#[tokio::test]
async fn a_case_without_a_diagnosis_is_worked_but_not_judged() {
    let mut f = Fixture::new();
    f.case.diagnosis = None;
    let mut s = EncounterState::new(None);
    let out = s
        .step(&f.engine(), Action::Diagnosis, "appendicitis")
        .await
        .unwrap();
    assert_eq!(out.verdict, Some(None));
    assert!(out.reply.contains("cannot be judged"));
    assert_eq!(s.status, Status::Closed);
}

#[tokio::test]
async fn a_different_test_sharing_a_cpt_code_gets_its_own_result() {
    let prices = PriceTable::from_csv(
        "name,cpt,price,category,aliases,normal_result\n\
         Complement C3,86160,12.00,lab,C3,C3 120 mg/dL (ref 90-180)\n\
         Complement C4,86160,12.00,lab,C4,C4 25 mg/dL (ref 10-40)\n",
    )
    .unwrap();
    let mut case = case();
    case.tests = vec![serde_json::from_value(
        serde_json::json!({"name": "Complement C3", "result": "C3 42 mg/dL (ref 90-180)."}),
    )
    .unwrap()];
    let engine = Engine {
        case: &case,
        prices: &prices,
        gatekeeper: &OfflineGatekeeper,
        judge: &OfflineJudge,
        visit_cost: Money(30_000),
        estimator: None,
    };
    let mut s = EncounterState::new(None);
    let c3 = s.step(&engine, Action::Test, "C3").await.unwrap();
    assert!(c3.reply.contains("C3 42"), "{}", c3.reply);
    let c4 = s.step(&engine, Action::Test, "C4").await.unwrap();
    // The case lists no C4 and names no diagnosis: its result is not in the record, and never
    // C3's.
    assert!(
        c4.reply
            .starts_with("Complement C4: not available in this case record")
            && !c4.reply.contains("42"),
        "C4 is not C3's report: {}",
        c4.reply
    );
    assert_eq!(
        s.ordered[1].source,
        crate::protocol::ResultSource::Unavailable
    );
    assert_eq!(s.ordered[0].source, crate::protocol::ResultSource::Case);
    // The same row again repeats its stored report.
    let again = s
        .step(&engine, Action::Test, "Complement C3")
        .await
        .unwrap();
    assert!(again.reply.contains("C3 42"), "{}", again.reply);
}

/// A gatekeeper and judge whose language model is down for some requests.
struct Flaky;

#[async_trait::async_trait]
impl crate::engine::Gatekeeper for Flaky {
    async fn answer(&self, case: &Case, question: &str) -> Result<String, EngineError> {
        if question.contains("smoke") {
            return Err(EngineError::ModelUnavailable(
                "The language model did not answer.".into(),
            ));
        }
        Ok(OfflineGatekeeper.answer(case, question))
    }

    async fn result(
        &self,
        case: &Case,
        test: &crate::engine::prices::PricedTest,
        prices: &PriceTable,
    ) -> Result<crate::engine::gatekeeper::Report, EngineError> {
        if test.name == "Lipase" {
            return Err(EngineError::ModelUnavailable(
                "The language model did not answer.".into(),
            ));
        }
        Ok(OfflineGatekeeper.result(case, test, prices))
    }
}

#[async_trait::async_trait]
impl crate::engine::Judge for Flaky {
    async fn judge(
        &self,
        _case: &Case,
        _given: &str,
    ) -> Result<Option<crate::engine::judge::Judgement>, EngineError> {
        Err(EngineError::ModelUnavailable(
            "The judge did not answer.".into(),
        ))
    }
}

#[tokio::test]
async fn a_gatekeeper_or_judge_that_fails_changes_nothing() {
    let f = Fixture::new();
    let engine = Engine {
        gatekeeper: &Flaky,
        judge: &Flaky,
        ..f.engine()
    };
    let mut s = EncounterState::new(Some(Money(100_000)));
    let before = s.clone();
    let refused = s
        .step(&engine, Action::Question, "Do you smoke?")
        .await
        .unwrap_err();
    assert_eq!(refused.code, ErrorCode::Internal);
    assert!(
        refused.message.contains("Nothing was charged"),
        "{}",
        refused.message
    );
    assert_eq!(s, before, "no visit opened, nothing charged");
    // A batch whose second result fails is refused whole: the CBC is not kept either.
    s.step(&engine, Action::Test, "CBC; lipase")
        .await
        .unwrap_err();
    assert_eq!(s, before);
    s.step(&engine, Action::Diagnosis, "appendicitis")
        .await
        .unwrap_err();
    assert_eq!(s, before, "still open");
    s.step(&engine, Action::Test, "CBC").await.unwrap();
    assert_eq!(s.ordered.len(), 1);
}

fn panel() -> Actor {
    Actor::Panel(crate::protocol::PanelActor {
        engine: "offline".into(),
        mode: "unconstrained".into(),
        model: None,
    })
}

#[tokio::test]
async fn every_step_order_and_verdict_records_who_took_it() {
    let f = Fixture::new();
    let mut s = EncounterState::new(None);
    let alice = Actor::user("alice");
    s.step_by(&f.engine(), Action::Question, "Where does it hurt?", &alice)
        .await
        .unwrap();
    s.step_by(&f.engine(), Action::Test, "CBC; lipase", &panel())
        .await
        .unwrap();
    // A refused step records nobody.
    s.step_by(&f.engine(), Action::Test, "flux capacitor", &alice)
        .await
        .unwrap_err();
    assert_eq!(s.diagnosed_by(), None);
    let out = s
        .step_by(&f.engine(), Action::Diagnosis, "appendicitis", &panel())
        .await
        .unwrap();
    assert_eq!(out.verdict.unwrap().unwrap().actor, panel());
    let steps: Vec<Actor> = s.acted_transcript().into_iter().map(|t| t.actor).collect();
    assert_eq!(steps, [alice.clone(), panel(), panel()]);
    let tests: Vec<Actor> = s.acted_tests().into_iter().map(|t| t.actor).collect();
    assert_eq!(tests, [panel(), panel()]);
    assert_eq!(s.diagnosed_by(), Some(panel()));
    assert!(s.panel_acted());
    // Stored and loaded again, nothing is lost.
    let back: EncounterState = serde_json::from_str(&serde_json::to_string(&s).unwrap()).unwrap();
    assert_eq!(back, s);
}

#[tokio::test]
async fn an_encounter_stored_before_actors_loads_as_the_users() {
    // The stored form of a closed encounter from before actors were recorded.
    let old = r#"{"spent":7.77,"budget":null,"in_visit":false,"visits":0,
        "ordered":[{"name":"Complete blood count with differential","cpt":"85025","price":7.77,"result":"WBC 14.2"}],
        "transcript":[{"action":"test","content":"CBC","reply":"WBC 14.2 [$7.77]","cost":7.77},
                      {"action":"diagnosis","content":"appendicitis","reply":"Correct","cost":0.0}],
        "status":"closed",
        "verdict":{"score":5,"correct":true,"diagnosis":"Acute appendicitis","given":"appendicitis",
                   "rationale":"r","teaching_points":[],"total_cost":7.77}}"#;
    let s: EncounterState = serde_json::from_str(old).unwrap();
    assert!(s
        .acted_transcript()
        .iter()
        .all(|t| t.actor == Actor::default()));
    assert_eq!(s.acted_tests()[0].actor, Actor::default());
    assert_eq!(s.verdict.as_ref().unwrap().actor, Actor::default());
    assert_eq!(s.diagnosed_by(), Some(Actor::default()));
    assert!(!s.panel_acted());
    // An old open encounter goes on: a new step is recorded at its own position.
    let f = Fixture::new();
    let mut open: EncounterState = serde_json::from_str(&old.replace("closed", "open")).unwrap();
    open.status = Status::Open;
    open.step_by(
        &f.engine(),
        Action::Question,
        "Where does it hurt?",
        &panel(),
    )
    .await
    .unwrap();
    let steps: Vec<Actor> = open
        .acted_transcript()
        .into_iter()
        .map(|t| t.actor)
        .collect();
    assert_eq!(steps, [Actor::default(), Actor::default(), panel()]);
}

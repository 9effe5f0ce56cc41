//! FHIR R4 output: a `Bundle` (type `collection`) of `Communication` resources for a transcript
//! and `ServiceRequest` resources for ordered tests (coded with CPT when known). An encounter's
//! bundle also names who acted: the physician as a `Practitioner`, the AI panel as a `Device`,
//! each step's `sender` and each order's `requester` pointing at one of them.

use super::encounter::EncounterState;
use super::prices::{Lookup, PriceTable};
use crate::protocol::{Action, Actor};
use serde_json::{json, Value};

/// The CPT code system URI.
pub const CPT_SYSTEM: &str = "http://www.ama-assn.org/go/cpt";

fn subject(patient_id: Option<&str>) -> Option<Value> {
    patient_id
        .filter(|p| !p.is_empty())
        .map(|p| json!({ "reference": format!("Patient/{p}") }))
}

fn entry(resource: Value) -> Value {
    json!({ "resource": resource })
}

/// A bundle of one `Communication` per `(speaker, text)` line, in order.
pub fn transcript_bundle(lines: &[(String, String)], patient_id: Option<&str>) -> Value {
    let entries: Vec<Value> = lines
        .iter()
        .enumerate()
        .map(|(i, (speaker, text))| {
            let mut resource = json!({
                "resourceType": "Communication",
                "id": format!("communication-{}", i + 1),
                "status": "completed",
                "sender": { "display": speaker },
                "payload": [{ "contentString": text }],
            });
            if let Some(s) = subject(patient_id) {
                resource["subject"] = s;
            }
            entry(resource)
        })
        .collect();
    bundle(entries)
}

/// A bundle of one `ServiceRequest` per test name; names found in the price table carry their
/// CPT coding.
pub fn tests_bundle(names: &[String], prices: &PriceTable, patient_id: Option<&str>) -> Value {
    let entries: Vec<Value> = names
        .iter()
        .enumerate()
        .map(|(i, name)| {
            let code = match prices.lookup(name) {
                Lookup::Found(test) => json!({
                    "coding": [{ "system": CPT_SYSTEM, "code": test.cpt, "display": test.name }],
                    "text": name,
                }),
                Lookup::Unknown(_) => json!({ "text": name }),
            };
            let mut resource = json!({
                "resourceType": "ServiceRequest",
                "id": format!("service-request-{}", i + 1),
                "status": "completed",
                "intent": "order",
                "code": code,
            });
            resource["subject"] =
                subject(patient_id).unwrap_or_else(|| json!({ "display": "Simulated patient" }));
            entry(resource)
        })
        .collect();
    bundle(entries)
}

/// The resource that stands for an actor, and the reference a step or order makes to it.
struct Party {
    actor: Actor,
    reference: String,
    display: String,
    resource: Value,
}

/// The encounter's actors in order of first appearance: `Practitioner/practitioner-1` for the
/// physician (whatever name a step recorded: the encounter has one owner), `Device/device-N`
/// for each distinct panel.
fn parties(actors: &[Actor], owner: &str) -> Vec<Party> {
    let mut out: Vec<Party> = Vec::new();
    for actor in actors {
        let same = |p: &Party| match (&p.actor, actor) {
            (Actor::User { .. }, Actor::User { .. }) => true,
            (a, b) => a == b,
        };
        if out.iter().any(same) {
            continue;
        }
        let display = actor.name(Some(owner));
        let party = match actor {
            Actor::User { name } => Party {
                actor: actor.clone(),
                reference: "Practitioner/practitioner-1".into(),
                resource: json!({
                    "resourceType": "Practitioner",
                    "id": "practitioner-1",
                    "name": [{ "text": name.as_deref().unwrap_or(owner) }],
                }),
                display,
            },
            Actor::Panel(panel) => {
                let n = out.iter().filter(|p| p.actor.is_panel()).count() + 1;
                let mut resource = json!({
                    "resourceType": "Device",
                    "id": format!("device-{n}"),
                    "deviceName": [{ "name": panel.name(), "type": "user-friendly-name" }],
                    "type": { "text": "AI diagnostic panel" },
                    "property": [
                        { "type": { "text": "engine" }, "valueCode": [{ "text": panel.engine }] },
                        { "type": { "text": "mode" }, "valueCode": [{ "text": panel.mode }] },
                    ],
                });
                if let Some(model) = &panel.model {
                    resource["modelNumber"] = json!(model);
                }
                Party {
                    actor: actor.clone(),
                    reference: format!("Device/device-{n}"),
                    resource,
                    display,
                }
            }
        };
        out.push(party);
    }
    out
}

fn reference_to(parties: &[Party], actor: &Actor) -> Value {
    let found = parties.iter().find(|p| match (&p.actor, actor) {
        (Actor::User { .. }, Actor::User { .. }) => true,
        (a, b) => a == b,
    });
    match found {
        Some(p) => json!({ "reference": p.reference, "display": p.display }),
        None => json!({ "display": actor.name(None) }),
    }
}

/// One encounter: its actors (`Practitioner`, `Device`), one `Communication` per step (sent by
/// its actor) and per answer (sent by the simulated case), one `ServiceRequest` per ordered test
/// (requested by whoever ordered it). `owner` is the user name of the encounter's physician.
pub fn encounter_bundle(state: &EncounterState, owner: &str) -> Value {
    let steps = state.acted_transcript();
    let tests = state.acted_tests();
    let everyone: Vec<Actor> = steps
        .iter()
        .map(|s| s.actor.clone())
        .chain(tests.iter().map(|t| t.actor.clone()))
        .collect();
    let parties = parties(&everyone, owner);
    let mut entries: Vec<Value> = parties.iter().map(|p| entry(p.resource.clone())).collect();
    let case = json!({ "display": "Simulated patient (the case)" });
    for (i, step) in steps.iter().enumerate() {
        let kind = match step.turn.action {
            Action::Test => "test order",
            Action::Diagnosis => "diagnosis",
            _ => "question",
        };
        let communication = |n: usize, sender: Value, category: &str, text: &str| {
            entry(json!({
                "resourceType": "Communication",
                "id": format!("communication-{n}"),
                "status": "completed",
                "category": [{ "text": category }],
                "sender": sender,
                "payload": [{ "contentString": text }],
            }))
        };
        entries.push(communication(
            2 * i + 1,
            reference_to(&parties, &step.actor),
            kind,
            &step.turn.content,
        ));
        entries.push(communication(
            2 * i + 2,
            case.clone(),
            "answer",
            &step.turn.reply,
        ));
    }
    for (i, ordered) in tests.iter().enumerate() {
        entries.push(entry(json!({
            "resourceType": "ServiceRequest",
            "id": format!("service-request-{}", i + 1),
            "status": "completed",
            "intent": "order",
            "code": {
                "coding": [{ "system": CPT_SYSTEM, "code": ordered.test.cpt, "display": ordered.test.name }],
                "text": ordered.test.name,
            },
            "subject": { "display": "Simulated patient" },
            "requester": reference_to(&parties, &ordered.actor),
        })));
    }
    bundle(entries)
}

/// A `collection` bundle of entries.
pub fn bundle(entries: Vec<Value>) -> Value {
    json!({
        "resourceType": "Bundle",
        "type": "collection",
        "entry": entries,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::{Money, OrderedTest, PanelActor, Turn};

    #[test]
    fn an_encounter_names_the_physician_a_practitioner_and_the_panel_a_device() {
        let panel = Actor::Panel(PanelActor {
            engine: "llm".into(),
            mode: "budgeted".into(),
            model: Some("m1".into()),
        });
        let mut state = EncounterState::new(None);
        for (action, content) in [
            (Action::Question, "Any fever?"),
            (Action::Test, "CBC"),
            (Action::Diagnosis, "Appendicitis"),
        ] {
            state.transcript.push(Turn {
                action,
                content: content.into(),
                reply: "ok".into(),
                cost: Money(0),
            });
        }
        state.ordered.push(OrderedTest {
            name: "Complete blood count".into(),
            cpt: "85025".into(),
            price: Money(777),
            result: "normal".into(),
            estimate: false,
            source: Default::default(),
        });
        // The first step is an old one (no actor recorded): the owner's.
        state.actors.set_step(1, &panel);
        state.actors.set_step(2, &panel);
        state.actors.set_tests(0, 1, &panel);
        let b = encounter_bundle(&state, "alice");
        let of = |kind: &str| -> Vec<Value> {
            b["entry"]
                .as_array()
                .unwrap()
                .iter()
                .map(|e| e["resource"].clone())
                .filter(|r| r["resourceType"] == kind)
                .collect()
        };
        assert_eq!(of("Practitioner")[0]["name"][0]["text"], "alice");
        let device = &of("Device")[0];
        assert_eq!(device["modelNumber"], "m1");
        assert_eq!(
            device["deviceName"][0]["name"],
            "AI panel (llm, budgeted, m1)"
        );
        let senders: Vec<Value> = of("Communication")
            .iter()
            .map(|c| c["sender"]["reference"].clone())
            .collect();
        assert_eq!(
            senders,
            [
                "Practitioner/practitioner-1",
                "",
                "Device/device-1",
                "",
                "Device/device-1",
                ""
            ]
            .map(|r| if r.is_empty() { Value::Null } else { json!(r) })
        );
        assert_eq!(
            of("ServiceRequest")[0]["requester"]["reference"],
            "Device/device-1"
        );
    }

    #[test]
    fn bundles_are_fhir_collections() {
        let lines = vec![
            ("physician".to_string(), "Any fever?".to_string()),
            ("patient".to_string(), "No.".to_string()),
        ];
        let b = transcript_bundle(&lines, Some("p1"));
        assert_eq!(b["resourceType"], "Bundle");
        assert_eq!(b["type"], "collection");
        assert_eq!(b["entry"].as_array().unwrap().len(), 2);
        assert_eq!(
            b["entry"][1]["resource"]["payload"][0]["contentString"],
            "No."
        );
        assert_eq!(
            b["entry"][0]["resource"]["subject"]["reference"],
            "Patient/p1"
        );
        let prices = PriceTable::bundled();
        let t = tests_bundle(
            &["CBC".to_string(), "made-up test".to_string()],
            &prices,
            None,
        );
        assert_eq!(t["entry"][0]["resource"]["resourceType"], "ServiceRequest");
        assert_eq!(
            t["entry"][0]["resource"]["code"]["coding"][0]["code"],
            "85025"
        );
        assert_eq!(
            t["entry"][0]["resource"]["code"]["coding"][0]["system"],
            CPT_SYSTEM
        );
        assert!(t["entry"][1]["resource"]["code"].get("coding").is_none());
    }
}

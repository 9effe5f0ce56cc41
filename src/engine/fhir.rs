//! FHIR R4 output: a `Bundle` (type `collection`) of `Communication` resources for a transcript
//! and `ServiceRequest` resources for ordered tests (coded with CPT when known).

use super::prices::{Lookup, PriceTable};
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

//! The consensus step's output: one action in a strict JSON schema, with the differential and
//! the reasons. The parser accepts exactly that schema and says precisely what is wrong
//! otherwise (the text goes back to the model in the one repair request).

use super::super::llm_json::first_object;
use serde_json::{Map, Value};

/// At most this many questions, tests or differential entries per turn.
pub const MAX_ITEMS: usize = 3;

/// What the panel does next.
#[derive(Debug, Clone, PartialEq)]
pub enum PanelAction {
    /// Ask the patient (history or examination).
    Ask(Vec<String>),
    /// Order tests.
    Order(Vec<String>),
    /// Commit to a diagnosis with a confidence in 0..=1.
    Diagnose {
        /// The diagnosis.
        diagnosis: String,
        /// How sure the panel is.
        confidence: f64,
    },
}

impl PanelAction {
    /// The action as it is kept and shown.
    pub fn proposal(&self) -> crate::protocol::PanelProposal {
        use crate::protocol::PanelProposal;
        match self {
            PanelAction::Ask(questions) => PanelProposal::Ask {
                questions: questions.clone(),
            },
            PanelAction::Order(tests) => PanelProposal::Order {
                tests: tests.clone(),
            },
            PanelAction::Diagnose {
                diagnosis,
                confidence,
            } => PanelProposal::Diagnose {
                diagnosis: diagnosis.clone(),
                confidence: *confidence,
            },
        }
    }
}

/// One entry of the differential.
#[derive(Debug, Clone, PartialEq)]
pub struct Candidate {
    /// The diagnosis.
    pub diagnosis: String,
    /// Its probability, 0..=1.
    pub probability: f64,
}

/// The panel's decision for one turn.
#[derive(Debug, Clone, PartialEq)]
pub struct Consensus {
    /// Up to three diagnoses, most likely first.
    pub differential: Vec<Candidate>,
    /// The one action.
    pub action: PanelAction,
    /// Why, in a sentence or two.
    pub reasons: String,
}

fn text(map: &Map<String, Value>, key: &str) -> Result<String, String> {
    match map.get(key) {
        Some(Value::String(s)) if !s.trim().is_empty() => Ok(s.trim().to_string()),
        Some(_) => Err(format!("\"{key}\" must be a non-empty string")),
        None => Err(format!("\"{key}\" is missing")),
    }
}

fn unit(map: &Map<String, Value>, key: &str) -> Result<f64, String> {
    match map.get(key).and_then(Value::as_f64) {
        Some(x) if (0.0..=1.0).contains(&x) => Ok(x),
        _ => Err(format!("\"{key}\" must be a number from 0 to 1")),
    }
}

fn list(map: &Map<String, Value>, key: &str) -> Result<Vec<String>, String> {
    let items = map
        .get(key)
        .and_then(Value::as_array)
        .ok_or_else(|| format!("\"{key}\" must be a list of strings"))?;
    let items: Vec<String> = items
        .iter()
        .map(|v| v.as_str().map(str::trim).filter(|s| !s.is_empty()))
        .collect::<Option<Vec<_>>>()
        .ok_or_else(|| format!("\"{key}\" must hold only non-empty strings"))?
        .into_iter()
        .map(str::to_string)
        .collect();
    if items.is_empty() || items.len() > MAX_ITEMS {
        return Err(format!("\"{key}\" must hold 1 to {MAX_ITEMS} entries"));
    }
    Ok(items)
}

/// Reads the consensus from a model's answer, or says what is wrong with it.
pub fn parse_consensus(answer: &str) -> Result<Consensus, String> {
    let root = first_object(answer).ok_or("the answer holds no JSON object")?;
    let differential = root
        .get("differential")
        .and_then(Value::as_array)
        .ok_or("\"differential\" must be a list")?;
    if differential.len() > MAX_ITEMS {
        return Err(format!(
            "\"differential\" must hold at most {MAX_ITEMS} entries"
        ));
    }
    let differential = differential
        .iter()
        .map(|entry| {
            let entry = entry
                .as_object()
                .ok_or("each differential entry must be an object")?;
            Ok(Candidate {
                diagnosis: text(entry, "diagnosis")?,
                probability: unit(entry, "probability")?,
            })
        })
        .collect::<Result<Vec<_>, String>>()?;
    let total: f64 = differential.iter().map(|c| c.probability).sum();
    if total > 1.0 + 1e-6 {
        return Err("the differential's probabilities add up to more than 1".into());
    }
    let action = root
        .get("action")
        .and_then(Value::as_object)
        .ok_or("\"action\" must be an object")?;
    let action = match text(action, "type")?.as_str() {
        "ask" => PanelAction::Ask(list(action, "questions")?),
        "order" => PanelAction::Order(list(action, "tests")?),
        "diagnose" => PanelAction::Diagnose {
            diagnosis: text(action, "diagnosis")?,
            confidence: unit(action, "confidence")?,
        },
        other => {
            return Err(format!(
                "the action type \"{other}\" is not one of ask, order, diagnose"
            ))
        }
    };
    Ok(Consensus {
        differential,
        action,
        reasons: text(&root, "reasons")?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_well_formed_consensus_is_read() {
        let answer = r#"Here is our decision:
```json
{"differential": [{"diagnosis": "Acute appendicitis", "probability": 0.6},
                  {"diagnosis": "Mesenteric adenitis", "probability": 0.2}],
 "action": {"type": "order", "tests": ["CBC", "CT abdomen and pelvis with contrast"]},
 "reasons": "Migratory pain with fever; imaging will separate the two."}
```"#;
        let c = parse_consensus(answer).unwrap();
        assert_eq!(c.differential.len(), 2);
        assert_eq!(
            c.action,
            PanelAction::Order(vec![
                "CBC".into(),
                "CT abdomen and pelvis with contrast".into()
            ])
        );
        let diagnose = parse_consensus(
            r#"{"differential": [], "action": {"type": "diagnose", "diagnosis": "Gout", "confidence": 0.9}, "reasons": "Crystals seen."}"#,
        )
        .unwrap();
        assert!(
            matches!(diagnose.action, PanelAction::Diagnose { confidence, .. } if confidence == 0.9)
        );
    }

    #[test]
    fn every_defect_is_named_for_the_repair_request() {
        let cases = [
            ("no json at all", "no JSON object"),
            (
                r#"{"action": {"type": "ask", "questions": ["a"]}, "reasons": "r"}"#,
                "\"differential\"",
            ),
            (
                r#"{"differential": [{"diagnosis": "A", "probability": 1.5}], "action": {"type": "ask", "questions": ["a"]}, "reasons": "r"}"#,
                "0 to 1",
            ),
            (
                r#"{"differential": [{"diagnosis": "A", "probability": 0.7}, {"diagnosis": "B", "probability": 0.7}], "action": {"type": "ask", "questions": ["a"]}, "reasons": "r"}"#,
                "more than 1",
            ),
            (
                r#"{"differential": [], "action": {"type": "ask", "questions": []}, "reasons": "r"}"#,
                "1 to 3",
            ),
            (
                r#"{"differential": [], "action": {"type": "order", "tests": ["a", "b", "c", "d"]}, "reasons": "r"}"#,
                "1 to 3",
            ),
            (
                r#"{"differential": [], "action": {"type": "order", "tests": ["a", 5]}, "reasons": "r"}"#,
                "only non-empty strings",
            ),
            (
                r#"{"differential": [], "action": {"type": "refer"}, "reasons": "r"}"#,
                "not one of",
            ),
            (
                r#"{"differential": [], "action": {"type": "diagnose", "diagnosis": "X"}, "reasons": "r"}"#,
                "\"confidence\"",
            ),
            (
                r#"{"differential": [], "action": {"type": "ask", "questions": ["a"]}}"#,
                "\"reasons\" is missing",
            ),
            (
                r#"{"differential": [], "action": "ask", "reasons": "r"}"#,
                "\"action\" must be an object",
            ),
        ];
        for (answer, expected) in cases {
            let error = parse_consensus(answer).unwrap_err();
            assert!(error.contains(expected), "{answer}: {error}");
        }
    }
}

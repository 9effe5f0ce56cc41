//! The judge with a language model: a 5-point rubric (core disease, cause, site, specificity,
//! completeness), correct at 4 or more, asked for strict JSON. A malformed answer gets one repair
//! request; after that, or when the model cannot be reached, the offline judge scores and says so.

use super::case::Case;
use super::gatekeeper::Unavailable;
use super::judge::{Judge, Judgement, OfflineJudge};
use super::llm_json::first_object;
use crate::llm::{ChatMessage, ChatRequest, LlmClient};
use std::sync::Arc;

const SYSTEM: &str = "You are the judge of a diagnostic exercise. Compare the physician's \
final diagnosis with the case's true diagnosis and score it on this 5-point rubric:\n\
5 = the same diagnosis (or an accepted synonym), with its cause and site where they matter;\n\
4 = the same core disease, missing only minor specificity or completeness;\n\
3 = the same disease family or a closely related diagnosis that would change management little;\n\
2 = the same organ system but a different disease;\n\
1 = unrelated or wrong.\n\
Weigh core disease, cause, site, specificity and completeness. Reply with only a JSON object: \
{\"score\": <integer 1-5>, \"rationale\": \"<one sentence>\"}.";

/// Scores diagnoses with a language model, the offline judge as its safety net.
pub struct LlmJudge {
    client: Arc<dyn LlmClient>,
    model: String,
}

impl LlmJudge {
    /// A judge asking `client` (its default model unless `model` is set).
    pub fn new(client: Arc<dyn LlmClient>, model: Option<String>) -> Self {
        Self {
            client,
            model: model.unwrap_or_default(),
        }
    }
}

/// A score and rationale read from the model's answer, if it holds a valid one.
pub fn parse_judgement(text: &str) -> Option<Judgement> {
    let object = first_object(text)?;
    let score = object.get("score")?.as_u64()?;
    if !(1..=5).contains(&score) {
        return None;
    }
    let rationale = object
        .get("rationale")
        .and_then(|r| r.as_str())
        .map(|r| r.lines().next().unwrap_or_default().trim())
        .filter(|r| !r.is_empty())?;
    Some(Judgement {
        score: score as u8,
        rationale: rationale.chars().take(300).collect(),
    })
}

fn fallback(case: &Case, given: &str, why: &str) -> Option<Judgement> {
    OfflineJudge.judge(case, given).map(|j| Judgement {
        rationale: format!("{} (Scored by the offline judge: {why}.)", j.rationale),
        ..j
    })
}

#[async_trait::async_trait]
impl Judge for LlmJudge {
    async fn judge(&self, case: &Case, given: &str) -> Result<Option<Judgement>, Unavailable> {
        let Some(truth) = case.diagnosis.as_deref() else {
            return Ok(None);
        };
        // The name itself or a synonym needs no model.
        if let Some(exact) = OfflineJudge.judge(case, given).filter(|j| j.score == 5) {
            return Ok(Some(exact));
        }
        let question = format!(
            "True diagnosis: {truth}\nAccepted synonyms: {}\nPhysician's diagnosis: {given}",
            if case.synonyms.is_empty() {
                "none".to_string()
            } else {
                case.synonyms.join("; ")
            }
        );
        let mut messages = vec![ChatMessage::system(SYSTEM), ChatMessage::user(question)];
        for attempt in 0..2 {
            let request = ChatRequest {
                model: self.model.clone(),
                json: true,
                max_tokens: Some(200),
                ..ChatRequest::new(messages.clone())
            };
            let answer = match self.client.complete(&request, None).await {
                Ok(answer) => answer,
                Err(err) => {
                    tracing::warn!(error = %err, "the LLM judge did not answer");
                    return Ok(fallback(case, given, "the language model did not answer"));
                }
            };
            if let Some(judgement) = parse_judgement(&answer.text) {
                return Ok(Some(judgement));
            }
            if attempt == 0 {
                messages.push(ChatMessage::assistant(answer.text));
                messages.push(ChatMessage::user(
                    "That was not the JSON object asked for. Reply with only \
                     {\"score\": <integer 1-5>, \"rationale\": \"<one sentence>\"}.",
                ));
            }
        }
        Ok(fallback(
            case,
            given,
            "the language model's answer was unreadable",
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::parse_judgement;

    #[test]
    fn only_a_whole_valid_judgement_is_read() {
        let j =
            parse_judgement("{\"score\": 4, \"rationale\": \"Same disease.\\nMore.\"}").unwrap();
        assert_eq!((j.score, j.rationale.as_str()), (4, "Same disease."));
        assert!(parse_judgement("{\"score\": 6, \"rationale\": \"x\"}").is_none());
        assert!(parse_judgement("{\"score\": \"4\", \"rationale\": \"x\"}").is_none());
        assert!(parse_judgement("{\"score\": 3}").is_none());
        assert!(parse_judgement("{\"score\": 3, \"rationale\": \"  \"}").is_none());
        assert!(parse_judgement("score: 5").is_none());
    }
}

//! The judge with a language model: a 5-point rubric (core disease, cause, site, specificity,
//! completeness), correct at 4 or more, asked for strict JSON. A malformed answer gets one repair
//! request; after that, or when the model cannot be reached, the offline judge scores and says so.
//!
//! The model is checked, not trusted: what is not one diagnosis (a placeholder, a question, a
//! list) never reaches it, the name itself or a synonym needs no model, and a model score more
//! than a point away from the offline judge's is asked a second time; when the second answer
//! disagrees as well, the offline judge's score stands and the verdict says so.

use crate::engine::case::Case;
use crate::engine::judge::{names_one_diagnosis, Judge, Judgement, OfflineJudge, OFFLINE_JUDGE};
use crate::engine::llm_json::first_object;
use crate::engine::EngineError;
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
        by: String::new(),
    })
}

fn fallback(case: &Case, given: &str, why: &str) -> Option<Judgement> {
    OfflineJudge.judge(case, given).map(|j| Judgement {
        rationale: format!("{} (Scored by the offline judge: {why}.)", j.rationale),
        by: format!("{OFFLINE_JUDGE} ({why})"),
        ..j
    })
}

/// What the model said, after one repair request if needed.
enum Said {
    Judged(Judgement),
    Unreadable,
    Unreachable,
}

impl LlmJudge {
    async fn ask(&self, case: &Case, truth: &str, given: &str, seed: Option<u64>) -> Said {
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
                seed,
                ..ChatRequest::new(messages.clone())
            };
            let answer = match self.client.complete(&request, None).await {
                Ok(answer) => answer,
                Err(err) => {
                    tracing::warn!(error = %err, "the LLM judge did not answer");
                    return Said::Unreachable;
                }
            };
            if let Some(judgement) = parse_judgement(&answer.text) {
                return Said::Judged(judgement);
            }
            if attempt == 0 {
                messages.push(ChatMessage::assistant(answer.text));
                messages.push(ChatMessage::user(
                    "That was not the JSON object asked for. Reply with only \
                     {\"score\": <integer 1-5>, \"rationale\": \"<one sentence>\"}.",
                ));
            }
        }
        Said::Unreadable
    }

    fn signed(&self, judgement: Judgement, offline: &Judgement, second: bool) -> Judgement {
        let model = if self.model.is_empty() {
            self.client.default_model().to_string()
        } else {
            self.model.clone()
        };
        Judgement {
            by: format!(
                "the language-model judge ({model}){}, within a point of the offline judge ({}/5)",
                if second { " on a second judgement" } else { "" },
                offline.score
            ),
            ..judgement
        }
    }
}

#[async_trait::async_trait]
impl Judge for LlmJudge {
    async fn judge(&self, case: &Case, given: &str) -> Result<Option<Judgement>, EngineError> {
        let Some(truth) = case.diagnosis.as_deref() else {
            return Ok(None);
        };
        let Some(offline) = OfflineJudge.judge(case, given) else {
            return Ok(None);
        };
        // A placeholder, a question or a list is no diagnosis: nothing for a model to weigh.
        // The name itself or a synonym needs no model either.
        if !names_one_diagnosis(given) || offline.score == 5 {
            return Ok(Some(offline));
        }
        let first = match self.ask(case, truth, given, None).await {
            Said::Judged(j) => j,
            Said::Unreadable => {
                return Ok(fallback(
                    case,
                    given,
                    "the language model's answer was unreadable",
                ))
            }
            Said::Unreachable => {
                return Ok(fallback(case, given, "the language model did not answer"))
            }
        };
        if first.score.abs_diff(offline.score) <= 1 {
            return Ok(Some(self.signed(first, &offline, false)));
        }
        // Too far from the offline judge: a second, independent judgement (another seed).
        if let Said::Judged(second) = self.ask(case, truth, given, Some(1)).await {
            if second.score.abs_diff(offline.score) <= 1 {
                return Ok(Some(self.signed(second, &offline, true)));
            }
        }
        tracing::warn!(
            model_score = first.score,
            offline_score = offline.score,
            "the LLM judge disagreed with the offline judge twice; the offline score stands"
        );
        Ok(Some(Judgement {
            rationale: format!(
                "{} (The language model scored {}/5; it disagreed with the offline judge by more \
                 than a point twice, so the offline judge's score stands.)",
                offline.rationale, first.score
            ),
            by: format!("{OFFLINE_JUDGE}, overruling the language-model judge (flagged)"),
            ..offline
        }))
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

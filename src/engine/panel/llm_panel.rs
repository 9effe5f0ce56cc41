//! The panel with language models. A turn is a chain of debate: Hypothesis, Test-Chooser and
//! Challenger speak independently and at once; Stewardship and Checklist then read them, with
//! the prices and validity of every test proposed; a consensus call turns it all into one
//! action in strict JSON. An unusable consensus gets one repair request naming its defects,
//! then the brief's safe fallback.

use super::brief::Brief;
use super::consensus::{parse_consensus, Consensus};
use super::fit::{fitted, shortened, Window};
use super::personas::Persona;
use super::{Deliberation, Panel, PersonaSink};
use crate::engine::EngineError;
use crate::llm::{ChatMessage, ChatRequest, LlmClient, LlmError};
use crate::protocol::PanelContribution;
use std::collections::HashMap;
use std::sync::Arc;

const CONSENSUS: &str = "You chair a diagnostic panel of five physicians who work a case one \
step at a time. Every question round and every test costs money, and the panel is judged on \
both accuracy and cost. Read the case so far and the panel's discussion, then decide the single \
next action. Diagnose when the leading diagnosis is well supported and no affordable step would \
change it; otherwise ask the questions or order the tests that best separate the leading \
diagnoses. Use standard, orderable test names. Reply with only a JSON object of exactly this \
shape:\n\
{\"differential\": [{\"diagnosis\": \"<name>\", \"probability\": <0 to 1>}, ... at most 3, \
probabilities adding up to at most 1],\n \
\"action\": {\"type\": \"ask\", \"questions\": [\"<question>\", ... 1 to 3]} \
or {\"type\": \"order\", \"tests\": [\"<test name>\", ... 1 to 3]} \
or {\"type\": \"diagnose\", \"diagnosis\": \"<specific diagnosis>\", \"confidence\": <0 to 1>},\n \
\"reasons\": \"<one or two sentences>\"}";

const FORMAT: &str = "Answer in at most 120 words. Put every test you propose on its own line as \
`Test: <standard test name>` and every question as `Question: <question>`.";

/// Added to the seed of a persona's request that came back empty, for its one second try.
const EMPTY_RETRY_SEED: u64 = 7_919;

/// The panel with language models.
pub struct LlmPanel {
    client: Arc<dyn LlmClient>,
    models: HashMap<Persona, String>,
    consensus_model: String,
    temperature: f32,
    seed: u64,
    /// The model's context window, once a server refused a prompt as too long.
    window: Window,
}

impl LlmPanel {
    /// A panel asking `client` for every persona (its default model), temperature 0.2.
    pub fn new(client: Arc<dyn LlmClient>) -> Self {
        Self {
            client,
            models: HashMap::new(),
            consensus_model: String::new(),
            temperature: 0.2,
            seed: 0,
            window: Window::default(),
        }
    }

    /// `persona` speaks with `model`.
    pub fn with_model(mut self, persona: Persona, model: impl Into<String>) -> Self {
        self.models.insert(persona, model.into());
        self
    }

    /// The base sampling seed (ensemble members add their number to it).
    pub fn with_seed(mut self, seed: u64) -> Self {
        self.seed = seed;
        self
    }

    /// Sampling for one request: ensemble members differ in seed and temperature, so neither
    /// the endpoint nor the response cache can make them one panel.
    fn sampling(&self, brief: &Brief<'_>) -> (f32, Option<u64>) {
        match brief.member {
            Some(m) => (
                (self.temperature + 0.2 * (m.saturating_sub(1)) as f32).min(1.0),
                Some(self.seed + u64::from(m)),
            ),
            None => (self.temperature, Some(self.seed)),
        }
    }

    /// One persona's words; the second round reads `earlier` (the first round's words and the
    /// price sheet), shortened to the model's window when it is known to be small.
    async fn speak(
        &self,
        persona: Persona,
        brief: &Brief<'_>,
        earlier: Option<(&[PanelContribution], &str)>,
        sink: Option<PersonaSink<'_>>,
    ) -> PanelContribution {
        let (temperature, seed) = self.sampling(brief);
        const ANSWER: u32 = 350;
        let prompt = |case: &str, share: Option<usize>| {
            let mut prompt = case.to_string();
            if let Some((said, sheet)) = earlier {
                prompt.push('\n');
                prompt.push_str(&format!(
                    "The panel so far:\n\n{}\n{sheet}",
                    discussion(said, share)
                ));
            }
            prompt.push_str("\n\n");
            prompt.push_str(FORMAT);
            prompt
        };
        // The case so far and the discussion, fitted to the window when it is known.
        let request_for = |window: &Window| {
            let other = persona.instructions().len() + prompt("", Some(0)).len();
            let (case, share) = fitted(window, brief, other, ANSWER, earlier.map(|(s, _)| s));
            ChatRequest {
                model: self.models.get(&persona).cloned().unwrap_or_default(),
                temperature,
                seed,
                max_tokens: Some(ANSWER),
                ..ChatRequest::new(vec![
                    ChatMessage::system(persona.instructions()),
                    ChatMessage::user(prompt(&case, share)),
                ])
            }
        };
        let mut request = request_for(&self.window);
        let forward = |text: &str| {
            if let Some(sink) = sink {
                sink(persona, text)
            }
        };
        let stream: Option<&(dyn Fn(&str) + Send + Sync)> =
            if sink.is_some() { Some(&forward) } else { None };
        let mut answered = self.client.complete(&request, stream).await;
        // Too long for the window: once more, shortened to what fits.
        if let Err(err) = &answered {
            if self.window.learn(err) {
                request = request_for(&self.window);
                answered = self.client.complete(&request, stream).await;
            }
        }
        // A small model sometimes ends at once with nothing said; the same seed would say
        // nothing again, another may not.
        if answered == Err(LlmError::Empty) {
            let again = ChatRequest {
                seed: Some(seed.unwrap_or(0).wrapping_add(EMPTY_RETRY_SEED)),
                ..request.clone()
            };
            answered = self.client.complete(&again, stream).await;
        }
        match answered {
            Ok(answer) => PanelContribution {
                persona: persona.key().into(),
                text: if answer.cut_off {
                    format!("{} [cut off at the token limit]", answer.text.trim())
                } else {
                    answer.text.trim().to_string()
                },
                failed: false,
            },
            Err(err) => {
                tracing::warn!(persona = persona.key(), error = %err, "a panel member did not answer");
                PanelContribution {
                    persona: persona.key().into(),
                    text: format!("{} could not take part: {err}.", persona.title()),
                    failed: true,
                }
            }
        }
    }
}

/// The personas' words as the next prompt shows them, each cut to `share` characters when set.
fn discussion(contributions: &[PanelContribution], share: Option<usize>) -> String {
    contributions
        .iter()
        .filter(|c| !c.failed)
        .map(|c| {
            let title = Persona::from_key(&c.persona).map_or(c.persona.as_str(), |p| p.title());
            format!("### {title}\n{}\n", shortened(&c.text, share))
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// A model answer the panel cannot use is repaired or replaced; a model it cannot reach ends
/// the turn.
fn unusable(err: &LlmError) -> bool {
    matches!(err, LlmError::Malformed(_) | LlmError::Empty)
}

#[async_trait::async_trait]
impl Panel for LlmPanel {
    fn engine(&self) -> &'static str {
        "llm"
    }

    /// The client's default model, then any persona that speaks with another one.
    fn model(&self) -> Option<String> {
        let default = self.client.default_model().to_string();
        let mut names = vec![default.clone()];
        for persona in Persona::ALL {
            match self.models.get(&persona) {
                Some(model) if !model.is_empty() && *model != default => {
                    names.push(format!("{} {model}", persona.title()))
                }
                _ => {}
            }
        }
        Some(names.join("; "))
    }

    async fn deliberate(
        &self,
        brief: &Brief<'_>,
        sink: Option<PersonaSink<'_>>,
    ) -> Result<Deliberation, EngineError> {
        let first = futures_util::future::join_all(
            [
                Persona::Hypothesis,
                Persona::TestChooser,
                Persona::Challenger,
            ]
            .map(|p| self.speak(p, brief, None, sink)),
        )
        .await;
        let texts: Vec<&str> = first
            .iter()
            .filter(|c| !c.failed)
            .map(|c| c.text.as_str())
            .collect();
        let sheet = brief.price_sheet(&texts);
        let second = futures_util::future::join_all(
            [Persona::Stewardship, Persona::Checklist]
                .map(|p| self.speak(p, brief, Some((&first, &sheet)), sink)),
        )
        .await;
        let contributions: Vec<PanelContribution> = first.into_iter().chain(second).collect();
        let mut notes: Vec<String> = contributions
            .iter()
            .filter(|c| c.failed)
            .map(|c| c.text.clone())
            .collect();
        if contributions.iter().all(|c| c.failed) {
            let why = contributions
                .first()
                .map(|c| c.text.clone())
                .unwrap_or_default();
            return Err(EngineError::PanelUnavailable(format!(
                "no member of the panel could be reached ({why})"
            )));
        }

        let (temperature, seed) = self.sampling(brief);
        const ANSWER: u32 = 500;
        let opening = |case: &str, share: Option<usize>| {
            vec![
                ChatMessage::system(CONSENSUS),
                ChatMessage::user(format!(
                    "{case}\nThe panel's discussion:\n\n{}\n{sheet}\n\nNow reply with the JSON object.",
                    discussion(&contributions, share)
                )),
            ]
        };
        // The messages of an attempt: the opening, the case so far and the discussion fitted
        // to the window when it is known, then any repair exchange.
        let messages_for = |repair: &[ChatMessage]| {
            let other: usize = opening("", Some(0))
                .iter()
                .chain(repair)
                .map(|m| m.content.len())
                .sum();
            let (case, share) = fitted(&self.window, brief, other, ANSWER, Some(&contributions));
            let mut messages = opening(&case, share);
            messages.extend_from_slice(repair);
            messages
        };
        let mut repair: Vec<ChatMessage> = Vec::new();
        let mut parsed: Option<Consensus> = None;
        let mut problem = String::new();
        for attempt in 0..2 {
            let request_for = |repair: &[ChatMessage]| ChatRequest {
                model: self.consensus_model.clone(),
                temperature: if brief.member.is_some() {
                    temperature
                } else {
                    0.0
                },
                seed,
                json: true,
                max_tokens: Some(ANSWER),
                ..ChatRequest::new(messages_for(repair))
            };
            let mut result = self.client.complete(&request_for(&repair), None).await;
            // Too long for the window: once more, the discussion shortened to what fits.
            if let Err(err) = &result {
                if self.window.learn(err) {
                    result = self.client.complete(&request_for(&repair), None).await;
                }
            }
            let mut cut_off = false;
            let answer = match result {
                Ok(answer) => {
                    cut_off = answer.cut_off;
                    answer.text
                }
                Err(err) if unusable(&err) => {
                    problem = err.to_string();
                    String::new()
                }
                Err(err) => {
                    return Err(EngineError::PanelUnavailable(format!(
                        "the consensus step failed: {err}"
                    )))
                }
            };
            if !answer.is_empty() {
                match parse_consensus(&answer) {
                    Ok(consensus) => match brief.check(&consensus) {
                        Ok(()) => {
                            if attempt > 0 {
                                notes.push(format!(
                                    "The first consensus answer was unusable ({problem}); the repaired answer was used."
                                ));
                            }
                            return Ok(Deliberation {
                                contributions,
                                consensus,
                                notes,
                            });
                        }
                        Err(why) => {
                            problem = why;
                            parsed = Some(consensus);
                        }
                    },
                    Err(why) => {
                        problem = if cut_off {
                            "it was cut off at the token limit before the JSON object was \
                             complete: keep \"reasons\" to one short sentence"
                                .to_string()
                        } else {
                            why
                        }
                    }
                }
            }
            if attempt == 0 {
                repair.push(ChatMessage::assistant(answer));
                repair.push(ChatMessage::user(format!(
                    "That answer cannot be used: {problem}. This turn: {} Reply with only the corrected JSON \
                     object in the shape given.",
                    brief.rules_text()
                )));
            }
        }
        let consensus = brief.fallback(parsed.as_ref());
        notes.push(format!(
            "The consensus answer was unusable twice ({problem}); the panel fell back to a safe action: {}.",
            consensus.action.proposal().describe()
        ));
        Ok(Deliberation {
            contributions,
            consensus,
            notes,
        })
    }
}

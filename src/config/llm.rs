//! The language-model settings: endpoint, model, key (redacted everywhere), limits, prices and
//! per-persona models. With no base URL set, Dx0 runs offline.

use crate::engine::panel::Persona;
use crate::llm::{OpenAiConfig, Pricing, SystemRole};

fn parse_system_role(text: &str) -> Result<SystemRole, String> {
    SystemRole::parse(text).ok_or_else(|| format!("{text:?}: expected auto, keep or fold"))
}
use clap::Args;
use std::collections::BTreeMap;
use std::fmt;
use std::time::Duration;

/// How to reach a language model (all optional: unset means offline).
#[derive(Clone, Args)]
pub struct LlmArgs {
    /// OpenAI-compatible API base, up to and including `/v1` (e.g. `https://api.openai.com/v1`,
    /// `http://localhost:11434/v1` for Ollama). Unset: the offline engine.
    #[arg(long = "llm-base-url", env = "DX0_LLM_BASE_URL")]
    pub base_url: Option<String>,
    /// The model name the endpoint knows.
    #[arg(
        long = "llm-model",
        env = "DX0_LLM_MODEL",
        default_value = "gpt-4o-mini"
    )]
    pub model: String,
    /// The API key (also read from `OPENAI_API_KEY`); never logged or printed.
    #[arg(long = "llm-api-key", env = "DX0_LLM_API_KEY", hide_env_values = true)]
    pub api_key: Option<String>,
    /// Seconds one call may take, streaming included.
    #[arg(long = "llm-timeout", env = "DX0_LLM_TIMEOUT", default_value_t = 60)]
    pub timeout_secs: u64,
    /// Further attempts after a 429, a 5xx, a timeout or a dropped connection.
    #[arg(
        long = "llm-max-retries",
        env = "DX0_LLM_MAX_RETRIES",
        default_value_t = 3
    )]
    pub max_retries: u32,
    /// Calls in flight at once.
    #[arg(
        long = "llm-concurrency",
        env = "DX0_LLM_CONCURRENCY",
        default_value_t = 4
    )]
    pub concurrency: usize,
    /// Dollars per 1 000 prompt tokens, for accounting.
    #[arg(long = "llm-price-input", env = "DX0_LLM_PRICE_INPUT", default_value = "0", value_parser = parse_price)]
    pub price_input: i64,
    /// Dollars per 1 000 completion tokens, for accounting.
    #[arg(long = "llm-price-output", env = "DX0_LLM_PRICE_OUTPUT", default_value = "0", value_parser = parse_price)]
    pub price_output: i64,
    /// Ask for JSON with `response_format` (turned off by itself if the endpoint refuses it).
    #[arg(long = "llm-json-mode", env = "DX0_LLM_JSON_MODE", default_value_t = true, action = clap::ArgAction::Set)]
    pub json_mode: bool,
    /// Where the instructions go: `system` messages (`keep`), folded into the first user
    /// message (`fold`, for chat templates that drop system messages, such as Gemma's), or
    /// `auto`: found out on the first call by comparing the prompt tokens the endpoint counts
    /// with and without a system message.
    #[arg(long = "llm-system-role", env = "DX0_LLM_SYSTEM_ROLE", default_value = "auto", value_parser = parse_system_role)]
    pub system_role: SystemRole,
    /// Other models for some personas: `hypothesis=gpt-4o,challenger=o3-mini`.
    #[arg(long = "llm-persona-models", env = "DX0_LLM_PERSONA_MODELS", value_parser = parse_persona_models, default_value = "")]
    pub persona_models: PersonaModels,
}

impl fmt::Debug for LlmArgs {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LlmArgs")
            .field("base_url", &self.base_url)
            .field("model", &self.model)
            .field("api_key", &self.api_key.as_ref().map(|_| "[redacted]"))
            .field("timeout_secs", &self.timeout_secs)
            .field("max_retries", &self.max_retries)
            .field("concurrency", &self.concurrency)
            .field("persona_models", &self.persona_models)
            .finish_non_exhaustive()
    }
}

/// Models chosen per persona.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PersonaModels(pub BTreeMap<String, String>);

impl PersonaModels {
    /// The model of `persona`, if overridden.
    pub fn get(&self, persona: &str) -> Option<&str> {
        self.0.get(persona).map(String::as_str)
    }
}

fn parse_price(text: &str) -> Result<i64, String> {
    Pricing::parse_per_1k(text)
        .ok_or_else(|| format!("{text:?} is not a price in dollars per 1 000 tokens (e.g. 0.0025)"))
}

fn parse_persona_models(text: &str) -> Result<PersonaModels, String> {
    let mut map = BTreeMap::new();
    for part in text.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        let Some((persona, model)) = part.split_once('=') else {
            return Err(format!("{part:?} is not persona=model"));
        };
        let persona = persona.trim().to_lowercase();
        if Persona::from_key(&persona).is_none() {
            let known: Vec<&str> = Persona::ALL.iter().map(|p| p.key()).collect();
            return Err(format!(
                "unknown persona {persona:?}; the personas are {}",
                known.join(", ")
            ));
        }
        let model = model.trim();
        if model.is_empty() {
            return Err(format!("no model given for {persona}"));
        }
        map.insert(persona, model.to_string());
    }
    Ok(PersonaModels(map))
}

impl LlmArgs {
    /// The client configuration, or `None` when no endpoint is set (offline).
    pub fn client_config(&self) -> Option<OpenAiConfig> {
        let base_url = self.base_url.as_deref()?.trim();
        if base_url.is_empty() {
            return None;
        }
        Some(OpenAiConfig {
            api_key: self.api_key.clone().filter(|k| !k.is_empty()),
            timeout: Duration::from_secs(self.timeout_secs.max(1)),
            max_retries: self.max_retries,
            concurrency: self.concurrency.max(1),
            pricing: Pricing {
                input_per_1k_micros: self.price_input,
                output_per_1k_micros: self.price_output,
            },
            json_mode: self.json_mode,
            system_role: self.system_role,
            ..OpenAiConfig::new(base_url, self.model.clone())
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    #[derive(Debug, Parser)]
    struct Wrapper {
        #[command(flatten)]
        llm: LlmArgs,
    }

    #[test]
    fn persona_models_are_checked() {
        let ok = parse_persona_models("Hypothesis=gpt-4o, challenger = o3-mini").unwrap();
        assert_eq!(ok.get("hypothesis"), Some("gpt-4o"));
        assert_eq!(ok.get("challenger"), Some("o3-mini"));
        assert_eq!(ok.get("checklist"), None);
        assert!(parse_persona_models("surgeon=gpt-4o")
            .unwrap_err()
            .contains("unknown persona"));
        assert!(parse_persona_models("hypothesis").is_err());
        assert_eq!(parse_persona_models("").unwrap(), PersonaModels::default());
    }

    #[test]
    fn no_base_url_means_offline_and_the_key_never_shows() {
        let offline = Wrapper::try_parse_from(["x"]).unwrap();
        assert!(offline.llm.client_config().is_none());
        let online = Wrapper::try_parse_from([
            "x",
            "--llm-base-url",
            "http://localhost:11434/v1",
            "--llm-api-key",
            "sk-secret-value",
            "--llm-price-input",
            "0.0025",
        ])
        .unwrap();
        let config = online.llm.client_config().unwrap();
        assert_eq!(config.base_url, "http://localhost:11434/v1");
        assert_eq!(config.pricing.input_per_1k_micros, 2_500);
        assert!(!format!("{:?}", online.llm).contains("sk-secret-value"));
        assert!(!format!("{config:?}").contains("sk-secret-value"));
    }
}

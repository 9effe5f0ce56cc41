//! The composition root: the clinic (prices, gatekeeper, judge, panel) and the language-model
//! client built from the configuration, the same way for `dx0 serve`, `dx0 run` and the tests.

use super::Clinic;
use crate::config::{EncounterArgs, EngineChoice, LlmArgs};
use crate::engine::panel::{LlmPanel, Panel, Persona};
use crate::llm::cache::ResponseCache;
use crate::llm::{Completion, LlmClient};
use crate::store::{LlmCacheStore, Store};
use anyhow::bail;
use async_trait::async_trait;
use std::sync::Arc;

impl Clinic {
    /// The clinic the settings describe, and its language-model client (`None`: offline). With
    /// a model, gatekeeper, judge and estimator use it; the panel is `panel` (default: the
    /// model's when there is one, else the offline Bayesian panel), its personas seeded with
    /// `seed`.
    pub fn configured(
        encounter: &EncounterArgs,
        llm: &LlmArgs,
        store: Arc<dyn Store>,
        panel: Option<EngineChoice>,
        seed: u64,
    ) -> anyhow::Result<(Clinic, Option<Arc<dyn LlmClient>>)> {
        let client = llm_client(llm, store)?;
        let mut clinic = Clinic::offline(
            encounter.visit_cost,
            encounter.budget_limit,
            encounter.default_case.clone(),
        );
        if let Some(client) = &client {
            clinic = clinic.with_llm(client.clone());
        }
        let choice = panel.unwrap_or(if client.is_some() {
            EngineChoice::Llm
        } else {
            EngineChoice::Offline
        });
        let panel: Arc<dyn Panel> = match (choice, &client) {
            (EngineChoice::Llm, Some(client)) => Arc::new(llm_panel(client.clone(), llm, seed)),
            (EngineChoice::Llm, None) => bail!(
                "--engine llm needs a language model: set DX0_LLM_BASE_URL (and DX0_LLM_MODEL, \
                 DX0_LLM_API_KEY)"
            ),
            (EngineChoice::Offline, _) => Arc::new(
                crate::engine::panel::offline::bundled_panel(&clinic.prices)
                    .map_err(anyhow::Error::msg)?,
            ),
        };
        Ok((clinic.with_panel(panel), client))
    }
}

/// The language-model client the settings describe (`None`: offline), its answers cached in
/// the database.
pub fn llm_client(
    args: &LlmArgs,
    store: Arc<dyn Store>,
) -> anyhow::Result<Option<Arc<dyn LlmClient>>> {
    let Some(config) = args.client_config() else {
        return Ok(None);
    };
    let cache = Arc::new(StoreCache::new(store));
    let client = crate::llm::OpenAiClient::new(config, Some(cache)).map_err(anyhow::Error::msg)?;
    Ok(Some(Arc::new(client)))
}

/// The LLM panel with the configured per-persona models and seed.
pub fn llm_panel(client: Arc<dyn LlmClient>, args: &LlmArgs, seed: u64) -> LlmPanel {
    args.persona_models
        .0
        .iter()
        .filter_map(|(key, model)| Persona::from_key(key).map(|p| (p, model)))
        .fold(
            LlmPanel::new(client).with_seed(seed),
            |panel, (persona, model)| panel.with_model(persona, model.clone()),
        )
}

/// The database's answer table as the language-model client's response cache; it sees only
/// that table's two calls.
pub struct StoreCache(pub Arc<dyn LlmCacheStore + Send + Sync>);

impl StoreCache {
    /// The cache kept in `store`.
    pub fn new(store: Arc<dyn Store>) -> Self {
        Self(store)
    }
}

#[async_trait]
impl ResponseCache for StoreCache {
    async fn get(&self, key: &str) -> Option<Completion> {
        match self.0.llm_cached(key).await {
            Ok(Some(body)) => serde_json::from_str(&body).ok(),
            Ok(None) => None,
            Err(err) => {
                tracing::warn!(error = %err, "cannot read the LLM response cache");
                None
            }
        }
    }

    async fn put(&self, key: &str, completion: &Completion) {
        let Ok(body) = serde_json::to_string(completion) else {
            return;
        };
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_millis() as i64)
            .unwrap_or_default();
        if let Err(err) = self
            .0
            .llm_cache_put(key, &completion.model, &body, now)
            .await
        {
            tracing::warn!(error = %err, "cannot write the LLM response cache");
        }
    }
}

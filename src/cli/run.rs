//! `dx0 run CASE_ID`: the AI panel works one case in the terminal. Each turn prints as it
//! happens (the personas, the decision, the step and its answer); the output ends with the
//! lines `Verdict: correct|incorrect (score N/5)` and `Total cost: $X`.

use crate::auth::{Clock, SystemClock};
use crate::config::{EngineChoice, LlmArgs, RunArgs};
use crate::engine::encounter::EncounterState;
use crate::engine::panel::{run_panel, LlmPanel, Panel, Persona, RunEvent, RunOptions, RunOutcome};
use crate::engine::Case;
use crate::llm::LlmClient;
use crate::protocol::{Action, Money, PanelTurn, Turn};
use crate::server::Clinic;
use crate::store::{self, Store};
use anyhow::{anyhow, bail};
use std::sync::Arc;

/// The language-model client the settings describe (`None`: offline), its answers cached in
/// the database.
pub fn llm_client(
    args: &LlmArgs,
    store: Arc<dyn Store>,
) -> anyhow::Result<Option<Arc<dyn LlmClient>>> {
    let Some(config) = args.client_config() else {
        return Ok(None);
    };
    let cache = Arc::new(crate::llm::cache::StoreCache(store));
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

/// Runs `dx0 run`.
pub async fn run(args: RunArgs) -> anyhow::Result<()> {
    let (mode, budget) = args.mode_and_budget().map_err(anyhow::Error::msg)?;
    let store = store::open(&args.database.url).await?;
    let result = work(&args, store.clone(), mode, budget).await;
    store.close().await;
    result
}

async fn work(
    args: &RunArgs,
    store: Arc<dyn Store>,
    mode: crate::engine::panel::Mode,
    budget: Option<Money>,
) -> anyhow::Result<()> {
    crate::server::encounter::install_bundled_cases(store.as_ref(), SystemClock.now_ms()).await?;
    let record = store
        .case(&args.case)
        .await?
        .ok_or_else(|| anyhow!("no case {:?} (see `dx0 cases list`)", args.case))?;
    let case: Case = serde_json::from_str(&record.body)?;
    let client = llm_client(&args.llm, store)?;
    let choice = args.engine.unwrap_or(if client.is_some() {
        EngineChoice::Llm
    } else {
        EngineChoice::Offline
    });
    let mut clinic = Clinic::offline(args.encounter.visit_cost, None, None);
    if let Some(client) = &client {
        clinic = clinic.with_llm(client.clone());
    }
    let panel: Box<dyn Panel> = match (choice, &client) {
        (EngineChoice::Llm, Some(client)) => {
            Box::new(llm_panel(client.clone(), &args.llm, args.seed))
        }
        (EngineChoice::Llm, None) => bail!(
            "--engine llm needs a language model: set DX0_LLM_BASE_URL (and DX0_LLM_MODEL, \
             DX0_LLM_API_KEY)"
        ),
        (EngineChoice::Offline, _) => Box::new(
            crate::engine::bayes::bundled_panel(&clinic.prices).map_err(anyhow::Error::msg)?,
        ),
    };
    let options = RunOptions {
        mode,
        max_turns: args.max_turns,
        members: args.panels,
    };

    println!(
        "Case {}: {} ({}, {})",
        case.id,
        case.title,
        case.specialty,
        case.difficulty.as_str()
    );
    let mut setting = format!("Panel: {}, mode {}", panel.engine(), mode.key());
    if let Some(client) = &client {
        setting.push_str(&format!(", model {}", client.default_model()));
    }
    match budget {
        Some(budget) => setting.push_str(&format!(", budget ${budget}")),
        None => setting.push_str(", no budget"),
    }
    println!("{setting}");
    println!("\n{}", case.summary.trim());

    let show_personas = !args.decisions_only;
    let print = move |event: RunEvent<'_>| match event {
        RunEvent::Deliberated(turn) => print!("{}", deliberation(turn, show_personas)),
        RunEvent::Stepped { member, turn } => print!("{}", step(member, turn)),
        RunEvent::Words { .. } | RunEvent::Voted(_) => {}
    };
    let mut state = EncounterState::new(budget);
    let engine = clinic.engine(&case);
    let outcome = run_panel(&engine, &mut state, panel.as_ref(), &options, Some(&print)).await;

    if let Some(client) = &client {
        let totals = client.totals();
        println!(
            "\nLanguage model: {} calls ({} from the cache), {} prompt + {} completion tokens, ${:.4}",
            totals.calls,
            totals.cache_hits,
            totals.prompt_tokens,
            totals.completion_tokens,
            totals.cost_micros as f64 / 1e6
        );
    }
    if let Some(by) = state.diagnosed_by() {
        println!("Diagnosed by: {}", by.name(None));
    }
    match outcome {
        RunOutcome::Verdict(Some(verdict)) => {
            println!("True diagnosis: {}", verdict.diagnosis);
            println!(
                "Verdict: {} (score {}/5)",
                if verdict.correct {
                    "correct"
                } else {
                    "incorrect"
                },
                verdict.score
            );
            println!("Total cost: ${}", state.spent);
            Ok(())
        }
        RunOutcome::Verdict(None) => {
            println!("Verdict: not judged (the case has no recorded diagnosis)");
            println!("Total cost: ${}", state.spent);
            Ok(())
        }
        RunOutcome::Stopped(why) => {
            println!("Total cost so far: ${}", state.spent);
            Err(anyhow!("{why}"))
        }
    }
}

fn indent(text: &str, by: &str) -> String {
    text.trim()
        .lines()
        .collect::<Vec<_>>()
        .join(&format!("\n{by}"))
}

fn member_tag(member: Option<u32>) -> String {
    member.map(|m| format!("[panel {m}] ")).unwrap_or_default()
}

/// One turn's deliberation, as printed.
fn deliberation(turn: &PanelTurn, show_personas: bool) -> String {
    let heading = match (turn.member, turn.contributions.is_empty()) {
        (None, true) => "Ensemble vote".to_string(),
        (Some(m), _) => format!("Turn {} (panel {m})", turn.turn),
        (None, false) => format!("Turn {}", turn.turn),
    };
    let mut out = format!("\n── {heading} ──\n");
    if show_personas {
        for c in &turn.contributions {
            let title = Persona::from_key(&c.persona).map_or(c.persona.as_str(), |p| p.title());
            out.push_str(&format!("  {title}: {}\n", indent(&c.text, "      ")));
        }
    }
    if !turn.differential.is_empty() {
        out.push_str(&format!("  Differential: {}\n", turn.differential_text()));
    }
    let decision = turn.proposal.describe();
    out.push_str(&format!(
        "  Decision: {decision}\n  Because: {}\n",
        turn.reasons
    ));
    for note in &turn.notes {
        out.push_str(&format!("  Note: {note}\n"));
    }
    out
}

/// One step and its answer, as printed.
fn step(member: Option<u32>, turn: &Turn) -> String {
    let tag = member_tag(member);
    let label = match turn.action {
        Action::Question => "Question",
        Action::Test => "Tests",
        _ => "Diagnosis",
    };
    let cost = if turn.cost.0 > 0 {
        format!(" (+${})", turn.cost)
    } else {
        String::new()
    };
    format!(
        "{tag}{label}: {}{cost}\n{tag}  → {}\n",
        turn.content.trim(),
        indent(&turn.reply, &format!("{tag}    "))
    )
}

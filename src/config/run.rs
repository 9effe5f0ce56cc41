//! Flags of `dx0 run`: one case worked by the AI panel in the terminal.

use super::{parse_money, DatabaseArgs, EncounterArgs, LlmArgs};
use crate::engine::panel::Mode;
use crate::protocol::Money;
use clap::{Args, ValueEnum};

/// Which panel works the case.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum EngineChoice {
    /// The five personas played by a language model (needs `DX0_LLM_BASE_URL`).
    Llm,
    /// The offline Bayesian panel.
    Offline,
}

/// How the panel works (spelled as in product.md).
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ModeChoice {
    /// Diagnose from the abstract alone.
    Instant,
    /// Questions only, no tests.
    QuestionOnly,
    /// Everything within a budget (`--budget` or `DX0_BUDGET_LIMIT`).
    Budgeted,
    /// Everything, no budget.
    Unconstrained,
    /// Several independent panels (`--panels`), then a vote weighted by confidence.
    Ensemble,
}

impl From<ModeChoice> for Mode {
    fn from(choice: ModeChoice) -> Self {
        match choice {
            ModeChoice::Instant => Mode::Instant,
            ModeChoice::QuestionOnly => Mode::QuestionOnly,
            ModeChoice::Budgeted => Mode::Budgeted,
            ModeChoice::Unconstrained => Mode::Unconstrained,
            ModeChoice::Ensemble => Mode::Ensemble,
        }
    }
}

/// `dx0 run CASE_ID …`
#[derive(Debug, Args)]
pub struct RunArgs {
    /// The case (see `dx0 cases list`).
    pub case: String,
    /// The panel: `llm` or `offline`. Default: `llm` when a language model is configured.
    #[arg(long, value_enum)]
    pub engine: Option<EngineChoice>,
    /// The mode. Default: `budgeted` when a budget is given, else `unconstrained`.
    #[arg(long, value_enum)]
    pub mode: Option<ModeChoice>,
    /// The budget in dollars (budgeted and ensemble modes).
    #[arg(long, value_parser = parse_money)]
    pub budget: Option<Money>,
    /// The most turns of deliberation (of each ensemble panel); the last one must diagnose.
    #[arg(long, default_value_t = 10, value_parser = clap::value_parser!(u32).range(1..=50))]
    pub max_turns: u32,
    /// Panels in an ensemble.
    #[arg(long, default_value_t = 3, value_parser = clap::value_parser!(u32).range(2..=9))]
    pub panels: u32,
    /// The sampling seed (ensemble panels add their number to it).
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// Leave out the personas' contributions; show each turn's decision only.
    #[arg(long)]
    pub decisions_only: bool,
    /// The database (cases imported with `dx0 cases import` are found there).
    #[command(flatten)]
    pub database: DatabaseArgs,
    /// Costs and the default budget.
    #[command(flatten)]
    pub encounter: EncounterArgs,
    /// The language model.
    #[command(flatten)]
    pub llm: LlmArgs,
}

impl RunArgs {
    /// The mode and the encounter's budget, or why the flags do not fit together.
    pub fn mode_and_budget(&self) -> Result<(Mode, Option<Money>), String> {
        let mode = self
            .mode
            .map(Mode::from)
            .unwrap_or(if self.budget.is_some() {
                Mode::Budgeted
            } else {
                Mode::Unconstrained
            });
        match mode {
            Mode::Budgeted => match self.budget.or(self.encounter.budget_limit) {
                Some(budget) => Ok((mode, Some(budget))),
                None => Err(
                    "the budgeted mode needs a budget: --budget DOLLARS (or DX0_BUDGET_LIMIT)"
                        .into(),
                ),
            },
            Mode::Ensemble => Ok((mode, self.budget)),
            _ if self.budget.is_some() => Err(format!(
                "--budget applies to the budgeted and ensemble modes, not to {}",
                mode.key()
            )),
            _ => Ok((mode, None)),
        }
    }
}

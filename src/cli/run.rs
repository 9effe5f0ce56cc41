//! `dx0 run CASE_ID`: the AI panel works one case in the terminal. Each turn prints as it
//! happens (the personas, the decision, the step and its answer); the output ends with the
//! lines `Verdict: correct|incorrect (score N/5)` and `Total cost: $X`.

use crate::auth::{Clock, SystemClock};
use crate::clinic::Clinic;
use crate::config::RunArgs;
use crate::engine::encounter::EncounterState;
use crate::engine::panel::{run_panel, Persona, RunEvent, RunOptions, RunOutcome};
use crate::engine::Case;
use crate::protocol::{Action, Money, PanelTurn, Turn};
use crate::store::{self, Store};
use anyhow::anyhow;
use indicatif::{ProgressBar, ProgressStyle};
use std::io::Write;
use std::sync::{Arc, Mutex};
use std::time::Duration;

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
    crate::clinic::install_bundled_cases(store.as_ref(), SystemClock.now_ms()).await?;
    let record = store
        .case(&args.case)
        .await?
        .ok_or_else(|| anyhow!("no case {:?} (see `dx0 cases list`)", args.case))?;
    let case: Case = serde_json::from_str(&record.body)?;
    let (clinic, client) =
        Clinic::configured(&args.encounter, &args.llm, store, args.engine, args.seed)?;
    let panel = clinic.panel.as_ref();
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

    let printer = Printer::new(!args.decisions_only);
    let print = |event: RunEvent<'_>| printer.event(event);
    let mut state = EncounterState::new(budget);
    let engine = clinic.engine(&case);
    printer.waiting();
    let outcome = run_panel(&engine, &mut state, panel, &options, Some(&print), None).await;
    printer.done();

    if let Some(client) = &client {
        println!("\nLanguage model: {}", client.totals().describe());
    }
    if let Some(by) = state.diagnosed_by() {
        println!("Diagnosed by: {}", by.name(None));
    }
    match outcome {
        RunOutcome::Verdict(Some(verdict)) => {
            println!("True diagnosis: {}", verdict.diagnosis);
            if !verdict.judged_by.is_empty() {
                println!("Judged by: {}", verdict.judged_by);
            }
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

fn turn_heading(turn: u32, member: Option<u32>) -> String {
    match member {
        Some(m) => format!("Turn {turn} (panel {m})"),
        None => format!("Turn {turn}"),
    }
}

fn member_tag(member: Option<u32>) -> String {
    member.map(|m| format!("[panel {m}] ")).unwrap_or_default()
}

/// Prints a run as it happens: each persona's words as they stream in (a new line with the
/// speaker's name whenever the speaker changes), then each turn's decision and step; while
/// nothing comes, a progress line on the terminal (none when the output is not a terminal).
struct Printer {
    show_personas: bool,
    state: Mutex<Printing>,
}

#[derive(Default)]
struct Printing {
    /// Who spoke last, while words stream.
    speaker: Option<(Option<u32>, Persona)>,
    /// Who has spoken this turn (their words need not be printed again).
    spoke: Vec<(Option<u32>, Persona)>,
    spinner: Option<ProgressBar>,
    /// The last turn deliberated, by ensemble member.
    turns: Vec<(Option<u32>, u32)>,
    /// The turn heading was printed with the first words.
    headed: bool,
}

impl Printing {
    fn next_turn(&self, member: Option<u32>) -> u32 {
        self.turns
            .iter()
            .find(|(m, _)| *m == member)
            .map_or(1, |(_, t)| t + 1)
    }
}

impl Printer {
    fn new(show_personas: bool) -> Self {
        Self {
            show_personas,
            state: Mutex::new(Printing::default()),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Printing> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Shows the progress line until something is printed.
    fn waiting(&self) {
        let mut state = self.lock();
        if state.spinner.is_none() {
            let spinner = ProgressBar::new_spinner();
            spinner.set_style(
                ProgressStyle::with_template("{spinner} {msg} ({elapsed})")
                    .unwrap_or_else(|_| ProgressStyle::default_spinner()),
            );
            spinner.set_message(format!(
                "turn {}: the panel is deliberating",
                state.next_turn(None)
            ));
            spinner.enable_steady_tick(Duration::from_millis(120));
            state.spinner = Some(spinner);
        }
    }

    fn quiet(state: &mut Printing) {
        if let Some(spinner) = state.spinner.take() {
            spinner.finish_and_clear();
        }
    }

    fn done(&self) {
        let mut state = self.lock();
        Self::quiet(&mut state);
        if state.speaker.take().is_some() {
            println!();
        }
    }

    fn event(&self, event: RunEvent<'_>) {
        let mut state = self.lock();
        Self::quiet(&mut state);
        let mut out = std::io::stdout().lock();
        match event {
            RunEvent::Words {
                member,
                persona,
                text,
            } => {
                if !self.show_personas {
                    drop(state);
                    drop(out);
                    self.waiting();
                    return;
                }
                let who = (member, persona);
                if !state.headed {
                    let heading = turn_heading(state.next_turn(member), member);
                    let _ = write!(
                        out,
                        "{}\n── {heading} ──\n",
                        if state.speaker.is_some() { "\n" } else { "" }
                    );
                    state.headed = true;
                    state.speaker = None;
                }
                if state.speaker != Some(who) {
                    let again = state.spoke.contains(&who);
                    let _ = write!(
                        out,
                        "{}{}  {}{}: ",
                        if state.speaker.is_some() { "\n" } else { "" },
                        member_tag(member),
                        persona.title(),
                        if again { " (continued)" } else { "" }
                    );
                    state.speaker = Some(who);
                    if !again {
                        state.spoke.push(who);
                    }
                }
                let _ = write!(out, "{text}");
                let _ = out.flush();
            }
            RunEvent::Deliberated(turn) => {
                if state.speaker.take().is_some() {
                    let _ = writeln!(out);
                }
                let streamed = std::mem::take(&mut state.spoke);
                let headed = std::mem::take(&mut state.headed);
                let _ = write!(
                    out,
                    "{}",
                    deliberation(turn, self.show_personas, &streamed, headed)
                );
                state.turns.retain(|(m, _)| *m != turn.member);
                state.turns.push((turn.member, turn.turn));
            }
            RunEvent::Stepped { member, turn } => {
                let _ = write!(out, "{}", step(member, turn));
            }
            RunEvent::Voted(_) => {}
        }
        let _ = out.flush();
        drop(out);
        drop(state);
        self.waiting();
    }
}

/// One turn's deliberation, as printed; the words of those in `streamed` were printed as they
/// came.
fn deliberation(
    turn: &PanelTurn,
    show_personas: bool,
    streamed: &[(Option<u32>, Persona)],
    headed: bool,
) -> String {
    let heading = if turn.member.is_none() && turn.contributions.is_empty() {
        "Ensemble vote".to_string()
    } else {
        turn_heading(turn.turn, turn.member)
    };
    let mut out = if headed {
        String::new()
    } else {
        format!("\n── {heading} ──\n")
    };
    if show_personas {
        for c in &turn.contributions {
            let persona = Persona::from_key(&c.persona);
            if persona.is_some_and(|p| streamed.contains(&(turn.member, p))) {
                continue;
            }
            let title = persona.map_or(c.persona.as_str(), |p| p.title());
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

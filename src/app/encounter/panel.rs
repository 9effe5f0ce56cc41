//! The AI panel on the encounter page: "Ask the panel" (the deliberation streams in persona by
//! persona, then the proposed step with its reasons and a one-click accept), "Let the panel
//! run" (the panel works the case turn by turn to a verdict), the differential's probabilities
//! over the turns, and every earlier deliberation.

use super::desk::Desk;
use crate::protocol::{persona_title, Action, PanelProposal, PanelTurn};
use leptos::prelude::*;

/// The section under the composer.
#[component]
pub(super) fn PanelSection(desk: Desk) -> impl IntoView {
    let view = desk.view;
    let busy = move || {
        desk.panel_busy.read().is_some() || desk.pending.read().is_some() || !view.read().is_open()
    };
    let engine = move || match view.read().panel_engine.as_str() {
        "llm" => "Five physician personas played by a language model.",
        _ => "Five physician roles over a Bayesian engine and its knowledge base (offline).",
    };
    let status = move || {
        desk.panel_busy.get().map(|run| {
            if run {
                "The panel is working the case…"
            } else {
                "The panel is deliberating…"
            }
        })
    };
    view! {
        <section class="card panel" aria-labelledby="panel-title" data-testid="ai-panel">
            <h2 id="panel-title">"AI panel"</h2>
            <p class="muted">{engine}</p>
            <div class="panel-buttons">
                <button type="button" class="button" on:click=move |_| desk.call_panel(false) disabled=busy>
                    "Ask the panel"
                </button>
                <button type="button" class="button secondary" on:click=move |_| desk.call_panel(true) disabled=busy>
                    "Let the panel run"
                </button>
            </div>
            <p class="panel-status" role="status">{status}</p>
            <LiveWords desk/>
            <Proposal desk/>
            <DifferentialChart desk/>
            <EarlierTurns desk/>
        </section>
    }
}

/// The deliberation in progress, persona by persona.
#[component]
fn LiveWords(desk: Desk) -> impl IntoView {
    view! {
        <Show when=move || !desk.panel_words.read().is_empty()>
            <div class="panel-live" aria-live="polite" data-testid="panel-live">
                <For
                    each=move || desk.panel_words.get()
                    key=|(persona, text)| (persona.clone(), text.len())
                    children=|(persona, text)| view! {
                        <details open>
                            <summary>{persona_title(&persona)}</summary>
                            <p class="persona-text">{text}</p>
                        </details>
                    }
                />
            </div>
        </Show>
    }
}

fn proposal_line(proposal: &PanelProposal) -> String {
    format!("{}: {}", proposal.verb(), proposal.detail())
}

/// The newest deliberation while it can still be acted on: its contributions, the proposal,
/// the reasons, and one button per step it proposes.
#[component]
fn Proposal(desk: Desk) -> impl IntoView {
    let view = desk.view;
    let current = move || {
        let v = view.read();
        v.panel
            .last()
            .filter(|t| t.member.is_none() && t.at == v.transcript.len() && v.is_open())
            .cloned()
    };
    move || {
        current().map(|turn| {
            let accept: Vec<(Action, String, String)> = match &turn.proposal {
                PanelProposal::Ask { questions } => questions
                    .iter()
                    .map(|q| (Action::Question, q.clone(), format!("Ask: {q}")))
                    .collect(),
                PanelProposal::Order { tests } => {
                    let all = tests.join("; ");
                    vec![(Action::Test, all.clone(), format!("Order {all}"))]
                }
                PanelProposal::Diagnose { diagnosis, .. } => vec![(
                    Action::Diagnosis,
                    diagnosis.clone(),
                    format!("Diagnose {diagnosis}"),
                )],
            };
            view! {
                <div class="panel-proposal" data-testid="panel-proposal">
                    <TurnBody turn=turn.clone() open=true/>
                    <p class="proposal-line"><strong>{proposal_line(&turn.proposal)}</strong></p>
                    <p class="muted">{turn.reasons.clone()}</p>
                    <div class="panel-buttons">
                        {accept
                            .into_iter()
                            .map(|(action, content, label)| view! {
                                <button
                                    type="button"
                                    class="button"
                                    on:click=move |_| desk.send_step(action, content.clone())
                                    disabled=move || desk.pending.read().is_some() || desk.panel_busy.read().is_some()
                                >
                                    {label}
                                </button>
                            })
                            .collect_view()}
                    </div>
                </div>
            }
        })
    }
}

/// One turn's contributions (collapsible), its differential and notes.
#[component]
fn TurnBody(turn: PanelTurn, open: bool) -> impl IntoView {
    let differential = turn.differential_text();
    view! {
        <div class="panel-turn">
            {turn
                .contributions
                .into_iter()
                .map(|c| view! {
                    <details open=open class:failed=c.failed>
                        <summary>{persona_title(&c.persona)}</summary>
                        <p class="persona-text">{c.text}</p>
                    </details>
                })
                .collect_view()}
            {(!differential.is_empty()).then(|| view! { <p class="differential">"Differential: " {differential}</p> })}
            {turn
                .notes
                .into_iter()
                .map(|n| view! { <p class="panel-note">{n}</p> })
                .collect_view()}
        </div>
    }
}

/// Every earlier deliberation, newest last, collapsed.
#[component]
fn EarlierTurns(desk: Desk) -> impl IntoView {
    let view = desk.view;
    let turns = move || {
        let v = view.read();
        let actionable = v
            .panel
            .last()
            .is_some_and(|t| t.member.is_none() && t.at == v.transcript.len() && v.is_open());
        let keep = v.panel.len() - usize::from(actionable);
        v.panel[..keep].to_vec()
    };
    view! {
        <Show when=move || !turns().is_empty()>
            <details class="panel-history">
                <summary>{move || format!("Earlier deliberations ({})", turns().len())}</summary>
                {move || {
                    turns()
                        .into_iter()
                        .map(|turn| {
                            let title = match turn.member {
                                Some(m) => format!("Turn {} (panel {m}): {}", turn.turn, proposal_line(&turn.proposal)),
                                None => format!("Turn {}: {}", turn.turn, proposal_line(&turn.proposal)),
                            };
                            view! {
                                <details class="panel-past">
                                    <summary>{title}</summary>
                                    <p class="muted">{turn.reasons.clone()}</p>
                                    <TurnBody turn open=false/>
                                </details>
                            }
                        })
                        .collect_view()
                }}
            </details>
        </Show>
    }
}

/// The probabilities of the leading diagnoses over the panel's turns, as lines.
#[component]
fn DifferentialChart(desk: Desk) -> impl IntoView {
    const W: f64 = 320.0;
    const H: f64 = 150.0;
    const PAD_L: f64 = 34.0;
    const PAD_R: f64 = 8.0;
    const PAD_T: f64 = 8.0;
    const PAD_B: f64 = 20.0;
    const COLOURS: [&str; 4] = ["chart-a", "chart-b", "chart-c", "chart-d"];
    let view = desk.view;
    move || {
        let v = view.read();
        let turns: Vec<&PanelTurn> = v.panel.iter().filter(|t| t.member.is_none()).collect();
        if turns.is_empty() {
            return None;
        }
        // The diagnoses that ever led or came close, by their highest probability.
        let mut names: Vec<(String, f64)> = Vec::new();
        for t in &turns {
            for c in &t.differential {
                match names.iter_mut().find(|(n, _)| *n == c.diagnosis) {
                    Some((_, best)) => *best = best.max(c.probability),
                    None => names.push((c.diagnosis.clone(), c.probability)),
                }
            }
        }
        names.sort_by(|a, b| b.1.total_cmp(&a.1));
        names.truncate(COLOURS.len());
        let span = (turns.len().max(2) - 1) as f64;
        let x = |i: usize| PAD_L + (W - PAD_L - PAD_R) * i as f64 / span;
        let y = |p: f64| H - PAD_B - (H - PAD_T - PAD_B) * p;
        let lines: Vec<_> = names
            .iter()
            .zip(COLOURS)
            .map(|((name, _), colour)| {
                let points: Vec<String> = turns
                    .iter()
                    .enumerate()
                    .map(|(i, t)| {
                        let p = t
                            .differential
                            .iter()
                            .find(|c| c.diagnosis == *name)
                            .map_or(0.0, |c| c.probability);
                        format!("{:.1},{:.1}", x(i), y(p))
                    })
                    .collect();
                view! { <polyline class=format!("chart-line {colour}") points=points.join(" ")></polyline> }
            })
            .collect();
        let legend: Vec<_> = names
            .iter()
            .zip(COLOURS)
            .map(|((name, _), colour)| view! { <li><span class=format!("swatch {colour}")></span>{name.clone()}</li> })
            .collect();
        let label = format!(
            "The differential's probabilities over {} turn{}",
            turns.len(),
            if turns.len() == 1 { "" } else { "s" }
        );
        Some(view! {
            <figure class="differential-chart">
                <svg viewBox=format!("0 0 {W} {H}") role="img" aria-label=label.clone() data-testid="differential-chart" data-turns=turns.len()>
                    <line class="chart-axis" x1=PAD_L y1=y(0.0) x2=W - PAD_R y2=y(0.0)></line>
                    <line class="chart-axis" x1=PAD_L y1=y(0.0) x2=PAD_L y2=y(1.0)></line>
                    <text class="chart-label" x=PAD_L - 4.0 y=y(1.0) + 4.0 text-anchor="end">"100%"</text>
                    <text class="chart-label" x=PAD_L - 4.0 y=y(0.0) text-anchor="end">"0%"</text>
                    {lines}
                </svg>
                <figcaption>
                    {label}
                    <ul class="chart-legend">{legend}</ul>
                </figcaption>
            </figure>
        })
    }
}

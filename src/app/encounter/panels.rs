//! The encounter page's read-only panels: cost and budget, the cumulative-cost chart (our own
//! SVG), the ordered tests and the diagnostic-flow timeline.

use crate::protocol::{ActedTurn, Action, EncounterView, Money};
use leptos::prelude::*;

/// Spend so far, the budget bar and what the next question costs.
#[component]
pub fn CostPanel(view: RwSignal<EncounterView>) -> impl IntoView {
    let spent = move || view.read().summary.total_spent;
    let budget = move || view.read().summary.budget;
    let used_percent = move || {
        budget().map(|b| {
            if b.0 <= 0 {
                100.0
            } else {
                (spent().0 as f64 / b.0 as f64 * 100.0).clamp(0.0, 100.0)
            }
        })
    };
    let visit_note = move || {
        let v = view.read();
        if !v.is_open() {
            "The encounter is closed.".to_string()
        } else if v.in_visit {
            "A visit is under way: further questions are free until you order a test.".to_string()
        } else {
            format!(
                "Your next question opens a physician visit (${}).",
                v.visit_cost
            )
        }
    };
    view! {
        <section class="card cost-card" aria-labelledby="cost-title">
            <h2 id="cost-title">"Cost"</h2>
            <p class="cost-total">
                <span class="muted">"Spent so far "</span>
                <strong data-testid="total-spent">{move || format!("${}", spent())}</strong>
                {move || budget().map(|b| view! { <span class="muted">{format!(" of ${b}")}</span> })}
            </p>
            {move || {
                used_percent()
                    .map(|percent| {
                        let b = budget().unwrap_or_default();
                        let left = Money(b.0 - spent().0);
                        let level = if percent >= 90.0 {
                            "high"
                        } else if percent >= 70.0 {
                            "mid"
                        } else {
                            "low"
                        };
                        view! {
                            <div
                                class="budget-bar"
                                role="meter"
                                aria-label="Budget used"
                                aria-valuemin="0"
                                aria-valuemax=b.to_string()
                                aria-valuenow=spent().to_string()
                                aria-valuetext=format!("${} of ${b} used, ${left} left", spent())
                                data-level=level
                            >
                                // An SVG bar, not a `style` width: the page's policy allows no inline styles.
                                <svg class="budget-fill" viewBox="0 0 100 1" preserveAspectRatio="none" aria-hidden="true">
                                    <rect width=format!("{percent:.1}") height="1"></rect>
                                </svg>
                            </div>
                            <p class="muted" data-testid="remaining-budget">{format!("${left} left")}</p>
                        }
                    })
            }}
            <p class="muted visit-note">{visit_note}</p>
            <CostChart view/>
        </section>
    }
}

/// Cumulative cost after each step, for the chart and the timeline.
fn cumulative(transcript: &[ActedTurn]) -> Vec<Money> {
    let mut total = 0;
    transcript
        .iter()
        .map(|t| {
            total += t.turn.cost.0;
            Money(total)
        })
        .collect()
}

/// The cumulative-cost chart: a step line over the turns, with the budget as a dashed line.
#[component]
fn CostChart(view: RwSignal<EncounterView>) -> impl IntoView {
    const W: f64 = 320.0;
    const H: f64 = 140.0;
    const PAD_L: f64 = 44.0;
    const PAD_R: f64 = 8.0;
    const PAD_T: f64 = 10.0;
    const PAD_B: f64 = 22.0;
    let chart = move || {
        let v = view.read();
        let points = cumulative(&v.transcript);
        let budget = v.summary.budget;
        let top = points
            .last()
            .map(|m| m.0)
            .unwrap_or(0)
            .max(budget.map(|b| b.0).unwrap_or(0))
            .max(1);
        let steps = points.len().max(1) as f64;
        let x = |i: f64| PAD_L + (W - PAD_L - PAD_R) * i / steps;
        let y = |cents: i64| H - PAD_B - (H - PAD_T - PAD_B) * cents as f64 / top as f64;
        let mut path = format!("M{:.1},{:.1}", x(0.0), y(0));
        let mut previous = 0;
        for (i, total) in points.iter().enumerate() {
            let at = x(i as f64 + 1.0);
            path.push_str(&format!(
                " L{at:.1},{:.1} L{at:.1},{:.1}",
                y(previous),
                y(total.0)
            ));
            previous = total.0;
        }
        let label = format!(
            "Cumulative cost: ${} after {} step{}",
            Money(previous),
            points.len(),
            if points.len() == 1 { "" } else { "s" }
        );
        let aria_label = label.clone();
        let budget_line = budget.map(|b| {
            let at = y(b.0);
            view! {
                <line class="chart-budget" x1=PAD_L y1=at x2=W - PAD_R y2=at></line>
                // Under the line when it runs along the top edge, above it otherwise.
                <text
                    class="chart-label"
                    x=W - PAD_R
                    y=if at < PAD_T + 12.0 { at + 11.0 } else { at - 3.0 }
                    text-anchor="end"
                >
                    {format!("budget ${b}")}
                </text>
            }
        });
        view! {
            <svg
                class="cost-chart"
                viewBox=format!("0 0 {W} {H}")
                role="img"
                aria-label=aria_label
                data-testid="cost-chart"
                data-points=points.len()
            >
                <title>{label}</title>
                <line class="chart-axis" x1=PAD_L y1=H - PAD_B x2=W - PAD_R y2=H - PAD_B></line>
                <line class="chart-axis" x1=PAD_L y1=PAD_T x2=PAD_L y2=H - PAD_B></line>
                <text class="chart-label" x=PAD_L - 4.0 y=H - PAD_B text-anchor="end">"$0"</text>
                <text class="chart-label" x=PAD_L - 4.0 y=PAD_T + 8.0 text-anchor="end">
                    {format!("${}", (top + 99) / 100)}
                </text>
                <text class="chart-label" x=(W + PAD_L) / 2.0 y=H - 6.0 text-anchor="middle">"steps"</text>
                {budget_line}
                <path class="chart-line" d=path></path>
            </svg>
        }
    };
    view! { <div class="chart-frame">{chart}</div> }
}

/// Every test ordered, with its CPT code, price and result.
#[component]
pub fn TestsPanel(view: RwSignal<EncounterView>) -> impl IntoView {
    view! {
        <section class="card" aria-labelledby="tests-title">
            <h2 id="tests-title">"Ordered tests"</h2>
            {move || {
                let tests = view.read().tests.clone();
                if tests.is_empty() {
                    return view! { <p class="muted">"No tests ordered yet."</p> }.into_any();
                }
                view! {
                    <ul class="test-list" aria-label="Ordered tests">
                        {tests
                            .into_iter()
                            .map(|acted| (acted.actor.name_for_owner(), acted.test))
                            .map(|(by, t)| view! {
                                <li class="test-item">
                                    <div class="test-head">
                                        <span class="test-name">{t.name}</span>
                                        <span class="test-price">
                                            {format!("${}{}", t.price, if t.estimate { " (estimate)" } else { "" })}
                                        </span>
                                    </div>
                                    <span class="muted test-cpt">{format!("CPT {}", t.cpt)}</span>
                                    <span class="muted">" · "</span>
                                    <span class="muted test-by">{format!("Ordered by {}", by)}</span>
                                    {t.source.note().map(|note| view! {
                                        <span class="muted">" · "</span>
                                        <span class="muted test-source">{note}</span>
                                    })}
                                    <p class="test-result">{t.result}</p>
                                </li>
                            })
                            .collect_view()}
                    </ul>
                }
                .into_any()
            }}
        </section>
    }
}

/// One entry of the diagnostic flow.
#[derive(Debug, Clone, PartialEq)]
struct FlowStep {
    kind: &'static str,
    title: String,
    detail: String,
    total: Money,
    /// Who took it ("You", "AI panel (…)"; both, joined, for a visit they shared).
    by: String,
}

/// Groups the transcript into the diagnostic flow: a visit per round of questions, each test
/// order, the diagnosis — each with who took it.
fn flow(transcript: &[ActedTurn]) -> Vec<FlowStep> {
    let totals = cumulative(transcript);
    let mut steps: Vec<FlowStep> = Vec::new();
    let mut visits = 0;
    let mut last_was_question = false;
    for (acted, total) in transcript.iter().zip(totals) {
        let turn = &acted.turn;
        let by = acted.actor.name_for_owner();
        match turn.action {
            Action::Question if last_was_question => {
                if let Some(step) = steps.last_mut() {
                    let count = step
                        .detail
                        .split(' ')
                        .next()
                        .and_then(|n| n.parse::<u32>().ok());
                    let n = count.unwrap_or(1) + 1;
                    step.detail = format!("{n} questions");
                    step.total = total;
                    if !step.by.split(" and ").any(|b| b == by) {
                        step.by = format!("{} and {by}", step.by);
                    }
                }
            }
            Action::Question => {
                visits += 1;
                steps.push(FlowStep {
                    kind: "visit",
                    title: format!("Visit {visits}"),
                    detail: "1 question".into(),
                    total,
                    by,
                });
            }
            Action::Test => steps.push(FlowStep {
                kind: "test",
                title: format!("Ordered: {}", turn.content),
                detail: format!("${}", turn.cost),
                total,
                by,
            }),
            _ => steps.push(FlowStep {
                kind: "diagnosis",
                title: format!("Diagnosis: {}", turn.content),
                detail: String::new(),
                total,
                by,
            }),
        }
        last_was_question = turn.action == Action::Question;
    }
    steps
}

/// The diagnostic flow as a timeline.
#[component]
pub fn Timeline(view: RwSignal<EncounterView>) -> impl IntoView {
    view! {
        <section class="card" aria-labelledby="flow-title">
            <h2 id="flow-title">"Diagnostic flow"</h2>
            {move || {
                let steps = flow(&view.read().transcript);
                if steps.is_empty() {
                    return view! { <p class="muted">"Nothing done yet."</p> }.into_any();
                }
                view! {
                    <ol class="timeline" aria-label="Diagnostic flow">
                        {steps
                            .into_iter()
                            .map(|s| view! {
                                <li class=format!("flow-step flow-{}", s.kind)>
                                    <span class="flow-title">{s.title}</span>
                                    <span class="flow-by">{format!("by {}", s.by)}</span>
                                    <span class="muted">
                                        {if s.detail.is_empty() { String::new() } else { format!("{} · ", s.detail) }}
                                        {format!("total ${}", s.total)}
                                    </span>
                                </li>
                            })
                            .collect_view()}
                    </ol>
                }
                .into_any()
            }}
        </section>
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::Actor;

    fn turn(action: Action, content: &str, cents: i64) -> ActedTurn {
        ActedTurn {
            turn: crate::protocol::Turn {
                action,
                content: content.into(),
                reply: String::new(),
                cost: Money(cents),
            },
            actor: Actor::default(),
        }
    }

    fn by_panel(mut acted: ActedTurn) -> ActedTurn {
        acted.actor = Actor::Panel(crate::protocol::PanelActor {
            engine: "offline".into(),
            mode: "unconstrained".into(),
            model: None,
        });
        acted
    }

    #[test]
    fn the_flow_groups_a_round_of_questions_into_one_visit() {
        let steps = flow(&[
            turn(Action::Question, "a", 30_000),
            turn(Action::Question, "b", 0),
            turn(Action::Question, "c", 0),
            turn(Action::Test, "CBC", 1_066),
            turn(Action::Question, "d", 30_000),
            turn(Action::Diagnosis, "x", 0),
        ]);
        let titles: Vec<&str> = steps.iter().map(|s| s.title.as_str()).collect();
        assert_eq!(
            titles,
            ["Visit 1", "Ordered: CBC", "Visit 2", "Diagnosis: x"]
        );
        assert_eq!(steps[0].detail, "3 questions");
        assert_eq!(steps[0].total, Money(30_000));
        assert_eq!(steps[3].total, Money(61_066));
        assert!(steps.iter().all(|s| s.by == "You"));
    }

    #[test]
    fn the_flow_says_who_took_each_step() {
        let panel = "AI panel (offline, unconstrained)";
        let steps = flow(&[
            turn(Action::Question, "a", 30_000),
            by_panel(turn(Action::Question, "b", 0)),
            by_panel(turn(Action::Test, "CBC", 1_066)),
            by_panel(turn(Action::Diagnosis, "x", 0)),
        ]);
        let by: Vec<&str> = steps.iter().map(|s| s.by.as_str()).collect();
        assert_eq!(by, [format!("You and {panel}").as_str(), panel, panel]);
    }
}

//! The K parallel attempts: a strip of small grids, one per attempt, at the playback cursor's
//! supervision step, and a readout of which attempt satisfied every rule. Clicking a small
//! grid makes the big grid, the playback and the charts follow that attempt. Hidden for K = 1.

use leptos::prelude::*;
use trm_puzzle::sudoku::grid::{CELLS, Grid};
use trm_trace::attempts::{describe_adaptive, describe_outcome};
use trm_trace::playback::locate;
use trm_trace::protocol::StopReason;
use trm_trace::trace::{AttemptStep, SolveTrace};

use crate::state::AppState;

/// What one small grid shows.
#[derive(Debug, Clone, PartialEq)]
struct MiniView {
    /// The attempt's answer at the step (the bare puzzle before its first step).
    answer: Grid,
    /// Cells that break a rule.
    conflicts: [bool; CELLS],
    /// It satisfies every rule at this step.
    verified: bool,
    /// It is the solve's result.
    winner: bool,
    /// The big grid follows it.
    followed: bool,
    /// Its halting head had stopped it by this step.
    halted: bool,
    /// Halting probability at the step.
    halt_probability: f32,
}

/// Every attempt at the solve's 0-based supervision step `step` (or its last step, if it
/// stopped earlier; the bare puzzle if it had not started yet: an adaptive solve's late joiner).
fn mini_views(solve: &SolveTrace, step: usize, followed: usize) -> Vec<MiniView> {
    let puzzle = Grid::parse(&solve.puzzle).unwrap_or_default();
    let winner = solve.outcome.filter(|o| o.verified).map(|o| o.selected);
    solve
        .attempts
        .iter()
        .enumerate()
        .map(|(i, attempt)| {
            let summaries = attempt.step_summaries();
            // Its own step at the solve's step `step`.
            let local = step.checked_sub(attempt.joined_at);
            let at: Option<&AttemptStep> = local.and_then(|l| summaries.get(l).or(summaries.last()));
            MiniView {
                answer: at.map(|a| a.answer).unwrap_or(puzzle),
                conflicts: at.map(|a| a.answer.conflict_mask()).unwrap_or([false; CELLS]),
                verified: at.is_some_and(|a| a.verified),
                winner: winner == Some(i),
                followed: followed == i,
                halted: attempt.trace.halted_at.is_some_and(|h| local.is_some_and(|l| h <= l + 1)),
                halt_probability: at.map(|a| a.halt_probability).unwrap_or(0.0),
            }
        })
        .collect()
}

/// The one-line result of the solve, or that it is still running. `plan` is K at the start and
/// the time budget of an adaptive solve; `out_of_time` whether that budget ended it.
fn outcome_text(solve: &SolveTrace, plan: (usize, Option<f64>), out_of_time: bool) -> String {
    match (&solve.outcome, plan) {
        (Some(_), (first_slots, Some(budget))) => describe_adaptive(solve, first_slots, out_of_time.then_some(budget)),
        (Some(outcome), _) => describe_outcome(outcome, solve.attempts.len()),
        (None, _) => format!("{} attempts thinking…", solve.attempts.len()),
    }
}

/// The strip of attempts under the grid.
#[component]
pub fn AttemptStrip() -> impl IntoView {
    let state = expect_context::<AppState>();
    let step = Memo::new(move |_| {
        let position = state.playback.with(|p| p.position());
        state.trace.with(|t| t.as_ref().and_then(|t| locate(t, position)).map(|p| p.step).unwrap_or(0))
    });
    let views = Memo::new(move |_| {
        state.solve.with(|s| {
            let Some(s) = s.as_ref().filter(|s| s.attempts.len() > 1) else { return Vec::new() };
            let followed = state.followed.get().or(s.outcome.map(|o| o.selected)).unwrap_or(0);
            // The cursor is in the followed attempt's own steps; the strip shows the solve's step.
            let joined_at = s.attempts.get(followed).map(|a| a.joined_at).unwrap_or(0);
            mini_views(s, step.get() + joined_at, followed)
        })
    });
    let readout = move || {
        let plan = state.solve_plan.get();
        let out_of_time = state.readouts.with(|r| r.stopped_by == Some(StopReason::OutOfTime));
        state.solve.with(|s| s.as_ref().filter(|s| s.attempts.len() > 1).map(|s| outcome_text(s, plan, out_of_time)))
    };
    let grids = move || {
        views
            .get()
            .into_iter()
            .enumerate()
            .map(|(i, v)| {
                let cells = (0..CELLS)
                    .map(|c| {
                        let digit = v.answer.get(c);
                        view! {
                            <span class="mini-cell" class:conflict=v.conflicts[c]>
                                {if digit == 0 { String::new() } else { digit.to_string() }}
                            </span>
                        }
                    })
                    .collect_view();
                let label = format!(
                    "attempt {}{}{}, P(halt) {:.0}%",
                    i + 1,
                    if v.verified { ", satisfies every rule" } else { "" },
                    if v.halted { ", halted" } else { "" },
                    v.halt_probability * 100.0
                );
                view! {
                    <button type="button" class="mini" data-attempt=i
                        class:verified=v.verified class:winner=v.winner class:followed=v.followed class:halted=v.halted
                        aria-pressed=if v.followed { "true" } else { "false" }
                        aria-label=label.clone() title=label
                        on:click=move |_| state.followed.set(Some(i))>
                        <span class="mini-grid" aria-hidden="true">{cells}</span>
                        <span class="mini-index">{i + 1}</span>
                    </button>
                }
            })
            .collect_view()
    };
    view! {
        <Show when=move || !views.with(|v| v.is_empty())>
            <div class="attempts" id="attempts-strip" role="group" aria-label="Parallel attempts">
                <p class="attempts-outcome" id="attempts-outcome" aria-live="polite">{readout}</p>
                <div class="attempt-grids">{grids}</div>
                <p class="attempts-note">
                    "Each small grid is one attempt, started from a symmetric copy of the puzzle and mapped back. "
                    "Red cells break a rule; green means every rule holds. Click one to follow it."
                </p>
            </div>
        </Show>
    }
}

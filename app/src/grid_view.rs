//! The Sudoku grid: givens, the model's current digits shaded by confidence, cells changed at
//! this recursion step, conflicts, and (on request) cells that disagree with the solution.
//! Editable from the keyboard: arrows move, 1–9 type, 0/./Backspace/Delete clear.

use leptos::ev::KeyboardEvent;
use leptos::prelude::*;
use trm_puzzle::sudoku::grid::{CELLS, Grid};
use trm_trace::playback::{call_at, changed_cells};

use crate::state::AppState;

/// What one cell shows.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CellView {
    /// 0 for blank.
    pub digit: u8,
    /// A given of the puzzle.
    pub given: bool,
    /// The model's probability for the digit (1 for givens and typed digits).
    pub confidence: f32,
    /// Changed at this recursion step.
    pub changed: bool,
    /// Repeats in its row, column or box.
    pub conflict: bool,
    /// Disagrees with the true solution (only when the overlay is on).
    pub wrong: bool,
}

/// The display model of all 81 cells at the current playback position.
pub fn cell_views(state: &AppState) -> Vec<CellView> {
    let puzzle = state.puzzle.get();
    let position = state.playback.with(|p| p.position());
    let show_wrong = state.show_wrong.get();
    let solution = state.solution.with(|s| s.as_ref().ok().copied());
    let traced = state.traced_puzzle.get() == Some(puzzle);
    state.trace.with(|trace| {
        let call = trace.as_ref().filter(|_| traced).and_then(|t| call_at(t, position));
        let (shown, confidence, changed) = match (trace, call) {
            (Some(t), Some(call)) => {
                let mut conf = [1.0f32; CELLS];
                for (cell, c) in conf.iter_mut().enumerate() {
                    if puzzle.get(cell) == 0 {
                        *c = call.confidence.get(cell).copied().unwrap_or(0.0);
                    }
                }
                (call.answer(&puzzle), conf, changed_cells(t, &puzzle, position))
            }
            _ => (puzzle, [1.0f32; CELLS], [false; CELLS]),
        };
        let conflicts = shown.conflict_mask();
        (0..CELLS)
            .map(|cell| {
                let digit = shown.get(cell);
                let given = puzzle.get(cell) != 0;
                CellView {
                    digit,
                    given,
                    confidence: confidence[cell],
                    changed: changed[cell],
                    conflict: conflicts[cell],
                    wrong: show_wrong && !given && digit != 0 && solution.is_some_and(|s: Grid| s.get(cell) != digit),
                }
            })
            .collect()
    })
}

/// The grid. Reads everything from the [`AppState`] in context.
#[component]
pub fn SudokuGrid() -> impl IntoView {
    let state = expect_context::<AppState>();
    let views = Memo::new(move |_| cell_views(&state));

    let on_key = move |ev: KeyboardEvent| {
        let Some(cell) = state.selected.get_untracked() else { return };
        let key = ev.key();
        let (row, col) = (cell / 9, cell % 9);
        let moved = match key.as_str() {
            "ArrowUp" => Some(((row + 8) % 9) * 9 + col),
            "ArrowDown" => Some(((row + 1) % 9) * 9 + col),
            "ArrowLeft" => Some(row * 9 + (col + 8) % 9),
            "ArrowRight" => Some(row * 9 + (col + 1) % 9),
            _ => None,
        };
        if let Some(next) = moved {
            ev.prevent_default();
            state.selected.set(Some(next));
            focus_cell(next);
            return;
        }
        let value = match key.as_str() {
            "1" | "2" | "3" | "4" | "5" | "6" | "7" | "8" | "9" => key.parse::<u8>().ok(),
            "0" | "." | "Backspace" | "Delete" => Some(0),
            _ => None,
        };
        if let Some(value) = value {
            ev.prevent_default();
            let mut grid = state.puzzle.get_untracked();
            if grid.set(cell, value).is_ok() && grid != state.puzzle.get_untracked() {
                state.set_puzzle(grid);
            }
        }
    };

    let cells = (0..CELLS)
        .map(|cell| {
            let view = move || views.with(|v| v[cell]);
            let (row, col) = (cell / 9, cell % 9);
            let label = move || {
                let v = view();
                let what = match (v.digit, v.given) {
                    (0, _) => "empty".to_string(),
                    (d, true) => format!("given {d}"),
                    (d, false) => format!("{d}, confidence {:.0}%", v.confidence * 100.0),
                };
                format!("row {} column {}: {what}", row + 1, col + 1)
            };
            view! {
                <button
                    class="cell"
                    type="button"
                    role="gridcell"
                    id=format!("cell-{cell}")
                    data-cell=cell
                    data-digit=move || view().digit
                    class:given=move || view().given
                    class:model=move || !view().given && view().digit != 0
                    class:changed=move || view().changed
                    class:conflict=move || view().conflict
                    class:wrong=move || view().wrong
                    class:selected=move || state.selected.get() == Some(cell)
                    class:box-right=col % 3 == 2 && col != 8
                    class:box-bottom=row % 3 == 2 && row != 8
                    style:--confidence=move || format!("{:.3}", view().confidence)
                    aria-label=label
                    tabindex=move || if state.selected.get().unwrap_or(0) == cell { "0" } else { "-1" }
                    on:click=move |_| state.selected.set(Some(cell))
                    on:focus=move |_| state.selected.set(Some(cell))
                >
                    {move || match view().digit {
                        0 => String::new(),
                        d => d.to_string(),
                    }}
                </button>
            }
        })
        .collect_view();

    view! {
        <div class="grid" role="grid" aria-label="Sudoku grid" on:keydown=on_key>
            {cells}
        </div>
    }
}

fn focus_cell(cell: usize) {
    use wasm_bindgen::JsCast;
    if let Some(el) = web_sys::window()
        .and_then(|w| w.document())
        .and_then(|d| d.get_element_by_id(&format!("cell-{cell}")))
        .and_then(|e| e.dyn_into::<web_sys::HtmlElement>().ok())
    {
        let _ = el.focus();
    }
}

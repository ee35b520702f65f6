//! The latent map: a 9×9 view of the latent state z at the playback cursor, beside the grid.
//! "Change" shades each cell by how far its z moved at this net call (log scale, fitted to the
//! whole solve); "direction" colours each cell by the first two principal components of the
//! cells' z, fitted once per solve, so a colour means the same at every step. Hovering a cell
//! shows its ‖Δz‖ and its three most likely digits.

use leptos::prelude::*;
use trm_puzzle::sudoku::grid::CELLS;
use trm_trace::playback::{LatentPca, answer_update_at, latent_map};

use crate::state::AppState;

/// Which view of z.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum View {
    /// Per-cell ‖Δz‖.
    Change,
    /// The first two principal components, as colour.
    Direction,
}

/// One cell of the map.
#[derive(Debug, Clone, PartialEq)]
struct MapCell {
    /// ‖Δz‖ at the cursor.
    change: f32,
    /// Background colour.
    colour: String,
    /// Hover text.
    detail: String,
}

/// 0..1 on a log scale between a thousandth of the solve's largest change and that largest.
fn log_intensity(v: f32, largest: f32) -> f32 {
    // NaN fails both comparisons and lands here too.
    if largest.partial_cmp(&0.0) != Some(std::cmp::Ordering::Greater)
        || v.partial_cmp(&0.0) != Some(std::cmp::Ordering::Greater)
    {
        return 0.0;
    }
    let floor = largest * 1e-3;
    ((v.max(floor) / floor).log10() / 3.0).clamp(0.0, 1.0)
}

/// A colour for two coordinates in [-1, 1]: the angle sets the hue, the radius the saturation.
fn direction_colour(a: f32, b: f32) -> String {
    let hue = b.atan2(a).to_degrees().rem_euclid(360.0);
    let radius = (a * a + b * b).sqrt().min(1.0);
    format!("hsl({hue:.0} {:.0}% 55%)", 15.0 + 75.0 * radius)
}

/// The map, in the side column.
#[component]
pub fn LatentMap() -> impl IntoView {
    let state = expect_context::<AppState>();
    let view_kind = RwSignal::new(View::Change);
    // Fitted once per (growing) trace, not per cursor move.
    let pca = Memo::new(move |_| state.trace.with(|t| t.as_ref().and_then(LatentPca::fit)));
    let largest = Memo::new(move |_| {
        state.trace.with(|t| {
            t.as_ref()
                .map(|t| {
                    t.steps
                        .iter()
                        .flat_map(|s| s.calls.iter())
                        .flat_map(|c| c.dz.iter().copied())
                        .fold(0.0f32, f32::max)
                })
                .unwrap_or(0.0)
        })
    });
    let cells = Memo::new(move |_| {
        let position = state.playback.with(|p| p.position());
        let kind = view_kind.get();
        state.trace.with(|t| {
            let Some(trace) = t.as_ref().filter(|t| t.call_count() > 0) else { return Vec::new() };
            let change = latent_map(trace, position);
            let update = answer_update_at(trace, position);
            let directions = match (kind, pca.get()) {
                (View::Direction, Some(p)) => p.project(trace, position),
                _ => Vec::new(),
            };
            let top = largest.get();
            (0..CELLS)
                .map(|cell| {
                    let colour = match directions.get(cell) {
                        Some(&(a, b)) => direction_colour(a, b),
                        // The ‖z‖ colour of the charts, more opaque where z moved more.
                        None => format!("rgba(231, 111, 81, {:.3})", 0.06 + 0.94 * log_intensity(change[cell], top)),
                    };
                    let digits = update
                        .and_then(|u| u.top3(cell))
                        .map(|top3| {
                            top3.iter().map(|(d, p)| format!("{d} ({:.0}%)", p * 100.0)).collect::<Vec<_>>().join(", ")
                        })
                        .unwrap_or_else(|| "no answer yet".into());
                    let detail = format!(
                        "row {} column {}: ‖Δz‖ {:.4}; most likely digits {digits}",
                        cell / 9 + 1,
                        cell % 9 + 1,
                        change[cell]
                    );
                    MapCell { change: change[cell], colour, detail }
                })
                .collect()
        })
    });
    let caption = move || match view_kind.get() {
        View::Change => {
            "Strong colour: z moved a lot at this step; the model is still changing its mind about these cells."
        }
        View::Direction => {
            "Colour: where each cell's z points (its first two principal components over the whole solve)."
        }
    };
    view! {
        <figure class="chart latent" id="latent-map" data-view=move || if view_kind.get() == View::Change { "change" } else { "direction" }>
            <figcaption>
                "The latent state z, cell by cell "
                <span class="toggle" role="group" aria-label="Latent view">
                    <button type="button" id="latent-change" aria-pressed=move || (view_kind.get() == View::Change).to_string()
                        on:click=move |_| view_kind.set(View::Change)>"change"</button>
                    <button type="button" id="latent-direction" aria-pressed=move || (view_kind.get() == View::Direction).to_string()
                        on:click=move |_| view_kind.set(View::Direction)>"direction"</button>
                </span>
            </figcaption>
            <div class="latent-grid" role="img" aria-label="How far each cell's latent state moved at this step">
                {move || {
                    let cells = cells.get();
                    if cells.is_empty() {
                        return (0..CELLS).map(|_| view! { <span class="latent-cell empty"></span> }.into_any()).collect_view();
                    }
                    cells
                        .into_iter()
                        .enumerate()
                        .map(|(i, c)| {
                            view! {
                                <span class="latent-cell" data-cell=i data-value=format!("{:.6}", c.change)
                                    class:box-right=i % 9 % 3 == 2 && i % 9 != 8
                                    class:box-bottom=i / 9 % 3 == 2 && i / 9 != 8
                                    style:background=c.colour title=c.detail></span>
                            }
                            .into_any()
                        })
                        .collect_view()
                }}
            </div>
            <p class="caption">{caption}</p>
        </figure>
    }
}

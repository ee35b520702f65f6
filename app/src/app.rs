//! The page: grid, playback controls, charts, input and readouts.

use std::time::Duration;

use leptos::prelude::*;
use trm_puzzle::sudoku::generator::{Generator, Tier};
use trm_puzzle::sudoku::grid::Grid;
use trm_trace::playback::{
    Playback, accuracy_series, confidence_series, halt_series, label, locate, norm_series, state_moves,
};
use trm_trace::trace::CallKind;

use crate::bridge::EngineHandle;
use crate::charts::{ComputeChart, LineChart, Series};
use crate::grid_view::SudokuGrid;
use crate::platform::{copy_text, download_typed, now_ms, page_url, set_query_param};
use crate::presets::presets;
use crate::state::{AppState, EngineStatus};
use trm_trace::animation::{AnimationOptions, encode_gif, frame_count};
use trm_trace::attempts::{ATTEMPT_CHOICES, DEFAULT_ADAPTIVE_BUDGET_S, clamp_attempts, default_attempts};
use trm_trace::protocol::Request;

/// Speed slider position (0..=100) to net calls per second, on a log scale.
fn speed_from_slider(v: f64) -> f64 {
    let (lo, hi) = Playback::SPEED_RANGE;
    lo * (hi / lo).powf(v / 100.0)
}

fn slider_from_speed(speed: f64) -> f64 {
    let (lo, hi) = Playback::SPEED_RANGE;
    100.0 * (speed / lo).ln() / (hi / lo).ln()
}

/// The whole page.
#[component]
pub fn App() -> impl IntoView {
    let state = expect_context::<AppState>();
    let engine = expect_context::<EngineHandle>();
    if state.maze.active {
        return view! { <crate::maze_view::MazeApp/> }.into_any();
    }

    run_playback_clock(&state, state.playback);

    // Keep the URL shareable: the puzzle, and K when someone chose it.
    Effect::new(move |_| {
        let line = state.puzzle.get().to_line();
        set_query_param("s", Some(&line));
    });
    Effect::new(move |_| {
        if state.attempts_chosen.get() {
            set_query_param("k", Some(&state.attempts.get().to_string()));
        }
    });

    // K defaults to what the backend in use runs in about 2 s on a medium puzzle, from its
    // net calls timed after the warm-up.
    Effect::new(move |_| {
        let backend = state.backend.get();
        let timing = state.readouts.with(|r| r.timings.iter().copied().find(|t| Some(t.backend) == backend));
        if let Some(timing) = timing
            && !state.attempts_chosen.get_untracked()
        {
            state.attempts.set(default_attempts(&timing));
        }
    });

    // Playback covers the followed attempt's recorded calls.
    Effect::new(move |_| {
        let total = state.trace.with(|t| t.as_ref().map(|t| t.call_count()).unwrap_or(0));
        state.playback.update(|p| p.set_total(total));
    });

    // Embedded autoplay: solve once the model is ready.
    if state.embed.autoplay {
        let started = StoredValue::new(false);
        Effect::new(move |_| {
            if state.status.get() == EngineStatus::Ready && !started.get_value() {
                started.set_value(true);
                solve(&state, &engine);
            }
        });
    }

    // Shortcuts outside text fields: p or k play/pause, [ and ] step.
    let keys = window_event_listener(leptos::ev::keydown, move |ev| {
        let in_field = ev
            .target()
            .and_then(|t| wasm_bindgen::JsCast::dyn_into::<web_sys::Element>(t).ok())
            .is_some_and(|e| matches!(e.tag_name().as_str(), "INPUT" | "TEXTAREA" | "SELECT"));
        if in_field || ev.ctrl_key() || ev.meta_key() || ev.alt_key() {
            return;
        }
        match ev.key().as_str() {
            "p" | "k" => state.playback.update(|p| p.toggle()),
            "[" => state.playback.update(|p| p.step_back()),
            "]" => state.playback.update(|p| p.step_forward()),
            _ => {}
        }
    });
    on_cleanup(move || keys.remove());

    let root_class = move || {
        let mut class = String::from("app");
        if state.embed.embed {
            class.push_str(" embed");
        }
        if state.embed.fixed_height {
            class.push_str(" fixed");
        }
        if state.embed.minimal_controls {
            class.push_str(" compact");
        }
        class
    };
    let backend_attr = move || state.backend.get().map(|b| b.name()).unwrap_or("none");
    let status_attr = move || match state.status.get() {
        EngineStatus::Probing | EngineStatus::Downloading { .. } | EngineStatus::WarmingUp => "loading",
        EngineStatus::Ready => {
            if state.trace.with(|t| t.is_some()) {
                "done"
            } else {
                "ready"
            }
        }
        EngineStatus::Solving => "solving",
        EngineStatus::Training => "training",
        EngineStatus::Failed(_) => "failed",
    };

    let (kernels_attr, warm_attempts_attr) = kernel_attributes(state);

    view! {
        <div class=root_class data-backend=backend_attr data-status=status_attr data-kernels=kernels_attr data-warm-attempts=warm_attempts_attr>
            <Show when=move || !state.embed.embed>
                <header>
                    <TaskSwitch/>
                    <h1>"Watch a Tiny Recursive Model solve Sudoku"</h1>
                    <p class="lede">
                        "One tiny network, called over and over: it refines a latent "
                        <b>"z"</b>" from the puzzle and its answer "<b>"y"</b>", then updates "<b>"y"</b>
                        ", step after step, until its halting head says stop. Everything runs in your browser."
                    </p>
                </header>
            </Show>
            <LoadStatus/>
            <main>
                <section class="board" aria-label="Puzzle and playback">
                    <SudokuGrid/>
                    <PuzzleVerdict/>
                    <Controls/>
                    <crate::attempts_view::AttemptStrip/>
                </section>
                <section class="side" aria-label="Charts and figures">
                    <Charts/>
                    <Show when=move || !state.embed.embed>
                        <Readouts/>
                    </Show>
                </section>
            </main>
            <Show when=move || !state.embed.embed>
                <InputPanel/>
                <crate::finetune::TrainPanel/>
                <footer>
                    <p>
                        "Model: TRM (Jolicoeur-Martineau, 2025, "
                        <a href="https://arxiv.org/abs/2510.04871">"arXiv 2510.04871"</a>
                        "), trained with this project's own code; see "
                        <a href="assets/MODEL.md">"the model card"</a>". Built with burn, Leptos and trunk."
                    </p>
                    <p class="keys">"Keys: arrows and 1–9 edit the grid, p plays or pauses, [ and ] step."</p>
                </footer>
            </Show>
        </div>
    }
    .into_any()
}

/// Advances `playback`'s cursor while it plays, on a 33 ms timer that is cleared when the
/// calling component unmounts.
pub fn run_playback_clock(state: &AppState, playback: RwSignal<Playback>) {
    let last_tick = std::cell::Cell::new(now_ms());
    match set_interval_with_handle(
        move || {
            let now = now_ms();
            let elapsed = now - last_tick.replace(now);
            if playback.with_untracked(|p| p.is_playing()) {
                playback.update(|p| {
                    p.tick(elapsed);
                });
            }
        },
        Duration::from_millis(33),
    ) {
        Ok(handle) => on_cleanup(move || handle.clear()),
        Err(_) => state.say(true, "The playback timer could not start."),
    }
}

/// The page root's `data-kernels` ("ready" once the GPU's warm-up has ended) and
/// `data-warm-attempts` (the K it compiled every kernel of), on both task pages: the GPU-call
/// counter tests wait for them, and count pipelines only at those K.
pub fn kernel_attributes(
    state: AppState,
) -> (
    impl Fn() -> &'static str + Copy + Send + Sync + 'static,
    impl Fn() -> Option<String> + Copy + Send + Sync + 'static,
) {
    let kernels = move || if state.readouts.with(|r| r.warm_attempts.is_some()) { "ready" } else { "warming" };
    let warm_attempts = move || {
        state
            .readouts
            .with(|r| r.warm_attempts.as_ref().map(|ks| ks.iter().map(|k| k.to_string()).collect::<Vec<_>>().join(" ")))
    };
    (kernels, warm_attempts)
}

/// Sudoku | Maze: the same recursion on either puzzle. A link, so each page loads only its own
/// model; a backend the link asked for (`?backend=`) goes along.
#[component]
pub fn TaskSwitch() -> impl IntoView {
    let maze = expect_context::<AppState>().maze.active;
    let backend =
        crate::platform::query_param("backend").map(|b| format!("backend={}", js_sys::encode_uri_component(&b)));
    let sudoku = format!("?{}", backend.clone().unwrap_or_default());
    let mazes = match backend {
        Some(backend) => format!("?task=maze&{backend}"),
        None => "?task=maze".to_string(),
    };
    view! {
        <nav class="tasks" aria-label="Puzzle">
            <a href=sudoku id="task-sudoku" aria-current=(!maze).then_some("page")>"Sudoku"</a>
            <a href=mazes id="task-maze" aria-current=maze.then_some("page")>"Maze"</a>
        </nav>
    }
}

/// Playback button icons.
#[derive(Clone, Copy)]
enum Icon {
    First,
    Back,
    Play,
    Pause,
    Forward,
    Last,
}

/// A small inline SVG icon (no icon font: it renders everywhere, even without emoji fonts).
fn icon(which: Icon) -> impl IntoView {
    let path = match which {
        Icon::First => "M5 4h2v16H5zM19 4v16L8 12z",
        Icon::Back => "M17 4v16L6 12z",
        Icon::Play => "M7 4v16l12-8z",
        Icon::Pause => "M6 4h4v16H6zM14 4h4v16h-4z",
        Icon::Forward => "M7 4v16l11-8z M18 4h2v16h-2z",
        Icon::Last => "M5 4v16l11-8zM17 4h2v16h-2z",
    };
    view! {
        <svg class="glyph" viewBox="0 0 24 24" width="18" height="18" aria-hidden="true"><path d=path fill="currentColor"></path></svg>
    }
}

/// Encodes the followed attempt's recorded solve as a GIF and offers it as a download.
fn download_animation(state: &AppState) {
    let Some(puzzle) = state.traced_puzzle.get_untracked() else { return };
    let note = state.solve.with_untracked(|s| {
        s.as_ref()
            .filter(|s| s.attempts.len() > 1)
            .map(|s| {
                let shown = state.followed.get_untracked().or(s.outcome.map(|o| o.selected)).unwrap_or(0);
                format!("attempt {} of {}", shown + 1, s.attempts.len())
            })
            .unwrap_or_default()
    });
    let options = AnimationOptions { note, ..AnimationOptions::default() };
    let start = now_ms();
    let result = state.trace.with_untracked(|t| match t {
        Some(trace) => encode_gif(trace, &puzzle, &options)
            .map(|bytes| (bytes, frame_count(trace, false)))
            .map_err(|e| e.to_string()),
        None => Err("nothing recorded yet".to_string()),
    });
    match result.and_then(|(bytes, frames)| {
        download_typed("trm-sudoku-solve.gif", "image/gif", &bytes)?;
        Ok((bytes.len(), frames))
    }) {
        Ok((size, frames)) => state.say(
            false,
            format!(
                "Animation saved: {frames} frames, {:.0} kB, drawn in {:.0} ms.",
                size as f64 / 1e3,
                now_ms() - start
            ),
        ),
        Err(e) => state.say(true, format!("The animation could not be made: {e}")),
    }
}

/// Sends the current puzzle to the engine.
fn solve(state: &AppState, engine: &EngineHandle) {
    if state.solution.with_untracked(|s| s.is_err()) {
        return;
    }
    state.notice.set(None);
    let (attempts, budget) = (state.attempts.get_untracked(), state.adaptive_budget.get_untracked());
    state.solve_plan.set((attempts, budget));
    engine.send(Request::Solve {
        puzzle: state.puzzle.get_untracked().to_string(),
        max_steps: state.max_steps.get_untracked(),
        early_exit: state.early_exit.get_untracked(),
        attempts,
        adaptive_budget_ms: budget.map(|seconds| seconds * 1e3),
    });
}

/// Backend badge, download progress, and messages.
#[component]
fn LoadStatus() -> impl IntoView {
    let state = expect_context::<AppState>();
    let progress = move || match state.status.get() {
        EngineStatus::Probing => Some(view! { <p class="status">"Looking for WebGPU…"</p> }.into_any()),
        EngineStatus::Downloading { loaded, total } => {
            let text = match total {
                Some(t) if t > 0 => {
                    format!("Downloading weights: {:.0} of {:.0} kB", loaded as f64 / 1e3, t as f64 / 1e3)
                }
                _ => format!("Downloading weights: {:.0} kB", loaded as f64 / 1e3),
            };
            let max = total.unwrap_or(0).max(loaded).max(1);
            Some(
                view! {
                    <p class="status">
                        <label>
                            {text}
                            <progress max=max value=loaded aria-label="Weight download"></progress>
                        </label>
                    </p>
                }
                .into_any(),
            )
        }
        EngineStatus::WarmingUp => Some(view! { <p class="status">"Warming up (compiling shaders)…"</p> }.into_any()),
        EngineStatus::Failed(message) => {
            Some(view! { <p class="status error" role="alert">"The model could not load: " {message}</p> }.into_any())
        }
        _ => None,
    };
    let backend = move || {
        state.backend.get().map(|b| {
            // In the widget the reason for the CPU path is the badge's tooltip, not a paragraph.
            let title =
                state.backend_note.get().filter(|_| state.embed.embed).unwrap_or_else(|| "Compute backend".into());
            view! { <span class=format!("badge {}", b.name()) title=title>{b.label()}</span> }
        })
    };
    let note =
        move || state.backend_note.get().filter(|_| !state.embed.embed).map(|n| view! { <p class="note">{n}</p> });
    let notice = move || {
        state.notice.get().map(|n| {
            view! {
                <p class=if n.error { "notice error" } else { "notice" } role=if n.error { "alert" } else { "status" }>
                    {n.text}
                    <button type="button" class="close" aria-label="Dismiss" on:click=move |_| state.notice.set(None)>"×"</button>
                </p>
            }
        })
    };
    view! {
        <div class="load">
            {backend}
            {progress}
            {note}
            {notice}
        </div>
    }
}

/// What the exact solver says about the puzzle.
#[component]
fn PuzzleVerdict() -> impl IntoView {
    let state = expect_context::<AppState>();
    let verdict = move || {
        let givens = state.puzzle.with(|p| p.givens());
        match state.solution.get() {
            Ok(_) => view! { <p class="verdict ok">{format!("{givens} givens, exactly one solution.")}</p> }.into_any(),
            Err(e) => view! { <p class="verdict error" role="alert" id="puzzle-error">{e.to_string()}</p> }.into_any(),
        }
    };
    view! { {verdict} }
}

/// Step forward and jump to the end: the same in the full and the compact controls.
#[component]
fn ForwardButtons() -> impl IntoView {
    let state = expect_context::<AppState>();
    let total = move || state.playback.with(|p| p.total());
    view! {
        <button type="button" class="icon" id="step-forward" aria-label="Step forward" title="Step forward (])"
            disabled=move || total() == 0
            on:click=move |_| state.playback.update(|p| p.step_forward())>{icon(Icon::Forward)}</button>
        <button type="button" class="icon" id="to-end" aria-label="Jump to the last step" title="Jump to the last step"
            disabled=move || total() == 0
            on:click=move |_| state.playback.update(|p| { p.pause(); p.seek_end(); })>{icon(Icon::Last)}</button>
    }
}

/// The recursion-step slider.
#[component]
pub fn Scrubber(
    /// Where playback stands, in words (read by screen readers as the slider's value).
    #[prop(into)]
    where_label: Signal<String>,
    /// The replay it moves (the Sudoku page's when absent).
    #[prop(optional)]
    playback: Option<RwSignal<Playback>>,
    /// Its element id (`scrub` when absent).
    #[prop(optional)]
    id: Option<&'static str>,
) -> impl IntoView {
    let playback = playback.unwrap_or(expect_context::<AppState>().playback);
    let total = move || playback.with(|p| p.total());
    let position = move || playback.with(|p| p.position());
    view! {
        <label class="scrub">
            <span class="visually-hidden">"Recursion step"</span>
            <input type="range" id=id.unwrap_or("scrub") min="0"
                max=move || total().saturating_sub(1)
                prop:value=move || position().to_string()
                disabled=move || total() == 0
                aria-valuetext=where_label
                on:input:target=move |ev| {
                    if let Ok(v) = ev.target().value().parse::<usize>() {
                        playback.update(|p| p.seek(v));
                    }
                }/>
        </label>
    }
}

/// Solve, play/pause, step, scrub, speed, and the position label.
#[component]
fn Controls() -> impl IntoView {
    let state = expect_context::<AppState>();
    let engine = expect_context::<EngineHandle>();
    let minimal = state.embed.minimal_controls;
    let total = move || state.playback.with(|p| p.total());
    let position = move || state.playback.with(|p| p.position());
    let playing = move || state.playback.with(|p| p.is_playing());
    let ready = move || state.status.get() == EngineStatus::Ready && state.solution.with(|s| s.is_ok());
    let solving = move || state.status.get() == EngineStatus::Solving;
    let where_label = move || {
        let max = state.max_steps.get();
        state.trace.with(|t| match t {
            Some(t) if !t.steps.is_empty() => label(t, position(), max),
            Some(_) => "thinking…".to_string(),
            None if minimal => "Press play to watch the model think.".to_string(),
            None => "Press Solve to watch the model think.".to_string(),
        })
    };
    // The widget's compact row: play (which solves first if nothing is recorded), step back and
    // forward, and the scrubber, on one line.
    if minimal {
        let play = move |_| {
            if state.trace.with_untracked(|t| t.is_none()) {
                if ready() {
                    solve(&state, &engine);
                }
            } else {
                state.playback.update(|p| p.toggle());
            }
        };
        return view! {
            <div class="controls compact">
                <div class="row-compact">
                    <button type="button" class="icon" id="play" aria-label=move || if playing() { "Pause" } else { "Play" }
                        title="Play or pause (p)" disabled=move || total() == 0 && !ready()
                        on:click=play>
                        {move || if playing() { icon(Icon::Pause) } else { icon(Icon::Play) }}
                    </button>
                    <button type="button" class="icon" id="step-back" aria-label="Step back" title="Step back ([)"
                        disabled=move || total() == 0
                        on:click=move |_| state.playback.update(|p| p.step_back())>{icon(Icon::Back)}</button>
                    <ForwardButtons/>
                    <Scrubber where_label=where_label/>
                </div>
                <p class="where" id="where" aria-live="polite">{where_label}</p>
            </div>
        }
        .into_any();
    }
    view! {
        <div class="controls">
            <div class="buttons">
                <Show when=move || !solving() fallback=move || view! {
                    <button type="button" class="primary" id="stop" on:click=move |_| engine.send(Request::Stop)>"Stop"</button>
                }>
                    <button type="button" class="primary" id="solve" disabled=move || !ready()
                        on:click=move |_| solve(&state, &engine)>"Solve with TRM"</button>
                </Show>
                <button type="button" class="icon" id="to-start" aria-label="Back to the start" title="Back to the start"
                    disabled=move || total() == 0
                    on:click=move |_| state.playback.update(|p| p.seek(0))>{icon(Icon::First)}</button>
                <button type="button" class="icon" id="step-back" aria-label="Step back" title="Step back ([)"
                    disabled=move || total() == 0
                    on:click=move |_| state.playback.update(|p| p.step_back())>{icon(Icon::Back)}</button>
                <button type="button" class="icon" id="play" aria-label=move || if playing() { "Pause" } else { "Play" }
                    title="Play or pause (p)" disabled=move || total() == 0
                    on:click=move |_| state.playback.update(|p| p.toggle())>
                    {move || if playing() { icon(Icon::Pause) } else { icon(Icon::Play) }}
                </button>
                <ForwardButtons/>
            </div>
            <Scrubber where_label=where_label/>
            <p class="where" id="where" aria-live="polite">{where_label}</p>
            <Show when=move || !minimal>
                <div class="options">
                    <label>
                        "Speed "
                        <input type="range" id="speed" min="0" max="100" step="1"
                            prop:value=move || format!("{:.0}", slider_from_speed(state.playback.with(|p| p.speed())))
                            on:input:target=move |ev| {
                                if let Ok(v) = ev.target().value().parse::<f64>() {
                                    state.playback.update(|p| p.set_speed(speed_from_slider(v)));
                                }
                            }/>
                        <span class="value">{move || format!("{:.0} calls/s", state.playback.with(|p| p.speed()))}</span>
                    </label>
                    <label>
                        <input type="checkbox" id="show-wrong" prop:checked=move || state.show_wrong.get()
                            on:change:target=move |ev| state.show_wrong.set(ev.target().checked())/>
                        " Mark cells that disagree with the solution"
                    </label>
                    <label>
                        <input type="checkbox" id="early-exit" prop:checked=move || state.early_exit.get()
                            on:change:target=move |ev| state.early_exit.set(ev.target().checked())/>
                        " Stop when the halting head says so"
                    </label>
                    <label title="Attempts that halt on an answer that breaks a rule are replaced by fresh ones, and K and the steps grow, until an answer satisfies every rule or the time is up">
                        <input type="checkbox" id="adaptive" prop:checked=move || state.adaptive_budget.get().is_some()
                            on:change:target=move |ev| {
                                let on = ev.target().checked();
                                state.adaptive_budget.set(on.then_some(DEFAULT_ADAPTIVE_BUDGET_S));
                                set_query_param("budget", if on { None } else { Some("off") });
                            }/>
                        {move || match state.adaptive_budget.get() {
                            Some(seconds) => format!(" Think until it is right (up to {seconds} s)"),
                            None => " Think until it is right".to_string(),
                        }}
                    </label>
                    <div class="row-buttons">
                        <button type="button" id="download-gif" disabled=move || total() == 0
                            title="The recorded solve as an animated GIF: the grid at every answer update, with a ‖Δz‖ strip"
                            on:click=move |_| download_animation(&state)>"Download animation (GIF)"</button>
                        <crate::embed_dialog::EmbedButton/>
                    </div>
                    <label>
                        "Attempts "
                        <select id="attempts" title="K attempts side by side, from symmetric starts; the first answer that satisfies every rule wins"
                            on:change:target=move |ev| {
                                if let Ok(v) = ev.target().value().parse::<usize>() {
                                    state.attempts_chosen.set(true);
                                    state.attempts.set(clamp_attempts(v));
                                }
                            }>
                            {ATTEMPT_CHOICES.into_iter().map(|n| view! {
                                <option value=n selected=move || state.attempts.get() == n>{n}</option>
                            }).collect_view()}
                        </select>
                    </label>
                    <label>
                        "Max steps "
                        <select id="max-steps" on:change:target=move |ev| {
                            if let Ok(v) = ev.target().value().parse::<usize>() { state.max_steps.set(v) }
                        }>
                            {[8usize, 16, 32, 64].into_iter().map(|n| view! {
                                <option value=n selected=move || state.max_steps.get() == n>{n}</option>
                            }).collect_view()}
                        </select>
                    </label>
                </div>
            </Show>
        </div>
    }
    .into_any()
}

/// ‖z‖/‖y‖ per recursion step, halting probability and accuracy per supervision step.
#[component]
fn Charts() -> impl IntoView {
    let state = expect_context::<AppState>();
    // How far z and y move per recursion step, with the other attempts' ‖Δz‖ as faint lines.
    let deltas = Signal::derive(move || {
        let mut series: Vec<Series> = state.solve.with(|s| {
            let Some(s) = s.as_ref().filter(|s| s.attempts.len() > 1) else { return Vec::new() };
            let shown = state.followed.get().or(s.outcome.map(|o| o.selected)).unwrap_or(0);
            s.attempts
                .iter()
                .enumerate()
                .filter(|(i, _)| *i != shown)
                .map(|(_, a)| {
                    let calls = a.trace.steps.iter().flat_map(|s| s.calls.iter());
                    let values = calls.map(|c| if c.kind == CallKind::Answer { f32::NAN } else { c.dz_mean }).collect();
                    Series { name: "", class: "faint", values }
                })
                .collect()
        });
        state.trace.with(|t| {
            let (dz, dy) = t.as_ref().map(state_moves).unwrap_or_default();
            series.push(Series { name: "‖Δz‖", class: "z", values: dz });
            series.push(Series { name: "‖Δy‖", class: "y", values: dy });
        });
        series
    });
    let norms = Signal::derive(move || {
        state.trace.with(|t| {
            let (z, y): (Vec<f32>, Vec<f32>) = t.as_ref().map(norm_series).unwrap_or_default().into_iter().unzip();
            vec![Series { name: "‖z‖", class: "z-norm", values: z }, Series { name: "‖y‖", class: "y-norm", values: y }]
        })
    });
    let halts = Signal::derive(move || {
        let values = state.trace.with(|t| t.as_ref().map(halt_series).unwrap_or_default());
        vec![Series { name: "P(halt)", class: "halt", values }]
    });
    let accuracy = Signal::derive(move || {
        let puzzle = state.traced_puzzle.get();
        let solution = state.solution.with(|s| s.as_ref().ok().copied());
        let values = match (puzzle, solution) {
            (Some(p), Some(s)) if p == state.puzzle.get() => {
                state.trace.with(|t| t.as_ref().map(|t| accuracy_series(t, &p, &s)).unwrap_or_default())
            }
            _ => Vec::new(),
        };
        vec![Series { name: "blank cells right", class: "accuracy", values }]
    });
    let confidence = Signal::derive(move || {
        let puzzle = state.traced_puzzle.get();
        let cell = state.selected.get().filter(|&c| puzzle.is_some_and(|p| p.get(c) == 0));
        let values = match puzzle {
            Some(p) => state.trace.with(|t| t.as_ref().map(|t| confidence_series(t, &p, cell)).unwrap_or_default()),
            None => Vec::new(),
        };
        let name = if cell.is_some() { "selected cell" } else { "mean over blank cells" };
        vec![Series { name, class: "confidence", values }]
    });
    let cursor =
        Signal::derive(move || state.trace.with(|t| t.as_ref().map(|_| state.playback.with(|p| p.position()))));
    let step_cursor = Signal::derive(move || {
        state.trace.with(|t| t.as_ref().and_then(|t| locate(t, state.playback.with(|p| p.position())).map(|p| p.step)))
    });
    let update_cursor = Signal::derive(move || {
        let position = state.playback.with(|p| p.position());
        state.trace.with(|t| {
            let t = t.as_ref()?;
            let updates =
                t.steps.iter().flat_map(|s| s.calls.iter()).take(position + 1).filter(|c| !c.probs.is_empty()).count();
            updates.checked_sub(1)
        })
    });
    let calls_per_step = Signal::derive(move || {
        state.trace.with(|t| t.as_ref().map(|t| t.cycles * (t.latent_updates + 1)).unwrap_or(1))
    });
    let minimal = state.embed.minimal_controls;
    view! {
        <div class="charts">
            <Show when=move || !minimal>
                <crate::latent_view::LatentMap/>
            </Show>
            <LineChart id="chart-delta" title="How far z and y move at every recursion step" series=deltas
                secondary=norms log_scale=true cursor=cursor group=calls_per_step
                caption="Big: the model is still changing its mind; near zero: it has settled (right or wrong). Log scale."
                tooltip="‖Δz‖: the mean over cells of how far each cell's latent vector moved in one net call; ‖Δy‖ the same for the answer state, which moves only at answer updates. The thin lines (right axis) are ‖z‖ and ‖y‖ themselves: they sit near √D ≈ 11.3 because every net call ends in an RMSNorm, which fixes the length of each cell's vector, so only the direction carries information."/>
            <Show when=move || !minimal>
                <LineChart id="chart-confidence" title="Confidence in the final digits" series=confidence
                    y_range=(0.0, 1.0) cursor=update_cursor
                    caption="Probability of the digit each cell ends on, at every answer update. Click a blank cell to follow it alone."/>
                <LineChart id="chart-halt" title="Halting probability per supervision step" series=halts
                    y_range=(0.0, 1.0) reference=0.5 cursor=step_cursor
                    caption="Above the dashed line the halting head says stop."/>
                <LineChart id="chart-accuracy" title="Accuracy per supervision step" series=accuracy
                    y_range=(0.0, 1.0) cursor=step_cursor
                    caption="Blank cells the model has right, against the exact solver's solution."/>
            </Show>
            <Show when=move || !minimal && state.compute.with(|c| c.len() > 1)>
                <ComputeChart id="chart-compute" samples=state.compute/>
            </Show>
        </div>
    }
}

/// Backend, timings and the classical solver's time.
#[component]
fn Readouts() -> impl IntoView {
    let state = expect_context::<AppState>();
    let r = move || state.readouts.get();
    let fmt_ms = |v: Option<f64>| v.map(|v| format!("{v:.1} ms")).unwrap_or_else(|| "–".into());
    view! {
        <dl class="readouts" id="readouts">
            <dt>"Backend"</dt>
            <dd id="readout-backend">{move || state.backend.get().map(|b| b.label()).unwrap_or("…")}</dd>
            <dt>"Weights"</dt>
            <dd>{move || r().weight_bytes.map(|b| format!("{:.0} kB{}", b as f64 / 1e3, if r().weights_cached { " (cached)" } else { "" })).unwrap_or_else(|| "–".into())}</dd>
            <dt>"Warm-up"</dt>
            <dd id="readout-warmup">{move || fmt_ms(r().warmup_ms)}</dd>
            <dt title="Median time of one net call after the warm-up, at batch 1 and batch 8, on each backend measured: the faster one runs the model">"Net call (batch 1 / 8)"</dt>
            <dd id="readout-timings">{move || {
                let timings = r().timings;
                if timings.is_empty() {
                    return "–".to_string();
                }
                timings
                    .iter()
                    .map(|t| format!("{} {:.2} / {:.2} ms", t.backend.short_label(), t.batch1_ms, t.batch8_ms))
                    .collect::<Vec<_>>()
                    .join(" · ")
            }}</dd>
            <dt>"Per net call"</dt>
            <dd id="readout-ms-per-call">{move || r().ms_per_call.map(|v| format!("{v:.2} ms")).unwrap_or_else(|| "–".into())}</dd>
            <dt>"Total"</dt>
            <dd id="readout-total">{move || fmt_ms(r().total_ms)}</dd>
            <dt>"Steps used"</dt>
            <dd id="readout-steps">{move || r().steps_used.map(|s| format!("{s}{}", r().stopped_by.map(|why| format!(" ({})", why.label())).unwrap_or_default())).unwrap_or_else(|| "–".into())}</dd>
            <dt>"Exact solver"</dt>
            <dd id="readout-classical">{move || r().classical_us.map(|v| format!("{v:.0} µs")).unwrap_or_else(|| "–".into())}</dd>
        </dl>
    }
}

/// Paste a puzzle, load presets or generated puzzles, share a link.
#[component]
fn InputPanel() -> impl IntoView {
    let state = expect_context::<AppState>();
    let text = RwSignal::new(String::new());
    let preset_index = StoredValue::new([0usize; 4]);
    let load_text = move || match Grid::parse_pasted(&text.get_untracked()) {
        Ok(grid) => {
            state.set_puzzle(grid);
            state.notice.set(None);
        }
        Err(e) => state.say(true, format!("That is not a puzzle: {e}")),
    };
    let tier_buttons = Tier::ALL
        .into_iter()
        .map(|tier| {
            view! {
                <button type="button" data-preset=tier.name() on:click=move |_| {
                    let list = presets(tier);
                    if list.is_empty() { return; }
                    let mut idx = preset_index.get_value();
                    let i = idx[tier as usize] % list.len();
                    idx[tier as usize] += 1;
                    preset_index.set_value(idx);
                    if let Ok(grid) = Grid::parse(&list[i]) { state.set_puzzle(grid); }
                }>{tier.name()}</button>
            }
        })
        .collect_view();
    let random_buttons = [Tier::Easy, Tier::Medium, Tier::Hard]
        .into_iter()
        .map(|tier| {
            view! {
                <button type="button" data-random=tier.name() on:click=move |_| {
                    let seed = (js_sys::Math::random() * 9.007e15) as u64;
                    let generated = Generator::new(seed).generate(tier);
                    state.set_puzzle(generated.puzzle);
                }>{tier.name()}</button>
            }
        })
        .collect_view();
    view! {
        <section class="input" aria-label="Choose a puzzle">
            <h2>"Choose a puzzle"</h2>
            <div class="row">
                <span class="what">"Samples:"</span>
                {tier_buttons}
            </div>
            <div class="row">
                <span class="what">"Generate:"</span>
                {random_buttons}
                <button type="button" on:click=move |_| state.set_puzzle(Grid::empty())>"clear grid"</button>
            </div>
            <form class="row paste" on:submit=move |ev| { ev.prevent_default(); load_text(); }>
                <label for="paste" class="what">"Paste:"</label>
                // A textarea keeps the lines of a pasted 9-line grid; Enter loads, Shift+Enter
                // starts a new line.
                <textarea id="paste" rows="1" spellcheck="false" autocomplete="off"
                    placeholder="81 characters (. or 0 for blanks), a 9-line grid, or PUZZLE,SOLUTION"
                    prop:value=move || text.get()
                    on:input:target=move |ev| text.set(ev.target().value())
                    on:keydown=move |ev| {
                        if ev.key() == "Enter" && !ev.shift_key() {
                            ev.prevent_default();
                            load_text();
                        }
                    }></textarea>
                <button type="submit" id="load">"Load"</button>
            </form>
            <div class="row">
                <button type="button" id="copy-link" on:click=move |_| {
                    leptos::task::spawn_local(async move {
                        match copy_text(&page_url()).await {
                            Ok(()) => state.say(false, "Link copied."),
                            Err(_) => state.say(false, format!("Share this link: {}", page_url())),
                        }
                    });
                }>"Copy share link"</button>
                <code class="line">{move || state.puzzle.get().to_line()}</code>
            </div>
        </section>
    }
}

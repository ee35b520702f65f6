//! The Train panel: fine-tuning in the page, run by the model worker (`worker/`) with the
//! same trainer as native training. Live charts, pause/resume/stop, reset to the shipped
//! weights, download as `.bpk`; the results persist in IndexedDB (see [`crate::bridge`]).

use leptos::prelude::*;
use trm_puzzle::maze::MazeTier;
use trm_puzzle::sudoku::generator::Tier;
use trm_trace::protocol::StepMetrics;
use trm_trace::protocol::{FineTuneRequest, Request, RunSettings, TrainingPuzzles};

use crate::bridge::EngineHandle;
use crate::charts::{LineChart, Series};
use crate::state::{AppState, Backend, EngineStatus};

/// Fine-tuning state shown by the panel.
#[derive(Clone, Copy)]
pub struct FineTuneState {
    /// Metrics of the current run, one per step.
    pub metrics: RwSignal<Vec<StepMetrics>>,
    /// Steps in the current run.
    pub target_steps: RwSignal<usize>,
    /// A run is going.
    pub running: RwSignal<bool>,
    /// A run is paused and can resume.
    pub paused: RwSignal<bool>,
    /// Recent optimizer steps per second.
    pub steps_per_s: RwSignal<Option<f64>>,
    /// WebAssembly memory in MB (grows only if something leaks).
    pub memory_mb: RwSignal<Option<f64>>,
    /// The model in use is fine-tuned (in memory and saved in IndexedDB).
    pub using_finetuned: RwSignal<bool>,
}

impl FineTuneState {
    /// Empty state.
    pub fn new() -> Self {
        Self {
            metrics: RwSignal::new(Vec::new()),
            target_steps: RwSignal::new(0),
            running: RwSignal::new(false),
            paused: RwSignal::new(false),
            steps_per_s: RwSignal::new(None),
            memory_mb: RwSignal::new(None),
            using_finetuned: RwSignal::new(false),
        }
    }
}

/// The tiers a run can train on: the page's task's, by name.
fn tier_choices(maze: bool) -> Vec<(&'static str, TrainingPuzzles)> {
    if maze {
        MazeTier::ALL.into_iter().map(|t| (t.name(), TrainingPuzzles::Maze(t))).collect()
    } else {
        Tier::ALL.into_iter().map(|t| (t.name(), TrainingPuzzles::Sudoku(t))).collect()
    }
}

/// The Train panel, for the page's task (Sudoku, or the maze with `?task=maze`).
#[component]
pub fn TrainPanel() -> impl IntoView {
    let state = expect_context::<AppState>();
    let engine = expect_context::<EngineHandle>();
    let finetune = expect_context::<FineTuneState>();
    let maze = state.maze.active;
    let choices = tier_choices(maze);
    let tier =
        RwSignal::new(if maze { TrainingPuzzles::Maze(MazeTier::Hard) } else { TrainingPuzzles::Sudoku(Tier::Medium) });
    let easiest = choices[0].1;
    let steps = RwSignal::new(100usize);
    let batch = RwSignal::new(16usize);
    let busy = move || !matches!(state.status.get(), EngineStatus::Ready | EngineStatus::Training);
    let running = move || finetune.running.get();

    let loss = Signal::derive(move || {
        finetune
            .metrics
            .with(|m| vec![Series { name: "loss", class: "loss", values: m.iter().map(|x| x.loss).collect() }])
    });
    let accuracy = Signal::derive(move || {
        finetune.metrics.with(|m| {
            vec![
                Series { name: "cells", class: "accuracy", values: m.iter().map(|x| x.cell_accuracy).collect() },
                Series { name: "exact", class: "exact", values: m.iter().map(|x| x.exact_accuracy).collect() },
            ]
        })
    });
    let send = move |request: FineTuneRequest| engine.send(Request::FineTune(request));
    let last = move || finetune.metrics.with(|m| m.last().copied());
    view! {
        <details class="train" id="train-panel">
            <summary>"Train it yourself (in this browser)"</summary>
            <Show when=move || maze>
                <p class="note">"The maze model trains on the CPU (it is small: a step of 16 mazes takes about a second)."</p>
            </Show>
            <Show when=move || !maze && state.backend.get() == Some(Backend::Cpu)>
                <p class="note">"No WebGPU here: training runs on the CPU and is slow."</p>
            </Show>
            <div class="row">
                <label>{if maze { "Mazes " } else { "Puzzles " }}
                    <select id="train-tier" on:change:target={
                        let choices = choices.clone();
                        move |ev| {
                            let name = ev.target().value();
                            if let Some((_, t)) = choices.iter().find(|(n, _)| *n == name) { tier.set(*t) }
                        }
                    }>
                        {choices.iter().map(|&(name, t)| view! {
                            <option value=name selected=move || tier.get() == t>{name}</option>
                        }).collect_view()}
                    </select>
                </label>
                <label>"Steps "
                    <input type="number" id="train-steps" min="1" max="5000" prop:value=move || steps.get().to_string()
                        on:change:target=move |ev| {
                            if let Ok(v) = ev.target().value().parse::<usize>() { steps.set(v.clamp(1, 5000)) }
                        }/>
                </label>
                <label>"Batch "
                    <select id="train-batch" on:change:target=move |ev| {
                        if let Ok(v) = ev.target().value().parse::<usize>() { batch.set(v) }
                    }>
                        {[1usize, 4, 16, 32].into_iter().map(|b| view! {
                            <option value=b selected=move || batch.get() == b>{b}</option>
                        }).collect_view()}
                    </select>
                </label>
                <button type="button" id="train-start" disabled=move || busy() || running()
                    on:click=move |_| send(FineTuneRequest::Start(RunSettings {
                        puzzles: tier.get_untracked(), from_scratch: false, steps: steps.get_untracked(),
                        batch_size: batch.get_untracked(), learning_rate: 1e-4,
                    }))>"Fine-tune"</button>
                <button type="button" id="train-scratch" disabled=move || busy() || running()
                    on:click=move |_| send(FineTuneRequest::Start(RunSettings {
                        puzzles: easiest, batch_size: batch.get_untracked(), ..RunSettings::scratch_demo()
                    }))>"Train from scratch (easy demo)"</button>
            </div>
            <div class="row">
                <Show when=running fallback=move || view! {
                    <button type="button" id="train-resume" disabled=move || !finetune.paused.get() || busy()
                        on:click=move |_| send(FineTuneRequest::Resume)>"Resume"</button>
                }>
                    <button type="button" id="train-pause" on:click=move |_| send(FineTuneRequest::Pause)>"Pause"</button>
                    <button type="button" id="train-stop" on:click=move |_| {
                        // The worker stops after the step in flight and then confirms (a notice
                        // with the step count); the panel answers the click at once.
                        finetune.running.set(false);
                        engine.send(Request::Stop);
                    }>"Stop"</button>
                </Show>
                <button type="button" id="train-reset" disabled=move || busy() || running()
                    on:click=move |_| send(FineTuneRequest::Reset)>"Reset to shipped weights"</button>
                <button type="button" id="train-download" disabled=move || busy() || running()
                    on:click=move |_| send(FineTuneRequest::Download)>"Download weights (.bpk)"</button>
            </div>
            <p class="train-status" id="train-status" data-steps=move || finetune.metrics.with(|m| m.len())
                data-memory=move || finetune.memory_mb.get().map(|m| format!("{m:.1}")).unwrap_or_default()>
                {move || match last() {
                    Some(m) => format!(
                        "step {}/{} · loss {:.3} · cells {:.1}% · exact {:.1}% · {} · memory {}",
                        m.step, finetune.target_steps.get(), m.loss, 100.0 * m.cell_accuracy, 100.0 * m.exact_accuracy,
                        finetune.steps_per_s.get().map(|s| format!("{s:.2} steps/s")).unwrap_or_else(|| "… steps/s".into()),
                        finetune.memory_mb.get().map(|m| format!("{m:.0} MB")).unwrap_or_else(|| "–".into()),
                    ),
                    None => if finetune.using_finetuned.get() { "Using fine-tuned weights.".into() } else { "Using the shipped weights.".into() },
                }}
            </p>
            <div class="charts">
                <LineChart id="chart-train-loss" title="Training loss" series=loss/>
                <LineChart id="chart-train-accuracy" title="Training accuracy" series=accuracy y_range=(0.0, 1.0)/>
            </div>
        </details>
    }
}

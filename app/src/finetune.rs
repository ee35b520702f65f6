//! Fine-tuning in the page: the same [`Trainer`] as native training (same losses, deep
//! supervision, EMA), on generated puzzles, with live charts, pause/resume/stop, reset to the
//! shipped weights, download as `.bpk`, and persistence in IndexedDB.

use futures::channel::mpsc::UnboundedReceiver;
use leptos::prelude::*;
use trm_sudoku::data::{DataSource, Stage};
use trm_sudoku::generator::Tier;
use trm_sudoku::training::{StepMetrics, Trainer, TrainingConfig};
use trm_sudoku::weights;

use crate::charts::{LineChart, Series};
use crate::engine::{Command, Engine, EngineHandle, fall_back_to_cpu};
use crate::platform::{download_bytes, now_ms, yield_to_browser};
use crate::state::{AppState, Backend, EngineStatus};

const SAVED_WEIGHTS: &str = "finetuned.bpk";
const SAVED_CONFIG: &str = "finetuned.json";

/// Fine-tuning commands.
#[derive(Debug, Clone)]
pub enum FineTuneRequest {
    /// Start a new run (dropping a paused one).
    Start(RunSettings),
    /// Continue a paused run.
    Resume,
    /// Pause: keep the run to resume later.
    Pause,
    /// Go back to the shipped weights and forget the saved ones.
    Reset,
    /// Download the current weights.
    Download,
}

/// What a run trains on, and how.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RunSettings {
    /// Tier of the generated puzzles.
    pub tier: Tier,
    /// Start from freshly initialised weights (with an easy curriculum).
    pub from_scratch: bool,
    /// Optimizer steps.
    pub steps: usize,
    /// Carried batch size.
    pub batch_size: usize,
    /// Peak learning rate.
    pub learning_rate: f64,
}

impl RunSettings {
    /// The "train from scratch" demo: easy puzzles, few blanks first.
    pub fn scratch_demo() -> Self {
        Self { tier: Tier::Easy, from_scratch: true, steps: 400, batch_size: 32, learning_rate: 1e-3 }
    }
}

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

fn wasm_memory_mb() -> f64 {
    use wasm_bindgen::JsCast;
    wasm_bindgen::memory()
        .dyn_into::<js_sys::WebAssembly::Memory>()
        .ok()
        .and_then(|m| m.buffer().dyn_into::<js_sys::ArrayBuffer>().ok())
        .map(|b| b.byte_length() as f64 / 1e6)
        .unwrap_or(0.0)
}

/// Loads fine-tuned weights saved in IndexedDB, if any fit the shipped config.
pub async fn restore_saved(engine: &mut Engine, state: &AppState, finetune: &FineTuneState) {
    let (Ok(Some(bytes)), Ok(Some(config))) =
        (crate::idb::get(SAVED_WEIGHTS).await, crate::idb::get(SAVED_CONFIG).await)
    else {
        return;
    };
    let Ok(config) = weights::config_from_json(&String::from_utf8_lossy(&config)) else { return };
    match weights::from_bytes(&config, &bytes, &engine.device) {
        Ok(model) => {
            engine.model = model;
            engine.config = config;
            finetune.using_finetuned.set(true);
            state.say(false, "Using your fine-tuned weights saved in this browser (Reset in the Train panel restores the shipped ones).");
        }
        Err(e) => {
            state.say(true, format!("Your saved fine-tuned weights could not be used ({e}); using the shipped ones."))
        }
    }
}

/// Handles a fine-tuning request. Returns a command that interrupted a run.
pub async fn handle(
    engine: &mut Engine,
    state: &AppState,
    finetune: &FineTuneState,
    rx: &mut UnboundedReceiver<Command>,
    request: FineTuneRequest,
) -> Option<Command> {
    match request {
        FineTuneRequest::Start(settings) => {
            engine.trainer = None;
            match new_trainer(engine, settings).await {
                Ok(trainer) => {
                    engine.trainer = Some(trainer);
                    finetune.metrics.set(Vec::new());
                    finetune.target_steps.set(settings.steps);
                    run(engine, state, finetune, rx).await
                }
                Err(e) => {
                    state.say(true, format!("Could not start training: {e}"));
                    None
                }
            }
        }
        FineTuneRequest::Resume => {
            if engine.trainer.is_some() {
                run(engine, state, finetune, rx).await
            } else {
                None
            }
        }
        FineTuneRequest::Pause => None,
        FineTuneRequest::Reset => {
            engine.trainer = None;
            finetune.paused.set(false);
            finetune.metrics.set(Vec::new());
            let _ = crate::idb::delete(SAVED_WEIGHTS).await;
            let _ = crate::idb::delete(SAVED_CONFIG).await;
            match weights::from_bytes(&engine.config, &engine.shipped, &engine.device) {
                Ok(model) => {
                    engine.model = model;
                    finetune.using_finetuned.set(false);
                    state.say(false, "Back to the shipped weights.");
                }
                Err(e) => state.say(true, format!("Could not reload the shipped weights: {e}")),
            }
            None
        }
        FineTuneRequest::Download => {
            match weights::to_bytes_async(&engine.model, &engine.config, false).await {
                Ok(bytes) => {
                    if let Err(e) = download_bytes("trm-sudoku-finetuned.bpk", &bytes) {
                        state.say(true, format!("Download failed: {e}"));
                    }
                }
                Err(e) => state.say(true, format!("Could not serialise the weights: {e}")),
            }
            None
        }
    }
}

async fn new_trainer(engine: &Engine, settings: RunSettings) -> Result<Trainer, String> {
    let device = engine.device.clone().autodiff();
    let data = if settings.from_scratch {
        DataSource::Curriculum {
            stages: vec![
                Stage { tier: Tier::Easy, max_blanks: 4, steps: settings.steps / 4 },
                Stage { tier: Tier::Easy, max_blanks: 8, steps: settings.steps / 4 },
                Stage { tier: Tier::Easy, max_blanks: 16, steps: usize::MAX },
            ],
            review: 0.2,
        }
    } else {
        DataSource::tier(settings.tier)
    };
    let seed = (js_sys::Math::random() * 4.0e9) as u64;
    let config = TrainingConfig::new(engine.config.clone().with_seed(seed), data)
        .with_batch_size(settings.batch_size)
        .with_steps(settings.steps)
        .with_learning_rate(settings.learning_rate)
        .with_warmup_steps(20)
        .with_weight_decay(0.1)
        // A short run needs a short EMA horizon.
        .with_ema_decay(0.9)
        .with_seed(seed);
    let model = if settings.from_scratch {
        config.model.init(&device)
    } else {
        let bytes = weights::to_bytes_async(&engine.model, &engine.config, false).await.map_err(|e| e.to_string())?;
        weights::from_bytes(&engine.config, &bytes, &device).map_err(|e| e.to_string())?
    };
    Trainer::from_parts(config, Vec::new(), model, None, None, None).map_err(|e| e.to_string())
}

/// How a run of [`run`] ended.
enum RunEnd {
    /// All steps done.
    Finished,
    /// Paused by the user, or by another request (`Some`), which the caller handles next.
    Paused(Option<Command>),
    /// Stopped by the user: the run is over, its EMA weights are kept.
    Stopped(Box<Trainer>),
    /// A step failed: the previous weights stay in use.
    Failed,
}

/// Trains until done, paused, stopped or interrupted. Unless a step failed, the model in use
/// becomes the EMA weights (when at least one step ran) and is saved in IndexedDB.
async fn run(
    engine: &mut Engine,
    state: &AppState,
    finetune: &FineTuneState,
    rx: &mut UnboundedReceiver<Command>,
) -> Option<Command> {
    state.status.set(EngineStatus::Training);
    finetune.running.set(true);
    finetune.paused.set(false);
    let mut window_start = (now_ms(), engine.trainer.as_ref().map(|t| t.step_count()).unwrap_or(0));
    let end = loop {
        let Some(trainer) = engine.trainer.as_mut() else { break RunEnd::Failed };
        if trainer.done() {
            break RunEnd::Finished;
        }
        match trainer.train_step().await {
            Ok(metrics) => {
                finetune.metrics.update(|m| m.push(metrics));
                let now = now_ms();
                if now - window_start.0 > 1000.0 {
                    let steps = metrics.step - window_start.1;
                    finetune.steps_per_s.set(Some(steps as f64 * 1000.0 / (now - window_start.0)));
                    finetune.memory_mb.set(Some(wasm_memory_mb()));
                    window_start = (now, metrics.step);
                }
            }
            Err(e) => {
                engine.trainer = None;
                if engine.backend == Backend::WebGpu {
                    let _ = fall_back_to_cpu(engine, state, &e.to_string()).await;
                }
                state.say(true, format!("Training stopped: {e}. The previous weights stay in use."));
                break RunEnd::Failed;
            }
        }
        yield_to_browser().await;
        match rx.try_recv() {
            Ok(Command::FineTune(FineTuneRequest::Pause)) => break RunEnd::Paused(None),
            Ok(Command::Stop) => match engine.trainer.take() {
                Some(trainer) => break RunEnd::Stopped(Box::new(trainer)),
                None => break RunEnd::Failed,
            },
            // Another request (a solve, a new run): pause this one and let it through.
            Ok(other) => break RunEnd::Paused(Some(other)),
            _ => {}
        }
    };
    finetune.running.set(false);
    finetune.memory_mb.set(Some(wasm_memory_mb()));
    let (steps, interrupted) = match end {
        RunEnd::Failed => return None,
        RunEnd::Finished => {
            let steps = engine.trainer.take().map(|trainer| keep_ema(engine, &trainer)).unwrap_or(0);
            finetune.paused.set(false);
            (steps, None)
        }
        RunEnd::Paused(interrupted) => {
            finetune.paused.set(true);
            let trainer = engine.trainer.take();
            let steps = trainer.as_ref().map(|trainer| keep_ema(engine, trainer)).unwrap_or(0);
            engine.trainer = trainer;
            (steps, interrupted)
        }
        RunEnd::Stopped(trainer) => {
            finetune.paused.set(false);
            let steps = keep_ema(engine, &trainer);
            state.say(
                false,
                if steps == 0 {
                    "Stopped before the first step: the weights are unchanged.".to_string()
                } else {
                    format!("Stopped after {steps} steps: the page now uses the fine-tuned weights.")
                },
            );
            (steps, None)
        }
    };
    if steps > 0 {
        finetune.using_finetuned.set(true);
        save_weights(engine, state).await;
    }
    interrupted
}

/// Makes the trainer's EMA weights the model in use if it took any step; returns its steps.
fn keep_ema(engine: &mut Engine, trainer: &Trainer) -> usize {
    let steps = trainer.step_count();
    if steps > 0 {
        engine.model = trainer.ema().clone();
    }
    steps
}

/// Saves the model in use in IndexedDB, so a reload keeps it.
async fn save_weights(engine: &Engine, state: &AppState) {
    match weights::to_bytes_async(&engine.model, &engine.config, false).await {
        Ok(bytes) => {
            let config = weights::config_to_json(&engine.config);
            let saved = match crate::idb::put(SAVED_WEIGHTS, &bytes).await {
                Ok(()) => crate::idb::put(SAVED_CONFIG, config.as_bytes()).await,
                Err(e) => Err(e),
            };
            if let Err(e) = saved {
                state.say(true, format!("Could not save the fine-tuned weights in this browser: {e}"));
            }
        }
        Err(e) => state.say(true, format!("Could not serialise the fine-tuned weights: {e}")),
    }
}

/// The Train panel.
#[component]
pub fn TrainPanel() -> impl IntoView {
    let state = expect_context::<AppState>();
    let engine = expect_context::<EngineHandle>();
    let finetune = expect_context::<FineTuneState>();
    let tier = RwSignal::new(Tier::Medium);
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
    let send = move |request: FineTuneRequest| engine.send(Command::FineTune(request));
    let last = move || finetune.metrics.with(|m| m.last().copied());
    view! {
        <details class="train" id="train-panel">
            <summary>"Train it yourself (in this browser)"</summary>
            <Show when=move || state.backend.get() == Some(Backend::Cpu)>
                <p class="note">"No WebGPU here: training runs on the CPU and is slow."</p>
            </Show>
            <div class="row">
                <label>"Puzzles "
                    <select id="train-tier" on:change:target=move |ev| {
                        if let Ok(t) = ev.target().value().parse::<Tier>() { tier.set(t) }
                    }>
                        {Tier::ALL.into_iter().map(|t| view! {
                            <option value=t.name() selected=move || tier.get() == t>{t.name()}</option>
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
                        tier: tier.get_untracked(), from_scratch: false, steps: steps.get_untracked(),
                        batch_size: batch.get_untracked(), learning_rate: 1e-4,
                    }))>"Fine-tune"</button>
                <button type="button" id="train-scratch" disabled=move || busy() || running()
                    on:click=move |_| send(FineTuneRequest::Start(RunSettings {
                        batch_size: batch.get_untracked(), ..RunSettings::scratch_demo()
                    }))>"Train from scratch (easy demo)"</button>
            </div>
            <div class="row">
                <Show when=running fallback=move || view! {
                    <button type="button" id="train-resume" disabled=move || !finetune.paused.get() || busy()
                        on:click=move |_| send(FineTuneRequest::Resume)>"Resume"</button>
                }>
                    <button type="button" id="train-pause" on:click=move |_| send(FineTuneRequest::Pause)>"Pause"</button>
                    <button type="button" id="train-stop" on:click=move |_| engine.send(Command::Stop)>"Stop"</button>
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

//! The engine: the one owner of the device and the model. It runs as a single local task that
//! takes commands from the UI over a channel and writes results into the UI's signals, so GPU
//! work is never interleaved and no borrow is ever held across an `.await`.
//!
//! Start-up: probe WebGPU (falling back to the CPU backend with a note), download the weights
//! with progress into Cache Storage, load them, and run a warm-up step (shader compilation).
//! A solve runs one supervision step at a time, reads its trace back once, and yields to the
//! browser between steps. If the GPU device is lost mid-solve, the engine reloads the weights
//! on the CPU and runs the solve again there.

use burn::prelude::*;
use futures::StreamExt;
use futures::channel::mpsc::{UnboundedReceiver, UnboundedSender, unbounded};
use leptos::prelude::*;
use trm_sudoku::ErrorKind;
use trm_sudoku::formats::Manifest;
use trm_sudoku::grid::Grid;
use trm_sudoku::inference::{InferenceConfig, Session};
use trm_sudoku::model::{Trm, TrmConfig};
use trm_sudoku::solver::solve_unique;
use trm_sudoku::weights;
use wasm_bindgen_futures::spawn_local;

use crate::finetune::{FineTuneRequest, FineTuneState};
use crate::platform::{fetch_cached, fetch_text, now_ms, webgpu_adapter_available, yield_to_browser};
use crate::state::{AppState, Backend, EngineStatus};

/// What the UI asks of the engine.
#[derive(Debug)]
pub enum Command {
    /// Solve a puzzle with K attempts, recording every attempt's trace.
    Solve {
        /// The puzzle.
        puzzle: Grid,
        /// Most supervision steps.
        max_steps: usize,
        /// Stop at the halting head's signal.
        early_exit: bool,
        /// K: attempts side by side.
        attempts: usize,
    },
    /// Stop the running solve or training run.
    Stop,
    /// Fine-tuning (see [`crate::finetune`]).
    FineTune(FineTuneRequest),
    /// Time bare net calls (for the benchmark script): replies with ms per call.
    Bench {
        /// Batch size.
        batch: usize,
        /// Net calls to time.
        calls: usize,
        /// Where the result goes.
        reply: futures::channel::oneshot::Sender<Result<f64, String>>,
    },
}

/// The UI's handle on the engine (`Copy`, so every event handler can hold one).
#[derive(Clone, Copy)]
pub struct EngineHandle {
    tx: StoredValue<UnboundedSender<Command>>,
}

impl EngineHandle {
    /// Queues a command. After a fatal start-up error the engine is gone and commands are dropped.
    pub fn send(&self, command: Command) {
        self.tx.with_value(|tx| {
            let _ = tx.unbounded_send(command);
        });
    }
}

thread_local! {
    static HANDLE: std::cell::Cell<Option<EngineHandle>> = const { std::cell::Cell::new(None) };
}

/// Starts the engine task.
pub fn start(state: AppState, finetune: FineTuneState) -> EngineHandle {
    let (tx, rx) = unbounded();
    spawn_local(run(rx, state, finetune));
    let handle = EngineHandle { tx: StoredValue::new(tx) };
    HANDLE.with(|h| h.set(Some(handle)));
    handle
}

/// `benchNetCall(batch, calls)` for scripts: ms per net call on the page's backend.
#[wasm_bindgen::prelude::wasm_bindgen(js_name = benchNetCall)]
pub async fn bench_net_call_js(batch: u32, calls: u32) -> Result<f64, wasm_bindgen::JsValue> {
    let handle =
        HANDLE.with(|h| h.get()).ok_or_else(|| wasm_bindgen::JsValue::from_str("the engine is not running"))?;
    let (reply, answer) = futures::channel::oneshot::channel();
    handle.send(Command::Bench { batch: batch as usize, calls: calls as usize, reply });
    match answer.await {
        Ok(Ok(ms)) => Ok(ms),
        Ok(Err(e)) => Err(wasm_bindgen::JsValue::from_str(&e)),
        Err(_) => Err(wasm_bindgen::JsValue::from_str("the engine stopped")),
    }
}

/// Where the shipped model is.
const MANIFEST_URL: &str = "assets/manifest.json";
const CACHE_NAME: &str = "trm-sudoku-weights";

/// The loaded model and what is needed to rebuild it elsewhere.
pub struct Engine {
    /// Config of the loaded model.
    pub config: TrmConfig,
    /// The shipped weights' bytes (to reload on the CPU or reset fine-tuning).
    pub shipped: Vec<u8>,
    /// The current model.
    pub model: Trm,
    /// Its device.
    pub device: Device,
    /// Which backend.
    pub backend: Backend,
    /// A fine-tuning run, kept while paused.
    pub trainer: Option<trm_sudoku::training::Trainer>,
}

async fn run(mut rx: UnboundedReceiver<Command>, state: AppState, finetune: FineTuneState) {
    let mut engine = match load(&state).await {
        Ok(engine) => engine,
        Err(message) => {
            state.status.set(EngineStatus::Failed(message.clone()));
            state.say(true, message);
            return;
        }
    };
    crate::finetune::restore_saved(&mut engine, &state, &finetune).await;
    state.status.set(EngineStatus::Ready);
    let mut pending: Option<Command> = None;
    loop {
        let command = match pending.take() {
            Some(c) => c,
            None => match rx.next().await {
                Some(c) => c,
                None => return,
            },
        };
        pending = match command {
            Command::Solve { puzzle, max_steps, early_exit, attempts } => {
                solve(&mut engine, &state, &mut rx, puzzle, max_steps, early_exit, attempts).await
            }
            Command::Stop => None,
            Command::Bench { batch, calls, reply } => {
                let _ = reply.send(bench_net_call(&engine, batch, calls).await);
                None
            }
            Command::FineTune(request) => {
                crate::finetune::handle(&mut engine, &state, &finetune, &mut rx, request).await
            }
        };
        if !matches!(state.status.get_untracked(), EngineStatus::Failed(_)) {
            state.status.set(EngineStatus::Ready);
        }
    }
}

async fn load(state: &AppState) -> Result<Engine, String> {
    state.status.set(EngineStatus::Probing);
    let (device, backend) = match webgpu_adapter_available().await {
        Ok(()) => match Device::wgpu_options().init_async().await {
            Ok(device) => (device, Backend::WebGpu),
            Err(e) => {
                state.backend_note.set(Some(format!("WebGPU could not start ({e:?}); running on the CPU.")));
                (Device::flex(), Backend::Cpu)
            }
        },
        Err(why) => {
            state.backend_note.set(Some(format!("{why}; running on the CPU, which is slower.")));
            (Device::flex(), Backend::Cpu)
        }
    };
    state.backend.set(Some(backend));

    let manifest: Manifest = serde_json::from_str(&fetch_text(MANIFEST_URL).await?)
        .map_err(|e| format!("{MANIFEST_URL} is invalid: {e}"))?;
    let config_json = fetch_text(&format!("assets/{}", manifest.config)).await?;
    let config = weights::config_from_json(&config_json).map_err(|e| e.to_string())?;
    let url = format!("assets/{}", manifest.weights);
    let key = format!("{url}?v={}", manifest.version);
    state.status.set(EngineStatus::Downloading { loaded: 0, total: None });
    let status = state.status;
    let download = fetch_cached(&url, CACHE_NAME, &key, |loaded, total| {
        status.set(EngineStatus::Downloading { loaded, total });
    })
    .await?;
    state.readouts.update(|r| {
        r.weight_bytes = Some(download.bytes.len() as u64);
        r.weights_cached = download.cached;
    });
    let model = weights::from_bytes(&config, &download.bytes, &device).map_err(|e| e.to_string())?;
    let mut engine = Engine { config, shipped: download.bytes, model, device, backend, trainer: None };

    state.status.set(EngineStatus::WarmingUp);
    let start = now_ms();
    if let Err(e) = warm_up(&engine).await {
        fall_back_to_cpu(&mut engine, state, &e.to_string()).await?;
        warm_up(&engine).await?;
    }
    state.readouts.update(|r| r.warmup_ms = Some(now_ms() - start));
    // Two timed calls (after one more untimed) set the page's default K.
    if let Ok(ms) = bench_net_call(&engine, 1, 2).await {
        state.readouts.update(|r| r.net_call_ms = Some(ms));
    }
    Ok(engine)
}

/// One supervision step on an easy puzzle: compiles the shaders before the user waits on them.
async fn warm_up(engine: &Engine) -> Result<(), String> {
    let puzzle = Grid::parse(crate::presets::WARM_UP_PUZZLE).map_err(|e| e.to_string())?;
    let mut session = Session::new(engine.model.clone(), puzzle, InferenceConfig::new().with_max_steps(1));
    session.step().await.map(|_| ()).map_err(|e| e.to_string())
}

/// Reloads the model on the CPU after a WebGPU failure: the current weights if the GPU can
/// still be read, else the shipped ones.
pub async fn fall_back_to_cpu(engine: &mut Engine, state: &AppState, why: &str) -> Result<(), String> {
    let device = Device::flex();
    let model = match weights::to_host(&engine.model, &engine.config).await {
        Ok(host) => host,
        Err(_) => weights::from_bytes(&engine.config, &engine.shipped, &device).map_err(|e| e.to_string())?,
    };
    engine.model = model;
    engine.device = device;
    engine.backend = Backend::Cpu;
    state.backend.set(Some(Backend::Cpu));
    let why = why.lines().next().unwrap_or("unknown error").trim();
    state.backend_note.set(Some(format!("The GPU stopped working ({why}); switched to the CPU.")));
    Ok(())
}

/// Runs one solve. Returns a command that arrived meanwhile and interrupted it.
async fn solve(
    engine: &mut Engine,
    state: &AppState,
    rx: &mut UnboundedReceiver<Command>,
    puzzle: Grid,
    max_steps: usize,
    early_exit: bool,
    attempts: usize,
) -> Option<Command> {
    state.status.set(EngineStatus::Solving);
    state.clear_trace();
    state.traced_puzzle.set(Some(puzzle));
    state.readouts.update(|r| {
        r.classical_us = classical_time_us(&puzzle);
        r.ms_per_call = None;
        r.total_ms = None;
        r.steps_used = None;
    });

    let config = InferenceConfig::new()
        .with_max_steps(max_steps)
        .with_early_exit(early_exit)
        .with_attempts(attempts.max(1))
        .with_noise(trm_sudoku::attempts::DEFAULT_NOISE);
    let mut session = Session::new(engine.model.clone(), puzzle, config);
    state.solve.set(Some(session.solve_trace().clone()));
    state.playback.update(|p| p.play());
    let calls_per_step = engine.config.calls_per_step() as f64;
    let start = now_ms();
    let mut compute_ms = 0.0;
    while !session.finished() {
        let t0 = now_ms();
        match session.step().await {
            Ok(ran) => {
                compute_ms += now_ms() - t0;
                let steps_done = session.steps_run();
                let recorded = session.solve_trace();
                let halted: Vec<Option<usize>> =
                    ran.iter().map(|(a, _)| recorded.attempts[*a].trace.halted_at).collect();
                let outcome = recorded.outcome;
                // Only the new steps cross over, not the whole recording again.
                state.solve.update(|s| {
                    if let Some(s) = s {
                        for ((attempt, step), halted_at) in ran.into_iter().zip(halted) {
                            if let Some(a) = s.attempts.get_mut(attempt) {
                                a.trace.steps.push(step);
                                a.trace.halted_at = halted_at;
                            }
                        }
                        s.outcome = outcome;
                    }
                });
                state.readouts.update(|r| {
                    // One batched net call runs every attempt at once.
                    r.ms_per_call = Some(compute_ms / (steps_done as f64 * calls_per_step));
                    r.steps_used = Some(steps_done);
                });
            }
            Err(e) if e.kind() == ErrorKind::OutOfMemory => {
                state.say(true, format!("The solve ran out of memory ({e}): try fewer attempts."));
                return None;
            }
            // A lost device or any other GPU failure: the CPU backend carries on.
            Err(e) if engine.backend == Backend::WebGpu => {
                if let Err(fatal) = fall_back_to_cpu(engine, state, &e.to_string()).await {
                    state.say(true, format!("The GPU failed and the CPU fallback too: {fatal}"));
                    return None;
                }
                return Some(Command::Solve { puzzle, max_steps, early_exit, attempts });
            }
            Err(e) => {
                state.say(true, format!("The solve failed: {e}"));
                return None;
            }
        }
        yield_to_browser().await;
        if let Ok(command) = rx.try_recv() {
            return Some(command);
        }
    }
    let stopped_by = match session.solve_trace().outcome {
        _ if session.steps_run() >= max_steps => None,
        Some(o) if o.verified && attempts > 1 => Some("verified"),
        _ => Some("halted"),
    };
    state.readouts.update(|r| {
        r.total_ms = Some(now_ms() - start);
        r.stopped_by = stopped_by;
    });
    None
}

/// Mean time of `calls` chained net calls at `batch`, after one warm-up call, ending with a
/// readback so that queued GPU work is counted.
async fn bench_net_call(engine: &Engine, batch: usize, calls: usize) -> Result<f64, String> {
    let batch = batch.clamp(1, 256);
    let puzzle = Grid::parse(crate::presets::WARM_UP_PUZZLE).map_err(|e| e.to_string())?;
    let x = engine.model.embed(trm_sudoku::inference::tokens(&vec![puzzle; batch], &engine.device));
    let (y, mut z) = engine.model.initial_state(batch);
    let injection = y + x;
    z = engine.model.net(z, injection.clone());
    z.clone().slice([0..1, 0..1, 0..1]).into_data_async().await.map_err(|e| format!("{e:?}"))?;
    let start = now_ms();
    for _ in 0..calls.max(1) {
        z = engine.model.net(z, injection.clone());
    }
    z.slice([0..1, 0..1, 0..1]).into_data_async().await.map_err(|e| format!("{e:?}"))?;
    Ok((now_ms() - start) / calls.max(1) as f64)
}

/// Time of the exact solver on `puzzle`, averaged over enough repetitions to beat the timer's
/// coarse resolution.
fn classical_time_us(puzzle: &Grid) -> Option<f64> {
    let start = now_ms();
    let mut runs = 0u32;
    while runs < 10_000 && (runs < 3 || now_ms() - start < 20.0) {
        solve_unique(puzzle).ok()?;
        runs += 1;
    }
    Some((now_ms() - start) * 1000.0 / f64::from(runs))
}

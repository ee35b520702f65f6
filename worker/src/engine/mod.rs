//! The engine: the one owner of the device and the model, run by the worker ([`crate`]). It takes [`Request`]s from an inbox and answers with [`Event`]s
//! through an [`Outbox`]; it knows nothing of the page, so GPU work is never interleaved and
//! the page's thread never runs the model.
//!
//! Start-up: probe WebGPU (falling back to the CPU backend with a note), wait for the weights
//! from the page, load them, and run a warm-up step (shader compilation). A solve runs one
//! supervision step at a time, reads its trace back once, and yields between steps, so a Stop
//! gets through. If the GPU device is lost mid-solve, the engine reloads the weights on the
//! CPU and runs the solve again there.

mod finetune;

use std::collections::VecDeque;
use std::rc::Rc;

use burn::prelude::*;
use futures::StreamExt;
use futures::channel::mpsc::UnboundedReceiver;
use trm_sudoku::ErrorKind;
use trm_sudoku::grid::Grid;
use trm_sudoku::inference::{InferenceConfig, Session};
use trm_sudoku::model::{Trm, TrmConfig};
use trm_sudoku::solver::solve_unique;
use trm_sudoku::weights;

use crate::runtime::{now_ms, webgpu_adapter_available, yield_now};
use trm_sudoku::protocol::{AttemptProgress, Backend, EngineStatus, Event, Request, StopReason, WeightsFile};

/// Puzzle used for the warm-up pass and the net-call benchmark.
const WARM_UP_PUZZLE: &str = "..3.2.6..9..3.5..1..18.64....81.29..7.......8..67.82....26.95..8..2.3..9..5.1.3..";

/// Where the engine's events go (the worker posts them to the page).
#[derive(Clone)]
pub struct Outbox(Rc<dyn Fn(Event)>);

impl Outbox {
    /// An outbox that hands every event to `post`.
    pub fn new(post: impl Fn(Event) + 'static) -> Self {
        Self(Rc::new(post))
    }

    /// Sends one event.
    pub fn send(&self, event: Event) {
        (self.0)(event)
    }

    /// Sends a message for the user.
    pub fn say(&self, error: bool, text: impl Into<String>) {
        self.send(Event::Notice { error, text: text.into() });
    }

    fn status(&self, status: EngineStatus) {
        self.send(Event::Status(status));
    }
}

/// Requests waiting for the engine: the inbox, plus any taken off it early (by a running solve
/// or training run that checks for Stop) and not yet handled.
pub struct Inbox {
    receiver: UnboundedReceiver<Request>,
    early: VecDeque<Request>,
}

impl Inbox {
    /// Wraps the channel the worker's message handler feeds.
    pub fn new(receiver: UnboundedReceiver<Request>) -> Self {
        Self { receiver, early: VecDeque::new() }
    }

    /// The next request; `None` when the page has gone.
    async fn next(&mut self) -> Option<Request> {
        match self.early.pop_front() {
            Some(request) => Some(request),
            None => self.receiver.next().await,
        }
    }

    /// A request that has already arrived, without waiting.
    fn try_next(&mut self) -> Option<Request> {
        self.early.pop_front().or_else(|| self.receiver.try_recv().ok())
    }

    /// Puts a request back to be handled next.
    fn put_back(&mut self, request: Request) {
        self.early.push_front(request);
    }
}

/// The loaded model and what is needed to rebuild it elsewhere.
pub struct Engine {
    /// Config of the loaded model.
    config: TrmConfig,
    /// The shipped model (to reload on the CPU or reset fine-tuning).
    shipped: WeightsFile,
    /// The current model.
    model: Trm,
    /// Its device.
    device: Device,
    /// Which backend.
    backend: Backend,
    /// A fine-tuning run, kept while paused.
    trainer: Option<trm_sudoku::training::Trainer>,
}

/// Runs the engine until the page goes away.
pub async fn run(mut inbox: Inbox, out: Outbox) {
    let (device, backend) = pick_device(&out).await;
    let mut waiting = Vec::new();
    let (shipped, saved) = loop {
        match inbox.next().await {
            Some(Request::Load { shipped, saved }) => break (shipped, saved),
            // Asked before the weights came: handled once they are loaded.
            Some(other) => waiting.push(other),
            None => return,
        }
    };
    let mut engine = match load(device, backend, shipped, saved, &out).await {
        Ok(engine) => engine,
        Err(message) => {
            out.status(EngineStatus::Failed(message.clone()));
            out.say(true, message);
            return;
        }
    };
    for request in waiting.into_iter().rev() {
        inbox.put_back(request);
    }
    out.status(EngineStatus::Ready);
    while let Some(request) = inbox.next().await {
        match request {
            Request::Solve { puzzle, max_steps, early_exit, attempts } => {
                solve(&mut engine, &out, &mut inbox, &puzzle, max_steps, early_exit, attempts).await
            }
            Request::Load { .. } => out.say(true, "The model is already loaded."),
            Request::Stop => {}
            Request::Bench { id, batch, calls } => {
                let result = bench_net_call(&engine, batch, calls).await;
                out.send(Event::BenchResult { id, result });
            }
            Request::FineTune(request) => finetune::handle(&mut engine, &out, &mut inbox, request).await,
        }
        out.status(EngineStatus::Ready);
    }
}

/// The model a weights file describes, on `device`, with its config.
fn load_file(file: &WeightsFile, device: &Device) -> Result<(Trm, TrmConfig), weights::WeightsError> {
    let config = weights::config_from_json(&file.config_json)?;
    Ok((weights::from_bytes(&config, &file.bytes, device)?, config))
}

/// WebGPU if it starts, else the CPU backend, with a note saying why.
async fn pick_device(out: &Outbox) -> (Device, Backend) {
    let (device, backend, note) = match webgpu_adapter_available().await {
        Ok(()) => match Device::wgpu_options().init_async().await {
            Ok(device) => (device, Backend::WebGpu, None),
            Err(e) => {
                (Device::flex(), Backend::Cpu, Some(format!("WebGPU could not start ({e:?}); running on the CPU.")))
            }
        },
        Err(why) => (Device::flex(), Backend::Cpu, Some(format!("{why}; running on the CPU, which is slower."))),
    };
    out.send(Event::Backend { backend, note });
    (device, backend)
}

async fn load(
    device: Device,
    backend: Backend,
    shipped: WeightsFile,
    saved: Option<WeightsFile>,
    out: &Outbox,
) -> Result<Engine, String> {
    let (model, config) = load_file(&shipped, &device).map_err(|e| e.to_string())?;
    let mut engine = Engine { config, shipped, model, device, backend, trainer: None };
    if let Some(saved) = saved {
        finetune::restore_saved(&mut engine, out, &saved);
    }

    out.status(EngineStatus::WarmingUp);
    let start = now_ms();
    if let Err(e) = warm_up(&engine).await {
        fall_back_to_cpu(&mut engine, out, &e).await?;
        warm_up(&engine).await?;
    }
    let warmup_ms = now_ms() - start;
    // Two timed calls (after one more untimed) set the page's default K.
    let net_call_ms = bench_net_call(&engine, 1, 2).await.ok();
    out.send(Event::WarmedUp { warmup_ms, net_call_ms });
    Ok(engine)
}

/// One supervision step on an easy puzzle: compiles the shaders before the user waits on them.
async fn warm_up(engine: &Engine) -> Result<(), String> {
    let puzzle = Grid::parse(WARM_UP_PUZZLE).map_err(|e| e.to_string())?;
    let mut session = Session::new(engine.model.clone(), puzzle, InferenceConfig::new().with_max_steps(1));
    session.step().await.map(|_| ()).map_err(|e| e.to_string())
}

/// Reloads the model on the CPU after a WebGPU failure: the current weights if the GPU can
/// still be read, else the shipped ones.
async fn fall_back_to_cpu(engine: &mut Engine, out: &Outbox, why: &str) -> Result<(), String> {
    let device = Device::flex();
    let model = match weights::to_host(&engine.model, &engine.config).await {
        Ok(host) => host,
        Err(_) => {
            let (model, config) = load_file(&engine.shipped, &device).map_err(|e| e.to_string())?;
            engine.config = config;
            out.send(Event::UsingFineTuned(false));
            model
        }
    };
    engine.model = model;
    engine.device = device;
    engine.backend = Backend::Cpu;
    let why = why.lines().next().unwrap_or("unknown error").trim();
    out.send(Event::Backend {
        backend: Backend::Cpu,
        note: Some(format!("The GPU stopped working ({why}); switched to the CPU.")),
    });
    Ok(())
}

/// Runs one solve, until done, stopped, or interrupted by another request (which is put back
/// to be handled next).
async fn solve(
    engine: &mut Engine,
    out: &Outbox,
    inbox: &mut Inbox,
    puzzle_text: &str,
    max_steps: usize,
    early_exit: bool,
    attempts: usize,
) {
    let puzzle = match Grid::parse(puzzle_text) {
        Ok(puzzle) => puzzle,
        Err(e) => return out.say(true, format!("The puzzle is not valid: {e}")),
    };
    out.status(EngineStatus::Solving);
    let config = InferenceConfig::new()
        .with_max_steps(max_steps)
        .with_early_exit(early_exit)
        .with_attempts(attempts.max(1))
        .with_noise(trm_sudoku::attempts::DEFAULT_NOISE);
    let mut session = Session::new(engine.model.clone(), puzzle, config);
    out.send(Event::SolveStarted { trace: session.solve_trace().clone(), classical_us: classical_time_us(&puzzle) });
    let calls_per_step = engine.config.calls_per_step() as f64;
    let start = now_ms();
    let mut compute_ms = 0.0;
    while !session.finished() {
        let t0 = now_ms();
        match session.step().await {
            Ok(ran) => {
                compute_ms += now_ms() - t0;
                let steps_used = session.steps_run();
                let recorded = session.solve_trace();
                // Only the new steps cross over, not the whole recording again.
                let steps = ran
                    .into_iter()
                    .map(|(attempt, step)| AttemptProgress {
                        attempt,
                        step,
                        halted_at: recorded.attempts.get(attempt).and_then(|a| a.trace.halted_at),
                    })
                    .collect();
                out.send(Event::SolveProgress {
                    steps,
                    outcome: recorded.outcome,
                    // One batched net call runs every attempt at once.
                    ms_per_call: compute_ms / (steps_used as f64 * calls_per_step),
                    steps_used,
                });
            }
            Err(e) if e.kind() == ErrorKind::OutOfMemory => {
                return out.say(true, format!("The solve ran out of memory ({e}): try fewer attempts."));
            }
            // A lost device or any other GPU failure: the CPU backend carries on.
            Err(e) if engine.backend == Backend::WebGpu => {
                if let Err(fatal) = fall_back_to_cpu(engine, out, &e.to_string()).await {
                    return out.say(true, format!("The GPU failed and the CPU fallback too: {fatal}"));
                }
                inbox.put_back(Request::Solve { puzzle: puzzle_text.to_string(), max_steps, early_exit, attempts });
                return;
            }
            Err(e) => return out.say(true, format!("The solve failed: {e}")),
        }
        yield_now().await;
        match inbox.try_next() {
            Some(Request::Stop) => return,
            Some(other) => return inbox.put_back(other),
            None => {}
        }
    }
    let stopped_by = match session.solve_trace().outcome {
        _ if session.steps_run() >= max_steps => None,
        Some(o) if o.verified && attempts > 1 => Some(StopReason::Verified),
        _ => Some(StopReason::Halted),
    };
    out.send(Event::SolveFinished { total_ms: now_ms() - start, stopped_by });
}

/// Mean time of `calls` chained net calls at `batch`, after one warm-up call, ending with a
/// readback so that queued GPU work is counted.
async fn bench_net_call(engine: &Engine, batch: usize, calls: usize) -> Result<f64, String> {
    let batch = batch.clamp(1, 256);
    let puzzle = Grid::parse(WARM_UP_PUZZLE).map_err(|e| e.to_string())?;
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

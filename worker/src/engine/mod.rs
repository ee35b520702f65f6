//! The engine: the one owner of the device and the model, run by the worker ([`crate`]). It takes [`Request`]s from an inbox and answers with [`Event`]s
//! through an [`Outbox`]; it knows nothing of the page, so GPU work is never interleaved and
//! the page's thread never runs the model.
//!
//! Start-up: wait for the weights from the page, load them on the CPU and time it, and say
//! ready; with WebGPU present (and not refused by `?backend=cpu`), prepare it while the page is
//! idle (warm-up, timing) and switch to it if it runs more attempts in the time budget
//! ([`backends`]); then warm the GPU kernels of every other K. With `?backend=webgpu` the GPU is
//! prepared before the engine says it is ready. A solve runs one supervision step at a time,
//! reads its trace back once, and yields between steps, so a Stop gets through. If the GPU
//! device is lost mid-solve, the engine reloads the weights on the CPU and runs the solve again
//! there.

mod backends;
mod finetune;
mod maze;

use std::collections::VecDeque;
use std::rc::Rc;

use burn::prelude::*;
use futures::StreamExt;
use futures::channel::mpsc::UnboundedReceiver;
use futures::future::{Either, select};
use trm_sudoku::ErrorKind;
use trm_sudoku::attempts::{adaptive_slot_limit, choose_backend};
use trm_sudoku::grid::Grid;
use trm_sudoku::inference::Session;
use trm_sudoku::model::{Trm, TrmConfig};
use trm_sudoku::solver::solve_unique;
use trm_sudoku::task::Task;
use trm_sudoku::trace::{AttemptTrace, RecursionTrace};
use trm_sudoku::weights;

use crate::runtime::{now_ms, yield_now};
use backends::{
    Gpu, IdleDone, IdleWork, WARMED_WHILE_PREPARING, measure, prepare_gpu, solve_config, sudoku_batch, time_net_calls,
    warm_after_switch, warm_ahead, warm_up,
};
use trm_sudoku::protocol::{
    AttemptProgress, Backend, BackendChoice, EngineStatus, Event, NetCallTiming, Request, StopReason, WeightsFile,
};

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
    /// K fixed by the link, which the backends are compared at.
    fixed_attempts: Option<usize>,
    /// Every backend measured so far.
    timings: Vec<NetCallTiming>,
    /// Work for idle moments: preparing WebGPU, warming kernels.
    idle_work: Option<IdleWork>,
}

/// Runs the engine until the page goes away.
pub async fn run(mut inbox: Inbox, out: Outbox) {
    let mut waiting = Vec::new();
    let (shipped, saved, choice, fixed_attempts) = loop {
        match inbox.next().await {
            Some(Request::Load { shipped, saved, backend, attempts }) => break (shipped, saved, backend, attempts),
            // The maze page loads the maze model only.
            Some(Request::LoadMaze { model, saved, backend }) => {
                return maze::run_alone(inbox, out, model, saved, backend).await;
            }
            // Asked before the weights came: handled once they are loaded.
            Some(other) => waiting.push(other),
            None => return,
        }
    };
    let mut engine = match load(shipped, saved, choice, fixed_attempts, &out).await {
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
    loop {
        // Idle work goes on only while no request waits; a request pauses it (it is not polled
        // while the request is handled) and it resumes afterwards.
        let request = match next_or_idle(&mut inbox, &mut engine.idle_work).await {
            Either::Left(request) => request,
            Either::Right(done) => {
                idle_done(&mut engine, &out, done).await;
                continue;
            }
        };
        let Some(request) = request else { return };
        match request {
            Request::Solve { puzzle, max_steps, early_exit, attempts, adaptive_budget_ms } => {
                let settings = SolveSettings { max_steps, early_exit, attempts, adaptive_budget_ms };
                solve(&mut engine, &out, &mut inbox, &puzzle, settings).await
            }
            Request::Load { .. } => out.say(true, "The model is already loaded."),
            Request::Stop => {}
            Request::Bench { id, batch, calls } => {
                let result = match sudoku_batch(&engine.device, batch) {
                    Ok(tokens) => time_net_calls(&engine.model, tokens, 1, calls).await,
                    Err(e) => Err(e),
                };
                out.send(Event::BenchResult { id, result });
            }
            Request::FineTune(request) => finetune::handle(&mut engine, &out, &mut inbox, request).await,
            Request::LoadMaze { .. } | Request::SolveMaze { .. } => out
                .send(Event::MazeFailed("This page runs the Sudoku model; open it with ?task=maze for mazes.".into())),
        }
        out.status(EngineStatus::Ready);
    }
}

/// The next request, or what the idle work in `idle` produced if it finished first. Idle work
/// is polled only here: a request pauses it (it stays in `idle`) while the request is handled.
async fn next_or_idle<T>(
    inbox: &mut Inbox,
    idle: &mut Option<std::pin::Pin<Box<dyn std::future::Future<Output = T>>>>,
) -> Either<Option<Request>, T> {
    match idle.take() {
        Some(work) => match select(Box::pin(inbox.next()), work).await {
            Either::Left((request, work)) => {
                *idle = Some(work);
                Either::Left(request)
            }
            Either::Right((done, _)) => Either::Right(done),
        },
        None => Either::Left(inbox.next().await),
    }
}

/// The model a weights file describes, on `device`, with its config.
fn load_file(file: &WeightsFile, device: &Device) -> Result<(Trm, TrmConfig), weights::WeightsError> {
    let config = weights::config_from_json(&file.config_json)?;
    weights::require_task(&config, Task::Sudoku)?;
    Ok((weights::from_bytes(&config, &file.bytes, device)?, config))
}

/// Loads the weights on the CPU and measures it. WebGPU, unless refused, is prepared before
/// returning when the link asked for it, else while the page is idle.
async fn load(
    shipped: WeightsFile,
    saved: Option<WeightsFile>,
    choice: BackendChoice,
    fixed_attempts: Option<usize>,
    out: &Outbox,
) -> Result<Engine, String> {
    let device = Device::flex();
    let (model, config) = load_file(&shipped, &device).map_err(|e| e.to_string())?;
    let mut engine = Engine {
        config,
        shipped,
        model,
        device,
        backend: Backend::Cpu,
        trainer: None,
        fixed_attempts,
        timings: Vec::new(),
        idle_work: None,
    };
    if let Some(saved) = saved {
        finetune::restore_saved(&mut engine, out, &saved);
    }
    out.status(EngineStatus::WarmingUp);
    // One step first: the browser compiles a module's hot functions again, faster, only after
    // they have run for a while, so a measurement of cold code would put K too low.
    warm_up(&engine.model, Backend::Cpu, 1).await?;
    let cpu_device = engine.device.clone();
    let cpu = measure(&engine.model, Backend::Cpu, |batch| sudoku_batch(&cpu_device, batch)).await?;
    engine.timings.push(cpu);
    out.send(Event::Measured { timing: cpu, warmup_ms: None });
    match choice {
        BackendChoice::Only(Backend::Cpu) => out
            .send(Event::Backend { backend: Backend::Cpu, note: Some("Running on the CPU, as the link asks.".into()) }),
        BackendChoice::Only(Backend::WebGpu) => {
            let prepared = prepare_gpu(engine.config.clone(), engine_weights(&engine).await?).await;
            match prepared {
                Ok(gpu) => {
                    let note = "Running on WebGPU, as the link asks.".to_string();
                    switch_to_gpu(&mut engine, out, gpu, note).await;
                }
                Err(why) => out.send(Event::Backend {
                    backend: Backend::Cpu,
                    note: Some(format!("WebGPU was asked for, but {why}; running on the CPU.")),
                }),
            }
        }
        BackendChoice::Auto => {
            out.send(Event::Backend { backend: Backend::Cpu, note: None });
            let (config, bytes) = (engine.config.clone(), engine_weights(&engine).await?);
            engine.idle_work = Some(Box::pin(async move { IdleDone::GpuPrepared(prepare_gpu(config, bytes).await) }));
        }
    }
    Ok(engine)
}

/// The model in use as `.bpk` bytes (f32), to move it to another device.
async fn engine_weights(engine: &Engine) -> Result<Vec<u8>, String> {
    weights::to_bytes_async(&engine.model, &engine.config, false).await.map_err(|e| e.to_string())
}

/// Makes the prepared GPU the active backend, with the model in use now (which fine-tuning may
/// have changed since the GPU was prepared), and starts warming the other K.
async fn switch_to_gpu(engine: &mut Engine, out: &Outbox, gpu: Gpu, note: String) {
    let gpu_timing = gpu.timing;
    out.send(Event::Measured { timing: gpu.timing, warmup_ms: Some(gpu.warmup_ms) });
    engine.timings.push(gpu.timing);
    let model = match engine_weights(engine)
        .await
        .and_then(|bytes| weights::from_bytes(&engine.config, &bytes, &gpu.device).map_err(|e| e.to_string()))
    {
        Ok(model) => model,
        Err(e) => {
            out.say(true, format!("Could not move the model to WebGPU ({e}); staying on the CPU."));
            return;
        }
    };
    engine.model = model;
    engine.device = gpu.device;
    engine.backend = Backend::WebGpu;
    out.send(Event::Backend { backend: Backend::WebGpu, note: Some(note) });
    let model = engine.model.clone();
    let ahead = warm_after_switch(&gpu_timing);
    let mut warmed: Vec<usize> = WARMED_WHILE_PREPARING.iter().chain(&ahead).copied().collect();
    warmed.sort_unstable();
    engine.idle_work =
        Some(Box::pin(async move { IdleDone::KernelsWarmed(warm_ahead(model, ahead).await.map(|ms| (warmed, ms))) }));
}

/// Finishes a piece of idle work.
async fn idle_done(engine: &mut Engine, out: &Outbox, done: IdleDone) {
    match done {
        IdleDone::GpuPrepared(Err(why)) => out.send(Event::Backend {
            backend: Backend::Cpu,
            note: Some(format!("{}; running on the CPU.", capitalised(&why))),
        }),
        IdleDone::GpuPrepared(Ok(gpu)) => {
            let cpu = engine.timings.iter().copied().find(|t| t.backend == Backend::Cpu);
            let both: Vec<NetCallTiming> = cpu.into_iter().chain([gpu.timing]).collect();
            let chosen = choose_backend(&both, engine.fixed_attempts);
            match chosen {
                Some((timing, k)) if timing.backend == Backend::WebGpu => {
                    if engine.trainer.is_some() {
                        out.send(Event::Measured { timing: gpu.timing, warmup_ms: Some(gpu.warmup_ms) });
                        out.send(Event::Backend {
                            backend: Backend::Cpu,
                            note: Some("WebGPU is faster here, but a paused fine-tuning run stays on the CPU.".into()),
                        });
                        return;
                    }
                    let note = comparison(&both, k);
                    switch_to_gpu(engine, out, gpu, note).await;
                }
                Some((_, k)) => {
                    out.send(Event::Measured { timing: gpu.timing, warmup_ms: Some(gpu.warmup_ms) });
                    engine.timings.push(gpu.timing);
                    out.send(Event::Backend { backend: Backend::Cpu, note: Some(comparison(&both, k)) });
                }
                None => {}
            }
        }
        IdleDone::KernelsWarmed(Ok((attempts, ms))) => out.send(Event::KernelsReady { attempts, warmup_ms: ms }),
        IdleDone::KernelsWarmed(Err(why)) if engine.backend == Backend::WebGpu => {
            if let Err(fatal) = fall_back_to_cpu(engine, out, &why).await {
                out.say(true, format!("The GPU failed and the CPU fallback too: {fatal}"));
            }
        }
        IdleDone::KernelsWarmed(Err(_)) => {}
    }
}

/// Why the backend in use was chosen, e.g. "WebGPU is faster here: 0.90 ms per net call at
/// K = 64 (CPU: 190 ms)".
pub(crate) fn comparison(timings: &[NetCallTiming], k: usize) -> String {
    let mut sorted: Vec<NetCallTiming> = timings.to_vec();
    sorted.sort_by(|a, b| a.at(k).total_cmp(&b.at(k)));
    let figures: Vec<String> =
        sorted.iter().skip(1).map(|t| format!("{}: {}", t.backend.short_label(), ms(t.at(k)))).collect();
    match sorted.first() {
        Some(best) => format!(
            "{} is faster here: {} per net call at K = {k} ({}).",
            best.backend.short_label(),
            ms(best.at(k)),
            figures.join(", ")
        ),
        None => String::new(),
    }
}

/// A time in ms with sensible precision.
fn ms(value: f64) -> String {
    if value < 10.0 { format!("{value:.2} ms") } else { format!("{value:.0} ms") }
}

pub(crate) fn capitalised(text: &str) -> String {
    let mut chars = text.chars();
    chars.next().map(|c| c.to_uppercase().chain(chars).collect()).unwrap_or_default()
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
    // Idle work on a lost GPU would only fail again.
    engine.idle_work = None;
    say_gpu_failed(out, why);
    Ok(())
}

/// Tells the page the GPU failed (the first line of `why`) and the CPU took over.
pub(crate) fn say_gpu_failed(out: &Outbox, why: &str) {
    let why = why.lines().next().unwrap_or("unknown error").trim();
    out.send(Event::Backend {
        backend: Backend::Cpu,
        note: Some(format!("The GPU stopped working ({why}); switched to the CPU.")),
    });
}

/// What a page asks of one solve ([`Request::Solve`] without the puzzle).
#[derive(Debug, Clone, Copy)]
struct SolveSettings {
    max_steps: usize,
    early_exit: bool,
    attempts: usize,
    adaptive_budget_ms: Option<f64>,
}

/// Runs one solve, until done, stopped, out of time, or interrupted by another request (which
/// is put back to be handled next).
async fn solve(engine: &mut Engine, out: &Outbox, inbox: &mut Inbox, puzzle_text: &str, settings: SolveSettings) {
    let puzzle = match Grid::parse(puzzle_text) {
        Ok(puzzle) => puzzle,
        Err(e) => return out.say(true, format!("The puzzle is not valid: {e}")),
    };
    out.status(EngineStatus::Solving);
    let SolveSettings { max_steps, early_exit, attempts, adaptive_budget_ms } = settings;
    let mut config = solve_config(engine.backend, max_steps, early_exit, attempts);
    if let Some(budget_ms) = adaptive_budget_ms {
        // Grow only to batches whose step fits the budget on this device.
        let timing = engine.timings.iter().rev().find(|t| t.backend == engine.backend).copied();
        let limit = timing.map(|t| adaptive_slot_limit(&t, budget_ms)).unwrap_or(attempts);
        config = config.with_adaptive(true).with_adaptive_max_slots(limit.max(attempts));
    }
    let mut session = Session::new(engine.model.clone(), puzzle, config);
    out.send(Event::SolveStarted { trace: session.solve_trace().clone(), classical_us: classical_time_us(&puzzle) });
    let calls_per_step = engine.config.calls_per_step() as f64;
    let start = now_ms();
    let mut compute_ms = 0.0;
    let mut known_attempts = session.solve_trace().attempts.len();
    let mut out_of_time = false;
    while !session.finished() {
        let t0 = now_ms();
        match session.step().await {
            Ok(ran) => {
                compute_ms += now_ms() - t0;
                if let Some(budget_ms) = adaptive_budget_ms
                    && !session.finished()
                    && now_ms() - start >= budget_ms
                {
                    session.give_up();
                    out_of_time = true;
                }
                let steps_used = session.steps_run();
                let recorded = session.solve_trace();
                // Attempts that joined (replacements, escalation) cross over once, before their
                // first step.
                let joined = recorded.attempts[known_attempts..]
                    .iter()
                    .map(|a| AttemptTrace {
                        trace: RecursionTrace { steps: Vec::new(), halted_at: None, ..a.trace.clone() },
                        ..a.clone()
                    })
                    .collect();
                known_attempts = recorded.attempts.len();
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
                    joined,
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
                inbox.put_back(Request::Solve {
                    puzzle: puzzle_text.to_string(),
                    max_steps,
                    early_exit,
                    attempts,
                    adaptive_budget_ms,
                });
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
    let adaptive = adaptive_budget_ms.is_some();
    let stopped_by = match session.solve_trace().outcome {
        _ if out_of_time => Some(StopReason::OutOfTime),
        _ if session.steps_run() >= session.step_budget() => None,
        Some(o) if o.verified && (attempts > 1 || adaptive) => Some(StopReason::Verified),
        _ => Some(StopReason::Halted),
    };
    out.send(Event::SolveFinished { total_ms: now_ms() - start, stopped_by });
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

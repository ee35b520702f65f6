//! The maze model: loaded only when the page asks (a visitor who stays on Sudoku never
//! downloads it), and maze solves recorded for the page to play back.
//!
//! Backends as for Sudoku, kept simpler: the model loads on the CPU, which is measured; WebGPU,
//! unless `?backend=cpu` refuses it, is prepared and measured while the page is idle (before
//! the model is announced when `?backend=webgpu` asks for it). Both copies of the model stay
//! loaded (the maze model is 0.4 M parameters), so each solve runs on the backend whose
//! measured net call is faster at its K. Once the GPU is kept, the kernels of every other K
//! whose step it runs quickly are compiled while the page is idle, so that a solve compiles
//! none. A GPU failure mid-solve drops the GPU and runs the solve again on the CPU.
//!
//! Fine-tuning trains the CPU copy (with the Sudoku page's run loop, [`finetune`]); the GPU copy
//! takes its weights before it next solves. The page keeps tuned weights in this browser and
//! hands them back with the shipped ones at the next visit.

use std::future::Future;
use std::pin::Pin;

use burn::prelude::*;
use futures::future::Either;
use trm_sudoku::attempts::{MAZE_ATTEMPT_CHOICES, attempts_to_warm_after_switch};
use trm_sudoku::data::DataSource;
use trm_sudoku::inference::token_rows;
use trm_sudoku::maze_inference::{MAX_MAZE_ATTEMPTS, TracedMazeSolve, solve_maze_traced};
use trm_sudoku::model::{Trm, TrmConfig};
use trm_sudoku::protocol::{
    Backend, BackendChoice, EngineStatus, Event, FineTuneRequest, NetCallTiming, Request, TrainingPuzzles, WeightsFile,
};
use trm_sudoku::task::Task;
use trm_sudoku::training::Trainer;
use trm_sudoku::trm_puzzle::maze::encoding::encode;
use trm_sudoku::trm_puzzle::maze::generator::{MazeGenerator, MazeTier};
use trm_sudoku::trm_puzzle::maze::grid::Maze;
use trm_sudoku::weights;

use super::backends::{WARMED_WHILE_PREPARING, measure, start_gpu, warm_up_steps};
use super::finetune::{self, Trainee, new_trainer};
use super::{Inbox, Outbox, capitalised, comparison, next_or_idle, say_gpu_failed};
use crate::runtime::now_ms;

/// The K a backend is compared at before the first solve (the maze page's default).
const DEFAULT_ATTEMPTS: usize = 4;

/// The engine of the maze page: the maze model alone, until the page goes away.
pub async fn run_alone(
    mut inbox: Inbox,
    out: Outbox,
    file: WeightsFile,
    saved: Option<WeightsFile>,
    choice: BackendChoice,
) {
    let mut engine = MazeEngine {
        cpu: None,
        gpu: None,
        backend: Backend::Cpu,
        choice,
        idle_work: None,
        loaded: None,
        trainer: None,
        gpu_stale: false,
    };
    engine.load(&file, saved.as_ref(), choice, &out).await;
    out.send(Event::Status(EngineStatus::Ready));
    loop {
        // Preparing WebGPU and warming its kernels go on only while no request waits.
        let request = match next_or_idle(&mut inbox, &mut engine.idle_work).await {
            Either::Left(request) => request,
            Either::Right(MazeIdleDone::GpuPrepared(prepared)) => {
                engine.gpu_prepared(*prepared, &out);
                continue;
            }
            Either::Right(MazeIdleDone::KernelsWarmed(warmed)) => {
                engine.kernels_warmed(warmed, &out);
                continue;
            }
        };
        let Some(request) = request else { return };
        match request {
            Request::LoadMaze { model: file, saved, backend } => {
                engine.load(&file, saved.as_ref(), backend, &out).await
            }
            Request::SolveMaze { maze, attempts, max_steps } => {
                out.send(Event::Status(EngineStatus::Solving));
                engine.solve(&out, &maze, attempts, max_steps).await;
                out.send(Event::Status(EngineStatus::Ready));
            }
            Request::FineTune(request) => {
                engine.fine_tune(&out, &mut inbox, request).await;
                out.send(Event::Status(EngineStatus::Ready));
            }
            Request::Stop => {}
            _ => out.say(true, "This page runs the maze model only; open it without ?task=maze for Sudoku."),
        }
    }
}

/// A copy of the model on one backend, with its measured net call.
struct Placed {
    model: Trm,
    timing: NetCallTiming,
}

/// The shipped maze model as loaded: its file and config (for a reset and for training), and
/// the side of its mazes.
struct Loaded {
    shipped: WeightsFile,
    config: TrmConfig,
    side: usize,
}

/// Work the maze engine does while the page is idle.
type MazeIdleWork = Pin<Box<dyn Future<Output = MazeIdleDone>>>;

/// What idle work produced.
enum MazeIdleDone {
    /// WebGPU prepared: the model on it and its measurement, with the warm-up's ms (or why not).
    GpuPrepared(Box<Result<(Placed, f64), String>>),
    /// Every K now warm on the GPU and the ms it took to warm those ahead (or why it failed).
    KernelsWarmed(Result<(Vec<usize>, f64), String>),
}

struct MazeEngine {
    /// The model on the CPU (always there once loaded).
    cpu: Option<Placed>,
    /// The model on WebGPU, once prepared and measured.
    gpu: Option<Placed>,
    /// The backend of the last solve (or of the model's announcement).
    backend: Backend,
    /// What the link asked for: a backend it names is kept while it works.
    choice: BackendChoice,
    /// WebGPU being prepared, or its kernels warmed, while the page is idle.
    idle_work: Option<MazeIdleWork>,
    /// The shipped model (for a reset and for training).
    loaded: Option<Loaded>,
    /// A fine-tuning run, kept while paused.
    trainer: Option<Trainer>,
    /// The GPU copy predates the CPU model's fine-tuning: it is refreshed before it solves.
    gpu_stale: bool,
}

impl MazeEngine {
    /// Loads `file` (or the fine-tuned weights `saved` in this browser, if they load and fit
    /// it) on the CPU and measures it; prepares WebGPU now if `choice` insists on it, else later,
    /// unless `choice` refuses it. A file that does not load keeps the model there was, and says
    /// why; saved weights that do not are forgotten, and the visitor told.
    async fn load(&mut self, file: &WeightsFile, saved: Option<&WeightsFile>, choice: BackendChoice, out: &Outbox) {
        let (config, side) = match maze_config(file) {
            Ok(found) => found,
            Err(e) => return out.send(Event::MazeFailed(format!("The maze model could not load: {e}"))),
        };
        let device = Device::flex();
        let shipped = || weights::from_bytes(&config, &file.bytes, &device).map_err(|e| e.to_string());
        let (model, in_use) = match saved.map(|saved| (saved, saved_model(saved, &config, &device))) {
            Some((saved, Ok(model))) => {
                finetune::report_saved(out, "fine-tuned maze weights", Ok(()));
                (Ok(model), saved)
            }
            Some((_, Err(e))) => {
                finetune::report_saved(out, "fine-tuned maze weights", Err(e));
                (shipped(), file)
            }
            None => (shipped(), file),
        };
        let cpu = match model {
            Ok(model) => measured(model, Backend::Cpu, side).await.map(|(copy, _)| copy),
            Err(e) => Err(e),
        };
        let cpu = match cpu {
            Ok(cpu) => cpu,
            Err(e) => return out.send(Event::MazeFailed(format!("The maze model could not load: {e}"))),
        };
        out.send(Event::Measured { timing: cpu.timing, warmup_ms: None });
        let parameters = cpu.model.num_params();
        self.cpu = Some(cpu);
        self.loaded = Some(Loaded { shipped: file.clone(), config: config.clone(), side });
        self.trainer = None;
        self.gpu_stale = false;
        self.gpu = None;
        self.backend = Backend::Cpu;
        self.choice = choice;
        self.idle_work = None;
        let prepare = {
            let (config, bytes) = (config.clone(), in_use.bytes.clone());
            async move { prepare_gpu(config, bytes, side).await }
        };
        match choice {
            BackendChoice::Only(Backend::Cpu) => out.send(Event::Backend {
                backend: Backend::Cpu,
                note: Some("Running on the CPU, as the link asks.".into()),
            }),
            BackendChoice::Only(Backend::WebGpu) => match prepare.await {
                Ok((gpu, warmup_ms)) => {
                    out.send(Event::Measured { timing: gpu.timing, warmup_ms: Some(warmup_ms) });
                    self.gpu = Some(gpu);
                    self.backend = Backend::WebGpu;
                    self.warm_ahead(side);
                    out.send(Event::Backend {
                        backend: Backend::WebGpu,
                        note: Some("Running on WebGPU, as the link asks.".into()),
                    });
                }
                Err(why) => out.send(Event::Backend {
                    backend: Backend::Cpu,
                    note: Some(format!("WebGPU was asked for, but {why}; running on the CPU.")),
                }),
            },
            BackendChoice::Auto => {
                out.send(Event::Backend { backend: Backend::Cpu, note: None });
                self.idle_work = Some(Box::pin(async move { MazeIdleDone::GpuPrepared(Box::new(prepare.await)) }));
            }
        }
        out.send(Event::MazeReady { side, parameters });
    }

    /// WebGPU is measured (or why it is not there): kept, and chosen now if it is faster at the
    /// page's default K.
    fn gpu_prepared(&mut self, prepared: Result<(Placed, f64), String>, out: &Outbox) {
        match prepared {
            Ok((gpu, warmup_ms)) => {
                out.send(Event::Measured { timing: gpu.timing, warmup_ms: Some(warmup_ms) });
                self.gpu = Some(gpu);
                self.announce_choice(DEFAULT_ATTEMPTS, out);
                if let Some(Loaded { side, .. }) = self.loaded {
                    self.warm_ahead(side);
                }
            }
            Err(why) => out.send(Event::Backend {
                backend: Backend::Cpu,
                note: Some(format!("{}; running on the CPU.", capitalised(&why))),
            }),
        }
    }

    /// Warms, while the page is idle, the kernels of the K the page offers beyond those warmed
    /// with the measurement where the GPU's measurement says a step is quick: every K on a real
    /// GPU, the small ones on a software GPU. Nothing when the GPU would run no K: a software
    /// GPU's warm-up would take the CPU from the visitor's solves.
    fn warm_ahead(&mut self, side: usize) {
        let Some(gpu) = &self.gpu else { return };
        if !MAZE_ATTEMPT_CHOICES.iter().any(|&k| self.backend_for(k) == Backend::WebGpu) {
            return;
        }
        let ahead = attempts_to_warm_after_switch(
            &gpu.timing,
            &MAZE_ATTEMPT_CHOICES,
            &WARMED_WHILE_PREPARING,
            DEFAULT_ATTEMPTS,
        );
        let model = gpu.model.clone();
        self.idle_work = Some(Box::pin(async move {
            let maze = warm_up_maze(side);
            let start = now_ms();
            let mut warmed = WARMED_WHILE_PREPARING.to_vec();
            for k in ahead {
                if let Err(e) = solve_maze_traced(&model, &maze, k, warm_up_steps(Backend::WebGpu), false).await {
                    return MazeIdleDone::KernelsWarmed(Err(e.to_string()));
                }
                warmed.push(k);
            }
            warmed.sort_unstable();
            MazeIdleDone::KernelsWarmed(Ok((warmed, now_ms() - start)))
        }));
    }

    /// The GPU's kernels are warm (the page shows which K), or warming failed: the GPU is
    /// dropped then, as when a solve fails on it.
    fn kernels_warmed(&mut self, warmed: Result<(Vec<usize>, f64), String>, out: &Outbox) {
        match warmed {
            Ok((attempts, warmup_ms)) => out.send(Event::KernelsReady { attempts, warmup_ms }),
            Err(why) if self.gpu.is_some() => {
                self.gpu = None;
                self.backend = Backend::Cpu;
                say_gpu_failed(out, &why);
            }
            Err(_) => {}
        }
    }

    /// The backend for K = `attempts`: the one the link names while it works, else the faster
    /// by the measurements.
    fn backend_for(&self, attempts: usize) -> Backend {
        if let BackendChoice::Only(backend) = self.choice {
            return if backend == Backend::WebGpu && self.gpu.is_none() { Backend::Cpu } else { backend };
        }
        match (&self.cpu, &self.gpu) {
            (Some(cpu), Some(gpu)) if gpu.timing.at(attempts) < cpu.timing.at(attempts) => Backend::WebGpu,
            (None, Some(_)) => Backend::WebGpu,
            _ => Backend::Cpu,
        }
    }

    /// Switches to the backend faster at `attempts` when both are measured, and says why.
    fn announce_choice(&mut self, attempts: usize, out: &Outbox) {
        let (Some(cpu), Some(gpu)) = (&self.cpu, &self.gpu) else { return };
        let backend = self.backend_for(attempts);
        let note = comparison(&[cpu.timing, gpu.timing], attempts);
        self.backend = backend;
        out.send(Event::Backend { backend, note: Some(note) });
    }

    /// Solves `maze` on the faster backend for its K and sends the recording, or says why it
    /// could not. A GPU failure drops the GPU and solves on the CPU instead.
    async fn solve(&mut self, out: &Outbox, maze: &str, attempts: usize, max_steps: usize) {
        let question = match Maze::parse_question(maze) {
            Ok(question) => question,
            Err(e) => return out.send(Event::MazeFailed(format!("That is not a maze: {e}"))),
        };
        let attempts = attempts.clamp(1, MAX_MAZE_ATTEMPTS);
        let max_steps = max_steps.clamp(1, 64);
        if self.backend_for(attempts) != self.backend {
            self.announce_choice(attempts, out);
        }
        self.refresh_gpu(out).await;
        let start = now_ms();
        let solved = match (self.backend, &self.gpu, &self.cpu) {
            (Backend::WebGpu, Some(gpu), _) => {
                match solve_maze_traced(&gpu.model, &question, attempts, max_steps, true).await {
                    Ok(solved) => Ok(solved),
                    Err(e) => {
                        self.gpu = None;
                        self.backend = Backend::Cpu;
                        say_gpu_failed(out, &e.to_string());
                        self.solve_on_cpu(&question, attempts, max_steps).await
                    }
                }
            }
            (_, _, Some(_)) => self.solve_on_cpu(&question, attempts, max_steps).await,
            _ => Err("The maze model is not loaded yet.".to_string()),
        };
        match solved {
            Ok(traced) => out.send(Event::MazeSolved(traced.report(&question, now_ms() - start, false))),
            Err(e) => out.send(Event::MazeFailed(e)),
        }
    }

    /// Handles a fine-tuning request: runs train on the CPU (where the model's copy is the one
    /// trained), from the model in use or from scratch, on generated mazes of the model's side.
    async fn fine_tune(&mut self, out: &Outbox, inbox: &mut Inbox, request: FineTuneRequest) {
        match request {
            FineTuneRequest::Start(settings) => {
                self.trainer = None;
                let started = match (&self.cpu, &self.loaded, settings.puzzles) {
                    (Some(cpu), Some(Loaded { config, side, .. }), TrainingPuzzles::Maze(tier)) => {
                        let tiers = if settings.from_scratch { vec![MazeTier::Easy] } else { vec![tier] };
                        let data = DataSource::Mazes { side: *side, tiers };
                        new_trainer(&cpu.model, config, &Device::flex(), settings, data).await
                    }
                    (_, _, TrainingPuzzles::Sudoku(_)) => Err("this page trains the maze model".to_string()),
                    _ => Err("the maze model is not loaded yet".to_string()),
                };
                finetune::start(self, out, inbox, settings, started).await
            }
            FineTuneRequest::Resume => finetune::resume(self, out, inbox).await,
            FineTuneRequest::Pause => {}
            FineTuneRequest::Reset => {
                self.trainer = None;
                out.send(Event::TrainReset);
                let shipped = self.loaded.as_ref().map(|Loaded { shipped, config, .. }| {
                    weights::from_bytes(config, &shipped.bytes, &Device::flex()).map_err(|e| e.to_string())
                });
                match shipped {
                    Some(Ok(model)) => {
                        self.use_model(model);
                        out.send(Event::UsingFineTuned(false));
                        out.say(false, "Back to the shipped weights.");
                    }
                    Some(Err(e)) => out.say(true, format!("Could not reload the shipped weights: {e}")),
                    None => {}
                }
            }
            FineTuneRequest::Download => finetune::download(self, out).await,
        }
    }

    /// Puts the CPU model's weights on the GPU, if the GPU's copy is older; a failure drops
    /// the GPU.
    async fn refresh_gpu(&mut self, out: &Outbox) {
        if !std::mem::take(&mut self.gpu_stale) {
            return;
        }
        let (Some(cpu), Some(gpu), Some(Loaded { config, .. })) = (&self.cpu, &mut self.gpu, &self.loaded) else {
            return;
        };
        let device = gpu.model.token_embedding.val().device();
        let moved = match finetune::weights_file(&cpu.model, config).await {
            Ok(file) => weights::from_bytes(config, &file.bytes, &device).map_err(|e| e.to_string()),
            Err(e) => Err(e),
        };
        match moved {
            Ok(model) => gpu.model = model,
            Err(why) => {
                self.gpu = None;
                self.backend = Backend::Cpu;
                out.send(Event::Backend {
                    backend: Backend::Cpu,
                    note: Some(format!("The fine-tuned weights could not move to WebGPU ({why}); running on the CPU.")),
                });
            }
        }
    }

    async fn solve_on_cpu(
        &self,
        question: &Maze,
        attempts: usize,
        max_steps: usize,
    ) -> Result<TracedMazeSolve, String> {
        let cpu = self.cpu.as_ref().ok_or("The maze model is not loaded yet.")?;
        solve_maze_traced(&cpu.model, question, attempts, max_steps, true)
            .await
            .map_err(|e| format!("The maze solve failed: {e}"))
    }
}

impl Trainee for MazeEngine {
    fn trainer(&mut self) -> &mut Option<Trainer> {
        &mut self.trainer
    }

    fn use_model(&mut self, model: Trm) {
        if let Some(cpu) = &mut self.cpu {
            cpu.model = model;
            self.gpu_stale = self.gpu.is_some();
        }
    }

    // Training runs on the CPU: there is no GPU to lose.
    async fn step_failed(&mut self, _out: &Outbox, _why: &str) {}

    async fn weights(&self) -> Result<WeightsFile, String> {
        match (&self.cpu, &self.loaded) {
            (Some(cpu), Some(Loaded { config, .. })) => finetune::weights_file(&cpu.model, config).await,
            _ => Err("the maze model is not loaded".into()),
        }
    }
}

/// The config of a maze model's weights file, and its side: a maze task, or why not.
fn maze_config(file: &WeightsFile) -> Result<(TrmConfig, usize), weights::WeightsError> {
    let config = weights::config_from_json(&file.config_json)?;
    let Task::Maze { side } = config.task() else {
        return Err(weights::WeightsError::WrongTask { found: config.task().name(), wanted: "maze".into() });
    };
    Ok((config, side))
}

/// The model of fine-tuned weights `saved`, on `device`, if they fit the shipped model's
/// `config` (the same task, side and shape; their values are checked as they load, with
/// everything else a file needs).
fn saved_model(saved: &WeightsFile, config: &TrmConfig, device: &Device) -> Result<Trm, String> {
    let (saved_config, _) = maze_config(saved).map_err(|e| e.to_string())?;
    if weights::config_to_json(&saved_config) != weights::config_to_json(config) {
        return Err("they were made for another maze model".into());
    }
    weights::from_bytes(config, &saved.bytes, device).map_err(|e| e.to_string())
}

/// The maze every warm-up and timing runs: the first generated medium maze of `side`.
fn warm_up_maze(side: usize) -> Maze {
    MazeGenerator::new(0).generate(side, MazeTier::Medium, 0).0
}

/// `model` warmed (traced supervision steps at K = 1, which compile a GPU's kernels) and
/// measured on `backend`; with the warm-up's ms.
async fn measured(model: Trm, backend: Backend, side: usize) -> Result<(Placed, f64), String> {
    let maze = warm_up_maze(side);
    let start = now_ms();
    // The CPU warms up too: the browser compiles hot code again, faster, once it has run.
    solve_maze_traced(&model, &maze, 1, warm_up_steps(backend), false).await.map_err(|e| e.to_string())?;
    let warmup_ms = now_ms() - start;
    let device = model.token_embedding.val().device();
    let row = encode(&maze);
    let timing = measure(&model, backend, |batch| {
        token_rows(std::iter::repeat_n(row.as_slice(), batch), model.cells(), &device).map_err(|e| e.to_string())
    })
    .await?;
    Ok((Placed { model, timing }, warmup_ms))
}

/// Starts WebGPU, puts the model on it, warms and measures it.
async fn prepare_gpu(config: TrmConfig, bytes: Vec<u8>, side: usize) -> Result<(Placed, f64), String> {
    let (_device, model) = start_gpu(&config, &bytes).await?;
    measured(model, Backend::WebGpu, side).await
}

//! Fine-tuning in the worker: the same [`Trainer`] as native training (same losses, deep
//! supervision, EMA), on generated puzzles, with pause/resume/stop, reset to the shipped
//! weights and download. The page keeps the results: it saves what [`Event::SaveWeights`]
//! carries in IndexedDB and sends it back at the next load.

use burn::prelude::*;
use trm_sudoku::data::{DataSource, Stage};
use trm_sudoku::generator::Tier;
use trm_sudoku::model::{Trm, TrmConfig};
use trm_sudoku::training::{Trainer, TrainingConfig};
use trm_sudoku::weights;

use super::{Engine, Inbox, Outbox, fall_back_to_cpu, load_file};
use crate::runtime::{now_ms, wasm_memory_mb, yield_now};
use trm_sudoku::protocol::{
    Backend, EngineStatus, Event, FineTuneRequest, Request, RunSettings, TrainProgress, TrainingPuzzles, WeightsFile,
};

/// Uses fine-tuned weights saved in this browser, if they fit and load; otherwise says so and
/// tells the page to forget them.
pub(super) fn restore_saved(engine: &mut Engine, out: &Outbox, saved: &WeightsFile) {
    let outcome = load_file(saved, &engine.device).map(|(model, config)| {
        engine.model = model;
        engine.config = config;
    });
    report_saved(out, "fine-tuned weights", outcome.map_err(|e| e.to_string()));
}

/// Tells the page whether the weights it saved in this browser (`what` names them) are in use,
/// or why not; on a refusal the page forgets them.
pub(super) fn report_saved(out: &Outbox, what: &str, outcome: Result<(), String>) {
    match outcome {
        Ok(()) => {
            out.send(Event::UsingFineTuned(true));
            out.say(
                false,
                format!(
                    "Using your {what} saved in this browser (Reset in the Train panel restores the shipped ones)."
                ),
            );
        }
        Err(e) => {
            out.send(Event::SavedWeightsRejected);
            out.say(true, format!("Your saved {what} could not be used ({e}); using the shipped ones."));
        }
    }
}

/// What a fine-tuning run needs of the engine it runs in (the Sudoku engine or the maze
/// engine; the page keeps either's results in this browser, under its task's keys).
pub(super) trait Trainee {
    /// The run, kept while paused.
    fn trainer(&mut self) -> &mut Option<Trainer>;
    /// Uses `model` (a run's EMA weights) from now on.
    fn use_model(&mut self, model: Trm);
    /// A step failed: recover what the failure broke (a lost GPU).
    async fn step_failed(&mut self, out: &Outbox, why: &str);
    /// The model in use as a `.bpk` with its config.
    async fn weights(&self) -> Result<WeightsFile, String>;
}

impl Trainee for Engine {
    fn trainer(&mut self) -> &mut Option<Trainer> {
        &mut self.trainer
    }

    fn use_model(&mut self, model: Trm) {
        self.model = model;
    }

    async fn step_failed(&mut self, out: &Outbox, why: &str) {
        if self.backend == Backend::WebGpu {
            let _ = fall_back_to_cpu(self, out, why).await;
        }
    }

    async fn weights(&self) -> Result<WeightsFile, String> {
        weights_file(&self.model, &self.config).await
    }
}

/// `model` as a `.bpk` with its config.
pub(super) async fn weights_file(model: &Trm, config: &TrmConfig) -> Result<WeightsFile, String> {
    let bytes = weights::to_bytes_async(model, config, false).await.map_err(|e| e.to_string())?;
    Ok(WeightsFile { config_json: weights::config_to_json(config), bytes })
}

/// Handles a fine-tuning request.
pub(super) async fn handle(engine: &mut Engine, out: &Outbox, inbox: &mut Inbox, request: FineTuneRequest) {
    match request {
        FineTuneRequest::Start(settings) => {
            engine.trainer = None;
            let started = match settings.puzzles {
                TrainingPuzzles::Sudoku(tier) => {
                    new_trainer(&engine.model, &engine.config, &engine.device, settings, sudoku_data(settings, tier))
                        .await
                }
                TrainingPuzzles::Maze(_) => Err("this page trains the Sudoku model".to_string()),
            };
            start(engine, out, inbox, settings, started).await
        }
        FineTuneRequest::Resume => resume(engine, out, inbox).await,
        FineTuneRequest::Pause => {}
        FineTuneRequest::Reset => {
            engine.trainer = None;
            out.send(Event::TrainReset);
            match load_file(&engine.shipped, &engine.device) {
                Ok((model, config)) => {
                    engine.model = model;
                    engine.config = config;
                    out.send(Event::UsingFineTuned(false));
                    out.say(false, "Back to the shipped weights.");
                }
                Err(e) => out.say(true, format!("Could not reload the shipped weights: {e}")),
            }
        }
        FineTuneRequest::Download => download(engine, out).await,
    }
}

/// Runs a new run, or says why it could not start.
pub(super) async fn start(
    host: &mut impl Trainee,
    out: &Outbox,
    inbox: &mut Inbox,
    settings: RunSettings,
    started: Result<Trainer, String>,
) {
    match started {
        Ok(trainer) => {
            *host.trainer() = Some(trainer);
            out.send(Event::TrainStarted { target_steps: settings.steps, fresh: true });
            run(host, out, inbox).await
        }
        Err(e) => out.say(true, format!("Could not start training: {e}")),
    }
}

/// Goes on with a paused run, if there is one.
pub(super) async fn resume(host: &mut impl Trainee, out: &Outbox, inbox: &mut Inbox) {
    if let Some(trainer) = host.trainer() {
        out.send(Event::TrainStarted { target_steps: trainer.config.steps, fresh: false });
        run(host, out, inbox).await
    }
}

/// Sends the weights in use to be downloaded.
pub(super) async fn download(host: &impl Trainee, out: &Outbox) {
    match host.weights().await {
        Ok(file) => out.send(Event::DownloadWeights(file)),
        Err(e) => out.say(true, format!("Could not serialise the weights: {e}")),
    }
}

/// Sudoku data of a run: from scratch an easy curriculum, else the chosen tier.
fn sudoku_data(settings: RunSettings, tier: Tier) -> DataSource {
    if settings.from_scratch {
        DataSource::Curriculum {
            stages: vec![
                Stage { tier: Tier::Easy, max_blanks: 4, steps: settings.steps / 4 },
                Stage { tier: Tier::Easy, max_blanks: 8, steps: settings.steps / 4 },
                Stage { tier: Tier::Easy, max_blanks: 16, steps: usize::MAX },
            ],
            review: 0.2,
        }
    } else {
        DataSource::tier(tier)
    }
}

/// A run on `data` that starts from `model` (or from fresh weights of its config), on
/// `device` with autodiff.
pub(super) async fn new_trainer(
    model: &Trm,
    config: &TrmConfig,
    device: &Device,
    settings: RunSettings,
    data: DataSource,
) -> Result<Trainer, String> {
    let device = device.clone().autodiff();
    let seed = (js_sys::Math::random() * 4.0e9) as u64;
    let training = TrainingConfig::new(config.clone().with_seed(seed), data)
        .with_batch_size(settings.batch_size)
        .with_steps(settings.steps)
        .with_learning_rate(settings.learning_rate)
        .with_warmup_steps(20)
        .with_weight_decay(0.1)
        // A short run needs a short EMA horizon.
        .with_ema_decay(0.9)
        .with_seed(seed);
    let start = if settings.from_scratch {
        training.model.init(&device)
    } else {
        let bytes = weights::to_bytes_async(model, config, false).await.map_err(|e| e.to_string())?;
        weights::from_bytes(config, &bytes, &device).map_err(|e| e.to_string())?
    };
    Trainer::from_parts(training, Vec::new(), start, None, None, None).map_err(|e| e.to_string())
}

/// How a run of [`run`] ended.
enum RunEnd {
    /// All steps done.
    Finished,
    /// Paused by the user or by another request (put back in the inbox to go next).
    Paused,
    /// Stopped by the user: the run is over, its EMA weights are kept.
    Stopped(Box<Trainer>),
    /// A step failed: the previous weights stay in use.
    Failed,
}

/// Trains until done, paused, stopped or interrupted. Unless a step failed, the model in use
/// becomes the EMA weights (when at least one step ran) and goes to the page to be saved.
async fn run(host: &mut impl Trainee, out: &Outbox, inbox: &mut Inbox) {
    out.send(Event::Status(EngineStatus::Training));
    let mut window_start = (now_ms(), host.trainer().as_ref().map(|t| t.step_count()).unwrap_or(0));
    let end = loop {
        let Some(trainer) = host.trainer().as_mut() else { break RunEnd::Failed };
        if trainer.done() {
            break RunEnd::Finished;
        }
        match trainer.train_step().await {
            Ok(metrics) => {
                let now = now_ms();
                let mut progress = TrainProgress { metrics, steps_per_s: None, memory_mb: None };
                if now - window_start.0 > 1000.0 {
                    let steps = metrics.step - window_start.1;
                    progress.steps_per_s = Some(steps as f64 * 1000.0 / (now - window_start.0));
                    progress.memory_mb = Some(wasm_memory_mb());
                    window_start = (now, metrics.step);
                }
                out.send(Event::TrainStep(progress));
            }
            Err(e) => {
                *host.trainer() = None;
                host.step_failed(out, &e.to_string()).await;
                out.say(true, format!("Training stopped: {e}. The previous weights stay in use."));
                break RunEnd::Failed;
            }
        }
        yield_now().await;
        match inbox.try_next() {
            Some(Request::FineTune(FineTuneRequest::Pause)) => break RunEnd::Paused,
            Some(Request::Stop) => match host.trainer().take() {
                Some(trainer) => break RunEnd::Stopped(Box::new(trainer)),
                None => break RunEnd::Failed,
            },
            // Another request (a solve, a new run): pause this one and let it through.
            Some(other) => {
                inbox.put_back(other);
                break RunEnd::Paused;
            }
            None => {}
        }
    };
    let paused = matches!(end, RunEnd::Paused);
    out.send(Event::TrainEnded { paused, memory_mb: wasm_memory_mb() });
    let steps = match end {
        RunEnd::Failed => return,
        RunEnd::Finished => host.trainer().take().map(|trainer| keep_ema(host, &trainer)).unwrap_or(0),
        RunEnd::Paused => {
            let trainer = host.trainer().take();
            let steps = trainer.as_ref().map(|trainer| keep_ema(host, trainer)).unwrap_or(0);
            *host.trainer() = trainer;
            steps
        }
        RunEnd::Stopped(trainer) => {
            let steps = keep_ema(host, &trainer);
            out.say(
                false,
                if steps == 0 {
                    "Stopped before the first step: the weights are unchanged.".to_string()
                } else {
                    format!("Stopped after {steps} steps: the page now uses the fine-tuned weights.")
                },
            );
            steps
        }
    };
    if steps > 0 {
        out.send(Event::UsingFineTuned(true));
        match host.weights().await {
            Ok(file) => out.send(Event::SaveWeights(file)),
            Err(e) => out.say(true, format!("Could not serialise the fine-tuned weights: {e}")),
        }
    }
}

/// Makes the trainer's EMA weights the model in use if it took any step; returns its steps.
fn keep_ema(host: &mut impl Trainee, trainer: &Trainer) -> usize {
    let steps = trainer.step_count();
    if steps > 0 {
        host.use_model(trainer.ema().clone());
    }
    steps
}

//! Fine-tuning in the worker: the same [`Trainer`] as native training (same losses, deep
//! supervision, EMA), on generated puzzles, with pause/resume/stop, reset to the shipped
//! weights and download. The page keeps the results: it saves what [`Event::SaveWeights`]
//! carries in IndexedDB and sends it back at the next load.

use trm_sudoku::data::{DataSource, Stage};
use trm_sudoku::generator::Tier;
use trm_sudoku::training::{Trainer, TrainingConfig};
use trm_sudoku::weights;

use super::{Engine, Inbox, Outbox, fall_back_to_cpu, load_file};
use crate::runtime::{now_ms, wasm_memory_mb, yield_now};
use trm_sudoku::protocol::{
    Backend, EngineStatus, Event, FineTuneRequest, Request, RunSettings, TrainProgress, WeightsFile,
};

/// Uses fine-tuned weights saved in this browser, if they fit and load; otherwise says so and
/// tells the page to forget them.
pub(super) fn restore_saved(engine: &mut Engine, out: &Outbox, saved: &WeightsFile) {
    match load_file(saved, &engine.device) {
        Ok((model, config)) => {
            engine.model = model;
            engine.config = config;
            out.send(Event::UsingFineTuned(true));
            out.say(false, "Using your fine-tuned weights saved in this browser (Reset in the Train panel restores the shipped ones).");
        }
        Err(e) => {
            out.send(Event::SavedWeightsRejected);
            out.say(true, format!("Your saved fine-tuned weights could not be used ({e}); using the shipped ones."));
        }
    }
}

/// Handles a fine-tuning request.
pub(super) async fn handle(engine: &mut Engine, out: &Outbox, inbox: &mut Inbox, request: FineTuneRequest) {
    match request {
        FineTuneRequest::Start(settings) => {
            engine.trainer = None;
            match new_trainer(engine, settings).await {
                Ok(trainer) => {
                    engine.trainer = Some(trainer);
                    out.send(Event::TrainStarted { target_steps: settings.steps, fresh: true });
                    run(engine, out, inbox).await
                }
                Err(e) => out.say(true, format!("Could not start training: {e}")),
            }
        }
        FineTuneRequest::Resume => {
            if let Some(trainer) = &engine.trainer {
                out.send(Event::TrainStarted { target_steps: trainer.config.steps, fresh: false });
                run(engine, out, inbox).await
            }
        }
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
        FineTuneRequest::Download => match current_weights(engine).await {
            Ok(file) => out.send(Event::DownloadWeights(file)),
            Err(e) => out.say(true, format!("Could not serialise the weights: {e}")),
        },
    }
}

/// The model in use as a `.bpk` with its config.
async fn current_weights(engine: &Engine) -> Result<WeightsFile, String> {
    let bytes = weights::to_bytes_async(&engine.model, &engine.config, false).await.map_err(|e| e.to_string())?;
    Ok(WeightsFile { config_json: weights::config_to_json(&engine.config), bytes })
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
    /// Paused by the user or by another request (put back in the inbox to go next).
    Paused,
    /// Stopped by the user: the run is over, its EMA weights are kept.
    Stopped(Box<Trainer>),
    /// A step failed: the previous weights stay in use.
    Failed,
}

/// Trains until done, paused, stopped or interrupted. Unless a step failed, the model in use
/// becomes the EMA weights (when at least one step ran) and goes to the page to be saved.
async fn run(engine: &mut Engine, out: &Outbox, inbox: &mut Inbox) {
    out.send(Event::Status(EngineStatus::Training));
    let mut window_start = (now_ms(), engine.trainer.as_ref().map(|t| t.step_count()).unwrap_or(0));
    let end = loop {
        let Some(trainer) = engine.trainer.as_mut() else { break RunEnd::Failed };
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
                engine.trainer = None;
                if engine.backend == Backend::WebGpu {
                    let _ = fall_back_to_cpu(engine, out, &e.to_string()).await;
                }
                out.say(true, format!("Training stopped: {e}. The previous weights stay in use."));
                break RunEnd::Failed;
            }
        }
        yield_now().await;
        match inbox.try_next() {
            Some(Request::FineTune(FineTuneRequest::Pause)) => break RunEnd::Paused,
            Some(Request::Stop) => match engine.trainer.take() {
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
        RunEnd::Finished => engine.trainer.take().map(|trainer| keep_ema(engine, &trainer)).unwrap_or(0),
        RunEnd::Paused => {
            let trainer = engine.trainer.take();
            let steps = trainer.as_ref().map(|trainer| keep_ema(engine, trainer)).unwrap_or(0);
            engine.trainer = trainer;
            steps
        }
        RunEnd::Stopped(trainer) => {
            let steps = keep_ema(engine, &trainer);
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
        match current_weights(engine).await {
            Ok(file) => out.send(Event::SaveWeights(file)),
            Err(e) => out.say(true, format!("Could not serialise the fine-tuned weights: {e}")),
        }
    }
}

/// Makes the trainer's EMA weights the model in use if it took any step; returns its steps.
fn keep_ema(engine: &mut Engine, trainer: &Trainer) -> usize {
    let steps = trainer.step_count();
    if steps > 0 {
        engine.model = trainer.ema().clone();
    }
    steps
}

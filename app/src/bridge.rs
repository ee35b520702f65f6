//! The page's side of the model worker: starts it, sends it [`Request`]s, and turns its
//! [`Event`]s into signals. It also does the page's part of loading, which needs no model:
//! downloading the weights (with progress, into Cache Storage) and reading fine-tuned weights
//! saved in IndexedDB, then handing both to the worker.

use std::cell::RefCell;
use std::collections::HashMap;

use futures::channel::oneshot;
use leptos::prelude::*;
use trm_puzzle::sudoku::grid::Grid;
use trm_trace::formats::Manifest;
use trm_trace::protocol::{Event, Request, WeightsFile, decode, encode};
use wasm_bindgen::closure::Closure;
use wasm_bindgen::{JsCast, JsValue};
use web_sys::{MessageEvent, Worker, WorkerOptions, WorkerType};

use crate::finetune::FineTuneState;
use crate::platform::{download_bytes, fetch_cached, fetch_text, js_error};
use crate::state::{AppState, EngineStatus};

/// The worker's loader, next to `index.html` (and `embed.html`).
const WORKER_URL: &str = "worker.js";
/// Where the shipped model is.
const MANIFEST_URL: &str = "assets/manifest.json";
const CACHE_NAME: &str = "trm-sudoku-weights";
/// IndexedDB keys of the fine-tuned weights and their config, per task: each page keeps its own
/// model's.
fn saved_keys(maze: bool) -> (&'static str, &'static str) {
    if maze { ("maze-finetuned.bpk", "maze-finetuned.json") } else { ("finetuned.bpk", "finetuned.json") }
}

/// A message as a `Uint8Array`, to be posted with [`transfer_list`].
fn to_js(request: &Request) -> Result<js_sys::Uint8Array, String> {
    Ok(js_sys::Uint8Array::from(encode(request)?.as_slice()))
}

/// Moves (rather than copies) the message's buffer to the worker.
fn transfer_list(message: &js_sys::Uint8Array) -> js_sys::Array {
    js_sys::Array::of1(&message.buffer())
}

/// An event from what the worker posted.
fn from_js(data: JsValue) -> Result<Event, String> {
    let bytes = data.dyn_into::<js_sys::Uint8Array>().map_err(|_| "not a protocol message".to_string())?;
    decode(&bytes.to_vec())
}

/// The page's link to the worker.
#[derive(Default)]
struct Link {
    worker: Option<Worker>,
    /// The worker has said it listens; until then requests wait in `queued`.
    listening: bool,
    queued: Vec<js_sys::Uint8Array>,
    /// Open `benchNetCall` questions.
    bench_replies: HashMap<u32, oneshot::Sender<Result<f64, String>>>,
    next_bench_id: u32,
}

thread_local! {
    static LINK: RefCell<Link> = RefCell::new(Link::default());
}

/// The UI's handle on the engine (`Copy`, so every event handler can hold one).
#[derive(Clone, Copy)]
pub struct EngineHandle;

impl EngineHandle {
    /// Sends a request to the worker (kept until it listens). After the worker failed to
    /// start, requests are dropped: the page already says why.
    pub fn send(&self, request: Request) {
        let message = match to_js(&request) {
            Ok(message) => message,
            Err(e) => {
                web_sys::console::error_1(&format!("could not encode a request: {e}").into());
                return;
            }
        };
        LINK.with_borrow_mut(|link| match (&link.worker, link.listening) {
            (Some(worker), true) => {
                let _ = worker.post_message_with_transfer(&message, &transfer_list(&message));
            }
            _ => link.queued.push(message),
        });
    }
}

/// Starts the worker and the download of the weights.
pub fn start(state: AppState, finetune: FineTuneState) -> EngineHandle {
    let handle = EngineHandle;
    let options = WorkerOptions::new();
    options.set_type(WorkerType::Classic);
    options.set_name("trm-model");
    let worker = match Worker::new_with_options(WORKER_URL, &options) {
        Ok(worker) => worker,
        Err(e) => {
            fail(&state, format!("The model worker could not start: {}", js_error(e)));
            return handle;
        }
    };
    let on_message = Closure::<dyn FnMut(MessageEvent)>::new(move |message: MessageEvent| {
        let data = message.data();
        // The loader (www/worker.js) reports a module that would not load as plain text.
        if let Some(text) = data.as_string() {
            return apply(&state, &finetune, Event::Crashed(text));
        }
        match from_js(data) {
            Ok(event) => apply(&state, &finetune, event),
            Err(e) => web_sys::console::error_1(&format!("could not decode an event: {e}").into()),
        }
    });
    worker.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
    on_message.forget();
    // A worker script that fails to load or throws (not a Rust panic: that is an event).
    let on_error = Closure::<dyn FnMut(web_sys::ErrorEvent)>::new(move |error: web_sys::ErrorEvent| {
        error.prevent_default();
        fail(&state, format!("The model worker failed: {}", error.message()));
    });
    worker.set_onerror(Some(on_error.as_ref().unchecked_ref()));
    on_error.forget();
    LINK.with_borrow_mut(|link| link.worker = Some(worker));

    // The maze page downloads the maze model only (see `load_maze_model`).
    if !state.maze.active {
        wasm_bindgen_futures::spawn_local(async move {
            match download(&state).await {
                Ok(request) => handle.send(request),
                Err(message) => fail(&state, message),
            }
        });
    }
    handle
}

/// Marks loading as failed with `message`.
fn fail(state: &AppState, message: String) {
    state.status.set(EngineStatus::Failed(message.clone()));
    state.say(true, message);
}

/// Fetches the shipped weights and reads any saved fine-tuned ones: the worker's `Load`.
async fn download(state: &AppState) -> Result<Request, String> {
    let manifest: Manifest = serde_json::from_str(&fetch_text(MANIFEST_URL).await?)
        .map_err(|e| format!("{MANIFEST_URL} is invalid: {e}"))?;
    let config_json = fetch_text(&format!("assets/{}", manifest.config)).await?;
    let url = format!("assets/{}", manifest.weights);
    let key = format!("{url}?v={}", manifest.version);
    let status = state.status;
    let set_progress = move |loaded, total| {
        // Progress must not hide a failure (a worker that would not start).
        if matches!(status.get_untracked(), EngineStatus::Probing | EngineStatus::Downloading { .. }) {
            status.set(EngineStatus::Downloading { loaded, total });
        }
    };
    set_progress(0, None);
    let shipped = fetch_cached(&url, CACHE_NAME, &key, |bytes| manifest.check(bytes), set_progress).await?;
    if let Some(why) = &shipped.evicted {
        state.say(
            true,
            format!("The model saved in this browser was damaged ({why}); it was removed and downloaded again."),
        );
    }
    state.readouts.update(|r| {
        r.weight_bytes = Some(shipped.bytes.len() as u64);
        r.weights_cached = shipped.cached;
    });
    let saved = saved_weights(state).await;
    Ok(Request::Load {
        shipped: WeightsFile { config_json, bytes: shipped.bytes },
        saved,
        backend: state.backend_choice,
        attempts: state.attempts_chosen.get_untracked().then(|| state.attempts.get_untracked()),
    })
}

/// The fine-tuned weights saved in this browser for the page's task, if a whole pair is there.
/// Half a pair (a save cut short, or storage partly cleared) can never load: it is removed, and
/// the visitor told.
async fn saved_weights(state: &AppState) -> Option<WeightsFile> {
    let (weights_key, config_key) = saved_keys(state.maze.active);
    match (crate::idb::get(weights_key).await, crate::idb::get(config_key).await) {
        (Ok(Some(bytes)), Ok(Some(config))) => {
            Some(WeightsFile { config_json: String::from_utf8_lossy(&config).into_owned(), bytes })
        }
        (Ok(Some(_)), Ok(None)) | (Ok(None), Ok(Some(_))) => {
            forget_saved_weights(state.maze.active);
            state.say(
                true,
                "Your saved fine-tuned weights were incomplete and have been removed; using the shipped ones.",
            );
            None
        }
        _ => None,
    }
}

/// Where the maze model is (fetched only by the maze page).
const MAZE_MANIFEST_URL: &str = "assets/maze/manifest.json";

/// Fetches the maze model (cached like the Sudoku one) and hands it to the worker.
pub fn load_maze_model(state: AppState, engine: EngineHandle) {
    wasm_bindgen_futures::spawn_local(async move {
        let loaded = async {
            let manifest: Manifest = serde_json::from_str(&fetch_text(MAZE_MANIFEST_URL).await?)
                .map_err(|e| format!("{MAZE_MANIFEST_URL} is invalid: {e}"))?;
            let config_json = fetch_text(&format!("assets/maze/{}", manifest.config)).await?;
            let url = format!("assets/maze/{}", manifest.weights);
            let key = format!("{url}?v={}", manifest.version);
            let weights = fetch_cached(&url, CACHE_NAME, &key, |bytes| manifest.check(bytes), |_, _| {}).await?;
            state.maze.note.set(manifest.note.clone());
            Ok::<_, String>(WeightsFile { config_json, bytes: weights.bytes })
        };
        match loaded.await {
            Ok(model) => {
                let saved = saved_weights(&state).await;
                engine.send(Request::LoadMaze { model, saved, backend: state.backend_choice })
            }
            Err(why) => state.maze.model.set(crate::maze_view::MazeModelStatus::Failed(why)),
        }
    });
}

/// Applies one event from the worker to the page's state.
fn apply(state: &AppState, finetune: &FineTuneState, event: Event) {
    match event {
        Event::Listening => LINK.with_borrow_mut(|link| {
            link.listening = true;
            if let Some(worker) = &link.worker {
                for message in link.queued.drain(..) {
                    let _ = worker.post_message_with_transfer(&message, &transfer_list(&message));
                }
            }
        }),
        Event::Backend { backend, note } => {
            state.backend.set(Some(backend));
            if note.is_some() {
                state.backend_note.set(note);
            }
        }
        Event::Status(status) => state.status.set(status),
        Event::Measured { timing, warmup_ms } => state.readouts.update(|r| {
            r.timings.retain(|t| t.backend != timing.backend);
            r.timings.push(timing);
            if warmup_ms.is_some() {
                r.warmup_ms = warmup_ms;
            }
        }),
        Event::KernelsReady { attempts, warmup_ms } => state.readouts.update(|r| {
            r.warm_attempts = Some(attempts);
            r.warmup_ms = Some(r.warmup_ms.unwrap_or(0.0) + warmup_ms);
        }),
        Event::UsingFineTuned(yes) => finetune.using_finetuned.set(yes),
        Event::SavedWeightsRejected => forget_saved_weights(state.maze.active),
        Event::Notice { error, text } => state.say(error, text),
        Event::SolveStarted { trace, classical_us } => {
            state.clear_trace();
            state.traced_puzzle.set(Grid::parse(&trace.puzzle).ok());
            state.readouts.update(|r| {
                r.classical_us = classical_us;
                r.ms_per_call = None;
                r.total_ms = None;
                r.steps_used = None;
                r.stopped_by = None;
            });
            state.solve.set(Some(trace));
            state.compute.set(vec![(crate::platform::now_ms(), 0)]);
            state.playback.update(|p| p.play());
        }
        Event::SolveProgress { steps, joined, outcome, ms_per_call, steps_used } => {
            state.solve.update(|s| {
                if let Some(s) = s {
                    // Attempts that joined an adaptive solve, with empty recordings.
                    s.attempts.extend(joined);
                    for progress in steps {
                        if let Some(a) = s.attempts.get_mut(progress.attempt) {
                            a.trace.steps.push(progress.step);
                            a.trace.halted_at = progress.halted_at;
                        }
                    }
                    s.outcome = outcome;
                }
            });
            let calls = state.solve.with(|s| s.as_ref().map(|s| s.net_calls_run()).unwrap_or(0));
            state.compute.update(|c| c.push((crate::platform::now_ms(), calls)));
            state.readouts.update(|r| {
                r.ms_per_call = Some(ms_per_call);
                r.steps_used = Some(steps_used);
            });
        }
        Event::SolveFinished { total_ms, stopped_by } => state.readouts.update(|r| {
            r.total_ms = Some(total_ms);
            r.stopped_by = stopped_by;
        }),
        Event::TrainStarted { target_steps, fresh } => {
            if fresh {
                finetune.metrics.set(Vec::new());
            }
            finetune.target_steps.set(target_steps);
            finetune.running.set(true);
            finetune.paused.set(false);
        }
        Event::TrainStep(progress) => {
            finetune.metrics.update(|m| m.push(progress.metrics));
            if progress.steps_per_s.is_some() {
                finetune.steps_per_s.set(progress.steps_per_s);
            }
            if progress.memory_mb.is_some() {
                finetune.memory_mb.set(progress.memory_mb);
            }
        }
        Event::TrainEnded { paused, memory_mb } => {
            finetune.running.set(false);
            finetune.paused.set(paused);
            finetune.memory_mb.set(Some(memory_mb));
        }
        Event::TrainReset => {
            finetune.paused.set(false);
            finetune.metrics.set(Vec::new());
            forget_saved_weights(state.maze.active);
        }
        Event::SaveWeights(file) => {
            let state = *state;
            let (weights_key, config_key) = saved_keys(state.maze.active);
            wasm_bindgen_futures::spawn_local(async move {
                let saved = match crate::idb::put(weights_key, &file.bytes).await {
                    Ok(()) => crate::idb::put(config_key, file.config_json.as_bytes()).await,
                    Err(e) => Err(e),
                };
                if let Err(e) = saved {
                    state.say(true, format!("Could not save the fine-tuned weights in this browser: {e}"));
                }
            });
        }
        Event::DownloadWeights(file) => {
            let name = if state.maze.active { "trm-maze-finetuned.bpk" } else { "trm-sudoku-finetuned.bpk" };
            if let Err(e) = download_bytes(name, &file.bytes) {
                state.say(true, format!("Download failed: {e}"));
            }
        }
        Event::BenchResult { id, result } => {
            if let Some(reply) = LINK.with_borrow_mut(|link| link.bench_replies.remove(&id)) {
                let _ = reply.send(result);
            }
        }
        Event::MazeReady { side, parameters } => state.maze.ready(side, parameters),
        Event::MazeSolved(report) => state.maze.solved(report),
        Event::MazeFailed(why) => {
            state.maze.solving.set(false);
            if matches!(state.maze.model.get_untracked(), crate::maze_view::MazeModelStatus::Ready { .. }) {
                state.say(true, why);
            } else {
                state.maze.model.set(crate::maze_view::MazeModelStatus::Failed(why));
            }
        }
        Event::Crashed(message) => {
            web_sys::console::error_1(&format!("the model worker crashed: {message}").into());
            fail(state, format!("The model stopped ({message}). Reload the page to start again."));
            crate::show_crash_overlay();
        }
    }
}

/// Forgets the fine-tuned weights saved in this browser for one task's page.
fn forget_saved_weights(maze: bool) {
    let (weights_key, config_key) = saved_keys(maze);
    wasm_bindgen_futures::spawn_local(async move {
        let _ = crate::idb::delete(weights_key).await;
        let _ = crate::idb::delete(config_key).await;
    });
}

/// `benchNetCall(batch, calls)` for scripts: ms per net call on the worker's backend.
#[wasm_bindgen::prelude::wasm_bindgen(js_name = benchNetCall)]
pub async fn bench_net_call_js(batch: u32, calls: u32) -> Result<f64, JsValue> {
    let (reply, answer) = oneshot::channel();
    let id = LINK.with_borrow_mut(|link| {
        link.next_bench_id += 1;
        link.bench_replies.insert(link.next_bench_id, reply);
        link.next_bench_id
    });
    EngineHandle.send(Request::Bench { id, batch: batch as usize, calls: calls as usize });
    match answer.await {
        Ok(Ok(ms)) => Ok(ms),
        Ok(Err(e)) => Err(JsValue::from_str(&e)),
        Err(_) => Err(JsValue::from_str("the engine stopped")),
    }
}

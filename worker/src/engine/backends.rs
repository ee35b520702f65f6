//! Choosing the backend by measurement, and warming GPU kernels.
//!
//! Net calls are timed after each backend's warm-up, as the median of several rounds (a round is
//! a few chained calls and one readback, so GPU work is counted but a readback's latency is
//! shared), at the two batches of [`TIMED_BATCHES`]. [`choose_backend`] then takes the backend
//! that runs more attempts within the page's time budget.
//!
//! A GPU compiles a pipeline the first time a kernel runs at a new configuration, and kernels
//! are specialised by batch size, so the warm-up runs one traced supervision step at every K the
//! page offers. Only K = 1 and the timed batches are warmed before the engine says it is ready;
//! the rest runs while the page is idle ([`Engine::idle_work`](super::Engine)).

use std::future::Future;
use std::pin::Pin;

use burn::prelude::*;
use trm_sudoku::attempts::{ATTEMPT_CHOICES, DEFAULT_NOISE, attempts_to_warm_after_switch};
use trm_sudoku::grid::Grid;
use trm_sudoku::inference::{InferenceConfig, Session, tokens};
use trm_sudoku::model::{Trm, TrmConfig, to_position_major};
use trm_sudoku::protocol::{Backend, NetCallTiming, TIMED_BATCHES};
use trm_sudoku::weights;

use crate::runtime::{now_ms, webgpu_adapter_available};

/// Puzzle of the warm-up steps and the net-call timings.
pub const WARM_UP_PUZZLE: &str = "..3.2.6..9..3.5..1..18.64....81.29..7.......8..67.82....26.95..8..2.3..9..5.1.3..";

/// Kernel launches that cubecl gathers into one command buffer before it submits. A net call is
/// about 24 launches, so a supervision step (10 calls and its trace) submits a few times, and at
/// most once per net call.
const TASKS_MAX: usize = 64;

/// The solve settings a page solve uses, so that a warm-up step runs exactly its kernels.
pub fn solve_config(backend: Backend, max_steps: usize, early_exit: bool, attempts: usize) -> InferenceConfig {
    InferenceConfig::new()
        .with_max_steps(max_steps)
        .with_early_exit(early_exit)
        .with_attempts(attempts.max(1))
        .with_noise(DEFAULT_NOISE)
        // A GPU runs a batch in about the same time at any size, and a new size compiles new
        // kernels mid-solve: finished attempts keep their rows there.
        .with_drop_finished_rows(backend == Backend::Cpu)
}

/// Traced supervision steps at K = `attempts` ([`warm_up_steps`]): on a GPU, compiles every
/// kernel a solve at that K runs.
pub async fn warm_up(model: &Trm, backend: Backend, attempts: usize) -> Result<(), String> {
    let puzzle = Grid::parse(WARM_UP_PUZZLE).map_err(|e| e.to_string())?;
    let steps = warm_up_steps(backend);
    let mut session = Session::new(model.clone(), puzzle, solve_config(backend, steps, false, attempts));
    for _ in 0..steps {
        session.step().await.map_err(|e| e.to_string())?;
    }
    Ok(())
}

/// Supervision steps of a warm-up on `backend`. A GPU runs two: the second records changes from
/// the answers the first left, which a first step has none of, with kernels of their own. The
/// CPU compiles nothing, and one step lets the browser's compiler tier up its hot code.
pub fn warm_up_steps(backend: Backend) -> usize {
    match backend {
        Backend::Cpu => 1,
        Backend::WebGpu => 2,
    }
}

/// `batch` copies of the Sudoku warm-up puzzle, as tokens on `device`.
///
/// # Shapes
/// - output: `[batch, 81]`
pub fn sudoku_batch(device: &Device, batch: usize) -> Result<Tensor<2, Int>, String> {
    let puzzle = Grid::parse(WARM_UP_PUZZLE).map_err(|e| e.to_string())?;
    Ok(tokens(&vec![puzzle; batch.clamp(1, 256)], device))
}

/// Median ms per net call on the batch `tokens`: `rounds` rounds of `calls` chained calls,
/// each ending in a readback, after one untimed call. When that first call took more than
/// [`SLOW_CALL_MS`], one round of one call: the readback's round trip is then lost in the call,
/// a device that slow loses to the CPU by far more than the noise of one call, and a software
/// GPU spends seconds per batch-8 call before the page is ready.
///
/// # Shapes
/// - `tokens`: `[B, cells]`, on the model's device
pub async fn time_net_calls(model: &Trm, tokens: Tensor<2, Int>, rounds: usize, calls: usize) -> Result<f64, String> {
    let batch = tokens.dims()[0];
    let x = model.embed(tokens);
    let (y, z) = model.initial_state(batch);
    // Position-major, as the recursion runs its calls.
    let injection = to_position_major(y + x);
    let first = now_ms();
    let mut z = model.net_position_major(to_position_major(z), injection.clone());
    read_one(z.clone()).await?;
    let (rounds, calls) = if now_ms() - first > SLOW_CALL_MS { (1, 1) } else { (rounds, calls) };
    let mut times = Vec::with_capacity(rounds.max(1));
    for _ in 0..rounds.max(1) {
        let start = now_ms();
        for _ in 0..calls.max(1) {
            z = model.net_position_major(z, injection.clone());
        }
        read_one(z.clone()).await?;
        times.push((now_ms() - start) / calls.max(1) as f64);
    }
    times.sort_by(f64::total_cmp);
    Ok(times[times.len() / 2])
}

/// A first call slower than this is timed one call per round.
const SLOW_CALL_MS: f64 = 100.0;

/// Reads one value back, so that the work queued before it is done.
async fn read_one(z: Tensor<2>) -> Result<(), String> {
    z.slice([0..1, 0..1]).into_data_async().await.map(|_| ()).map_err(|e| format!("{e:?}"))
}

/// Net-call times of a backend at [`TIMED_BATCHES`], on the batches `batch_of` makes (of the
/// task's warm-up puzzle).
pub async fn measure(
    model: &Trm,
    backend: Backend,
    batch_of: impl Fn(usize) -> Result<Tensor<2, Int>, String>,
) -> Result<NetCallTiming, String> {
    // A GPU round shares one readback among its calls; the CPU's calls are short enough to
    // take more rounds for a steadier median.
    let (rounds, calls) = match backend {
        Backend::Cpu => (5, 2),
        Backend::WebGpu => (3, 3),
    };
    let [small, large] = TIMED_BATCHES;
    let batch1_ms = time_net_calls(model, batch_of(small)?, rounds, calls).await?;
    let batch8_ms = time_net_calls(model, batch_of(large)?, rounds, calls).await?;
    Ok(NetCallTiming { backend, batch1_ms, batch8_ms })
}

/// WebGPU, ready to run: its device (kernels warmed), its warm-up time and measurement. The
/// engine moves its model there when it switches, since fine-tuning may have changed it while
/// the GPU was being prepared.
pub struct Gpu {
    pub device: Device,
    pub warmup_ms: f64,
    pub timing: NetCallTiming,
}

/// Starts WebGPU ([`start_gpu`]), warms K = 1, and measures it (which compiles the net's
/// kernels at the timed batches too).
pub async fn prepare_gpu(config: TrmConfig, bytes: Vec<u8>) -> Result<Gpu, String> {
    let (device, model) = start_gpu(&config, &bytes).await?;
    let start = now_ms();
    for attempts in WARMED_WHILE_PREPARING {
        warm_up(&model, Backend::WebGpu, attempts).await?;
    }
    let warmup_ms = now_ms() - start;
    let timing = measure(&model, Backend::WebGpu, |batch| sudoku_batch(&device, batch)).await?;
    Ok(Gpu { device, warmup_ms, timing })
}

/// Starts WebGPU (probing for an adapter first: a missing one must lead to the CPU, not a trap)
/// and puts the model given as weights on it.
pub async fn start_gpu(config: &TrmConfig, bytes: &[u8]) -> Result<(Device, Trm), String> {
    webgpu_adapter_available().await?;
    let device = Device::wgpu_options()
        .tasks_max(TASKS_MAX)
        .init_async()
        .await
        .map_err(|e| format!("WebGPU could not start ({e:?})"))?;
    let model = weights::from_bytes(config, bytes, &device).map_err(|e| e.to_string())?;
    Ok((device, model))
}

/// The K that [`prepare_gpu`] warms (and the maze engine's measurement): only K = 1, so that a
/// link that asks for WebGPU gets a ready page soon even on a slow GPU.
pub const WARMED_WHILE_PREPARING: [usize; 1] = [1];

/// The K warmed ahead once the GPU is in use: the larger timed batch first (the page's usual K,
/// whose net kernels the measurement compiled already), then every other K, each only where the
/// measurement says its step is quick.
pub fn warm_after_switch(timing: &NetCallTiming) -> Vec<usize> {
    attempts_to_warm_after_switch(timing, &ATTEMPT_CHOICES, &WARMED_WHILE_PREPARING, TIMED_BATCHES[1])
}

/// Warms the kernels of each of `attempts` in turn; returns the time it took.
pub async fn warm_ahead(model: Trm, attempts: Vec<usize>) -> Result<f64, String> {
    let start = now_ms();
    for k in attempts {
        warm_up(&model, Backend::WebGpu, k).await?;
    }
    Ok(now_ms() - start)
}

/// Work the engine does while the page is idle.
pub type IdleWork = Pin<Box<dyn Future<Output = IdleDone>>>;

/// What idle work produced.
pub enum IdleDone {
    /// WebGPU measured (or why it is not there).
    GpuPrepared(Result<Gpu, String>),
    /// Every K whose kernels are now warm on the active GPU, after this many ms of warming
    /// ahead (or why it failed).
    KernelsWarmed(Result<(Vec<usize>, f64), String>),
}

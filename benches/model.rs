//! Model speed on the CPU backend, per preset: one net call at batch 1 and 64; one training
//! step on fixed token batches (forward with T-1 cycles untracked, losses, backward, AdamW,
//! EMA, one loss readback), the same work `tests/reference/bench_pytorch.py` times; and the full
//! training loop's step (which also refills halted slots with generated puzzles and reads the
//! metrics back).
//!
//! `cargo bench --bench model` prints a table and, with `--json <path>`, writes the figures for
//! `scripts/bench-model.sh`, which runs the PyTorch reference beside it and prints the ratios.
//! `TRM_BENCH_PRESETS=browser,paper_mlp` picks presets, `TRM_BENCH_CASES=b1,b64,fixed,loop` the
//! cases; `TRM_BENCH_SECONDS` sets the time per case.

use std::time::{Duration, Instant};

// As the `trm` binary does: see trm_sudoku::allocator.
#[global_allocator]
static ALLOCATOR: trm_sudoku::allocator::Allocator = trm_sudoku::allocator::Allocator;

use burn::module::Module;
use burn::optim::GradientsParams;
use burn::prelude::*;
use trm_sudoku::data::DataSource;
use trm_sudoku::generator::Tier;
use trm_sudoku::model::{Trm, TrmConfig};
use trm_sudoku::recursion::{NoObserver, RecursionState};
use trm_sudoku::training::{Trainer, TrainingConfig, ema_update, losses};

/// Median milliseconds per run after one warm-up run, and the number of runs (as
/// `tests/reference/bench_pytorch.py` does): the median shrugs off the stalls a shared machine
/// adds to a few runs.
fn time_it(budget: Duration, mut f: impl FnMut()) -> (f64, usize) {
    f(); // warm-up
    let start = Instant::now();
    let mut times = Vec::new();
    while times.len() < 3 || (start.elapsed() < budget && times.len() < 1000) {
        let run = Instant::now();
        f();
        times.push(run.elapsed().as_secs_f64() * 1000.0);
    }
    times.sort_by(f64::total_cmp);
    (times[times.len() / 2], times.len())
}

fn net_call_ms(model: &Trm, batch: usize, device: &Device, budget: Duration) -> f64 {
    let shape = [batch, model.prefix_len() + 81, model.hidden()];
    let z = Tensor::<3>::random(shape, burn::tensor::Distribution::Normal(0.0, 1.0), device);
    let injection = Tensor::<3>::random(shape, burn::tensor::Distribution::Normal(0.0, 1.0), device);
    time_it(budget, || {
        let out = model.net(z.clone(), injection.clone());
        // Read one value so lazy backends finish the work.
        let _ = out.slice([0..1, 0..1, 0..1]).into_data();
    })
    .0
}

/// One optimizer step on fixed tokens and labels, carrying y and z, as the PyTorch bench does.
fn fixed_train_step_ms(config: &TrmConfig, batch: usize, device: &Device, budget: Duration) -> f64 {
    let training = TrainingConfig::new(config.clone(), DataSource::tier(Tier::Easy)).with_weight_decay(1.0);
    let train_device = device.clone().autodiff();
    let mut model = config.init(&train_device);
    let mut ema = model.valid();
    let mut optimizer = Trainer::optimizer_init(&training);
    let tokens = Tensor::<2, Int>::random([batch, 81], burn::tensor::Distribution::Uniform(1.0, 11.0), &train_device);
    let labels = Tensor::<2, Int>::random([batch, 81], burn::tensor::Distribution::Uniform(2.0, 11.0), &train_device);
    let (y, z) = model.initial_state(batch);
    let mut state = RecursionState { y, z };
    time_it(budget, || {
        let x = model.embed(tokens.clone());
        let output = model.supervision_step(&x, state.clone(), &mut NoObserver);
        state = output.state;
        let l = losses(output.logits, output.halt_logit, labels.clone(), 0.5);
        let loss = l.total.clone().without_autodiff();
        let grads = GradientsParams::from_grads(l.total.backward(), &model);
        model = optimizer.step(1e-4, model.clone(), grads);
        ema = ema_update(&ema, &model, 0.999);
        let _ = loss.into_data();
    })
    .0
}

/// The full training loop's step: refill, generation, the step itself, metrics readback.
fn train_step_ms(config: &TrmConfig, batch: usize, device: &Device, budget: Duration) -> f64 {
    let training = TrainingConfig::new(config.clone(), DataSource::tier(Tier::Easy))
        .with_batch_size(batch)
        .with_steps(usize::MAX)
        .with_warmup_steps(1);
    let mut trainer = match Trainer::new(training, Vec::new(), device) {
        Ok(t) => t,
        Err(e) => panic!("trainer: {e}"),
    };
    time_it(budget, || {
        if let Err(e) = trainer.train_step_blocking() {
            panic!("training step failed: {e}");
        }
    })
    .0
}

/// Runs a case unless `TRM_BENCH_CASES` (comma-separated: b1, b64, fixed, loop) leaves it out,
/// which lets a profiler look at one case at a time. A skipped case reads NaN.
fn run_case(name: &str, case: impl FnOnce() -> f64) -> f64 {
    match std::env::var("TRM_BENCH_CASES") {
        Ok(cases) if !cases.split(',').any(|c| c.trim() == name) => f64::NAN,
        _ => case(),
    }
}

fn main() {
    trm_sudoku::allocator::keep_freed_memory();
    // As the CLI does (src/cpu_pool.rs). `TRM_BENCH_POOL=outside` times the main thread instead,
    // `TRM_BENCH_POOL=idle` a worker whose partners sleep between splits.
    match std::env::var("TRM_BENCH_POOL").as_deref() {
        Ok("outside") => bench(),
        Ok("idle") => trm_sudoku::cpu_pool::install_without_spinning(bench),
        _ => trm_sudoku::cpu_pool::install(bench),
    }
}

fn bench() {
    let args: Vec<String> = std::env::args().collect();
    let json_path = args.iter().position(|a| a == "--json").and_then(|i| args.get(i + 1)).cloned();
    let presets = std::env::var("TRM_BENCH_PRESETS").unwrap_or_else(|_| "browser,paper_mlp".into());
    let seconds: f64 = std::env::var("TRM_BENCH_SECONDS").ok().and_then(|s| s.parse().ok()).unwrap_or(5.0);
    let budget = Duration::from_secs_f64(seconds);
    let device = Device::flex();
    let threads = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1);
    println!("burn flex (CPU), {threads} threads available, {seconds} s per case");
    println!(
        "| preset | params | net call b=1 | net call b=64 | train step, fixed tokens (batch) | training loop step |"
    );
    println!("|---|---|---|---|---|---|");
    let mut rows = Vec::new();
    for name in presets.split(',') {
        let Some(config) = TrmConfig::preset(name.trim()) else {
            eprintln!("unknown preset {name}");
            continue;
        };
        let model = config.init(&device);
        let b1 = run_case("b1", || net_call_ms(&model, 1, &device, budget));
        let b64 = run_case("b64", || net_call_ms(&model, 64, &device, budget));
        // The batch the shipped model trains at (browser) and a CPU-sized one (paper presets).
        let train_batch = if config.hidden <= 128 { 32 } else { 4 };
        let fixed = run_case("fixed", || fixed_train_step_ms(&config, train_batch, &device, budget));
        let train = run_case("loop", || train_step_ms(&config, train_batch, &device, budget));
        println!(
            "| {name} | {} | {b1:.2} ms | {b64:.1} ms | {fixed:.0} ms ({train_batch}) | {train:.0} ms |",
            model.num_params()
        );
        rows.push(serde_json::json!({
            "preset": name, "params": model.num_params(), "net_call_b1_ms": b1, "net_call_b64_ms": b64,
            "train_step_ms": fixed, "train_loop_step_ms": train, "train_batch": train_batch,
        }));
    }
    if let Some(path) = json_path
        && let Err(e) = std::fs::write(&path, serde_json::to_string_pretty(&rows).unwrap_or_default())
    {
        eprintln!("could not write {path}: {e}");
    }
}

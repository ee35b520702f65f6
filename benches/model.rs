//! Model speed on the CPU backend, per preset: one net call at batch 1 and 64, and one
//! training step (forward, backward, AdamW, EMA) of the carried batch.
//!
//! `cargo bench --bench model` prints a table and, with `--json <path>`, writes the figures for
//! `scripts/bench-model.sh`, which runs the PyTorch reference beside it and prints the ratios.
//! `TRM_BENCH_PRESETS=browser,paper_mlp` picks presets; `TRM_BENCH_SECONDS` sets the time per case.

use std::time::{Duration, Instant};

use burn::prelude::*;
use trm_sudoku::data::DataSource;
use trm_sudoku::generator::Tier;
use trm_sudoku::model::{Trm, TrmConfig};
use trm_sudoku::training::{Trainer, TrainingConfig};

fn time_it(budget: Duration, mut f: impl FnMut()) -> (f64, usize) {
    f(); // warm-up
    let start = Instant::now();
    let mut runs = 0;
    while runs < 3 || (start.elapsed() < budget && runs < 1000) {
        f();
        runs += 1;
    }
    (start.elapsed().as_secs_f64() * 1000.0 / runs as f64, runs)
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

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let json_path = args.iter().position(|a| a == "--json").and_then(|i| args.get(i + 1)).cloned();
    let presets = std::env::var("TRM_BENCH_PRESETS").unwrap_or_else(|_| "browser,paper_mlp".into());
    let seconds: f64 = std::env::var("TRM_BENCH_SECONDS").ok().and_then(|s| s.parse().ok()).unwrap_or(5.0);
    let budget = Duration::from_secs_f64(seconds);
    let device = Device::flex();
    let threads = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1);
    println!("burn flex (CPU), {threads} threads available, {seconds} s per case");
    println!("| preset | params | net call b=1 | net call b=64 | train step (batch) |");
    println!("|---|---|---|---|---|");
    let mut rows = Vec::new();
    for name in presets.split(',') {
        let Some(config) = TrmConfig::preset(name.trim()) else {
            eprintln!("unknown preset {name}");
            continue;
        };
        let model = config.init(&device);
        let b1 = net_call_ms(&model, 1, &device, budget);
        let b64 = net_call_ms(&model, 64, &device, budget);
        let train_batch = if config.hidden <= 128 { 16 } else { 4 };
        let train = train_step_ms(&config, train_batch, &device, budget);
        println!(
            "| {name} | {} | {b1:.2} ms | {b64:.1} ms | {train:.0} ms ({train_batch}) |",
            model.num_params()
        );
        rows.push(serde_json::json!({
            "preset": name, "params": model.num_params(), "net_call_b1_ms": b1, "net_call_b64_ms": b64,
            "train_step_ms": train, "train_batch": train_batch,
        }));
    }
    if let Some(path) = json_path {
        if let Err(e) = std::fs::write(&path, serde_json::to_string_pretty(&rows).unwrap_or_default()) {
            eprintln!("could not write {path}: {e}");
        }
    }
}

//! Time per puzzle against K (parallel attempts, stopping at the first answer that satisfies
//! every rule), on the CPU backend with the shipped weights: generated medium and extreme
//! puzzles, early exit on, 16 steps. These figures (with the browser's, from
//! `tests/browser/bench.mjs --attempts`) set the page's default K per backend.
//!
//! `cargo bench --bench attempts` (`TRM_BENCH_PUZZLES` puzzles per tier, default 8;
//! `TRM_BENCH_ATTEMPTS=1,4,16` picks K values).

use std::time::Instant;

use burn::prelude::*;
use trm_sudoku::generator::{Generator, Tier};
use trm_sudoku::inference::{InferenceConfig, solve_attempts_blocking};
use trm_sudoku::weights;

fn main() {
    // As the CLI does: on a worker of the pool the CPU kernels split their work over.
    trm_sudoku::cpu_pool::install(bench);
}

fn bench() {
    let puzzles: usize = std::env::var("TRM_BENCH_PUZZLES").ok().and_then(|v| v.parse().ok()).unwrap_or(8);
    let ks: Vec<usize> = std::env::var("TRM_BENCH_ATTEMPTS")
        .unwrap_or_else(|_| "1,4,8,16,32,64".into())
        .split(',')
        .filter_map(|k| k.trim().parse().ok())
        .collect();
    let device = Device::flex();
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("assets/model.bpk");
    let model = match weights::load(&path, &device) {
        Ok((_, model)) => model,
        Err(e) => panic!("{}: {e}", path.display()),
    };
    let threads = std::env::var("RAYON_NUM_THREADS").unwrap_or_else(|_| "all".into());
    println!("parallel attempts, CPU (flex), {threads} threads, {puzzles} puzzles per tier, 16 steps, early exit");
    println!("| tier | K | ms per puzzle | solved (rule-checked) | mean steps |");
    println!("|---|---|---|---|---|");
    for tier in [Tier::Medium, Tier::Extreme] {
        let mut generator = Generator::new(0xBE7C + tier as u64);
        let set: Vec<_> = (0..puzzles).map(|_| generator.generate(tier)).collect();
        for &k in &ks {
            let config = InferenceConfig::new().with_attempts(k);
            let start = Instant::now();
            let (mut solved, mut steps) = (0usize, 0usize);
            for p in &set {
                let trace = match solve_attempts_blocking(&model, &p.puzzle, config.clone()) {
                    Ok(t) => t,
                    Err(e) => panic!("solve failed: {e}"),
                };
                solved += usize::from(trace.final_answer() == Some(p.solution));
                steps += trace.outcome.map(|o| o.step).unwrap_or(0);
            }
            let ms = start.elapsed().as_secs_f64() * 1000.0 / puzzles as f64;
            println!("| {tier} | {k} | {ms:.0} | {solved}/{puzzles} | {:.1} |", steps as f64 / puzzles as f64);
        }
    }
}

//! The GPU path on a native wgpu device (Vulkan, Metal or DX12; Mesa's lavapipe, a software
//! Vulkan, where there is no GPU). It prints, for the shipped model:
//!
//! - kernel launches per net call and per supervision step of the page's solve (the `Session`
//!   with its trace recorder), at K = 1 and K = 16, and readbacks per step;
//! - kernels launched for the first time after the warm-up, at every K the page offers;
//! - milliseconds per net call at batch 1, 4, 16 and 64 (chained calls, one readback);
//! - training puzzle-steps per second.
//!
//! Fusion is a build-time choice, so compare two builds:
//!
//! ```sh
//! cargo bench --bench gpu --features wgpu            # burn's kernel fusion on (what ships)
//! cargo bench --bench gpu --features wgpu-unfused    # without it
//! ```
//!
//! `--json <path>` writes the figures; `TRM_BENCH_SECONDS` sets the time per timed case and
//! `TRM_BENCH_CASES=counts,calls,train` picks cases. Launches are counted by CubeCL's launch
//! observer on the thread that issues them, so the counts are exact on any device.

#[cfg(feature = "wgpu-unfused")]
mod gpu {
    use std::collections::{BTreeMap, HashSet};
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::{Arc, Mutex};
    use std::time::{Duration, Instant};

    use burn::cubecl::launched::LaunchedKernels;
    use burn::cubecl::logging::{LaunchObservation, LaunchObserver};
    use burn::prelude::*;
    use trm_sudoku::attempts::{ATTEMPT_CHOICES, DEFAULT_NOISE};
    use trm_sudoku::data::DataSource;
    use trm_sudoku::generator::Tier;
    use trm_sudoku::grid::Grid;
    use trm_sudoku::inference::{InferenceConfig, Session};
    use trm_sudoku::model::{Trm, to_position_major};
    use trm_sudoku::recursion::{NoObserver, block_on};
    use trm_sudoku::training::{Trainer, TrainingConfig};
    use trm_sudoku::weights;

    /// A held-out medium puzzle (`tests/browser/fixtures.json`), as the browser counter test uses.
    const MEDIUM: &str = "..3.2.6..9..3.5..1..18.64....81.29..7.......8..67.82....26.95..8..2.3..9..5.1.3..";

    /// Counts launches, and by kernel name when `TRM_BENCH_VERBOSE` is set.
    #[derive(Default)]
    struct Count {
        launches: AtomicUsize,
        by_name: Option<Mutex<BTreeMap<&'static str, usize>>>,
    }

    impl LaunchObserver for Count {
        fn launched(&self, kernel: &'static str) {
            self.launches.fetch_add(1, Ordering::Relaxed);
            if let Some(names) = &self.by_name
                && let Ok(mut names) = names.lock()
            {
                *names.entry(kernel).or_default() += 1;
            }
        }
    }

    /// Kernel launches while `work` runs, and the distinct kernels among them.
    fn count<T>(what: &str, work: impl FnOnce() -> T) -> (T, usize, HashSet<burn::cubecl::hash::StableHash>) {
        let verbose = std::env::var_os("TRM_BENCH_VERBOSE").is_some();
        let counter = Arc::new(Count { by_name: verbose.then(Default::default), ..Default::default() });
        let kernels = LaunchedKernels::new();
        let observation = LaunchObservation::new(counter.clone());
        let out = work();
        drop(observation);
        if let Some(Ok(names)) = counter.by_name.as_ref().map(|n| n.lock()) {
            println!("  {what}:");
            for (name, n) in names.iter() {
                println!(
                    "    {n:>5} × {}",
                    burn::cubecl::config::type_name_format(name, burn::cubecl::config::TypeNameFormatLevel::Balanced)
                );
            }
        }
        (out, counter.launches.load(Ordering::Relaxed), kernels.finish().into_iter().collect())
    }

    fn median_ms(budget: Duration, mut f: impl FnMut()) -> f64 {
        f();
        let start = Instant::now();
        let mut times = Vec::new();
        while times.len() < 3 || (start.elapsed() < budget && times.len() < 200) {
            let run = Instant::now();
            f();
            times.push(run.elapsed().as_secs_f64() * 1000.0);
        }
        times.sort_by(f64::total_cmp);
        times[times.len() / 2]
    }

    /// A solve as the page's worker runs it on a GPU (trace recorder, early exit, finished
    /// attempts kept in the batch), for at most `steps` steps.
    fn solve(model: &Trm, attempts: usize, steps: usize) -> Session {
        let puzzle = Grid::parse(MEDIUM).expect("fixture puzzle");
        let config = InferenceConfig::new()
            .with_max_steps(steps)
            .with_attempts(attempts)
            .with_noise(DEFAULT_NOISE)
            .with_drop_finished_rows(false);
        let mut session = Session::new(model.clone(), puzzle, config);
        for _ in 0..steps {
            if session.finished() {
                break;
            }
            block_on(session.step()).expect("solve step");
        }
        session
    }

    fn chained_calls_ms(model: &Trm, batch: usize, device: &Device, budget: Duration) -> f64 {
        const CALLS: usize = 10;
        let shape = [batch, model.prefix_len() + 81, model.hidden()];
        let random =
            || to_position_major(Tensor::<3>::random(shape, burn::tensor::Distribution::Normal(0.0, 1.0), device));
        let (z, injection) = (random(), random());
        median_ms(budget, || {
            let mut out = z.clone();
            for _ in 0..CALLS {
                out = model.net_position_major(out, injection.clone());
            }
            let _ = out.slice([0..1, 0..1]).into_data();
        }) / CALLS as f64
    }

    /// Optimizer steps of the full training loop (refill, step, metrics readback) on the
    /// browser preset, as puzzle-steps per second. Easy puzzles, so that generation keeps up.
    fn training_puzzle_steps_per_s(batch: usize, device: &Device, budget: Duration) -> f64 {
        let config = trm_sudoku::model::TrmConfig::browser();
        let training = TrainingConfig::new(config, DataSource::tier(Tier::Easy))
            .with_batch_size(batch)
            .with_steps(usize::MAX)
            .with_warmup_steps(1);
        let mut trainer = Trainer::new(training, Vec::new(), device).expect("trainer");
        let ms = median_ms(budget, || {
            trainer.train_step_blocking().expect("training step");
        });
        batch as f64 * 1000.0 / ms
    }

    fn run_case(name: &str) -> bool {
        std::env::var("TRM_BENCH_CASES").map(|c| c.split(',').any(|c| c.trim() == name)).unwrap_or(true)
    }

    pub fn main() {
        let args: Vec<String> = std::env::args().collect();
        let json_path = args.iter().position(|a| a == "--json").and_then(|i| args.get(i + 1)).cloned();
        let seconds: f64 = std::env::var("TRM_BENCH_SECONDS").ok().and_then(|s| s.parse().ok()).unwrap_or(3.0);
        let budget = Duration::from_secs_f64(seconds);
        let fused = cfg!(feature = "wgpu");
        let device = Device::wgpu(burn::tensor::DeviceKind::DefaultDevice);
        let model = weights::load(std::path::Path::new("assets/model.bpk"), &device).expect("shipped weights").1;
        let calls_per_step = model.calls_per_step();
        println!("wgpu, fusion {}", if fused { "on" } else { "off" });
        let mut json = serde_json::json!({ "fusion": fused });

        if run_case("counts") {
            // As the worker does: a warm-up step at K = 1, then one at every other offered K;
            // each K's first step shows what it compiles, a second pass that nothing is left.
            let (_, warm_launches, mut seen) = count("warm-up step", || solve(&model, 1, 1));
            println!("warm-up step (K = 1): {warm_launches} launches, {} kernels", seen.len());
            let mut rows = Vec::new();
            for pass in ["first", "second"] {
                for &k in &ATTEMPT_CHOICES {
                    let steps = 3;
                    let (session, launches, kernels) = count(&format!("K = {k}"), || solve(&model, k, steps));
                    let new = kernels.difference(&seen).count();
                    seen.extend(kernels.iter().copied());
                    let calls = session.steps_run() * calls_per_step;
                    let per_call = launches as f64 / calls as f64;
                    let per_step = launches as f64 / session.steps_run() as f64;
                    println!(
                        "{pass} pass, K = {k:>2}: {launches} launches over {} steps ({calls} batched net calls): \
                         {per_call:.1} per net call, {per_step:.0} per step; {} kernels, {new} not launched before",
                        session.steps_run(),
                        kernels.len(),
                    );
                    rows.push(serde_json::json!({
                        "pass": pass, "k": k, "launches_per_call": per_call, "launches_per_step": per_step,
                        "kernels": kernels.len(), "new_kernels": new,
                    }));
                }
            }
            json["counts"] = serde_json::Value::Array(rows);
            // Steady state: steps after the first of a solve that never ends early (a puzzle with
            // two 5s in a row is never verified), with the trace recorder and without it.
            let mut steady = Vec::new();
            for &k in &[1, 16] {
                let puzzle = Grid::parse(&format!("55{}", &MEDIUM[2..])).expect("contradictory puzzle");
                let config = InferenceConfig::new()
                    .with_early_exit(false)
                    .with_attempts(k)
                    .with_noise(DEFAULT_NOISE)
                    .with_drop_finished_rows(false);
                let mut session = Session::new(model.clone(), puzzle, config);
                block_on(session.step()).expect("step");
                let (_, traced, _) = count(&format!("steady traced step, K = {k}"), || {
                    block_on(session.step()).expect("step");
                });
                let x = model.embed(trm_sudoku::inference::tokens(&vec![puzzle; k], &device));
                let (y, z) = model.initial_state(k);
                let state = model.recurse(&x, trm_sudoku::recursion::RecursionState { y, z }, &mut NoObserver);
                let _ = state.z.clone().slice([0..1, 0..1, 0..1]).into_data();
                let (_, bare, _) = count(&format!("steady bare step, K = {k}"), || {
                    let state = model.recurse(&x, state, &mut NoObserver);
                    let _ = state.z.slice([0..1, 0..1, 0..1]).into_data();
                });
                println!(
                    "steady state, K = {k:>2}: {traced} launches per traced step ({:.1} per net call); \
                     the recursion alone {bare}, so the trace costs {}",
                    traced as f64 / calls_per_step as f64,
                    traced as i64 - bare as i64 + 1
                );
                steady.push(serde_json::json!({ "k": k, "traced_step": traced, "bare_step": bare }));
            }
            json["steady"] = serde_json::Value::Array(steady);
            for batch in [1, 16] {
                let (y, z) = model.initial_state(batch);
                let (y, z) = (to_position_major(y), to_position_major(z));
                let _ = (y.clone() + z.clone()).into_data();
                let (_, launches, _) = count(&format!("one net call, batch {batch}"), || {
                    let out = model.net_position_major(z, y);
                    let _ = out.slice([0..1, 0..1]).into_data();
                });
                println!("one bare net call, batch {batch}: {launches} launches (with one readback)");
            }
        }

        if run_case("calls") {
            let mut rows = Vec::new();
            for batch in [1, 4, 16, 64] {
                let ms = chained_calls_ms(&model, batch, &device, budget);
                println!("net call, batch {batch:>2}: {ms:.3} ms");
                rows.push(serde_json::json!({ "batch": batch, "ms": ms }));
            }
            json["net_call"] = serde_json::Value::Array(rows);
        }

        if run_case("train") {
            let batch = 64;
            let rate = training_puzzle_steps_per_s(batch, &device, budget);
            println!("training, batch {batch}: {rate:.0} puzzle-steps/s");
            json["train_puzzle_steps_per_s"] = serde_json::json!(rate);
        }

        if let Some(path) = json_path
            && let Err(e) = std::fs::write(&path, serde_json::to_string_pretty(&json).unwrap_or_default())
        {
            eprintln!("could not write {path}: {e}");
        }
    }
}

fn main() {
    #[cfg(feature = "wgpu-unfused")]
    gpu::main();
    #[cfg(not(feature = "wgpu-unfused"))]
    eprintln!("the GPU bench needs a wgpu build: cargo bench --bench gpu --features wgpu (or wgpu-unfused)");
}

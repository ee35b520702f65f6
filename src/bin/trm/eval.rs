//! `trm eval`: exact-solve and cell accuracy per puzzle file and generated tier, at several step
//! budgets, or with K parallel attempts per puzzle.

use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::Result;
use rand::SeedableRng;
use rand::seq::SliceRandom;
use trm_sudoku::attempts::TransformMix;
use trm_sudoku::data::Split;
use trm_sudoku::generator::Tier;
use trm_sudoku::grid::Grid;
use trm_sudoku::inference::{
    InferenceConfig, answer_batch_blocking, blank_cell_accuracy, run_attempts_blocking, score_attempts,
    solve_adaptive_blocking,
};
use trm_sudoku::model::Trm;
use trm_sudoku::puzzles::{Example, read_examples};
use trm_sudoku::task::Task as ModelTask;

use crate::common::{
    Backend, adaptive_slots, attempts_arg, device, generated_examples, load_model_and_config, noise_arg,
    positive_count, probability_arg, progress_bar, seconds_arg,
};

/// Exact-solve and cell accuracy of a model per puzzle file and generated tier. The model's
/// config says its task: a maze model reads maze files and generated maze tiers.
#[derive(clap::Args)]
pub struct Args {
    /// Weights (`.bpk` with its `.json` config beside it) or a checkpoint directory.
    #[arg(long, default_value = "assets/model.bpk")]
    pub weights: PathBuf,
    /// Puzzle files; `path@holdout` (or `@train`) keeps one side of the fixed split that
    /// training uses.
    pub files: Vec<PathBuf>,
    /// Generated tiers to evaluate, e.g. `easy,medium`.
    #[arg(long, value_delimiter = ',')]
    pub tiers: Vec<Tier>,
    /// Puzzles per file (a fixed random subset) and per tier.
    #[arg(long, default_value_t = 2000)]
    pub limit: usize,
    /// Step budgets to report (each at least 1), e.g. `16,32,64`.
    #[arg(long, value_delimiter = ',', default_value = "16", value_parser = positive_count, allow_negative_numbers = true)]
    pub budgets: Vec<usize>,
    /// Halting probability for early exit (0 to 1).
    #[arg(long, default_value_t = 0.5, value_parser = probability_arg, allow_negative_numbers = true)]
    pub threshold: f32,
    /// Rows per batch (puzzles, or puzzles × attempts; at least 1).
    #[arg(long, default_value_t = 128, value_parser = positive_count, allow_negative_numbers = true)]
    pub batch: usize,
    /// Seed of the subsets and generated puzzles.
    #[arg(long, default_value_t = 1234)]
    pub seed: u64,
    /// Compute backend.
    #[arg(long, value_enum, default_value = "cpu")]
    pub backend: Backend,
    /// Also write the table as JSON here.
    #[arg(long)]
    pub json: Option<PathBuf>,
    /// Parallel attempts per puzzle, e.g. `1,4,16,64`: reports rule-checked and head-only
    /// selection per K at the largest budget (attempts nest: the first 4 of 64 are the 4).
    /// Each 1 to 256.
    #[arg(long, value_delimiter = ',', value_parser = attempts_arg, allow_negative_numbers = true)]
    pub attempts: Vec<usize>,
    /// σ of the Gaussian noise on the initial y and z of attempts after the first (≥ 0).
    #[arg(long, default_value_t = 0.0, value_parser = noise_arg, allow_negative_numbers = true)]
    pub noise: f64,
    /// Symmetries of attempts after the first: full, digits, board or none.
    #[arg(long, default_value = "full")]
    pub transforms: TransformMix,
    /// Seed of the attempts' symmetries and noise.
    #[arg(long, default_value_t = 0)]
    pub attempt_seed: u64,
    /// The page's adaptive solve, one puzzle at a time: replacements for attempts that halt on
    /// a wrong answer, and K and steps growing until an answer satisfies every rule or the time
    /// budget is spent. Its first stage is the first `--attempts` (default 1) and the largest
    /// `--budgets`. Reports accuracy, net calls and time per puzzle.
    #[arg(long)]
    pub adaptive: bool,
    /// With `--adaptive`: seconds per puzzle.
    #[arg(long, default_value_t = 10.0, value_parser = seconds_arg, allow_negative_numbers = true)]
    pub time_budget: f64,
}

/// Runs the command.
pub fn run(args: Args) -> Result<()> {
    let device = device(args.backend)?;
    let (model_config, model) = load_model_and_config(&args.weights, &device)?;
    if let ModelTask::Maze { side } = model_config.task() {
        return crate::eval_maze::run(&model, side, &args);
    }
    let sets = eval_sets(&args.files, &args.tiers, args.limit, args.seed)?;
    if args.adaptive {
        let slots = adaptive_slots(&model, args.time_budget)?;
        let config = InferenceConfig::new()
            .with_adaptive_max_slots(slots)
            .with_max_steps(args.budgets.iter().copied().max().unwrap_or(16))
            .with_attempts(args.attempts.first().copied().unwrap_or(1))
            .with_halt_threshold(args.threshold)
            .with_noise(args.noise)
            .with_transforms(args.transforms)
            .with_seed(args.attempt_seed);
        eval_adaptive(&model, &sets, config, args.time_budget, args.json.as_deref())
    } else if args.attempts.is_empty() {
        eval(&model, &sets, &args.budgets, args.threshold, args.batch, args.json.as_deref())
    } else {
        let max_steps = args.budgets.iter().copied().max().unwrap_or(16);
        let config = InferenceConfig::new()
            .with_max_steps(max_steps)
            .with_halt_threshold(args.threshold)
            .with_noise(args.noise)
            .with_transforms(args.transforms)
            .with_seed(args.attempt_seed);
        eval_attempts(&model, &sets, &args.attempts, config, args.batch, args.json.as_deref())
    }
}

/// Per set, the adaptive solve of every puzzle: exact (the answer is the solution), how many
/// ended verified and how many ran out of time, net calls and attempts per puzzle, and the time
/// per puzzle (median, 90th percentile, most).
fn eval_adaptive(
    model: &Trm,
    sets: &[(String, Vec<Example>)],
    config: InferenceConfig,
    time_budget: f64,
    json: Option<&Path>,
) -> Result<()> {
    println!(
        "| set | puzzles | exact, verified | out of time | mean net calls | mean attempts | p50 ms | p90 ms | max ms |"
    );
    println!("|---|---|---|---|---|---|---|---|---|");
    let budget = std::time::Duration::from_secs_f64(time_budget);
    let mut rows = Vec::new();
    for (name, examples) in sets {
        let bar = progress_bar(examples.len() as u64, "{bar:30} {pos}/{len} {msg}");
        bar.set_message(name.clone());
        let (mut exact, mut out_of_time, mut calls, mut attempts) = (0usize, 0usize, 0usize, 0usize);
        let mut times = Vec::with_capacity(examples.len());
        let mut per_puzzle = Vec::with_capacity(examples.len());
        for example in examples {
            let start = Instant::now();
            let (trace, timed_out) = solve_adaptive_blocking(model, &example.puzzle, config.clone(), budget)?;
            let ms = start.elapsed().as_secs_f64() * 1e3;
            let net_calls = trace.outcome.map(|o| o.net_calls).unwrap_or(0);
            let right = trace.final_answer() == Some(example.solution);
            exact += usize::from(right);
            out_of_time += usize::from(timed_out);
            calls += net_calls;
            attempts += trace.attempts.len();
            times.push(ms);
            per_puzzle.push(serde_json::json!({
                "exact": right, "net_calls": net_calls, "attempts": trace.attempts.len(), "ms": ms,
            }));
            bar.inc(1);
        }
        bar.finish_and_clear();
        let n = examples.len().max(1) as f64;
        times.sort_by(f64::total_cmp);
        let quantile = |q: f64| times.get(((times.len() as f64 * q).ceil() as usize).saturating_sub(1)).copied();
        let (p50, p90, max) = (quantile(0.5), quantile(0.9), times.last().copied());
        let ms = |v: Option<f64>| v.map(|v| format!("{v:.0}")).unwrap_or_else(|| "–".into());
        println!(
            "| {name} | {} | {:.1}% | {out_of_time} | {:.0} | {:.1} | {} | {} | {} |",
            examples.len(),
            100.0 * exact as f64 / n,
            calls as f64 / n,
            attempts as f64 / n,
            ms(p50),
            ms(p90),
            ms(max)
        );
        rows.push(serde_json::json!({
            "set": name,
            "puzzles": examples.len(),
            "exact_verified": exact as f64 / n,
            "out_of_time": out_of_time,
            "mean_net_calls": calls as f64 / n,
            "mean_attempts": attempts as f64 / n,
            "p50_ms": p50,
            "p90_ms": p90,
            "max_ms": max,
            "time_budget_s": time_budget,
            "first_attempts": config.attempts,
            "first_steps": config.max_steps,
            "noise": config.noise,
            "per_puzzle": per_puzzle,
        }));
    }
    if let Some(path) = json {
        std::fs::write(path, serde_json::to_string_pretty(&rows)?)?;
    }
    Ok(())
}

/// The evaluation sets: a fixed random subset of each file (`path@holdout` keeps one side of the
/// training split) and generated puzzles per tier.
pub fn eval_sets(files: &[PathBuf], tiers: &[Tier], limit: usize, seed: u64) -> Result<Vec<(String, Vec<Example>)>> {
    let mut sets: Vec<(String, Vec<Example>)> = Vec::new();
    for spec in files {
        let spec = spec.to_string_lossy();
        let (path, split) = Split::parse_spec(&spec)?;
        let mut examples = read_examples(path)?;
        examples.retain(|e| split.keeps(&e.puzzle));
        if examples.len() > limit {
            let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(seed);
            examples.shuffle(&mut rng);
            examples.truncate(limit);
        }
        // `royle_17clue.txt.gz` → `royle_17clue`.
        let file = Path::new(path).file_name().map(|s| s.to_string_lossy().into_owned()).unwrap_or_default();
        let stem = file.trim_end_matches(".gz").trim_end_matches(".txt").to_string();
        let name = match split {
            Split::All => stem,
            Split::Train => format!("{stem} (training part)"),
            Split::Holdout => format!("{stem} (held out)"),
        };
        sets.push((name, examples));
    }
    for &tier in tiers {
        let examples = generated_examples(tier, limit, seed ^ ((tier as u64 + 1) * 0x1000), |_| {});
        sets.push((format!("generated {tier}"), examples));
    }
    Ok(sets)
}

/// Per set and K: exact with rule-checked selection, exact with the halting head's pick alone,
/// mean steps to the first verified attempt, and net calls per puzzle.
fn eval_attempts(
    model: &Trm,
    sets: &[(String, Vec<Example>)],
    ks: &[usize],
    config: InferenceConfig,
    batch: usize,
    json: Option<&Path>,
) -> Result<()> {
    let k_max = ks.iter().copied().max().unwrap_or(1).max(1);
    let calls_per_step = model.calls_per_step();
    println!(
        "| set | puzzles | K | exact, rule-checked | exact, halting head only | mean steps to verified | net calls per puzzle |"
    );
    println!("|---|---|---|---|---|---|---|");
    let mut rows = Vec::new();
    for (name, examples) in sets {
        let start = Instant::now();
        // Per K: verified-exact, head-exact, steps to verified (sum, count), net calls, cells.
        let mut tallies = vec![(0usize, 0usize, 0usize, 0usize, 0usize, 0.0f64); ks.len()];
        let bar = progress_bar(examples.len() as u64, "{bar:30} {pos}/{len} {msg}");
        bar.set_message(name.clone());
        // Rows per call stay within `batch`: puzzles × K when that fits, else K in slices.
        let per_chunk = (batch / k_max).max(1);
        for chunk in examples.chunks(per_chunk) {
            let puzzles: Vec<Grid> = chunk.iter().map(|e| e.puzzle).collect();
            let runs = run_attempts_blocking(model, &puzzles, &config.clone().with_attempts(k_max), batch)?;
            for (e, runs) in chunk.iter().zip(&runs) {
                for (i, &k) in ks.iter().enumerate() {
                    let score = score_attempts(&e.puzzle, runs, k, calls_per_step);
                    let t = &mut tallies[i];
                    t.0 += usize::from(score.verified_answer == e.solution);
                    t.1 += usize::from(score.head_answer == e.solution);
                    if let Some(steps) = score.steps_to_verified {
                        t.2 += steps;
                        t.3 += 1;
                    }
                    t.4 += score.net_calls;
                    t.5 += blank_cell_accuracy(&e.puzzle, &score.verified_answer, &e.solution);
                }
            }
            bar.inc(chunk.len() as u64);
        }
        bar.finish_and_clear();
        let n = examples.len().max(1) as f64;
        for (&k, t) in ks.iter().zip(&tallies) {
            let mean_steps = (t.3 > 0).then(|| t.2 as f64 / t.3 as f64);
            println!(
                "| {name} | {} | {k} | {:.1}% | {:.1}% | {} | {:.0} |",
                examples.len(),
                100.0 * t.0 as f64 / n,
                100.0 * t.1 as f64 / n,
                mean_steps.map(|m| format!("{m:.2}")).unwrap_or_else(|| "–".into()),
                t.4 as f64 / n
            );
            rows.push(serde_json::json!({
                "set": name,
                "puzzles": examples.len(),
                "attempts": k,
                "early_exit_exact": t.1 as f64 / n,
                "budgets": [config.max_steps],
                "exact_at_budget": [t.0 as f64 / n],
                "blank_cell_accuracy": t.5 / n,
                "exact_verified": t.0 as f64 / n,
                "exact_head_only": t.1 as f64 / n,
                "mean_steps_to_verified": mean_steps,
                "net_calls_per_puzzle": t.4 as f64 / n,
                "noise": config.noise,
                "transforms": config.transforms,
                "seconds": start.elapsed().as_secs_f64(),
            }));
        }
    }
    if let Some(path) = json {
        std::fs::write(path, serde_json::to_string_pretty(&rows)?)?;
    }
    Ok(())
}

fn eval(
    model: &Trm,
    sets: &[(String, Vec<Example>)],
    budgets: &[usize],
    threshold: f32,
    batch: usize,
    json: Option<&Path>,
) -> Result<()> {
    let mut header = "| set | puzzles | early exit: exact | mean steps |".to_string();
    for b in budgets {
        header.push_str(&format!(" exact @{b} |"));
    }
    header.push_str(&format!(" cells @{} |", budgets.iter().max().copied().unwrap_or(16)));
    println!("{header}");
    println!("|{}", "---|".repeat(5 + budgets.len()));
    let mut rows = Vec::new();
    for (name, examples) in sets {
        let start = Instant::now();
        let mut exact_early = 0usize;
        let mut steps_early = 0usize;
        let mut exact_at = vec![0usize; budgets.len()];
        let mut cells = 0.0f64;
        let bar = progress_bar(examples.len() as u64, "{bar:30} {pos}/{len} {msg}");
        bar.set_message(name.clone());
        for chunk in examples.chunks(batch.max(1)) {
            let puzzles: Vec<Grid> = chunk.iter().map(|e| e.puzzle).collect();
            let answers = answer_batch_blocking(model, &puzzles, budgets, threshold)?;
            for (a, e) in answers.iter().zip(chunk) {
                exact_early += usize::from(a.early_exit == e.solution);
                steps_early += a.early_exit_steps;
                for (i, g) in a.at_budget.iter().enumerate() {
                    exact_at[i] += usize::from(*g == e.solution);
                }
                if let Some((largest, _)) = budgets.iter().enumerate().max_by_key(|(_, b)| **b) {
                    cells += blank_cell_accuracy(&e.puzzle, &a.at_budget[largest], &e.solution);
                }
            }
            bar.inc(chunk.len() as u64);
        }
        bar.finish_and_clear();
        let n = examples.len().max(1) as f64;
        let pct = |k: usize| 100.0 * k as f64 / n;
        let mut row =
            format!("| {name} | {} | {:.1}% | {:.2} |", examples.len(), pct(exact_early), steps_early as f64 / n);
        for &k in &exact_at {
            row.push_str(&format!(" {:.1}% |", pct(k)));
        }
        row.push_str(&format!(" {:.1}% |", 100.0 * cells / n));
        println!("{row}");
        rows.push(serde_json::json!({
            "set": name,
            "puzzles": examples.len(),
            "early_exit_exact": exact_early as f64 / n,
            "early_exit_mean_steps": steps_early as f64 / n,
            "budgets": budgets,
            "exact_at_budget": exact_at.iter().map(|&k| k as f64 / n).collect::<Vec<_>>(),
            "blank_cell_accuracy": cells / n,
            "seconds": start.elapsed().as_secs_f64(),
        }));
    }
    if let Some(path) = json {
        std::fs::write(path, serde_json::to_string_pretty(&rows)?)?;
    }
    Ok(())
}

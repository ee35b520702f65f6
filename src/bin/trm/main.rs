//! `trm`: the native command-line tool.
//!
//! - `generate`: seeded puzzles of a tier, written as `PUZZLE,SOLUTION` lines;
//! - `check`: validate and solve puzzle files with the exact solver;
//! - `train`: deep-supervision training with checkpoints that resume exactly;
//! - `eval`: exact-solve and cell accuracy per file or tier, at several step budgets;
//! - `solve`: one puzzle, step by step, with the changed cells coloured.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{Context, Result, anyhow, bail};
use burn::prelude::*;
use clap::{Parser, Subcommand, ValueEnum};
use indicatif::{ProgressBar, ProgressStyle};
use rand::seq::SliceRandom;
use rand::SeedableRng;

use trm_sudoku::data::DataSource;
use trm_sudoku::generator::{Generator, Tier};
use trm_sudoku::grid::{CELLS, Grid};
use trm_sudoku::inference::{InferenceConfig, answer_batch_blocking, blank_cell_accuracy, solve_traced_blocking};
use trm_sudoku::model::{Trm, TrmConfig};
use trm_sudoku::puzzles::{Example, format_examples, read_examples};
use trm_sudoku::solver::solve_unique;
use trm_sudoku::trace::CallKind;
use trm_sudoku::training::{StepMetrics, Trainer, TrainingConfig};
use trm_sudoku::{checkpoint, weights};

mod plot;

#[derive(Parser)]
#[command(name = "trm", version, about = "Sudoku engine and Tiny Recursive Model: generate, check, train, eval, solve")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Clone, Copy, ValueEnum)]
enum Backend {
    /// burn's pure-Rust CPU backend (flex), multi-threaded.
    Cpu,
    /// wgpu: Vulkan, Metal or DX12 (build with `--features wgpu`).
    Wgpu,
    /// CUDA (build with `--features cuda`).
    Cuda,
}

#[derive(Subcommand)]
enum Command {
    /// Generate unique-solution puzzles of a tier.
    Generate {
        /// easy, medium, hard or extreme.
        #[arg(long, default_value = "easy")]
        tier: Tier,
        /// How many.
        #[arg(long, default_value_t = 100)]
        count: usize,
        /// Seed: the same seed gives the same puzzles.
        #[arg(long, default_value_t = 0)]
        seed: u64,
        /// Output file (stdout if absent).
        #[arg(long)]
        out: Option<PathBuf>,
    },
    /// Validate and solve puzzle files; report accuracy and speed.
    Check {
        /// Files of `PUZZLE` or `PUZZLE,SOLUTION` lines.
        #[arg(required = true)]
        files: Vec<PathBuf>,
    },
    /// Train a model (deep supervision, EMA, curriculum), resuming from `--out` if it holds a
    /// checkpoint; on resume only the schedule flags (steps, lr, warmup, min-lr-ratio) take effect.
    Train {
        /// A TrainingConfig JSON file; flags below override it.
        #[arg(long)]
        config: Option<PathBuf>,
        /// Model preset when no config file is given: paper_mlp, paper_att, browser, tiny.
        #[arg(long, default_value = "browser")]
        preset: String,
        /// Data: `curriculum`, `tier:<name>`, or `files:<path>[,<path>...]`.
        #[arg(long)]
        data: Option<String>,
        /// Total optimizer steps.
        #[arg(long)]
        steps: Option<usize>,
        /// Carried batch size.
        #[arg(long)]
        batch_size: Option<usize>,
        /// Peak learning rate.
        #[arg(long)]
        lr: Option<f64>,
        /// Warm-up steps.
        #[arg(long)]
        warmup: Option<usize>,
        /// Weight decay.
        #[arg(long)]
        weight_decay: Option<f64>,
        /// Final learning rate as a fraction of the peak, reached by cosine decay (1: constant).
        #[arg(long)]
        min_lr_ratio: Option<f64>,
        /// Seed (weights, data, exploration).
        #[arg(long)]
        seed: Option<u64>,
        /// Compute backend.
        #[arg(long, value_enum, default_value = "cpu")]
        backend: Backend,
        /// Run directory: checkpoint, metrics.jsonl.
        #[arg(long)]
        out: PathBuf,
        /// Save a checkpoint every N steps.
        #[arg(long, default_value_t = 200)]
        checkpoint_every: usize,
        /// Evaluate the EMA weights every N steps (0: never).
        #[arg(long, default_value_t = 500)]
        eval_every: usize,
        /// Puzzles per tier in each evaluation.
        #[arg(long, default_value_t = 128)]
        eval_size: usize,
        /// Stop after this many minutes (a checkpoint is written first).
        #[arg(long)]
        minutes: Option<f64>,
    },
    /// Exact-solve and cell accuracy of a model per puzzle file and generated tier.
    Eval {
        /// Weights (`.bpk` with its `.json` config beside it) or a checkpoint directory.
        #[arg(long, default_value = "assets/model.bpk")]
        weights: PathBuf,
        /// Puzzle files.
        files: Vec<PathBuf>,
        /// Generated tiers to evaluate, e.g. `easy,medium`.
        #[arg(long, value_delimiter = ',')]
        tiers: Vec<Tier>,
        /// Puzzles per file (a fixed random subset) and per tier.
        #[arg(long, default_value_t = 2000)]
        limit: usize,
        /// Step budgets to report, e.g. `16,32,64`.
        #[arg(long, value_delimiter = ',', default_value = "16")]
        budgets: Vec<usize>,
        /// Halting probability for early exit.
        #[arg(long, default_value_t = 0.5)]
        threshold: f32,
        /// Puzzles per batch.
        #[arg(long, default_value_t = 128)]
        batch: usize,
        /// Seed of the subsets and generated puzzles.
        #[arg(long, default_value_t = 1234)]
        seed: u64,
        /// Compute backend.
        #[arg(long, value_enum, default_value = "cpu")]
        backend: Backend,
        /// Also write the table as JSON here.
        #[arg(long)]
        json: Option<PathBuf>,
    },
    /// Write model weights for the web page: `<out>.bpk`, `<out>.json` and `manifest.json`
    /// beside them, from a training run (its EMA weights) or freshly initialised from a preset.
    Export {
        /// A run directory (checkpoint) to take the EMA weights from.
        #[arg(long, conflicts_with = "preset")]
        from: Option<PathBuf>,
        /// Or: initialise this preset (untrained; for development only).
        #[arg(long)]
        preset: Option<String>,
        /// Seed for `--preset`.
        #[arg(long, default_value_t = 0)]
        seed: u64,
        /// Output weights path.
        #[arg(long, default_value = "assets/model.bpk")]
        out: PathBuf,
        /// Store f32 instead of f16.
        #[arg(long)]
        full_precision: bool,
    },
    /// Pick the page's sample puzzles (assets/puzzles.json): per tier, generated puzzles (or,
    /// for extreme, the current extreme list), those the model solves first, so that the first
    /// sample a visitor sees is one the shipped model gets right.
    Presets {
        /// Weights used to rank the candidates.
        #[arg(long, default_value = "assets/model.bpk")]
        weights: PathBuf,
        /// The current file: its extreme puzzles are kept (reordered).
        #[arg(long, default_value = "assets/puzzles.json")]
        out: PathBuf,
        /// Candidates generated per tier.
        #[arg(long, default_value_t = 48)]
        candidates: usize,
        /// Puzzles kept per tier.
        #[arg(long, default_value_t = 8)]
        keep: usize,
        /// Generator seed.
        #[arg(long, default_value_t = 2026)]
        seed: u64,
        /// Also refresh the browser tests' fixtures here: the first easy and medium samples
        /// with their solutions (other entries of that file are kept).
        #[arg(long)]
        fixtures: Option<PathBuf>,
    },
    /// Draw loss and accuracy over training steps from a run's metrics.jsonl as a PNG.
    Plot {
        /// metrics.jsonl of a run.
        #[arg(long)]
        metrics: PathBuf,
        /// Output PNG.
        #[arg(long, default_value = "assets/training.png")]
        out: PathBuf,
        /// A TrueType font for the labels.
        #[arg(long, default_value = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf")]
        font: PathBuf,
    },
    /// Solve one puzzle and print every supervision step.
    Solve {
        /// The puzzle: 81 characters (`.`, `0` or `_` for blanks).
        puzzle: String,
        /// Weights (`.bpk` with its `.json` beside it).
        #[arg(long, default_value = "assets/model.bpk")]
        weights: PathBuf,
        /// Most supervision steps.
        #[arg(long, default_value_t = 16)]
        max_steps: usize,
        /// Run every step even after the halting head says stop.
        #[arg(long)]
        no_early_exit: bool,
        /// Compute backend.
        #[arg(long, value_enum, default_value = "cpu")]
        backend: Backend,
    },
}

fn main() {
    if let Err(err) = run(Cli::parse()) {
        eprintln!("error: {err:#}");
        std::process::exit(1);
    }
}

fn run(cli: Cli) -> Result<()> {
    match cli.command {
        Command::Generate { tier, count, seed, out } => generate(tier, count, seed, out.as_deref()),
        Command::Check { files } => check(&files),
        Command::Train {
            config,
            preset,
            data,
            steps,
            batch_size,
            lr,
            warmup,
            weight_decay,
            min_lr_ratio,
            seed,
            backend,
            out,
            checkpoint_every,
            eval_every,
            eval_size,
            minutes,
        } => {
            let mut training = match &config {
                Some(path) => {
                    let text = std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
                    serde_json::from_str::<TrainingConfig>(&text).with_context(|| format!("parsing {}", path.display()))?
                }
                None => {
                    let model = TrmConfig::preset(&preset)
                        .ok_or_else(|| anyhow!("unknown preset {preset:?}; try {}", TrmConfig::PRESETS.join(", ")))?;
                    TrainingConfig::new(model, DataSource::default_curriculum())
                }
            };
            if let Some(data) = data {
                training.data = parse_data(&data)?;
            }
            if let Some(v) = batch_size {
                training.batch_size = v;
            }
            if let Some(v) = weight_decay {
                training.weight_decay = v;
            }
            if let Some(v) = seed {
                training.seed = v;
                training.model.seed = v;
            }
            let schedule = ScheduleOverrides { steps, learning_rate: lr, warmup_steps: warmup, min_lr_ratio };
            schedule.apply(&mut training);
            let options = TrainOptions { checkpoint_every, eval_every, eval_size, minutes, schedule };
            train(training, backend, &out, options)
        }
        Command::Eval { weights, files, tiers, limit, budgets, threshold, batch, seed, backend, json } => {
            let device = device(backend)?;
            let model = load_model(&weights, &device)?;
            eval(&model, &files, &tiers, limit, &budgets, threshold, batch, seed, json.as_deref())
        }
        Command::Export { from, preset, seed, out, full_precision } => export(from.as_deref(), preset.as_deref(), seed, &out, !full_precision),
        Command::Plot { metrics, out, font } => plot::plot(&metrics, &out, &font),
        Command::Presets { weights, out, candidates, keep, seed, fixtures } => {
            let model = load_model(&weights, &Device::flex())?;
            presets(&model, &out, candidates, keep, seed)?;
            match fixtures {
                Some(path) => refresh_fixtures(&out, &path),
                None => Ok(()),
            }
        }
        Command::Solve { puzzle, weights, max_steps, no_early_exit, backend } => {
            let device = device(backend)?;
            let model = load_model(&weights, &device)?;
            solve(&model, &puzzle, max_steps, !no_early_exit)
        }
    }
}

fn device(backend: Backend) -> Result<Device> {
    match backend {
        Backend::Cpu => Ok(Device::flex()),
        Backend::Wgpu => {
            #[cfg(feature = "wgpu")]
            {
                Ok(Device::wgpu(burn::tensor::DeviceKind::DefaultDevice))
            }
            #[cfg(not(feature = "wgpu"))]
            {
                bail!("this build has no wgpu backend; rebuild with `--features wgpu`")
            }
        }
        Backend::Cuda => {
            #[cfg(feature = "cuda")]
            {
                Ok(Device::cuda(0))
            }
            #[cfg(not(feature = "cuda"))]
            {
                bail!("this build has no CUDA backend; rebuild with `--features cuda`")
            }
        }
    }
}

fn load_model(path: &Path, device: &Device) -> Result<Trm> {
    if path.is_dir() {
        return checkpoint::load_ema(path, device).map_err(|e| anyhow!(e));
    }
    let (_, model) = weights::load(path, device).map_err(|e| anyhow!("{}: {e}", path.display()))?;
    Ok(model)
}

fn export(from: Option<&Path>, preset: Option<&str>, seed: u64, out: &Path, half: bool) -> Result<()> {
    let device = Device::flex();
    let (config, model) = match (from, preset) {
        (Some(dir), _) => weights::load(&dir.join("ema.bpk"), &device).map_err(|e| anyhow!("{}: {e}", dir.display()))?,
        (None, Some(name)) => {
            let config = TrmConfig::preset(name)
                .ok_or_else(|| anyhow!("unknown preset {name:?}; try {}", TrmConfig::PRESETS.join(", ")))?
                .with_seed(seed);
            let model = config.init(&device);
            (config, model)
        }
        (None, None) => bail!("give --from <run dir> or --preset <name>"),
    };
    weights::save(&model, &config, out, half).map_err(|e| anyhow!(e))?;
    let bytes = std::fs::read(out)?;
    let manifest = serde_json::json!({
        "weights": out.file_name().map(|n| n.to_string_lossy().into_owned()),
        "config": out.with_extension("json").file_name().map(|n| n.to_string_lossy().into_owned()),
        "version": format!("{:016x}", fnv1a(&bytes)),
        "bytes": bytes.len(),
        "parameters": model.num_params(),
        "precision": if half { "f16" } else { "f32" },
    });
    let manifest_path = out.with_file_name("manifest.json");
    std::fs::write(&manifest_path, serde_json::to_string_pretty(&manifest)? + "\n")?;
    eprintln!("wrote {} ({} bytes, {} parameters) and {}", out.display(), bytes.len(), model.num_params(), manifest_path.display());
    Ok(())
}

/// Most blanks of the easy samples, in turn.
const EASY_LADDER: [usize; 5] = [30, 36, 42, 48, CELLS];

fn presets(model: &Trm, out: &Path, candidates: usize, keep: usize, seed: u64) -> Result<()> {
    let current: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(out)?)?;
    let mut file = serde_json::Map::new();
    let mut summary = Vec::new();
    for tier in Tier::ALL {
        let examples: Vec<Example> = if tier == Tier::Extreme {
            current[tier.to_string()]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|v| Grid::parse(v.as_str()?).ok())
                .filter_map(|puzzle| Some(Example { puzzle, solution: trm_sudoku::solve_unique(&puzzle).ok()?.0 }))
                .collect()
        } else {
            let mut g = Generator::new(seed ^ (tier as u64 + 1) * 0x1000);
            // Easy samples form a ladder from few blanks to a full puzzle, so the page has
            // samples at the edge of what the model can do.
            let blanks = |i: usize| if tier == Tier::Easy { EASY_LADDER[i % EASY_LADDER.len()] } else { CELLS };
            (0..candidates)
                .map(|i| g.generate_with_blanks(tier, blanks(i)))
                .map(|p| Example { puzzle: p.puzzle, solution: p.solution })
                .collect()
        };
        let puzzles: Vec<Grid> = examples.iter().map(|e| e.puzzle).collect();
        let answers = answer_batch_blocking(model, &puzzles, &[16], 0.5).map_err(|e| anyhow!(e))?;
        let solved: Vec<bool> = answers.iter().zip(&examples).map(|(a, e)| a.early_exit == e.solution).collect();
        let mut order: Vec<usize> = (0..examples.len()).collect();
        order.sort_by_key(|&i| !solved[i]); // stable: solved first, then generation order
        order.truncate(keep);
        let kept: Vec<String> = order.iter().map(|&i| examples[i].puzzle.to_line()).collect();
        let kept_solved = order.iter().filter(|&&i| solved[i]).count();
        summary.push(format!("{tier}: model solves {}/{} candidates, {kept_solved}/{} kept", solved.iter().filter(|s| **s).count(), examples.len(), kept.len()));
        file.insert(tier.to_string(), serde_json::json!(kept));
    }
    file.insert(
        "note".into(),
        serde_json::json!(format!(
            "written by `trm presets --seed {seed} --candidates {candidates}`: generated puzzles per tier (easy: at most 30/36/42/48/81 blanks in turn; extreme: public hard puzzles), those the shipped model solves within 16 steps first. {}",
            summary.join("; ")
        )),
    );
    std::fs::write(out, serde_json::to_string_pretty(&file)? + "\n")?;
    for line in &summary {
        eprintln!("{line}");
    }
    Ok(())
}

fn refresh_fixtures(presets: &Path, fixtures: &Path) -> Result<()> {
    let presets: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(presets)?)?;
    let mut file: serde_json::Map<String, serde_json::Value> = serde_json::from_str(&std::fs::read_to_string(fixtures)?)?;
    for tier in ["easy", "medium"] {
        let mut entries = Vec::new();
        for line in presets[tier].as_array().into_iter().flatten().take(3).filter_map(|v| v.as_str()) {
            let puzzle = Grid::parse(line).map_err(|e| anyhow!(e))?;
            let (solution, _) = solve_unique(&puzzle).map_err(|e| anyhow!(e))?;
            entries.push(serde_json::json!({ "puzzle": line, "solution": solution.to_line() }));
        }
        file.insert(tier.into(), serde_json::json!(entries));
    }
    file.insert("note".into(), serde_json::json!("easy/medium = the first shipped samples (assets/puzzles.json, `trm presets --fixtures`), with their solutions; other entries are written by hand"));
    std::fs::write(fixtures, serde_json::to_string_pretty(&file)? + "\n")?;
    Ok(())
}

/// FNV-1a, 64 bit: a content version for cache keys.
fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325u64, |h, &b| (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3))
}

fn parse_data(spec: &str) -> Result<DataSource> {
    if spec == "curriculum" {
        return Ok(DataSource::default_curriculum());
    }
    if let Some(tier) = spec.strip_prefix("tier:") {
        return Ok(DataSource::tier(tier.parse::<Tier>().map_err(|e| anyhow!(e))?));
    }
    if let Some(paths) = spec.strip_prefix("files:") {
        return Ok(DataSource::Files { paths: paths.split(',').map(str::to_string).collect() });
    }
    bail!("unknown data {spec:?}: use curriculum, tier:<easy|medium|hard|extreme> or files:<path,...>")
}

fn progress_bar(len: u64, template: &str) -> ProgressBar {
    let bar = ProgressBar::new(len);
    if let Ok(style) = ProgressStyle::with_template(template) {
        bar.set_style(style.progress_chars("=> "));
    }
    bar
}

fn generate(tier: Tier, count: usize, seed: u64, out: Option<&Path>) -> Result<()> {
    let mut generator = Generator::new(seed);
    let bar = progress_bar(count as u64, "{bar:40} {pos}/{len} puzzles {per_sec} eta {eta}");
    let start = Instant::now();
    let mut examples = Vec::with_capacity(count);
    for _ in 0..count {
        let p = generator.generate(tier);
        examples.push(Example { puzzle: p.puzzle, solution: p.solution });
        bar.inc(1);
    }
    bar.finish_and_clear();
    let seconds = start.elapsed().as_secs_f64();
    let text = format_examples(&examples);
    match out {
        Some(path) => std::fs::write(path, text).with_context(|| format!("writing {}", path.display()))?,
        None => print!("{text}"),
    }
    eprintln!("{count} {tier} puzzles in {seconds:.2} s ({:.1} puzzles/s), seed {seed}", count as f64 / seconds);
    Ok(())
}

fn check(files: &[PathBuf]) -> Result<()> {
    for path in files {
        let text = std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
        let lines: Vec<&str> = text.lines().filter(|l| !l.trim().is_empty() && !l.starts_with('#')).collect();
        let bar = progress_bar(lines.len() as u64, "{bar:40} {pos}/{len} {per_sec}");
        let (mut ok, mut agree, mut with_solution, mut guesses) = (0usize, 0usize, 0usize, 0u64);
        let mut errors = Vec::new();
        let start = Instant::now();
        for (i, line) in lines.iter().enumerate() {
            bar.inc(1);
            let (puzzle, expected) = match Grid::parse_pair(line.trim()) {
                Ok(pair) => pair,
                Err(e) => {
                    errors.push(format!("line {}: {e}", i + 1));
                    continue;
                }
            };
            match solve_unique(&puzzle) {
                Ok((solution, stats)) => {
                    ok += 1;
                    guesses += stats.guesses;
                    if let Some(expected) = expected {
                        with_solution += 1;
                        if expected == solution {
                            agree += 1;
                        } else {
                            errors.push(format!("line {}: the given solution differs from the unique one", i + 1));
                        }
                    }
                }
                Err(e) => errors.push(format!("line {}: {e}", i + 1)),
            }
        }
        bar.finish_and_clear();
        let seconds = start.elapsed().as_secs_f64();
        println!(
            "{}: {} puzzles, {ok} with a unique solution, {agree}/{with_solution} given solutions confirmed, \
             mean {:.1} guesses, {:.0} puzzles/s",
            path.display(),
            lines.len(),
            guesses as f64 / ok.max(1) as f64,
            lines.len() as f64 / seconds
        );
        for e in errors.iter().take(10) {
            println!("  {e}");
        }
        if errors.len() > 10 {
            println!("  … and {} more", errors.len() - 10);
        }
    }
    Ok(())
}

struct TrainOptions {
    checkpoint_every: usize,
    eval_every: usize,
    eval_size: usize,
    minutes: Option<f64>,
    /// Schedule flags given on the command line; they also apply when resuming.
    schedule: ScheduleOverrides,
}

/// The learning-rate schedule flags. Unlike the model, data, batch and optimizer settings, which a
/// checkpoint fixes, these may change when a run is resumed (to extend it or to anneal it).
#[derive(Clone, Copy)]
struct ScheduleOverrides {
    steps: Option<usize>,
    learning_rate: Option<f64>,
    warmup_steps: Option<usize>,
    min_lr_ratio: Option<f64>,
}

impl ScheduleOverrides {
    fn apply(&self, config: &mut TrainingConfig) {
        if let Some(v) = self.steps {
            config.steps = v;
        }
        if let Some(v) = self.learning_rate {
            config.learning_rate = v;
        }
        if let Some(v) = self.warmup_steps {
            config.warmup_steps = v;
        }
        if let Some(v) = self.min_lr_ratio {
            config.min_lr_ratio = v;
        }
    }
}

fn train(config: TrainingConfig, backend: Backend, out: &Path, options: TrainOptions) -> Result<()> {
    let device = device(backend)?;
    let files = match &config.data {
        DataSource::Files { paths } => {
            let mut all = Vec::new();
            for p in paths {
                all.extend(read_examples(p).map_err(|e| anyhow!(e))?);
            }
            all
        }
        DataSource::Curriculum { .. } => Vec::new(),
    };
    let mut trainer = if checkpoint::exists(out) {
        let mut trainer = checkpoint::load(out, files, &device).map_err(|e| anyhow!(e))?;
        options.schedule.apply(&mut trainer.config);
        eprintln!(
            "resuming {} at step {} of {} (lr {:.2e} now; model, data, batch, weight decay and seed as saved)",
            out.display(),
            trainer.step_count(),
            trainer.config.steps,
            trainer.config.learning_rate_at(trainer.step_count()),
        );
        trainer
    } else {
        std::fs::create_dir_all(out)?;
        eprintln!("new run in {} ({} parameters)", out.display(), config.model.init(&device).num_params());
        Trainer::new(config, files, &device).map_err(|e| anyhow!(e))?
    };
    let eval_sets: Vec<(Tier, Vec<Example>)> = [Tier::Easy, Tier::Medium, Tier::Hard]
        .into_iter()
        .map(|tier| {
            let mut g = Generator::new(0xE7A1 + tier as u64);
            (tier, (0..options.eval_size).map(|_| {
                let p = g.generate(tier);
                Example { puzzle: p.puzzle, solution: p.solution }
            }).collect())
        })
        .collect();
    let mut metrics_log = std::fs::OpenOptions::new().create(true).append(true).open(out.join("metrics.jsonl"))?;
    let total = trainer.config.steps;
    let bar = progress_bar(total as u64, "{bar:30} {pos}/{len} {msg} eta {eta}");
    bar.set_position(trainer.step_count() as u64);
    let start = Instant::now();
    let started_at = trainer.step_count();
    let batch = trainer.config.batch_size;
    let mut window: Vec<StepMetrics> = Vec::new();
    while !trainer.done() {
        let m = trainer.train_step_blocking().map_err(|e| anyhow!(e))?;
        window.push(m);
        let elapsed = start.elapsed().as_secs_f64();
        let samples_per_s = (m.step - started_at) as f64 * batch as f64 / elapsed;
        bar.set_position(m.step as u64);
        bar.set_message(format!(
            "loss {:.3} cell {:.3} exact {:.3} stage {} {:.1} samples/s",
            m.loss, m.cell_accuracy, m.exact_accuracy, m.stage, samples_per_s
        ));
        let mut line = serde_json::to_value(m)?;
        line["elapsed_s"] = serde_json::json!(elapsed);
        line["samples_per_s"] = serde_json::json!(samples_per_s);
        let out_of_time = options.minutes.is_some_and(|mins| elapsed > mins * 60.0);
        if options.eval_every > 0 && (m.step % options.eval_every == 0 || trainer.done()) {
            let mut evals = serde_json::Map::new();
            for (tier, set) in &eval_sets {
                let (exact, cells, steps) = evaluate(trainer.ema(), set, trainer.config.model.supervision_steps)?;
                evals.insert(tier.name().into(), serde_json::json!({"exact": exact, "cells": cells, "steps": steps}));
            }
            bar.println(format!("step {}: eval {}", m.step, serde_json::Value::Object(evals.clone())));
            line["eval"] = serde_json::Value::Object(evals);
        }
        writeln!(metrics_log, "{line}")?;
        if m.step % options.checkpoint_every.max(1) == 0 || trainer.done() || out_of_time {
            checkpoint::save(&trainer, out).map_err(|e| anyhow!(e))?;
            weights::save(trainer.ema(), &trainer.config.model, &out.join("model.bpk").with_file_name("final.bpk"), true)
                .map_err(|e| anyhow!(e))?;
        }
        if out_of_time {
            bar.println(format!("time limit reached at step {}; checkpoint saved", m.step));
            break;
        }
    }
    bar.finish();
    Ok(())
}

/// Exact accuracy, blank-cell accuracy and mean early-exit steps of `model` on `set`.
fn evaluate(model: &Trm, set: &[Example], max_steps: usize) -> Result<(f64, f64, f64)> {
    let puzzles: Vec<Grid> = set.iter().map(|e| e.puzzle).collect();
    let answers = answer_batch_blocking(model, &puzzles, &[max_steps], 0.5).map_err(|e| anyhow!(e))?;
    let n = set.len().max(1) as f64;
    let exact = answers.iter().zip(set).filter(|(a, e)| a.at_budget[0] == e.solution).count() as f64 / n;
    let cells = answers
        .iter()
        .zip(set)
        .map(|(a, e)| blank_cell_accuracy(&e.puzzle, &a.at_budget[0], &e.solution))
        .sum::<f64>()
        / n;
    let steps = answers.iter().map(|a| a.early_exit_steps as f64).sum::<f64>() / n;
    Ok((exact, cells, steps))
}

#[allow(clippy::too_many_arguments)]
fn eval(
    model: &Trm,
    files: &[PathBuf],
    tiers: &[Tier],
    limit: usize,
    budgets: &[usize],
    threshold: f32,
    batch: usize,
    seed: u64,
    json: Option<&Path>,
) -> Result<()> {
    let mut sets: Vec<(String, Vec<Example>)> = Vec::new();
    for path in files {
        let mut examples = read_examples(path).map_err(|e| anyhow!(e))?;
        if examples.len() > limit {
            let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(seed);
            examples.shuffle(&mut rng);
            examples.truncate(limit);
        }
        let name = path.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_default();
        sets.push((name, examples));
    }
    for &tier in tiers {
        let mut g = Generator::new(seed ^ (tier as u64 + 1) * 0x1000);
        let examples = (0..limit)
            .map(|_| {
                let p = g.generate(tier);
                Example { puzzle: p.puzzle, solution: p.solution }
            })
            .collect();
        sets.push((format!("generated {tier}"), examples));
    }
    let mut header = format!("| set | puzzles | early exit: exact | mean steps |");
    for b in budgets {
        header.push_str(&format!(" exact @{b} |"));
    }
    header.push_str(&format!(" cells @{} |", budgets.iter().max().copied().unwrap_or(16)));
    println!("{header}");
    println!("|{}", "---|".repeat(5 + budgets.len()));
    let mut rows = Vec::new();
    for (name, examples) in &sets {
        let start = Instant::now();
        let mut exact_early = 0usize;
        let mut steps_early = 0usize;
        let mut exact_at = vec![0usize; budgets.len()];
        let mut cells = 0.0f64;
        let bar = progress_bar(examples.len() as u64, "{bar:30} {pos}/{len} {msg}");
        bar.set_message(name.clone());
        for chunk in examples.chunks(batch.max(1)) {
            let puzzles: Vec<Grid> = chunk.iter().map(|e| e.puzzle).collect();
            let answers = answer_batch_blocking(model, &puzzles, budgets, threshold).map_err(|e| anyhow!(e))?;
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
        let mut row = format!("| {name} | {} | {:.1}% | {:.2} |", examples.len(), pct(exact_early), steps_early as f64 / n);
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

fn solve(model: &Trm, puzzle: &str, max_steps: usize, early_exit: bool) -> Result<()> {
    let grid = Grid::parse(puzzle)?;
    let solution = solve_unique(&grid).map(|(s, _)| s).map_err(|e| anyhow!(e))?;
    let config = InferenceConfig::new().with_max_steps(max_steps).with_early_exit(early_exit);
    let start = Instant::now();
    let trace = solve_traced_blocking(model, &grid, config).map_err(|e| anyhow!(e))?;
    let seconds = start.elapsed().as_secs_f64();
    let mut previous = grid;
    for (i, step) in trace.steps.iter().enumerate() {
        let Some(last) = step.last() else { continue };
        let answer = last.answer(&grid);
        let z_norms: Vec<String> = step.calls.iter().map(|c| format!("{:.1}", c.z_norm)).collect();
        let updates = step.calls.iter().filter(|c| c.kind == CallKind::Answer).count();
        println!(
            "step {}/{}: halt p={:.3}  ‖z‖ per call [{}]  ({} answer updates)",
            i + 1,
            max_steps,
            step.halt_probability(),
            z_norms.join(" "),
            updates
        );
        print!("{}", coloured(&grid, &previous, &answer, &solution));
        previous = answer;
    }
    let answer = trace.final_answer().unwrap_or(grid);
    let right = (0..CELLS).filter(|&c| answer.get(c) == solution.get(c)).count();
    println!(
        "{} after {} steps ({} net calls, {:.2} s){}",
        if answer == solution { "solved" } else { "not solved" },
        trace.steps.len(),
        trace.call_count(),
        seconds,
        if answer == solution { String::new() } else { format!(": {right}/81 cells right") }
    );
    Ok(())
}

/// The grid with givens bold, changed cells yellow, wrong cells red.
fn coloured(puzzle: &Grid, previous: &Grid, answer: &Grid, solution: &Grid) -> String {
    Grid::boxed(|c| {
        let v = answer.get(c);
        let ch = if v == 0 { '.' } else { (b'0' + v) as char };
        let style = if puzzle.get(c) != 0 {
            "\x1b[1m"
        } else if v != solution.get(c) {
            "\x1b[31m"
        } else if v != previous.get(c) {
            "\x1b[33m"
        } else {
            ""
        };
        if style.is_empty() { ch.to_string() } else { format!("{style}{ch}\x1b[0m") }
    })
}

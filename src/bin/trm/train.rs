//! `trm train`: deep-supervision training with checkpoints that resume exactly, in legs.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{Context, Result, anyhow, bail};
use burn::module::Module;
use trm_sudoku::data::{DataSource, MixPart, PartKind, Split};
use trm_sudoku::formats::{MetricsRecord, TierEval};
use trm_sudoku::generator::Tier;
use trm_sudoku::grid::{CELLS, Grid};
use trm_sudoku::inference::{answer_batch_blocking, blank_cell_accuracy};
use trm_sudoku::maze_inference::solve_mazes_blocking;
use trm_sudoku::model::{Trm, TrmConfig};
use trm_sudoku::puzzles::{Example, read_examples};
use trm_sudoku::task::Task as ModelTask;
use trm_sudoku::training::{Trainer, TrainingConfig};
use trm_sudoku::trm_puzzle::maze::generator::{MazeGenerator, MazeTier};
use trm_sudoku::trm_puzzle::maze::grid::Maze;
use trm_sudoku::{checkpoint, weights};

use crate::common::{Backend, Task, device, generated_examples, maze_side, progress_bar};
use crate::eval_maze::open_tile_accuracy;

/// Train a model (deep supervision, EMA, curriculum), resuming from `--out` if it holds a
/// checkpoint; on resume only the schedule flags (steps, lr, warmup, min-lr-ratio, new-leg) and
/// `--data` take effect.
#[derive(clap::Args)]
pub struct Args {
    /// A TrainingConfig JSON file; flags below override it.
    #[arg(long)]
    pub config: Option<PathBuf>,
    /// The puzzle to train on (when no config file is given).
    #[arg(long, value_enum, default_value = "sudoku")]
    pub task: Task,
    /// Mazes: tiles per side (7 to 64; the paper's Maze-Hard is 30).
    #[arg(long, default_value_t = 15)]
    pub side: usize,
    /// Model preset when no config file is given: paper_mlp, paper_att, browser, tiny
    /// (default: browser for Sudoku; for mazes the maze preset, attention at the browser's
    /// sizes, as the paper uses for 30 × 30; at 9 × 9 `browser` learned several times faster,
    /// see assets/maze/MODEL.md).
    #[arg(long)]
    pub preset: Option<String>,
    /// Data: `curriculum`, `tier:<name>`, `files:<path>[,<path>...]`, `hard-mix[:<17-clue
    /// file>]`, or `mix:<part>=<weight>,...` with parts `easy`..`extreme`, `minimal` and
    /// `file:<path>[@train|@holdout]`. Mazes: `tier:<easy|medium|hard>[,<tier>...]` (default:
    /// all three). On resume it starts a new data source.
    #[arg(long)]
    pub data: Option<String>,
    /// Total optimizer steps.
    #[arg(long)]
    pub steps: Option<usize>,
    /// Carried batch size (on resume, only with `--new-leg`: every slot then starts afresh).
    #[arg(long)]
    pub batch_size: Option<usize>,
    /// Peak learning rate.
    #[arg(long)]
    pub lr: Option<f64>,
    /// Warm-up steps.
    #[arg(long)]
    pub warmup: Option<usize>,
    /// Weight decay.
    #[arg(long)]
    pub weight_decay: Option<f64>,
    /// Final learning rate as a fraction of the peak, reached by cosine decay (1: constant).
    #[arg(long)]
    pub min_lr_ratio: Option<f64>,
    /// On resume, start a new leg: warm-up and decay run again from the current step to
    /// `--steps`.
    #[arg(long)]
    pub new_leg: bool,
    /// Seed (weights, data, exploration).
    #[arg(long)]
    pub seed: Option<u64>,
    /// Compute backend.
    #[arg(long, value_enum, default_value = "cpu")]
    pub backend: Backend,
    /// Run directory: checkpoint, metrics.jsonl.
    #[arg(long)]
    pub out: PathBuf,
    /// Save a checkpoint every N steps.
    #[arg(long, default_value_t = 200)]
    pub checkpoint_every: usize,
    /// Evaluate the EMA weights every N steps (0: never).
    #[arg(long, default_value_t = 500)]
    pub eval_every: usize,
    /// Puzzles per tier in each evaluation.
    #[arg(long, default_value_t = 128)]
    pub eval_size: usize,
    /// Stop after this many minutes (a checkpoint is written first).
    #[arg(long)]
    pub minutes: Option<f64>,
}

/// Runs the command.
pub fn run(args: Args) -> Result<()> {
    let mut training = match &args.config {
        Some(path) => {
            let text = std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
            serde_json::from_str::<TrainingConfig>(&text).with_context(|| format!("parsing {}", path.display()))?
        }
        None => {
            let preset = |name: &str| {
                TrmConfig::preset(name)
                    .ok_or_else(|| anyhow!("unknown preset {name:?}; try {}", TrmConfig::PRESETS.join(", ")))
            };
            match args.task {
                Task::Sudoku => TrainingConfig::new(
                    preset(args.preset.as_deref().unwrap_or("browser"))?,
                    DataSource::default_curriculum(),
                ),
                Task::Maze => {
                    let side = maze_side(args.side)?;
                    let model = match &args.preset {
                        Some(name) => preset(name)?.for_task(ModelTask::Maze { side }),
                        None => TrmConfig::maze(side),
                    };
                    TrainingConfig::new(model, DataSource::mazes(side))
                }
            }
        }
    };
    let data = args.data.as_deref().map(|spec| parse_data_for(spec, training.model.task())).transpose()?;
    if let Some(data) = &data {
        training.data = data.clone();
    }
    if let Some(v) = args.batch_size {
        training.batch_size = v;
    }
    if let Some(v) = args.weight_decay {
        training.weight_decay = v;
    }
    if let Some(v) = args.seed {
        training.seed = v;
        training.model.seed = v;
    }
    let schedule = ScheduleOverrides {
        steps: args.steps,
        learning_rate: args.lr,
        warmup_steps: args.warmup,
        min_lr_ratio: args.min_lr_ratio,
        new_leg: args.new_leg,
    };
    schedule.apply(&mut training, 0);
    let options = TrainOptions {
        leg_batch_size: args.batch_size.filter(|_| args.new_leg),
        checkpoint_every: args.checkpoint_every,
        eval_every: args.eval_every,
        eval_size: args.eval_size,
        minutes: args.minutes,
        schedule,
        data,
    };
    train(training, args.backend, &args.out, options)
}

struct TrainOptions {
    checkpoint_every: usize,
    eval_every: usize,
    eval_size: usize,
    minutes: Option<f64>,
    /// Schedule flags given on the command line; they also apply when resuming.
    schedule: ScheduleOverrides,
    /// A data source given on the command line; it also applies when resuming.
    data: Option<DataSource>,
    /// A batch size for a new leg of a resumed run.
    leg_batch_size: Option<usize>,
}

/// The learning-rate schedule flags. Unlike the model, data, batch and optimizer settings, which a
/// checkpoint fixes, these may change when a run is resumed (to extend it or to anneal it).
#[derive(Clone, Copy)]
struct ScheduleOverrides {
    steps: Option<usize>,
    learning_rate: Option<f64>,
    warmup_steps: Option<usize>,
    min_lr_ratio: Option<f64>,
    new_leg: bool,
}

impl ScheduleOverrides {
    /// Applies the flags to a run at optimizer step `step`.
    fn apply(&self, config: &mut TrainingConfig, step: usize) {
        if self.new_leg {
            config.schedule_start = Some(step);
        }
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
    let mut trainer = if checkpoint::exists(out) {
        let mut config = checkpoint::read_config(out)?;
        if let Some(data) = &options.data {
            config.data = data.clone();
        }
        if let Some(batch) = options.leg_batch_size {
            config.batch_size = batch;
        }
        let step = checkpoint::read_progress(out)?.step;
        options.schedule.apply(&mut config, step);
        let files = read_data_files(&config.data)?;
        let trainer = checkpoint::load_with_config(out, config, files, &device)?;
        eprintln!(
            "resuming {} at step {} of {} (lr {:.2e} now; model, batch, weight decay and seed as saved)",
            out.display(),
            trainer.step_count(),
            trainer.config.steps,
            trainer.config.learning_rate_at(trainer.step_count()),
        );
        trainer
    } else {
        std::fs::create_dir_all(out)?;
        eprintln!("new run in {} ({} parameters)", out.display(), config.model.init(&device).num_params());
        let files = read_data_files(&config.data)?;
        Trainer::new(config, files, &device)?
    };
    let eval_sets = EvalSets::new(trainer.config.model.task(), options.eval_size);
    let metrics_path = out.join("metrics.jsonl");
    drop_metrics_after(&metrics_path, trainer.step_count())?;
    let mut metrics_log = std::fs::OpenOptions::new().create(true).append(true).open(&metrics_path)?;
    let total = trainer.config.steps;
    let bar = progress_bar(total as u64, "{bar:30} {pos}/{len} {msg} eta {eta}");
    bar.set_position(trainer.step_count() as u64);
    let start = Instant::now();
    let started_at = trainer.step_count();
    let batch = trainer.config.batch_size;
    let threads = std::env::var("RAYON_NUM_THREADS")
        .ok()
        .and_then(|v| v.parse::<usize>().ok())
        .unwrap_or_else(|| std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1));
    let accelerator = match backend {
        Backend::Cpu => None,
        Backend::Wgpu => Some("wgpu".to_string()),
        Backend::Cuda => Some("cuda".to_string()),
    };
    while !trainer.done() {
        let m = trainer.train_step_blocking()?;
        let elapsed = start.elapsed().as_secs_f64();
        let samples_per_s = (m.step - started_at) as f64 * batch as f64 / elapsed;
        bar.set_position(m.step as u64);
        bar.set_message(format!(
            "loss {:.3} cell {:.3} exact {:.3} stage {} {:.1} samples/s",
            m.loss, m.cell_accuracy, m.exact_accuracy, m.stage, samples_per_s
        ));
        // With the elapsed time, `threads` gives the CPU-hours of a run made of legs (`trm plot`).
        let mut line = MetricsRecord {
            step: m,
            elapsed_s: elapsed,
            samples_per_s,
            threads: Some(threads),
            batch_size: Some(batch),
            accelerator: accelerator.clone(),
            eval: None,
        };
        let out_of_time = options.minutes.is_some_and(|mins| elapsed > mins * 60.0);
        if options.eval_every > 0 && (m.step % options.eval_every == 0 || trainer.done()) {
            let evals = eval_sets.evaluate(trainer.ema(), trainer.config.model.supervision_steps)?;
            bar.println(format!("step {}: eval {}", m.step, serde_json::to_string(&evals)?));
            line.eval = Some(evals);
        }
        writeln!(metrics_log, "{}", serde_json::to_string(&line)?)?;
        if m.step % options.checkpoint_every.max(1) == 0 || trainer.done() || out_of_time {
            checkpoint::save(&trainer, out)?;
            weights::save(
                trainer.ema(),
                &trainer.config.model,
                &out.join("model.bpk").with_file_name("final.bpk"),
                true,
            )?;
        }
        if out_of_time {
            bar.println(format!("time limit reached at step {}; checkpoint saved", m.step));
            break;
        }
    }
    bar.finish();
    Ok(())
}

/// Removes the lines of steps after `step` (logged after the last checkpoint by a run that was
/// then killed), so that a resumed run does not log those steps twice.
fn drop_metrics_after(path: &Path, step: usize) -> Result<()> {
    let Ok(text) = std::fs::read_to_string(path) else { return Ok(()) };
    let keep = |line: &&str| serde_json::from_str::<MetricsRecord>(line).map_or(true, |r| r.step.step <= step);
    let kept: Vec<&str> = text.lines().filter(keep).collect();
    if kept.len() != text.lines().count() {
        std::fs::write(path, kept.iter().map(|l| format!("{l}\n")).collect::<String>())?;
    }
    Ok(())
}

/// The generated sets a run is evaluated on, per tier, the same at every evaluation.
enum EvalSets {
    Sudoku(Vec<(Tier, Vec<Example>)>),
    Maze(Vec<(MazeTier, Vec<(Maze, Maze)>)>),
}

impl EvalSets {
    fn new(task: ModelTask, size: usize) -> Self {
        match task {
            ModelTask::Sudoku => EvalSets::Sudoku(
                [Tier::Easy, Tier::Medium, Tier::Hard]
                    .into_iter()
                    .map(|tier| (tier, generated_examples(tier, size, 0xE7A1 + tier as u64, |_| {})))
                    .collect(),
            ),
            ModelTask::Maze { side } => EvalSets::Maze(
                MazeTier::ALL
                    .into_iter()
                    .map(|tier| {
                        // Seeds of their own, far from the training stream's.
                        let generator = MazeGenerator::new(0xE7A1_0000 + tier as u64);
                        (tier, (0..size as u64).map(|i| generator.generate(side, tier, i)).collect())
                    })
                    .collect(),
            ),
        }
    }

    /// Per tier: exact accuracy, cell accuracy and mean steps (K = 1, at most `max_steps`).
    fn evaluate(&self, model: &Trm, max_steps: usize) -> Result<BTreeMap<String, TierEval>> {
        let mut evals = BTreeMap::new();
        match self {
            EvalSets::Sudoku(sets) => {
                for (tier, set) in sets {
                    let (exact, cells, steps) = evaluate(model, set, max_steps)?;
                    evals.insert(tier.name().to_string(), TierEval { exact, cells, steps });
                }
            }
            EvalSets::Maze(sets) => {
                for (tier, set) in sets {
                    let (exact, cells) = evaluate_mazes(model, set, max_steps)?;
                    evals.insert(tier.name().to_string(), TierEval { exact, cells, steps: max_steps as f64 });
                }
            }
        }
        Ok(evals)
    }
}

/// Exact accuracy and open-tile accuracy (path or not, as in the solution) of `model` on
/// mazes, K = 1, all `max_steps` steps.
pub fn evaluate_mazes(model: &Trm, set: &[(Maze, Maze)], max_steps: usize) -> Result<(f64, f64)> {
    let questions: Vec<Maze> = set.iter().map(|(q, _)| q.clone()).collect();
    let solves = solve_mazes_blocking(model, &questions, 1, max_steps, 64)?;
    let n = set.len().max(1) as f64;
    let exact = solves.iter().zip(set).filter(|(s, (_, a))| s.answer() == a).count() as f64 / n;
    let cells = solves.iter().zip(set).map(|(s, (q, a))| open_tile_accuracy(q, s.answer(), a)).sum::<f64>() / n;
    Ok((exact, cells))
}

/// Exact accuracy, blank-cell accuracy and mean early-exit steps of `model` on `set`.
fn evaluate(model: &Trm, set: &[Example], max_steps: usize) -> Result<(f64, f64, f64)> {
    let puzzles: Vec<Grid> = set.iter().map(|e| e.puzzle).collect();
    let answers = answer_batch_blocking(model, &puzzles, &[max_steps], 0.5)?;
    let n = set.len().max(1) as f64;
    let exact = answers.iter().zip(set).filter(|(a, e)| a.at_budget[0] == e.solution).count() as f64 / n;
    let cells =
        answers.iter().zip(set).map(|(a, e)| blank_cell_accuracy(&e.puzzle, &a.at_budget[0], &e.solution)).sum::<f64>()
            / n;
    let steps = answers.iter().map(|a| a.early_exit_steps as f64).sum::<f64>() / n;
    Ok((exact, cells, steps))
}

/// The examples of every file a data source reads, in [`DataSource::files`] order.
fn read_data_files(data: &DataSource) -> Result<Vec<Vec<Example>>> {
    data.files()
        .iter()
        .map(|(path, _)| read_examples(path).with_context(|| format!("reading training file {path}")))
        .collect()
}

/// A `--data` spec for a model of `task`.
pub fn parse_data_for(spec: &str, task: ModelTask) -> Result<DataSource> {
    match task {
        ModelTask::Sudoku => parse_data(spec),
        ModelTask::Maze { side } => {
            let tiers = spec
                .strip_prefix("tier:")
                .ok_or_else(|| anyhow!("unknown maze data {spec:?}: use tier:<easy|medium|hard>[,<tier>...]"))?;
            let tiers =
                tiers.split(',').map(|t| t.parse::<MazeTier>().map_err(|e| anyhow!(e))).collect::<Result<Vec<_>>>()?;
            Ok(DataSource::Mazes { side, tiers })
        }
    }
}

pub fn parse_data(spec: &str) -> Result<DataSource> {
    if spec == "curriculum" {
        return Ok(DataSource::default_curriculum());
    }
    if spec == "hard-mix" {
        return Ok(DataSource::hard_mixture(None));
    }
    if let Some(path) = spec.strip_prefix("hard-mix:") {
        return Ok(DataSource::hard_mixture(Some(path)));
    }
    if let Some(parts) = spec.strip_prefix("mix:") {
        let parts = parts
            .split(',')
            .map(|part| {
                let (name, weight) =
                    part.rsplit_once('=').ok_or_else(|| anyhow!("mixture part {part:?} needs =<weight>"))?;
                let weight: f64 = weight.parse().with_context(|| format!("weight of {name:?}"))?;
                let kind = if name == "minimal" {
                    PartKind::Minimal
                } else if let Some(file) = name.strip_prefix("file:") {
                    let (path, split) = Split::parse_spec(file)?;
                    PartKind::File { path: path.to_string(), split }
                } else {
                    PartKind::Tier { tier: name.parse::<Tier>()?, max_blanks: CELLS }
                };
                Ok(MixPart { weight, kind })
            })
            .collect::<Result<Vec<_>>>()?;
        return Ok(DataSource::Mixture { parts });
    }
    if let Some(tier) = spec.strip_prefix("tier:") {
        return Ok(DataSource::tier(tier.parse::<Tier>()?));
    }
    if let Some(paths) = spec.strip_prefix("files:") {
        return Ok(DataSource::Files { paths: paths.split(',').map(str::to_string).collect() });
    }
    bail!(
        "unknown data {spec:?}: use curriculum, tier:<easy|medium|hard|extreme>, files:<path,...>, hard-mix[:<path>] or mix:<part>=<weight>,..."
    )
}

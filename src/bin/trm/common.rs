//! Helpers shared by the commands: backends, loading weights, progress bars, generated sets.

use std::path::Path;

use anyhow::{Result, anyhow};
use burn::prelude::*;
use clap::ValueEnum;
use indicatif::{ProgressBar, ProgressStyle};
use trm_sudoku::generator::{Generator, Tier};
use trm_sudoku::model::{Trm, TrmConfig};
use trm_sudoku::puzzles::Example;
use trm_sudoku::task::Task as ModelTask;
use trm_sudoku::trm_puzzle::maze;
use trm_sudoku::weights;

/// Which puzzle a command works on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Task {
    /// 9 × 9 Sudoku.
    Sudoku,
    /// Mazes in the paper's charset (`#` wall, space, `S`, `G`, `o` path).
    Maze,
}

impl Task {
    /// The task of a puzzle file's text: mazes when one of its first lines is a maze record
    /// (`QUESTION,ANSWER`, a bare question or the paper's CSV), else Sudoku (whose files may
    /// have `#` comment lines, which are no maze).
    pub fn of_text(text: &str) -> Task {
        let is_maze = |line: &str| maze::grid::parse_pair(line).is_ok() || maze::grid::parse_csv_record(line).is_ok();
        if text.lines().filter(|l| !l.trim().is_empty()).take(10).any(is_maze) { Task::Maze } else { Task::Sudoku }
    }
}

/// A maze side from the command line, checked.
pub fn maze_side(side: usize) -> Result<usize> {
    use maze::{generator::MIN_SIDE, grid::MAX_SIDE};
    if (MIN_SIDE..=MAX_SIDE).contains(&side) {
        Ok(side)
    } else {
        Err(anyhow!("invalid value {side} for --side: a maze's side is from {MIN_SIDE} to {MAX_SIDE}"))
    }
}

/// Where the model runs.
#[derive(Clone, Copy, ValueEnum)]
pub enum Backend {
    /// burn's pure-Rust CPU backend (flex), multi-threaded.
    Cpu,
    /// wgpu: Vulkan, Metal or DX12 (build with `--features wgpu`).
    Wgpu,
    /// CUDA (build with `--features cuda`).
    Cuda,
}

/// The device of a backend, or why this build lacks it.
pub fn device(backend: Backend) -> Result<Device> {
    match backend {
        Backend::Cpu => Ok(Device::flex()),
        Backend::Wgpu => {
            #[cfg(feature = "wgpu-unfused")]
            {
                Ok(Device::wgpu(burn::tensor::DeviceKind::DefaultDevice))
            }
            #[cfg(not(feature = "wgpu-unfused"))]
            {
                anyhow::bail!("this build has no wgpu backend; rebuild with `--features wgpu`")
            }
        }
        Backend::Cuda => {
            #[cfg(feature = "cuda")]
            {
                Ok(Device::cuda(0))
            }
            #[cfg(not(feature = "cuda"))]
            {
                anyhow::bail!("this build has no CUDA backend; rebuild with `--features cuda`")
            }
        }
    }
}

/// Weights and their config from a `.bpk` (config beside it) or a checkpoint directory (its
/// EMA weights).
pub fn load_model_and_config(path: &Path, device: &Device) -> Result<(TrmConfig, Trm)> {
    let file = if path.is_dir() { path.join("ema.bpk") } else { path.to_path_buf() };
    weights::load(&file, device).map_err(|e| anyhow!("{}: {e}", path.display()))
}

/// A Sudoku model from a `.bpk` or a checkpoint directory; a model of another task is refused.
pub fn load_model(path: &Path, device: &Device) -> Result<Trm> {
    let (config, model) = load_model_and_config(path, device)?;
    weights::require_task(&config, ModelTask::Sudoku).map_err(|e| anyhow!("{}: {e}", path.display()))?;
    Ok(model)
}

/// A maze file's record: the question and, when the line has one, its answer.
pub type MazeRecord = Result<(maze::Maze, Option<maze::Maze>), maze::grid::MazeParseError>;

/// The records of a maze file, one per line: `QUESTION[,ANSWER]` or the paper's CSV
/// (`source,question,answer,rating`, header skipped), with each line's number (from 1).
pub fn maze_records(text: &str) -> Vec<(usize, MazeRecord)> {
    // Only line ends are stripped: spaces are open cells.
    text.lines()
        .enumerate()
        .map(|(i, l)| (i + 1, l.trim_end_matches('\r')))
        .filter(|(_, l)| !l.is_empty() && !l.starts_with("source,"))
        .map(|(number, line)| {
            let parsed = if line.matches(',').count() == 3 {
                maze::grid::parse_csv_record(line).map(|(q, a)| (q, Some(a)))
            } else {
                maze::grid::parse_pair(line)
            };
            (number, parsed)
        })
        .collect()
}

/// A progress bar with the given template (hidden when stderr is not a terminal).
pub fn progress_bar(len: u64, template: &str) -> ProgressBar {
    let bar = ProgressBar::new(len);
    if let Ok(style) = ProgressStyle::with_template(template) {
        bar.set_style(style.progress_chars("=> "));
    }
    bar
}

/// `count` generated puzzles of `tier` from `seed`, calling `each` after every one.
pub fn generated_examples(tier: Tier, count: usize, seed: u64, mut each: impl FnMut(&Example)) -> Vec<Example> {
    let mut generator = Generator::new(seed);
    (0..count)
        .map(|_| {
            let p = generator.generate(tier);
            let example = Example { puzzle: p.puzzle, solution: p.solution };
            each(&example);
            example
        })
        .collect()
}

/// Most attempts per puzzle: a batch of K rows holds K × 97 × D floats per state, and the page
/// offers at most 64.
pub const MAX_ATTEMPTS: usize = 256;

/// `--attempts`: 1 to [`MAX_ATTEMPTS`].
pub fn attempts_arg(value: &str) -> std::result::Result<usize, String> {
    bounded_count(value, 1, MAX_ATTEMPTS)
}

/// A count of at least 1 (`--max-steps`, `--budgets`, `--batch`).
pub fn positive_count(value: &str) -> std::result::Result<usize, String> {
    bounded_count(value, 1, usize::MAX)
}

/// The most slots an adaptive solve grows to here, as the page decides it: from net calls timed
/// on this machine at batch 1 and 8, the largest K whose step fits a tenth of the budget.
pub fn adaptive_slots(model: &trm_sudoku::Trm, budget_s: f64) -> Result<usize> {
    let puzzle = Generator::new(1).generate(Tier::Medium).puzzle;
    let timing = trm_sudoku::inference::measure_net_calls(model, &puzzle, 3)?;
    let slots = trm_sudoku::attempts::adaptive_slot_limit(&timing, budget_s * 1e3);
    eprintln!(
        "net call {:.2} ms at batch 1, {:.2} ms at batch 8: the adaptive solve grows to at most {slots} slots",
        timing.batch1_ms, timing.batch8_ms
    );
    Ok(slots)
}

/// `--time-budget`: seconds, finite and above 0.
pub fn seconds_arg(value: &str) -> std::result::Result<f64, String> {
    match value.trim().parse::<f64>() {
        Ok(seconds) if seconds.is_finite() && seconds > 0.0 => Ok(seconds),
        Ok(_) => Err("expected a number of seconds above 0".into()),
        Err(_) => Err(format!("{value:?} is not a number")),
    }
}

/// `--noise`: a finite σ ≥ 0.
pub fn noise_arg(value: &str) -> std::result::Result<f64, String> {
    match value.trim().parse::<f64>() {
        Ok(sigma) if sigma.is_finite() && sigma >= 0.0 => Ok(sigma),
        Ok(_) => Err("expected a finite σ ≥ 0".into()),
        Err(_) => Err(format!("{value:?} is not a number")),
    }
}

/// `--threshold`: a halting probability in [0, 1].
pub fn probability_arg(value: &str) -> std::result::Result<f32, String> {
    match value.trim().parse::<f32>() {
        Ok(p) if (0.0..=1.0).contains(&p) => Ok(p),
        Ok(_) => Err("expected a probability from 0 to 1".into()),
        Err(_) => Err(format!("{value:?} is not a number")),
    }
}

/// The error names the range, e.g. "expected a whole number from 1 to 256".
fn bounded_count(value: &str, min: usize, max: usize) -> std::result::Result<usize, String> {
    match value.trim().parse::<usize>() {
        Ok(n) if (min..=max).contains(&n) => Ok(n),
        _ if max == usize::MAX => Err(format!("expected a whole number ≥ {min}")),
        _ => Err(format!("expected a whole number from {min} to {max}")),
    }
}

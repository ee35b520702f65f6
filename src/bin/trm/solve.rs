//! `trm solve`: one puzzle, step by step, with the changed cells coloured; with `--attempts K`,
//! which attempt won and at which step; with `--trace`, the whole recorded solve as JSON; with
//! `--gif`, the solve as an animated GIF.

use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{Context, Result, anyhow};
use trm_sudoku::animation::{AnimationOptions, encode_gif, frame_count};
use trm_sudoku::attempts::{TransformMix, describe_adaptive, describe_outcome};
use trm_sudoku::grid::{CELLS, Grid};
use trm_sudoku::inference::{InferenceConfig, solve_adaptive_blocking, solve_attempts_blocking};
use trm_sudoku::model::Trm;
use trm_sudoku::solver::solve_unique;
use trm_sudoku::task::Task as ModelTask;
use trm_sudoku::trace::{AttemptTrace, CallKind};

use crate::common::{Backend, attempts_arg, device, load_model_and_config, noise_arg, positive_count, seconds_arg};

/// Solve one puzzle and print every supervision step.
#[derive(clap::Args)]
pub struct Args {
    /// The puzzle: 81 characters (`.`, `0` or `_` for blanks). With a maze model: a maze as one
    /// line of side² tiles (`#`, space, `S`, `G`), or a file holding it.
    pub puzzle: String,
    /// Weights (`.bpk` with its `.json` beside it).
    #[arg(long, default_value = "assets/model.bpk")]
    pub weights: PathBuf,
    /// Most supervision steps (at least 1).
    #[arg(long, default_value_t = 16, value_parser = positive_count, allow_negative_numbers = true)]
    pub max_steps: usize,
    /// Run every step even after the halting head says stop.
    #[arg(long)]
    pub no_early_exit: bool,
    /// Compute backend.
    #[arg(long, value_enum, default_value = "cpu")]
    pub backend: Backend,
    /// K attempts side by side (1 to 256); the first whose answer satisfies every rule wins.
    #[arg(long, default_value_t = 1, value_parser = attempts_arg, allow_negative_numbers = true)]
    pub attempts: usize,
    /// σ of the Gaussian noise on the initial y and z of attempts after the first (≥ 0).
    #[arg(long, default_value_t = 0.0, value_parser = noise_arg, allow_negative_numbers = true)]
    pub noise: f64,
    /// Symmetries of attempts after the first: full, digits, board or none.
    #[arg(long, default_value = "full")]
    pub transforms: TransformMix,
    /// Seed of the attempts' symmetries and noise.
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// Think until it is right: attempts that halt on a wrong answer are replaced, and K and
    /// the step budget grow (K up to 64, steps up to 128) until an answer satisfies every rule
    /// or the time budget is spent. `--attempts` and `--max-steps` set the first stage.
    #[arg(long)]
    pub adaptive: bool,
    /// With `--adaptive`: seconds before it gives up and shows the most confident answer.
    #[arg(long, default_value_t = 10.0, value_parser = seconds_arg, allow_negative_numbers = true)]
    pub time_budget: f64,
    /// Write the whole recorded solve (every attempt, every net call) as JSON here.
    #[arg(long)]
    pub trace: Option<PathBuf>,
    /// Write the selected attempt's solve as an animated GIF here (a frame per answer update).
    #[arg(long)]
    pub gif: Option<PathBuf>,
    /// With `--gif`: a frame per net call instead.
    #[arg(long)]
    pub gif_every_call: bool,
    /// With `--gif`: width in pixels.
    #[arg(long, default_value_t = 480)]
    pub gif_width: u16,
}

/// Runs the command.
pub fn run(args: Args) -> Result<()> {
    let device = device(args.backend)?;
    let (model_config, model) = load_model_and_config(&args.weights, &device)?;
    if let ModelTask::Maze { side } = model_config.task() {
        return crate::solve_maze::run(&model, side, &args);
    }
    let config = InferenceConfig::new()
        .with_max_steps(args.max_steps)
        .with_early_exit(!args.no_early_exit)
        .with_attempts(args.attempts)
        .with_noise(args.noise)
        .with_transforms(args.transforms)
        .with_seed(args.seed)
        .with_adaptive(args.adaptive);
    let config = if args.adaptive {
        let slots = crate::common::adaptive_slots(&model, args.time_budget)?;
        config.with_adaptive_max_slots(slots.max(args.attempts))
    } else {
        config
    };
    let gif = args.gif.as_deref().map(|path| {
        (
            path,
            AnimationOptions { width: args.gif_width, every_call: args.gif_every_call, ..AnimationOptions::default() },
        )
    });
    solve(&model, &args.puzzle, config, args.time_budget, args.trace.as_deref(), gif)
}

fn solve(
    model: &Trm,
    puzzle: &str,
    config: InferenceConfig,
    time_budget: f64,
    trace_out: Option<&Path>,
    gif: Option<(&Path, AnimationOptions)>,
) -> Result<()> {
    let grid = Grid::parse(puzzle)?;
    let solution = solve_unique(&grid).map(|(s, _)| s)?;
    let max_steps = config.max_steps;
    let first_slots = config.attempts;
    let adaptive = config.adaptive;
    let start = Instant::now();
    let (solved, out_of_time) = if adaptive {
        solve_adaptive_blocking(model, &grid, config, std::time::Duration::from_secs_f64(time_budget))?
    } else {
        (solve_attempts_blocking(model, &grid, config)?, false)
    };
    let seconds = start.elapsed().as_secs_f64();
    let attempts = if adaptive { solved.attempts.len() } else { first_slots };
    let outcome = solved.outcome.ok_or_else(|| anyhow!("the solve ended without an outcome"))?;
    let selected = &solved.attempts[outcome.selected];
    let mut previous = grid;
    for (i, step) in selected.trace.steps.iter().enumerate() {
        let Some(last) = step.last() else { continue };
        let answer = last.answer(&grid);
        let z_norms: Vec<String> = step.calls.iter().map(|c| format!("{:.1}", c.z_norm)).collect();
        let updates = step.calls.iter().filter(|c| c.kind == CallKind::Answer).count();
        println!(
            "step {}/{}: halt p={:.3}  ‖z‖ per call [{}]  ({} answer updates)",
            i + 1,
            if adaptive { selected.trace.steps.len() } else { max_steps },
            step.halt_probability(),
            z_norms.join(" "),
            updates
        );
        print!("{}", coloured(&grid, &previous, &answer, &solution));
        previous = answer;
    }
    if attempts > 1 {
        println!("{}", attempts_summary(&solved.attempts));
    }
    let answer = solved.final_answer().unwrap_or(grid);
    let right = (0..CELLS).filter(|&c| answer.get(c) == solution.get(c)).count();
    let story = if adaptive {
        describe_adaptive(&solved, first_slots, out_of_time.then_some(time_budget))
    } else {
        describe_outcome(&outcome, attempts)
    };
    println!(
        "{}: {} ({:.2} s){}",
        if answer == solution { "solved" } else { "not solved" },
        story.trim_end_matches('.'),
        seconds,
        if answer == solution { String::new() } else { format!("; {right}/81 cells right") }
    );
    if let Some((path, mut options)) = gif {
        if attempts > 1 {
            options.note = format!("attempt {} of {attempts}", outcome.selected + 1);
        }
        let start = Instant::now();
        let bytes = encode_gif(&selected.trace, &grid, &options)?;
        std::fs::write(path, &bytes).with_context(|| format!("writing {}", path.display()))?;
        eprintln!(
            "wrote {} ({} frames, {} bytes, {:.2} s)",
            path.display(),
            frame_count(&selected.trace, options.every_call),
            bytes.len(),
            start.elapsed().as_secs_f64()
        );
    }
    if let Some(path) = trace_out {
        std::fs::write(path, serde_json::to_string(&solved)?).with_context(|| format!("writing {}", path.display()))?;
        eprintln!("wrote the trace to {}", path.display());
    }
    Ok(())
}

/// One line per attempt: its steps, where it halted, and its conflicts and halting probability
/// at its last step.
fn attempts_summary(attempts: &[AttemptTrace]) -> String {
    let mut out = String::from("attempts (steps run, last step: conflicting cells, P(halt)):\n");
    for (i, attempt) in attempts.iter().enumerate() {
        let summaries = attempt.step_summaries();
        let Some(last) = summaries.last() else { continue };
        let mark = if last.verified { "  ✓ satisfies every rule" } else { "" };
        out.push_str(&format!(
            "  {:>2}: {:>2} steps, {:>2} conflicts, P(halt) {:.2}{}{}\n",
            i + 1,
            summaries.len(),
            last.conflicts,
            last.halt_probability,
            if attempt.start.transform.is_identity() { " (as given)" } else { "" },
            mark
        ));
    }
    out.trim_end().to_string()
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

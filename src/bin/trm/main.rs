//! `trm`: the native command-line tool, one file per command.
//!
//! - `generate`: seeded puzzles of a tier, written as `PUZZLE,SOLUTION` lines;
//! - `check`: validate and solve puzzle files with the exact solver;
//! - `train`: deep-supervision training with checkpoints that resume exactly, in legs;
//! - `eval`: exact-solve and cell accuracy per file or tier, at several step budgets or with K
//!   parallel attempts;
//! - `solve`: one puzzle, step by step, with the changed cells coloured;
//! - `export`, `presets`, `plot`: weights, sample puzzles and the training curve for the page.

use anyhow::Result;
use clap::{Parser, Subcommand};

// Freed tensors are kept for the next ones instead of page-faulting anew: see the module.
#[global_allocator]
static ALLOCATOR: trm_sudoku::allocator::Allocator = trm_sudoku::allocator::Allocator;

mod check;
mod common;
mod eval;
mod eval_maze;
mod export;
mod generate;
mod plot;
mod presets;
mod solve;
mod solve_maze;
mod train;

#[derive(Parser)]
#[command(name = "trm", version, about = "Sudoku engine and Tiny Recursive Model: generate, check, train, eval, solve")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Generate unique-solution puzzles of a tier.
    Generate(generate::Args),
    /// Validate and solve puzzle files; report accuracy and speed.
    Check(check::Args),
    /// Train a model (deep supervision, EMA, curriculum), resuming from `--out` if it holds a
    /// checkpoint; on resume only the schedule flags and `--data` take effect.
    Train(train::Args),
    /// Exact-solve and cell accuracy of a model per puzzle file and generated tier.
    Eval(eval::Args),
    /// Write model weights for the web page: `<out>.bpk`, `<out>.json` and `manifest.json`.
    Export(export::Args),
    /// Pick the page's sample puzzles (assets/puzzles.json), those the model solves first.
    Presets(presets::Args),
    /// Draw loss and accuracy over training from a run's metrics.jsonl as a PNG.
    Plot(plot::Args),
    /// Solve one puzzle and print every supervision step.
    Solve(solve::Args),
}

fn main() {
    trm_sudoku::allocator::keep_freed_memory();
    let cli = Cli::parse();
    // On a worker of the pool the CPU backend splits its kernels over: see the module.
    if let Err(err) = trm_sudoku::cpu_pool::install(|| run(cli)) {
        eprintln!("error: {err:#}");
        std::process::exit(1);
    }
}

fn run(cli: Cli) -> Result<()> {
    match cli.command {
        Command::Generate(args) => generate::run(args),
        Command::Check(args) => check::run(args),
        Command::Train(args) => train::run(args),
        Command::Eval(args) => eval::run(args),
        Command::Export(args) => export::run(args),
        Command::Presets(args) => presets::run(args),
        Command::Plot(args) => plot::run(args),
        Command::Solve(args) => solve::run(args),
    }
}

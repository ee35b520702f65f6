//! `trm generate`: seeded puzzles of a tier, written as `PUZZLE,SOLUTION` lines.

use std::path::PathBuf;
use std::time::Instant;

use anyhow::{Context, Result};
use trm_sudoku::generator::Tier;
use trm_sudoku::puzzles::format_examples;

use crate::common::{generated_examples, progress_bar};

/// Generate unique-solution puzzles of a tier.
#[derive(clap::Args)]
pub struct Args {
    /// easy, medium, hard or extreme.
    #[arg(long, default_value = "easy")]
    pub tier: Tier,
    /// How many.
    #[arg(long, default_value_t = 100)]
    pub count: usize,
    /// Seed: the same seed gives the same puzzles.
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// Output file (stdout if absent).
    #[arg(long)]
    pub out: Option<PathBuf>,
}

/// Runs the command.
pub fn run(args: Args) -> Result<()> {
    let Args { tier, count, seed, out } = args;
    let bar = progress_bar(count as u64, "{bar:40} {pos}/{len} puzzles {per_sec} eta {eta}");
    let start = Instant::now();
    let examples = generated_examples(tier, count, seed, |_| bar.inc(1));
    bar.finish_and_clear();
    let seconds = start.elapsed().as_secs_f64();
    let text = format_examples(&examples);
    match &out {
        Some(path) => std::fs::write(path, text).with_context(|| format!("writing {}", path.display()))?,
        None => print!("{text}"),
    }
    eprintln!("{count} {tier} puzzles in {seconds:.2} s ({:.1} puzzles/s), seed {seed}", count as f64 / seconds);
    Ok(())
}

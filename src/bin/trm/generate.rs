//! `trm generate`: seeded puzzles of a tier, written as `PUZZLE,SOLUTION` lines (Sudoku) or
//! `QUESTION,ANSWER` lines in the paper's charset (mazes).

use std::path::PathBuf;
use std::time::Instant;

use anyhow::{Context, Result, anyhow};
use trm_sudoku::generator::Tier;
use trm_sudoku::puzzles::format_examples;
use trm_sudoku::trm_puzzle::maze::{MazeGenerator, MazeTier};

use crate::common::{Task, generated_examples, maze_side, progress_bar};

/// Generate puzzles of a tier: Sudoku with a unique solution, or mazes with one shortest path.
#[derive(clap::Args)]
pub struct Args {
    /// sudoku or maze.
    #[arg(long, value_enum, default_value_t = Task::Sudoku)]
    pub task: Task,
    /// Sudoku: easy, medium, hard or extreme. Mazes: easy, medium or hard (by the shortest
    /// path's length; hard at 30 × 30 is 100-160 moves, as in the paper).
    #[arg(long, default_value = "easy")]
    pub tier: String,
    /// Mazes: cells per side (7 to 64).
    #[arg(long, default_value_t = 30)]
    pub side: usize,
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
    let Args { task, tier, side, count, seed, out } = args;
    let bar = progress_bar(count as u64, "{bar:40} {pos}/{len} puzzles {per_sec} eta {eta}");
    let start = Instant::now();
    let (text, what) = match task {
        Task::Sudoku => {
            let tier: Tier = tier.parse()?;
            let examples = generated_examples(tier, count, seed, |_| bar.inc(1));
            (format_examples(&examples), format!("{tier} puzzles"))
        }
        Task::Maze => {
            let tier: MazeTier = tier.parse().map_err(|e: String| anyhow!(e))?;
            let side = maze_side(side)?;
            let generator = MazeGenerator::new(seed);
            let mut text = String::new();
            for index in 0..count as u64 {
                let (question, answer) = generator.generate(side, tier, index);
                text.push_str(&format!("{},{}\n", question.to_line(), answer.to_line()));
                bar.inc(1);
            }
            (text, format!("{} {side} × {side} mazes", tier.name()))
        }
    };
    bar.finish_and_clear();
    let seconds = start.elapsed().as_secs_f64();
    match &out {
        Some(path) => std::fs::write(path, text).with_context(|| format!("writing {}", path.display()))?,
        None => print!("{text}"),
    }
    eprintln!("{count} {what} in {seconds:.2} s ({:.1} puzzles/s), seed {seed}", count as f64 / seconds);
    Ok(())
}

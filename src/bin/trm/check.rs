//! `trm check`: validate and solve puzzle files with the exact solver; report accuracy and speed.

use std::path::PathBuf;
use std::time::Instant;

use anyhow::{Context, Result};
use trm_sudoku::grid::Grid;
use trm_sudoku::solver::solve_unique;

use crate::common::progress_bar;

/// Validate and solve puzzle files; report accuracy and speed.
#[derive(clap::Args)]
pub struct Args {
    /// Files of `PUZZLE` or `PUZZLE,SOLUTION` lines.
    #[arg(required = true)]
    pub files: Vec<PathBuf>,
}

/// Runs the command.
pub fn run(args: Args) -> Result<()> {
    for path in &args.files {
        let text = trm_sudoku::puzzles::read_text(path).with_context(|| format!("reading {}", path.display()))?;
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

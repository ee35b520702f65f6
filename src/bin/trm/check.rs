//! `trm check`: validate and solve puzzle files with the exact solver; report accuracy and speed.
//! Sudoku files hold `PUZZLE[,SOLUTION]` lines; maze files `QUESTION[,ANSWER]` lines or the
//! paper's CSV (the task is read from the file unless `--task` says it).

use std::path::PathBuf;
use std::time::Instant;

use anyhow::{Context, Result};
use trm_sudoku::grid::Grid;
use trm_sudoku::solver::solve_unique;

use trm_sudoku::trm_puzzle::maze;

use crate::common::{Task, maze_records, progress_bar};

/// Validate and solve puzzle files; report accuracy and speed.
#[derive(clap::Args)]
pub struct Args {
    /// Files of `PUZZLE` or `PUZZLE,SOLUTION` lines (Sudoku), or of `QUESTION[,ANSWER]` lines
    /// or `source,question,answer,rating` records (mazes).
    #[arg(required = true)]
    pub files: Vec<PathBuf>,
    /// sudoku or maze; read from each file when absent.
    #[arg(long, value_enum)]
    pub task: Option<Task>,
}

/// Runs the command.
pub fn run(args: Args) -> Result<()> {
    for path in &args.files {
        let text = trm_sudoku::puzzles::read_text(path).with_context(|| format!("reading {}", path.display()))?;
        if args.task.unwrap_or_else(|| Task::of_text(&text)) == Task::Maze {
            check_mazes(path, &text);
            continue;
        }
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
        print_errors(&errors);
    }
    Ok(())
}

/// The first ten errors of a file, and how many more.
fn print_errors(errors: &[String]) {
    for e in errors.iter().take(10) {
        println!("  {e}");
    }
    if errors.len() > 10 {
        println!("  … and {} more", errors.len() - 10);
    }
}

/// Checks a maze file: every question has one shortest path, and every given answer is that
/// path and satisfies the rules.
fn check_mazes(path: &std::path::Path, text: &str) {
    let records = maze_records(text);
    let (mut unique, mut agree, mut with_answer, mut moves) = (0usize, 0usize, 0usize, 0usize);
    let mut errors = Vec::new();
    let start = Instant::now();
    for (line, parsed) in records.iter().cloned() {
        let (question, answer) = match parsed {
            Ok(pair) => pair,
            Err(e) => {
                errors.push(format!("line {line}: {e}"));
                continue;
            }
        };
        match maze::solve(&question) {
            Ok(solution) => {
                unique += 1;
                moves += maze::shortest_paths(&question).map(|(m, _)| m).unwrap_or(0);
                if let Some(answer) = answer {
                    with_answer += 1;
                    match maze::check_answer(&question, &answer) {
                        Ok(_) if answer == solution => agree += 1,
                        Ok(m) => {
                            errors.push(format!("line {line}: the given answer ({m} moves) is not the shortest path"))
                        }
                        Err(e) => errors.push(format!("line {line}: the given answer breaks the rules: {e}")),
                    }
                }
            }
            Err(e) => errors.push(format!("line {line}: {e}")),
        }
    }
    let seconds = start.elapsed().as_secs_f64();
    println!(
        "{}: {} mazes, {unique} with one shortest path, {agree}/{with_answer} given answers confirmed, \
         mean path {:.1} moves, {:.0} mazes/s",
        path.display(),
        records.len(),
        moves as f64 / unique.max(1) as f64,
        records.len() as f64 / seconds
    );
    print_errors(&errors);
}

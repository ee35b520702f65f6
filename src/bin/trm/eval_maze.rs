//! `trm eval` with a maze model: exact accuracy per maze file and generated tier, with 1 to 8
//! attempts (the square's symmetries), the shortest rule-checked path chosen.

use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{Context, Result, anyhow, bail};
use rand::SeedableRng;
use rand::seq::SliceRandom;
use serde::Serialize;
use trm_sudoku::maze_inference::{MAX_MAZE_ATTEMPTS, solve_mazes_blocking};
use trm_sudoku::model::Trm;
use trm_sudoku::trm_puzzle::maze::{Maze, MazeGenerator, MazeTier, Tile, solve};

use crate::common::maze_records;
use crate::eval::Args;

/// One row of the table: a set at one K.
#[derive(Serialize)]
struct Row {
    set: String,
    mazes: usize,
    attempts: usize,
    steps: usize,
    /// The chosen answer is the solution.
    exact: f64,
    /// The chosen answer passes the rule check (a simple path from S to G).
    verified: f64,
    /// Open tiles marked as in the solution (path or not), per maze.
    cells: f64,
    ms_per_maze: f64,
}

/// Runs the evaluation for a model of mazes of side `side`.
pub fn run(model: &Trm, side: usize, args: &Args) -> Result<()> {
    if args.adaptive {
        bail!("--adaptive is for Sudoku models; a maze model takes --attempts 1 to {MAX_MAZE_ATTEMPTS}");
    }
    let ks = if args.attempts.is_empty() { vec![1] } else { args.attempts.clone() };
    if let Some(k) = ks.iter().find(|&&k| k > MAX_MAZE_ATTEMPTS) {
        bail!(
            "invalid value {k} for --attempts: a maze has {MAX_MAZE_ATTEMPTS} symmetries, so 1 to {MAX_MAZE_ATTEMPTS}"
        );
    }
    let steps = args.budgets.iter().copied().max().unwrap_or(16);
    let sets = maze_sets(side, &args.files, &args.tiers, args.limit, args.seed)?;
    println!("| set | mazes | K | steps | exact | verified | open tiles | ms per maze |");
    println!("|---|---|---|---|---|---|---|---|");
    let mut rows = Vec::new();
    for (name, set) in &sets {
        let questions: Vec<Maze> = set.iter().map(|(q, _)| q.clone()).collect();
        for &k in &ks {
            let start = Instant::now();
            let solves = solve_mazes_blocking(model, &questions, k, steps, args.batch)?;
            let ms = start.elapsed().as_secs_f64() * 1e3;
            let n = set.len().max(1) as f64;
            let exact = solves.iter().zip(set).filter(|(s, (_, a))| s.answer() == a).count() as f64 / n;
            let verified = solves.iter().filter(|s| s.verified()).count() as f64 / n;
            let cells = solves.iter().zip(set).map(|(s, (q, a))| open_tile_accuracy(q, s.answer(), a)).sum::<f64>() / n;
            let row = Row {
                set: name.clone(),
                mazes: set.len(),
                attempts: k,
                steps,
                exact,
                verified,
                cells,
                ms_per_maze: ms / n,
            };
            println!(
                "| {} | {} | {} | {} | {:.1}% | {:.1}% | {:.1}% | {:.0} |",
                row.set,
                row.mazes,
                k,
                steps,
                100.0 * exact,
                100.0 * verified,
                100.0 * cells,
                row.ms_per_maze
            );
            rows.push(row);
        }
    }
    if let Some(path) = &args.json {
        std::fs::write(path, serde_json::to_string_pretty(&rows)?)
            .with_context(|| format!("writing {}", path.display()))?;
    }
    Ok(())
}

/// The share of the question's open tiles that `answer` marks as `solution` does.
pub fn open_tile_accuracy(question: &Maze, answer: &Maze, solution: &Maze) -> f64 {
    let open: Vec<usize> = (0..question.tiles().len()).filter(|&c| question.get(c) == Tile::Open).collect();
    open.iter().filter(|&&c| answer.get(c) == solution.get(c)).count() as f64 / open.len().max(1) as f64
}

/// A named set of mazes with their solutions.
type MazeSet = (String, Vec<(Maze, Maze)>);

/// Maze files (answers solved exactly where a line has none) and generated tiers, each at most
/// `limit` mazes (a fixed random subset of a file).
fn maze_sets(
    side: usize,
    files: &[PathBuf],
    tiers: &[trm_sudoku::generator::Tier],
    limit: usize,
    seed: u64,
) -> Result<Vec<MazeSet>> {
    let mut sets = Vec::new();
    for path in files {
        let text = std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
        let mut mazes = Vec::new();
        for (line, record) in maze_records(&text) {
            let (question, answer) = record.map_err(|e| anyhow!("{} line {line}: {e}", path.display()))?;
            if question.side() != side {
                bail!(
                    "{} line {line}: a maze of side {} where the model reads side {side}",
                    path.display(),
                    question.side()
                );
            }
            let answer = match answer {
                Some(answer) => answer,
                None => solve(&question).map_err(|e| anyhow!("{} line {line}: {e}", path.display()))?,
            };
            mazes.push((question, answer));
        }
        if mazes.len() > limit {
            mazes.shuffle(&mut rand_chacha::ChaCha8Rng::seed_from_u64(seed));
            mazes.truncate(limit);
        }
        let name = Path::new(path).file_name().map(|s| s.to_string_lossy().into_owned()).unwrap_or_default();
        sets.push((name, mazes));
    }
    for tier in tiers {
        let tier: MazeTier = tier.name().parse().map_err(|e: String| anyhow!("{e} (maze tiers)"))?;
        let generator = MazeGenerator::new(seed ^ ((tier as u64 + 1) * 0x1000));
        let mazes = (0..limit as u64).map(|i| generator.generate(side, tier, i)).collect();
        sets.push((format!("generated {} {side}×{side}", tier.name()), mazes));
    }
    Ok(sets)
}

//! `trm presets`: the page's sample puzzles, those the shipped model solves first.

use std::path::{Path, PathBuf};

use anyhow::Result;
use burn::prelude::*;
use trm_sudoku::formats::Presets;
use trm_sudoku::generator::{Generator, Tier};
use trm_sudoku::grid::{CELLS, Grid};
use trm_sudoku::inference::answer_batch_blocking;
use trm_sudoku::model::Trm;
use trm_sudoku::puzzles::Example;
use trm_sudoku::solver::solve_unique;

use crate::common::load_model;

/// Pick the page's sample puzzles (assets/puzzles.json): per tier, generated puzzles (or, for
/// extreme, the current extreme list), those the model solves first, so that the first sample a
/// visitor sees is one the shipped model gets right.
#[derive(clap::Args)]
pub struct Args {
    /// Weights used to rank the candidates.
    #[arg(long, default_value = "assets/model.bpk")]
    pub weights: PathBuf,
    /// The current file: its extreme puzzles are kept (reordered).
    #[arg(long, default_value = "assets/puzzles.json")]
    pub out: PathBuf,
    /// Candidates generated per tier.
    #[arg(long, default_value_t = 48)]
    pub candidates: usize,
    /// Puzzles kept per tier.
    #[arg(long, default_value_t = 8)]
    pub keep: usize,
    /// Generator seed.
    #[arg(long, default_value_t = 2026)]
    pub seed: u64,
    /// Also refresh the browser tests' fixtures here: the first easy and medium samples with
    /// their solutions (other entries of that file are kept).
    #[arg(long)]
    pub fixtures: Option<PathBuf>,
}

/// Runs the command.
pub fn run(args: Args) -> Result<()> {
    let model = load_model(&args.weights, &Device::flex())?;
    presets(&model, &args.out, args.candidates, args.keep, args.seed)?;
    match &args.fixtures {
        Some(path) => refresh_fixtures(&args.out, path),
        None => Ok(()),
    }
}

/// Most blanks of the easy samples, in turn.
const EASY_LADDER: [usize; 5] = [30, 36, 42, 48, CELLS];

fn presets(model: &Trm, out: &Path, candidates: usize, keep: usize, seed: u64) -> Result<()> {
    let current: Presets = serde_json::from_str(&std::fs::read_to_string(out)?)?;
    let mut file = Presets::default();
    let mut summary = Vec::new();
    for tier in Tier::ALL {
        let examples: Vec<Example> = if tier == Tier::Extreme {
            current
                .tier(tier)
                .iter()
                .filter_map(|line| Grid::parse(line).ok())
                .filter_map(|puzzle| Some(Example { puzzle, solution: trm_sudoku::solve_unique(&puzzle).ok()?.0 }))
                .collect()
        } else {
            let mut g = Generator::new(seed ^ ((tier as u64 + 1) * 0x1000));
            // Easy samples form a ladder from few blanks to a full puzzle, so the page has
            // samples at the edge of what the model can do.
            let blanks = |i: usize| if tier == Tier::Easy { EASY_LADDER[i % EASY_LADDER.len()] } else { CELLS };
            (0..candidates)
                .map(|i| g.generate_with_blanks(tier, blanks(i)))
                .map(|p| Example { puzzle: p.puzzle, solution: p.solution })
                .collect()
        };
        let puzzles: Vec<Grid> = examples.iter().map(|e| e.puzzle).collect();
        let answers = answer_batch_blocking(model, &puzzles, &[16], 0.5)?;
        let solved: Vec<bool> = answers.iter().zip(&examples).map(|(a, e)| a.early_exit == e.solution).collect();
        let mut order: Vec<usize> = (0..examples.len()).collect();
        order.sort_by_key(|&i| !solved[i]); // stable: solved first, then generation order
        order.truncate(keep);
        let kept: Vec<String> = order.iter().map(|&i| examples[i].puzzle.to_line()).collect();
        let kept_solved = order.iter().filter(|&&i| solved[i]).count();
        summary.push(format!(
            "{tier}: model solves {}/{} candidates, {kept_solved}/{} kept",
            solved.iter().filter(|s| **s).count(),
            examples.len(),
            kept.len()
        ));
        *file.tier_mut(tier) = kept;
    }
    file.note = format!(
        "written by `trm presets --seed {seed} --candidates {candidates}`: generated puzzles per tier (easy: at most 30/36/42/48/81 blanks in turn; extreme: public hard puzzles), those the shipped model solves within 16 steps first. {}",
        summary.join("; ")
    );
    std::fs::write(out, serde_json::to_string_pretty(&file)? + "\n")?;
    for line in &summary {
        eprintln!("{line}");
    }
    Ok(())
}

fn refresh_fixtures(presets: &Path, fixtures: &Path) -> Result<()> {
    let presets: Presets = serde_json::from_str(&std::fs::read_to_string(presets)?)?;
    let mut file: serde_json::Map<String, serde_json::Value> =
        serde_json::from_str(&std::fs::read_to_string(fixtures)?)?;
    for tier in [Tier::Easy, Tier::Medium] {
        let mut entries = Vec::new();
        for line in presets.tier(tier).iter().take(3) {
            let puzzle = Grid::parse(line)?;
            let (solution, _) = solve_unique(&puzzle)?;
            entries.push(serde_json::json!({ "puzzle": line, "solution": solution.to_line() }));
        }
        file.insert(tier.to_string(), serde_json::json!(entries));
    }
    file.insert("note".into(), serde_json::json!("easy/medium = the first shipped samples (assets/puzzles.json, `trm presets --fixtures`), with their solutions; other entries are written by hand"));
    std::fs::write(fixtures, serde_json::to_string_pretty(&file)? + "\n")?;
    Ok(())
}

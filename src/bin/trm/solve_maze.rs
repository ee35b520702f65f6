//! `trm solve` with a maze model: one maze, every step of the chosen attempt drawn with its path,
//! the attempts (the square's symmetries) and which one won; `--trace` and `--gif` as for Sudoku.

use std::path::Path;
use std::time::Instant;

use anyhow::{Context, Result, anyhow, bail};
use trm_sudoku::animation::{AnimationOptions, encode_maze_gif, frame_count};
use trm_sudoku::maze_inference::{MAX_MAZE_ATTEMPTS, read_answer, solve_maze_traced_blocking};
use trm_sudoku::model::Trm;
use trm_sudoku::trm_puzzle::maze::{Maze, Symmetry, Tile, check_answer, solve};

use crate::common::maze_records;
use crate::solve::Args;

/// The maze in `text`: a line of side² tiles, or a file holding mazes (its first record).
fn read_question(text: &str) -> Result<Maze> {
    let path = Path::new(text);
    let source = if text.len() < 4096 && path.is_file() {
        std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?
    } else {
        text.to_string()
    };
    if let Ok(maze) = Maze::parse_question(&source) {
        return Ok(maze);
    }
    let (line, record) = maze_records(&source).into_iter().next().ok_or_else(|| anyhow!("no maze in {text:?}"))?;
    let (question, _) = record.map_err(|e| anyhow!("line {line}: {e}"))?;
    Ok(question.question())
}

/// Runs the command for a model of mazes of side `side`.
pub fn run(model: &Trm, side: usize, args: &Args) -> Result<()> {
    if args.adaptive {
        bail!("--adaptive is for Sudoku models; a maze model takes --attempts 1 to {MAX_MAZE_ATTEMPTS}");
    }
    if args.attempts > MAX_MAZE_ATTEMPTS {
        bail!(
            "invalid value {} for --attempts: a maze has {MAX_MAZE_ATTEMPTS} symmetries, so 1 to {MAX_MAZE_ATTEMPTS}",
            args.attempts
        );
    }
    let question = read_question(&args.puzzle)
        .map_err(|e| anyhow!("this is a model of maze-{side}, so the puzzle must be a maze: {e}"))?;
    if question.side() != side {
        bail!("a maze of side {} where the model reads side {side}", question.side());
    }
    let solution = solve(&question).map_err(|e| anyhow!("{e}"))?;
    let start = Instant::now();
    let traced = solve_maze_traced_blocking(model, &question, args.attempts, args.max_steps, !args.no_early_exit)?;
    let seconds = start.elapsed().as_secs_f64();
    let report = traced.clone().report(&question, seconds * 1e3, true);
    let solve = &traced.solve;
    let chosen_trace = &traced.traces[solve.chosen];
    let mut previous = question.clone();
    for (i, step) in chosen_trace.steps.iter().enumerate() {
        let Some(last) = step.last() else { continue };
        let answer = read_answer(&question, &last.digits);
        println!("step {}/{}: halt p={:.3}", i + 1, args.max_steps, step.halt_probability());
        print!("{}", coloured(&previous, &answer, &solution));
        previous = answer;
    }
    if args.attempts > 1 {
        println!("attempts (symmetry, path):");
        for (i, attempt) in solve.attempts.iter().enumerate() {
            let verdict = match attempt.moves {
                Some(moves) => format!("✓ a path of {moves} moves"),
                None => "breaks a rule".to_string(),
            };
            println!(
                "  {}: {}, {verdict}, halting logit {:.2}",
                i + 1,
                Symmetry::ALL[i].describe(),
                attempt.halt_logit
            );
        }
    }
    let answer = solve.answer();
    let exact = *answer == solution;
    let shortest = solution.path_cells() + 1;
    let story = match (solve.attempts[solve.chosen].moves, exact) {
        (Some(moves), true) => format!("solved: the shortest path, {moves} moves"),
        (Some(moves), false) => format!("not solved: a path of {moves} moves, where the shortest has {shortest}"),
        (None, _) => match check_answer(&question, answer) {
            Err(rule) => format!("not solved: no attempt marked a path from S to G ({rule})"),
            Ok(_) => "not solved".to_string(),
        },
    };
    println!("{story} (attempt {} of {}, {seconds:.2} s)", solve.chosen + 1, args.attempts);
    if let Some(path) = &args.gif {
        let mut options =
            AnimationOptions { width: args.gif_width, every_call: args.gif_every_call, ..AnimationOptions::default() };
        if args.attempts > 1 {
            options.note = format!("attempt {} of {}", solve.chosen + 1, args.attempts);
        }
        let bytes = encode_maze_gif(chosen_trace, &question, &options)?;
        std::fs::write(path, &bytes).with_context(|| format!("writing {}", path.display()))?;
        eprintln!(
            "wrote {} ({} frames, {} bytes)",
            path.display(),
            frame_count(chosen_trace, options.every_call),
            bytes.len()
        );
    }
    if let Some(path) = &args.trace {
        std::fs::write(path, serde_json::to_string(&report)?).with_context(|| format!("writing {}", path.display()))?;
        eprintln!("wrote the trace to {}", path.display());
    }
    Ok(())
}

/// The maze as rows: walls `█`, path `o` (green where it is the solution's, red where not),
/// marks that changed since the previous step on a yellow background.
fn coloured(previous: &Maze, answer: &Maze, solution: &Maze) -> String {
    let side = answer.side();
    let mut out = String::new();
    for row in 0..side {
        for col in 0..side {
            let tile = row * side + col;
            let changed = answer.get(tile) != previous.get(tile);
            let glyph = match answer.get(tile) {
                Tile::Wall => "█".to_string(),
                Tile::Path if solution.get(tile) == Tile::Path => "\x1b[32mo\x1b[0m".to_string(),
                Tile::Path => "\x1b[31mo\x1b[0m".to_string(),
                other => other.char().to_string(),
            };
            if changed { out.push_str(&format!("\x1b[43m{glyph}\x1b[0m")) } else { out.push_str(&glyph) }
        }
        out.push('\n');
    }
    out
}

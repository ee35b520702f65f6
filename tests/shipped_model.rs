//! The shipped artefacts in assets/: the weights load into their config, the manifest the page
//! reads describes them, and the model solves a handful of easy puzzles exactly on the CPU.

use burn::prelude::*;
use trm_sudoku::generator::{Generator, Tier};
use trm_sudoku::grid::Grid;
use trm_sudoku::inference::{InferenceConfig, answer_batch_blocking, solve_traced_blocking};
use trm_sudoku::weights;

/// A file in assets/. The directory is read at run time: a test binary that cargo reuses from a
/// build of another checkout (same target dir) must still read this checkout's assets.
fn asset(name: &str) -> std::path::PathBuf {
    let root = std::env::var_os("CARGO_MANIFEST_DIR").unwrap_or_else(|| env!("CARGO_MANIFEST_DIR").into());
    std::path::Path::new(&root).join("assets").join(name)
}

fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325u64, |h, &b| (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3))
}

#[test]
fn the_manifest_describes_the_shipped_weights() {
    let manifest: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(asset("manifest.json")).unwrap()).unwrap();
    let weights_name = manifest["weights"].as_str().unwrap();
    let bytes = std::fs::read(asset(weights_name)).unwrap();
    assert_eq!(manifest["bytes"].as_u64().unwrap() as usize, bytes.len());
    assert_eq!(manifest["version"].as_str().unwrap(), format!("{:016x}", fnv1a(&bytes)), "re-run `trm export`");
    assert!(bytes.len() <= 4_000_000, "weights over the 4 MB budget: {}", bytes.len());
    let config = std::fs::read_to_string(asset(manifest["config"].as_str().unwrap())).unwrap();
    let config = weights::config_from_json(&config).unwrap();
    let model = weights::from_bytes(&config, &bytes, &Device::flex()).unwrap();
    assert!(model.num_params() <= 2_000_000);
    assert_eq!(manifest["parameters"].as_u64().unwrap() as usize, model.num_params());
}

#[test]
fn the_shipped_model_solves_easy_puzzles() {
    let device = Device::flex();
    let (_, model) = weights::load(&asset("model.bpk"), &device).unwrap();

    // Fresh easy puzzles with at most 30 blanks (the model was trained on up to 35-blank
    // puzzles first; see assets/MODEL.md for its accuracy on full puzzles).
    let mut generator = Generator::new(99);
    let examples: Vec<_> = (0..16).map(|_| generator.generate_with_blanks(Tier::Easy, 30)).collect();
    let puzzles: Vec<Grid> = examples.iter().map(|e| e.puzzle).collect();
    let answers = answer_batch_blocking(&model, &puzzles, &[16], 0.5).unwrap();
    let solved = answers.iter().zip(&examples).filter(|(a, e)| a.early_exit == e.solution).count();
    println!("solved {solved}/16 generated easy puzzles with at most 30 blanks");
    assert!(solved >= MIN_SOLVED_OF_16, "the shipped model solved only {solved}/16 easy puzzles");

    // The page's easy and medium samples (chosen by `trm presets` as ones this model solves),
    // through the traced path the page uses; the first easy one is the page's default and the
    // browser tests' puzzle.
    let presets: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(asset("puzzles.json")).unwrap()).unwrap();
    for tier in ["easy", "medium"] {
        for line in presets[tier].as_array().unwrap() {
            let puzzle = Grid::parse(line.as_str().unwrap()).unwrap();
            let trace = solve_traced_blocking(&model, &puzzle, InferenceConfig::new()).unwrap();
            let (solution, _) = trm_sudoku::solve_unique(&puzzle).unwrap();
            assert_eq!(trace.final_answer(), Some(solution), "{tier} sample {line}");
            if tier == "easy" {
                assert!(trace.halted_at.is_some(), "the halting head should stop on sample {line}");
            }
        }
    }
}

/// The shipped model (browser-v1, step 7000) solves 16/16; the margin only lets numerical
/// differences between CPUs through, not a broken model or loader.
const MIN_SOLVED_OF_16: usize = 14;

/// The maze page's model (assets/maze/) finds the one shortest path of hard 9 × 9 mazes:
/// `tests/data/mazes_9_hard.txt` is `trm generate --task maze --side 9 --tier hard --count 24
/// --seed 4242` (its third maze is the browser tests' fixture, which one attempt solves).
#[test]
fn the_shipped_maze_model_finds_the_shortest_paths_of_fixture_mazes() {
    use trm_sudoku::maze_inference::solve_mazes_blocking;
    use trm_sudoku::trm_puzzle::maze::Maze;

    let manifest: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(asset("maze/manifest.json")).unwrap()).unwrap();
    let config = std::fs::read_to_string(asset("maze").join(manifest["config"].as_str().unwrap())).unwrap();
    let config = weights::config_from_json(&config).unwrap();
    let bytes = std::fs::read(asset("maze").join(manifest["weights"].as_str().unwrap())).unwrap();
    let model = weights::from_bytes(&config, &bytes, &Device::flex()).unwrap();

    let root = std::env::var_os("CARGO_MANIFEST_DIR").unwrap_or_else(|| env!("CARGO_MANIFEST_DIR").into());
    let text = std::fs::read_to_string(std::path::Path::new(&root).join("tests/data/mazes_9_hard.txt")).unwrap();
    let (questions, answers): (Vec<Maze>, Vec<Maze>) = text
        .lines()
        .map(|line| {
            let (question, answer) = line.split_once(',').unwrap();
            (Maze::parse_question(question).unwrap(), Maze::parse(answer).unwrap())
        })
        .unzip();
    assert_eq!(questions.len(), 24);
    let exact = |solves: &[trm_sudoku::maze_inference::MazeSolve]| -> Vec<bool> {
        solves.iter().zip(&answers).map(|(s, a)| s.answer() == a).collect()
    };
    let one = exact(&solve_mazes_blocking(&model, &questions, 1, 16, 64).unwrap());
    let eight = exact(&solve_mazes_blocking(&model, &questions, 8, 16, 64).unwrap());
    let count = |v: &[bool]| v.iter().filter(|&&e| e).count();
    println!("maze model: K = 1 {}/24, K = 8 {}/24 hard 9 × 9 mazes", count(&one), count(&eight));
    assert!(one[2], "the browser tests' fixture maze");
    assert!(count(&one) >= MIN_MAZES_OF_24_AT_K1, "K = 1 found only {}/24 shortest paths", count(&one));
    assert_eq!(count(&eight), 24, "K = 8 missed a shortest path");
}

/// See [`the_shipped_maze_model_finds_the_shortest_paths_of_fixture_mazes`]: the shipped maze
/// model (maze-9, step 14,000) finds all 24 at K = 1; the margin, as for Sudoku, lets only
/// numerical differences between CPUs through.
const MIN_MAZES_OF_24_AT_K1: usize = 22;

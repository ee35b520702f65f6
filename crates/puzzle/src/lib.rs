//! # trm-puzzle
//!
//! The puzzles a Tiny Recursive Model learns, with no model in sight: for each task its grid,
//! rules, exact solver, seeded generator with tiers, symmetries and tokens. Nothing here
//! depends on burn, so the web page, the CLI and the model all share it.
//!
//! Each task is a module: [`sudoku`], and [`maze`] (the puzzles so far; the model, the page
//! and the CLI do not use mazes yet).

// Sudoku code indexes cells, units and digits by number: index loops read best there.
#![allow(clippy::needless_range_loop)]

pub mod hash;
pub mod maze;
pub mod sudoku;

//! Sudoku: the grid and its rules, an exact solver (a reference, never the model's answer), a
//! seeded generator with difficulty tiers, the symmetries that keep a puzzle valid, the
//! model's tokens, and the puzzle files.

pub mod augment;
pub mod encoding;
pub mod generator;
pub mod grid;
pub mod puzzles;
pub mod solver;

pub use generator::{Generator, Tier};
pub use grid::{Grid, ParseError};
pub use solver::{SolveError, count_solutions, solve_unique};

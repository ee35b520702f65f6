//! # trm-sudoku
//!
//! Watch a Tiny Recursive Model (TRM, Jolicoeur-Martineau 2025, arXiv 2510.04871) solve
//! Sudoku. This is the model crate: the TRM in burn, its recursion, solving sessions with
//! attempts, training, weights and checkpoints. It is backend-agnostic: the device decides
//! (burn's CPU backend `flex`, wgpu/WebGPU, CUDA).
//!
//! The layers below it have no burn and are crates of their own, re-exported here under their
//! module names so that `trm_sudoku::grid::Grid` and `trm_sudoku::trace::SolveTrace` name the
//! same types everywhere:
//! - [`trm_puzzle`]: the puzzles (grid, rules, exact solver, generator, symmetries, tokens);
//! - [`trm_trace`]: the recorded solve, its replay, the attempt plan, the page protocol.

// Sudoku code indexes cells, units and digits by number: index loops read best there.
#![allow(clippy::needless_range_loop)]

pub use trm_puzzle::sudoku::{augment, encoding, generator, grid, puzzles, solver};
pub use trm_trace::{animation, attempts, formats, playback, protocol, trace};
pub use {trm_puzzle, trm_trace};

#[cfg(not(target_arch = "wasm32"))]
pub mod allocator;
#[cfg(not(target_arch = "wasm32"))]
pub mod checkpoint;
pub mod cpu_pool;
pub mod data;
pub mod error;
pub mod inference;
pub mod maze_inference;
pub mod model;
pub mod recursion;
pub mod task;
pub mod training;
pub mod weights;

pub use error::{Error, ErrorKind};
pub use generator::{Generator, Tier};
pub use grid::{Grid, ParseError};
pub use model::{Trm, TrmConfig};
pub use solver::{SolveError, count_solutions, solve_unique};

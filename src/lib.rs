//! # trm-sudoku
//!
//! Watch a Tiny Recursive Model (TRM, Jolicoeur-Martineau 2025, arXiv 2510.04871) solve
//! Sudoku. This crate holds the Sudoku engine (grid, exact solver, generator, augmentation,
//! token encoding) and the model in burn, with its recursion trace, training and inference.
//! It is backend-agnostic: the device decides (burn's CPU backend `flex`, wgpu/WebGPU, CUDA).

// Sudoku code indexes cells, units and digits by number: index loops read best there.
#![allow(clippy::needless_range_loop)]

#[cfg(not(target_arch = "wasm32"))]
pub mod allocator;
pub mod animation;
pub mod attempts;
pub mod augment;
#[cfg(not(target_arch = "wasm32"))]
pub mod checkpoint;
pub mod cpu_pool;
pub mod data;
pub mod encoding;
pub mod error;
pub mod formats;
pub mod generator;
pub mod grid;
pub mod inference;
pub mod model;
pub mod playback;
pub mod protocol;
pub mod puzzles;
pub mod recursion;
pub mod solver;
pub mod trace;
pub mod training;
pub mod weights;

pub use error::{Error, ErrorKind};
pub use generator::{Generator, Tier};
pub use grid::{Grid, ParseError};
pub use model::{Trm, TrmConfig};
pub use solver::{SolveError, count_solutions, solve_unique};

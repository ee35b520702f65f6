//! # trm-trace
//!
//! A recorded solve of the Tiny Recursive Model as plain data, and everything the page does
//! with it: replay it ([`playback`]), draw it as a GIF ([`animation`]), plan and judge parallel
//! attempts and tell their story ([`attempts`]), and carry it between the page and its model
//! worker ([`protocol`]). The typed JSON files (weights manifest, sample puzzles, training
//! metrics) are in [`formats`].
//!
//! There is no model and no burn here: the model crate records traces, and the page, which
//! never touches a tensor, depends on this crate and `trm-puzzle` only.

// Sudoku code indexes cells, units and digits by number: index loops read best there.
#![allow(clippy::needless_range_loop)]

pub mod animation;
pub mod attempts;
pub mod formats;
pub mod maze_playback;
pub mod playback;
pub mod protocol;
pub mod trace;

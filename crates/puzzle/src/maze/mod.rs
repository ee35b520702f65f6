//! Mazes, the paper's second benchmark (Maze-Hard: 30 × 30, shortest paths of 100–160 moves):
//! the grid in the paper's charset, the rules an answer must satisfy, the shortest paths and an
//! exact solver (a reference only), a seeded generator with tiers, the 8 symmetries of the
//! square, and the model's tokens.

pub mod encoding;
pub mod generator;
pub mod grid;
pub mod rules;
pub mod symmetry;

pub use generator::{MazeGenerator, MazeTier};
pub use grid::{Maze, MazeParseError, Tile};
pub use rules::{MazeSolveError, RuleBreak, check_answer, shortest_paths, solve};
pub use symmetry::Symmetry;

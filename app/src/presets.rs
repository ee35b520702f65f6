//! Sample puzzles shipped in `assets/puzzles.json`, by difficulty, written by `trm presets`.
//! Easy, medium and hard come from the project's generator (seed 2026); extreme ones are
//! classic public hard puzzles. In each tier the ones the shipped model solves come first.

use trm_sudoku::formats::Presets;
use trm_sudoku::generator::Tier;

/// Puzzle used for the warm-up pass.
pub const WARM_UP_PUZZLE: &str = "..3.2.6..9..3.5..1..18.64....81.29..7.......8..67.82....26.95..8..2.3..9..5.1.3..";

/// The shipped puzzles of a tier (empty if the file is unreadable, which a test rules out).
pub fn presets(tier: Tier) -> Vec<String> {
    let all: Presets = serde_json::from_str(include_str!("../../assets/puzzles.json")).unwrap_or_default();
    all.tier(tier).to_vec()
}

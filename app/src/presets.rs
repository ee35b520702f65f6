//! Sample puzzles shipped in `assets/puzzles.json`, by difficulty, written by `trm presets`.
//! Easy, medium and hard come from the project's generator (seed 2026); extreme ones are
//! classic public hard puzzles. In each tier the ones the shipped model solves come first.

use trm_puzzle::sudoku::generator::Tier;
use trm_trace::formats::Presets;

/// The shipped puzzles of a tier (empty if the file is unreadable, which a test rules out).
pub fn presets(tier: Tier) -> Vec<String> {
    let all: Presets = serde_json::from_str(include_str!("../../assets/puzzles.json")).unwrap_or_default();
    all.tier(tier).to_vec()
}

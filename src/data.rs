//! Training data: an unbounded, seeded stream of (puzzle, solution) pairs, either generated
//! along a curriculum of tiers or drawn from puzzle files, with augmentation.
//!
//! Sample `i` is a pure function of `(seed, i, training step)`, so a run resumed from a
//! checkpoint sees exactly the data it would have seen without stopping.

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};

use crate::augment::Augmentation;
use crate::generator::{Generator, Tier};
use crate::grid::CELLS;
use crate::puzzles::Example;

/// One stage of a curriculum.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Stage {
    /// Tier of the puzzles.
    pub tier: Tier,
    /// Most blank cells (81 for no limit): few blanks make an easier start.
    pub max_blanks: usize,
    /// Optimizer steps this stage lasts; the last stage lasts for ever.
    pub steps: usize,
}

/// Where training examples come from.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum DataSource {
    /// Generated puzzles, following the stages in order.
    Curriculum {
        /// The stages.
        stages: Vec<Stage>,
        /// Chance that a sample is drawn from an earlier stage instead, against forgetting.
        review: f64,
    },
    /// Puzzles read from files (`PUZZLE,SOLUTION` lines), drawn uniformly.
    Files {
        /// The paths.
        paths: Vec<String>,
    },
}

impl DataSource {
    /// The default curriculum: easy puzzles with few blanks, growing to full easy, then
    /// medium, hard and extreme.
    pub fn default_curriculum() -> Self {
        DataSource::Curriculum {
            stages: vec![
                Stage { tier: Tier::Easy, max_blanks: 10, steps: 300 },
                Stage { tier: Tier::Easy, max_blanks: 20, steps: 500 },
                Stage { tier: Tier::Easy, max_blanks: 35, steps: 1_000 },
                Stage { tier: Tier::Easy, max_blanks: CELLS, steps: 2_000 },
                Stage { tier: Tier::Medium, max_blanks: CELLS, steps: 6_000 },
                Stage { tier: Tier::Hard, max_blanks: CELLS, steps: usize::MAX },
            ],
            review: 0.25,
        }
    }

    /// A single tier, no curriculum.
    pub fn tier(tier: Tier) -> Self {
        DataSource::Curriculum {
            stages: vec![Stage { tier, max_blanks: CELLS, steps: usize::MAX }],
            review: 0.0,
        }
    }
}

/// Draws examples deterministically.
pub struct ExampleStream {
    source: DataSource,
    files: Vec<Example>,
    augment: bool,
    seed: u64,
}

impl ExampleStream {
    /// A stream over `source`. `files` holds the examples of a `Files` source (read by the
    /// caller, so this module needs no file system and runs in the browser).
    pub fn new(source: DataSource, files: Vec<Example>, augment: bool, seed: u64) -> Result<Self, String> {
        match &source {
            DataSource::Files { .. } if files.is_empty() => {
                return Err("the training files hold no puzzles".to_string());
            }
            DataSource::Curriculum { stages, .. } if stages.is_empty() => {
                return Err("the curriculum has no stages".to_string());
            }
            _ => {}
        }
        Ok(Self { source, files, augment, seed })
    }

    /// The stage index in force at optimizer step `step` (0 for file data).
    pub fn stage_at(&self, step: usize) -> usize {
        match &self.source {
            DataSource::Curriculum { stages, .. } => {
                let mut end = 0usize;
                for (i, stage) in stages.iter().enumerate() {
                    end = end.saturating_add(stage.steps);
                    if step < end {
                        return i;
                    }
                }
                stages.len() - 1
            }
            DataSource::Files { .. } => 0,
        }
    }

    /// Example number `index`, drawn at optimizer step `step`.
    pub fn example(&self, index: u64, step: usize) -> Example {
        let mut rng = ChaCha8Rng::seed_from_u64(mix(self.seed, index));
        let example = match &self.source {
            DataSource::Curriculum { stages, review } => {
                let current = self.stage_at(step);
                let stage = if current > 0 && rng.random_bool(review.clamp(0.0, 1.0)) {
                    &stages[rng.random_range(0..current)]
                } else {
                    &stages[current]
                };
                let generated = Generator::new(rng.random()).generate_with_blanks(stage.tier, stage.max_blanks);
                Example { puzzle: generated.puzzle, solution: generated.solution }
            }
            DataSource::Files { .. } => self.files[rng.random_range(0..self.files.len())],
        };
        if self.augment {
            let aug = Augmentation::random(&mut rng);
            Example { puzzle: aug.apply(&example.puzzle), solution: aug.apply(&example.solution) }
        } else {
            example
        }
    }
}

/// SplitMix64-style mixing of a seed with an index.
pub fn mix(seed: u64, index: u64) -> u64 {
    let mut z = seed ^ index.wrapping_mul(0x9E37_79B9_7F4A_7C15).wrapping_add(0x6A09_E667_F3BC_C909);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::solver::solve_unique;

    #[test]
    fn stream_is_a_pure_function_of_seed_and_index() {
        let stream = ExampleStream::new(DataSource::default_curriculum(), vec![], true, 5).unwrap();
        let a = stream.example(3, 0);
        assert_eq!(a, stream.example(3, 0));
        assert_ne!(a, stream.example(4, 0));
        assert_eq!(solve_unique(&a.puzzle).unwrap().0, a.solution);
        // The first stage limits blanks to 10.
        assert!(CELLS - a.puzzle.givens() <= 10);
    }

    #[test]
    fn stages_follow_the_step_count() {
        let stream = ExampleStream::new(DataSource::default_curriculum(), vec![], false, 0).unwrap();
        assert_eq!(stream.stage_at(0), 0);
        assert_eq!(stream.stage_at(299), 0);
        assert_eq!(stream.stage_at(300), 1);
        assert_eq!(stream.stage_at(usize::MAX - 1), 5);
    }

    #[test]
    fn empty_sources_are_refused() {
        assert!(ExampleStream::new(DataSource::Files { paths: vec![] }, vec![], false, 0).is_err());
        let empty = DataSource::Curriculum { stages: vec![], review: 0.0 };
        assert!(ExampleStream::new(empty, vec![], false, 0).is_err());
    }
}

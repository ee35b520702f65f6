//! Training data: an unbounded, seeded stream of (puzzle, solution) pairs, either generated
//! along a curriculum of tiers or drawn from puzzle files, with augmentation. Sudoku by default;
//! [`DataSource::Mazes`] draws generated mazes instead. The stream hands out tokens, which is
//! all the trainer needs of a task.
//!
//! Sample `i` is a pure function of `(seed, i, training step)`, so a run resumed from a
//! checkpoint sees exactly the data it would have seen without stopping.

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};

pub use trm_puzzle::hash::{fnv1a, mix};

use trm_puzzle::maze::generator::{MazeGenerator, MazeTier};
use trm_puzzle::maze::symmetry::Symmetry;

use crate::augment::Augmentation;
use crate::generator::{Generator, Tier};
use crate::grid::{CELLS, Grid};
use crate::puzzles::Example;
use crate::task::Task;

/// One training example as the model reads it: the puzzle's tokens and its solution's.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenExample {
    /// The puzzle, one token per cell.
    pub puzzle: Vec<u8>,
    /// The solution, one token per cell.
    pub solution: Vec<u8>,
}

impl From<Example> for TokenExample {
    fn from(example: Example) -> Self {
        Self {
            puzzle: crate::encoding::encode(&example.puzzle).to_vec(),
            solution: crate::encoding::encode(&example.solution).to_vec(),
        }
    }
}

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
    /// Every sample drawn from one of several sources, in proportion to their weights: mixed
    /// difficulty from the first step, rather than easy first.
    Mixture {
        /// The parts; weights need not sum to 1.
        parts: Vec<MixPart>,
    },
    /// Generated mazes of one side, each from a tier drawn evenly from `tiers` (list a tier
    /// twice to draw it twice as often), turned by one of the square's 8 symmetries when
    /// augmenting.
    Mazes {
        /// Tiles per row.
        side: usize,
        /// The tiers to draw from.
        tiers: Vec<MazeTier>,
    },
}

/// One source of a [`DataSource::Mixture`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MixPart {
    /// Relative share of the samples.
    pub weight: f64,
    /// Where its puzzles come from.
    pub kind: PartKind,
}

/// Where the puzzles of a mixture part come from.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum PartKind {
    /// Generated puzzles of a tier with at most `max_blanks` blanks.
    Tier {
        /// The tier.
        tier: Tier,
        /// Most blanks (81 for no limit).
        max_blanks: usize,
    },
    /// Generated minimal puzzles of any grade: no given can be removed without losing
    /// uniqueness (see [`Generator::minimal`]).
    Minimal,
    /// Puzzles from a file, one side of the fixed held-out split.
    File {
        /// The path.
        path: String,
        /// Which puzzles of the file.
        split: Split,
    },
}

/// A fixed split of a puzzle file into a training part and a held-out part, by a hash of each
/// puzzle, so that training and evaluation agree on it without writing new files.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Split {
    /// Every puzzle.
    All,
    /// The puzzles outside the held-out part (about 9 in 10).
    Train,
    /// The held-out puzzles (about 1 in 10), never trained on.
    Holdout,
}

impl Split {
    /// Whether `puzzle` belongs to this side of the split.
    pub fn keeps(self, puzzle: &Grid) -> bool {
        let held_out = fnv1a(puzzle.to_line().as_bytes()).is_multiple_of(10);
        match self {
            Split::All => true,
            Split::Train => !held_out,
            Split::Holdout => held_out,
        }
    }

    /// Splits `path@train` or `path@holdout` (no suffix: all) into the path and the split.
    pub fn parse_spec(spec: &str) -> crate::error::Result<(&str, Split)> {
        match spec.rsplit_once('@') {
            Some((path, "train")) => Ok((path, Split::Train)),
            Some((path, "holdout")) => Ok((path, Split::Holdout)),
            Some((_, other)) => {
                Err(crate::error::Error::Config(format!("unknown split {other:?} in {spec:?}: use @train or @holdout")))
            }
            None => Ok((spec, Split::All)),
        }
    }
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

    /// The mixture that continues the shipped model's training: every tier at once, weighted
    /// towards the hard end, plus minimal puzzles and the training part of a 17-clue file.
    pub fn hard_mixture(seventeen_clue: Option<&str>) -> Self {
        let tier = |tier, weight| MixPart { weight, kind: PartKind::Tier { tier, max_blanks: CELLS } };
        let mut parts = vec![
            tier(Tier::Easy, 0.05),
            tier(Tier::Medium, 0.15),
            tier(Tier::Hard, 0.25),
            tier(Tier::Extreme, 0.25),
            MixPart { weight: 0.15, kind: PartKind::Minimal },
        ];
        if let Some(path) = seventeen_clue {
            parts.push(MixPart { weight: 0.15, kind: PartKind::File { path: path.to_string(), split: Split::Train } });
        }
        DataSource::Mixture { parts }
    }

    /// Every maze tier evenly, at side `side`.
    pub fn mazes(side: usize) -> Self {
        DataSource::Mazes { side, tiers: MazeTier::ALL.to_vec() }
    }

    /// The task of the examples this source gives.
    pub fn task(&self) -> Task {
        match self {
            DataSource::Mazes { side, .. } => Task::Maze { side: *side },
            _ => Task::Sudoku,
        }
    }

    /// The files this source reads, with their splits, in the order [`ExampleStream::new`]
    /// expects their examples.
    pub fn files(&self) -> Vec<(String, Split)> {
        match self {
            DataSource::Curriculum { .. } | DataSource::Mazes { .. } => Vec::new(),
            DataSource::Files { paths } => paths.iter().map(|p| (p.clone(), Split::All)).collect(),
            DataSource::Mixture { parts } => parts
                .iter()
                .filter_map(|part| match &part.kind {
                    PartKind::File { path, split } => Some((path.clone(), *split)),
                    _ => None,
                })
                .collect(),
        }
    }

    /// A single tier, no curriculum.
    pub fn tier(tier: Tier) -> Self {
        DataSource::Curriculum { stages: vec![Stage { tier, max_blanks: CELLS, steps: usize::MAX }], review: 0.0 }
    }
}

/// Draws examples deterministically.
pub struct ExampleStream {
    source: DataSource,
    /// One list per entry of [`DataSource::files`], already split.
    files: Vec<Vec<Example>>,
    augment: bool,
    seed: u64,
}

impl ExampleStream {
    /// A stream over `source`. `files` holds the examples of each file of
    /// [`DataSource::files`], in that order (read by the caller, so this module needs no file
    /// system and runs in the browser); the split is applied here.
    pub fn new(source: DataSource, files: Vec<Vec<Example>>, augment: bool, seed: u64) -> crate::error::Result<Self> {
        let specs = source.files();
        if specs.len() != files.len() {
            return Err(crate::error::Error::Config(format!(
                "the data source reads {} files but {} were given",
                specs.len(),
                files.len()
            )));
        }
        let files: Vec<Vec<Example>> = files
            .into_iter()
            .zip(&specs)
            .map(|(examples, (_, split))| examples.into_iter().filter(|e| split.keeps(&e.puzzle)).collect())
            .collect();
        if let Some(((path, _), _)) = specs.iter().zip(&files).find(|(_, f)| f.is_empty()) {
            return Err(crate::error::Error::Config(format!(
                "the training file {path} holds no puzzles (after its split)"
            )));
        }
        match &source {
            DataSource::Files { .. } if files.is_empty() => {
                return Err(crate::error::Error::Config("the training files hold no puzzles".to_string()));
            }
            DataSource::Curriculum { stages, .. } if stages.is_empty() => {
                return Err(crate::error::Error::Config("the curriculum has no stages".to_string()));
            }
            DataSource::Mixture { parts }
                if parts.is_empty() || parts.iter().any(|p| p.weight.is_nan() || p.weight < 0.0) =>
            {
                return Err(crate::error::Error::Config(
                    "a mixture needs at least one part and no negative weights".to_string(),
                ));
            }
            DataSource::Mixture { parts } if parts.iter().map(|p| p.weight).sum::<f64>() <= 0.0 => {
                return Err(crate::error::Error::Config("the mixture's weights sum to zero".to_string()));
            }
            DataSource::Mazes { tiers, .. } if tiers.is_empty() => {
                return Err(crate::error::Error::Config("a maze source needs at least one tier".to_string()));
            }
            DataSource::Mazes { side, .. }
                if !(trm_puzzle::maze::generator::MIN_SIDE..=trm_puzzle::maze::grid::MAX_SIDE).contains(side) =>
            {
                return Err(crate::error::Error::Config(format!(
                    "generated mazes need a side in {}..={}, not {side}",
                    trm_puzzle::maze::generator::MIN_SIDE,
                    trm_puzzle::maze::grid::MAX_SIDE
                )));
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
            DataSource::Files { .. } | DataSource::Mixture { .. } | DataSource::Mazes { .. } => 0,
        }
    }

    /// Examples `first..first + count`, drawn at optimizer step `step`: the same examples as
    /// [`ExampleStream::example`] gives one by one. Natively they are generated on every core,
    /// because a large batch on a GPU refills more slots per step than one core generates in time.
    pub fn examples(&self, first: u64, count: usize, step: usize) -> Vec<TokenExample> {
        let indices = first..first + count as u64;
        #[cfg(not(target_arch = "wasm32"))]
        {
            let threads = std::thread::available_parallelism().map_or(1, |n| n.get()).min(count);
            if threads > 1 {
                let chunk = count.div_ceil(threads) as u64;
                return std::thread::scope(|scope| {
                    let workers: Vec<_> = (0..threads as u64)
                        .map(|t| {
                            let start = first + t * chunk;
                            let end = (start + chunk).min(first + count as u64);
                            scope.spawn(move || (start..end).map(|i| self.example(i, step)).collect::<Vec<_>>())
                        })
                        .collect();
                    // A generator panic is a bug: re-raise it on this thread.
                    workers
                        .into_iter()
                        .flat_map(|w| w.join().unwrap_or_else(|e| std::panic::resume_unwind(e)))
                        .collect()
                });
            }
        }
        indices.map(|i| self.example(i, step)).collect()
    }

    /// Example number `index`, drawn at optimizer step `step`.
    pub fn example(&self, index: u64, step: usize) -> TokenExample {
        let mut rng = ChaCha8Rng::seed_from_u64(mix(self.seed, index));
        let example = match &self.source {
            DataSource::Mazes { side, tiers } => {
                let tier = tiers[rng.random_range(0..tiers.len())];
                let (question, answer) = MazeGenerator::new(rng.random()).generate(*side, tier, index);
                let symmetry = if self.augment { Symmetry::ALL[rng.random_range(0..8)] } else { Symmetry::IDENTITY };
                let encode = |maze| trm_puzzle::maze::encoding::encode(&symmetry.apply(maze));
                return TokenExample { puzzle: encode(&question), solution: encode(&answer) };
            }
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
            DataSource::Files { .. } => {
                let total: usize = self.files.iter().map(Vec::len).sum();
                let mut index = rng.random_range(0..total);
                let mut picked = self.files[0][0];
                for file in &self.files {
                    if index < file.len() {
                        picked = file[index];
                        break;
                    }
                    index -= file.len();
                }
                picked
            }
            DataSource::Mixture { parts } => {
                let total: f64 = parts.iter().map(|p| p.weight).sum();
                let mut ticket = rng.random::<f64>() * total;
                let mut chosen = &parts[parts.len() - 1];
                for part in parts {
                    if ticket < part.weight {
                        chosen = part;
                        break;
                    }
                    ticket -= part.weight;
                }
                match &chosen.kind {
                    PartKind::Tier { tier, max_blanks } => {
                        let generated = Generator::new(rng.random()).generate_with_blanks(*tier, *max_blanks);
                        Example { puzzle: generated.puzzle, solution: generated.solution }
                    }
                    PartKind::Minimal => {
                        let generated = Generator::new(rng.random()).minimal();
                        Example { puzzle: generated.puzzle, solution: generated.solution }
                    }
                    PartKind::File { .. } => {
                        // File parts are numbered in order; `new` checked that none is empty.
                        let file_index = parts[..]
                            .iter()
                            .take_while(|p| !std::ptr::eq(*p, chosen))
                            .filter(|p| matches!(p.kind, PartKind::File { .. }))
                            .count();
                        let file = &self.files[file_index];
                        file[rng.random_range(0..file.len())]
                    }
                }
            }
        };
        let example = if self.augment {
            let aug = Augmentation::random(&mut rng);
            Example { puzzle: aug.apply(&example.puzzle), solution: aug.apply(&example.solution) }
        } else {
            example
        };
        example.into()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::solver::solve_unique;

    fn grid(tokens: &[u8]) -> Grid {
        Grid::parse(&Task::Sudoku.line_of_tokens(tokens)).unwrap()
    }

    #[test]
    fn stream_is_a_pure_function_of_seed_and_index() {
        let stream = ExampleStream::new(DataSource::default_curriculum(), vec![], true, 5).unwrap();
        let a = stream.example(3, 0);
        assert_eq!(a, stream.example(3, 0));
        assert_ne!(a, stream.example(4, 0));
        let (puzzle, solution) = (grid(&a.puzzle), grid(&a.solution));
        assert_eq!(solve_unique(&puzzle).unwrap().0, solution);
        // The first stage limits blanks to 10.
        assert!(CELLS - puzzle.givens() <= 10);
    }

    #[test]
    fn maze_examples_are_solved_mazes_turned_by_a_symmetry() {
        use trm_puzzle::maze::{encoding::decode, rules::check_answer};
        let source = DataSource::Mazes { side: 11, tiers: vec![MazeTier::Hard] };
        assert_eq!(source.task(), Task::Maze { side: 11 });
        let stream = ExampleStream::new(source.clone(), vec![], true, 2).unwrap();
        let plain = ExampleStream::new(source, vec![], false, 2).unwrap();
        let (lo, hi) = MazeTier::Hard.moves(11);
        let mut turned = 0;
        for i in 0..40 {
            let example = stream.example(i, 0);
            assert_eq!(example, stream.example(i, 0));
            assert_eq!(example.puzzle.len(), 121);
            let (question, answer) = (decode(&example.puzzle).unwrap(), decode(&example.solution).unwrap());
            let moves = check_answer(&question, &answer).unwrap();
            assert!((lo..=hi).contains(&moves), "{moves} moves outside {lo}..={hi}");
            turned += usize::from(example != plain.example(i, 0));
        }
        assert!(turned > 20, "augmentation turned only {turned} of 40 mazes");
        let bad = DataSource::Mazes { side: 3, tiers: vec![MazeTier::Easy] };
        let err = ExampleStream::new(bad, vec![], false, 0).err().map(|e| e.to_string()).unwrap_or_default();
        assert!(err.contains("side in 7..=64"), "{err}");
        assert!(ExampleStream::new(DataSource::Mazes { side: 9, tiers: vec![] }, vec![], false, 0).is_err());
    }

    #[test]
    fn a_block_of_examples_is_the_same_as_drawing_them_one_by_one() {
        let stream = ExampleStream::new(DataSource::hard_mixture(None), vec![], true, 9).unwrap();
        // 13 examples over however many cores there are: uneven chunks, order kept.
        let block = stream.examples(40, 13, 7);
        let one_by_one: Vec<TokenExample> = (40..53).map(|i| stream.example(i, 7)).collect();
        assert_eq!(block, one_by_one);
        assert!(stream.examples(40, 0, 7).is_empty());
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

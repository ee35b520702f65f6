//! Seeded generator of unique-solution puzzles in named difficulty tiers.
//!
//! A tier is defined by what it takes to solve the puzzle:
//! - **easy**: naked and hidden singles only;
//! - **medium**: also locked candidates and naked/hidden pairs and triples, but no guessing;
//! - **hard**: those techniques get stuck, and the exact solver needs a little search
//!   (at most [`HARD_MAX_GUESSES`] branch trials to prove uniqueness);
//! - **extreme**: more search than that.
//!
//! Easy and medium puzzles are dug from a random solved grid, keeping a removal only while the
//! technique-limited solver still finishes (which also proves uniqueness, so no search is
//! needed). Hard and extreme puzzles are dug down to a minimal unique puzzle and kept when their
//! grade matches.

use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};

use crate::sudoku::grid::{CELLS, Grid, PEERS, UNITS};
use crate::sudoku::solver::{count_solutions, solve_with_order};

/// Most exact-solver branch trials a *hard* puzzle may need; more makes it *extreme*.
pub const HARD_MAX_GUESSES: u64 = 12;

/// A difficulty tier.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Tier {
    /// Singles only.
    Easy,
    /// Locked candidates, pairs and triples; no guessing.
    Medium,
    /// Needs a little search.
    Hard,
    /// Needs much search.
    Extreme,
}

impl Tier {
    /// All tiers, easiest first.
    pub const ALL: [Tier; 4] = [Tier::Easy, Tier::Medium, Tier::Hard, Tier::Extreme];

    /// Lower-case name, as used on the command line and in URLs.
    pub fn name(self) -> &'static str {
        match self {
            Tier::Easy => "easy",
            Tier::Medium => "medium",
            Tier::Hard => "hard",
            Tier::Extreme => "extreme",
        }
    }
}

impl std::fmt::Display for Tier {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// A tier name that is none of [`Tier::ALL`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown tier {0:?}; expected easy, medium, hard or extreme")]
pub struct UnknownTier(pub String);

impl std::str::FromStr for Tier {
    type Err = UnknownTier;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Tier::ALL
            .into_iter()
            .find(|t| t.name().eq_ignore_ascii_case(s.trim()))
            .ok_or_else(|| UnknownTier(s.to_string()))
    }
}

/// The hardest technique the logic solver needed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Technique {
    /// Naked and hidden singles.
    Singles,
    /// Locked candidates, naked/hidden pairs and triples.
    Intermediate,
    /// The logic solver got stuck: search is needed.
    Search,
}

/// A graded puzzle.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GeneratedPuzzle {
    /// The puzzle.
    pub puzzle: Grid,
    /// Its unique solution.
    pub solution: Grid,
    /// Its tier.
    pub tier: Tier,
}

/// Grades a puzzle that has a unique solution.
pub fn grade(puzzle: &Grid) -> Tier {
    match hardest_technique(puzzle, Technique::Intermediate) {
        Some(Technique::Singles) => Tier::Easy,
        Some(_) => Tier::Medium,
        None => {
            let report = count_solutions(puzzle, 2);
            if report.stats.guesses <= HARD_MAX_GUESSES { Tier::Hard } else { Tier::Extreme }
        }
    }
}

/// Generates puzzles of a tier from a seed: the same seed gives the same puzzles.
pub struct Generator {
    rng: ChaCha8Rng,
}

impl Generator {
    /// A generator seeded with `seed`.
    pub fn new(seed: u64) -> Self {
        Self { rng: ChaCha8Rng::seed_from_u64(seed) }
    }

    /// A uniformly shuffled solved grid.
    pub fn solved_grid(&mut self) -> Grid {
        let mut orders = [[0u8; 9]; CELLS];
        for order in &mut orders {
            *order = [1, 2, 3, 4, 5, 6, 7, 8, 9];
            order.shuffle(&mut self.rng);
        }
        // An empty grid always has a completion; the fallback is never taken.
        solve_with_order(&Grid::empty(), &|cell| orders[cell]).unwrap_or_default()
    }

    /// The next puzzle of `tier`.
    pub fn generate(&mut self, tier: Tier) -> GeneratedPuzzle {
        self.generate_with_blanks(tier, CELLS)
    }

    /// The next puzzle of `tier` with at most `max_blanks` blank cells. Few blanks make
    /// easier puzzles; the training curriculum starts there.
    pub fn generate_with_blanks(&mut self, tier: Tier, max_blanks: usize) -> GeneratedPuzzle {
        loop {
            let solution = self.solved_grid();
            let mut order: Vec<usize> = (0..CELLS).collect();
            order.shuffle(&mut self.rng);
            let mut puzzle = solution;
            let mut blanks = 0;
            let limit = match tier {
                Tier::Easy => Technique::Singles,
                _ => Technique::Intermediate,
            };
            for &cell in &order {
                if blanks >= max_blanks {
                    break;
                }
                let value = puzzle.get(cell);
                let _ = puzzle.set(cell, 0);
                let keep = match tier {
                    Tier::Easy | Tier::Medium => hardest_technique(&puzzle, limit).is_some(),
                    Tier::Hard | Tier::Extreme => count_solutions(&puzzle, 2).solutions.len() == 1,
                };
                if keep {
                    blanks += 1;
                } else {
                    let _ = puzzle.set(cell, value);
                }
            }
            let graded = grade(&puzzle);
            if graded == tier {
                return GeneratedPuzzle { puzzle, solution, tier };
            }
        }
    }

    /// The next minimal puzzle: a random solved grid dug in random order, removing every given
    /// whose removal keeps the solution unique. No given of the result can be removed, so these
    /// are sparse (typically 21 to 26 givens), like the public 17-clue puzzles, and of any grade.
    pub fn minimal(&mut self) -> GeneratedPuzzle {
        let solution = self.solved_grid();
        let mut order: Vec<usize> = (0..CELLS).collect();
        order.shuffle(&mut self.rng);
        let mut puzzle = solution;
        for &cell in &order {
            let value = puzzle.get(cell);
            let _ = puzzle.set(cell, 0);
            if count_solutions(&puzzle, 2).solutions.len() != 1 {
                let _ = puzzle.set(cell, value);
            }
        }
        let tier = grade(&puzzle);
        GeneratedPuzzle { puzzle, solution, tier }
    }

    /// A uniform random value in `0..n`, for callers that share this generator's stream.
    pub fn below(&mut self, n: usize) -> usize {
        self.rng.random_range(0..n.max(1))
    }
}

/// Solves with techniques up to `limit` and returns the hardest one used, or `None` when
/// they are not enough (or the puzzle is contradictory).
pub fn hardest_technique(puzzle: &Grid, limit: Technique) -> Option<Technique> {
    let mut board = LogicBoard::new(puzzle)?;
    let mut hardest = Technique::Singles;
    loop {
        if !board.singles() {
            return None;
        }
        if board.open == 0 {
            return Some(hardest);
        }
        if limit < Technique::Intermediate {
            return None;
        }
        match board.intermediate() {
            Some(true) => hardest = Technique::Intermediate,
            Some(false) => return None,
            None => return None,
        }
    }
}

/// Candidate board for the human-style logic solver.
struct LogicBoard {
    candidates: [u16; CELLS],
    values: [u8; CELLS],
    open: usize,
}

impl LogicBoard {
    fn new(puzzle: &Grid) -> Option<Self> {
        let mut board = LogicBoard { candidates: [0x1FF; CELLS], values: [0; CELLS], open: CELLS };
        for cell in 0..CELLS {
            let v = puzzle.get(cell);
            if v != 0 && !board.place(cell, v) {
                return None;
            }
        }
        Some(board)
    }

    fn place(&mut self, cell: usize, digit: u8) -> bool {
        let bit = 1u16 << (digit - 1);
        if self.values[cell] != 0 || self.candidates[cell] & bit == 0 {
            return false;
        }
        self.values[cell] = digit;
        self.candidates[cell] = 0;
        self.open -= 1;
        for &peer in &PEERS[cell] {
            let peer = peer as usize;
            if self.values[peer] == digit {
                return false;
            }
            self.candidates[peer] &= !bit;
        }
        true
    }

    /// Naked and hidden singles until stuck. False on a contradiction.
    fn singles(&mut self) -> bool {
        loop {
            let mut progress = false;
            for cell in 0..CELLS {
                if self.values[cell] == 0 {
                    let c = self.candidates[cell];
                    if c == 0 {
                        return false;
                    }
                    if c & (c - 1) == 0 {
                        if !self.place(cell, c.trailing_zeros() as u8 + 1) {
                            return false;
                        }
                        progress = true;
                    }
                }
            }
            for unit in &UNITS {
                for digit in 1..=9u8 {
                    let bit = 1u16 << (digit - 1);
                    let mut spot = None;
                    let mut count = 0;
                    for &cell in unit {
                        let cell = cell as usize;
                        if self.values[cell] == digit {
                            count = 2; // already placed
                            break;
                        }
                        if self.values[cell] == 0 && self.candidates[cell] & bit != 0 {
                            count += 1;
                            spot = Some(cell);
                        }
                    }
                    match (count, spot) {
                        (0, _) => return false,
                        (1, Some(cell)) => {
                            if !self.place(cell, digit) {
                                return false;
                            }
                            progress = true;
                        }
                        _ => {}
                    }
                }
            }
            if !progress || self.open == 0 {
                return true;
            }
        }
    }

    /// One round of intermediate eliminations. Some(true) if anything was eliminated,
    /// Some(false) if nothing, None on a contradiction.
    fn intermediate(&mut self) -> Option<bool> {
        let before = self.candidates;
        self.locked_candidates();
        for size in 2..=3 {
            self.naked_subsets(size);
            self.hidden_subsets(size);
        }
        if (0..CELLS).any(|c| self.values[c] == 0 && self.candidates[c] == 0) {
            return None;
        }
        Some(before != self.candidates)
    }

    /// Pointing (box → line) and claiming (line → box).
    fn locked_candidates(&mut self) {
        for b in 0..9 {
            let boxu = &UNITS[18 + b];
            for line in 0..18 {
                let lineu = &UNITS[line];
                let shared: Vec<usize> = boxu.iter().filter(|c| lineu.contains(c)).map(|&c| c as usize).collect();
                if shared.is_empty() {
                    continue;
                }
                for digit in 0..9 {
                    let bit = 1u16 << digit;
                    let in_shared = shared.iter().any(|&c| self.candidates[c] & bit != 0);
                    if !in_shared {
                        continue;
                    }
                    let box_rest =
                        boxu.iter().any(|&c| !shared.contains(&(c as usize)) && self.candidates[c as usize] & bit != 0);
                    let line_rest = lineu
                        .iter()
                        .any(|&c| !shared.contains(&(c as usize)) && self.candidates[c as usize] & bit != 0);
                    if !box_rest && line_rest {
                        for &c in lineu {
                            if !shared.contains(&(c as usize)) {
                                self.candidates[c as usize] &= !bit;
                            }
                        }
                    } else if !line_rest && box_rest {
                        for &c in boxu {
                            if !shared.contains(&(c as usize)) {
                                self.candidates[c as usize] &= !bit;
                            }
                        }
                    }
                }
            }
        }
    }

    /// `size` open cells of a unit whose candidates together number `size`.
    fn naked_subsets(&mut self, size: usize) {
        for unit in &UNITS {
            let open: Vec<usize> = unit.iter().map(|&c| c as usize).filter(|&c| self.values[c] == 0).collect();
            for combo in combinations(open.len(), size) {
                let union = combo.iter().fold(0u16, |m, &i| m | self.candidates[open[i]]);
                if union.count_ones() as usize == size {
                    for (i, &c) in open.iter().enumerate() {
                        if !combo.contains(&i) {
                            self.candidates[c] &= !union;
                        }
                    }
                }
            }
        }
    }

    /// `size` digits of a unit confined to the same `size` cells.
    fn hidden_subsets(&mut self, size: usize) {
        for unit in &UNITS {
            let mut spots = [0u16; 9]; // per digit, bitmask of unit positions
            let mut open_digits = Vec::new();
            for digit in 0..9 {
                let bit = 1u16 << digit;
                for (i, &c) in unit.iter().enumerate() {
                    if self.values[c as usize] == 0 && self.candidates[c as usize] & bit != 0 {
                        spots[digit] |= 1 << i;
                    }
                }
                if spots[digit] != 0 {
                    open_digits.push(digit);
                }
            }
            for combo in combinations(open_digits.len(), size) {
                let union = combo.iter().fold(0u16, |m, &i| m | spots[open_digits[i]]);
                if union.count_ones() as usize == size {
                    let keep = combo.iter().fold(0u16, |m, &i| m | (1 << open_digits[i]));
                    for (i, &c) in unit.iter().enumerate() {
                        if union & (1 << i) != 0 {
                            self.candidates[c as usize] &= keep;
                        }
                    }
                }
            }
        }
    }
}

/// All `k`-subsets of `0..n` as index lists.
fn combinations(n: usize, k: usize) -> Vec<Vec<usize>> {
    let mut out = Vec::new();
    let mut current = Vec::with_capacity(k);
    fn rec(start: usize, n: usize, k: usize, current: &mut Vec<usize>, out: &mut Vec<Vec<usize>>) {
        if current.len() == k {
            out.push(current.clone());
            return;
        }
        for i in start..n {
            current.push(i);
            rec(i + 1, n, k, current, out);
            current.pop();
        }
    }
    if k <= n {
        rec(0, n, k, &mut current, &mut out);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sudoku::solver::solve_unique;

    #[test]
    fn tiers_parse_and_print() {
        for tier in Tier::ALL {
            assert_eq!(tier.name().parse::<Tier>().unwrap(), tier);
            assert_eq!(tier.to_string(), tier.name());
        }
        assert!("impossible".parse::<Tier>().unwrap_err().to_string().contains("unknown tier"));
    }

    #[test]
    fn same_seed_same_puzzles() {
        let a: Vec<_> = (0..3).map(|_| Generator::new(7).generate(Tier::Easy)).collect();
        let mut g = Generator::new(7);
        let first = g.generate(Tier::Easy);
        assert_eq!(a[0], first);
        assert_ne!(first, g.generate(Tier::Easy));
        assert_ne!(first, Generator::new(8).generate(Tier::Easy));
    }

    #[test]
    fn every_tier_is_unique_solvable_and_graded() {
        let mut generator = Generator::new(1);
        for tier in [Tier::Easy, Tier::Medium, Tier::Hard] {
            for _ in 0..3 {
                let generated = generator.generate(tier);
                assert_eq!(generated.tier, tier);
                assert_eq!(grade(&generated.puzzle), tier);
                let (solution, _) = solve_unique(&generated.puzzle).unwrap();
                assert_eq!(solution, generated.solution);
                if tier == Tier::Medium {
                    // Medium needs more than singles, and intermediate techniques finish it.
                    assert_eq!(hardest_technique(&generated.puzzle, Technique::Singles), None);
                    assert_eq!(
                        hardest_technique(&generated.puzzle, Technique::Intermediate),
                        Some(Technique::Intermediate)
                    );
                }
                if tier == Tier::Hard {
                    // Hard means search within the guess budget, checked apart from `grade`.
                    assert_eq!(hardest_technique(&generated.puzzle, Technique::Intermediate), None);
                    assert!(count_solutions(&generated.puzzle, 2).stats.guesses <= HARD_MAX_GUESSES);
                }
            }
        }
    }

    #[test]
    fn minimal_puzzles_need_every_given() {
        let mut generator = Generator::new(5);
        let minimal = generator.minimal();
        assert_eq!(solve_unique(&minimal.puzzle).unwrap().0, minimal.solution);
        assert!(minimal.puzzle.givens() < 30, "{} givens", minimal.puzzle.givens());
        for cell in (0..CELLS).filter(|&c| minimal.puzzle.get(c) != 0) {
            let mut fewer = minimal.puzzle;
            fewer.set(cell, 0).unwrap();
            assert!(count_solutions(&fewer, 2).solutions.len() > 1, "given {cell} could go");
        }
        assert_eq!(minimal.tier, grade(&minimal.puzzle));
    }

    #[test]
    fn below_draws_across_its_range() {
        let mut generator = Generator::new(9);
        let draws: Vec<usize> = (0..200).map(|_| generator.below(10)).collect();
        assert!(draws.iter().all(|&d| d < 10));
        let distinct: std::collections::BTreeSet<_> = draws.iter().collect();
        assert!(distinct.len() >= 8, "{distinct:?}");
        assert_eq!(generator.below(0), 0);
    }

    #[test]
    fn blanks_are_limited_on_request() {
        let mut generator = Generator::new(3);
        let p = generator.generate_with_blanks(Tier::Easy, 10);
        assert_eq!(CELLS - p.puzzle.givens(), 10);
    }

    #[test]
    fn grades_known_puzzles() {
        // The first puzzle of the forum's hardest list needs search.
        let hard =
            Grid::parse("........8..3...4...9..2..6.....79.......612...6.5.2.7...8...5...1.....2.4.5.....3").unwrap();
        assert_eq!(hardest_technique(&hard, Technique::Intermediate), None);
        // Search decides between hard and extreme, at the guess budget.
        let guesses = count_solutions(&hard, 2).stats.guesses;
        let expected = if guesses <= HARD_MAX_GUESSES { Tier::Hard } else { Tier::Extreme };
        assert_eq!(grade(&hard), expected, "{guesses} guesses");
        // A solved grid minus one cell is a naked single.
        let mut easy =
            Grid::parse("417369825632158947958724316825437169791586432346912758289643571573291684164875293").unwrap();
        easy.set(40, 0).unwrap();
        assert_eq!(grade(&easy), Tier::Easy);
    }

    /// The logic solver never places a wrong digit nor eliminates the true one.
    #[test]
    fn logic_techniques_are_sound_on_public_puzzles() {
        let mut solved = 0;
        for text in [
            include_str!("../../../../tests/data/norvig_top95.sample.txt"),
            include_str!("../../../../tests/data/magictour_top1465.sample.txt"),
            include_str!("../../../../tests/data/forum_hardest_1106.sample.txt"),
        ] {
            for line in text.lines() {
                let (puzzle, solution) = Grid::parse_pair(line).unwrap();
                let solution = solution.unwrap();
                let mut board = LogicBoard::new(&puzzle).unwrap();
                loop {
                    assert!(board.singles(), "contradiction on {line}");
                    if board.open == 0 {
                        solved += 1;
                        break;
                    }
                    if board.intermediate() != Some(true) {
                        break;
                    }
                }
                for cell in 0..CELLS {
                    let truth = solution.get(cell);
                    if board.values[cell] != 0 {
                        assert_eq!(board.values[cell], truth, "{line}");
                    } else {
                        assert!(board.candidates[cell] & (1 << (truth - 1)) != 0, "{line}: cell {cell}");
                    }
                }
            }
        }
        assert!(solved > 0 && solved < 120, "{solved}");
    }

    /// A board with every candidate open.
    fn empty_board() -> LogicBoard {
        LogicBoard::new(&Grid::empty()).unwrap()
    }

    #[test]
    fn naked_and_hidden_singles_are_placed() {
        // A lone candidate in a cell whose units leave every digit several spots: only the
        // naked-single rule can place it.
        let mut board = empty_board();
        board.candidates[0] = 1 << 4;
        assert!(board.singles());
        assert_eq!((board.values[0], board.open), (5, CELLS - 1));
        assert!(PEERS[0].iter().all(|&peer| board.candidates[peer as usize] & (1 << 4) == 0));

        // A digit left one spot in a row whose cells keep several candidates: only the
        // hidden-single rule can place it.
        let mut board = empty_board();
        for cell in (0..9).filter(|&c| c != 3) {
            board.candidates[cell] &= !(1 << 6);
        }
        assert!(board.singles());
        assert_eq!((board.values[3], board.open), (7, CELLS - 1));

        // A digit with no spot left in a row is a contradiction, though every cell still has
        // candidates.
        let mut board = empty_board();
        for cell in 0..9 {
            board.candidates[cell] &= !(1 << 6);
        }
        assert!(!board.singles());
    }

    #[test]
    fn locked_candidates_point_and_claim() {
        let five = 1u16 << 4;
        let box0_rows_1_2 = [9, 10, 11, 18, 19, 20];
        // Pointing: in box 0, 5 is left only on row 0, so the rest of row 0 loses it.
        let mut board = empty_board();
        for cell in box0_rows_1_2 {
            board.candidates[cell] &= !five;
        }
        board.locked_candidates();
        assert!((3..9).all(|c| board.candidates[c] & five == 0));
        assert!((0..3).all(|c| board.candidates[c] & five != 0));
        assert!((27..CELLS).all(|c| board.candidates[c] & five != 0), "other rows keep 5");
        // Claiming: on row 0, 5 is left only in box 0, so the rest of box 0 loses it.
        let mut board = empty_board();
        for cell in 3..9 {
            board.candidates[cell] &= !five;
        }
        board.locked_candidates();
        assert!(box0_rows_1_2.iter().all(|&c| board.candidates[c] & five == 0));
        assert!((0..3).all(|c| board.candidates[c] & five != 0));
        assert!((12..18).chain(21..27).all(|c| board.candidates[c] & five != 0), "other boxes keep 5");
        // Pointing in the last box: there 5 is left only on row 8, so cells 72-77 lose it.
        let mut board = empty_board();
        for cell in [60, 61, 62, 69, 70, 71] {
            board.candidates[cell] &= !five;
        }
        board.locked_candidates();
        assert!((72..78).all(|c| board.candidates[c] & five == 0));
        assert!((78..81).all(|c| board.candidates[c] & five != 0));
        // Nothing is locked on an empty board.
        let mut board = empty_board();
        board.locked_candidates();
        assert!(board.candidates.iter().all(|&c| c == 0x1FF));
    }

    #[test]
    fn naked_and_hidden_pairs_eliminate() {
        let one_two = 0b11u16;
        // Naked pair: cells 0 and 1 hold only {1, 2}, so row 0 and box 0 lose 1 and 2 elsewhere.
        let mut board = empty_board();
        board.candidates[0] = one_two;
        board.candidates[1] = one_two;
        board.naked_subsets(2);
        assert!((2..9).chain([9, 10, 11, 18, 19, 20]).all(|c| board.candidates[c] == 0x1FF & !one_two));
        assert_eq!((board.candidates[0], board.candidates[1]), (one_two, one_two));
        assert_eq!(board.candidates[27], 0x1FF, "column 0 below box 0 is untouched");
        // Hidden pair: on row 0, digits 1 and 2 fit only cells 0 and 1, which lose the rest.
        let mut board = empty_board();
        for cell in 2..9 {
            board.candidates[cell] &= !one_two;
        }
        board.hidden_subsets(2);
        assert_eq!((board.candidates[0], board.candidates[1]), (one_two, one_two));
        assert!((2..9).all(|c| board.candidates[c] == 0x1FF & !one_two));
        assert_eq!(board.candidates[9], 0x1FF);
        // Neither fires on an empty board.
        let mut board = empty_board();
        for size in 2..=3 {
            board.naked_subsets(size);
            board.hidden_subsets(size);
        }
        assert!(board.candidates.iter().all(|&c| c == 0x1FF));
    }

    #[test]
    fn combinations_count() {
        assert_eq!(combinations(5, 2).len(), 10);
        assert_eq!(combinations(6, 3).len(), 20);
        assert!(combinations(2, 3).is_empty());
    }
}

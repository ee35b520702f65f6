//! Exact solver: bitmask candidates, naked and hidden singles, fewest-candidates branching.
//!
//! It is the ground truth for everything else (the generator's uniqueness check, the data's
//! labels, the web page's "disagrees with the solution" overlay), so it counts solutions up
//! to a limit instead of stopping at the first, and reports how much search it needed.

use crate::sudoku::grid::{CELLS, Grid, PEERS, UNITS};

const ALL: u16 = 0x1FF;

/// How much work a solve took.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SearchStats {
    /// Branch trials: every digit tried at a branching cell, the first included.
    pub guesses: u64,
    /// Branches that ended in a contradiction.
    pub dead_ends: u64,
    /// Cells filled by naked singles (propagation).
    pub naked_singles: u64,
    /// Cells filled by hidden singles.
    pub hidden_singles: u64,
    /// Deepest branching level reached.
    pub max_depth: u32,
}

/// Result of counting solutions up to a limit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SolveReport {
    /// Solutions found, at most the limit, in the order found.
    pub solutions: Vec<Grid>,
    /// True when the search space was fully explored, so `solutions.len()` is the exact count.
    pub exhausted: bool,
    /// Work done.
    pub stats: SearchStats,
}

impl SolveReport {
    /// The single solution when there is exactly one.
    pub fn unique(&self) -> Option<Grid> {
        (self.exhausted && self.solutions.len() == 1).then(|| self.solutions[0])
    }
}

/// Why a puzzle has no single answer.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SolveError {
    /// Two givens already share a unit.
    #[error("the puzzle breaks the rules: {digit} appears twice, at row {r1} column {c1} and row {r2} column {c2}", r1 = first / 9 + 1, c1 = first % 9 + 1, r2 = second / 9 + 1, c2 = second % 9 + 1)]
    Contradictory {
        /// The repeated digit.
        digit: u8,
        /// 0-based cell of one occurrence.
        first: usize,
        /// 0-based cell of the other.
        second: usize,
    },
    /// The givens are consistent, but no completion exists.
    #[error("the puzzle has no solution")]
    Unsolvable,
    /// More than one completion exists.
    #[error("the puzzle has more than one solution ({givens} givens); a proper Sudoku has exactly one")]
    MultipleSolutions {
        /// Number of givens.
        givens: usize,
        /// Two different completions.
        examples: Box<[Grid; 2]>,
    },
}

/// Solves a puzzle that must have exactly one solution, with a clear error otherwise.
pub fn solve_unique(puzzle: &Grid) -> Result<(Grid, SearchStats), SolveError> {
    if let Some(conflict) = puzzle.conflicts().first() {
        return Err(SolveError::Contradictory {
            digit: conflict.digit,
            first: conflict.cell,
            second: conflict.peers[0],
        });
    }
    let report = count_solutions(puzzle, 2);
    match report.solutions.len() {
        0 => Err(SolveError::Unsolvable),
        1 => Ok((report.solutions[0], report.stats)),
        _ => Err(SolveError::MultipleSolutions {
            givens: puzzle.givens(),
            examples: Box::new([report.solutions[0], report.solutions[1]]),
        }),
    }
}

/// Finds up to `limit` solutions (0 means 1), exploring the whole tree when fewer exist.
pub fn count_solutions(puzzle: &Grid, limit: usize) -> SolveReport {
    let mut search = Search::new(limit.max(1), None);
    let exhausted = match State::from_grid(puzzle, &mut search.stats) {
        Some(state) => search.run(state, 0),
        None => true,
    };
    SolveReport { solutions: search.solutions, exhausted, stats: search.stats }
}

/// Finds one solution, trying digits in the order `order` gives for each branching cell.
/// With a shuffled order this draws a random completion: the generator uses it on an
/// empty grid to make random solved grids.
pub fn solve_with_order(puzzle: &Grid, order: &dyn Fn(usize) -> [u8; 9]) -> Option<Grid> {
    let mut search = Search::new(1, Some(order));
    let state = State::from_grid(puzzle, &mut search.stats)?;
    search.run(state, 0);
    search.solutions.first().copied()
}

/// Candidate state of a partial grid. Small and `Copy`, so branching just copies it.
#[derive(Clone, Copy)]
struct State {
    /// Candidate digits of each cell, bit d-1 for digit d. A filled cell has one bit.
    candidates: [u16; CELLS],
    /// 0 for an open cell, else its digit.
    values: [u8; CELLS],
    open: u8,
}

impl State {
    fn from_grid(grid: &Grid, stats: &mut SearchStats) -> Option<State> {
        let mut state = State { candidates: [ALL; CELLS], values: [0; CELLS], open: CELLS as u8 };
        let mut queue = Queue::default();
        for cell in 0..CELLS {
            let v = grid.get(cell);
            if v != 0 && !state.assign(cell, v, &mut queue) {
                return None;
            }
        }
        state.propagate(&mut queue, stats).then_some(state)
    }

    /// Places `digit` in `cell` and removes it from the peers, queueing peers left with one
    /// candidate. False on a contradiction.
    #[inline]
    fn assign(&mut self, cell: usize, digit: u8, queue: &mut Queue) -> bool {
        let bit = 1u16 << (digit - 1);
        if self.candidates[cell] & bit == 0 {
            return false;
        }
        self.values[cell] = digit;
        self.candidates[cell] = bit;
        self.open -= 1;
        for &peer in &PEERS[cell] {
            let peer = peer as usize;
            let c = self.candidates[peer];
            if c & bit != 0 {
                if self.values[peer] != 0 {
                    return false;
                }
                let c = c & !bit;
                self.candidates[peer] = c;
                if c == 0 {
                    return false;
                }
                if c & (c - 1) == 0 {
                    queue.push(peer as u8);
                }
            }
        }
        true
    }

    /// Naked and hidden singles until nothing changes. False on a contradiction.
    fn propagate(&mut self, queue: &mut Queue, stats: &mut SearchStats) -> bool {
        loop {
            while let Some(cell) = queue.pop() {
                let cell = cell as usize;
                if self.values[cell] == 0 {
                    let digit = self.candidates[cell].trailing_zeros() as u8 + 1;
                    stats.naked_singles += 1;
                    if !self.assign(cell, digit, queue) {
                        return false;
                    }
                }
            }
            if self.open == 0 {
                return true;
            }
            let mut found = false;
            for unit in &UNITS {
                let mut once = 0u16;
                let mut twice = 0u16;
                let mut placed = 0u16;
                for &cell in unit {
                    let cell = cell as usize;
                    let c = self.candidates[cell];
                    if self.values[cell] != 0 {
                        placed |= c;
                    } else {
                        twice |= once & c;
                        once |= c;
                    }
                }
                if (once | placed) != ALL {
                    return false; // some digit has no place left in this unit
                }
                let mut hidden = once & !twice & !placed;
                while hidden != 0 {
                    let bit = hidden & hidden.wrapping_neg();
                    hidden ^= bit;
                    let digit = bit.trailing_zeros() as u8 + 1;
                    // The cell may have been filled by an earlier single in this unit.
                    if let Some(&cell) =
                        unit.iter().find(|&&c| self.values[c as usize] == 0 && self.candidates[c as usize] & bit != 0)
                    {
                        stats.hidden_singles += 1;
                        if !self.assign(cell as usize, digit, queue) {
                            return false;
                        }
                        found = true;
                    }
                }
                if found && !queue.is_empty() {
                    break; // let naked singles run before scanning further units
                }
            }
            if !found && queue.is_empty() {
                return true;
            }
        }
    }

    /// The open cell with the fewest candidates.
    fn branch_cell(&self) -> usize {
        let mut best = 0;
        let mut best_count = u32::MAX;
        for cell in 0..CELLS {
            if self.values[cell] == 0 {
                let count = self.candidates[cell].count_ones();
                if count < best_count {
                    best = cell;
                    best_count = count;
                    if count == 2 {
                        break;
                    }
                }
            }
        }
        best
    }

    fn to_grid(self) -> Grid {
        Grid::from_cells(self.values).unwrap_or_default()
    }
}

/// Fixed-size queue of cells waiting for naked-single placement.
#[derive(Default)]
struct Queue {
    cells: Vec<u8>,
}

impl Queue {
    #[inline]
    fn push(&mut self, cell: u8) {
        self.cells.push(cell);
    }
    #[inline]
    fn pop(&mut self) -> Option<u8> {
        self.cells.pop()
    }
    fn is_empty(&self) -> bool {
        self.cells.is_empty()
    }
}

struct Search<'a> {
    limit: usize,
    order: Option<&'a dyn Fn(usize) -> [u8; 9]>,
    solutions: Vec<Grid>,
    stats: SearchStats,
    queue: Queue,
}

impl<'a> Search<'a> {
    fn new(limit: usize, order: Option<&'a dyn Fn(usize) -> [u8; 9]>) -> Self {
        Self {
            limit,
            order,
            solutions: Vec::new(),
            stats: SearchStats::default(),
            queue: Queue { cells: Vec::with_capacity(CELLS) },
        }
    }

    /// Depth-first search. Returns false when it stopped early at the limit.
    fn run(&mut self, state: State, depth: u32) -> bool {
        if state.open == 0 {
            self.solutions.push(state.to_grid());
            return self.solutions.len() < self.limit;
        }
        self.stats.max_depth = self.stats.max_depth.max(depth + 1);
        let cell = state.branch_cell();
        let candidates = state.candidates[cell];
        let digits = match self.order {
            Some(order) => order(cell),
            None => [1, 2, 3, 4, 5, 6, 7, 8, 9],
        };
        for digit in digits {
            if digit == 0 || candidates & (1 << (digit - 1)) == 0 {
                continue;
            }
            self.stats.guesses += 1;
            let mut next = state;
            self.queue.cells.clear();
            let mut stats = self.stats;
            let ok = next.assign(cell, digit, &mut self.queue) && next.propagate(&mut self.queue, &mut stats);
            self.stats = stats;
            if !ok {
                self.stats.dead_ends += 1;
                continue;
            }
            if !self.run(next, depth + 1) {
                return false;
            }
        }
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sudoku::grid::samples::{PUZZLE as TOP95_1, SOLUTION as TOP95_1_SOLUTION};

    #[test]
    fn solves_a_hard_puzzle_uniquely() {
        let puzzle = Grid::parse(TOP95_1).unwrap();
        let (solution, stats) = solve_unique(&puzzle).unwrap();
        assert_eq!(solution.to_line(), TOP95_1_SOLUTION);
        assert!(stats.guesses > 0, "top95 #1 needs search");
        solution.check_solves(&puzzle).unwrap();
    }

    #[test]
    fn solved_grid_needs_no_search() {
        let grid = Grid::parse(TOP95_1_SOLUTION).unwrap();
        let report = count_solutions(&grid, 2);
        assert_eq!(report.unique(), Some(grid));
        assert_eq!(report.stats.guesses, 0);
    }

    #[test]
    fn detects_multiple_solutions() {
        // Without its 8s and 9s, swapping those two digits everywhere gives a second answer.
        let puzzle = Grid::parse(&TOP95_1_SOLUTION.replace(['8', '9'], ".")).unwrap();
        match solve_unique(&puzzle) {
            Err(SolveError::MultipleSolutions { examples, givens }) => {
                assert_eq!(givens, 63);
                assert_ne!(examples[0], examples[1]);
                examples[0].check_solves(&puzzle).unwrap();
                examples[1].check_solves(&puzzle).unwrap();
            }
            other => panic!("expected multiple solutions, got {other:?}"),
        }
        let empty = count_solutions(&Grid::empty(), 5);
        assert_eq!(empty.solutions.len(), 5);
        assert!(!empty.exhausted);
    }

    #[test]
    fn detects_contradictions_and_dead_ends() {
        let mut grid = Grid::parse(TOP95_1).unwrap();
        grid.set(1, 4).unwrap();
        assert!(matches!(solve_unique(&grid), Err(SolveError::Contradictory { digit: 4, first: 0, second: 1 })));
        // Consistent givens with no completion: row 0 holds 1..8, and column 8 holds a 9 lower down.
        let mut line = String::from("12345678.");
        line.push_str("........9");
        line.push_str(&".".repeat(63));
        let grid = Grid::parse(&line).unwrap();
        assert_eq!(solve_unique(&grid), Err(SolveError::Unsolvable));
        // The whole tree was explored and held nothing: no unique solution, and no panic.
        let report = count_solutions(&grid, 2);
        assert!(report.exhausted && report.solutions.is_empty());
        assert_eq!(report.unique(), None);
    }

    #[test]
    fn two_solutions_found_exhaustively_are_not_unique() {
        let puzzle = Grid::parse(&TOP95_1_SOLUTION.replace(['8', '9'], ".")).unwrap();
        let report = count_solutions(&puzzle, 64);
        assert!(report.exhausted, "a limit above the count explores the whole tree");
        assert!(report.solutions.len() >= 2);
        assert_eq!(report.unique(), None);
    }

    #[test]
    fn a_deadly_rectangle_costs_one_branch_of_two_guesses() {
        // Cells 1, 3 (row 0) and 10, 12 (row 1) hold 1 3 / 3 1 in two boxes: blanked, each has
        // the candidates {1, 3} and no unit pins either digit, so the search branches once at
        // depth 1, and each of the two guesses fills the other three cells as naked singles.
        let mut line = TOP95_1_SOLUTION.to_string();
        for cell in [1, 3, 10, 12] {
            line.replace_range(cell..cell + 1, ".");
        }
        let report = count_solutions(&Grid::parse(&line).unwrap(), 64);
        assert!(report.exhausted);
        assert_eq!(report.solutions.len(), 2);
        assert_eq!(report.solutions[0].to_line(), TOP95_1_SOLUTION, "digit 1 is tried first at cell 1");
        let stats = report.stats;
        assert_eq!((stats.guesses, stats.dead_ends, stats.max_depth), (2, 0, 1));
        assert_eq!((stats.naked_singles, stats.hidden_singles), (6, 0));
        // Stopping at the first solution: one guess.
        assert_eq!(count_solutions(&Grid::parse(&line).unwrap(), 1).stats.guesses, 1);
    }

    #[test]
    fn a_cell_left_with_one_candidate_is_a_naked_single() {
        // One blank: once the givens are placed, it has a single candidate, which propagation
        // places as a naked single (not by a unit scan, not by a guess).
        let mut line = TOP95_1_SOLUTION.to_string();
        line.replace_range(40..41, ".");
        let report = count_solutions(&Grid::parse(&line).unwrap(), 2);
        assert_eq!(report.unique(), Some(Grid::parse(TOP95_1_SOLUTION).unwrap()));
        assert_eq!((report.stats.naked_singles, report.stats.hidden_singles, report.stats.guesses), (1, 0, 0));
    }

    #[test]
    fn easy_puzzles_are_solved_by_singles_without_a_guess() {
        // The easy tier is graded as solvable by naked and hidden singles alone, so propagation
        // must finish it: a guess here means a single was missed.
        let mut generator = crate::sudoku::generator::Generator::new(7);
        let mut hidden = 0;
        for _ in 0..5 {
            let generated = generator.generate_with_blanks(crate::sudoku::generator::Tier::Easy, CELLS);
            let report = count_solutions(&generated.puzzle, 2);
            assert_eq!(report.unique(), Some(generated.solution));
            assert_eq!(report.stats.guesses, 0, "{}", generated.puzzle.to_line());
            hidden += report.stats.hidden_singles;
        }
        assert!(hidden > 0, "these puzzles exercise hidden singles too");
    }

    #[test]
    fn random_order_gives_valid_distinct_grids() {
        let a = solve_with_order(&Grid::empty(), &|_| [1, 2, 3, 4, 5, 6, 7, 8, 9]).unwrap();
        let b = solve_with_order(&Grid::empty(), &|_| [9, 8, 7, 6, 5, 4, 3, 2, 1]).unwrap();
        assert!(a.is_solved() && b.is_solved());
        assert_ne!(a, b);
    }
}

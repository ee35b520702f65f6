//! The 9×9 grid: parsing, formatting and rule checks.
//!
//! Cells are stored row-major, `0` for a blank and `1..=9` for a digit. Parsing accepts the
//! forms people paste: an 81-character line (`.`, `0` and `_` are blanks, whitespace is
//! ignored), the 9-line form (optionally with `|`, `-` and `+` box separators), and the
//! `PUZZLE,SOLUTION` lines of the public collections. Every error names where it happened.

use std::fmt;

/// Number of cells in a grid.
pub const CELLS: usize = 81;

/// Row, column and box index of every cell, precomputed.
pub(crate) const fn row_of(cell: usize) -> usize {
    cell / 9
}
pub(crate) const fn col_of(cell: usize) -> usize {
    cell % 9
}
pub(crate) const fn box_of(cell: usize) -> usize {
    (cell / 27) * 3 + (cell % 9) / 3
}

/// The 27 units (9 rows, 9 columns, 9 boxes), each listing its 9 cells.
pub const UNITS: [[u8; 9]; 27] = build_units();

/// The 20 peers (cells sharing a row, column or box) of every cell.
pub const PEERS: [[u8; 20]; CELLS] = build_peers();

const fn build_units() -> [[u8; 9]; 27] {
    let mut units = [[0u8; 9]; 27];
    let mut i = 0;
    while i < 9 {
        let mut j = 0;
        while j < 9 {
            units[i][j] = (i * 9 + j) as u8; // row i
            units[9 + i][j] = (j * 9 + i) as u8; // column i
            let (band, stack) = (i / 3, i % 3);
            units[18 + i][j] = ((band * 3 + j / 3) * 9 + stack * 3 + j % 3) as u8; // box i
            j += 1;
        }
        i += 1;
    }
    units
}

const fn build_peers() -> [[u8; 20]; CELLS] {
    let mut peers = [[0u8; 20]; CELLS];
    let mut cell = 0;
    while cell < CELLS {
        let mut n = 0;
        let mut other = 0;
        while other < CELLS {
            if other != cell
                && (row_of(other) == row_of(cell) || col_of(other) == col_of(cell) || box_of(other) == box_of(cell))
            {
                peers[cell][n] = other as u8;
                n += 1;
            }
            other += 1;
        }
        cell += 1;
    }
    peers
}

/// What went wrong while reading a grid.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ParseError {
    /// A character that is neither a digit, a blank nor a separator.
    #[error(
        "invalid character {ch:?} at line {line}, column {column} (cell {cell}: row {row}, column {col}); use 1-9 for digits and '.', '0' or '_' for blanks",
        row = cell / 9 + 1,
        col = cell % 9 + 1
    )]
    InvalidChar {
        /// The offending character.
        ch: char,
        /// 1-based line of the input.
        line: usize,
        /// 1-based character column within that line.
        column: usize,
        /// 0-based cell index the character would have filled.
        cell: usize,
    },
    /// The input ended before 81 cells were read.
    #[error("too few cells: found {found}, expected 81 (the input ended after cell {found})")]
    TooFew {
        /// Cells read.
        found: usize,
    },
    /// More than 81 cells.
    #[error(
        "too many cells: extra character {ch:?} at line {line}, column {column} (cell 82 or later); expected exactly 81"
    )]
    TooMany {
        /// The first character past cell 81.
        ch: char,
        /// 1-based line of the input.
        line: usize,
        /// 1-based character column within that line.
        column: usize,
    },
    /// A `PUZZLE,SOLUTION` line whose solution is not a completed grid.
    #[error("solution has a blank at cell {cell} (row {row}, column {col})", row = cell / 9 + 1, col = cell % 9 + 1)]
    IncompleteSolution {
        /// 0-based cell index.
        cell: usize,
    },
    /// A `PUZZLE,SOLUTION` line whose solution disagrees with a given.
    #[error("solution has {found} at cell {cell} (row {row}, column {col}) where the puzzle gives {given}", row = cell / 9 + 1, col = cell % 9 + 1)]
    SolutionContradictsGiven {
        /// 0-based cell index.
        cell: usize,
        /// The puzzle's digit.
        given: u8,
        /// The solution's digit.
        found: u8,
    },
    /// A `PUZZLE,SOLUTION` line whose solution breaks a rule.
    #[error("solution breaks the rules: {digit} appears twice, at cells {first} and {second}")]
    InvalidSolution {
        /// The repeated digit.
        digit: u8,
        /// 0-based index of one occurrence.
        first: usize,
        /// 0-based index of the other.
        second: usize,
    },
    /// A line with more than one comma.
    #[error("expected PUZZLE or PUZZLE,SOLUTION but found {fields} comma-separated fields")]
    TooManyFields {
        /// Number of fields found.
        fields: usize,
    },
}

/// A Sudoku grid: 81 cells, 0 for blank, 1..=9 for digits.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Grid {
    cells: [u8; CELLS],
}

impl Default for Grid {
    fn default() -> Self {
        Self::empty()
    }
}

impl Grid {
    /// The grid with every cell blank.
    pub const fn empty() -> Self {
        Self { cells: [0; CELLS] }
    }

    /// Builds a grid from cell values. Fails on a value above 9.
    pub fn from_cells(cells: [u8; CELLS]) -> Result<Self, ParseError> {
        if let Some(cell) = cells.iter().position(|&v| v > 9) {
            return Err(ParseError::InvalidChar {
                ch: char::from_digit(u32::from(cells[cell]) % 36, 36).unwrap_or('?'),
                line: 1,
                column: cell + 1,
                cell,
            });
        }
        Ok(Self { cells })
    }

    /// Parses one grid. See the module docs for the accepted forms.
    pub fn parse(input: &str) -> Result<Self, ParseError> {
        let mut cells = [0u8; CELLS];
        let mut n = 0;
        for (line_index, line) in input.lines().enumerate() {
            if is_separator_line(line) {
                continue;
            }
            for (column_index, ch) in line.chars().enumerate() {
                let value = match ch {
                    '1'..='9' => ch as u8 - b'0',
                    '.' | '0' | '_' => 0,
                    c if c.is_whitespace() || c == '|' || c == '+' => continue,
                    _ => {
                        return Err(ParseError::InvalidChar {
                            ch,
                            line: line_index + 1,
                            column: column_index + 1,
                            cell: n.min(CELLS - 1),
                        });
                    }
                };
                if n == CELLS {
                    return Err(ParseError::TooMany { ch, line: line_index + 1, column: column_index + 1 });
                }
                cells[n] = value;
                n += 1;
            }
        }
        if n < CELLS {
            return Err(ParseError::TooFew { found: n });
        }
        Ok(Self { cells })
    }

    /// Parses a `PUZZLE,SOLUTION` line (as in the public collections) and checks that the
    /// solution is complete, valid and agrees with every given. A line without a comma gives
    /// the puzzle and `None`.
    pub fn parse_pair(line: &str) -> Result<(Grid, Option<Grid>), ParseError> {
        let fields: Vec<&str> = line.split(',').collect();
        match fields.as_slice() {
            [puzzle] => Ok((Grid::parse(puzzle)?, None)),
            [puzzle, solution] => {
                let puzzle = Grid::parse(puzzle)?;
                let solution = Grid::parse(solution)?;
                solution.check_solves(&puzzle)?;
                Ok((puzzle, Some(solution)))
            }
            _ => Err(ParseError::TooManyFields { fields: fields.len() }),
        }
    }

    /// What a visitor pastes: any form [`Grid::parse`] reads, the boxed grid that `trm solve`
    /// prints (also with its lines joined into one, as a one-line field would join them), or a
    /// `PUZZLE,SOLUTION` line as `trm generate` writes it (the solution is checked, then
    /// dropped).
    pub fn parse_pasted(text: &str) -> Result<Grid, ParseError> {
        let text = text.trim();
        if text.contains(',') {
            return Grid::parse_pair(text).map(|(puzzle, _)| puzzle);
        }
        Grid::parse(&without_separator_runs(text))
    }

    /// Checks that `self` is a complete, valid grid that keeps every given of `puzzle`.
    pub fn check_solves(&self, puzzle: &Grid) -> Result<(), ParseError> {
        if let Some(cell) = self.cells.iter().position(|&v| v == 0) {
            return Err(ParseError::IncompleteSolution { cell });
        }
        for cell in 0..CELLS {
            let given = puzzle.cells[cell];
            if given != 0 && given != self.cells[cell] {
                return Err(ParseError::SolutionContradictsGiven { cell, given, found: self.cells[cell] });
            }
        }
        if let Some(conflict) = self.conflicts().first() {
            return Err(ParseError::InvalidSolution {
                digit: conflict.digit,
                first: conflict.cell,
                second: conflict.peers[0],
            });
        }
        Ok(())
    }

    /// The value of a cell: 0 for blank, else 1..=9.
    #[inline]
    pub fn get(&self, cell: usize) -> u8 {
        self.cells[cell]
    }

    /// Sets a cell. Values above 9 are rejected.
    pub fn set(&mut self, cell: usize, value: u8) -> Result<(), ParseError> {
        if value > 9 || cell >= CELLS {
            return Err(ParseError::InvalidChar {
                ch: char::from_digit(u32::from(value) % 36, 36).unwrap_or('?'),
                line: 1,
                column: cell + 1,
                cell: cell.min(CELLS - 1),
            });
        }
        self.cells[cell] = value;
        Ok(())
    }

    /// All 81 cells.
    pub fn cells(&self) -> &[u8; CELLS] {
        &self.cells
    }

    /// Number of filled cells.
    pub fn givens(&self) -> usize {
        self.cells.iter().filter(|&&v| v != 0).count()
    }

    /// Whether every cell is filled.
    pub fn is_complete(&self) -> bool {
        self.cells.iter().all(|&v| v != 0)
    }

    /// A complete grid without conflicts.
    pub fn is_solved(&self) -> bool {
        self.is_complete() && self.conflicts().is_empty()
    }

    /// The 81-character form with `.` for blanks.
    pub fn to_line(&self) -> String {
        self.cells.iter().map(|&v| if v == 0 { '.' } else { (b'0' + v) as char }).collect()
    }

    /// The 9-line form with box separators, for terminals.
    pub fn to_pretty(&self) -> String {
        Self::boxed(|cell| {
            let v = self.cells[cell];
            (if v == 0 { '.' } else { (b'0' + v) as char }).to_string()
        })
    }

    /// Nine lines with box separators, each cell drawn by `draw_cell(index)` (which may add
    /// terminal colours around its character).
    pub fn boxed(draw_cell: impl Fn(usize) -> String) -> String {
        let mut out = String::with_capacity(250);
        for row in 0..9 {
            if row == 3 || row == 6 {
                out.push_str("------+-------+------\n");
            }
            for col in 0..9 {
                if col == 3 || col == 6 {
                    out.push_str("| ");
                }
                out.push_str(&draw_cell(row * 9 + col));
                out.push(if col == 8 { '\n' } else { ' ' });
            }
        }
        out
    }

    /// Every filled cell that shares its digit with a peer, with those peers. Empty for a
    /// grid that breaks no rule. The UI highlights these cells.
    pub fn conflicts(&self) -> Vec<CellConflict> {
        let mut out = Vec::new();
        for cell in 0..CELLS {
            let digit = self.cells[cell];
            if digit == 0 {
                continue;
            }
            let peers: Vec<usize> =
                PEERS[cell].iter().map(|&p| p as usize).filter(|&p| self.cells[p] == digit).collect();
            if !peers.is_empty() {
                out.push(CellConflict { cell, digit, peers });
            }
        }
        out
    }

    /// One flag per cell: true where the cell's digit repeats in its row, column or box.
    pub fn conflict_mask(&self) -> [bool; CELLS] {
        let mut mask = [false; CELLS];
        for conflict in self.conflicts() {
            mask[conflict.cell] = true;
        }
        mask
    }
}

/// A filled cell whose digit also stands in one or more of its peers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CellConflict {
    /// 0-based cell index.
    pub cell: usize,
    /// The repeated digit.
    pub digit: u8,
    /// Peers holding the same digit (never empty).
    pub peers: Vec<usize>,
}

/// `text` with every run of three or more box-drawing characters (`-`, `=`, `+`, with at least
/// one dash or equals sign) replaced by a space: the separator rows of a boxed grid whose lines
/// were joined. Shorter runs stay, so a stray `-` is still reported where it is.
fn without_separator_runs(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut run = String::new();
    let flush = |run: &mut String, out: &mut String| {
        if run.chars().count() >= 3 && run.chars().any(|c| c == '-' || c == '=') {
            out.push(' ');
        } else {
            out.push_str(run);
        }
        run.clear();
    };
    for ch in text.chars() {
        if matches!(ch, '-' | '=' | '+') {
            run.push(ch);
        } else {
            flush(&mut run, &mut out);
            out.push(ch);
        }
    }
    flush(&mut run, &mut out);
    out
}

fn is_separator_line(line: &str) -> bool {
    let trimmed = line.trim();
    !trimmed.is_empty()
        && trimmed.chars().any(|c| c == '-' || c == '=')
        && trimmed.chars().all(|c| matches!(c, '-' | '+' | '|' | '=') || c.is_whitespace())
}

impl std::str::FromStr for Grid {
    type Err = ParseError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Grid::parse(s)
    }
}

impl fmt::Display for Grid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_line())
    }
}

impl fmt::Debug for Grid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Grid({})", self.to_line())
    }
}

#[cfg(test)]
mod peer_tests {
    use super::*;

    #[test]
    fn every_cell_has_its_row_column_and_box_as_its_20_peers() {
        for cell in 0..CELLS {
            let (row, col) = (cell / 9, cell % 9);
            let mut expected: Vec<usize> = (0..CELLS)
                .filter(|&o| o != cell)
                .filter(|&o| o / 9 == row || o % 9 == col || (o / 27 == cell / 27 && o % 9 / 3 == col / 3))
                .collect();
            expected.sort_unstable();
            let mut peers: Vec<usize> = PEERS[cell].iter().map(|&p| p as usize).collect();
            peers.sort_unstable();
            assert_eq!(peers, expected, "cell {cell}");
        }
        // Each unit is 9 distinct cells, and every cell is in exactly 3 units.
        let mut membership = [0; CELLS];
        for unit in UNITS {
            let mut cells: Vec<u8> = unit.to_vec();
            cells.sort_unstable();
            cells.dedup();
            assert_eq!(cells.len(), 9);
            for c in unit {
                membership[c as usize] += 1;
            }
        }
        assert!(membership.iter().all(|&m| m == 3));
    }
}

pub mod samples {
    //! One hard puzzle with its solution, shared by the tests of every crate.
    pub const PUZZLE: &str = "4.....8.5.3..........7......2.....6.....8.4......1.......6.3.7.5..2.....1.4......";
    pub const SOLUTION: &str = "417369825632158947958724316825437169791586432346912758289643571573291684164875293";
}

#[cfg(test)]
mod tests {
    use super::samples::{PUZZLE, SOLUTION};
    use super::*;

    #[test]
    fn units_and_peers_are_consistent() {
        for unit in UNITS {
            let mut seen = [false; CELLS];
            for c in unit {
                assert!(!seen[c as usize]);
                seen[c as usize] = true;
            }
        }
        for cell in 0..CELLS {
            let peers = PEERS[cell];
            assert!(!peers.contains(&(cell as u8)));
            let mut sorted = peers;
            sorted.sort_unstable();
            assert!(sorted.windows(2).all(|w| w[0] < w[1]), "peers of {cell} repeat");
        }
        assert_eq!(box_of(80), 8);
        assert_eq!(box_of(30), 4);
        assert_eq!(UNITS[18 + 4][0], 30);
    }

    #[test]
    fn parses_and_formats_the_line_form() {
        let grid = Grid::parse(PUZZLE).unwrap();
        assert_eq!(grid.get(0), 4);
        assert_eq!(grid.get(1), 0);
        assert_eq!(grid.givens(), 17);
        assert_eq!(grid.to_line(), PUZZLE);
        let zeros = PUZZLE.replace('.', "0");
        assert_eq!(Grid::parse(&zeros).unwrap(), grid);
        let underscores = PUZZLE.replace('.', "_");
        assert_eq!(Grid::parse(&underscores).unwrap(), grid);
    }

    #[test]
    fn parses_the_pretty_form_back() {
        let grid = Grid::parse(SOLUTION).unwrap();
        let pretty = grid.to_pretty();
        assert_eq!(pretty.lines().count(), 11);
        assert_eq!(Grid::parse(&pretty).unwrap(), grid);
        let nine_lines: String =
            SOLUTION.as_bytes().chunks(9).map(|row| format!("  {}\r\n", std::str::from_utf8(row).unwrap())).collect();
        assert_eq!(Grid::parse(&nine_lines).unwrap(), grid);
    }

    #[test]
    fn errors_name_the_position_and_character() {
        let bad = format!("{}x{}", &PUZZLE[..10], &PUZZLE[11..]);
        let err = Grid::parse(&bad).unwrap_err();
        assert_eq!(err, ParseError::InvalidChar { ch: 'x', line: 1, column: 11, cell: 10 });
        let message = err.to_string();
        assert!(message.contains("'x'") && message.contains("column 11"), "{message}");
        assert_eq!(Grid::parse(&PUZZLE[..80]).unwrap_err(), ParseError::TooFew { found: 80 });
        let long = format!("{PUZZLE}7");
        assert_eq!(Grid::parse(&long).unwrap_err(), ParseError::TooMany { ch: '7', line: 1, column: 82 });
        assert_eq!(Grid::parse("").unwrap_err(), ParseError::TooFew { found: 0 });
        // A bad character after 81 cells names the last cell, so the message's row stays 1-9.
        let err = Grid::parse(&format!("{PUZZLE}x")).unwrap_err();
        assert_eq!(err, ParseError::InvalidChar { ch: 'x', line: 1, column: 82, cell: 80 });
        assert!(err.to_string().contains("row 9, column 9"), "{err}");
    }

    #[test]
    fn complete_and_solved_are_told_apart() {
        let puzzle = Grid::parse(PUZZLE).unwrap();
        assert!(!puzzle.is_complete() && !puzzle.is_solved(), "blanks, no conflict: not solved");
        let solution = Grid::parse(SOLUTION).unwrap();
        assert!(solution.is_complete() && solution.is_solved());
        // The first two digits swapped: still complete, but their columns now repeat a digit.
        let mut swapped = solution;
        swapped.set(0, solution.get(1)).unwrap();
        swapped.set(1, solution.get(0)).unwrap();
        assert!(swapped.is_complete() && !swapped.is_solved());
    }

    #[test]
    fn pretty_form_draws_box_separators() {
        let pretty = Grid::parse(PUZZLE).unwrap().to_pretty();
        let lines: Vec<&str> = pretty.lines().collect();
        assert_eq!(lines[0], "4 . . | . . . | 8 . 5");
        assert_eq!(lines[3], "------+-------+------");
        assert_eq!(lines[7], "------+-------+------");
        assert_eq!(lines.len(), 11);
    }

    #[test]
    fn pasted_text_in_the_forms_the_cli_prints_loads() {
        let puzzle = Grid::parse(PUZZLE).unwrap();
        let boxed = puzzle.to_pretty();
        assert_eq!(Grid::parse_pasted(&boxed).unwrap(), puzzle);
        // A one-line field joins the lines: the separator rows end up inline.
        assert_eq!(Grid::parse_pasted(&boxed.replace('\n', " ")).unwrap(), puzzle);
        assert_eq!(Grid::parse_pasted(&boxed.replace('\n', "")).unwrap(), puzzle);
        assert_eq!(Grid::parse_pasted(&format!(" {PUZZLE},{SOLUTION}\n")).unwrap(), puzzle);
        // A solution that breaks a given is refused, as are stray characters.
        let wrong = format!("{PUZZLE},{}", SOLUTION.replacen('4', "1", 1));
        assert!(Grid::parse_pasted(&wrong).is_err());
        let stray = Grid::parse_pasted(&PUZZLE.replacen('.', "-", 1)).unwrap_err();
        assert!(stray.to_string().contains("'-'"), "{stray}");
    }

    #[test]
    fn separator_lines_are_told_from_rows() {
        for line in ["------+-------+------", "  =====  ", "-"] {
            assert!(is_separator_line(line), "{line:?}");
        }
        // No dash or equals sign, blank, or digits among the dashes: not a separator.
        for line in ["| + |", "", "   ", "1-2", "4 . . | . . . | 8 . 5"] {
            assert!(!is_separator_line(line), "{line:?}");
        }
    }

    #[test]
    fn std_traits_agree_with_the_line_form() {
        let grid: Grid = PUZZLE.parse().unwrap();
        assert_eq!(grid, Grid::parse(PUZZLE).unwrap());
        assert!("12x".parse::<Grid>().is_err());
        assert_eq!(grid.to_string(), PUZZLE);
        assert_eq!(format!("{grid:?}"), format!("Grid({PUZZLE})"));
    }

    #[test]
    fn values_above_nine_name_the_value_and_cell() {
        // 12 shows as base-36 'c': the digit the caller passed, at 1-based column 6.
        let mut cells = [0u8; CELLS];
        cells[5] = 12;
        let expected = ParseError::InvalidChar { ch: 'c', line: 1, column: 6, cell: 5 };
        assert_eq!(Grid::from_cells(cells).unwrap_err(), expected);
        let mut grid = Grid::empty();
        assert_eq!(grid.set(5, 12).unwrap_err(), expected);
        // A cell past the grid is named as the last one.
        assert_eq!(grid.set(81, 3).unwrap_err(), ParseError::InvalidChar { ch: '3', line: 1, column: 82, cell: 80 });
        assert_eq!(grid, Grid::empty(), "a rejected set changes nothing");
        cells[5] = 9;
        assert_eq!(Grid::from_cells(cells).unwrap().get(5), 9);
    }

    #[test]
    fn pairs_are_checked() {
        let line = format!("{PUZZLE},{SOLUTION}");
        let (puzzle, solution) = Grid::parse_pair(&line).unwrap();
        assert_eq!(puzzle.to_line(), PUZZLE);
        assert!(solution.unwrap().is_solved());

        let mut wrong = SOLUTION.to_string();
        wrong.replace_range(0..1, "1");
        let err = Grid::parse_pair(&format!("{PUZZLE},{wrong}")).unwrap_err();
        assert_eq!(err, ParseError::SolutionContradictsGiven { cell: 0, given: 4, found: 1 });
        let swapped: String = {
            // swap the first two cells of the solution: still agrees with '4' given? no, use cells 1,2
            let mut b = SOLUTION.as_bytes().to_vec();
            b[1] = b'3';
            String::from_utf8(b).unwrap()
        };
        assert!(matches!(
            Grid::parse_pair(&format!("{PUZZLE},{swapped}")).unwrap_err(),
            ParseError::InvalidSolution { digit: 3, .. }
        ));
        assert_eq!(Grid::parse_pair("1,2,3").unwrap_err(), ParseError::TooManyFields { fields: 3 });
    }

    #[test]
    fn conflicts_are_listed_per_cell() {
        let mut grid = Grid::parse(PUZZLE).unwrap();
        assert!(grid.conflicts().is_empty());
        grid.set(1, 4).unwrap(); // same row as the 4 at cell 0
        let conflicts = grid.conflicts();
        assert_eq!(conflicts.len(), 2);
        assert_eq!(conflicts[0], CellConflict { cell: 0, digit: 4, peers: vec![1] });
        assert_eq!(conflicts[1], CellConflict { cell: 1, digit: 4, peers: vec![0] });
        let mask = grid.conflict_mask();
        assert!(mask[0] && mask[1] && !mask[2]);
        assert!(grid.set(3, 10).is_err());
    }
}

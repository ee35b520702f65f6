//! Token encoding of grids, as in the paper: PAD = 0, blank = 1, digit d = d + 1 (vocab 11).

use crate::sudoku::grid::{CELLS, Grid};

/// Padding token (ignored by the loss; only used for the puzzle-prefix positions).
pub const PAD: u8 = 0;
/// A blank cell.
pub const BLANK: u8 = 1;
/// Number of token ids.
pub const VOCAB: usize = 11;

/// Token of a cell value (0 = blank, 1..=9 = digit).
#[inline]
pub fn token(value: u8) -> u8 {
    value + 1
}

/// Cell value of a token: `None` for PAD, 0 for blank, else the digit.
#[inline]
pub fn value(token: u8) -> Option<u8> {
    match token {
        PAD => None,
        t if (t as usize) < VOCAB => Some(t - 1),
        _ => None,
    }
}

/// The 81 tokens of a grid.
pub fn encode(grid: &Grid) -> [u8; CELLS] {
    let mut out = [0u8; CELLS];
    for (o, &v) in out.iter_mut().zip(grid.cells()) {
        *o = token(v);
    }
    out
}

/// The grid of 81 tokens; PAD and out-of-range tokens become blanks.
pub fn decode(tokens: &[u8; CELLS]) -> Grid {
    let mut cells = [0u8; CELLS];
    for (c, &t) in cells.iter_mut().zip(tokens) {
        *c = value(t).unwrap_or(0);
    }
    Grid::from_cells(cells).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips() {
        let grid =
            Grid::parse("4.....8.5.3..........7......2.....6.....8.4......1.......6.3.7.5..2.....1.4......").unwrap();
        let tokens = encode(&grid);
        assert_eq!(tokens[0], 5);
        assert_eq!(tokens[1], BLANK);
        assert!(tokens.iter().all(|&t| t != PAD && (t as usize) < VOCAB));
        assert_eq!(decode(&tokens), grid);
        assert_eq!(value(PAD), None);
        assert_eq!(value(10), Some(9));
        assert_eq!(value(11), None);
    }
}

//! The 8 symmetries of the square (rotations and reflections): a maze under any of them is a
//! maze with the same shortest paths, so attempts can run on transformed copies and map their
//! answers back.

use super::grid::Maze;

/// One symmetry of the square: transpose first (optionally), then flip the rows and/or the
/// columns.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub struct Symmetry {
    /// Swap rows and columns.
    pub transpose: bool,
    /// Reverse the row order (top ↔ bottom).
    pub flip_rows: bool,
    /// Reverse the column order (left ↔ right).
    pub flip_cols: bool,
}

impl Symmetry {
    /// The maze as it is.
    pub const IDENTITY: Symmetry = Symmetry { transpose: false, flip_rows: false, flip_cols: false };

    /// All eight, the identity first.
    pub const ALL: [Symmetry; 8] = {
        let mut all = [Self::IDENTITY; 8];
        let mut i = 0;
        while i < 8 {
            all[i] = Symmetry { transpose: i & 4 != 0, flip_rows: i & 2 != 0, flip_cols: i & 1 != 0 };
            i += 1;
        }
        all
    };

    /// Where the cell `(row, col)` of a maze of side `side` goes.
    pub fn map(&self, side: usize, row: usize, col: usize) -> (usize, usize) {
        let (mut r, mut c) = if self.transpose { (col, row) } else { (row, col) };
        if self.flip_rows {
            r = side - 1 - r;
        }
        if self.flip_cols {
            c = side - 1 - c;
        }
        (r, c)
    }

    /// The maze under this symmetry.
    pub fn apply(&self, maze: &Maze) -> Maze {
        let side = maze.side();
        let mut out = maze.clone();
        for cell in 0..side * side {
            let (r, c) = self.map(side, cell / side, cell % side);
            out.set(r * side + c, maze.get(cell));
        }
        out
    }

    /// A short description: `as given`, or its parts, e.g. `transposed, rows flipped`.
    pub fn describe(&self) -> String {
        let parts: Vec<&str> =
            [(self.transpose, "transposed"), (self.flip_rows, "rows flipped"), (self.flip_cols, "columns flipped")]
                .into_iter()
                .filter_map(|(on, name)| on.then_some(name))
                .collect();
        if parts.is_empty() { "as given".to_string() } else { parts.join(", ") }
    }

    /// The symmetry that undoes this one.
    pub fn inverse(&self) -> Symmetry {
        // A flip after a transpose is a transpose after the other flip.
        if self.transpose {
            Symmetry { transpose: true, flip_rows: self.flip_cols, flip_cols: self.flip_rows }
        } else {
            *self
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_eight_are_distinct_and_each_inverse_undoes_its_symmetry() {
        // An asymmetric maze: every symmetry gives a different one.
        let maze = Maze::parse("S  #\n ## \n   #\n#G  ").unwrap();
        let images: std::collections::HashSet<String> =
            Symmetry::ALL.iter().map(|s| s.apply(&maze).to_line()).collect();
        assert_eq!(images.len(), 8);
        for s in Symmetry::ALL {
            assert_eq!(s.inverse().apply(&s.apply(&maze)), maze, "{s:?}");
            assert_eq!(s.apply(&s.inverse().apply(&maze)), maze, "{s:?}");
        }
        assert_eq!(Symmetry::ALL[0], Symmetry::IDENTITY);
    }
}

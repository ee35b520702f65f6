//! Validity-preserving transforms of a (puzzle, solution) pair, as in the paper's data
//! pipeline: digit relabelling, transpose, band and row-within-band permutations, stack and
//! column-within-stack permutations.

use rand::Rng;
use rand::seq::SliceRandom;

use crate::sudoku::grid::{CELLS, Grid};

/// One Sudoku symmetry. Apply the same one to a puzzle and its solution.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Augmentation {
    /// `digits[d]` replaces digit `d`; `digits[0]` stays 0 (blank).
    pub digits: [u8; 10],
    /// Transpose before permuting.
    pub transpose: bool,
    /// Output row `r` takes source row `rows[r]`.
    pub rows: [u8; 9],
    /// Output column `c` takes source column `cols[c]`.
    pub cols: [u8; 9],
}

impl Augmentation {
    /// The transform that changes nothing.
    pub const IDENTITY: Augmentation = Augmentation {
        digits: [0, 1, 2, 3, 4, 5, 6, 7, 8, 9],
        transpose: false,
        rows: [0, 1, 2, 3, 4, 5, 6, 7, 8],
        cols: [0, 1, 2, 3, 4, 5, 6, 7, 8],
    };

    /// A uniformly drawn symmetry.
    pub fn random(rng: &mut impl Rng) -> Self {
        let mut digits = [0u8; 10];
        let mut relabel: Vec<u8> = (1..=9).collect();
        relabel.shuffle(rng);
        digits[1..].copy_from_slice(&relabel);
        Self { digits, transpose: rng.random_bool(0.5), rows: line_permutation(rng), cols: line_permutation(rng) }
    }

    /// Applies the transform to one grid.
    pub fn apply(&self, grid: &Grid) -> Grid {
        let mut cells = [0u8; CELLS];
        for (out, src) in self.source_cells().into_iter().enumerate() {
            cells[out] = self.digits[grid.get(src) as usize];
        }
        // Digits stay within 0..=9, so this cannot fail.
        Grid::from_cells(cells).unwrap_or_default()
    }

    /// `source_cells()[cell]` is the cell of the original grid that lands on `cell`.
    pub fn source_cells(&self) -> [usize; CELLS] {
        let mut out = [0usize; CELLS];
        for (r, &src_r) in self.rows.iter().enumerate() {
            for (c, &src_c) in self.cols.iter().enumerate() {
                let (sr, sc) = (src_r as usize, src_c as usize);
                out[r * 9 + c] = if self.transpose { sc * 9 + sr } else { sr * 9 + sc };
            }
        }
        out
    }

    /// The transform that undoes this one: `a.inverse().apply(&a.apply(g)) == g`.
    pub fn inverse(&self) -> Augmentation {
        let invert9 = |p: &[u8; 9]| {
            let mut out = [0u8; 9];
            for (i, &v) in p.iter().enumerate() {
                out[v as usize] = i as u8;
            }
            out
        };
        let mut digits = [0u8; 10];
        for (d, &to) in self.digits.iter().enumerate() {
            digits[to as usize] = d as u8;
        }
        // Without transpose, out[r][c] = in[rows[r]][cols[c]], undone by the inverse line
        // permutations. With it, out[r][c] = in[cols[c]][rows[r]]; undoing it is again a
        // transpose, with the roles of the two permutations swapped.
        let (rows, cols) = if self.transpose {
            (invert9(&self.cols), invert9(&self.rows))
        } else {
            (invert9(&self.rows), invert9(&self.cols))
        };
        Augmentation { digits, transpose: self.transpose, rows, cols }
    }

    /// Whether this is the identity.
    pub fn is_identity(&self) -> bool {
        *self == Self::IDENTITY
    }
}

/// A permutation of the 9 lines that keeps bands (or stacks) together.
fn line_permutation(rng: &mut impl Rng) -> [u8; 9] {
    let mut bands = [0u8, 1, 2];
    bands.shuffle(rng);
    let mut out = [0u8; 9];
    for (i, &band) in bands.iter().enumerate() {
        let mut within = [0u8, 1, 2];
        within.shuffle(rng);
        for (j, &w) in within.iter().enumerate() {
            out[i * 3 + j] = band * 3 + w;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sudoku::grid::samples::{PUZZLE, SOLUTION};
    use crate::sudoku::solver::solve_unique;
    use proptest::prelude::*;
    use rand::SeedableRng;
    use rand_chacha::ChaCha8Rng;

    #[test]
    fn identity_changes_nothing() {
        let grid = Grid::parse(PUZZLE).unwrap();
        assert_eq!(Augmentation::IDENTITY.apply(&grid), grid);
    }

    #[test]
    fn transpose_moves_cells() {
        let grid = Grid::parse(SOLUTION).unwrap();
        let t = Augmentation { transpose: true, ..Augmentation::IDENTITY }.apply(&grid);
        assert_eq!(t.get(1), grid.get(9));
        assert_eq!(t.get(9 * 8 + 3), grid.get(3 * 9 + 8));
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(300))]
        #[test]
        fn inverse_undoes_the_transform_both_ways(seed in any::<u64>(), cells in proptest::collection::vec(0u8..=9, CELLS)) {
            let mut rng = ChaCha8Rng::seed_from_u64(seed);
            let aug = Augmentation::random(&mut rng);
            let mut array = [0u8; CELLS];
            array.copy_from_slice(&cells);
            // Any grid, not only valid ones: answers with conflicts are mapped back too.
            let grid = Grid::from_cells(array).unwrap();
            prop_assert_eq!(aug.inverse().apply(&aug.apply(&grid)), grid);
            prop_assert_eq!(aug.apply(&aug.inverse().apply(&grid)), grid);
            prop_assert_eq!(aug.inverse().inverse(), aug);
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(200))]
        #[test]
        fn any_augmentation_keeps_pairs_valid_and_consistent(seed in any::<u64>()) {
            let mut rng = ChaCha8Rng::seed_from_u64(seed);
            let aug = Augmentation::random(&mut rng);
            let puzzle = aug.apply(&Grid::parse(PUZZLE).unwrap());
            let solution = aug.apply(&Grid::parse(SOLUTION).unwrap());
            prop_assert!(solution.is_solved());
            prop_assert!(solution.check_solves(&puzzle).is_ok());
            prop_assert_eq!(puzzle.givens(), 17);
            // Still exactly one solution, and it is the transformed one.
            let (unique, _) = solve_unique(&puzzle).unwrap();
            prop_assert_eq!(unique, solution);
            let mut sorted_rows = aug.rows; sorted_rows.sort_unstable();
            prop_assert_eq!(sorted_rows, [0, 1, 2, 3, 4, 5, 6, 7, 8]);
        }
    }
}

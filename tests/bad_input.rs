//! Bad input never panics: every entry point returns a `Result` with a message.
//! The parser is fuzzed with 100,000+ generated inputs (random text, near-miss puzzles, and
//! mutations of valid ones); the solver, the puzzle-file reader and the weight loader get random
//! input too.

use burn::prelude::*;
use proptest::prelude::*;
use trm_sudoku::grid::{Grid, ParseError};
use trm_sudoku::model::TrmConfig;
use trm_sudoku::puzzles::parse_examples;
use trm_sudoku::solver::{SolveError, solve_unique};
use trm_sudoku::weights;

const PUZZLE: &str = "4.....8.5.3..........7......2.....6.....8.4......1.......6.3.7.5..2.....1.4......";
const SOLUTION: &str = "417369825632158947958724316825437169791586432346912758289643571573291684164875293";

/// Characters a pasted puzzle plausibly contains, plus some that it should not.
fn near_miss_char() -> impl Strategy<Value = char> {
    prop_oneof![
        8 => prop::sample::select(vec!['.', '0', '_', '1', '2', '3', '4', '5', '6', '7', '8', '9']),
        1 => prop::sample::select(vec![' ', '\n', '\r', '\t', '|', '+', '-', '=', ',', 'x', 'é', '\u{0}', '٣']),
        1 => any::<char>(),
    ]
}

fn check_parse(input: &str) {
    match Grid::parse(input) {
        Ok(grid) => {
            assert_eq!(grid.to_line().len(), 81);
            // What parsed must print and parse back to itself.
            assert_eq!(Grid::parse(&grid.to_line()).unwrap(), grid);
        }
        Err(e) => {
            let message = e.to_string();
            assert!(!message.is_empty());
            if let ParseError::InvalidChar { ch, line, column, .. } = e {
                assert!(line >= 1 && column >= 1);
                assert!(message.contains(&format!("{ch:?}")), "{message}");
            }
        }
    }
    let _ = Grid::parse_pair(input).map_err(|e| e.to_string());
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 40_000, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn parser_never_panics_on_arbitrary_text(input in ".{0,200}") {
        check_parse(&input);
    }

    #[test]
    fn parser_never_panics_on_near_misses(chars in prop::collection::vec(near_miss_char(), 60..100)) {
        let input: String = chars.into_iter().collect();
        check_parse(&input);
    }

    #[test]
    fn parser_never_panics_on_mutated_puzzles(
        edits in prop::collection::vec((0usize..170, near_miss_char(), 0u8..3), 1..6)
    ) {
        let mut chars: Vec<char> = format!("{PUZZLE},{SOLUTION}").chars().collect();
        for (at, ch, op) in edits {
            let at = at.min(chars.len());
            match op {
                0 => chars.insert(at, ch),
                1 if at < chars.len() => { chars.remove(at); }
                _ if at < chars.len() => chars[at] = ch,
                _ => {}
            }
        }
        let input: String = chars.into_iter().collect();
        check_parse(&input);
        let _ = parse_examples(&input).map_err(|e| e.to_string());
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 3_000, failure_persistence: None, ..ProptestConfig::default() })]

    /// Random givens: the solver answers with a solution or a clear error, never a panic,
    /// and any solution it returns is right.
    #[test]
    fn solver_handles_any_grid(cells in prop::collection::vec(prop_oneof![6 => Just(0u8), 1 => 1u8..=9], 81)) {
        let grid = Grid::from_cells(cells.try_into().unwrap()).unwrap();
        match solve_unique(&grid) {
            Ok((solution, _)) => prop_assert!(solution.check_solves(&grid).is_ok()),
            Err(SolveError::Contradictory { first, second, .. }) => prop_assert_ne!(first, second),
            Err(e) => prop_assert!(!e.to_string().is_empty()),
        }
    }
}

/// Solutions of `grid` counted up to `limit` by plain backtracking over the first empty cell: an
/// independent check of the solver's uniqueness verdict (slow, so only for puzzles with many
/// givens).
fn brute_force_count(cells: &mut [u8; 81], limit: usize) -> usize {
    let Some(cell) = cells.iter().position(|&v| v == 0) else { return 1 };
    let (row, col) = (cell / 9, cell % 9);
    let mut count = 0;
    for digit in 1..=9u8 {
        let clash = (0..9).any(|i| {
            cells[row * 9 + i] == digit
                || cells[i * 9 + col] == digit
                || cells[(row / 3 * 3 + i / 3) * 9 + col / 3 * 3 + i % 3] == digit
        });
        if !clash {
            cells[cell] = digit;
            count += brute_force_count(cells, limit - count);
            cells[cell] = 0;
            if count >= limit {
                break;
            }
        }
    }
    count
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 600, failure_persistence: None, ..ProptestConfig::default() })]

    /// Real solved grids with random cells blanked: a unique answer is the grid blanked, and the
    /// verdict (unique or several) agrees with a brute-force count.
    #[test]
    fn solver_finds_the_known_solution_of_blanked_real_grids(seed in any::<u64>(), blanks in 10usize..58, order_seed in any::<u64>()) {
        use rand::seq::SliceRandom;
        use rand::SeedableRng;
        let solution = trm_sudoku::Generator::new(seed).solved_grid();
        prop_assert!(solution.is_solved());
        let mut order: Vec<usize> = (0..81).collect();
        order.shuffle(&mut rand_chacha::ChaCha8Rng::seed_from_u64(order_seed));
        let mut puzzle = solution;
        for &cell in &order[..blanks] {
            puzzle.set(cell, 0).unwrap();
        }
        let mut cells = *puzzle.cells();
        let brute = brute_force_count(&mut cells, 2);
        match solve_unique(&puzzle) {
            Ok((found, _)) => {
                prop_assert_eq!(found, solution);
                prop_assert_eq!(brute, 1);
            }
            Err(SolveError::MultipleSolutions { .. }) => prop_assert_eq!(brute, 2),
            Err(e) => prop_assert!(false, "a blanked solved grid always has a solution: {e}"),
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 300, failure_persistence: None, ..ProptestConfig::default() })]

    /// Random or damaged weight files give an error, not a panic.
    #[test]
    fn weight_loader_rejects_garbage(noise in prop::collection::vec(any::<u8>(), 0..4096), cut in 0usize..100_000, flips in prop::collection::vec((0usize..100_000, any::<u8>()), 0..8)) {
        let device = Device::flex();
        let config = TrmConfig::tiny();
        prop_assert!(weights::from_bytes(&config, &noise, &device).is_err());
        let valid = valid_weights();
        let truncated = &valid[..cut.min(valid.len().saturating_sub(1))];
        prop_assert!(weights::from_bytes(&config, truncated, &device).is_err());
        let mut flipped = valid.to_vec();
        for (at, byte) in flips {
            let at = at % flipped.len();
            flipped[at] ^= byte | 1;
        }
        // A flip inside the tensor data can still load (values change); the header must not panic.
        let _ = weights::from_bytes(&config, &flipped, &device);
    }
}

fn valid_weights() -> &'static [u8] {
    static BYTES: std::sync::OnceLock<Vec<u8>> = std::sync::OnceLock::new();
    BYTES.get_or_init(|| weights::to_bytes(&TrmConfig::tiny().init(&Device::flex()), false).unwrap())
}

#[test]
fn clear_errors_for_bad_puzzles() {
    let contradictory = format!("44{}", &PUZZLE[2..]);
    let err = solve_unique(&Grid::parse(&contradictory).unwrap()).unwrap_err();
    assert!(err.to_string().contains("appears twice"), "{err}");
    let err = solve_unique(&Grid::parse(&".".repeat(81)).unwrap()).unwrap_err();
    assert!(err.to_string().contains("more than one solution"), "{err}");
    let err = Grid::parse("12x").unwrap_err();
    assert_eq!(
        err.to_string().split(';').next().unwrap(),
        "invalid character 'x' at line 1, column 3 (cell 2: row 1, column 3)"
    );
}

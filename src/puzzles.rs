//! Puzzle files: one puzzle per line, `PUZZLE` or `PUZZLE,SOLUTION` (the format of the public
//! collections). Blank lines and `#` comments are skipped. Lines without a solution are
//! solved, and must have exactly one.

use std::path::Path;

use crate::grid::{Grid, ParseError};
use crate::solver::{SolveError, solve_unique};

/// A puzzle with its unique solution.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Example {
    /// The puzzle.
    pub puzzle: Grid,
    /// Its solution.
    pub solution: Grid,
}

/// What is wrong with a puzzle file.
#[derive(Debug, thiserror::Error)]
pub enum PuzzleFileError {
    /// The file could not be read.
    #[error("cannot read {path}: {source}")]
    Io {
        /// The path.
        path: String,
        /// The cause.
        source: std::io::Error,
    },
    /// A line does not parse.
    #[error("line {line}: {source}")]
    Parse {
        /// 1-based line number.
        line: usize,
        /// The cause.
        source: ParseError,
    },
    /// A line without a solution that has none, or several.
    #[error("line {line}: {source}")]
    Solve {
        /// 1-based line number.
        line: usize,
        /// The cause.
        source: SolveError,
    },
}

/// Parses puzzle lines from text.
pub fn parse_examples(text: &str) -> Result<Vec<Example>, PuzzleFileError> {
    let mut out = Vec::new();
    for (index, raw) in text.lines().enumerate() {
        let line = raw.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let (puzzle, solution) =
            Grid::parse_pair(line).map_err(|source| PuzzleFileError::Parse { line: index + 1, source })?;
        let solution = match solution {
            Some(solution) => solution,
            None => solve_unique(&puzzle).map_err(|source| PuzzleFileError::Solve { line: index + 1, source })?.0,
        };
        out.push(Example { puzzle, solution });
    }
    Ok(out)
}

/// Reads a puzzle file.
pub fn read_examples(path: impl AsRef<Path>) -> Result<Vec<Example>, PuzzleFileError> {
    let path = path.as_ref();
    let text = std::fs::read_to_string(path)
        .map_err(|source| PuzzleFileError::Io { path: path.display().to_string(), source })?;
    parse_examples(&text)
}

/// Writes examples as `PUZZLE,SOLUTION` lines.
pub fn format_examples(examples: &[Example]) -> String {
    let mut out = String::with_capacity(examples.len() * 164);
    for e in examples {
        out.push_str(&e.puzzle.to_line());
        out.push(',');
        out.push_str(&e.solution.to_line());
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_pairs_and_bare_puzzles_with_line_numbers() {
        let text = "# comment\n\n4.....8.5.3..........7......2.....6.....8.4......1.......6.3.7.5..2.....1.4......\n";
        let examples = parse_examples(text).unwrap();
        assert_eq!(examples.len(), 1);
        assert!(examples[0].solution.is_solved());
        let round = parse_examples(&format_examples(&examples)).unwrap();
        assert_eq!(round, examples);

        let err = parse_examples("# header\n12345678x").unwrap_err();
        assert!(err.to_string().starts_with("line 2: invalid character 'x'"), "{err}");
        let multi = ".".repeat(81);
        let err = parse_examples(&multi).unwrap_err();
        assert!(err.to_string().contains("more than one solution"), "{err}");
    }
}

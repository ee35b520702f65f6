//! Puzzle files: one puzzle per line, `PUZZLE` or `PUZZLE,SOLUTION` (the format of the public
//! collections). Blank lines and `#` comments are skipped. Lines without a solution are
//! solved, and must have exactly one.

#[cfg(not(target_arch = "wasm32"))]
use std::path::Path;

use crate::sudoku::grid::{Grid, ParseError};
use crate::sudoku::solver::{SolveError, solve_unique};

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

/// Reads a text file; one whose name ends in `.gz` is gunzipped (the large collections in
/// `data/` are stored that way).
#[cfg(not(target_arch = "wasm32"))]
pub fn read_text(path: impl AsRef<Path>) -> std::io::Result<String> {
    let path = path.as_ref();
    if path.extension().is_some_and(|e| e == "gz") {
        use std::io::Read;
        let mut text = String::new();
        flate2::read::GzDecoder::new(std::fs::File::open(path)?).read_to_string(&mut text)?;
        Ok(text)
    } else {
        std::fs::read_to_string(path)
    }
}

/// Reads a puzzle file (gzipped where its name ends in `.gz`).
#[cfg(not(target_arch = "wasm32"))]
pub fn read_examples(path: impl AsRef<Path>) -> Result<Vec<Example>, PuzzleFileError> {
    let path = path.as_ref();
    let text = read_text(path).map_err(|source| PuzzleFileError::Io { path: path.display().to_string(), source })?;
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

    #[test]
    fn reads_gzipped_files_and_names_a_damaged_one() {
        use std::io::Write;
        let dir = tempfile::tempdir().unwrap();
        let line = "4.....8.5.3..........7......2.....6.....8.4......1.......6.3.7.5..2.....1.4......\n";
        let path = dir.path().join("one.txt.gz");
        let mut encoder =
            flate2::write::GzEncoder::new(std::fs::File::create(&path).unwrap(), flate2::Compression::best());
        encoder.write_all(line.as_bytes()).unwrap();
        encoder.finish().unwrap();
        assert_eq!(read_examples(&path).unwrap(), parse_examples(line).unwrap());
        // Plain text under a .gz name is no gzip stream: an I/O error that names the file.
        std::fs::write(&path, line).unwrap();
        let err = read_examples(&path).unwrap_err();
        assert!(err.to_string().starts_with(&format!("cannot read {}", path.display())), "{err}");
    }

    #[test]
    fn the_collections_in_data_read_with_their_documented_counts() {
        let data = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../data/sudoku");
        for (file, count) in [("norvig_top95.txt", 95), ("norvig_hardest.txt", 11), ("forum_hardest_1106.txt", 375)] {
            assert_eq!(read_examples(data.join(file)).unwrap().len(), count, "{file}");
        }
        for (file, count) in [
            ("magictour_top1465.txt.gz", 1465),
            ("royle_17clue.txt.gz", 47_151),
            ("forum_hardest_1905_11plus.txt.gz", 48_766),
        ] {
            let examples = read_examples(data.join(file)).unwrap();
            assert_eq!(examples.len(), count, "{file}");
            assert!(examples.iter().all(|e| e.solution.check_solves(&e.puzzle).is_ok()));
        }
    }
}

//! Which puzzle a model reads: the sequence it sees (cells and vocabulary) and how a line of text
//! becomes its tokens. The network, the recursion and training are the same for every task; only
//! these shapes differ, so a model's config names its task and everything else follows from it.

use serde::{Deserialize, Serialize};
use trm_puzzle::maze;

use crate::error::{Error, Result};
use crate::grid::{CELLS, Grid};

/// A puzzle family with a fixed sequence length.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Task {
    /// 9 × 9 Sudoku: 81 cells, tokens PAD, blank and the nine digits.
    Sudoku,
    /// A square maze of `side × side` tiles in the paper's charset (Maze-Hard has side 30).
    Maze {
        /// Tiles per row.
        side: usize,
    },
}

impl Task {
    /// Cells of one puzzle: the tokens after the prefix.
    pub fn cells(self) -> usize {
        match self {
            Task::Sudoku => CELLS,
            Task::Maze { side } => side * side,
        }
    }

    /// Distinct tokens, PAD included.
    pub fn vocab(self) -> usize {
        match self {
            Task::Sudoku => crate::encoding::VOCAB,
            Task::Maze { .. } => maze::encoding::VOCAB,
        }
    }

    /// The tokens an answer's cell is read from: a trace shows the most likely of these, with
    /// the probabilities of all of them (the nine digits of Sudoku; every tile of a maze, so
    /// `1 + index` is the tile's token).
    pub fn answer_tokens(self) -> std::ops::Range<usize> {
        match self {
            Task::Sudoku => 2..crate::encoding::VOCAB,
            Task::Maze { .. } => 1..maze::encoding::VOCAB,
        }
    }

    /// A short name for files and messages: `sudoku`, or `maze-15` for a 15 × 15 maze.
    pub fn name(self) -> String {
        match self {
            Task::Sudoku => "sudoku".to_string(),
            Task::Maze { side } => format!("maze-{side}"),
        }
    }

    /// Checks that a model for this task can be built.
    pub fn validate(self) -> Result<()> {
        match self {
            Task::Sudoku => Ok(()),
            // The page generates mazes of the model's side, and the generator needs at least
            // MIN_SIDE: a config below it is refused here rather than panicking there.
            Task::Maze { side } if (maze::generator::MIN_SIDE..=maze::grid::MAX_SIDE).contains(&side) => Ok(()),
            Task::Maze { side } => Err(Error::Config(format!(
                "maze side {side} is not in {}..={}",
                maze::generator::MIN_SIDE,
                maze::grid::MAX_SIDE
            ))),
        }
    }

    /// The tokens of one puzzle or answer written as a line (81 characters for Sudoku, side²
    /// tiles for a maze).
    pub fn tokens_of_line(self, line: &str) -> Result<Vec<u8>> {
        match self {
            Task::Sudoku => Ok(crate::encoding::encode(&Grid::parse(line)?).to_vec()),
            Task::Maze { side } => {
                let parsed = maze::grid::Maze::parse(line).map_err(|e| Error::Config(format!("not a maze: {e}")))?;
                if parsed.side() != side {
                    return Err(Error::Config(format!(
                        "a maze of side {} where the task has side {side}",
                        parsed.side()
                    )));
                }
                Ok(maze::encoding::encode(&parsed))
            }
        }
    }

    /// The line of text of a puzzle's tokens (the inverse of [`Task::tokens_of_line`]); tokens a
    /// puzzle cannot hold read as blanks (Sudoku) or walls (maze).
    pub fn line_of_tokens(self, tokens: &[u8]) -> String {
        match self {
            Task::Sudoku => {
                let mut cells = [0u8; CELLS];
                for (cell, &token) in cells.iter_mut().zip(tokens) {
                    *cell = crate::encoding::value(token).unwrap_or(0);
                }
                Grid::from_cells(cells).unwrap_or_default().to_line()
            }
            Task::Maze { .. } => {
                tokens.iter().map(|&t| maze::encoding::tile(t).unwrap_or(maze::grid::Tile::Wall).char()).collect()
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shapes_follow_the_task() {
        assert_eq!((Task::Sudoku.cells(), Task::Sudoku.vocab()), (81, 11));
        assert_eq!((Task::Maze { side: 30 }.cells(), Task::Maze { side: 30 }.vocab()), (900, 6));
        assert!(Task::Maze { side: 1 }.validate().is_err());
        assert!(Task::Maze { side: 6 }.validate().is_err(), "below the generator's smallest side");
        assert!(Task::Maze { side: 7 }.validate().is_ok());
        assert!(Task::Maze { side: 65 }.validate().is_err());
        assert!(Task::Maze { side: 15 }.validate().is_ok());
    }

    #[test]
    fn lines_and_tokens_round_trip() {
        let sudoku = "4.....8.5.3..........7......2.....6.....8.4......1.......6.3.7.5..2.....1.4......";
        let tokens = Task::Sudoku.tokens_of_line(sudoku).unwrap();
        assert_eq!(tokens.len(), 81);
        assert_eq!(Task::Sudoku.line_of_tokens(&tokens), sudoku);

        let maze = "S #  ooG#";
        let task = Task::Maze { side: 3 };
        let tokens = task.tokens_of_line(maze).unwrap();
        assert_eq!(tokens, vec![3, 2, 1, 2, 2, 5, 5, 4, 1]);
        assert_eq!(task.line_of_tokens(&tokens), maze);
        let err = Task::Maze { side: 4 }.tokens_of_line(maze).unwrap_err().to_string();
        assert!(err.contains("side 3") && err.contains("side 4"), "{err}");
        assert!(Task::Sudoku.tokens_of_line(maze).is_err());
    }

    #[test]
    fn serialises_with_its_side() {
        let json = serde_json::to_string(&Task::Maze { side: 15 }).unwrap();
        assert_eq!(json, r#"{"maze":{"side":15}}"#);
        assert_eq!(serde_json::from_str::<Task>(&json).unwrap(), Task::Maze { side: 15 });
        assert_eq!(serde_json::from_str::<Task>(r#""sudoku""#).unwrap(), Task::Sudoku);
    }
}

//! Tokens of a maze, one per cell, as in the paper's Maze-Hard data: PAD 0, then one token per
//! tile of the charset. A model's answer decodes back to tiles.

use super::grid::{Maze, MazeParseError, Tile};

/// Number of distinct tokens (PAD and the five tiles).
pub const VOCAB: usize = 6;

/// The padding token.
pub const PAD: u8 = 0;

/// The token of a tile.
pub const fn token(tile: Tile) -> u8 {
    match tile {
        Tile::Wall => 1,
        Tile::Open => 2,
        Tile::Start => 3,
        Tile::Goal => 4,
        Tile::Path => 5,
    }
}

/// The tile of a token; `None` for PAD and unknown tokens.
pub fn tile(token: u8) -> Option<Tile> {
    Some(match token {
        1 => Tile::Wall,
        2 => Tile::Open,
        3 => Tile::Start,
        4 => Tile::Goal,
        5 => Tile::Path,
        _ => return None,
    })
}

/// A maze's tokens, row-major.
pub fn encode(maze: &Maze) -> Vec<u8> {
    maze.tiles().iter().map(|&t| token(t)).collect()
}

/// A maze back from tokens (a PAD or unknown token reads as a wall).
pub fn decode(tokens: &[u8]) -> Result<Maze, MazeParseError> {
    Maze::from_tiles(tokens.iter().map(|&t| tile(t).unwrap_or(Tile::Wall)).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_round_trip_and_pad_is_not_a_tile() {
        let maze = Maze::parse("SoG#").unwrap();
        assert_eq!(encode(&maze), vec![3, 5, 4, 1]);
        assert_eq!(decode(&encode(&maze)).unwrap(), maze);
        assert_eq!(tile(PAD), None);
        assert!((0..VOCAB as u8).filter_map(tile).all(|t| token(t) < VOCAB as u8));
        assert!(decode(&[3, 2, 2, 1]).is_err(), "no goal");
    }
}

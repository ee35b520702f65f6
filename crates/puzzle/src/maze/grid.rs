//! The maze grid: square, one tile per cell, in the paper's charset (`#` wall, space open, `S`
//! start, `G` goal, `o` a cell of the path in an answer). Parsing accepts one maze per line
//! (`side²` characters), the `QUESTION,ANSWER` lines this project writes, the paper's CSV
//! records (`source,question,answer,rating`) and the multi-line form people paste. Every error
//! names where it happened.

use std::fmt;

/// The largest side a maze may have (the paper's are 30).
pub const MAX_SIDE: usize = 64;

/// One cell of a maze.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Tile {
    /// `#`
    Wall,
    /// A space.
    Open,
    /// `S`
    Start,
    /// `G`
    Goal,
    /// `o`: a cell of the path (answers only).
    Path,
}

impl Tile {
    /// The tile's character in the paper's charset.
    pub fn char(self) -> char {
        match self {
            Tile::Wall => '#',
            Tile::Open => ' ',
            Tile::Start => 'S',
            Tile::Goal => 'G',
            Tile::Path => 'o',
        }
    }

    /// The tile of a character, if it is one.
    pub fn from_char(c: char) -> Option<Tile> {
        Some(match c {
            '#' => Tile::Wall,
            ' ' => Tile::Open,
            'S' => Tile::Start,
            'G' => Tile::Goal,
            'o' => Tile::Path,
            _ => return None,
        })
    }

    /// Whether a path may cross it (everything but a wall).
    pub fn passable(self) -> bool {
        self != Tile::Wall
    }
}

/// Why a text is not a maze.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MazeParseError {
    /// Nothing to parse.
    #[error("the maze is empty")]
    Empty,
    /// The character count is not a square.
    #[error("{len} cells is not a square maze (side × side cells, e.g. 900 for 30 × 30)")]
    NotSquare {
        /// Cells found.
        len: usize,
    },
    /// Larger than [`MAX_SIDE`].
    #[error("a maze of side {side} is larger than the largest this code handles ({MAX_SIDE})")]
    TooLarge {
        /// The side.
        side: usize,
    },
    /// A character outside the charset.
    #[error("invalid character {ch:?} at row {}, column {}; use # for walls, spaces for open cells, S, G and o", .cell / .side + 1, .cell % .side + 1)]
    BadChar {
        /// The character.
        ch: char,
        /// Its cell.
        cell: usize,
        /// The maze's side.
        side: usize,
    },
    /// Not exactly one start or one goal.
    #[error("a maze has exactly one S and one G; this one has {starts} S and {goals} G")]
    Ends {
        /// `S` found.
        starts: usize,
        /// `G` found.
        goals: usize,
    },
    /// A question with path cells marked.
    #[error("the question already marks a path (o at row {}, column {})", .cell / .side + 1, .cell % .side + 1)]
    PathInQuestion {
        /// The first marked cell.
        cell: usize,
        /// The maze's side.
        side: usize,
    },
    /// Rows of different lengths in the multi-line form.
    #[error("row {row} has {len} cells where the maze has {side} rows")]
    RaggedRow {
        /// 1-based row.
        row: usize,
        /// Its length.
        len: usize,
        /// Rows in the maze.
        side: usize,
    },
    /// A record without the fields it should have.
    #[error("{0}")]
    Record(String),
}

/// A square maze.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Maze {
    side: usize,
    tiles: Vec<Tile>,
}

impl Maze {
    /// A maze from its tiles, row-major. Checks the shape, the size and that there is one `S`
    /// and one `G`.
    pub fn from_tiles(tiles: Vec<Tile>) -> Result<Self, MazeParseError> {
        let side = side_of(tiles.len())?;
        let starts = tiles.iter().filter(|&&t| t == Tile::Start).count();
        let goals = tiles.iter().filter(|&&t| t == Tile::Goal).count();
        if starts != 1 || goals != 1 {
            return Err(MazeParseError::Ends { starts, goals });
        }
        Ok(Self { side, tiles })
    }

    /// Parses one maze: a line of `side²` characters, or `side` lines of `side` characters.
    /// Only line ends are stripped: a space is an open cell.
    pub fn parse(text: &str) -> Result<Self, MazeParseError> {
        let text = text.strip_suffix('\n').unwrap_or(text);
        let text = text.strip_suffix('\r').unwrap_or(text);
        if text.is_empty() {
            return Err(MazeParseError::Empty);
        }
        let rows: Vec<&str> = text.split('\n').map(|r| r.strip_suffix('\r').unwrap_or(r)).collect();
        let chars: Vec<char> = if rows.len() > 1 {
            for (i, row) in rows.iter().enumerate() {
                let len = row.chars().count();
                if len != rows.len() {
                    return Err(MazeParseError::RaggedRow { row: i + 1, len, side: rows.len() });
                }
            }
            rows.iter().flat_map(|r| r.chars()).collect()
        } else {
            text.chars().collect()
        };
        let side = side_of(chars.len())?;
        let tiles = chars
            .iter()
            .enumerate()
            .map(|(cell, &ch)| Tile::from_char(ch).ok_or(MazeParseError::BadChar { ch, cell, side }))
            .collect::<Result<Vec<_>, _>>()?;
        Self::from_tiles(tiles)
    }

    /// Parses a question: a maze with no path marked.
    pub fn parse_question(text: &str) -> Result<Self, MazeParseError> {
        let maze = Self::parse(text)?;
        match maze.tiles.iter().position(|&t| t == Tile::Path) {
            Some(cell) => Err(MazeParseError::PathInQuestion { cell, side: maze.side }),
            None => Ok(maze),
        }
    }

    /// Cells per side.
    pub fn side(&self) -> usize {
        self.side
    }

    /// Every tile, row-major.
    pub fn tiles(&self) -> &[Tile] {
        &self.tiles
    }

    /// The tile of a cell (`row * side + column`).
    pub fn get(&self, cell: usize) -> Tile {
        self.tiles[cell]
    }

    /// Sets the tile of a cell, with no check: for this crate's builders, which may pass through
    /// states without exactly one `S` and one `G`. Everyone else edits with the methods below,
    /// which keep that invariant ([`Maze::start`] and [`Maze::goal`] rely on it).
    pub(crate) fn set(&mut self, cell: usize, tile: Tile) {
        self.tiles[cell] = tile;
    }

    /// Marks an open cell as path (an answer's mark); false, and nothing changes, elsewhere.
    pub fn mark_path(&mut self, cell: usize) -> bool {
        let open = self.tiles.get(cell) == Some(&Tile::Open);
        if open {
            self.tiles[cell] = Tile::Path;
        }
        open
    }

    /// Turns a wall into an open cell or an open cell into a wall; false, and nothing changes,
    /// for `S`, `G`, path marks and cells outside the maze.
    pub fn toggle_wall(&mut self, cell: usize) -> bool {
        let next = match self.tiles.get(cell) {
            Some(Tile::Wall) => Tile::Open,
            Some(Tile::Open) => Tile::Wall,
            _ => return false,
        };
        self.tiles[cell] = next;
        true
    }

    /// Moves `S` to `cell` (an open cell or a wall); the old start becomes open. False, and
    /// nothing changes, on `G`, on `S` itself or outside the maze.
    pub fn move_start(&mut self, cell: usize) -> bool {
        self.move_end(cell, Tile::Start, Tile::Goal)
    }

    /// Moves `G` to `cell`, as [`Maze::move_start`] moves `S`.
    pub fn move_goal(&mut self, cell: usize) -> bool {
        self.move_end(cell, Tile::Goal, Tile::Start)
    }

    fn move_end(&mut self, cell: usize, end: Tile, other: Tile) -> bool {
        match self.tiles.get(cell) {
            None => return false,
            Some(&t) if t == other => return false,
            Some(&t) if t == end => return false,
            Some(_) => {}
        }
        if let Some(old) = self.tiles.iter().position(|&t| t == end) {
            self.tiles[old] = Tile::Open;
        }
        self.tiles[cell] = end;
        true
    }

    /// The start's cell.
    pub fn start(&self) -> usize {
        self.tiles.iter().position(|&t| t == Tile::Start).expect("a maze has one S")
    }

    /// The goal's cell.
    pub fn goal(&self) -> usize {
        self.tiles.iter().position(|&t| t == Tile::Goal).expect("a maze has one G")
    }

    /// The up-to-four cells next to `cell`.
    pub fn neighbours(&self, cell: usize) -> impl Iterator<Item = usize> + use<> {
        let (side, row, col) = (self.side, cell / self.side, cell % self.side);
        [
            (row > 0).then(|| cell - side),
            (row + 1 < side).then(|| cell + side),
            (col > 0).then(|| cell - 1),
            (col + 1 < side).then(|| cell + 1),
        ]
        .into_iter()
        .flatten()
    }

    /// The same maze with its path marks removed: the question of an answer.
    pub fn question(&self) -> Maze {
        let tiles = self.tiles.iter().map(|&t| if t == Tile::Path { Tile::Open } else { t }).collect();
        Maze { side: self.side, tiles }
    }

    /// The cells marked as path.
    pub fn path_cells(&self) -> usize {
        self.tiles.iter().filter(|&&t| t == Tile::Path).count()
    }

    /// One line of `side²` characters, as in the files.
    pub fn to_line(&self) -> String {
        self.tiles.iter().map(|t| t.char()).collect()
    }
}

impl fmt::Display for Maze {
    /// The maze as `side` rows.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, row) in self.tiles.chunks(self.side).enumerate() {
            if i > 0 {
                f.write_str("\n")?;
            }
            f.write_str(&row.iter().map(|t| t.char()).collect::<String>())?;
        }
        Ok(())
    }
}

/// The side of a square of `len` cells.
fn side_of(len: usize) -> Result<usize, MazeParseError> {
    if len == 0 {
        return Err(MazeParseError::Empty);
    }
    let side = (len as f64).sqrt().round() as usize;
    if side * side != len {
        return Err(MazeParseError::NotSquare { len });
    }
    if side > MAX_SIDE {
        return Err(MazeParseError::TooLarge { side });
    }
    Ok(side)
}

/// A `QUESTION,ANSWER` line (or a bare question): the question, and the answer if present.
/// The answer must be the question with a path marked.
pub fn parse_pair(line: &str) -> Result<(Maze, Option<Maze>), MazeParseError> {
    let line = line.trim_end_matches(['\n', '\r']);
    let Some((question, answer)) = line.split_once(',') else {
        return Ok((Maze::parse_question(line)?, None));
    };
    let question = Maze::parse_question(question)?;
    let answer = Maze::parse(answer)?;
    if answer.question() != question {
        return Err(MazeParseError::Record("the answer is not the question with a path marked".into()));
    }
    Ok((question, Some(answer)))
}

/// A record of the paper's CSV (`source,question,answer,rating`): the question and its answer.
pub fn parse_csv_record(line: &str) -> Result<(Maze, Maze), MazeParseError> {
    let line = line.trim_end_matches(['\n', '\r']);
    let fields: Vec<&str> = line.split(',').collect();
    if fields.len() != 4 {
        return Err(MazeParseError::Record(format!(
            "a CSV record has 4 fields (source,question,answer,rating); this one has {}",
            fields.len()
        )));
    }
    match parse_pair(&format!("{},{}", fields[1], fields[2]))? {
        (question, Some(answer)) => Ok((question, answer)),
        (_, None) => unreachable!("a pair with a comma has an answer"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn edits_keep_one_start_and_one_goal() {
        let mut maze = Maze::parse("S  # #  G").unwrap();
        assert!(!maze.toggle_wall(0) && !maze.toggle_wall(8) && !maze.toggle_wall(99), "S, G, outside");
        assert!(maze.toggle_wall(3) && maze.get(3) == Tile::Open);
        assert!(maze.toggle_wall(1) && maze.get(1) == Tile::Wall);
        assert!(!maze.move_start(8), "S cannot take G's cell");
        assert!(maze.move_start(5) && maze.get(0) == Tile::Open && maze.start() == 5);
        assert!(maze.move_goal(1) && maze.goal() == 1, "a wall can take G");
        assert!(!maze.move_goal(1), "moving onto itself changes nothing");
        assert!(maze.mark_path(4) && !maze.mark_path(5) && !maze.mark_path(1));
        let counts = |m: &Maze, t| m.tiles().iter().filter(|&&x| x == t).count();
        assert_eq!((counts(&maze, Tile::Start), counts(&maze, Tile::Goal)), (1, 1));
        assert_eq!(maze.to_line(), " G  oS   ");
    }

    #[test]
    fn a_line_parses_and_formats_back() {
        let line = "#####S  ##  # ##  G######";
        let maze = Maze::parse(line).unwrap();
        assert_eq!(maze.side(), 5);
        assert_eq!((maze.start(), maze.goal()), (5, 18));
        assert_eq!(maze.to_line(), line);
        assert_eq!(Maze::parse(&maze.to_string()).unwrap(), maze, "the multi-line form");
        assert_eq!(maze.neighbours(0).collect::<Vec<_>>(), vec![5, 1]);
        assert_eq!(maze.neighbours(12).count(), 4);
    }

    #[test]
    fn bad_mazes_say_what_is_wrong() {
        assert_eq!(Maze::parse(""), Err(MazeParseError::Empty));
        assert_eq!(Maze::parse("#S G#"), Err(MazeParseError::NotSquare { len: 5 }));
        let err = Maze::parse("#S.G").unwrap_err();
        assert_eq!(
            err.to_string(),
            "invalid character '.' at row 2, column 1; use # for walls, spaces for open cells, S, G and o"
        );
        assert_eq!(Maze::parse("#S##"), Err(MazeParseError::Ends { starts: 1, goals: 0 }));
        assert_eq!(Maze::parse("SSGG"), Err(MazeParseError::Ends { starts: 2, goals: 2 }));
        assert!(matches!(Maze::parse(&"#".repeat(65 * 65)), Err(MazeParseError::TooLarge { side: 65 })));
        assert_eq!(Maze::parse("S \n G#"), Err(MazeParseError::RaggedRow { row: 2, len: 3, side: 2 }));
        assert!(matches!(Maze::parse_question("SoG#o####"), Err(MazeParseError::PathInQuestion { cell: 1, .. })));
    }

    #[test]
    fn pairs_and_csv_records_parse_and_an_answer_must_fit_its_question() {
        let (q, a) = parse_pair("S G#,SoG#\n").unwrap();
        assert_eq!(q.to_line(), "S G#");
        assert_eq!(a.unwrap().to_line(), "SoG#");
        assert!(parse_pair("S G#,SoGo").unwrap_err().to_string().contains("not the question"));
        let (q, a) = parse_csv_record("maze-hard,S G#,SoG#,0").unwrap();
        assert_eq!((q.to_line(), a.to_line()), ("S G#".into(), "SoG#".into()));
        assert!(parse_csv_record("S G#,SoG#").unwrap_err().to_string().contains("4 fields"));
    }
}

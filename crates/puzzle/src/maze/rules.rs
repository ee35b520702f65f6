//! The rules: an answer marks a simple path of open cells from `S` to `G` and nothing else.
//! Also the shortest paths of a question, found by breadth-first search: their length, whether
//! there is only one (every generated maze has exactly one, so an exact match is correctness),
//! and the exact solver that marks it (a reference, never the model's answer).

use std::collections::VecDeque;

use super::grid::{Maze, Tile};

/// Why an answer breaks the rules; each names a cell (`row * side + column`) where it can.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RuleBreak {
    /// The answer is another size than the question.
    #[error("the answer is {answer} × {answer} where the maze is {question} × {question}")]
    Size {
        /// The question's side.
        question: usize,
        /// The answer's side.
        answer: usize,
    },
    /// A wall, `S` or `G` of the question is different in the answer, or the answer has a wall,
    /// `S` or `G` where the question has an open cell.
    #[error("the answer changes the maze at cell {cell}")]
    MazeChanged {
        /// The cell.
        cell: usize,
    },
    /// `S`, `G` or a path cell with other than one (ends) or two (path cells) marked neighbours.
    #[error("the path forks or breaks at cell {cell}")]
    NotAPath {
        /// The cell.
        cell: usize,
    },
    /// Marked cells that the path from `S` to `G` does not visit (a separate loop).
    #[error("{count} marked cells are not on the path from S to G")]
    Stray {
        /// How many.
        count: usize,
    },
}

/// Checks an answer against its question. Returns the path's length in moves.
pub fn check_answer(question: &Maze, answer: &Maze) -> Result<usize, RuleBreak> {
    if question.side() != answer.side() {
        return Err(RuleBreak::Size { question: question.side(), answer: answer.side() });
    }
    for (cell, (&q, &a)) in question.tiles().iter().zip(answer.tiles()).enumerate() {
        let fits = match q {
            Tile::Open => matches!(a, Tile::Open | Tile::Path),
            other => a == other,
        };
        if !fits {
            return Err(RuleBreak::MazeChanged { cell });
        }
    }
    let marked = |cell: usize| matches!(answer.get(cell), Tile::Start | Tile::Goal | Tile::Path);
    let on_path = answer.tiles().iter().filter(|t| matches!(t, Tile::Start | Tile::Goal | Tile::Path)).count();
    // Walk from S: every step has exactly one way on that is not the way back.
    let (start, goal) = (answer.start(), answer.goal());
    let (mut previous, mut cell, mut moves) = (usize::MAX, start, 0);
    while cell != goal {
        let ways: Vec<usize> = answer.neighbours(cell).filter(|&n| marked(n)).collect();
        let expected = if cell == start { 1 } else { 2 };
        if ways.len() != expected {
            return Err(RuleBreak::NotAPath { cell });
        }
        let next = ways.into_iter().find(|&n| n != previous).ok_or(RuleBreak::NotAPath { cell })?;
        (previous, cell, moves) = (cell, next, moves + 1);
    }
    if answer.neighbours(goal).filter(|&n| marked(n)).count() != 1 {
        return Err(RuleBreak::NotAPath { cell: goal });
    }
    match on_path - (moves + 1) {
        0 => Ok(moves),
        count => Err(RuleBreak::Stray { count }),
    }
}

/// The shortest paths from `S` to `G`: their length in moves and how many there are (counted
/// up to 2). `None` when `G` cannot be reached.
pub fn shortest_paths(maze: &Maze) -> Option<(usize, usize)> {
    let (distance, count) = search(maze);
    let goal = maze.goal();
    (distance[goal] != usize::MAX).then(|| (distance[goal], count[goal]))
}

/// Breadth-first search from `S` over passable cells: each cell's distance (`usize::MAX` when
/// unreachable) and its number of shortest paths, capped at 2.
pub fn search(maze: &Maze) -> (Vec<usize>, Vec<usize>) {
    let cells = maze.tiles().len();
    let (mut distance, mut count) = (vec![usize::MAX; cells], vec![0usize; cells]);
    let start = maze.start();
    distance[start] = 0;
    count[start] = 1;
    let mut queue = VecDeque::from([start]);
    while let Some(cell) = queue.pop_front() {
        for next in maze.neighbours(cell) {
            if !maze.get(next).passable() {
                continue;
            }
            if distance[next] == usize::MAX {
                distance[next] = distance[cell] + 1;
                queue.push_back(next);
            }
            if distance[next] == distance[cell] + 1 {
                count[next] = (count[next] + count[cell]).min(2);
            }
        }
    }
    (distance, count)
}

/// Why the exact solver gives no answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum MazeSolveError {
    /// Walls cut `G` off from `S`.
    #[error("G cannot be reached from S")]
    NoPath,
    /// More than one shortest path: exact match would not be correctness.
    #[error("the maze has more than one shortest path (of {moves} moves)")]
    SeveralShortest {
        /// Their length.
        moves: usize,
    },
}

/// The question with its unique shortest path marked (the exact solver, a reference).
pub fn solve(question: &Maze) -> Result<Maze, MazeSolveError> {
    let question = question.question();
    let (distance, count) = search(&question);
    let goal = question.goal();
    match (distance[goal], count[goal]) {
        (usize::MAX, _) => return Err(MazeSolveError::NoPath),
        (moves, 2) => return Err(MazeSolveError::SeveralShortest { moves }),
        _ => {}
    }
    // Back from G, one cell nearer S at each move.
    let mut answer = question.clone();
    let mut cell = goal;
    while distance[cell] > 1 {
        cell = answer
            .neighbours(cell)
            .find(|&n| distance[n] == distance[cell] - 1)
            .expect("a reachable cell has a neighbour one move nearer");
        answer.set(cell, Tile::Path);
    }
    Ok(answer)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// 5 × 5: S at (1,1), G at (3,3), one route around the wall.
    const QUESTION: &str = "######S  ### ###  G######";
    const ANSWER: &str = "######So ###o### oG######";

    #[test]
    fn the_solver_marks_the_unique_shortest_path_and_the_check_accepts_it() {
        let question = Maze::parse(QUESTION).unwrap();
        assert_eq!(shortest_paths(&question), Some((4, 1)));
        let answer = solve(&question).unwrap();
        assert_eq!(answer.to_line(), ANSWER);
        assert_eq!(check_answer(&question, &answer), Ok(4));
    }

    #[test]
    fn every_kind_of_broken_answer_is_named() {
        let question = Maze::parse(QUESTION).unwrap();
        let check = |line: &str| check_answer(&question, &Maze::parse(line).unwrap());
        // A gap in the path.
        assert_eq!(check("######So ### ### oG######"), Err(RuleBreak::NotAPath { cell: 7 }));
        // A fork: an extra cell next to the path.
        assert_eq!(check("######Soo###o### oG######"), Err(RuleBreak::NotAPath { cell: 7 }));
        // The path painted over a wall.
        assert_eq!(check("######So ###oo## oG######"), Err(RuleBreak::MazeChanged { cell: 13 }));
        // Nothing marked.
        assert_eq!(check(QUESTION), Err(RuleBreak::NotAPath { cell: 6 }));
        // S moved.
        assert_eq!(check("######Go ###o### oS######"), Err(RuleBreak::MazeChanged { cell: 6 }));
        assert!(matches!(check_answer(&question, &Maze::parse("SoG#").unwrap()), Err(RuleBreak::Size { .. })));
    }

    #[test]
    fn a_stray_loop_is_caught_and_a_longer_path_still_passes_the_rules() {
        // 6 × 6 open room: the straight path plus a separate ring of marks.
        let question = Maze::parse("S     \n      \n      \n      \n      \n     G").unwrap();
        let mut answer = question.clone();
        for cell in [1, 2, 3, 4, 5, 11, 17, 23, 29] {
            answer.set(cell, Tile::Path);
        }
        assert_eq!(check_answer(&question, &answer), Ok(10));
        for cell in [13, 14, 19, 20] {
            answer.set(cell, Tile::Path);
        }
        assert_eq!(check_answer(&question, &answer), Err(RuleBreak::Stray { count: 4 }));
        // An open room has many shortest paths: the solver refuses it.
        assert_eq!(shortest_paths(&question), Some((10, 2)));
        assert_eq!(solve(&question), Err(MazeSolveError::SeveralShortest { moves: 10 }));
    }

    #[test]
    fn a_walled_off_goal_has_no_path() {
        let question = Maze::parse("S#\n#G").unwrap();
        assert_eq!(shortest_paths(&question), None);
        assert_eq!(solve(&question), Err(MazeSolveError::NoPath));
    }
}

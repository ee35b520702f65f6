//! A seeded maze generator with tiers by shortest-path length. Every maze it makes has exactly
//! one shortest path from `S` to `G`, so an answer that matches it exactly is correct, and one
//! that does not is not the shortest.
//!
//! How: a recursive-backtracker maze (rooms on odd rows and columns, every room reachable by
//! exactly one route), `S` in a random room and `G` in a room at a distance inside the tier's
//! range; then random walls between rooms are opened (loops, so the maze is not a tree) and
//! each opening is kept only if the shortest path stays unique and inside the range.

use rand::seq::{IndexedRandom, SliceRandom};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use super::grid::{Maze, Tile};
use super::rules::{search, shortest_paths, solve};
use crate::hash::mix;

/// How long the shortest path is, as a share of the maze's cells (at 30 × 30, "hard" is the
/// paper's Maze-Hard range: 100 to 160 moves).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum MazeTier {
    /// 20 to 44 moves at 30 × 30.
    Easy,
    /// 45 to 99 moves at 30 × 30.
    Medium,
    /// 100 to 160 moves at 30 × 30.
    Hard,
}

impl MazeTier {
    /// Every tier, easiest first.
    pub const ALL: [MazeTier; 3] = [MazeTier::Easy, MazeTier::Medium, MazeTier::Hard];

    /// The lowercase name.
    pub fn name(self) -> &'static str {
        match self {
            MazeTier::Easy => "easy",
            MazeTier::Medium => "medium",
            MazeTier::Hard => "hard",
        }
    }

    /// The shortest path's length in moves, inclusive, for a maze of side `side`: the 30 × 30
    /// ranges scaled by the area (at least 2 moves).
    pub fn moves(self, side: usize) -> (usize, usize) {
        let (lo, hi) = match self {
            MazeTier::Easy => (20, 44),
            MazeTier::Medium => (45, 99),
            MazeTier::Hard => (100, 160),
        };
        let scale = |m: usize| ((m * side * side) as f64 / 900.0).round() as usize;
        let lo = scale(lo).max(2);
        (lo, scale(hi).max(lo))
    }
}

impl std::str::FromStr for MazeTier {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        MazeTier::ALL
            .into_iter()
            .find(|t| t.name().eq_ignore_ascii_case(s.trim()))
            .ok_or_else(|| format!("unknown maze tier {s:?}; expected easy, medium or hard"))
    }
}

/// The smallest side the generator makes (one room between walls needs 3, a route needs more).
pub const MIN_SIDE: usize = 7;

/// Makes mazes: `(seed, index)` gives the same maze on every machine.
#[derive(Debug, Clone)]
pub struct MazeGenerator {
    seed: u64,
}

impl MazeGenerator {
    /// A generator whose mazes all derive from `seed`.
    pub fn new(seed: u64) -> Self {
        Self { seed }
    }

    /// Maze number `index` of side `side` (at least [`MIN_SIDE`], at most
    /// [`super::grid::MAX_SIDE`]) in `tier`: the question and its answer.
    pub fn generate(&self, side: usize, tier: MazeTier, index: u64) -> (Maze, Maze) {
        assert!((MIN_SIDE..=super::grid::MAX_SIDE).contains(&side), "maze side {side} out of range");
        let mut rng = ChaCha8Rng::seed_from_u64(mix(self.seed ^ 0x4D41_5A45, index ^ ((side as u64) << 40)));
        let (lo, hi) = tier.moves(side);
        loop {
            let mut maze = carve(side, &mut rng);
            let rooms: Vec<usize> = (0..side * side).filter(|&c| is_room(side, c)).collect();
            let start = *rooms.choose(&mut rng).expect("a maze has rooms");
            maze.set(start, Tile::Start);
            // Any room will do as a stand-in goal for the distances from S.
            let stand_in = rooms.iter().copied().find(|&r| r != start).expect("two rooms");
            maze.set(stand_in, Tile::Goal);
            let (distance, _) = search(&maze);
            maze.set(stand_in, Tile::Open);
            // A length drawn evenly from the range, then a goal at the nearest distance above it
            // (longer paths are rarer: drawing a goal evenly would crowd the low end).
            let target = rng.random_range(lo..=hi);
            let Some(length) = rooms.iter().map(|&r| distance[r]).filter(|d| (target..=hi).contains(d)).min() else {
                continue;
            };
            let goals: Vec<usize> = rooms.iter().copied().filter(|&r| distance[r] == length).collect();
            let &goal = goals.choose(&mut rng).expect("a room at that distance");
            maze.set(goal, Tile::Goal);
            braid(&mut maze, length, &mut rng);
            let answer = solve(&maze).expect("the generator keeps one shortest path");
            return (maze, answer);
        }
    }
}

/// Rooms sit on odd rows and columns, inside the border (an even side leaves its last row and
/// column as walls).
fn is_room(side: usize, cell: usize) -> bool {
    let (r, c) = (cell / side, cell % side);
    r % 2 == 1 && c % 2 == 1 && r < side - 1 && c < side - 1
}

/// A perfect maze: walls everywhere, then a random depth-first walk over the rooms opens the
/// wall between each room and the next.
fn carve(side: usize, rng: &mut impl Rng) -> Maze {
    let mut maze = Maze::from_tiles({
        let mut tiles = vec![Tile::Wall; side * side];
        // from_tiles wants one S and one G: placeholders, overwritten below.
        tiles[side + 1] = Tile::Start;
        tiles[side + 3] = Tile::Goal;
        tiles
    })
    .expect("a square of walls is a maze");
    let room = |cell: usize| is_room(side, cell);
    let first = side + 1;
    let mut visited = vec![false; side * side];
    let mut stack = vec![first];
    visited[first] = true;
    maze.set(first, Tile::Open);
    maze.set(side + 3, Tile::Wall);
    while let Some(&cell) = stack.last() {
        let (r, c) = (cell / side, cell % side);
        let mut next: Vec<(usize, usize)> = [
            (r >= 2).then(|| (cell - 2 * side, cell - side)),
            (r + 2 < side).then(|| (cell + 2 * side, cell + side)),
            (c >= 2).then(|| (cell - 2, cell - 1)),
            (c + 2 < side).then(|| (cell + 2, cell + 1)),
        ]
        .into_iter()
        .flatten()
        .filter(|&(n, _)| room(n) && !visited[n])
        .collect();
        next.shuffle(rng);
        match next.first() {
            Some(&(n, wall)) => {
                visited[n] = true;
                maze.set(wall, Tile::Open);
                maze.set(n, Tile::Open);
                stack.push(n);
            }
            None => {
                stack.pop();
            }
        }
    }
    maze
}

/// Opens random walls between two rooms, keeping each only if the shortest path stays unique
/// and `length` moves long: loops away from it, and detours no shorter than it.
fn braid(maze: &mut Maze, length: usize, rng: &mut impl Rng) {
    let side = maze.side();
    let mut walls: Vec<usize> = (0..side * side)
        .filter(|&cell| {
            let (r, c) = (cell / side, cell % side);
            maze.get(cell) == Tile::Wall
                && r > 0
                && c > 0
                && r < side - 1
                && c < side - 1
                && ((r % 2 == 1 && c % 2 == 0 && is_room(side, cell - 1) && is_room(side, cell + 1))
                    || (r % 2 == 0 && c % 2 == 1 && is_room(side, cell - side) && is_room(side, cell + side)))
        })
        .collect();
    walls.shuffle(rng);
    for &wall in walls.iter().take(side) {
        maze.set(wall, Tile::Open);
        match shortest_paths(maze) {
            Some((moves, 1)) if moves == length => {}
            _ => maze.set(wall, Tile::Wall),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::maze::rules::check_answer;

    #[test]
    fn tiers_scale_with_the_area_and_hard_is_the_papers_range_at_30() {
        assert_eq!(MazeTier::Hard.moves(30), (100, 160));
        assert_eq!(MazeTier::Easy.moves(30), (20, 44));
        assert_eq!(MazeTier::Hard.moves(15), (25, 40));
        assert_eq!("Medium".parse::<MazeTier>(), Ok(MazeTier::Medium));
        assert!("huge".parse::<MazeTier>().unwrap_err().contains("unknown maze tier"));
    }

    #[test]
    fn every_maze_has_one_shortest_path_in_its_tier_and_the_answer_marks_it() {
        let generator = MazeGenerator::new(7);
        for side in [MIN_SIDE, 12, 30] {
            for tier in MazeTier::ALL {
                let (lo, hi) = tier.moves(side);
                for index in 0..4 {
                    let (question, answer) = generator.generate(side, tier, index);
                    assert_eq!(question.side(), side);
                    let (moves, count) = shortest_paths(&question).unwrap();
                    assert_eq!(count, 1, "side {side} {tier:?} #{index}");
                    assert!((lo..=hi).contains(&moves), "{moves} moves, {tier:?} at side {side}: {lo}..={hi}");
                    assert_eq!(check_answer(&question, &answer), Ok(moves));
                    assert_eq!(answer.path_cells(), moves - 1);
                }
            }
        }
    }

    #[test]
    fn the_same_seed_and_index_give_the_same_maze_and_others_differ() {
        let a = MazeGenerator::new(3).generate(30, MazeTier::Hard, 5);
        assert_eq!(a, MazeGenerator::new(3).generate(30, MazeTier::Hard, 5));
        assert_ne!(a, MazeGenerator::new(3).generate(30, MazeTier::Hard, 6));
        assert_ne!(a, MazeGenerator::new(4).generate(30, MazeTier::Hard, 5));
    }

    #[test]
    fn braiding_adds_loops() {
        // A perfect maze on 30 × 30 has (14 × 14 − 1) open walls between rooms; loops add more.
        let (question, _) = MazeGenerator::new(1).generate(30, MazeTier::Hard, 0);
        let open = question.tiles().iter().filter(|t| t.passable()).count();
        assert!(open > 14 * 14 + (14 * 14 - 1), "{open} open cells: no loop was kept");
    }
}

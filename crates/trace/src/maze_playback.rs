//! Replay of a recorded maze solve: what every tile shows at a cursor position (the model's path
//! marks with their probability, what changed, how far z moved there), and the readout's story.
//! Pure logic, so the page only renders it and the tests run natively.

use crate::playback::call_at;
use crate::protocol::MazeReport;
use crate::trace::{CallKind, RecursionTrace};
use trm_puzzle::maze::{Maze, Tile, encoding};

/// What one tile shows.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TileView {
    /// The question's tile (wall, open, S or G).
    pub tile: Tile,
    /// The model marks it as path here (open tiles only).
    pub marked: bool,
    /// The model's probability that it is path (0 before the first answer, and for walls, S
    /// and G).
    pub path_probability: f32,
    /// Its mark changed at this call.
    pub changed: bool,
    /// How far z moved on this tile at the latest latent update, as a share of the largest
    /// move of any tile then (0 to 1).
    pub dz: f32,
}

/// Index of the path among a maze trace's answer tokens (`probs` holds one byte per tile
/// token, wall first).
const PATH_CHOICE: usize = encoding::token(Tile::Path) as usize - 1;
const TILE_CHOICES: usize = encoding::VOCAB - 1;

/// Every tile at `position` (a flat index over the trace's net calls).
pub fn tile_views(trace: &RecursionTrace, question: &Maze, position: usize) -> Vec<TileView> {
    let call = call_at(trace, position);
    let before = position.checked_sub(1).and_then(|p| call_at(trace, p));
    let path = encoding::token(Tile::Path);
    let marked = |digits: Option<&Vec<u8>>, tile: usize| digits.and_then(|d| d.get(tile)).is_some_and(|&t| t == path);
    // The latest answer update at or before the cursor carries the probabilities.
    let calls: Vec<_> = trace.steps.iter().flat_map(|s| s.calls.iter()).take(position + 1).collect();
    let answer = calls.iter().rev().find(|c| c.kind == CallKind::Answer && !c.probs.is_empty());
    let latent = calls.iter().rev().find(|c| c.kind != CallKind::Answer);
    let largest_dz = latent.map(|c| c.dz.iter().copied().fold(0.0f32, f32::max)).unwrap_or(0.0);
    (0..question.tiles().len())
        .map(|tile| {
            let kind = question.get(tile);
            let open = kind == Tile::Open;
            let now = open && marked(call.map(|c| &c.digits), tile);
            TileView {
                tile: kind,
                marked: now,
                path_probability: match answer {
                    Some(c) if open => {
                        c.probs.get(tile * TILE_CHOICES + PATH_CHOICE).map_or(0.0, |&p| f32::from(p) / 255.0)
                    }
                    _ => 0.0,
                },
                changed: call.is_some() && open && now != marked(before.map(|c| &c.digits), tile),
                dz: match latent {
                    Some(c) if largest_dz > 0.0 => c.dz.get(tile).copied().unwrap_or(0.0) / largest_dz,
                    _ => 0.0,
                },
            }
        })
        .collect()
}

/// The readout for a finished maze solve, e.g. "Attempt 3 of 4 (transposed) found the
/// shortest path: 34 moves, 16 steps, 320 net calls, 1.2 s." `shortest` is the exact solver's
/// length of the shortest path, when it has one.
pub fn maze_story(report: &MazeReport, shortest: Option<usize>) -> String {
    let k = report.attempts.len();
    let Some(shown) = report.shown() else { return "No attempt ran.".to_string() };
    let steps = shown.trace.steps.len();
    let calls: usize = report.attempts.iter().map(|a| a.trace.call_count()).sum();
    let steps = if steps == 1 { "1 step".to_string() } else { format!("{steps} steps") };
    let time = if report.total_ms < 1000.0 {
        format!("{:.0} ms", report.total_ms)
    } else {
        format!("{:.1} s", report.total_ms / 1e3)
    };
    let cost = format!("{steps}, {calls} net calls, {time}");
    let which =
        if k > 1 { format!("Attempt {} of {k} ({})", report.chosen + 1, shown.symmetry) } else { "The model".into() };
    match (shown.moves, shortest) {
        (Some(moves), Some(best)) if moves == best => {
            format!("{which} found the shortest path: {moves} moves ({cost}).")
        }
        (Some(moves), Some(best)) => {
            format!("{which} found a path of {moves} moves, but the shortest has {best} ({cost}).")
        }
        (Some(moves), None) => format!("{which} found a path of {moves} moves ({cost})."),
        (None, _) if k > 1 => format!("No attempt marked a path from S to G; showing the most confident ({cost})."),
        (None, _) => format!("The model did not mark a path from S to G ({cost})."),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::MazeAttemptReport;
    use crate::trace::{CallTrace, StepTrace};

    fn call(kind: CallKind, maze: &Maze, path_probability: u8, dz: f32) -> CallTrace {
        let tiles = maze.tiles().len();
        let mut probs = Vec::new();
        if kind == CallKind::Answer {
            for tile in maze.tiles() {
                let mut p = [0u8; TILE_CHOICES];
                p[PATH_CHOICE] = if *tile == Tile::Path { path_probability } else { 255 - path_probability };
                probs.extend(p);
            }
        }
        CallTrace {
            cycle: 0,
            kind,
            digits: encoding::encode(maze),
            confidence: vec![0.9; tiles],
            z_norm: 1.0,
            y_norm: 1.0,
            halt_logit: 0.0,
            dz: (0..tiles).map(|t| dz * (t as f32 + 1.0)).collect(),
            dz_mean: dz,
            dy_mean: 0.0,
            sketch: Vec::new(),
            sketch_scale: 0.0,
            probs,
        }
    }

    fn trace() -> (Maze, Maze, RecursionTrace) {
        let answer = Maze::parse("So  #o#  oG     ").unwrap();
        let question = answer.question();
        let mut half = question.clone();
        half.mark_path(1);
        // A latent update carries the answer so far; the answer update then changes it.
        let step = |before: &Maze, maze: &Maze, p| StepTrace {
            calls: vec![call(CallKind::Latent(0), before, 0, 0.5), call(CallKind::Answer, maze, p, 0.0)],
            halt_logit: 0.0,
        };
        let trace = RecursionTrace {
            puzzle: question.to_line(),
            latent_updates: 1,
            cycles: 1,
            steps: vec![step(&question, &half, 150), step(&half, &answer, 250)],
            halted_at: None,
        };
        (question, answer, trace)
    }

    #[test]
    fn tiles_show_the_marks_their_probability_and_what_changed() {
        let (question, answer, trace) = trace();
        // Position 1: the first answer update marks tile 1 only.
        let views = tile_views(&trace, &question, 1);
        assert_eq!(views.len(), 16);
        let marked: Vec<usize> = (0..16).filter(|&t| views[t].marked).collect();
        assert_eq!(marked, vec![1]);
        assert!(views[1].changed && !views[5].changed);
        assert!((views[1].path_probability - 150.0 / 255.0).abs() < 1e-6);
        assert_eq!(views[4].path_probability, 0.0, "a wall has no path probability");
        assert_eq!((views[0].tile, views[10].tile), (Tile::Start, Tile::Goal));
        // The latent update before it moved z most on the last tile.
        assert!((views[15].dz - 1.0).abs() < 1e-6 && views[0].dz < views[15].dz);
        // Position 3: the answer; tiles 5 and 9 changed, tile 1 stays.
        let views = tile_views(&trace, &question, 3);
        let marked: Vec<usize> = (0..16).filter(|&t| views[t].marked).collect();
        let expected: Vec<usize> = (0..16).filter(|&t| answer.get(t) == Tile::Path).collect();
        assert_eq!(marked, expected);
        let changed: Vec<usize> = (0..16).filter(|&t| views[t].changed).collect();
        assert_eq!(changed, vec![5, 9]);
        // Before anything ran (an empty trace) the maze is bare.
        let empty = RecursionTrace { steps: Vec::new(), ..trace };
        assert!(tile_views(&empty, &question, 0).iter().all(|v| !v.marked && !v.changed && v.dz == 0.0));
    }

    #[test]
    fn the_story_says_whether_the_path_is_the_shortest() {
        let (question, answer, trace) = trace();
        let attempt = |moves| MazeAttemptReport {
            symmetry: "transposed".into(),
            answer: answer.to_line(),
            moves,
            halt_logit: 1.0,
            trace: trace.clone(),
        };
        let report = MazeReport {
            question: question.to_line(),
            attempts: vec![attempt(None), attempt(Some(4))],
            chosen: 1,
            total_ms: 1234.0,
        };
        assert_eq!(
            maze_story(&report, Some(4)),
            "Attempt 2 of 2 (transposed) found the shortest path: 4 moves (2 steps, 8 net calls, 1.2 s)."
        );
        assert!(maze_story(&report, Some(3)).contains("a path of 4 moves, but the shortest has 3"));
        let none = MazeReport { attempts: vec![attempt(None)], chosen: 0, ..report };
        assert_eq!(none.attempts.len(), 1);
        assert!(maze_story(&none, Some(4)).starts_with("The model did not mark a path from S to G"));
        // One step is "1 step".
        let mut one = attempt(Some(4));
        one.trace.steps.truncate(1);
        let single = MazeReport { attempts: vec![one], chosen: 0, question: question.to_line(), total_ms: 500.0 };
        assert!(
            maze_story(&single, Some(4)).ends_with("4 moves (1 step, 2 net calls, 500 ms)."),
            "{}",
            maze_story(&single, Some(4))
        );
    }
}

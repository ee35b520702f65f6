//! Solving mazes with a maze model: batched, untraced, with attempts over the square's 8
//! symmetries. The recursion is the Sudoku one; only reading the answer differs.
//!
//! Reading an answer: the question's walls, `S` and `G` are kept, and an open cell is marked as
//! path where the model's most likely token there is the path's (as a Sudoku answer keeps its
//! givens). The rule check ([`check_answer`]) then says whether the marks form a simple path
//! from `S` to `G` and nothing else. Among an attempts' answers that pass it, the shortest path
//! wins; a tie, or no answer that passes, goes to the halting head's most confident attempt.

use burn::prelude::*;
use burn::tensor::Transaction;
use trm_puzzle::maze::encoding::{encode, token};
use trm_puzzle::maze::grid::{Maze, Tile};
use trm_puzzle::maze::rules::check_answer;
use trm_puzzle::maze::symmetry::Symmetry;

use crate::error::{Error, Result};
use crate::inference::token_rows;
use crate::model::Trm;
use crate::protocol::{MazeAttemptReport, MazeReport};
use crate::recursion::{NoObserver, RecursionState, TraceRecorder};
use crate::trace::{CallTrace, RecursionTrace, SKETCH_DIMS};

/// Most attempts per maze: one per symmetry of the square.
pub const MAX_MAZE_ATTEMPTS: usize = 8;

/// What one attempt answered, in the question's own orientation.
#[derive(Debug, Clone, PartialEq)]
pub struct MazeAttempt {
    /// The answer: the question with the model's path marks.
    pub answer: Maze,
    /// The path's length in moves when the answer passes the rule check.
    pub moves: Option<usize>,
    /// The halting logit at the last step (positive: the model would stop).
    pub halt_logit: f32,
}

/// The answer chosen among a maze's attempts.
#[derive(Debug, Clone, PartialEq)]
pub struct MazeSolve {
    /// Every attempt, in symmetry order ([`Symmetry::ALL`]).
    pub attempts: Vec<MazeAttempt>,
    /// The chosen attempt.
    pub chosen: usize,
}

impl MazeSolve {
    /// The chosen answer.
    pub fn answer(&self) -> &Maze {
        &self.attempts[self.chosen].answer
    }

    /// Whether the chosen answer passes the rule check.
    pub fn verified(&self) -> bool {
        self.attempts[self.chosen].moves.is_some()
    }

    /// Picks the shortest verified path (a tie, or none verified, to the highest halting logit).
    fn choose(attempts: Vec<MazeAttempt>) -> Self {
        let key = |a: &MazeAttempt| (a.moves.is_some(), std::cmp::Reverse(a.moves.unwrap_or(usize::MAX)), a.halt_logit);
        // The first attempt wins a full tie (the maze as given).
        let chosen = (1..attempts.len()).fold(0, |best, i| {
            if key(&attempts[i]).partial_cmp(&key(&attempts[best])) == Some(std::cmp::Ordering::Greater) {
                i
            } else {
                best
            }
        });
        Self { attempts, chosen }
    }
}

/// The answer read from a model's most likely tokens, `predicted` (one per cell), for `question`.
pub fn read_answer(question: &Maze, predicted: &[u8]) -> Maze {
    let mut answer = question.clone();
    for (cell, &p) in predicted.iter().enumerate().take(question.tiles().len()) {
        if p == token(Tile::Path) {
            answer.mark_path(cell);
        }
    }
    answer
}

/// Refuses K outside 1..=8 and mazes of another size than the model reads.
fn check_request(model: &Trm, questions: &[Maze], attempts: usize) -> Result<()> {
    if !(1..=MAX_MAZE_ATTEMPTS).contains(&attempts) {
        return Err(Error::Config(format!("maze attempts must be 1 to {MAX_MAZE_ATTEMPTS}, not {attempts}")));
    }
    match questions.iter().find(|q| q.tiles().len() != model.cells()) {
        Some(q) => {
            Err(Error::Config(format!("a maze of side {} where the model reads {} cells", q.side(), model.cells())))
        }
        None => Ok(()),
    }
}

/// Solves every maze with `attempts` attempts (1 to 8: the first `attempts` symmetries of
/// [`Symmetry::ALL`], the identity first), each run for `max_steps` supervision steps, at most
/// `batch` rows at a time.
pub async fn solve_mazes(
    model: &Trm,
    questions: &[Maze],
    attempts: usize,
    max_steps: usize,
    batch: usize,
) -> Result<Vec<MazeSolve>> {
    check_request(model, questions, attempts)?;
    let device = model.token_embedding.val().device();
    let rows: Vec<(usize, Symmetry)> =
        (0..questions.len()).flat_map(|q| Symmetry::ALL[..attempts].iter().map(move |&s| (q, s))).collect();
    let mut results: Vec<MazeAttempt> = Vec::with_capacity(rows.len());
    for chunk in rows.chunks(batch.max(1)) {
        let turned: Vec<Maze> = chunk.iter().map(|&(q, s)| s.apply(&questions[q])).collect();
        let tokens: Vec<Vec<u8>> = turned.iter().map(encode).collect();
        let x = model.embed(token_rows(tokens.iter().map(Vec::as_slice), model.cells(), &device)?);
        let (y, z) = model.initial_state(chunk.len());
        let mut state = crate::recursion::RecursionState { y, z };
        let mut last = None;
        for _ in 0..max_steps.max(1) {
            let output = model.supervision_step(&x, state, &mut NoObserver);
            state = output.state;
            last = Some((output.logits, output.halt_logit));
        }
        let Some((logits, halt_logit)) = last else { continue };
        let [r, c, v] = logits.dims();
        // The most likely tile, PAD left out (as a trace reads it: `1 + index` is the token).
        let tiles = model.answer_tokens();
        let best = logits.slice([0..r, 0..c, tiles.start..v]).argmax(2).reshape([r, c]).add_scalar(tiles.start as i64);
        let data = Transaction::default()
            .register(best)
            .register(halt_logit)
            .execute_async()
            .await
            .map_err(|e| Error::from_backend("reading maze answers failed", e))?;
        let [predicted, halts]: [TensorData; 2] =
            data.try_into().map_err(|_| Error::Backend("wrong number of answer tensors".into()))?;
        let predicted: Vec<i64> = predicted
            .convert::<i64>()
            .try_into_vec::<i64>()
            .map_err(|e| Error::from_backend("unexpected answer tokens", e))?;
        let halts: Vec<f32> = halts
            .convert::<f32>()
            .try_into_vec::<f32>()
            .map_err(|e| Error::from_backend("unexpected halting logits", e))?;
        for (row, (&(q, symmetry), question)) in chunk.iter().zip(&turned).enumerate() {
            let cells: Vec<u8> = predicted[row * c..(row + 1) * c].iter().map(|&t| t.clamp(0, 255) as u8).collect();
            let answer = symmetry.inverse().apply(&read_answer(question, &cells));
            let moves = check_answer(&questions[q], &answer).ok();
            results.push(MazeAttempt { answer, moves, halt_logit: halts[row] });
        }
    }
    let mut solves = Vec::with_capacity(questions.len());
    let mut results = results.into_iter();
    for _ in questions {
        solves.push(MazeSolve::choose(results.by_ref().take(attempts).collect()));
    }
    Ok(solves)
}

/// A maze solved with every attempt's recursion recorded, in the question's orientation (so
/// tile `c` of every attempt's trace is tile `c` of the maze asked).
#[derive(Debug, Clone)]
pub struct TracedMazeSolve {
    /// The attempts and the chosen one.
    pub solve: MazeSolve,
    /// Each attempt's recorded steps, in symmetry order; `digits` holds each tile's most likely
    /// token (1 wall, 2 open, 3 S, 4 G, 5 path) and `probs` the five tiles' probabilities.
    pub traces: Vec<RecursionTrace>,
}

/// Solves one maze with `attempts` attempts side by side (the first of [`Symmetry::ALL`]),
/// recording every net call. With `early_exit`, an attempt stops when its halting head says so
/// and the solve ends when every attempt has stopped or a verified path is found; otherwise
/// every attempt runs `max_steps` steps.
pub async fn solve_maze_traced(
    model: &Trm,
    question: &Maze,
    attempts: usize,
    max_steps: usize,
    early_exit: bool,
) -> Result<TracedMazeSolve> {
    check_request(model, std::slice::from_ref(question), attempts)?;
    let device = model.token_embedding.val().device();
    let symmetries = &Symmetry::ALL[..attempts];
    let turned: Vec<Maze> = symmetries.iter().map(|s| s.apply(question)).collect();
    let tokens: Vec<Vec<u8>> = turned.iter().map(encode).collect();
    let x = model.embed(token_rows(tokens.iter().map(Vec::as_slice), model.cells(), &device)?);
    let (y, z) = model.initial_state(attempts);
    let mut state = RecursionState { y, z };
    let side = question.side();
    // Tile `c` of the question is tile `orientation[c]` of an attempt's turned maze.
    let orientations: Vec<Vec<usize>> = symmetries
        .iter()
        .map(|s| {
            (0..side * side)
                .map(|c| {
                    let (r, col) = s.map(side, c / side, c % side);
                    r * side + col
                })
                .collect()
        })
        .collect();
    let empty = RecursionTrace {
        puzzle: question.to_line(),
        latent_updates: model.latent_updates,
        cycles: model.cycles,
        steps: Vec::new(),
        halted_at: None,
    };
    let mut traces = vec![empty; attempts];
    let mut running = vec![true; attempts];
    let mut last: Vec<MazeAttempt> =
        (0..attempts).map(|_| MazeAttempt { answer: question.clone(), moves: None, halt_logit: 0.0 }).collect();
    for step in 0..max_steps.max(1) {
        let mut recorder = TraceRecorder::new(model, &state, step == 0);
        state = model.recurse(&x, state, &mut recorder);
        let steps = recorder.finish().read().await?;
        for (attempt, mut step_trace) in steps.into_iter().enumerate() {
            if !running[attempt] {
                continue;
            }
            for call in &mut step_trace.calls {
                reorient(call, &orientations[attempt]);
            }
            let digits = step_trace.last().map(|c| c.digits.clone()).unwrap_or_default();
            let answer = read_answer(question, &digits);
            let moves = check_answer(question, &answer).ok();
            last[attempt] = MazeAttempt { answer, moves, halt_logit: step_trace.halt_logit };
            let trace = &mut traces[attempt];
            trace.steps.push(step_trace);
            if trace.halted_at.is_none() && last[attempt].halt_logit > 0.0 {
                trace.halted_at = Some(step + 1);
                running[attempt] = !early_exit;
            }
        }
        if early_exit && (running.iter().all(|r| !r) || last.iter().any(|a| a.moves.is_some())) {
            break;
        }
    }
    Ok(TracedMazeSolve { solve: MazeSolve::choose(last), traces })
}

impl TracedMazeSolve {
    /// The solve as the page and `trm solve --trace` keep it; `keep_sketches: false` drops the
    /// latent sketches (the maze view does not draw them), which are most of a trace's bytes.
    pub fn report(self, question: &Maze, total_ms: f64, keep_sketches: bool) -> MazeReport {
        let attempts = self
            .solve
            .attempts
            .into_iter()
            .zip(self.traces)
            .enumerate()
            .map(|(i, (attempt, mut trace))| {
                if !keep_sketches {
                    for call in trace.steps.iter_mut().flat_map(|s| s.calls.iter_mut()) {
                        call.sketch = Vec::new();
                        call.sketch_scale = 0.0;
                    }
                }
                MazeAttemptReport {
                    symmetry: Symmetry::ALL[i].describe(),
                    answer: attempt.answer.to_line(),
                    moves: attempt.moves,
                    halt_logit: attempt.halt_logit,
                    trace,
                }
            })
            .collect();
        MazeReport { question: question.to_line(), attempts, chosen: self.solve.chosen, total_ms }
    }
}

/// Puts a call recorded on a turned maze back in the question's orientation.
fn reorient(call: &mut CallTrace, orientation: &[usize]) {
    fn per_tile<T: Copy>(values: &[T], orientation: &[usize], width: usize) -> Vec<T> {
        if values.len() != orientation.len() * width {
            return values.to_vec();
        }
        orientation.iter().flat_map(|&from| values[from * width..(from + 1) * width].iter().copied()).collect()
    }
    let choices = if call.probs.is_empty() { 1 } else { call.probs.len() / orientation.len().max(1) };
    call.digits = per_tile(&call.digits, orientation, 1);
    call.confidence = per_tile(&call.confidence, orientation, 1);
    call.dz = per_tile(&call.dz, orientation, 1);
    call.sketch = per_tile(&call.sketch, orientation, SKETCH_DIMS);
    call.probs = per_tile(&call.probs, orientation, choices);
}

/// Blocking [`solve_maze_traced`] for native code.
#[cfg(not(target_arch = "wasm32"))]
pub fn solve_maze_traced_blocking(
    model: &Trm,
    question: &Maze,
    attempts: usize,
    max_steps: usize,
    early_exit: bool,
) -> Result<TracedMazeSolve> {
    crate::recursion::block_on(solve_maze_traced(model, question, attempts, max_steps, early_exit))
}

/// Blocking [`solve_mazes`] for native code.
#[cfg(not(target_arch = "wasm32"))]
pub fn solve_mazes_blocking(
    model: &Trm,
    questions: &[Maze],
    attempts: usize,
    max_steps: usize,
    batch: usize,
) -> Result<Vec<MazeSolve>> {
    crate::recursion::block_on(solve_mazes(model, questions, attempts, max_steps, batch))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{TokenMixer, TrmConfig};
    use crate::task::Task;
    use trm_puzzle::maze::generator::{MazeGenerator, MazeTier};

    #[test]
    fn an_answer_keeps_the_question_and_marks_only_open_cells() {
        let question = Maze::parse("S #   # G").unwrap();
        let path = token(Tile::Path);
        // The model marks a wall, S and two open cells: only the open cells become path.
        let predicted = [path, path, path, 2, path, 2, 1, 2, 4];
        let answer = read_answer(&question, &predicted);
        assert_eq!(answer.to_line(), "So# o # G");
    }

    #[test]
    fn the_shortest_verified_path_wins_then_the_halting_head() {
        let maze = Maze::parse("S  G").unwrap();
        let attempt = |moves: Option<usize>, halt_logit: f32| MazeAttempt { answer: maze.clone(), moves, halt_logit };
        let chosen = |attempts| MazeSolve::choose(attempts).chosen;
        // A rule-breaking answer loses to any verified one, however confident the head is.
        assert_eq!(chosen(vec![attempt(None, 9.0), attempt(Some(10), -3.0), attempt(Some(6), -4.0)]), 2);
        // Equal lengths: the halting head decides.
        assert_eq!(chosen(vec![attempt(Some(6), -1.0), attempt(Some(6), 2.0), attempt(Some(8), 5.0)]), 1);
        // Nothing verified: the most confident attempt is shown, unverified.
        let none = MazeSolve::choose(vec![attempt(None, -1.0), attempt(None, 0.5)]);
        assert_eq!((none.chosen, none.verified()), (1, false));
        assert_eq!(chosen(vec![attempt(Some(6), 1.0), attempt(Some(6), 1.0)]), 0, "a full tie: as given");
    }

    /// The traced solve answers as the untraced one, attempt by attempt, and its traces are in
    /// the question's orientation: each attempt's last tiles read back to its answer.
    #[test]
    fn a_traced_solve_agrees_with_the_batched_one_in_the_questions_orientation() {
        let device = Device::flex();
        let config = TrmConfig::tiny().with_mixer(TokenMixer::Attention).with_heads(2).with_seed(8);
        let model = config.for_task(Task::Maze { side: 9 }).init(&device);
        let question = MazeGenerator::new(6).generate(9, MazeTier::Medium, 0).0;
        let traced = solve_maze_traced_blocking(&model, &question, 8, 3, false).unwrap();
        let batched = solve_mazes_blocking(&model, std::slice::from_ref(&question), 8, 3, 8).unwrap();
        assert_eq!(traced.traces.len(), 8);
        for (a, (attempt, trace)) in traced.solve.attempts.iter().zip(&traced.traces).enumerate() {
            let other = &batched[0].attempts[a];
            assert_eq!(attempt.answer, other.answer, "attempt {a}");
            assert!((attempt.halt_logit - other.halt_logit).abs() < 1e-4);
            assert_eq!(trace.steps.len(), 3);
            let last = trace.steps[2].last().unwrap();
            assert_eq!(read_answer(&question, &last.digits), attempt.answer);
            assert_eq!(trace.puzzle, question.to_line());
        }
        assert_eq!(traced.solve.chosen, batched[0].chosen);
    }

    #[test]
    fn attempts_are_read_back_in_the_questions_orientation() {
        let device = Device::flex();
        let config = TrmConfig::tiny().with_mixer(TokenMixer::Attention).with_heads(2).for_task(Task::Maze { side: 9 });
        let model = config.init(&device);
        let questions: Vec<Maze> = (0..3).map(|i| MazeGenerator::new(4).generate(9, MazeTier::Easy, i).0).collect();
        let solves = solve_mazes_blocking(&model, &questions, 8, 2, 5).unwrap();
        assert_eq!(solves.len(), 3);
        for (solve, question) in solves.iter().zip(&questions) {
            assert_eq!(solve.attempts.len(), 8);
            for attempt in &solve.attempts {
                // Turned back: the answer's question is the maze asked, whatever the symmetry.
                assert_eq!(&attempt.answer.question(), question);
                assert!(attempt.halt_logit.is_finite());
            }
        }
        let err = solve_mazes_blocking(&model, &questions, 9, 1, 4).unwrap_err().to_string();
        assert!(err.contains("1 to 8"), "{err}");
        let other = MazeGenerator::new(4).generate(11, MazeTier::Easy, 0).0;
        assert!(solve_mazes_blocking(&model, &[other], 1, 1, 4).is_err());
    }
}

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
use crate::recursion::NoObserver;

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
        let chosen = (0..attempts.len())
            .max_by(|&i, &j| key(&attempts[i]).partial_cmp(&key(&attempts[j])).unwrap_or(std::cmp::Ordering::Equal))
            .unwrap_or(0);
        Self { attempts, chosen }
    }
}

/// The answer read from a model's most likely tokens, `predicted` (one per cell), for `question`.
pub fn read_answer(question: &Maze, predicted: &[u8]) -> Maze {
    let mut answer = question.clone();
    for (cell, &p) in predicted.iter().enumerate().take(question.tiles().len()) {
        if question.get(cell) == Tile::Open && p == token(Tile::Path) {
            answer.set(cell, Tile::Path);
        }
    }
    answer
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
    if !(1..=MAX_MAZE_ATTEMPTS).contains(&attempts) {
        return Err(Error::Config(format!("maze attempts must be 1 to {MAX_MAZE_ATTEMPTS}, not {attempts}")));
    }
    if let Some(q) = questions.iter().find(|q| q.tiles().len() != model.cells()) {
        return Err(Error::Config(format!(
            "a maze of side {} where the model reads {} cells",
            q.side(),
            model.cells()
        )));
    }
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
        let [r, c, _] = logits.dims();
        let data = Transaction::default()
            .register(logits.argmax(2).reshape([r, c]))
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

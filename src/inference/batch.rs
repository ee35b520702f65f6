//! Batched evaluation: many puzzles (and attempts) as the rows of one batch, with one readback
//! per supervision step, scored at several step budgets and with the rule check. The page's
//! interactive solve is [`super::Session`]; both step rows through [`super::AttemptRows`].

use burn::prelude::*;

use super::{AttemptRows, InferenceConfig};
use crate::attempts::{AttemptEnd, AttemptStart, answer_to_user, select, verified};
use crate::error::{Error, Result};
use crate::grid::{CELLS, Grid};
use crate::model::Trm;
use crate::trace::sigmoid;

/// What batched inference produced for one puzzle.
#[derive(Debug, Clone, PartialEq)]
pub struct BatchAnswer {
    /// The answer after each requested step budget (givens kept), in the order given.
    pub at_budget: Vec<Grid>,
    /// The answer where the halting head first said stop, or at the largest budget.
    pub early_exit: Grid,
    /// Steps used with early exit.
    pub early_exit_steps: usize,
}

/// Reads back a step's answer digits `[B·81]` and halting logits `[B]` in one map: the cells'
/// logits and the halting logits travel packed in one tensor, and the digit is the most likely
/// digit token, found here.
///
/// # Shapes
/// - `logits`: `[B, 81, V]`; `halt_logit`: `[B]`
async fn read_answers(logits: Tensor<3>, halt_logit: Tensor<1>) -> Result<(Vec<i64>, Vec<f32>)> {
    let [batch, cells, vocab] = logits.dims();
    let packed = Tensor::cat(vec![logits.reshape([batch * cells * vocab]), halt_logit], 0);
    let values = packed
        .into_data_async()
        .await
        .map_err(|e| Error::from_backend("reading the answers back failed", e))?
        .convert::<f32>()
        .try_into_vec::<f32>()
        .map_err(|e| Error::from_backend("unexpected answer data", e))?;
    if values.len() != batch * (cells * vocab + 1) {
        return Err(Error::Backend("the answer readback has the wrong size".into()));
    }
    let (cell_logits, halts) = values.split_at(batch * cells * vocab);
    let digits = cell_logits.chunks_exact(vocab).map(|cell| most_likely_digit(cell) as i64).collect();
    Ok((digits, halts.to_vec()))
}

/// The digit (1..=9) whose token has the largest logit in one cell's `[VOCAB]` logits (the
/// first on a tie), as the argmax of [`crate::recursion::digit_probabilities`] picks it.
pub fn most_likely_digit(cell_logits: &[f32]) -> u8 {
    most_likely_answer(cell_logits, 2)
}

/// `1 + i` for the answer token `first + i` with the largest logit in one cell's logits (the
/// first on a tie): a digit for Sudoku (`first` 2), a tile's token for a maze (`first` 1).
pub fn most_likely_answer(cell_logits: &[f32], first: usize) -> u8 {
    let answer_logits = cell_logits.get(first..).unwrap_or_default();
    let best = answer_logits
        .iter()
        .enumerate()
        .fold((0, f32::NEG_INFINITY), |best, (i, &v)| if v > best.1 { (i, v) } else { best });
    best.0 as u8 + 1
}

/// Runs a batch for `max(budgets)` steps, keeping the answer at each budget and at the
/// halting head's first stop. One readback per step: the puzzles run as they are given, one
/// attempt each, on the same rows as [`run_attempts`].
pub async fn answer_batch(
    model: &Trm,
    puzzles: &[Grid],
    budgets: &[usize],
    halt_threshold: f32,
) -> Result<Vec<BatchAnswer>> {
    let max_steps = budgets.iter().copied().max().unwrap_or(1).max(1);
    let config = InferenceConfig::new().with_max_steps(max_steps).with_early_exit(false);
    let runs = run_attempt_rows(model, puzzles, &[AttemptStart::AS_GIVEN], &config).await?;
    Ok(runs
        .into_iter()
        .map(|attempts| {
            let steps = &attempts[0].steps;
            let at_budget = budgets.iter().map(|&budget| steps[budget.max(1) - 1].0).collect();
            let stop = steps.iter().position(|&(_, p)| p >= halt_threshold).unwrap_or(steps.len() - 1);
            BatchAnswer { at_budget, early_exit: steps[stop].0, early_exit_steps: stop + 1 }
        })
        .collect())
}

/// Blocking [`answer_batch`] for native code.
#[cfg(not(target_arch = "wasm32"))]
pub fn answer_batch_blocking(
    model: &Trm,
    puzzles: &[Grid],
    budgets: &[usize],
    halt_threshold: f32,
) -> Result<Vec<BatchAnswer>> {
    crate::recursion::block_on(answer_batch(model, puzzles, budgets, halt_threshold))
}

/// One attempt's answers, for evaluation: after every supervision step it ran (until its halting
/// head said stop, with early exit on, or the step budget), the answer in the user's
/// orientation with givens kept, and the halting probability.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct AttemptRun {
    /// `(answer, halting probability)` per step.
    pub steps: Vec<(Grid, f32)>,
}

/// Runs `config.attempts` attempts of every puzzle (no rule-check stop, so every attempt runs
/// until it halts or the budget ends and both selections can be scored), in batches of at most
/// `max_rows` rows: puzzles × attempts when that fits, else one puzzle's attempts in slices.
/// Every attempt runs on its own rows, so the split changes no answer.
/// Returns, per puzzle, one [`AttemptRun`] per attempt. One readback per step and batch.
pub async fn run_attempts(
    model: &Trm,
    puzzles: &[Grid],
    config: &InferenceConfig,
    max_rows: usize,
) -> Result<Vec<Vec<AttemptRun>>> {
    let k = config.attempts.max(1);
    let max_rows = max_rows.max(1);
    let starts = AttemptStart::plan(k, config.seed, config.transforms, config.noise > 0.0);
    let mut results = Vec::with_capacity(puzzles.len());
    for chunk in puzzles.chunks((max_rows / k).max(1)) {
        let mut chunk_runs: Vec<Vec<AttemptRun>> = vec![Vec::with_capacity(k); chunk.len()];
        for slice in starts.chunks(max_rows) {
            for (runs, slice_runs) in chunk_runs.iter_mut().zip(run_attempt_rows(model, chunk, slice, config).await?) {
                runs.extend(slice_runs);
            }
        }
        results.extend(chunk_runs);
    }
    Ok(results)
}

/// Runs the given attempt starts of every puzzle as one batch: [`run_attempts`] without the split.
async fn run_attempt_rows(
    model: &Trm,
    puzzles: &[Grid],
    starts: &[AttemptStart],
    config: &InferenceConfig,
) -> Result<Vec<Vec<AttemptRun>>> {
    let k = starts.len();
    let mut row_puzzles = Vec::with_capacity(puzzles.len() * k);
    let mut row_starts = Vec::with_capacity(puzzles.len() * k);
    let mut running: Vec<(usize, usize)> = Vec::with_capacity(puzzles.len() * k);
    for (p, puzzle) in puzzles.iter().enumerate() {
        for (a, start) in starts.iter().enumerate() {
            row_puzzles.push(start.transform.apply(puzzle));
            row_starts.push(*start);
            running.push((p, a));
        }
    }
    let mut results = vec![vec![AttemptRun::default(); k]; puzzles.len()];
    if running.is_empty() {
        return Ok(results);
    }
    let mut rows = AttemptRows::new(model, &row_puzzles, &row_starts, config.noise);
    for _ in 0..config.max_steps.max(1) {
        let (logits, halt_logit) = rows.step(model);
        let (digits, halts) = read_answers(logits, halt_logit).await?;
        let mut keep = Vec::with_capacity(running.len());
        for (row, &(p, a)) in running.iter().enumerate() {
            let transform = &starts[a].transform;
            let attempt_answer = keep_givens(&transform.apply(&puzzles[p]), &digits[row * CELLS..(row + 1) * CELLS]);
            let probability = sigmoid(halts[row]);
            results[p][a].steps.push((answer_to_user(&attempt_answer, transform), probability));
            keep.push(!(config.early_exit && probability >= config.halt_threshold));
        }
        if !rows.keep(&keep) {
            break;
        }
        running = running.into_iter().zip(&keep).filter(|(_, k)| **k).map(|(r, _)| r).collect();
    }
    Ok(results)
}

/// Blocking [`run_attempts`] for native code.
#[cfg(not(target_arch = "wasm32"))]
pub fn run_attempts_blocking(
    model: &Trm,
    puzzles: &[Grid],
    config: &InferenceConfig,
    max_rows: usize,
) -> Result<Vec<Vec<AttemptRun>>> {
    crate::recursion::block_on(run_attempts(model, puzzles, config, max_rows))
}

/// What the first `k` attempts of a puzzle achieve, from [`run_attempts`]' runs.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct AttemptsScore {
    /// The answer chosen with the rule check: the first step at which an attempt satisfies
    /// every rule (most confident among those), else the most confident final answer.
    pub verified_answer: Grid,
    /// Whether that answer satisfies every rule.
    pub verified: bool,
    /// 1-based step of the first verified answer.
    pub steps_to_verified: Option<usize>,
    /// The most confident final answer, without any rule check.
    pub head_answer: Grid,
    /// Net calls a solve that stops at the first verified step would run.
    pub net_calls: usize,
}

/// Scores the first `k` attempts of one puzzle.
pub fn score_attempts(puzzle: &Grid, runs: &[AttemptRun], k: usize, calls_per_step: usize) -> AttemptsScore {
    let runs = &runs[..k.min(runs.len())];
    let longest = runs.iter().map(|r| r.steps.len()).max().unwrap_or(0);
    let mut first_verified = None;
    for step in 0..longest {
        let ends: Vec<AttemptEnd> = runs
            .iter()
            .filter_map(|r| r.steps.get(step))
            .map(|(answer, p)| AttemptEnd { verified: verified(answer, puzzle), halt_probability: *p })
            .collect();
        if ends.iter().any(|e| e.verified) {
            let candidates: Vec<&(Grid, f32)> = runs.iter().filter_map(|r| r.steps.get(step)).collect();
            if let Some(pick) = select(&ends) {
                first_verified = Some((step + 1, candidates[pick].0));
            }
            break;
        }
    }
    let finals: Vec<(Grid, f32)> = runs.iter().filter_map(|r| r.steps.last().copied()).collect();
    let head_pick =
        select(&finals.iter().map(|(_, p)| AttemptEnd { verified: false, halt_probability: *p }).collect::<Vec<_>>());
    let head_answer = head_pick.map(|i| finals[i].0).unwrap_or(*puzzle);
    let stop = first_verified.map(|(s, _)| s).unwrap_or(usize::MAX);
    let net_calls = runs.iter().map(|r| r.steps.len().min(stop)).sum::<usize>() * calls_per_step;
    match first_verified {
        Some((step, answer)) => AttemptsScore {
            verified_answer: answer,
            verified: true,
            steps_to_verified: Some(step),
            head_answer,
            net_calls,
        },
        None => AttemptsScore {
            verified_answer: head_answer,
            verified: false,
            steps_to_verified: None,
            head_answer,
            net_calls,
        },
    }
}

/// The model's digits with the puzzle's givens put back.
pub fn keep_givens(puzzle: &Grid, digits: &[i64]) -> Grid {
    let mut cells = [0u8; CELLS];
    for (cell, out) in cells.iter_mut().enumerate() {
        let given = puzzle.get(cell);
        *out = if given != 0 { given } else { digits.get(cell).copied().unwrap_or(0).clamp(0, 9) as u8 };
    }
    Grid::from_cells(cells).unwrap_or_default()
}

/// Fraction of the puzzle's blank cells that `answer` gets right.
pub fn blank_cell_accuracy(puzzle: &Grid, answer: &Grid, solution: &Grid) -> f64 {
    let blanks: Vec<usize> = (0..CELLS).filter(|&c| puzzle.get(c) == 0).collect();
    if blanks.is_empty() {
        return 1.0;
    }
    let right = blanks.iter().filter(|&&c| answer.get(c) == solution.get(c)).count();
    right as f64 / blanks.len() as f64
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::grid::samples::{PUZZLE, SOLUTION};

    #[test]
    fn blank_cell_accuracy_counts_only_the_blanks() {
        let puzzle = Grid::parse(PUZZLE).unwrap();
        let solution = Grid::parse(SOLUTION).unwrap();
        assert_eq!(blank_cell_accuracy(&puzzle, &solution, &solution), 1.0);
        // The puzzle itself: its givens are right, but they do not count; no blank is.
        assert_eq!(blank_cell_accuracy(&puzzle, &puzzle, &solution), 0.0);
        // 16 of the 64 blanks wrong.
        let mut answer = solution;
        let blanks: Vec<usize> = (0..CELLS).filter(|&c| puzzle.get(c) == 0).collect();
        assert_eq!(blanks.len(), 64);
        for &c in &blanks[..16] {
            answer.set(c, solution.get(c) % 9 + 1).unwrap();
        }
        assert_eq!(blank_cell_accuracy(&puzzle, &answer, &solution), 0.75);
        assert_eq!(blank_cell_accuracy(&solution, &puzzle, &solution), 1.0, "no blanks: nothing to get wrong");
    }

    #[test]
    fn keep_givens_puts_the_puzzle_back_and_clamps_digits() {
        let puzzle = Grid::parse(PUZZLE).unwrap();
        let solution = Grid::parse(SOLUTION).unwrap();
        let mut digits: Vec<i64> = solution.cells().iter().map(|&d| i64::from(d)).collect();
        digits[0] = 7; // over a given (4): the given stays
        assert_eq!(keep_givens(&puzzle, &digits), solution);
        digits[1] = 12; // out of range: clamped to 9
        digits[2] = -3; // clamped to blank
        let answer = keep_givens(&puzzle, &digits);
        assert_eq!((answer.get(0), answer.get(1), answer.get(2)), (4, 9, 0));
        // Missing digits are blanks.
        assert_eq!(keep_givens(&puzzle, &[]), puzzle);
    }

    fn run(steps: &[(Grid, f32)]) -> AttemptRun {
        AttemptRun { steps: steps.to_vec() }
    }

    #[test]
    fn scoring_takes_the_first_verified_step_and_counts_calls_until_then() {
        let puzzle = Grid::parse(PUZZLE).unwrap();
        let solution = Grid::parse(SOLUTION).unwrap();
        let mut wrong = solution;
        let blank = (0..CELLS).find(|&c| puzzle.get(c) == 0).unwrap();
        wrong.set(blank, solution.get(blank) % 9 + 1).unwrap();
        // Attempt 0 never solves but is confident; attempt 1 solves at step 3 and halts there;
        // attempt 2 solves at step 2 but would run on for 5 steps.
        let runs = vec![
            run(&[(wrong, 0.2), (wrong, 0.6), (wrong, 0.9)]),
            run(&[(wrong, 0.1), (wrong, 0.2), (solution, 0.7)]),
            run(&[(wrong, 0.1), (solution, 0.3), (solution, 0.4), (solution, 0.4), (solution, 0.45)]),
        ];
        let one = score_attempts(&puzzle, &runs, 1, 10);
        assert!(!one.verified);
        assert_eq!((one.verified_answer, one.head_answer, one.steps_to_verified), (wrong, wrong, None));
        assert_eq!(one.net_calls, 30);
        let two = score_attempts(&puzzle, &runs, 2, 10);
        assert_eq!((two.verified, two.steps_to_verified), (true, Some(3)));
        assert_eq!(two.verified_answer, solution);
        // The halting head alone picks attempt 0 (P = 0.9 > 0.7): wrong.
        assert_eq!(two.head_answer, wrong);
        assert_eq!(two.net_calls, (3 + 3) * 10);
        let three = score_attempts(&puzzle, &runs, 3, 10);
        assert_eq!(three.steps_to_verified, Some(2));
        // Stopped at step 2: every attempt ran at most 2 steps.
        assert_eq!(three.net_calls, (2 + 2 + 2) * 10);
        // More attempts than runs: all of them.
        assert_eq!(score_attempts(&puzzle, &runs, 64, 10), three);
    }
}

//! Inference: solve puzzles with the halting head's early exit, recording a trace for replay,
//! and batched evaluation at several step budgets.
//!
//! Givens are always kept: the model predicts every cell, and the answer shown or scored takes
//! the puzzle's digit wherever one is given.

use burn::prelude::*;
use burn::tensor::Transaction;

use crate::encoding::encode;
use crate::grid::{CELLS, Grid};
use crate::model::Trm;
use crate::recursion::{NoObserver, RecursionState, TraceRecorder, digits_and_confidence};
use crate::trace::{RecursionTrace, StepTrace, sigmoid};

/// How long to think, and when to stop.
#[derive(Config, Debug)]
pub struct InferenceConfig {
    /// Most supervision steps (16 in training; more may help at test time).
    #[config(default = 16)]
    pub max_steps: usize,
    /// Stop when the halting head says so.
    #[config(default = true)]
    pub early_exit: bool,
    /// Halting probability at which to stop.
    #[config(default = 0.5)]
    pub halt_threshold: f32,
}

/// The token tensor of a batch of grids.
///
/// # Shapes
/// - output: `[B, 81]`
pub fn tokens(grids: &[Grid], device: &Device) -> Tensor<2, Int> {
    let mut ids = Vec::with_capacity(grids.len() * CELLS);
    for grid in grids {
        ids.extend(encode(grid).iter().map(|&t| t as i64));
    }
    Tensor::from_data(TensorData::new(ids, [grids.len(), CELLS]), device)
}

/// One puzzle being solved step by step, recording the trace. The web page drives one
/// supervision step per animation frame; the CLI loops.
pub struct Session {
    model: Trm,
    puzzle: Grid,
    x: Tensor<3>,
    state: RecursionState,
    config: InferenceConfig,
    trace: RecursionTrace,
}

impl Session {
    /// Starts a solve. The puzzle should be valid; the model answers anything.
    pub fn new(model: Trm, puzzle: Grid, config: InferenceConfig) -> Self {
        let device = model.token_embedding.val().device();
        let x = model.embed(tokens(&[puzzle], &device));
        let (y, z) = model.initial_state(1);
        let trace = RecursionTrace {
            puzzle: puzzle.to_line(),
            latent_updates: model.latent_updates,
            cycles: model.cycles,
            steps: Vec::new(),
            halted_at: None,
        };
        Self { model, puzzle, x, state: RecursionState { y, z }, config, trace }
    }

    /// Whether the solve is over (step cap reached, or halted with early exit on).
    pub fn finished(&self) -> bool {
        self.trace.steps.len() >= self.config.max_steps
            || (self.config.early_exit && self.trace.halted_at.is_some())
    }

    /// Runs one supervision step and reads its trace back (one readback).
    pub async fn step(&mut self) -> Result<&StepTrace, String> {
        let device = self.x.device();
        let carried = (!self.trace.steps.is_empty()).then_some(&self.state.y);
        let mut recorder = TraceRecorder::new(&self.model, carried, 1, &device);
        let state = self.state.clone();
        let output = self.model.supervision_step(&self.x, state, &mut recorder);
        self.state = output.state;
        let step = recorder
            .finish()
            .read()
            .await?
            .pop()
            .ok_or("the trace readback was empty")?;
        if self.trace.halted_at.is_none() && step.halt_probability() >= self.config.halt_threshold {
            self.trace.halted_at = Some(self.trace.steps.len() + 1);
        }
        self.trace.steps.push(step);
        self.trace.steps.last().ok_or_else(|| "no step recorded".to_string())
    }

    /// The trace so far.
    pub fn trace(&self) -> &RecursionTrace {
        &self.trace
    }

    /// The puzzle.
    pub fn puzzle(&self) -> &Grid {
        &self.puzzle
    }

    /// Ends the session, returning the trace.
    pub fn into_trace(self) -> RecursionTrace {
        self.trace
    }
}

/// Solves one puzzle and returns the whole trace.
pub async fn solve_traced(model: &Trm, puzzle: &Grid, config: InferenceConfig) -> Result<RecursionTrace, String> {
    let mut session = Session::new(model.clone(), *puzzle, config);
    while !session.finished() {
        session.step().await?;
    }
    Ok(session.into_trace())
}

/// Blocking [`solve_traced`] for native code.
#[cfg(not(target_arch = "wasm32"))]
pub fn solve_traced_blocking(model: &Trm, puzzle: &Grid, config: InferenceConfig) -> Result<RecursionTrace, String> {
    crate::recursion::block_on(solve_traced(model, puzzle, config))
}

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

/// Runs a batch for `max(budgets)` steps, keeping the answer at each budget and at the
/// halting head's first stop. One readback per step.
pub async fn answer_batch(
    model: &Trm,
    puzzles: &[Grid],
    budgets: &[usize],
    halt_threshold: f32,
) -> Result<Vec<BatchAnswer>, String> {
    let batch = puzzles.len();
    if batch == 0 {
        return Ok(Vec::new());
    }
    let device = model.token_embedding.val().device();
    let max_steps = budgets.iter().copied().max().unwrap_or(1).max(1);
    let x = model.embed(tokens(puzzles, &device));
    let (y, z) = model.initial_state(batch);
    let mut state = RecursionState { y, z };
    let mut results: Vec<BatchAnswer> = puzzles
        .iter()
        .map(|_| BatchAnswer {
            at_budget: vec![Grid::empty(); budgets.len()],
            early_exit: Grid::empty(),
            early_exit_steps: 0,
        })
        .collect();
    for step in 1..=max_steps {
        let output = model.supervision_step(&x, state, &mut NoObserver);
        state = output.state;
        let (digits, _) = digits_and_confidence(output.logits);
        let data = Transaction::default()
            .register(digits)
            .register(output.halt_logit)
            .execute_async()
            .await
            .map_err(|e| format!("readback failed: {e:?}"))?;
        let [digits, halts]: [TensorData; 2] =
            data.try_into().map_err(|_| "readback returned the wrong number of tensors".to_string())?;
        let digits: Vec<i64> = digits.convert::<i64>().try_into_vec().map_err(|e| format!("{e:?}"))?;
        let halts: Vec<f32> = halts.convert::<f32>().try_into_vec().map_err(|e| format!("{e:?}"))?;
        for (i, result) in results.iter_mut().enumerate() {
            let answer = keep_givens(&puzzles[i], &digits[i * CELLS..(i + 1) * CELLS]);
            for (b, &budget) in budgets.iter().enumerate() {
                if budget == step {
                    result.at_budget[b] = answer;
                }
            }
            let halts_now = sigmoid(halts[i]) >= halt_threshold;
            if result.early_exit_steps == 0 && (halts_now || step == max_steps) {
                result.early_exit = answer;
                result.early_exit_steps = step;
            }
        }
    }
    Ok(results)
}

/// Blocking [`answer_batch`] for native code.
#[cfg(not(target_arch = "wasm32"))]
pub fn answer_batch_blocking(
    model: &Trm,
    puzzles: &[Grid],
    budgets: &[usize],
    halt_threshold: f32,
) -> Result<Vec<BatchAnswer>, String> {
    crate::recursion::block_on(answer_batch(model, puzzles, budgets, halt_threshold))
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

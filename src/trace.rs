//! The recorded recursion: plain data, no tensors. The web page replays it; the CLI prints it.

use serde::{Deserialize, Serialize};

use crate::grid::{CELLS, Grid};

/// Which kind of net call.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum CallKind {
    /// Latent update `z ← net(z, y + x)`, 0-based index within the cycle.
    Latent(u8),
    /// Answer update `y ← net(y, z)`.
    Answer,
}

/// The states after one net call.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CallTrace {
    /// 0-based cycle within the supervision step.
    pub cycle: u8,
    /// Latent or answer update.
    pub kind: CallKind,
    /// The model's digit per cell (1..=9), from the current y; 0 before the first answer.
    pub digits: Vec<u8>,
    /// Probability of that digit per cell.
    pub confidence: Vec<f32>,
    /// Mean per-cell L2 norm of z.
    pub z_norm: f32,
    /// Mean per-cell L2 norm of y.
    pub y_norm: f32,
    /// Halting logit read from the current y.
    pub halt_logit: f32,
}

impl CallTrace {
    /// The answer grid with the puzzle's givens kept.
    pub fn answer(&self, puzzle: &Grid) -> Grid {
        let mut cells = [0u8; CELLS];
        for (cell, out) in cells.iter_mut().enumerate() {
            let given = puzzle.get(cell);
            *out = if given != 0 { given } else { self.digits.get(cell).copied().unwrap_or(0).min(9) };
        }
        Grid::from_cells(cells).unwrap_or_default()
    }
}

/// One supervision step: T·(n+1) calls.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StepTrace {
    /// Every net call, in order.
    pub calls: Vec<CallTrace>,
    /// Halting logit at the end of the step.
    pub halt_logit: f32,
}

impl StepTrace {
    /// Halting probability at the end of the step.
    pub fn halt_probability(&self) -> f32 {
        sigmoid(self.halt_logit)
    }

    /// The final call of the step (the last answer update).
    pub fn last(&self) -> Option<&CallTrace> {
        self.calls.last()
    }
}

/// A whole solve, as recorded.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RecursionTrace {
    /// The puzzle, 81 characters.
    pub puzzle: String,
    /// n.
    pub latent_updates: usize,
    /// T.
    pub cycles: usize,
    /// The supervision steps run.
    pub steps: Vec<StepTrace>,
    /// 1-based step at which the halting head first said stop, if it did.
    pub halted_at: Option<usize>,
}

impl RecursionTrace {
    /// Total net calls recorded.
    pub fn call_count(&self) -> usize {
        self.steps.iter().map(|s| s.calls.len()).sum()
    }

    /// The final answer with givens kept, or `None` if no step ran.
    pub fn final_answer(&self) -> Option<Grid> {
        let puzzle = Grid::parse(&self.puzzle).ok()?;
        Some(self.steps.last()?.last()?.answer(&puzzle))
    }
}

/// Logistic function.
pub fn sigmoid(x: f32) -> f32 {
    1.0 / (1.0 + (-x).exp())
}

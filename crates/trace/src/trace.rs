//! The recorded recursion: plain data, no tensors. The web page replays it; the CLI prints it.

use serde::{Deserialize, Serialize};

use crate::attempts::{AttemptStart, conflict_count, verified};
use trm_puzzle::sudoku::grid::{CELLS, Grid};

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
    /// Per cell, how far z moved in this call: ‖z_after − z_before‖ (81 values).
    #[serde(default)]
    pub dz: Vec<f32>,
    /// Mean over the cells of `dz`.
    #[serde(default)]
    pub dz_mean: f32,
    /// Mean over the cells of how far y moved (0 at latent updates, which leave y alone).
    #[serde(default)]
    pub dy_mean: f32,
    /// Each cell's z in a fixed random projection to [`SKETCH_DIMS`] dimensions, as
    /// `i8 × sketch_scale` (cell-major): enough to fit the solve's two principal components.
    #[serde(default)]
    pub sketch: Vec<i8>,
    /// Scale of `sketch`.
    #[serde(default)]
    pub sketch_scale: f32,
    /// At answer updates, each cell's probability of the digits 1..=9 (cell-major, ×255 and
    /// rounded); empty at latent updates.
    #[serde(default)]
    pub probs: Vec<u8>,
}

/// Dimensions of the random projection of z recorded per cell ([`CallTrace::sketch`]).
pub const SKETCH_DIMS: usize = 8;

impl CallTrace {
    /// The cell's probability of digit `d` (1..=9), at an answer update.
    pub fn probability(&self, cell: usize, digit: u8) -> Option<f32> {
        if !(1..=9).contains(&digit) {
            return None;
        }
        self.probs.get(cell * 9 + digit as usize - 1).map(|&p| f32::from(p) / 255.0)
    }

    /// The cell's three most likely digits with their probabilities, at an answer update.
    pub fn top3(&self, cell: usize) -> Option<[(u8, f32); 3]> {
        let row = self.probs.get(cell * 9..cell * 9 + 9)?;
        let mut digits: Vec<(u8, f32)> =
            row.iter().enumerate().map(|(i, &p)| (i as u8 + 1, f32::from(p) / 255.0)).collect();
        digits.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
        Some([digits[0], digits[1], digits[2]])
    }

    /// Cell `cell`'s sketch of z, dequantised.
    pub fn sketch_of(&self, cell: usize) -> Option<[f32; SKETCH_DIMS]> {
        let raw = self.sketch.get(cell * SKETCH_DIMS..(cell + 1) * SKETCH_DIMS)?;
        let mut out = [0.0; SKETCH_DIMS];
        for (o, &v) in out.iter_mut().zip(raw) {
            *o = f32::from(v) * self.sketch_scale;
        }
        Some(out)
    }
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

    /// The answer at the end of the step, givens kept.
    pub fn answer(&self, puzzle: &Grid) -> Option<Grid> {
        Some(self.last()?.answer(puzzle))
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

/// One of K parallel attempts: how it started and its recursion, in the user's orientation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AttemptTrace {
    /// Its symmetry and noise.
    pub start: AttemptStart,
    /// Supervision steps the solve had run when it started: 0 for the first K, more for an
    /// adaptive solve's replacements and escalations. Its step `i` is the solve's step
    /// `joined_at + i`.
    #[serde(default)]
    pub joined_at: usize,
    /// Its recursion, mapped back to the user's puzzle; `halted_at` is where its halting head
    /// said stop (with early exit on, its last step), counted in its own steps.
    pub trace: RecursionTrace,
}

impl AttemptTrace {
    /// Per supervision step: the answer (user orientation), its conflicting cells, whether it
    /// satisfies every rule, and the halting probability.
    pub fn step_summaries(&self) -> Vec<AttemptStep> {
        let Ok(puzzle) = Grid::parse(&self.trace.puzzle) else { return Vec::new() };
        self.trace
            .steps
            .iter()
            .filter_map(|step| {
                let answer = step.answer(&puzzle)?;
                Some(AttemptStep {
                    conflicts: conflict_count(&answer),
                    verified: verified(&answer, &puzzle),
                    halt_probability: step.halt_probability(),
                    answer,
                })
            })
            .collect()
    }
}

/// One attempt at one supervision step.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct AttemptStep {
    /// The answer with givens kept, in the user's orientation.
    pub answer: Grid,
    /// Cells that break a rule.
    pub conflicts: usize,
    /// Complete, every given kept, no rule broken.
    pub verified: bool,
    /// Halting probability.
    pub halt_probability: f32,
}

/// How a solve with parallel attempts ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Outcome {
    /// The attempt whose answer is the result.
    pub selected: usize,
    /// Whether that answer satisfies every rule (else it is the most confident unverified one).
    pub verified: bool,
    /// 1-based supervision step of that answer.
    pub step: usize,
    /// Net calls run, over all attempts.
    pub net_calls: usize,
}

/// A whole solve with K parallel attempts.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SolveTrace {
    /// The puzzle, 81 characters.
    pub puzzle: String,
    /// Every attempt; attempt 0 is the puzzle as given.
    pub attempts: Vec<AttemptTrace>,
    /// Set when the solve is over.
    pub outcome: Option<Outcome>,
}

impl SolveTrace {
    /// The selected attempt's trace (attempt 0 while running).
    pub fn selected(&self) -> Option<&RecursionTrace> {
        let index = self.outcome.map(|o| o.selected).unwrap_or(0);
        self.attempts.get(index).map(|a| &a.trace)
    }

    /// Net calls run so far, over every attempt: each attempt runs on its own row, so K
    /// attempts side by side cost K calls per call of one (an adaptive solve's escalation shows
    /// as a steeper climb).
    pub fn net_calls_run(&self) -> usize {
        self.attempts.iter().flat_map(|a| a.trace.steps.iter()).map(|step| step.calls.len()).sum()
    }

    /// The final answer: the selected attempt's answer at the outcome's step.
    pub fn final_answer(&self) -> Option<Grid> {
        let outcome = self.outcome?;
        let attempt = self.attempts.get(outcome.selected)?;
        let puzzle = Grid::parse(&self.puzzle).ok()?;
        attempt.trace.steps.get(outcome.step.checked_sub(1)?)?.answer(&puzzle)
    }
}

/// Logistic function.
pub fn sigmoid(x: f32) -> f32 {
    1.0 / (1.0 + (-x).exp())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::attempts::TransformMix;
    use trm_puzzle::sudoku::grid::samples::{PUZZLE, SOLUTION};

    /// An answer update whose digits are `answer`'s, each with probability 1.
    fn answer_call(answer: &str) -> CallTrace {
        let digits: Vec<u8> = answer.bytes().map(|b| if b == b'.' { 0 } else { b - b'0' }).collect();
        let mut probs = vec![0u8; CELLS * 9];
        for (cell, &d) in digits.iter().enumerate().filter(|(_, d)| **d > 0) {
            probs[cell * 9 + usize::from(d) - 1] = 255;
        }
        CallTrace {
            cycle: 0,
            kind: CallKind::Answer,
            confidence: vec![1.0; CELLS],
            digits,
            z_norm: 1.0,
            y_norm: 1.0,
            halt_logit: 0.0,
            dz: vec![0.0; CELLS],
            dz_mean: 0.0,
            dy_mean: 0.0,
            sketch: Vec::new(),
            sketch_scale: 0.0,
            probs,
        }
    }

    fn step(calls: Vec<CallTrace>, halt_logit: f32) -> StepTrace {
        StepTrace { calls, halt_logit }
    }

    /// Two steps of PUZZLE: the first answers with one wrong digit, the second solves it.
    fn two_steps() -> RecursionTrace {
        let mut wrong = SOLUTION.to_string();
        wrong.replace_range(1..2, "9"); // cell 1 is blank in PUZZLE; 9 repeats in row 0
        let latent = CallTrace { kind: CallKind::Latent(0), probs: Vec::new(), ..answer_call(&wrong) };
        RecursionTrace {
            puzzle: PUZZLE.to_string(),
            latent_updates: 1,
            cycles: 1,
            steps: vec![step(vec![latent, answer_call(&wrong)], -2.0), step(vec![answer_call(SOLUTION)], 3.0)],
            halted_at: Some(2),
        }
    }

    #[test]
    fn probabilities_come_from_the_answer_update() {
        let mut call = answer_call(SOLUTION);
        call.probs[9 + 6] = 128; // cell 1 (a 1), digit 7: about one half
        assert_eq!(call.probability(0, 4), Some(1.0));
        assert_eq!(call.probability(0, 5), Some(0.0));
        assert!((call.probability(1, 7).unwrap() - 128.0 / 255.0).abs() < 1e-6);
        assert_eq!(call.probability(0, 0), None);
        assert_eq!(call.probability(0, 10), None);
        assert_eq!(call.top3(1).unwrap()[..2], [(1, 1.0), (7, 128.0 / 255.0)]);
        let latent = CallTrace { probs: Vec::new(), ..call };
        assert_eq!(latent.probability(0, 4), None, "latent updates carry no probabilities");
        assert_eq!(latent.top3(0), None);
    }

    #[test]
    fn answers_keep_the_givens_and_follow_the_steps() {
        let trace = two_steps();
        let puzzle = Grid::parse(PUZZLE).unwrap();
        assert_eq!(trace.call_count(), 3);
        assert_eq!(trace.steps[1].answer(&puzzle).unwrap().to_line(), SOLUTION);
        assert_eq!(trace.final_answer().unwrap().to_line(), SOLUTION);
        // Digits the model wrote over a given do not show: the given stays.
        let mut over = SOLUTION.to_string();
        over.replace_range(0..1, "9");
        assert_eq!(answer_call(&over).answer(&puzzle).to_line(), SOLUTION);
        assert_eq!(step(Vec::new(), 0.0).answer(&puzzle), None);
        let empty = RecursionTrace { steps: Vec::new(), ..trace };
        assert_eq!(empty.final_answer(), None);
        assert_eq!(empty.call_count(), 0);
    }

    #[test]
    fn halting_probability_is_the_logistic_of_the_logit() {
        assert_eq!(sigmoid(0.0), 0.5);
        assert!((sigmoid(2.0) - 0.880_797).abs() < 1e-6);
        assert!((sigmoid(-2.0) - 0.119_203).abs() < 1e-6);
        assert!((step(Vec::new(), 3.0).halt_probability() - 0.952_574).abs() < 1e-6);
    }

    #[test]
    fn attempts_summarise_each_step_and_the_outcome_picks_one() {
        let start = AttemptStart::new(0, 7, TransformMix::Full, false);
        let attempt = AttemptTrace { start, joined_at: 0, trace: two_steps() };
        let summaries = attempt.step_summaries();
        assert_eq!(summaries.len(), 2);
        assert!(!summaries[0].verified && summaries[0].conflicts >= 2, "{:?}", summaries[0]);
        assert!(summaries[1].verified && summaries[1].conflicts == 0);
        assert!((summaries[1].halt_probability - sigmoid(3.0)).abs() < 1e-6);

        let unsolved = AttemptTrace {
            start,
            joined_at: 0,
            trace: RecursionTrace { steps: vec![two_steps().steps[0].clone()], ..two_steps() },
        };
        let mut solve = SolveTrace { puzzle: PUZZLE.to_string(), attempts: vec![unsolved, attempt], outcome: None };
        // While running, attempt 0 is shown; no answer yet.
        assert_eq!(solve.selected().unwrap().steps.len(), 1);
        assert_eq!(solve.final_answer(), None);
        solve.outcome = Some(Outcome { selected: 1, verified: true, step: 2, net_calls: 5 });
        assert_eq!(solve.selected().unwrap().steps.len(), 2);
        assert_eq!(solve.final_answer().unwrap().to_line(), SOLUTION);
        // The outcome's step counts from 1: step 1 of attempt 1 is the wrong answer.
        solve.outcome = Some(Outcome { selected: 1, verified: false, step: 1, net_calls: 5 });
        assert_ne!(solve.final_answer().unwrap().to_line(), SOLUTION);
        solve.outcome = Some(Outcome { selected: 1, verified: false, step: 0, net_calls: 5 });
        assert_eq!(solve.final_answer(), None);
    }
}

//! Inference: solve puzzles with the halting head's early exit, recording a trace for replay
//! (the page's [`Session`], with its adaptive solve), and batched evaluation at several step
//! budgets ([`batch`]).
//!
//! Givens are always kept: the model predicts every cell, and the answer shown or scored takes
//! the puzzle's digit wherever one is given.

use burn::prelude::*;

use crate::attempts::{AttemptEnd, AttemptStart, TransformMix, gaussian_noise, select, step_to_user, verified};
use crate::encoding::encode;
use crate::error::{Error, Result};
use crate::grid::{CELLS, Grid};
use crate::model::Trm;
use crate::recursion::{NoObserver, RecursionState, TraceRecorder};
use crate::trace::{AttemptTrace, Outcome, RecursionTrace, SolveTrace, StepTrace};

pub mod batch;
pub use batch::*;

/// How long to think, when to stop, and how many attempts to run side by side.
#[derive(Config, Debug)]
pub struct InferenceConfig {
    /// Most supervision steps (16 in training; more may help at test time).
    #[config(default = 16)]
    pub max_steps: usize,
    /// Stop an attempt when its halting head says so.
    #[config(default = true)]
    pub early_exit: bool,
    /// Halting probability at which to stop.
    #[config(default = 0.5)]
    pub halt_threshold: f32,
    /// K: attempts run as one batch (see [`crate::attempts`]). With more than one, the solve
    /// stops at the first step at which an attempt's answer satisfies every rule.
    #[config(default = 1)]
    pub attempts: usize,
    /// Standard deviation of the Gaussian noise added to the initial y and z of attempts
    /// after the first (0: none).
    #[config(default = 0.0)]
    pub noise: f64,
    /// Which symmetries attempts after the first use.
    #[config(default = "TransformMix::Full")]
    pub transforms: TransformMix,
    /// Seed of the attempts' symmetries and noise.
    #[config(default = 0)]
    pub seed: u64,
    /// Drop the rows of attempts that are over, so they stop costing compute: right on the CPU,
    /// where a batch costs in proportion to its rows. On a GPU a batch costs about the same at
    /// any size, and every new size compiles new kernels in the middle of a solve, so the
    /// worker keeps them there (their results are ignored).
    #[config(default = true)]
    pub drop_finished_rows: bool,
    /// Think until it is right: an attempt whose halting head stops it on an answer that breaks
    /// a rule is replaced by a fresh one (the next symmetry and noise of the plan) in its batch
    /// slot, and while nothing satisfies every rule the slots and the step budget grow through
    /// [`ESCALATION`]. Any rule-satisfying answer ends the solve, even with one attempt. The
    /// caller holds the time budget ([`Session::give_up`]).
    #[config(default = false)]
    pub adaptive: bool,
    /// The most slots the adaptive solve grows to: the page sets what its device runs within
    /// the time budget ([`crate::attempts::adaptive_slot_limit`]).
    #[config(default = 64)]
    pub adaptive_max_slots: usize,
}

/// The adaptive solve's later stages, `(slots, last supervision step)`, after the first one at
/// the configured K and step budget: more attempts side by side, and longer thinking for those
/// that have not halted (running 64–128 steps instead of 16 lifts hard puzzles; see the
/// model card). Stages that would add nothing are skipped.
pub const ESCALATION: [(usize, usize); 3] = [(4, 32), (16, 64), (64, 128)];

/// The most attempts an adaptive solve starts, replacements included (bounds the trace).
pub const MAX_ADAPTIVE_ATTEMPTS: usize = 512;

/// The adaptive solve's stages for a first stage of `attempts` slots and `max_steps` steps,
/// growing to at most `max_slots` slots (never fewer than the first stage's).
pub fn adaptive_stages(attempts: usize, max_steps: usize, max_slots: usize) -> Vec<(usize, usize)> {
    let mut stages = vec![(attempts.max(1), max_steps.max(1))];
    for (slots, until) in ESCALATION {
        let &(last_slots, last_until) = stages.last().unwrap_or(&(1, 1));
        let next = (slots.min(max_slots).max(last_slots), until.max(last_until));
        if next != (last_slots, last_until) {
            stages.push(next);
        }
    }
    stages
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

/// The token tensor of puzzles of any task, each `cells` tokens long.
///
/// # Shapes
/// - output: `[B, cells]`
pub fn token_rows<'a>(
    rows: impl IntoIterator<Item = &'a [u8]>,
    cells: usize,
    device: &Device,
) -> Result<Tensor<2, Int>> {
    let mut ids = Vec::new();
    let mut count = 0;
    for row in rows {
        if row.len() != cells {
            return Err(Error::Config(format!("a puzzle of {} tokens where the model reads {cells}", row.len())));
        }
        ids.extend(row.iter().map(|&t| t as i64));
        count += 1;
    }
    Ok(Tensor::from_data(TensorData::new(ids, [count, cells]), device))
}

/// The stepping engine: the rows of a batch of attempts, their embedded puzzles and carried
/// states. Every solve runs through it (the page's [`Session`], traced; batched evaluation in
/// [`run_attempts`] and [`answer_batch`], untraced; [`measure_net_calls`]). Rows whose attempt
/// is over are dropped, so they stop costing compute.
struct AttemptRows {
    /// `[R, L, D]`
    x: Tensor<3>,
    state: RecursionState,
}

impl AttemptRows {
    /// Embeds the (transformed) puzzles and builds the initial states, with noise where a row's
    /// start asks for it.
    fn new(model: &Trm, puzzles: &[Grid], starts: &[AttemptStart], noise: f64) -> Self {
        let device = model.token_embedding.val().device();
        let rows = puzzles.len();
        let x = model.embed(tokens(puzzles, &device));
        let (mut y, mut z) = model.initial_state(rows);
        if noise > 0.0 && starts.iter().any(|s| s.noise_seed.is_some()) {
            let [_, l, d] = y.dims();
            let mut y_noise = Vec::with_capacity(rows * l * d);
            let mut z_noise = Vec::with_capacity(rows * l * d);
            for start in starts {
                match start.noise_seed {
                    Some(seed) => {
                        y_noise.extend(gaussian_noise(l * d, noise, seed));
                        z_noise.extend(gaussian_noise(l * d, noise, seed ^ 0x5A5A_5A5A));
                    }
                    None => {
                        y_noise.extend(std::iter::repeat_n(0.0, l * d));
                        z_noise.extend(std::iter::repeat_n(0.0, l * d));
                    }
                }
            }
            y = y + Tensor::from_data(TensorData::new(y_noise, [rows, l, d]), &device);
            z = z + Tensor::from_data(TensorData::new(z_noise, [rows, l, d]), &device);
        }
        Self { x, state: RecursionState { y, z } }
    }

    /// Adds rows for new attempts at the end of the batch.
    fn append(&mut self, model: &Trm, puzzles: &[Grid], starts: &[AttemptStart], noise: f64) {
        let new = Self::new(model, puzzles, starts, noise);
        self.x = Tensor::cat(vec![self.x.clone(), new.x], 0);
        self.state = RecursionState {
            y: Tensor::cat(vec![self.state.y.clone(), new.state.y], 0),
            z: Tensor::cat(vec![self.state.z.clone(), new.state.z], 0),
        };
    }

    /// Starts a new attempt in row `row`, in place (the batch keeps its size, so a GPU compiles
    /// nothing new).
    fn replace(&mut self, model: &Trm, row: usize, puzzle: Grid, start: AttemptStart, noise: f64) {
        let new = Self::new(model, &[puzzle], &[start], noise);
        let [_, l, d] = self.x.dims();
        let rows = [row..row + 1, 0..l, 0..d];
        self.x = self.x.clone().slice_assign(rows.clone(), new.x);
        let [_, l, d] = self.state.y.dims();
        let rows = [row..row + 1, 0..l, 0..d];
        self.state = RecursionState {
            y: self.state.y.clone().slice_assign(rows.clone(), new.state.y),
            z: self.state.z.clone().slice_assign(rows, new.state.z),
        };
    }

    /// Runs one supervision step on every row, recording it (the recorder reads the heads).
    fn record_step(&mut self, model: &Trm, recorder: &mut TraceRecorder) {
        self.state = model.recurse(&self.x, self.state.clone(), recorder);
    }

    /// Runs one supervision step on every row and returns its answer logits `[R, 81, VOCAB]`
    /// and halting logits `[R]`.
    fn step(&mut self, model: &Trm) -> (Tensor<3>, Tensor<1>) {
        let output = model.supervision_step(&self.x, self.state.clone(), &mut NoObserver);
        self.state = output.state;
        (output.logits, output.halt_logit)
    }

    /// Keeps the rows marked true, in order. Returns false when none is left.
    fn keep(&mut self, keep: &[bool]) -> bool {
        let kept: Vec<i64> = keep.iter().enumerate().filter(|(_, k)| **k).map(|(i, _)| i as i64).collect();
        if kept.is_empty() {
            return false;
        }
        if kept.len() < keep.len() {
            let device = self.x.device();
            let index = Tensor::<1, Int>::from_data(TensorData::new(kept.clone(), [kept.len()]), &device);
            self.x = self.x.clone().select(0, index.clone());
            self.state = RecursionState {
                y: self.state.y.clone().select(0, index.clone()),
                z: self.state.z.clone().select(0, index),
            };
        }
        true
    }
}

/// One puzzle being solved step by step with K attempts, recording every attempt's trace. The
/// page's worker runs it one supervision step at a time and sends each step's trace to the page
/// (so Stop answers between steps); the CLI loops.
pub struct Session {
    model: Trm,
    puzzle: Grid,
    config: InferenceConfig,
    rows: AttemptRows,
    /// The attempt of each row, in row order.
    row_attempts: Vec<usize>,
    /// Whether each attempt is still running.
    running: Vec<bool>,
    steps_run: usize,
    net_calls: usize,
    trace: SolveTrace,
    /// `(slots, last step)` per stage: one stage unless adaptive ([`adaptive_stages`]).
    stages: Vec<(usize, usize)>,
    stage: usize,
}

impl Session {
    /// Starts a solve. The puzzle should be valid; the model answers anything.
    pub fn new(model: Trm, puzzle: Grid, config: InferenceConfig) -> Self {
        let attempts = config.attempts.max(1);
        let starts = AttemptStart::plan(attempts, config.seed, config.transforms, config.noise > 0.0);
        let puzzles: Vec<Grid> = starts.iter().map(|s| s.transform.apply(&puzzle)).collect();
        let rows = AttemptRows::new(&model, &puzzles, &starts, config.noise);
        let empty_trace = RecursionTrace {
            puzzle: puzzle.to_line(),
            latent_updates: model.latent_updates,
            cycles: model.cycles,
            steps: Vec::new(),
            halted_at: None,
        };
        let trace = SolveTrace {
            puzzle: puzzle.to_line(),
            attempts: starts
                .into_iter()
                .map(|start| AttemptTrace { start, joined_at: 0, trace: empty_trace.clone() })
                .collect(),
            outcome: None,
        };
        let stages = if config.adaptive {
            adaptive_stages(attempts, config.max_steps, config.adaptive_max_slots)
        } else {
            vec![(attempts, config.max_steps.max(1))]
        };
        Self {
            model,
            puzzle,
            config,
            rows,
            row_attempts: (0..attempts).collect(),
            running: vec![true; attempts],
            steps_run: 0,
            net_calls: 0,
            trace,
            stages,
            stage: 0,
        }
    }

    /// Starts attempt number `trace.attempts.len()` of the plan: returns its index, its
    /// transformed puzzle and its start.
    fn next_attempt(&mut self) -> (usize, Grid, AttemptStart) {
        let index = self.trace.attempts.len();
        let start = AttemptStart::new(index, self.config.seed, self.config.transforms, self.config.noise > 0.0);
        let empty = RecursionTrace {
            puzzle: self.puzzle.to_line(),
            latent_updates: self.model.latent_updates,
            cycles: self.model.cycles,
            steps: Vec::new(),
            halted_at: None,
        };
        self.trace.attempts.push(AttemptTrace { start, joined_at: self.steps_run, trace: empty });
        self.running.push(true);
        (index, start.transform.apply(&self.puzzle), start)
    }

    /// The step budget of the current stage.
    pub fn step_budget(&self) -> usize {
        self.stages[self.stage].1
    }

    /// Attempts side by side now (the batch's rows that run).
    pub fn slots(&self) -> usize {
        self.row_attempts.len()
    }

    /// Steps until the solve is over.
    pub async fn run(&mut self) -> Result<()> {
        while !self.finished() {
            self.step().await?;
        }
        Ok(())
    }

    /// Ends the solve now, without a verified answer unless one was found: the time budget is
    /// spent, or the visitor stopped it. Picks the most confident answer.
    pub fn give_up(&mut self) {
        if !self.finished() {
            self.finish(None);
        }
    }

    /// Whether the solve is over.
    pub fn finished(&self) -> bool {
        self.trace.outcome.is_some()
    }

    /// Runs one supervision step of every running attempt and reads its trace back (one
    /// readback). Returns the attempts that ran, with their new step in the user's orientation.
    pub async fn step(&mut self) -> Result<Vec<(usize, StepTrace)>> {
        if self.finished() {
            return Ok(Vec::new());
        }
        // A row whose attempt has no step yet (the first step, or a replacement) has no answer
        // to show before its first answer update.
        let fresh: Vec<bool> =
            self.row_attempts.iter().map(|&a| self.trace.attempts[a].trace.steps.is_empty()).collect();
        let mut recorder = TraceRecorder::per_sample(&self.model, &self.rows.state, fresh);
        self.rows.record_step(&self.model, &mut recorder);
        let steps = recorder.finish().read().await?;
        if steps.len() != self.row_attempts.len() {
            return Err(Error::Backend("the trace readback has the wrong batch size".into()));
        }
        self.steps_run += 1;
        let running_now = self.row_attempts.iter().filter(|&&a| self.running[a]).count();
        self.net_calls += running_now * self.model.calls_per_step();

        let mut ran = Vec::with_capacity(running_now);
        let mut verified_now = Vec::new();
        let mut halted_wrong = Vec::new();
        for (row, (&attempt, step)) in self.row_attempts.iter().zip(steps).enumerate() {
            if !self.running[attempt] {
                continue;
            }
            let record = &mut self.trace.attempts[attempt];
            let step = step_to_user(step, &record.start.transform);
            let halts = step.halt_probability() >= self.config.halt_threshold;
            if record.trace.halted_at.is_none() && halts {
                record.trace.halted_at = Some(record.trace.steps.len() + 1);
            }
            let answer = step.answer(&self.puzzle).unwrap_or(self.puzzle);
            let right = verified(&answer, &self.puzzle);
            if right {
                verified_now.push(attempt);
            }
            self.running[attempt] = !(self.config.early_exit && halts);
            if !self.running[attempt] && !right {
                halted_wrong.push(row);
            }
            record.trace.steps.push(step.clone());
            ran.push((attempt, step));
        }
        // With several attempts (or adaptively), the first rule-satisfying answer ends the solve;
        // a single attempt runs as it always has, until its halting head or the step budget.
        let rule_stop = (self.trace.attempts.len() > 1 || self.config.adaptive) && !verified_now.is_empty();
        if rule_stop {
            self.finish(Some(&verified_now));
            return Ok(ran);
        }
        if self.config.adaptive {
            // An attempt that stopped on a wrong answer hands its slot to a fresh one.
            for row in halted_wrong {
                if self.trace.attempts.len() >= MAX_ADAPTIVE_ATTEMPTS {
                    break;
                }
                let (attempt, puzzle, start) = self.next_attempt();
                self.rows.replace(&self.model, row, puzzle, start, self.config.noise);
                self.row_attempts[row] = attempt;
            }
            // Out of steps for this stage with nothing verified: more slots, more steps.
            if self.steps_run >= self.step_budget() && self.stage + 1 < self.stages.len() {
                self.stage += 1;
                let slots = self.stages[self.stage].0;
                let mut puzzles = Vec::new();
                let mut starts = Vec::new();
                while self.row_attempts.len() < slots && self.trace.attempts.len() < MAX_ADAPTIVE_ATTEMPTS {
                    let (attempt, puzzle, start) = self.next_attempt();
                    puzzles.push(puzzle);
                    starts.push(start);
                    self.row_attempts.push(attempt);
                }
                if !puzzles.is_empty() {
                    self.rows.append(&self.model, &puzzles, &starts, self.config.noise);
                }
            }
        }
        let out_of_steps = self.steps_run >= self.step_budget();
        let any_running = self.row_attempts.iter().any(|&a| self.running[a]);
        if out_of_steps || !any_running {
            self.finish(None);
        } else if self.config.drop_finished_rows {
            let keep: Vec<bool> = self.row_attempts.iter().map(|&a| self.running[a]).collect();
            self.rows.keep(&keep);
            self.row_attempts.retain(|&a| self.running[a]);
        }
        Ok(ran)
    }

    /// Picks the answer: among `verified_now` (or, at the end, every attempt's last step) the
    /// verified and most confident.
    fn finish(&mut self, verified_now: Option<&[usize]>) {
        let puzzle = self.puzzle;
        let candidates: Vec<usize> = match verified_now {
            Some(list) => list.to_vec(),
            None => (0..self.trace.attempts.len()).collect(),
        };
        let ends: Vec<AttemptEnd> = candidates
            .iter()
            .map(|&a| {
                let last = self.trace.attempts[a].trace.steps.last();
                AttemptEnd {
                    verified: last.and_then(|s| s.answer(&puzzle)).is_some_and(|g| verified(&g, &puzzle)),
                    halt_probability: last.map(|s| s.halt_probability()).unwrap_or(0.0),
                }
            })
            .collect();
        if let Some(pick) = select(&ends) {
            let selected = candidates[pick];
            self.trace.outcome = Some(Outcome {
                selected,
                verified: ends[pick].verified,
                step: self.trace.attempts[selected].trace.steps.len(),
                net_calls: self.net_calls,
            });
        }
    }

    /// Every attempt so far.
    pub fn solve_trace(&self) -> &SolveTrace {
        &self.trace
    }

    /// The selected attempt's trace (attempt 0 while running).
    pub fn trace(&self) -> &RecursionTrace {
        let index = self.trace.outcome.map(|o| o.selected).unwrap_or(0);
        &self.trace.attempts[index].trace
    }

    /// The puzzle.
    pub fn puzzle(&self) -> &Grid {
        &self.puzzle
    }

    /// Supervision steps run.
    pub fn steps_run(&self) -> usize {
        self.steps_run
    }

    /// Ends the session, returning every attempt's trace.
    pub fn into_solve_trace(self) -> SolveTrace {
        self.trace
    }

    /// Ends the session, returning the selected attempt's trace.
    pub fn into_trace(self) -> RecursionTrace {
        let index = self.trace.outcome.map(|o| o.selected).unwrap_or(0);
        self.trace.attempts.into_iter().nth(index).map(|a| a.trace).unwrap_or_else(|| RecursionTrace {
            puzzle: self.puzzle.to_line(),
            latent_updates: self.model.latent_updates,
            cycles: self.model.cycles,
            steps: Vec::new(),
            halted_at: None,
        })
    }
}

/// Solves one puzzle with every attempt the config asks for and returns all their traces.
pub async fn solve_attempts(model: &Trm, puzzle: &Grid, config: InferenceConfig) -> Result<SolveTrace> {
    let mut session = Session::new(model.clone(), *puzzle, config);
    session.run().await?;
    Ok(session.into_solve_trace())
}

/// Blocking [`solve_attempts`] for native code.
#[cfg(not(target_arch = "wasm32"))]
pub fn solve_attempts_blocking(model: &Trm, puzzle: &Grid, config: InferenceConfig) -> Result<SolveTrace> {
    crate::recursion::block_on(solve_attempts(model, puzzle, config))
}

/// Solves one puzzle adaptively ([`InferenceConfig::adaptive`] is set here) until an answer
/// satisfies every rule, the last stage's step budget ends, or `budget_ms` of `now_ms` (a clock
/// in milliseconds: `Instant` natively, `performance.now()` in a worker) has passed, checked
/// between supervision steps. Returns every attempt's trace, and whether time ran out.
pub async fn solve_adaptive(
    model: &Trm,
    puzzle: &Grid,
    config: InferenceConfig,
    budget_ms: f64,
    now_ms: impl Fn() -> f64,
) -> Result<(SolveTrace, bool)> {
    let started = now_ms();
    let mut session = Session::new(model.clone(), *puzzle, config.with_adaptive(true));
    let mut out_of_time = false;
    while !session.finished() {
        session.step().await?;
        if !session.finished() && now_ms() - started >= budget_ms {
            session.give_up();
            out_of_time = true;
        }
    }
    Ok((session.into_solve_trace(), out_of_time))
}

/// The page's measurement, natively: ms per net call of a traced supervision step (what an
/// adaptive solve runs) at batch 1 and 8, the median of `rounds` after one untimed step each.
/// [`crate::attempts::adaptive_slot_limit`] turns it into the slots a time budget allows, as
/// the page's worker does with its own timings.
#[cfg(not(target_arch = "wasm32"))]
pub fn measure_net_calls(model: &Trm, puzzle: &Grid, rounds: usize) -> Result<crate::protocol::NetCallTiming> {
    let per_call = |batch: usize| -> Result<f64> {
        // The work of a step of `batch` attempts, without a rule check that could end it.
        let mut rows = AttemptRows::new(model, &vec![*puzzle; batch], &vec![AttemptStart::AS_GIVEN; batch], 0.0);
        let mut times = Vec::with_capacity(rounds);
        for round in 0..=rounds.max(1) {
            let start = std::time::Instant::now();
            let mut recorder = TraceRecorder::new(model, &rows.state, round == 0);
            rows.record_step(model, &mut recorder);
            crate::recursion::block_on(recorder.finish().read())?;
            if round > 0 {
                times.push(start.elapsed().as_secs_f64() * 1e3 / model.calls_per_step() as f64);
            }
        }
        times.sort_by(f64::total_cmp);
        Ok(times[times.len() / 2])
    };
    Ok(crate::protocol::NetCallTiming {
        backend: crate::protocol::Backend::Cpu,
        batch1_ms: per_call(1)?,
        batch8_ms: per_call(8)?,
    })
}

/// Blocking [`solve_adaptive`] for native code, timed by [`std::time::Instant`].
#[cfg(not(target_arch = "wasm32"))]
pub fn solve_adaptive_blocking(
    model: &Trm,
    puzzle: &Grid,
    config: InferenceConfig,
    budget: std::time::Duration,
) -> Result<(SolveTrace, bool)> {
    let clock = std::time::Instant::now();
    crate::recursion::block_on(solve_adaptive(model, puzzle, config, budget.as_secs_f64() * 1e3, || {
        clock.elapsed().as_secs_f64() * 1e3
    }))
}

/// Solves one puzzle and returns the selected attempt's trace.
pub async fn solve_traced(model: &Trm, puzzle: &Grid, config: InferenceConfig) -> Result<RecursionTrace> {
    let mut session = Session::new(model.clone(), *puzzle, config);
    session.run().await?;
    Ok(session.into_trace())
}

/// Blocking [`solve_traced`] for native code.
#[cfg(not(target_arch = "wasm32"))]
pub fn solve_traced_blocking(model: &Trm, puzzle: &Grid, config: InferenceConfig) -> Result<RecursionTrace> {
    crate::recursion::block_on(solve_traced(model, puzzle, config))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::grid::samples::{PUZZLE, SOLUTION};
    use crate::model::TrmConfig;
    use crate::trace::CallKind;

    /// Three puzzles for the untrained tiny model, which never solves them: every solve runs
    /// until its halting head or the step budget stops it.
    fn puzzles() -> Vec<Grid> {
        [
            PUZZLE,
            "..3.2.6..9..3.5..1..18.64....81.29..7.......8..67.82....26.95..8..2.3..9..5.1.3..",
            "52...6.........7.13...........4..8..6......5...........418.........3..2...87.....",
        ]
        .iter()
        .map(|p| Grid::parse(p).unwrap())
        .collect()
    }

    /// The untrained tiny model, with a halting head that reads y (initialised, it gives every
    /// row the same logit, -5), so that rows halt at different steps.
    fn tiny_model() -> Trm {
        let device = Device::flex();
        let mut model = TrmConfig::tiny().init(&device);
        let d = model.hidden();
        let weights: Vec<f32> = (0..d * 2).map(|i| ((i * 37 % 11) as f32 - 5.0) * 0.3).collect();
        model.halt_head.weight =
            burn::module::Param::from_tensor(Tensor::from_data(TensorData::new(weights, [d, 2]), &device));
        model.halt_head.bias = Some(burn::module::Param::from_tensor(Tensor::zeros([2], &device)));
        model
    }

    /// A threshold halfway between two neighbouring halting probabilities near the middle of
    /// `probabilities`, so that some rows halt early and some do not. The gap it sits in is wide
    /// enough that batch-size rounding cannot move a probability across it.
    fn split_threshold(mut probabilities: Vec<f32>) -> f32 {
        probabilities.sort_by(f32::total_cmp);
        let middle = probabilities.len() / 2;
        let (below, above) = (1..probabilities.len())
            .map(|i| (probabilities[i - 1], probabilities[i]))
            .filter(|(a, b)| b - a > 1e-4)
            .min_by_key(|(a, _)| {
                let index = probabilities.iter().position(|p| p == a).unwrap();
                index.abs_diff(middle)
            })
            .expect("distinct halting probabilities");
        (below + above) / 2.0
    }

    #[test]
    fn adaptive_stages_grow_slots_and_steps_and_skip_stages_that_add_nothing() {
        assert_eq!(adaptive_stages(1, 16, 64), vec![(1, 16), (4, 32), (16, 64), (64, 128)]);
        assert_eq!(adaptive_stages(8, 16, 64), vec![(8, 16), (8, 32), (16, 64), (64, 128)]);
        assert_eq!(adaptive_stages(64, 128, 64), vec![(64, 128)]);
        assert_eq!(adaptive_stages(32, 200, 64), vec![(32, 200), (64, 200)]);
        // A slow device caps the slots; the steps still grow.
        assert_eq!(adaptive_stages(1, 16, 8), vec![(1, 16), (4, 32), (8, 64), (8, 128)]);
        assert_eq!(adaptive_stages(16, 16, 8), vec![(16, 16), (16, 32), (16, 64), (16, 128)]);
    }

    #[test]
    fn escalation_adds_the_next_attempts_of_the_plan_which_run_as_they_would_in_a_fixed_batch() {
        let model = tiny_model();
        let puzzle = puzzles()[1];
        // Nothing halts (no early exit) and the tiny model verifies nothing: after the first
        // stage (1 slot, 2 steps) the batch grows to 4 slots.
        let config = InferenceConfig::new().with_max_steps(2).with_early_exit(false).with_noise(0.3);
        let mut session = Session::new(model.clone(), puzzle, config.clone().with_adaptive(true));
        let mut slots = Vec::new();
        for _ in 0..5 {
            crate::recursion::block_on(session.step()).unwrap();
            slots.push(session.slots());
        }
        assert_eq!(slots, vec![1, 4, 4, 4, 4]);
        assert_eq!(session.step_budget(), 32);
        assert!(!session.finished());
        let fixed = solve_attempts_blocking(&model, &puzzle, config.with_attempts(4).with_max_steps(3)).unwrap();
        let grown = session.solve_trace();
        assert_eq!(grown.attempts.len(), 4);
        assert_eq!(grown.attempts[0].trace.steps.len(), 5);
        for (a, (mine, theirs)) in grown.attempts.iter().zip(&fixed.attempts).enumerate().skip(1) {
            assert_eq!(mine.start, theirs.start, "attempt {a}");
            assert_eq!(mine.trace.steps.len(), 3, "attempt {a} joined after step 2");
            for (x, y) in mine.trace.steps.iter().zip(&theirs.trace.steps) {
                assert_eq!(x.answer(&puzzle), y.answer(&puzzle), "attempt {a}");
                assert!((x.halt_logit - y.halt_logit).abs() < 1e-4, "attempt {a}");
                // A late joiner shows no answer before its first answer update, as attempt 0 did.
                assert_eq!(x.calls[0].digits, y.calls[0].digits, "attempt {a}");
            }
        }
    }

    #[test]
    fn batch_answers_match_each_puzzle_traced_alone() {
        let model = tiny_model();
        let puzzles = puzzles();
        let config = InferenceConfig::new().with_max_steps(3).with_early_exit(false);
        let traces: Vec<RecursionTrace> =
            puzzles.iter().map(|p| solve_traced_blocking(&model, p, config.clone()).unwrap()).collect();
        assert!(traces.iter().all(|t| t.steps.len() == 3));
        let threshold =
            split_threshold(traces.iter().flat_map(|t| t.steps.iter().map(StepTrace::halt_probability)).collect());

        let answers = answer_batch_blocking(&model, &puzzles, &[3, 1], threshold).unwrap();
        assert_eq!(answers.len(), 3);
        let mut exits = Vec::new();
        for ((answer, trace), puzzle) in answers.iter().zip(&traces).zip(&puzzles) {
            let at = |step: usize| trace.steps[step - 1].answer(puzzle).unwrap();
            assert_eq!(answer.at_budget, vec![at(3), at(1)]);
            let exit = trace.steps.iter().position(|s| s.halt_probability() >= threshold).map_or(3, |i| i + 1);
            assert_eq!((answer.early_exit_steps, answer.early_exit), (exit, at(exit)));
            exits.push(exit);
        }
        assert!(exits.iter().any(|&e| e < 3), "no puzzle halted early: {exits:?}");
        assert!(answer_batch_blocking(&model, &[], &[1], 0.5).unwrap().is_empty());
    }

    #[test]
    fn attempt_runs_match_the_interactive_solve_and_stop_where_each_attempt_halts() {
        let model = tiny_model();
        let puzzles = puzzles();
        let full = InferenceConfig::new().with_max_steps(3).with_early_exit(false).with_attempts(3).with_noise(0.3);
        let runs = run_attempts_blocking(&model, &puzzles, &full, 64).unwrap();
        assert_eq!(runs.len(), 3);
        for (puzzle, runs) in puzzles.iter().zip(&runs) {
            // The session behind the page records the same answers and halting probabilities.
            let solve = solve_attempts_blocking(&model, puzzle, full.clone()).unwrap();
            assert_eq!(runs.len(), solve.attempts.len());
            for (run, attempt) in runs.iter().zip(&solve.attempts) {
                assert_eq!(run.steps.len(), 3);
                for ((answer, p), step) in run.steps.iter().zip(&attempt.trace.steps) {
                    assert_eq!(*answer, step.answer(puzzle).unwrap());
                    assert!((p - step.halt_probability()).abs() < 1e-5);
                }
            }
            let outcome = solve.outcome.unwrap();
            assert_eq!((outcome.step, outcome.net_calls), (3, 3 * 3 * model.calls_per_step()));
        }

        // With early exit, each attempt stops at the first step its head says stop.
        let threshold = split_threshold(runs.iter().flatten().flat_map(|r| r.steps.iter().map(|s| s.1)).collect());
        let early = full.clone().with_early_exit(true).with_halt_threshold(threshold);
        let early_runs = run_attempts_blocking(&model, &puzzles, &early, 64).unwrap();
        let mut lengths = Vec::new();
        for ((puzzle, runs), early_runs) in puzzles.iter().zip(&runs).zip(&early_runs) {
            let mut session = Session::new(model.clone(), *puzzle, early.clone());
            while !session.finished() {
                crate::recursion::block_on(session.step()).unwrap();
            }
            assert_eq!(session.puzzle(), puzzle);
            for (a, (run, early_run)) in runs.iter().zip(early_runs).enumerate() {
                let halt = run.steps.iter().position(|s| s.1 >= threshold);
                let length = halt.map_or(3, |i| i + 1);
                assert_eq!(early_run.steps.len(), length);
                assert!(early_run.steps.iter().zip(&run.steps).all(|(e, f)| e.0 == f.0 && (e.1 - f.1).abs() < 1e-5));
                let trace = &session.solve_trace().attempts[a].trace;
                assert_eq!(trace.steps.len(), length);
                assert_eq!(trace.halted_at, halt.map(|i| i + 1));
                lengths.push(length);
            }
            let longest = early_runs.iter().map(|r| r.steps.len()).max().unwrap();
            assert_eq!(session.steps_run(), longest);
            // Keeping the finished attempts' rows in the batch (as on a GPU) changes nothing
            // that is recorded.
            let kept = solve_attempts_blocking(&model, puzzle, early.clone().with_drop_finished_rows(false)).unwrap();
            assert_eq!(kept.outcome, session.solve_trace().outcome);
            for (k, d) in kept.attempts.iter().zip(&session.solve_trace().attempts) {
                assert_eq!(k.trace.halted_at, d.trace.halted_at);
                assert_eq!(k.trace.steps.len(), d.trace.steps.len());
                for (ks, ds) in k.trace.steps.iter().zip(&d.trace.steps) {
                    assert_eq!(ks.answer(puzzle), ds.answer(puzzle));
                    assert!((ks.halt_logit - ds.halt_logit).abs() < 1e-4);
                }
            }
            let calls: usize = early_runs.iter().map(|r| r.steps.len()).sum();
            assert_eq!(session.solve_trace().outcome.unwrap().net_calls, calls * model.calls_per_step());
        }
        assert!(lengths.contains(&3) && lengths.iter().any(|&l| l < 3), "{lengths:?}");

        // Batches of at most 2 rows (3 puzzles × 3 attempts, so K is split in slices) give the
        // same runs as one batch, in the same order.
        let split = run_attempts_blocking(&model, &puzzles, &early, 2).unwrap();
        assert_eq!(split.len(), early_runs.len());
        for (split_runs, runs) in split.iter().zip(&early_runs) {
            assert_eq!(split_runs.len(), 3);
            for (s, r) in split_runs.iter().zip(runs) {
                assert_eq!(s.steps.len(), r.steps.len());
                assert!(s.steps.iter().zip(&r.steps).all(|(a, b)| a.0 == b.0 && (a.1 - b.1).abs() < 1e-4));
            }
        }
    }

    #[test]
    fn a_rule_satisfying_answer_ends_a_solve_with_several_attempts_only() {
        // A complete grid: every answer keeps all its givens, so every step is verified.
        let model = tiny_model();
        let solved = Grid::parse(SOLUTION).unwrap();
        let config = InferenceConfig::new().with_max_steps(3).with_early_exit(false);
        let several = solve_attempts_blocking(&model, &solved, config.clone().with_attempts(3)).unwrap();
        let outcome = several.outcome.unwrap();
        assert!(outcome.verified);
        assert_eq!((outcome.step, outcome.net_calls), (1, 3 * model.calls_per_step()));
        let single = solve_attempts_blocking(&model, &solved, config.clone()).unwrap();
        assert_eq!(single.outcome.unwrap().step, 3, "one attempt runs until its head or the budget stops it");
        // No step reaches a threshold above 1: nothing is marked as halted.
        let never =
            solve_attempts_blocking(&model, &puzzles()[0], config.with_attempts(2).with_halt_threshold(1.1)).unwrap();
        assert!(never.attempts.iter().all(|a| a.trace.steps.len() == 3 && a.trace.halted_at.is_none()));
    }

    #[test]
    fn the_first_step_starts_blank_and_later_steps_carry_the_answer() {
        let model = tiny_model();
        let puzzle = puzzles()[0];
        let config = InferenceConfig::new().with_max_steps(2).with_early_exit(false);
        let trace = solve_traced_blocking(&model, &puzzle, config).unwrap();
        let first_latent = &trace.steps[0].calls[0];
        assert_eq!(first_latent.kind, CallKind::Latent(0));
        assert!(first_latent.digits.iter().all(|&d| d == 0), "no answer before the first answer update");
        assert_eq!(trace.steps[1].calls[0].digits, trace.steps[0].last().unwrap().digits);
    }
}

//! The recursion: supervision steps made of T cycles of n latent updates and one answer update,
//! with an optional observer that records a trace of every net call.
//!
//! ```text
//! for cycle in 0..T:                        (all but the last cycle without gradients)
//!     for i in 0..n:  z ← net(z, y + x)     latent update
//!     y ← net(y, z)                         answer update
//! logits ← head(y);  q_halt ← halt_head(y[0]);  carry (y, z) detached
//! ```
//!
//! Tracing is cheap: the recorder keeps small summary tensors (norms, argmax, confidence) and
//! reads them all back in one transaction per supervision step, asynchronously where needed.

use burn::prelude::*;
use burn::tensor::Transaction;
use burn::tensor::activation::softmax;

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use crate::error::Error;
use crate::grid::CELLS;
use crate::model::Trm;
use crate::trace::{CallKind, CallTrace, SKETCH_DIMS, StepTrace};

/// y and z, carried from one supervision step to the next.
#[derive(Clone, Debug)]
pub struct RecursionState {
    /// Answer state, `[B, L, D]`.
    pub y: Tensor<3>,
    /// Latent state, `[B, L, D]`.
    pub z: Tensor<3>,
}

/// What one supervision step produces.
#[derive(Clone, Debug)]
pub struct StepOutput {
    /// The state for the next step, detached from any graph.
    pub state: RecursionState,
    /// Answer logits, `[B, 81, VOCAB]` (tracked when the model is).
    pub logits: Tensor<3>,
    /// Halting logit, `[B]` (tracked when the model is).
    pub halt_logit: Tensor<1>,
}

/// Where a net call sits inside a supervision step.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Call {
    /// 0-based cycle (of T).
    pub cycle: usize,
    /// Latent update i (0-based, of n) or the answer update.
    pub kind: CallKind,
}

/// Sees the states after every net call.
pub trait Observer {
    /// Called after each net call with the current y and z.
    fn after_call(&mut self, model: &Trm, call: Call, y: &Tensor<3>, z: &Tensor<3>);
}

/// Observes nothing.
pub struct NoObserver;

impl Observer for NoObserver {
    fn after_call(&mut self, _: &Trm, _: Call, _: &Tensor<3>, _: &Tensor<3>) {}
}

impl Trm {
    /// One supervision step. On an autodiff device only the last cycle is tracked; the earlier
    /// ones run on the plain backend, so they cost no graph memory.
    ///
    /// # Shapes
    /// - x: `[B, L, D]` (from [`Trm::embed`])
    /// - state: y, z `[B, L, D]`
    /// - output: see [`StepOutput`]
    pub fn supervision_step(&self, x: &Tensor<3>, state: RecursionState, observer: &mut impl Observer) -> StepOutput {
        let cycles = self.cycles;
        let tracked = x.is_autodiff();
        let RecursionState { mut y, mut z } = state;
        if cycles > 1 {
            let plain_model;
            let model = if tracked {
                plain_model = self.valid();
                &plain_model
            } else {
                self
            };
            let x_plain = x.clone().without_autodiff();
            y = y.without_autodiff();
            z = z.without_autodiff();
            for cycle in 0..cycles - 1 {
                (y, z) = model.cycle(&x_plain, y, z, cycle, observer);
            }
            if tracked {
                y = y.autodiff();
                z = z.autodiff();
            }
        }
        let (y, z) = self.cycle(x, y.detach(), z.detach(), cycles - 1, observer);
        let logits = self.answer_logits(y.clone());
        let halt_logit = self.halt_logit(y.clone());
        StepOutput { state: RecursionState { y: y.detach(), z: z.detach() }, logits, halt_logit }
    }

    /// n latent updates and one answer update.
    ///
    /// # Shapes
    /// - x, y, z: `[B, L, D]`
    /// - output: (y, z) `[B, L, D]`
    fn cycle(
        &self,
        x: &Tensor<3>,
        y: Tensor<3>,
        mut z: Tensor<3>,
        cycle: usize,
        observer: &mut impl Observer,
    ) -> (Tensor<3>, Tensor<3>) {
        let injection = y.clone() + x.clone(); // [B, L, D]
        for i in 0..self.latent_updates {
            z = self.net(z, injection.clone()); // [B, L, D]
            let call = Call { cycle, kind: CallKind::Latent(i as u8) };
            observer.after_call(self, call, &y, &z);
        }
        let y = self.net(y, z.clone()); // [B, L, D]
        observer.after_call(self, Call { cycle, kind: CallKind::Answer }, &y, &z);
        (y, z)
    }
}

/// Mean over the 81 cells of the L2 norm of each cell's vector.
///
/// # Shapes
/// - h: `[B, L, D]`
/// - output: `[B]`
pub fn mean_cell_norm(h: &Tensor<3>, prefix_len: usize) -> Tensor<1> {
    let [b, l, d] = h.dims();
    let cells = h.clone().slice([0..b, prefix_len..l, 0..d]); // [B, 81, D]
    let norms = cells.square().sum_dim(2).sqrt(); // [B, 81, 1]
    norms.mean_dim(1).reshape([b]) // [B]
}

/// Every cell's probability of the digits 1..=9, from answer logits (only digit tokens compete,
/// so a cell always shows a digit).
///
/// # Shapes
/// - logits: `[B, 81, VOCAB]`
/// - output: `[B, 81, 9]`
pub fn digit_probabilities(logits: Tensor<3>) -> Tensor<3> {
    let [b, c, v] = logits.dims();
    softmax(logits.slice([0..b, 0..c, 2..v]), 2) // [B, 81, 9]
}

/// The model's digit (1..=9) and its probability for every cell, from answer logits.
///
/// # Shapes
/// - logits: `[B, 81, VOCAB]`
/// - output: (digits `[B, 81]` as ints 1..=9, confidence `[B, 81]`)
pub fn digits_and_confidence(logits: Tensor<3>) -> (Tensor<2, Int>, Tensor<2>) {
    let [b, c, _] = logits.dims();
    let (confidence, index) = digit_probabilities(logits).max_dim_with_indices(2); // [B, 81, 1]
    (index.reshape([b, c]).add_scalar(1), confidence.reshape([b, c]))
}

/// Per-cell L2 norm of a change, over the 81 cells.
///
/// # Shapes
/// - after, before: `[B, L, D]`
/// - output: `[B, 81]`
fn cell_change(after: &Tensor<3>, before: &Tensor<3>, prefix_len: usize) -> Tensor<2> {
    let [b, l, d] = after.dims();
    let delta = (after.clone() - before.clone()).slice([0..b, prefix_len..l, 0..d]); // [B, 81, D]
    delta.square().sum_dim(2).sqrt().reshape([b, l - prefix_len]) // [B, 81]
}

/// A fixed random orthonormal projection `[D, SKETCH_DIMS]` (Gram–Schmidt on seeded normal
/// vectors): the same for every solve of a model width, so sketches of one solve compare.
fn sketch_basis(hidden: usize) -> Vec<f32> {
    let mut rng = ChaCha8Rng::seed_from_u64(0x5C37_C400 ^ hidden as u64);
    let mut columns: Vec<Vec<f64>> = Vec::with_capacity(SKETCH_DIMS);
    while columns.len() < SKETCH_DIMS.min(hidden) {
        let mut v: Vec<f64> = (0..hidden)
            .map(|_| {
                let u1: f64 = rng.random::<f64>().max(f64::MIN_POSITIVE);
                let u2: f64 = rng.random::<f64>();
                (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos()
            })
            .collect();
        for c in &columns {
            let dot: f64 = v.iter().zip(c).map(|(a, b)| a * b).sum();
            v.iter_mut().zip(c).for_each(|(a, b)| *a -= dot * b);
        }
        let norm = v.iter().map(|a| a * a).sum::<f64>().sqrt();
        if norm > 1e-6 {
            columns.push(v.into_iter().map(|a| a / norm).collect());
        }
    }
    // Row-major [D, S]; columns missing when D < S stay zero.
    let mut out = vec![0.0f32; hidden * SKETCH_DIMS];
    for (j, c) in columns.iter().enumerate() {
        for (i, &v) in c.iter().enumerate() {
            out[i * SKETCH_DIMS + j] = v as f32;
        }
    }
    out
}

/// Records a [`StepTrace`] per sample: summaries stay on the device until [`PendingTrace::read`].
pub struct TraceRecorder {
    prefix_len: usize,
    calls: Vec<Call>,
    z_norms: Vec<Tensor<1>>,
    y_norms: Vec<Tensor<1>>,
    digits: Vec<Tensor<2, Int>>,
    confidence: Vec<Tensor<2>>,
    probs: Vec<Tensor<3>>,
    halt_logits: Vec<Tensor<1>>,
    dz: Vec<Tensor<2>>,
    dy_mean: Vec<Tensor<1>>,
    sketches: Vec<Tensor<3>>,
    basis: Tensor<2>,
    previous_z: Tensor<3>,
    previous_y: Tensor<3>,
}

impl TraceRecorder {
    /// A recorder for one supervision step of `model` that starts from `start`. `first` marks
    /// the solve's first step, where there is no answer yet (digits 0, confidence 0); later steps
    /// show the carried answer until the step's first answer update.
    pub fn new(model: &Trm, start: &RecursionState, first: bool) -> Self {
        let y = start.y.clone().without_autodiff();
        let z = start.z.clone().without_autodiff();
        let device = z.device();
        let [batch, _, hidden] = z.dims();
        let basis = Tensor::from_data(TensorData::new(sketch_basis(hidden), [hidden, SKETCH_DIMS]), &device);
        let mut recorder = Self {
            prefix_len: model.prefix_len(),
            calls: Vec::new(),
            z_norms: Vec::new(),
            y_norms: Vec::new(),
            digits: Vec::new(),
            confidence: Vec::new(),
            probs: Vec::new(),
            halt_logits: Vec::new(),
            dz: Vec::new(),
            dy_mean: Vec::new(),
            sketches: Vec::new(),
            basis,
            previous_z: z,
            previous_y: y.clone(),
        };
        if first {
            recorder.digits.push(Tensor::zeros([batch, CELLS], &device));
            recorder.confidence.push(Tensor::zeros([batch, CELLS], &device));
            recorder.probs.push(Tensor::zeros([batch, CELLS, 9], &device));
            recorder.halt_logits.push(Tensor::zeros([batch], &device));
        } else {
            recorder.record_heads(model, &y);
        }
        recorder
    }

    fn record_heads(&mut self, model: &Trm, y: &Tensor<3>) {
        let y = y.clone().without_autodiff();
        let probs = digit_probabilities(model.answer_logits(y.clone())); // [B, 81, 9]
        let [b, c, _] = probs.dims();
        let (confidence, index) = probs.clone().max_dim_with_indices(2);
        self.digits.push(index.reshape([b, c]).add_scalar(1));
        self.confidence.push(confidence.reshape([b, c]));
        self.probs.push(probs);
        self.halt_logits.push(model.halt_logit(y));
    }

    /// Stacks the summaries for one readback.
    pub fn finish(self) -> PendingTrace {
        PendingTrace {
            calls: self.calls,
            z_norms: Tensor::stack(self.z_norms, 0),
            y_norms: Tensor::stack(self.y_norms, 0),
            digits: Tensor::stack(self.digits, 0),
            confidence: Tensor::stack(self.confidence, 0),
            probs: Tensor::stack(self.probs, 0),
            halt_logits: Tensor::stack(self.halt_logits, 0),
            dz: Tensor::stack(self.dz, 0),
            dy_mean: Tensor::stack(self.dy_mean, 0),
            sketches: Tensor::stack(self.sketches, 0),
        }
    }
}

impl Observer for TraceRecorder {
    fn after_call(&mut self, model: &Trm, call: Call, y: &Tensor<3>, z: &Tensor<3>) {
        let y = y.clone().without_autodiff();
        let z = z.clone().without_autodiff();
        let [b, l, d] = z.dims();
        self.calls.push(call);
        self.z_norms.push(mean_cell_norm(&z, self.prefix_len));
        self.y_norms.push(mean_cell_norm(&y, self.prefix_len));
        self.dz.push(cell_change(&z, &self.previous_z, self.prefix_len)); // [B, 81]
        let cells = z.clone().slice([0..b, self.prefix_len..l, 0..d]); // [B, 81, D]
        self.sketches.push(cells.matmul(self.basis.clone().unsqueeze::<3>())); // [B, 81, S]
        self.previous_z = z;
        // y changes only at answer updates, so the heads run only there.
        if call.kind == CallKind::Answer {
            self.dy_mean.push(cell_change(&y, &self.previous_y, self.prefix_len).mean_dim(1).reshape([b]));
            self.record_heads(model, &y);
            self.previous_y = y;
        } else {
            self.dy_mean.push(Tensor::zeros([b], &self.basis.device()));
        }
    }
}

/// Summary tensors of one supervision step, waiting to be read.
pub struct PendingTrace {
    calls: Vec<Call>,
    /// `[calls, B]`
    z_norms: Tensor<2>,
    /// `[calls, B]`
    y_norms: Tensor<2>,
    /// `[1 + T, B, 81]`: the carried answer, then one per answer update.
    digits: Tensor<3, Int>,
    /// `[1 + T, B, 81]`
    confidence: Tensor<3>,
    /// `[1 + T, B, 81, 9]`
    probs: Tensor<4>,
    /// `[1 + T, B]`
    halt_logits: Tensor<2>,
    /// `[calls, B, 81]`
    dz: Tensor<3>,
    /// `[calls, B]`
    dy_mean: Tensor<2>,
    /// `[calls, B, 81, S]`
    sketches: Tensor<4>,
}

impl PendingTrace {
    /// Reads everything back in one transaction and splits it per sample.
    pub async fn read(self) -> crate::error::Result<Vec<StepTrace>> {
        let [_, batch] = self.z_norms.dims();
        let data = Transaction::default()
            .register(self.z_norms)
            .register(self.y_norms)
            .register(self.digits)
            .register(self.confidence)
            .register(self.probs)
            .register(self.halt_logits)
            .register(self.dz)
            .register(self.dy_mean)
            .register(self.sketches)
            .execute_async()
            .await
            .map_err(|e| Error::from_backend("reading the trace back failed", e))?;
        let [z, y, d, c, p, h, dz, dy, sk]: [TensorData; 9] = data
            .try_into()
            .map_err(|_| Error::Backend("the trace readback returned the wrong number of tensors".into()))?;
        let z = to_f32(z)?;
        let y = to_f32(y)?;
        let d = to_i64(d)?;
        let c = to_f32(c)?;
        let p = to_f32(p)?;
        let h = to_f32(h)?;
        let dz = to_f32(dz)?;
        let dy = to_f32(dy)?;
        let sk = to_f32(sk)?;
        let mut out = Vec::with_capacity(batch);
        for sample in 0..batch {
            let mut calls = Vec::with_capacity(self.calls.len());
            // Index 0 holds the carried answer; answer update k is at k + 1.
            let mut answer_index = 0;
            for (i, call) in self.calls.iter().enumerate() {
                if call.kind == CallKind::Answer {
                    answer_index += 1;
                }
                let base = (answer_index * batch + sample) * CELLS;
                let cells = (i * batch + sample) * CELLS;
                let dz_cells = dz[cells..cells + CELLS].to_vec();
                let sketch = &sk[cells * SKETCH_DIMS..(cells + CELLS) * SKETCH_DIMS];
                let (sketch, sketch_scale) = quantise(sketch);
                let probs = if call.kind == CallKind::Answer {
                    p[base * 9..(base + CELLS) * 9].iter().map(|&v| (v.clamp(0.0, 1.0) * 255.0).round() as u8).collect()
                } else {
                    Vec::new()
                };
                calls.push(CallTrace {
                    cycle: call.cycle as u8,
                    kind: call.kind,
                    z_norm: z[i * batch + sample],
                    y_norm: y[i * batch + sample],
                    digits: d[base..base + CELLS].iter().map(|&v| v.clamp(0, 9) as u8).collect(),
                    confidence: c[base..base + CELLS].to_vec(),
                    halt_logit: h[answer_index * batch + sample],
                    dz_mean: dz_cells.iter().sum::<f32>() / CELLS as f32,
                    dz: dz_cells,
                    dy_mean: dy[i * batch + sample],
                    sketch,
                    sketch_scale,
                    probs,
                });
            }
            let halt_logit = h[answer_index * batch + sample];
            out.push(StepTrace { calls, halt_logit });
        }
        Ok(out)
    }

    /// Blocking [`PendingTrace::read`] for native code.
    #[cfg(not(target_arch = "wasm32"))]
    pub fn read_blocking(self) -> crate::error::Result<Vec<StepTrace>> {
        block_on(self.read())
    }
}

/// Values as `i8` with one scale, so that `q × scale ≈ v` (the largest magnitude maps to 127).
fn quantise(values: &[f32]) -> (Vec<i8>, f32) {
    let largest = values.iter().map(|v| v.abs()).filter(|v| v.is_finite()).fold(0.0f32, f32::max);
    if largest == 0.0 {
        return (vec![0; values.len()], 0.0);
    }
    let scale = largest / 127.0;
    (values.iter().map(|&v| (v / scale).round().clamp(-127.0, 127.0) as i8).collect(), scale)
}

fn to_f32(data: TensorData) -> crate::error::Result<Vec<f32>> {
    data.convert::<f32>().try_into_vec::<f32>().map_err(|e| Error::from_backend("unexpected trace data", e))
}

fn to_i64(data: TensorData) -> crate::error::Result<Vec<i64>> {
    data.convert::<i64>().try_into_vec::<i64>().map_err(|e| Error::from_backend("unexpected trace data", e))
}

/// Runs a future to completion on this thread (native only; the browser awaits instead).
#[cfg(not(target_arch = "wasm32"))]
pub fn block_on<F: std::future::Future>(future: F) -> F::Output {
    pollster::block_on(future)
}

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
//! Tracing is cheap: the recorder keeps the states of a step, computes their summaries (norms,
//! changes, a sketch of z, the heads' logits) in a few batched kernels at the step's end, and
//! reads them back in one map per supervision step, asynchronously where needed.

use burn::module::Param;
use burn::nn::Linear;
use burn::prelude::*;
use burn::tensor::activation::softmax;

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use crate::error::Error;
use crate::model::{Trm, from_position_major, to_position_major};
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
    /// Called after each net call with the current y and z of a batch of `batch`, in the
    /// recursion's own position-major layout `[L, B·D]` ([`to_position_major`]): watching costs
    /// no copy, and no view op lands between the net calls (a GPU backend fuses across them).
    fn after_call(&mut self, model: &Trm, call: Call, batch: usize, y: &Tensor<2>, z: &Tensor<2>);
}

/// Observes nothing.
pub struct NoObserver;

impl Observer for NoObserver {
    fn after_call(&mut self, _: &Trm, _: Call, _: usize, _: &Tensor<2>, _: &Tensor<2>) {}
}

impl Trm {
    /// One supervision step: the recursion, then the heads. On an autodiff device only the last
    /// cycle is tracked; the earlier ones run on the plain backend, so they cost no graph memory.
    ///
    /// # Shapes
    /// - x: `[B, L, D]` (from [`Trm::embed`])
    /// - state: y, z `[B, L, D]`
    /// - output: see [`StepOutput`]
    pub fn supervision_step(&self, x: &Tensor<3>, state: RecursionState, observer: &mut impl Observer) -> StepOutput {
        let (y, z) = self.step_states(x, state, observer);
        let logits = self.answer_logits(y.clone());
        let halt_logit = self.halt_logit(y.clone());
        StepOutput { state: RecursionState { y: y.detach(), z: z.detach() }, logits, halt_logit }
    }

    /// One supervision step without the heads, for a solve whose [`TraceRecorder`] reads them
    /// (so no kernel runs for logits nobody reads).
    ///
    /// # Shapes
    /// - x: `[B, L, D]`; state: y, z `[B, L, D]`
    /// - output: y, z `[B, L, D]`, detached
    pub fn recurse(&self, x: &Tensor<3>, state: RecursionState, observer: &mut impl Observer) -> RecursionState {
        let (y, z) = self.step_states(x, state, observer);
        RecursionState { y: y.detach(), z: z.detach() }
    }

    /// The T cycles of a step; y and z come back tracked when x is. Inside, the states are
    /// position-major ([`to_position_major`]), so nothing is copied between net calls.
    ///
    /// # Shapes
    /// - x, y, z: `[B, L, D]`
    /// - output: (y, z) `[B, L, D]`
    fn step_states(
        &self,
        x: &Tensor<3>,
        state: RecursionState,
        observer: &mut impl Observer,
    ) -> (Tensor<3>, Tensor<3>) {
        let cycles = self.cycles;
        let tracked = x.is_autodiff();
        let [batch, _, d] = x.dims();
        let RecursionState { y, z } = state;
        let (mut y, mut z) = (to_position_major(y), to_position_major(z)); // [L, B·D]
        if cycles > 1 {
            let plain_model;
            let model = if tracked {
                plain_model = self.valid();
                &plain_model
            } else {
                self
            };
            let x_plain = to_position_major(x.clone().without_autodiff());
            y = y.without_autodiff();
            z = z.without_autodiff();
            for cycle in 0..cycles - 1 {
                (y, z) = model.cycle(&x_plain, y, z, cycle, batch, observer);
            }
            if tracked {
                y = y.autodiff();
                z = z.autodiff();
            }
        }
        let (y, z) = self.cycle(&to_position_major(x.clone()), y.detach(), z.detach(), cycles - 1, batch, observer);
        (from_position_major(y, batch, d), from_position_major(z, batch, d))
    }

    /// n latent updates and one answer update, position-major, as the observer sees them.
    ///
    /// # Shapes
    /// - x, y, z: `[L, B·D]`
    /// - output: (y, z) `[L, B·D]`
    fn cycle(
        &self,
        x: &Tensor<2>,
        y: Tensor<2>,
        mut z: Tensor<2>,
        cycle: usize,
        batch: usize,
        observer: &mut impl Observer,
    ) -> (Tensor<2>, Tensor<2>) {
        let injection = y.clone() + x.clone(); // [L, B·D]
        for i in 0..self.latent_updates {
            z = self.net_position_major(z, injection.clone()); // [L, B·D]
            let call = Call { cycle, kind: CallKind::Latent(i as u8) };
            observer.after_call(self, call, batch, &y, &z);
        }
        let y = self.net_position_major(y, z.clone()); // [L, B·D]
        observer.after_call(self, Call { cycle, kind: CallKind::Answer }, batch, &y, &z);
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

/// Records a [`StepTrace`] per sample. During the step it only keeps the states (handles, no
/// GPU work); [`TraceRecorder::finish`] computes every summary of the step in a few batched
/// kernels and packs them into one tensor, which [`PendingTrace::read`] reads back in one map.
/// The host then takes square roots, means over cells, the digit softmax and the argmax.
pub struct TraceRecorder {
    prefix_len: usize,
    /// The tokens a cell's answer is read from ([`crate::task::Task::answer_tokens`]).
    answer_tokens: std::ops::Range<usize>,
    /// Per sample: its attempt's first step, where there is no answer yet (digits 0,
    /// confidence 0).
    first: Vec<bool>,
    calls: Vec<Call>,
    /// z before the step, then after every call, each `[L, B·D]`.
    zs: Vec<Tensor<2>>,
    /// y before the step, then after every answer update, each `[L, B·D]`.
    ys: Vec<Tensor<2>>,
    /// B.
    batch: usize,
    /// The output head's weight, `[D, V]`.
    output_weight: Tensor<2>,
    /// The halting head (weight `[D, 2]`, bias `[2]`), without autodiff.
    halt_head: Linear,
    /// `[D, SKETCH_DIMS]`
    basis: Tensor<2>,
}

impl TraceRecorder {
    /// A recorder for one supervision step of `model` that starts from `start`. `first` marks
    /// the solve's first step, where there is no answer yet (digits 0, confidence 0); later steps
    /// show the carried answer until the step's first answer update.
    pub fn new(model: &Trm, start: &RecursionState, first: bool) -> Self {
        let batch = start.z.dims()[0];
        Self::per_sample(model, start, vec![first; batch])
    }

    /// [`TraceRecorder::new`] with the first-step mark per sample: an attempt that joined the
    /// batch at this step (a replacement) has no answer yet either.
    pub fn per_sample(model: &Trm, start: &RecursionState, first: Vec<bool>) -> Self {
        // Position-major, as the observer sees the states (a view, no copy, when the state
        // came out of the previous step).
        let [batch, _, hidden] = start.z.dims();
        let y = to_position_major(start.y.clone().without_autodiff()); // [L, B·D]
        let z = to_position_major(start.z.clone().without_autodiff()); // [L, B·D]
        let device = z.device();
        let basis = Tensor::from_data(TensorData::new(sketch_basis(hidden), [hidden, SKETCH_DIMS]), &device);
        let halt = &model.halt_head;
        Self {
            prefix_len: model.prefix_len(),
            answer_tokens: model.answer_tokens(),
            first,
            calls: Vec::new(),
            zs: vec![z],
            ys: vec![y],
            batch,
            output_weight: model.output_head.weight.val().without_autodiff(),
            halt_head: Linear {
                weight: Param::from_tensor(halt.weight.val().without_autodiff()),
                bias: halt.bias.as_ref().map(|b| Param::from_tensor(b.val().without_autodiff())),
            },
            basis,
        }
    }

    /// Computes the step's summaries on the device and packs them for one readback.
    ///
    /// # Shapes
    /// With C calls, A answer updates, sequence L, batch B and width D, the packed tensor
    /// holds, position-major, in order: `z_sq [C, L, B]` (‖z‖² per position after each call),
    /// `dz_sq [C, L, B]` (‖Δz‖²), `sketch [C, L, B, S]`, `y_sq [A+1, L, B]` (the step's first y,
    /// then after each answer update), `dy_sq [A, L, B]`, `logits [A+1, L, B, V]` and
    /// `halt [A+1, L, B, 2]` (the halting head at every position; position 0 is read).
    pub fn finish(self) -> PendingTrace {
        let calls = self.calls.len();
        let answers = self.ys.len() - 1;
        let batch = self.batch;
        let [seq, columns] = self.zs[0].dims();
        let d = columns / batch;
        // One stack of every state: WebGPU's binding limits split a cat this large into one
        // copy per state, but smaller stacks each add their own reductions (measured with
        // `cargo bench --bench gpu`: 25 kernels per step this way, 39 in stacks of 5).
        let zs = Tensor::stack::<3>(self.zs, 0).reshape([calls + 1, seq, batch, d]); // [C+1, L, B, D]
        let after = zs.clone().slice([1..calls + 1, 0..seq, 0..batch, 0..d]); // [C, L, B, D]
        let previous = zs.slice([0..calls, 0..seq, 0..batch, 0..d]); // [C, L, B, D]
        let z_sq = after.clone().square().sum_dim(3); // [C, L, B, 1]
        let dz_sq = (after.clone() - previous).square().sum_dim(3); // [C, L, B, 1]
        let sketch = after.reshape([calls * seq * batch, d]).matmul(self.basis); // [C·L·B, S]
        let ys = Tensor::stack::<3>(self.ys, 0).reshape([answers + 1, seq, batch, d]); // [A+1, L, B, D]
        let mut parts = vec![flat(z_sq), flat(dz_sq), flat(sketch), flat(ys.clone().square().sum_dim(3))];
        if answers > 0 {
            let later = ys.clone().slice([1..answers + 1, 0..seq, 0..batch, 0..d]);
            let earlier = ys.clone().slice([0..answers, 0..seq, 0..batch, 0..d]);
            parts.push(flat((later - earlier).square().sum_dim(3))); // [A, L, B, 1]
        }
        let rows = ys.reshape([(answers + 1) * seq * batch, d]); // [(A+1)·L·B, D]
        parts.push(flat(rows.clone().matmul(self.output_weight))); // [(A+1)·L·B, V]
        parts.push(flat(self.halt_head.forward(rows))); // [(A+1)·L·B, 2]
        PendingTrace {
            calls: self.calls,
            first: self.first,
            prefix_len: self.prefix_len,
            answer_tokens: self.answer_tokens,
            batch,
            seq,
            answers,
            packed: Tensor::cat(parts, 0),
        }
    }
}

/// A tensor as one row.
fn flat<const D: usize>(tensor: Tensor<D>) -> Tensor<1> {
    let n: usize = tensor.dims().iter().product();
    tensor.reshape([n])
}

impl Observer for TraceRecorder {
    fn after_call(&mut self, _: &Trm, call: Call, _: usize, y: &Tensor<2>, z: &Tensor<2>) {
        self.calls.push(call);
        self.zs.push(z.clone().without_autodiff());
        if call.kind == CallKind::Answer {
            self.ys.push(y.clone().without_autodiff());
        }
    }
}

/// The packed summaries of one supervision step, waiting to be read.
pub struct PendingTrace {
    calls: Vec<Call>,
    first: Vec<bool>,
    prefix_len: usize,
    answer_tokens: std::ops::Range<usize>,
    batch: usize,
    seq: usize,
    answers: usize,
    /// See [`TraceRecorder::finish`].
    packed: Tensor<1>,
}

impl PendingTrace {
    /// Reads everything back in one map and splits it per sample.
    pub async fn read(self) -> crate::error::Result<Vec<StepTrace>> {
        let values = to_f32(
            self.packed.into_data_async().await.map_err(|e| Error::from_backend("reading the trace back failed", e))?,
        )?;
        let (calls, batch, seq, answers) = (self.calls.len(), self.batch, self.seq, self.answers);
        let mut rest = values.as_slice();
        let mut take = |n: usize| -> crate::error::Result<&[f32]> {
            if rest.len() < n {
                return Err(Error::Backend("the trace readback is shorter than expected".into()));
            }
            let (head, tail) = rest.split_at(n);
            rest = tail;
            Ok(head)
        };
        let z_sq = take(calls * batch * seq)?;
        let dz_sq = take(calls * batch * seq)?;
        let sketches = take(calls * batch * seq * SKETCH_DIMS)?;
        let y_sq = take((answers + 1) * batch * seq)?;
        let dy_sq = take(answers * batch * seq)?;
        let vocab = self.answer_tokens.end;
        let logits = take((answers + 1) * batch * seq * vocab)?;
        let halt = take((answers + 1) * seq * batch * 2)?;
        if !rest.is_empty() {
            return Err(Error::Backend("the trace readback is longer than expected".into()));
        }
        let prefix = self.prefix_len;
        let cell_count = seq - prefix;
        let choices = self.answer_tokens.len();
        // The cells (positions after the prefix) of sample `sample` in block `index` of a
        // position-major `[blocks, L, B, width]` array, cell-major.
        let cells = |data: &[f32], index: usize, sample: usize, width: usize| -> Vec<f32> {
            (prefix..seq)
                .flat_map(|position| {
                    let at = ((index * seq + position) * batch + sample) * width;
                    data[at..at + width].iter().copied()
                })
                .collect()
        };
        let norms = |squares: Vec<f32>| -> Vec<f32> { squares.into_iter().map(|v| v.max(0.0).sqrt()).collect() };
        let mean = |v: &[f32]| v.iter().sum::<f32>() / v.len().max(1) as f32;
        // The answer read from y number `a` (0 = the step's first y) of sample `sample`.
        let heads = |a: usize, sample: usize| -> Heads {
            if a == 0 && self.first.get(sample).copied().unwrap_or(false) {
                return Heads {
                    digits: vec![0; cell_count],
                    confidence: vec![0.0; cell_count],
                    probs: vec![0.0; cell_count * choices],
                    halt: 0.0,
                };
            }
            let mut heads = Heads::from_logits(&cells(logits, a, sample, vocab), vocab, self.answer_tokens.start);
            // The halting head reads position 0.
            heads.halt = halt[(a * seq * batch + sample) * 2];
            heads
        };
        let mut out = Vec::with_capacity(batch);
        for sample in 0..batch {
            let mut answer = heads(0, sample);
            let mut y_norm = mean(&norms(cells(y_sq, 0, sample, 1)));
            let mut trace_calls = Vec::with_capacity(calls);
            let mut a = 0;
            for (i, call) in self.calls.iter().enumerate() {
                let mut dy_mean = 0.0;
                if call.kind == CallKind::Answer && a < answers {
                    a += 1;
                    answer = heads(a, sample);
                    y_norm = mean(&norms(cells(y_sq, a, sample, 1)));
                    dy_mean = mean(&norms(cells(dy_sq, a - 1, sample, 1)));
                }
                let dz = norms(cells(dz_sq, i, sample, 1));
                let (sketch, sketch_scale) = quantise(&cells(sketches, i, sample, SKETCH_DIMS));
                let probs = if call.kind == CallKind::Answer {
                    answer.probs.iter().map(|&v| (v.clamp(0.0, 1.0) * 255.0).round() as u8).collect()
                } else {
                    Vec::new()
                };
                trace_calls.push(CallTrace {
                    cycle: call.cycle as u8,
                    kind: call.kind,
                    z_norm: mean(&norms(cells(z_sq, i, sample, 1))),
                    y_norm,
                    digits: answer.digits.clone(),
                    confidence: answer.confidence.clone(),
                    halt_logit: answer.halt,
                    dz_mean: mean(&dz),
                    dz,
                    dy_mean,
                    sketch,
                    sketch_scale,
                    probs,
                });
            }
            out.push(StepTrace { calls: trace_calls, halt_logit: answer.halt });
        }
        Ok(out)
    }

    /// Blocking [`PendingTrace::read`] for native code.
    #[cfg(not(target_arch = "wasm32"))]
    pub fn read_blocking(self) -> crate::error::Result<Vec<StepTrace>> {
        block_on(self.read())
    }
}

/// What the heads say about one y: every cell's answer (a digit, or a maze tile's token), its
/// probability, the probabilities of every answer token (cell-major), and the halting logit.
struct Heads {
    digits: Vec<u8>,
    confidence: Vec<f32>,
    probs: Vec<f32>,
    halt: f32,
}

impl Heads {
    /// From the cells' logits `[C, vocab]`: a softmax over the answer tokens (`first..vocab`)
    /// only, so a Sudoku cell always shows a digit (as [`digit_probabilities`] computes on the
    /// device).
    fn from_logits(logits: &[f32], vocab: usize, first: usize) -> Self {
        let cells = logits.len() / vocab.max(1);
        let mut digits = Vec::with_capacity(cells);
        let mut confidence = Vec::with_capacity(cells);
        let mut probs = Vec::with_capacity(cells * (vocab - first));
        for cell in logits.chunks_exact(vocab) {
            let digit_logits = &cell[first..vocab];
            let top = digit_logits.iter().copied().fold(f32::NEG_INFINITY, f32::max);
            let exps: Vec<f32> = digit_logits.iter().map(|&v| (v - top).exp()).collect();
            let total: f32 = exps.iter().sum();
            // Softmax keeps the order of the logits, so the argmax is the logits' own.
            let digit = crate::inference::most_likely_answer(cell, first);
            digits.push(digit);
            confidence.push(exps[usize::from(digit) - 1] / total);
            probs.extend(exps.iter().map(|e| e / total));
        }
        Self { digits, confidence, probs, halt: 0.0 }
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

/// Runs a future to completion on this thread (native only; the browser awaits instead).
#[cfg(not(target_arch = "wasm32"))]
pub fn block_on<F: std::future::Future>(future: F) -> F::Output {
    pollster::block_on(future)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::grid::samples::PUZZLE;
    use crate::grid::{CELLS, Grid};
    use crate::model::TrmConfig;

    fn values<const D: usize>(t: Tensor<D>) -> Vec<f32> {
        t.into_data().convert::<f32>().try_into_vec().unwrap()
    }

    /// Keeps every state the recorder sees, to recompute its summaries one by one.
    struct Keep {
        recorder: TraceRecorder,
        states: Vec<(Call, Tensor<3>, Tensor<3>)>,
    }

    impl Observer for Keep {
        fn after_call(&mut self, model: &Trm, call: Call, batch: usize, y: &Tensor<2>, z: &Tensor<2>) {
            // The observer sees `[L, B·D]`; the checks below work on `[B, L, D]`.
            let d = model.hidden();
            self.states.push((
                call,
                from_position_major(y.clone(), batch, d),
                from_position_major(z.clone(), batch, d),
            ));
            self.recorder.after_call(model, call, batch, y, z);
        }
    }

    /// The packed, host-finished trace equals each summary computed on the device by itself,
    /// for every sample of a batch, on the first step (no answer yet) and a later one.
    #[test]
    fn the_packed_trace_matches_summaries_computed_one_by_one() {
        let device = Device::flex();
        let mut model = TrmConfig::tiny().with_seed(3).init(&device);
        // A halting head that reads y, so the halting logits differ between calls and samples.
        let d = model.hidden();
        let weights: Vec<f32> = (0..d * 2).map(|i| ((i * 7 % 5) as f32 - 2.0) * 0.2).collect();
        model.halt_head.weight = Param::from_tensor(Tensor::from_data(TensorData::new(weights, [d, 2]), &device));
        let puzzle = Grid::parse(PUZZLE).unwrap();
        let mut other = puzzle;
        other.set(1, 1).unwrap();
        let x = model.embed(crate::inference::tokens(&[puzzle, other], &device));
        let (y, z) = model.initial_state(2);
        let mut state = RecursionState { y, z };
        let close = |a: f32, b: f32, what: &str| assert!((a - b).abs() <= 1e-4 * (1.0 + b.abs()), "{what}: {a} vs {b}");
        for step in 0..2 {
            let first = step == 0;
            let recorder = TraceRecorder::new(&model, &state, first);
            let mut keep = Keep { recorder, states: Vec::new() };
            let start = state.clone();
            state = model.recurse(&x, state, &mut keep);
            let traces = keep.recorder.finish().read_blocking().unwrap();
            assert_eq!(traces.len(), 2);
            let mut previous_z = start.z.clone();
            let mut previous_y = start.y.clone();
            let mut answered = !first;
            let mut current_y = start.y.clone();
            for (i, (call, y, z)) in keep.states.iter().enumerate() {
                let z_norms = values(mean_cell_norm(z, model.prefix_len()));
                let y_norms = values(mean_cell_norm(y, model.prefix_len()));
                let [b, l, _] = z.dims();
                let cells = |t: Tensor<3>| t.slice([0..b, model.prefix_len()..l, 0..d]);
                let dz = values(cells(z.clone() - previous_z.clone()).square().sum_dim(2).sqrt().reshape([b, CELLS]));
                let dy =
                    values(cells(y.clone() - previous_y.clone()).square().sum_dim(2).sqrt().mean_dim(1).reshape([b]));
                if call.kind == CallKind::Answer {
                    answered = true;
                    current_y = y.clone();
                }
                let (digits, confidence) = digits_and_confidence(model.answer_logits(current_y.clone()));
                let (digits, confidence) = (values(digits.float()), values(confidence));
                let halt = values(model.halt_logit(current_y.clone()));
                for (sample, trace) in traces.iter().enumerate() {
                    let recorded = &trace.calls[i];
                    assert_eq!((recorded.cycle as usize, recorded.kind), (call.cycle, call.kind));
                    close(recorded.z_norm, z_norms[sample], "z norm");
                    close(recorded.y_norm, y_norms[sample], "y norm");
                    for cell in 0..CELLS {
                        close(recorded.dz[cell], dz[sample * CELLS + cell], "dz");
                    }
                    close(
                        recorded.dz_mean,
                        dz[sample * CELLS..(sample + 1) * CELLS].iter().sum::<f32>() / CELLS as f32,
                        "dz mean",
                    );
                    let expected_dy = if call.kind == CallKind::Answer { dy[sample] } else { 0.0 };
                    close(recorded.dy_mean, expected_dy, "dy mean");
                    if answered {
                        let row = &digits[sample * CELLS..(sample + 1) * CELLS];
                        assert_eq!(recorded.digits, row.iter().map(|&v| v as u8).collect::<Vec<_>>());
                        for cell in 0..CELLS {
                            close(recorded.confidence[cell], confidence[sample * CELLS + cell], "confidence");
                        }
                        close(recorded.halt_logit, halt[sample], "halt logit");
                    } else {
                        assert!(recorded.digits.iter().all(|&v| v == 0) && recorded.halt_logit == 0.0);
                    }
                    assert_eq!(recorded.probs.len(), if call.kind == CallKind::Answer { CELLS * 9 } else { 0 });
                    assert_eq!(recorded.sketch.len(), CELLS * SKETCH_DIMS);
                }
                previous_z = z.clone();
                if call.kind == CallKind::Answer {
                    previous_y = y.clone();
                }
            }
            for trace in &traces {
                assert_eq!(trace.halt_logit, trace.calls.last().unwrap().halt_logit);
            }
        }
    }

    /// A maze model's trace reads every tile's token: the argmax over the five tiles matches
    /// the model's own answer logits, with five probabilities per tile.
    #[test]
    fn a_maze_trace_reads_tiles_from_the_maze_tokens() {
        use crate::model::TokenMixer;
        use crate::task::Task;
        use trm_puzzle::maze::{MazeGenerator, MazeTier, encoding::encode};
        let device = Device::flex();
        let config = TrmConfig::tiny().with_mixer(TokenMixer::Attention).with_heads(2).with_seed(5);
        let model = config.for_task(Task::Maze { side: 9 }).init(&device);
        let maze = MazeGenerator::new(1).generate(9, MazeTier::Easy, 0).0;
        let tokens = crate::inference::token_rows([encode(&maze).as_slice()], 81, &device).unwrap();
        let x = model.embed(tokens);
        let (y, z) = model.initial_state(1);
        let mut recorder = TraceRecorder::new(&model, &RecursionState { y: y.clone(), z: z.clone() }, true);
        let state = model.recurse(&x, RecursionState { y, z }, &mut recorder);
        let traces = recorder.finish().read_blocking().unwrap();
        let last = traces[0].last().unwrap();
        assert_eq!(last.kind, CallKind::Answer);
        assert_eq!((last.digits.len(), last.probs.len(), last.dz.len()), (81, 81 * 5, 81));
        let logits: Vec<f32> = model.answer_logits(state.y).into_data().convert::<f32>().try_into_vec().unwrap();
        for (cell, chunk) in logits.chunks_exact(6).enumerate() {
            let best = (1..6).fold(1, |best, t| if chunk[t] > chunk[best] { t } else { best });
            assert_eq!(last.digits[cell] as usize, best, "cell {cell}: the tile's token");
            let probs = &last.probs[cell * 5..(cell + 1) * 5];
            let total: u32 = probs.iter().map(|&p| u32::from(p)).sum();
            assert!((250..=260).contains(&total), "probabilities in 1/255 sum to about 255: {total}");
        }
    }
}

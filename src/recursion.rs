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

use crate::grid::CELLS;
use crate::model::Trm;
use crate::trace::{CallKind, CallTrace, StepTrace};

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
    pub fn supervision_step(
        &self,
        x: &Tensor<3>,
        state: RecursionState,
        observer: &mut impl Observer,
    ) -> StepOutput {
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
        StepOutput {
            state: RecursionState {
                y: y.detach(),
                z: z.detach(),
            },
            logits,
            halt_logit,
        }
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

/// The model's digit (1..=9) and its probability for every cell, from answer logits.
/// Only digit tokens compete, so a cell always shows a digit.
///
/// # Shapes
/// - logits: `[B, 81, VOCAB]`
/// - output: (digits `[B, 81]` as ints 1..=9, confidence `[B, 81]`)
pub fn digits_and_confidence(logits: Tensor<3>) -> (Tensor<2, Int>, Tensor<2>) {
    let [b, c, v] = logits.dims();
    let digit_logits = logits.slice([0..b, 0..c, 2..v]); // [B, 81, 9]
    let probs = softmax(digit_logits, 2); // [B, 81, 9]
    let (confidence, index) = probs.max_dim_with_indices(2); // [B, 81, 1]
    (index.reshape([b, c]).add_scalar(1), confidence.reshape([b, c]))
}

/// Records a [`StepTrace`] per sample: summaries stay on the device until [`PendingTrace::read`].
pub struct TraceRecorder {
    prefix_len: usize,
    calls: Vec<Call>,
    z_norms: Vec<Tensor<1>>,
    y_norms: Vec<Tensor<1>>,
    digits: Vec<Tensor<2, Int>>,
    confidence: Vec<Tensor<2>>,
    halt_logits: Vec<Tensor<1>>,
}

impl TraceRecorder {
    /// A recorder for one supervision step of `model`. `carried_y` is the answer state the
    /// step starts from, shown until the step's first answer update; `None` on the first step,
    /// where there is no answer yet (digits 0, confidence 0).
    pub fn new(model: &Trm, carried_y: Option<&Tensor<3>>, batch: usize, device: &Device) -> Self {
        let mut recorder = Self {
            prefix_len: model.prefix_len(),
            calls: Vec::new(),
            z_norms: Vec::new(),
            y_norms: Vec::new(),
            digits: Vec::new(),
            confidence: Vec::new(),
            halt_logits: Vec::new(),
        };
        match carried_y {
            Some(y) => recorder.record_heads(model, y),
            None => {
                recorder.digits.push(Tensor::zeros([batch, CELLS], device));
                recorder.confidence.push(Tensor::zeros([batch, CELLS], device));
                recorder.halt_logits.push(Tensor::zeros([batch], device));
            }
        }
        recorder
    }

    fn record_heads(&mut self, model: &Trm, y: &Tensor<3>) {
        let y = y.clone().without_autodiff();
        let (digits, confidence) = digits_and_confidence(model.answer_logits(y.clone()));
        self.digits.push(digits);
        self.confidence.push(confidence);
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
            halt_logits: Tensor::stack(self.halt_logits, 0),
        }
    }
}

impl Observer for TraceRecorder {
    fn after_call(&mut self, model: &Trm, call: Call, y: &Tensor<3>, z: &Tensor<3>) {
        self.calls.push(call);
        self.z_norms.push(mean_cell_norm(z, self.prefix_len).without_autodiff());
        self.y_norms.push(mean_cell_norm(y, self.prefix_len).without_autodiff());
        // y changes only at answer updates, so the heads run only there.
        if call.kind == CallKind::Answer {
            self.record_heads(model, y);
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
    /// `[1 + T, B]`
    halt_logits: Tensor<2>,
}

impl PendingTrace {
    /// Reads everything back in one transaction and splits it per sample.
    pub async fn read(self) -> Result<Vec<StepTrace>, String> {
        let [_, batch] = self.z_norms.dims();
        let data = Transaction::default()
            .register(self.z_norms)
            .register(self.y_norms)
            .register(self.digits)
            .register(self.confidence)
            .register(self.halt_logits)
            .execute_async()
            .await
            .map_err(|e| format!("reading the trace back failed: {e:?}"))?;
        let [z, y, d, c, h]: [TensorData; 5] = data
            .try_into()
            .map_err(|_| "the trace readback returned the wrong number of tensors".to_string())?;
        let z = to_f32(z)?;
        let y = to_f32(y)?;
        let d = to_i64(d)?;
        let c = to_f32(c)?;
        let h = to_f32(h)?;
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
                calls.push(CallTrace {
                    cycle: call.cycle as u8,
                    kind: call.kind,
                    z_norm: z[i * batch + sample],
                    y_norm: y[i * batch + sample],
                    digits: d[base..base + CELLS].iter().map(|&v| v.clamp(0, 9) as u8).collect(),
                    confidence: c[base..base + CELLS].to_vec(),
                    halt_logit: h[answer_index * batch + sample],
                });
            }
            let halt_logit = h[answer_index * batch + sample];
            out.push(StepTrace { calls, halt_logit });
        }
        Ok(out)
    }

    /// Blocking [`PendingTrace::read`] for native code.
    #[cfg(not(target_arch = "wasm32"))]
    pub fn read_blocking(self) -> Result<Vec<StepTrace>, String> {
        block_on(self.read())
    }
}

fn to_f32(data: TensorData) -> Result<Vec<f32>, String> {
    data.convert::<f32>()
        .try_into_vec::<f32>()
        .map_err(|e| format!("unexpected trace data: {e:?}"))
}

fn to_i64(data: TensorData) -> Result<Vec<i64>, String> {
    data.convert::<i64>()
        .try_into_vec::<i64>()
        .map_err(|e| format!("unexpected trace data: {e:?}"))
}

/// Runs a future to completion on this thread (native only; the browser awaits instead).
#[cfg(not(target_arch = "wasm32"))]
pub fn block_on<F: std::future::Future>(future: F) -> F::Output {
    pollster::block_on(future)
}

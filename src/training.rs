//! Deep-supervision training as in the paper's code.
//!
//! - A carried batch: every slot keeps its puzzle and its (y, z) across optimizer steps; a slot
//!   whose puzzle halted is refilled with a new puzzle and reset to the initial states.
//! - One optimizer step per supervision step, with full backprop through its last cycle.
//! - Loss: stablemax cross-entropy over all cells (81 for Sudoku) + 0.5 × BCE of the halting logit against
//!   "the current answer is exactly right", summed per sample and divided by the batch size.
//! - AdamW (β = 0.9, 0.95), linear warm-up, an EMA of the weights for evaluation and saving.
//! - Halting: at step ≥ Nsup, or when the halting logit is positive; with probability 0.1 a
//!   puzzle draws a minimum number of steps in [2, Nsup] (exploration).
//!
//! The trainer needs no file system (natively it generates refills on every core), so the web
//! page's fine-tuning uses it too.

use burn::module::{Module, ModuleMapper, ModuleVisitor, Param};
use burn::optim::{AdamWConfig, GradientsParams, ModuleOptimizer};
use burn::prelude::*;
use burn::tensor::Transaction;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};

use crate::data::{DataSource, ExampleStream, TokenExample, mix};
use crate::error::{Error, Result};
use crate::inference::token_rows;
use crate::model::{Trm, TrmConfig};
use crate::puzzles::Example;
use crate::recursion::{NoObserver, RecursionState};

/// Everything that defines a training run, seed included.
#[derive(Config, Debug)]
pub struct TrainingConfig {
    /// The model.
    pub model: TrmConfig,
    /// Where puzzles come from.
    pub data: DataSource,
    /// Apply a random symmetry to every example.
    #[config(default = true)]
    pub augment: bool,
    /// Slots in the carried batch (768 in the paper).
    #[config(default = 64)]
    pub batch_size: usize,
    /// Optimizer steps to run in total.
    #[config(default = 10_000)]
    pub steps: usize,
    /// Peak learning rate (1e-4 in the paper).
    #[config(default = 1e-4)]
    pub learning_rate: f64,
    /// Linear warm-up steps (2,000 in the paper).
    #[config(default = 2_000)]
    pub warmup_steps: usize,
    /// Final learning rate as a fraction of the peak, reached by cosine decay (1.0 = constant,
    /// as in the paper).
    #[config(default = 1.0)]
    pub min_lr_ratio: f64,
    /// Optimizer step at which the current leg's schedule (warm-up, then decay to `steps`)
    /// starts; `None` for 0. A resumed run that starts a new leg sets it to the step it
    /// resumes at, so warm-up and decay run again over the new leg only.
    pub schedule_start: Option<usize>,
    /// AdamW decoupled weight decay (1.0 in the paper for Sudoku).
    #[config(default = 1.0)]
    pub weight_decay: f64,
    /// AdamW β1.
    #[config(default = 0.9)]
    pub beta1: f64,
    /// AdamW β2.
    #[config(default = 0.95)]
    pub beta2: f64,
    /// EMA rate of the weights (0.999 in the paper).
    #[config(default = 0.999)]
    pub ema_decay: f64,
    /// Chance that a new puzzle must run a random minimum number of steps.
    #[config(default = 0.1)]
    pub halt_exploration: f64,
    /// Weight of the halting loss.
    #[config(default = 0.5)]
    pub halt_loss_weight: f64,
    /// Seed of the data stream and of halting exploration.
    #[config(default = 0)]
    pub seed: u64,
}

impl TrainingConfig {
    /// Learning rate at optimizer step `step` (0-based).
    pub fn learning_rate_at(&self, step: usize) -> f64 {
        let start = self.schedule_start.unwrap_or(0);
        let step = step.saturating_sub(start);
        let steps = self.steps.saturating_sub(start);
        let warm = if self.warmup_steps == 0 { 1.0 } else { ((step + 1) as f64 / self.warmup_steps as f64).min(1.0) };
        let decay = if step < self.warmup_steps || steps <= self.warmup_steps {
            1.0
        } else {
            let progress = (step - self.warmup_steps) as f64 / (steps - self.warmup_steps) as f64;
            let cosine = 0.5 * (1.0 + (std::f64::consts::PI * progress.min(1.0)).cos());
            self.min_lr_ratio + (1.0 - self.min_lr_ratio) * cosine
        };
        self.learning_rate * warm * decay
    }
}

/// The losses of one step, as tensors.
pub struct Losses {
    /// Total loss, `[1]`.
    pub total: Tensor<1>,
    /// Stablemax cross-entropy part, `[1]`.
    pub answer: Tensor<1>,
    /// Halting BCE part (before weighting), `[1]`.
    pub halt: Tensor<1>,
    /// 1.0 where the whole answer is right, `[B]`.
    pub exact: Tensor<1>,
    /// Right cells per sample, `[B]`.
    pub right_cells: Tensor<1>,
}

/// Stablemax `s(x) = x + 1` for `x ≥ 0`, `1 / (1 − x)` below; written without a branch so
/// that neither side's gradient can be NaN.
pub fn stablemax_s<const D: usize>(x: Tensor<D>) -> Tensor<D> {
    let below = x.clone().clamp_max(0.0).neg().add_scalar(1.0).recip();
    below + x.clamp_min(0.0)
}

/// The training losses.
///
/// # Shapes
/// - logits: `[B, C, V]` (C cells, V tokens)
/// - halt_logit: `[B]`
/// - labels: `[B, C]` (solution tokens)
pub fn losses(logits: Tensor<3>, halt_logit: Tensor<1>, labels: Tensor<2, Int>, halt_weight: f64) -> Losses {
    let [batch, cells, _] = logits.dims();
    let s = stablemax_s(logits.clone()); // [B, C, V]
    let log_probs = s.clone().log() - s.sum_dim(2).log(); // [B, C, V]
    let picked = log_probs.gather(2, labels.clone().reshape([batch, cells, 1])); // [B, C, 1]
    let per_sample = picked.reshape([batch, cells]).mean_dim(1).reshape([batch]).neg(); // [B]
    let answer = per_sample.sum().div_scalar(batch as f64); // [1]

    let predicted = logits.without_autodiff().argmax(2).reshape([batch, cells]); // [B, C]
    let right = predicted.equal(labels.without_autodiff()); // [B, C]
    let right_cells = right.clone().float().sum_dim(1).reshape([batch]); // [B]
    let exact = right.all_dim(1).float().reshape([batch]); // [B]
    let target = exact.clone().autodiff_like(&halt_logit);

    // BCE with logits: max(q, 0) − q·t + log(1 + e^−|q|).
    let q = halt_logit;
    let bce = q.clone().clamp_min(0.0) - q.clone() * target + q.abs().neg().exp().add_scalar(1.0).log(); // [B]
    let halt = bce.sum().div_scalar(batch as f64); // [1]
    Losses { total: answer.clone() + halt.clone().mul_scalar(halt_weight), answer, halt, exact, right_cells }
}

trait AutodiffLike {
    fn autodiff_like(self, other: &Self) -> Self;
}

impl<const D: usize> AutodiffLike for Tensor<D> {
    fn autodiff_like(self, other: &Self) -> Self {
        if other.is_autodiff() { self.autodiff() } else { self }
    }
}

pub use trm_trace::protocol::StepMetrics;

/// The carried batch.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SlotState {
    /// The slot's puzzle, as a line of the task's text (81 characters for Sudoku).
    pub puzzle: String,
    /// Solution.
    pub solution: String,
    /// Supervision steps run on this puzzle.
    pub steps: usize,
    /// Whether it halted (and is refilled at the next step).
    pub halted: bool,
    /// No halting before this many steps (exploration).
    pub min_steps: usize,
}

impl SlotState {
    /// An empty slot, halted so that the next step fills it.
    pub fn fresh() -> Self {
        Self { puzzle: String::new(), solution: String::new(), steps: 0, halted: true, min_steps: 0 }
    }
}

/// Counters that, with the weights, optimizer and carry, make a run resumable exactly.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Progress {
    /// Optimizer steps done.
    pub step: usize,
    /// Examples drawn from the stream.
    pub samples_drawn: u64,
    /// The slots.
    pub slots: Vec<SlotState>,
}

/// A training run in memory.
pub struct Trainer {
    /// The configuration.
    pub config: TrainingConfig,
    model: Trm,
    ema: Trm,
    optimizer: ModuleOptimizer,
    stream: ExampleStream,
    state: RecursionState,
    slots: Vec<(TokenExample, SlotState)>,
    step: usize,
    samples_drawn: u64,
}

impl Trainer {
    /// A fresh run on `device` (autodiff is turned on here). `files` holds the examples of each
    /// file the data source reads ([`DataSource::files`](crate::data::DataSource::files)).
    pub fn new(config: TrainingConfig, files: Vec<Vec<Example>>, device: &Device) -> Result<Self> {
        config.model.validate()?;
        Self::check_task(&config)?;
        if config.batch_size == 0 {
            return Err(Error::Config("batch_size must be > 0".into()));
        }
        let device = device.clone().autodiff();
        let model = config.model.init(&device);
        Self::from_parts(config, files, model, None, None, None)
    }

    /// Rebuilds a run from saved parts (see [`Trainer::parts`]).
    pub fn from_parts(
        config: TrainingConfig,
        files: Vec<Vec<Example>>,
        model: Trm,
        ema: Option<Trm>,
        optimizer: Option<ModuleOptimizer>,
        resume: Option<(Progress, RecursionState)>,
    ) -> Result<Self> {
        Self::check_task(&config)?;
        let task = config.model.task();
        let stream = ExampleStream::new(config.data.clone(), files, config.augment, config.seed)?;
        let ema = ema.unwrap_or_else(|| model.valid());
        let optimizer = optimizer.unwrap_or_else(|| Self::optimizer_init(&config));
        let batch = config.batch_size;
        let (state, slots, step, samples_drawn) = match resume {
            Some((progress, state)) => {
                if progress.slots.len() != batch {
                    return Err(Error::Config(format!(
                        "the checkpoint has {} slots but batch_size is {batch}",
                        progress.slots.len()
                    )));
                }
                let mut slots = Vec::with_capacity(batch);
                for slot in progress.slots {
                    let example = if slot.halted && slot.puzzle.is_empty() {
                        TokenExample { puzzle: Vec::new(), solution: Vec::new() }
                    } else {
                        let puzzle = task.tokens_of_line(&slot.puzzle)?;
                        let solution = task.tokens_of_line(&slot.solution)?;
                        TokenExample { puzzle, solution }
                    };
                    slots.push((example, slot));
                }
                (state, slots, progress.step, progress.samples_drawn)
            }
            None => {
                let (y, z) = model.initial_state(batch);
                // Every slot starts halted, so the first step fills them all.
                let placeholder = TokenExample { puzzle: Vec::new(), solution: Vec::new() };
                (RecursionState { y, z }, vec![(placeholder, SlotState::fresh()); batch], 0, 0)
            }
        };
        Ok(Self { config, model, ema, optimizer, stream, state, slots, step, samples_drawn })
    }

    /// The data must be of the model's task.
    fn check_task(config: &TrainingConfig) -> Result<()> {
        let (model, data) = (config.model.task(), config.data.task());
        if model == data {
            Ok(())
        } else {
            Err(Error::Config(format!("the model reads {} but the data source gives {}", model.name(), data.name())))
        }
    }

    /// A fresh AdamW as the config describes.
    pub fn optimizer_init(config: &TrainingConfig) -> ModuleOptimizer {
        AdamWConfig::new()
            .with_beta_1(config.beta1 as f32)
            .with_beta_2(config.beta2 as f32)
            .with_epsilon(1e-8)
            .with_weight_decay(config.weight_decay as f32)
            .init()
    }

    /// Optimizer steps done.
    pub fn step_count(&self) -> usize {
        self.step
    }

    /// Whether all configured steps ran.
    pub fn done(&self) -> bool {
        self.step >= self.config.steps
    }

    /// The EMA weights (plain device), used for evaluation and saving.
    pub fn ema(&self) -> &Trm {
        &self.ema
    }

    /// The raw training weights.
    pub fn model(&self) -> &Trm {
        &self.model
    }

    /// Everything needed to resume: weights, EMA, optimizer, counters and carried states.
    pub fn parts(&self) -> (&Trm, &Trm, &ModuleOptimizer, Progress, &RecursionState) {
        let progress = Progress {
            step: self.step,
            samples_drawn: self.samples_drawn,
            slots: self.slots.iter().map(|(_, s)| s.clone()).collect(),
        };
        (&self.model, &self.ema, &self.optimizer, progress, &self.state)
    }

    /// The state a step starts from: the carried y and z, with the rows of refilled slots
    /// (`reset`) back at the initial states.
    fn starting_state(&self, reset: &[bool]) -> RecursionState {
        let device = self.model.token_embedding.val().device();
        let batch = reset.len();
        let mask =
            Tensor::<1, Bool>::from_data(TensorData::new(reset.to_vec(), [batch]), &device).reshape([batch, 1, 1]);
        let (y0, z0) = self.model.initial_state(batch);
        let shape = y0.dims();
        RecursionState {
            y: self.state.y.clone().mask_where(mask.clone().expand(shape), y0).detach(),
            z: self.state.z.clone().mask_where(mask.expand(shape), z0).detach(),
        }
    }

    /// One optimizer step (= one supervision step for every slot). One readback.
    pub async fn train_step(&mut self) -> Result<StepMetrics> {
        let nsup = self.config.model.supervision_steps;
        let batch = self.config.batch_size;
        let device = self.model.token_embedding.val().device();
        let stage = self.stream.stage_at(self.step);

        // Refill halted slots and reset their states.
        let mut reset = vec![false; batch];
        let refills = self.slots.iter().filter(|(_, slot)| slot.halted).count();
        let mut fresh = self.stream.examples(self.samples_drawn, refills, self.step).into_iter();
        for (i, (example, slot)) in self.slots.iter_mut().enumerate() {
            if slot.halted {
                let Some(next) = fresh.next() else { break };
                *example = next;
                self.samples_drawn += 1;
                let mut rng = ChaCha8Rng::seed_from_u64(mix(self.config.seed ^ 0x4841_4C54, self.samples_drawn));
                let min_steps = if rng.random_bool(self.config.halt_exploration.clamp(0.0, 1.0)) {
                    rng.random_range(2..=nsup.max(2))
                } else {
                    0
                };
                let task = self.config.model.task();
                *slot = SlotState {
                    puzzle: task.line_of_tokens(&example.puzzle),
                    solution: task.line_of_tokens(&example.solution),
                    steps: 0,
                    halted: false,
                    min_steps,
                };
                reset[i] = true;
            }
        }
        let state = self.starting_state(&reset);

        let cells = self.config.model.task().cells();
        let inputs = token_rows(self.slots.iter().map(|(e, _)| e.puzzle.as_slice()), cells, &device)?;
        let labels = token_rows(self.slots.iter().map(|(e, _)| e.solution.as_slice()), cells, &device)?;

        let x = self.model.embed(inputs);
        let output = self.model.supervision_step(&x, state, &mut NoObserver);
        self.state = output.state;
        let losses = losses(output.logits, output.halt_logit.clone(), labels, self.config.halt_loss_weight);
        let gradients = GradientsParams::from_grads(losses.total.backward(), &self.model);
        let lr = self.config.learning_rate_at(self.step);
        self.model = self.optimizer.step(lr, self.model.clone(), gradients);
        self.ema = ema_update(&self.ema, &self.model, self.config.ema_decay);
        self.step += 1;

        let data = Transaction::default()
            .register(losses.total.without_autodiff())
            .register(losses.answer.without_autodiff())
            .register(losses.halt.without_autodiff())
            .register(losses.exact)
            .register(losses.right_cells)
            .register(output.halt_logit.without_autodiff())
            .execute_async()
            .await
            .map_err(|e| Error::from_backend("reading training metrics failed", e))?;
        let values: Vec<Vec<f32>> = data
            .into_iter()
            .map(|d| d.convert::<f32>().try_into_vec::<f32>().map_err(|e| Error::from_backend("unexpected metrics", e)))
            .collect::<Result<_>>()?;
        let [total, answer, halt, exact, right_cells, halt_logits]: [Vec<f32>; 6] =
            values.try_into().map_err(|_| Error::Backend("wrong number of metric tensors".into()))?;

        let mut halted_count = 0usize;
        let mut halted_steps = 0usize;
        for (i, (_, slot)) in self.slots.iter_mut().enumerate() {
            slot.steps += 1;
            let wants_halt = halt_logits[i] > 0.0 && slot.steps >= slot.min_steps;
            slot.halted = slot.steps >= nsup || wants_halt;
            if slot.halted {
                halted_count += 1;
                halted_steps += slot.steps;
            }
        }
        let metrics = StepMetrics {
            step: self.step,
            loss: total[0],
            answer_loss: answer[0],
            halt_loss: halt[0],
            cell_accuracy: right_cells.iter().sum::<f32>() / (batch * cells) as f32,
            exact_accuracy: exact.iter().sum::<f32>() / batch as f32,
            halted: halted_count as f32 / batch as f32,
            mean_halt_steps: if halted_count > 0 { halted_steps as f32 / halted_count as f32 } else { 0.0 },
            learning_rate: lr,
            stage,
        };
        if !metrics.loss.is_finite() {
            return Err(Error::Backend(format!("the loss became non-finite at step {}", self.step)));
        }
        Ok(metrics)
    }

    /// Blocking [`Trainer::train_step`] for native code.
    #[cfg(not(target_arch = "wasm32"))]
    pub fn train_step_blocking(&mut self) -> Result<StepMetrics> {
        crate::recursion::block_on(self.train_step())
    }
}

/// `ema ← decay·ema + (1 − decay)·model`, parameter by parameter (both have the same structure).
pub fn ema_update(ema: &Trm, model: &Trm, decay: f64) -> Trm {
    struct Collect(Vec<Tensor<1>>);
    impl ModuleVisitor for Collect {
        fn visit_float<const D: usize>(&mut self, param: &Param<Tensor<D>>) {
            let value = param.val().without_autodiff();
            let n = value.shape().num_elements();
            self.0.push(value.reshape([n]));
        }
    }
    struct Blend {
        sources: std::vec::IntoIter<Tensor<1>>,
        decay: f64,
    }
    impl ModuleMapper for Blend {
        fn map_float<const D: usize>(&mut self, param: Param<Tensor<D>>) -> Param<Tensor<D>> {
            let decay = self.decay;
            match self.sources.next() {
                Some(source) => param.map(|old| {
                    let dims = old.dims();
                    old.mul_scalar(decay) + source.reshape(dims).mul_scalar(1.0 - decay)
                }),
                None => param,
            }
        }
    }
    let mut collect = Collect(Vec::new());
    model.visit(&mut collect);
    ema.clone().map(&mut Blend { sources: collect.0.into_iter(), decay })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stablemax_matches_its_definition() {
        let device = Device::flex();
        let x = Tensor::<1>::from_floats([-3.0, -0.5, 0.0, 0.5, 2.0], &device);
        let s: Vec<f32> = stablemax_s(x).into_data().try_to_vec().unwrap();
        let expected = [0.25, 1.0 / 1.5, 1.0, 1.5, 3.0];
        for (a, b) in s.iter().zip(expected) {
            assert!((a - b).abs() < 1e-6, "{a} vs {b}");
        }
    }

    #[test]
    fn learning_rate_warms_up_then_decays() {
        let config = TrainingConfig::new(TrmConfig::tiny(), DataSource::default_curriculum())
            .with_steps(100)
            .with_warmup_steps(10)
            .with_learning_rate(1.0)
            .with_min_lr_ratio(0.1);
        assert!((config.learning_rate_at(0) - 0.1).abs() < 1e-12);
        assert!((config.learning_rate_at(9) - 1.0).abs() < 1e-12);
        assert!((config.learning_rate_at(99) - 0.1).abs() < 1e-3);
        let constant = config.clone().with_min_lr_ratio(1.0);
        assert!((constant.learning_rate_at(60) - 1.0).abs() < 1e-12);
        // A new leg from step 100 to 300: warm-up and decay again, over the leg only.
        let leg = config.clone().with_steps(300).with_schedule_start(Some(100));
        assert!((leg.learning_rate_at(100) - 0.1).abs() < 1e-12);
        assert!((leg.learning_rate_at(109) - 1.0).abs() < 1e-12);
        assert!((leg.learning_rate_at(299) - 0.1).abs() < 1e-3);
        assert!((leg.learning_rate_at(205) - 0.55).abs() < 1e-2);
    }

    /// A tiny trainer on a file source of a few generated puzzles, with the halting head's bias
    /// set to `halt_bias` (its weights are zero at init, so q = bias until training moves it)
    /// and a learning rate too small to move it within a test.
    fn halting_trainer(halt_bias: f32, exploration: f64) -> Trainer {
        let mut generator = crate::Generator::new(11);
        let set: Vec<Example> = (0..6)
            .map(|_| {
                let p = generator.generate(crate::Tier::Easy);
                Example { puzzle: p.puzzle, solution: p.solution }
            })
            .collect();
        let config = TrainingConfig::new(TrmConfig::tiny(), DataSource::Files { paths: vec!["fixed".into()] })
            .with_batch_size(4)
            .with_warmup_steps(0)
            .with_learning_rate(1e-9)
            .with_halt_exploration(exploration)
            .with_seed(3);
        let mut trainer = Trainer::new(config, vec![set], &Device::flex()).unwrap();
        trainer.model = trainer.model.clone().with_param_values(|path, dims| {
            let n: usize = dims.iter().product();
            match path {
                "halt_head.bias" => vec![halt_bias, 0.0],
                "halt_head.weight" => vec![0.0; n],
                _ => vec![0.01; n],
            }
        });
        trainer
    }

    #[test]
    fn slots_halt_when_q_is_positive_and_are_refilled_from_the_initial_state() {
        // q > 0: every slot halts after its first step, and the next step refills all of them.
        let mut trainer = halting_trainer(10.0, 0.0);
        let m = trainer.train_step_blocking().unwrap();
        assert_eq!(m.halted, 1.0);
        assert!(trainer.slots.iter().all(|(_, s)| s.halted && s.steps == 1));
        assert_eq!(trainer.samples_drawn, 4);
        trainer.train_step_blocking().unwrap();
        assert_eq!(trainer.samples_drawn, 8, "every halted slot takes a new puzzle");
        assert!(trainer.slots.iter().all(|(_, s)| s.steps == 1));

        // q < 0: no slot halts before the step budget (Nsup = 4 for the tiny preset), all at it.
        let mut trainer = halting_trainer(-10.0, 0.0);
        for step in 1..=4 {
            let m = trainer.train_step_blocking().unwrap();
            let expected = if step < 4 { 0.0 } else { 1.0 };
            assert_eq!(m.halted, expected, "step {step}");
            assert_eq!(trainer.samples_drawn, 4, "no refill before a slot halts");
        }
        assert_eq!(trainer.train_step_blocking().unwrap().mean_halt_steps, 0.0);
        assert_eq!(trainer.samples_drawn, 8);
    }

    #[test]
    fn refilled_rows_start_from_the_initial_states_and_others_keep_their_carry() {
        let trainer = halting_trainer(-10.0, 0.0);
        let device = Device::flex().autodiff();
        let shape = [4, TrmConfig::tiny().seq_len(), 32];
        let mut trainer = trainer;
        trainer.state = RecursionState { y: Tensor::zeros(shape, &device), z: Tensor::ones(shape, &device) };
        let state = trainer.starting_state(&[true, false, true, false]);
        let y: Vec<f32> = state.y.into_data().convert::<f32>().try_into_vec().unwrap();
        let z: Vec<f32> = state.z.into_data().convert::<f32>().try_into_vec().unwrap();
        let y0: Vec<f32> = trainer.model.y_init.val().into_data().convert::<f32>().try_into_vec().unwrap();
        let z0: Vec<f32> = trainer.model.z_init.val().into_data().convert::<f32>().try_into_vec().unwrap();
        let row = shape[1] * shape[2];
        for r in 0..4 {
            let (ys, zs) = (&y[r * row..(r + 1) * row], &z[r * row..(r + 1) * row]);
            if r % 2 == 0 {
                assert!(
                    ys.chunks(32).all(|v| v == y0.as_slice()) && zs.chunks(32).all(|v| v == z0.as_slice()),
                    "row {r}"
                );
            } else {
                assert!(ys.iter().all(|&v| v == 0.0) && zs.iter().all(|&v| v == 1.0), "row {r}");
            }
        }
    }

    #[test]
    fn exploration_holds_a_slot_until_its_minimum_steps() {
        // Every new puzzle draws a minimum in [2, Nsup]; with q > 0 it halts exactly there.
        let mut trainer = halting_trainer(10.0, 1.0);
        trainer.train_step_blocking().unwrap();
        let minimums: Vec<usize> = trainer.slots.iter().map(|(_, s)| s.min_steps).collect();
        assert!(minimums.iter().all(|&m| (2..=4).contains(&m)), "{minimums:?}");
        for step in 2..=4 {
            trainer.train_step_blocking().unwrap();
            for (i, (_, slot)) in trainer.slots.iter().enumerate() {
                if minimums[i] >= step {
                    assert_eq!(slot.halted, minimums[i] == step, "slot {i} (minimum {}) at step {step}", minimums[i]);
                }
            }
        }
    }

    #[test]
    fn loss_terms_match_hand_computed_values() {
        // Sample 0: every label logit 1, the rest 0 (stablemax 2 vs 1): p = 2/12, right, q = 0.3.
        // Sample 1: every label logit -1, the rest 0 (stablemax 1/2 vs 1): p = 0.5/10.5, wrong,
        // q = -0.2.
        let device = Device::flex();
        let vocab = crate::encoding::VOCAB;
        let labels_line: Vec<i64> = (0..crate::grid::CELLS).map(|c| 2 + (c % 9) as i64).collect();
        let mut logits = vec![0.0f32; 2 * crate::grid::CELLS * vocab];
        for (sample, value) in [(0usize, 1.0f32), (1, -1.0)] {
            for (c, &label) in labels_line.iter().enumerate() {
                logits[(sample * crate::grid::CELLS + c) * vocab + label as usize] = value;
            }
        }
        let logits = Tensor::<3>::from_data(TensorData::new(logits, [2, crate::grid::CELLS, vocab]), &device);
        let labels = Tensor::<2, Int>::from_data(
            TensorData::new([labels_line.clone(), labels_line].concat(), [2, crate::grid::CELLS]),
            &device,
        );
        let halt = Tensor::<1>::from_floats([0.3, -0.2], &device);
        let l = losses(logits, halt, labels, 0.5);
        let get = |t: Tensor<1>| -> Vec<f32> { t.into_data().convert::<f32>().try_into_vec().unwrap() };
        let answer = ((6.0f64).ln() + (21.0f64).ln()) / 2.0;
        let halt_loss = ((1.0 + (-0.3f64).exp()).ln() + (1.0 + (-0.2f64).exp()).ln()) / 2.0;
        assert!((get(l.answer)[0] as f64 - answer).abs() < 1e-5);
        assert!((get(l.halt)[0] as f64 - halt_loss).abs() < 1e-5);
        assert!((get(l.total)[0] as f64 - (answer + 0.5 * halt_loss)).abs() < 1e-5);
        assert_eq!(get(l.exact), vec![1.0, 0.0]);
        assert_eq!(get(l.right_cells), vec![81.0, 0.0]);
    }

    #[test]
    fn ema_moves_towards_the_model() {
        let device = Device::flex();
        let a = TrmConfig::tiny().with_seed(1).init(&device);
        let b = TrmConfig::tiny().with_seed(2).init(&device);
        let blended = ema_update(&a, &b, 0.75);
        let get = |m: &Trm| -> Vec<f32> { m.output_head.weight.val().into_data().try_to_vec().unwrap() };
        for ((x, y), z) in get(&a).iter().zip(get(&b)).zip(get(&blended)) {
            assert!((0.75 * x + 0.25 * y - z).abs() < 1e-6);
        }
    }
}

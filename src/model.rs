//! The Tiny Recursive Model (TRM): one small network applied over and over.
//!
//! Paper: Jolicoeur-Martineau, "Less is More: Recursive Reasoning with Tiny Networks" (2025),
//! arXiv 2510.04871. Reference code: SamsungSAILMontreal/TinyRecursiveModels. The details
//! followed here, from the paper and that code:
//!
//! - inputs are one token per cell (Sudoku: 81 cells, PAD 0, blank 1, digit d = d+1; a maze:
//!   one per tile, see [`crate::task`]) after 16 prefix positions whose first one holds a
//!   learned puzzle embedding; embeddings are scaled by √D;
//! - the net is `layers` post-norm blocks: `h = norm(h + mixer(h)); h = norm(h + SwiGLU(h))`
//!   with RMSNorm without gain and no biases; the mixer is a SwiGLU across positions (`mlp_t`,
//!   normalised over positions as in the reference code) or multi-head attention with RoPE;
//! - latent update `z ← net(z + y + x)`, answer update `y ← net(y + z)`;
//! - y and z start from fixed random vectors (saved with the weights, never trained);
//! - the output head reads y, the halting head reads y at position 0 (weights 0, bias −5).
//!
//! The recursion itself (cycles, gradients, tracing) lives in [`crate::recursion`].

use burn::module::Param;
use burn::nn::Linear;
use burn::prelude::*;
use burn::tensor::activation::silu;
use burn::tensor::module::embedding;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use crate::task::Task;

/// How positions exchange information inside a block.
#[derive(Config, Debug, Copy, PartialEq, Eq)]
pub enum TokenMixer {
    /// A SwiGLU applied across positions ("mlp_t"; the paper's best Sudoku model).
    Mlp,
    /// Non-causal multi-head self-attention with rotary position encoding.
    Attention,
}

/// Architecture and recursion hyper-parameters, with the seed of the initial weights.
#[derive(Config, Debug)]
pub struct TrmConfig {
    /// Width D of embeddings and of the states y and z.
    pub hidden: usize,
    /// Blocks in the net (2 in the paper).
    #[config(default = 2)]
    pub layers: usize,
    /// Token mixer inside each block.
    #[config(default = "TokenMixer::Mlp")]
    pub mixer: TokenMixer,
    /// SwiGLU expansion factor (4 in the paper).
    #[config(default = 4.0)]
    pub expansion: f64,
    /// Inner SwiGLU widths are rounded up to a multiple of this (256 in the paper).
    #[config(default = 256)]
    pub inner_multiple: usize,
    /// Prefix positions before the cells; the first holds the puzzle embedding (16 in the paper).
    #[config(default = 16)]
    pub prefix_len: usize,
    /// Attention heads (attention mixer only).
    #[config(default = 8)]
    pub heads: usize,
    /// n: latent updates per cycle (6 in the paper).
    #[config(default = 6)]
    pub latent_updates: usize,
    /// T: cycles per supervision step; all but the last run without gradients (3 in the paper).
    #[config(default = 3)]
    pub cycles: usize,
    /// Nsup: most supervision steps per puzzle (16 in the paper).
    #[config(default = 16)]
    pub supervision_steps: usize,
    /// RMSNorm epsilon.
    #[config(default = 1e-5)]
    pub norm_eps: f64,
    /// RoPE base (attention mixer only).
    #[config(default = 10000.0)]
    pub rope_theta: f64,
    /// Seed of the initial weights and of the fixed initial y and z.
    #[config(default = 0)]
    pub seed: u64,
    /// The puzzle the model reads; `None` is Sudoku (every file written before mazes existed).
    pub task: Option<Task>,
}

impl TrmConfig {
    /// TRM-MLP for Sudoku as in the paper: 5,028,866 parameters.
    pub fn paper_mlp() -> Self {
        Self::new(512)
    }

    /// TRM-Att as in the paper: 6,828,034 parameters.
    pub fn paper_att() -> Self {
        Self::new(512).with_mixer(TokenMixer::Attention)
    }

    /// The browser model: hidden 128, narrower inner widths, 4 prefix positions, n = 4, T = 2
    /// (10 net calls per step), so the CPU fallback in wasm stays interactive and it trains on CPUs.
    pub fn browser() -> Self {
        Self::new(128).with_inner_multiple(64).with_prefix_len(4).with_latent_updates(4).with_cycles(2)
    }

    /// The page's maze model: the browser model's sizes with attention, because the paper's
    /// MLP token mixer fails on mazes (0% on Maze-Hard, where attention solved 85.3%), and with
    /// one prefix position (a maze has no puzzle identifiers to spread).
    pub fn maze(side: usize) -> Self {
        Self::browser().with_mixer(TokenMixer::Attention).with_heads(4).with_prefix_len(1).for_task(Task::Maze { side })
    }

    /// A very small model for tests and quick experiments.
    pub fn tiny() -> Self {
        Self::new(32)
            .with_inner_multiple(32)
            .with_prefix_len(1)
            .with_latent_updates(2)
            .with_cycles(2)
            .with_supervision_steps(4)
    }

    /// A preset by name: `paper_mlp`, `paper_att`, `browser` or `tiny` (Sudoku; for mazes see
    /// [`TrmConfig::maze`] and [`TrmConfig::for_task`]).
    pub fn preset(name: &str) -> Option<Self> {
        match name {
            "paper_mlp" | "paper-mlp" => Some(Self::paper_mlp()),
            "paper_att" | "paper-att" => Some(Self::paper_att()),
            "browser" => Some(Self::browser()),
            "tiny" => Some(Self::tiny()),
            _ => None,
        }
    }

    /// Names accepted by [`TrmConfig::preset`].
    pub const PRESETS: [&'static str; 4] = ["paper_mlp", "paper_att", "browser", "tiny"];

    /// The task this config reads.
    pub fn task(&self) -> Task {
        self.task.unwrap_or(Task::Sudoku)
    }

    /// The same architecture for another task. Sudoku is stored as `None`, so that a Sudoku
    /// config's JSON stays as it was before tasks existed.
    pub fn for_task(self, task: Task) -> Self {
        self.with_task((task != Task::Sudoku).then_some(task))
    }

    /// Sequence length: prefix plus the task's cells.
    pub fn seq_len(&self) -> usize {
        self.prefix_len + self.task().cells()
    }

    /// Net calls in one supervision step: T·(n+1).
    pub fn calls_per_step(&self) -> usize {
        self.cycles * (self.latent_updates + 1)
    }

    /// Inner width of a SwiGLU over `width` features, rounded as in the reference code.
    pub fn swiglu_inner(&self, width: usize) -> usize {
        let raw = (self.expansion * width as f64 * 2.0 / 3.0).round() as usize;
        raw.div_ceil(self.inner_multiple.max(1)) * self.inner_multiple.max(1)
    }

    /// Checks values that would make the model impossible to build.
    pub fn validate(&self) -> crate::error::Result<()> {
        let mut problems = Vec::new();
        if let Err(e) = self.task().validate() {
            problems.push(e.to_string());
        }
        if self.hidden == 0 {
            problems.push("hidden must be > 0".to_string());
        }
        if self.layers == 0 {
            problems.push("layers must be > 0".to_string());
        }
        if self.prefix_len == 0 {
            problems.push("prefix_len must be > 0 (position 0 carries the halting read-out)".to_string());
        }
        if self.cycles == 0 || self.latent_updates == 0 || self.supervision_steps == 0 {
            problems.push("cycles, latent_updates and supervision_steps must be > 0".to_string());
        }
        if self.mixer == TokenMixer::Attention
            && (self.heads == 0
                || !self.hidden.is_multiple_of(self.heads)
                || !(self.hidden / self.heads).is_multiple_of(2))
        {
            problems.push("attention needs hidden divisible by heads, with an even head size".to_string());
        }
        // Upper bounds come before anything is allocated: a config read from a file (or a
        // browser's storage) must not be able to ask for gigabytes.
        for (name, value, max) in [
            ("hidden", self.hidden, Self::MAX_HIDDEN),
            ("layers", self.layers, 16),
            ("prefix_len", self.prefix_len, 256),
            ("heads", self.heads, 64),
            ("cycles", self.cycles, 64),
            ("latent_updates", self.latent_updates, 64),
            ("supervision_steps", self.supervision_steps, 1024),
            ("inner_multiple", self.inner_multiple, 4096),
        ] {
            if value > max {
                problems.push(format!("{name} = {value} is over the limit of {max}"));
            }
        }
        if !(self.expansion.is_finite() && self.expansion > 0.0 && self.expansion <= 16.0) {
            problems.push(format!("expansion = {} is not in (0, 16]", self.expansion));
        }
        let positive = |v: f64| v.is_finite() && v > 0.0;
        if !(positive(self.norm_eps) && positive(self.rope_theta)) {
            problems.push("norm_eps and rope_theta must be finite and > 0".to_string());
        }
        if problems.is_empty() && self.approx_params() > Self::MAX_PARAMS {
            problems.push(format!(
                "about {} parameters is over the limit of {} (the paper's largest model has 7M)",
                self.approx_params(),
                Self::MAX_PARAMS
            ));
        }
        if problems.is_empty() { Ok(()) } else { Err(crate::error::Error::Config(problems.join("; "))) }
    }

    /// Widest D a config may ask for.
    pub const MAX_HIDDEN: usize = 4096;
    /// Most parameters a config may ask for.
    pub const MAX_PARAMS: u64 = 64_000_000;

    /// Parameters of the blocks' products (the bulk of the model), from the shapes alone.
    fn approx_params(&self) -> u64 {
        let d = self.hidden as u64;
        let seq = self.seq_len() as u64;
        let mixer = match self.mixer {
            TokenMixer::Mlp => 3 * seq * self.swiglu_inner(self.seq_len()) as u64,
            TokenMixer::Attention => 4 * d * d,
        };
        let mlp = 3 * d * self.swiglu_inner(self.hidden) as u64;
        (mixer + mlp).saturating_mul(self.layers as u64)
    }

    /// Builds the model with weights drawn from `seed`.
    pub fn init(&self, device: &Device) -> Trm {
        let mut rng = ChaCha8Rng::seed_from_u64(self.seed);
        let d = self.hidden;
        let seq = self.seq_len();
        let blocks = (0..self.layers)
            .map(|_| Block {
                mixer: match self.mixer {
                    TokenMixer::Mlp => Mixer {
                        mlp: Some(SwiGlu::init(seq, self.swiglu_inner(seq), &mut rng, device)),
                        attention: None,
                    },
                    TokenMixer::Attention => {
                        Mixer { mlp: None, attention: Some(Attention::init(d, self.heads, &mut rng, device)) }
                    }
                },
                mlp: SwiGlu::init(d, self.swiglu_inner(d), &mut rng, device),
                norm_eps: self.norm_eps,
            })
            .collect();
        let embed_std = 1.0 / (d as f64).sqrt();
        let vocab = self.task().vocab();
        let rope = (self.mixer == TokenMixer::Attention)
            .then(|| Rope::new(d / self.heads.max(1), seq, self.rope_theta, device));
        Trm {
            token_embedding: param(trunc_normal(&[vocab, d], embed_std, &mut rng), [vocab, d], device),
            puzzle_embedding: param(vec![0.0; d], [1, d], device),
            blocks,
            output_head: linear(d, vocab, false, &mut rng, device),
            halt_head: Linear {
                weight: param(vec![0.0; d * 2], [d, 2], device),
                bias: Some(param(vec![-5.0, 0.0], [2], device)),
            },
            y_init: param(trunc_normal(&[d], 1.0, &mut rng), [d], device).set_require_grad(false),
            z_init: param(trunc_normal(&[d], 1.0, &mut rng), [d], device).set_require_grad(false),
            rope,
            hidden: d,
            prefix_len: self.prefix_len,
            cells: self.task().cells(),
            first_answer_token: self.task().answer_tokens().start,
            latent_updates: self.latent_updates,
            cycles: self.cycles,
        }
    }
}

/// The model: embeddings, the net (a few blocks), the two heads and the initial states.
#[derive(Module, Debug)]
pub struct Trm {
    /// Token embedding, `[V, D]` (V tokens of the task).
    pub token_embedding: Param<Tensor<2>>,
    /// The puzzle-identifier embedding at prefix position 0, `[1, D]` (one identifier for Sudoku).
    pub puzzle_embedding: Param<Tensor<2>>,
    /// The net.
    pub blocks: Vec<Block>,
    /// Answer logits from y, `D → V`, no bias.
    pub output_head: Linear,
    /// Halting logits from y at position 0, `D → 2` (halt, continue), with bias.
    pub halt_head: Linear,
    /// Fixed initial answer state, `[D]` (not trained).
    pub y_init: Param<Tensor<1>>,
    /// Fixed initial latent state, `[D]` (not trained).
    pub z_init: Param<Tensor<1>>,
    /// Rotary tables (attention mixer only); recomputed, not saved.
    pub rope: Option<Rope>,
    hidden: usize,
    prefix_len: usize,
    cells: usize,
    first_answer_token: usize,
    pub(crate) latent_updates: usize,
    pub(crate) cycles: usize,
}

impl Trm {
    /// Width D.
    pub fn hidden(&self) -> usize {
        self.hidden
    }

    /// Prefix positions before the cells.
    pub fn prefix_len(&self) -> usize {
        self.prefix_len
    }

    /// Cells of one puzzle (81 for Sudoku, side² for a maze).
    pub fn cells(&self) -> usize {
        self.cells
    }

    /// Tokens in the vocabulary.
    pub fn vocab(&self) -> usize {
        self.token_embedding.lazy_shape().as_slice()[0]
    }

    /// The tokens a cell's answer is read from ([`Task::answer_tokens`]).
    pub fn answer_tokens(&self) -> std::ops::Range<usize> {
        self.first_answer_token..self.vocab()
    }

    /// Net calls in one supervision step: T·(n+1).
    pub fn calls_per_step(&self) -> usize {
        self.cycles * (self.latent_updates + 1)
    }

    /// Parameters as the paper counts them: without the fixed initial states and the
    /// puzzle-identifier embedding, which are buffers in the reference code.
    pub fn paper_param_count(&self) -> usize {
        self.num_params() - 3 * self.hidden
    }

    /// Paths (`blocks.0.mlp.down.weight`, …) and shapes of every float parameter, in visit order.
    pub fn param_paths(&self) -> Vec<(String, Vec<usize>)> {
        struct Paths {
            stack: Vec<String>,
            out: Vec<(String, Vec<usize>)>,
        }
        impl burn::module::ModuleVisitor for Paths {
            fn enter_module(&mut self, name: &str, _: &str) {
                self.stack.push(name.to_string());
            }
            fn exit_module(&mut self, _: &str, _: &str) {
                self.stack.pop();
            }
            fn visit_float<const D: usize>(&mut self, param: &Param<Tensor<D>>) {
                self.out.push((self.stack.join("."), param.lazy_shape().as_slice().to_vec()));
            }
        }
        let mut paths = Paths { stack: Vec::new(), out: Vec::new() };
        self.visit(&mut paths);
        paths.out
    }

    /// Replaces every float parameter by `values(path, shape)` (row-major, burn layout:
    /// linear weights are `[in, out]`). Used by the reference-parity tests and for imports.
    pub fn with_param_values(self, mut values: impl FnMut(&str, &[usize]) -> Vec<f32>) -> Self {
        struct Fill<'a> {
            stack: Vec<String>,
            values: &'a mut dyn FnMut(&str, &[usize]) -> Vec<f32>,
        }
        impl burn::module::ModuleMapper for Fill<'_> {
            fn enter_module(&mut self, name: &str, _: &str) {
                self.stack.push(name.to_string());
            }
            fn exit_module(&mut self, _: &str, _: &str) {
                self.stack.pop();
            }
            fn map_float<const D: usize>(&mut self, param: Param<Tensor<D>>) -> Param<Tensor<D>> {
                let path = self.stack.join(".");
                let values = &mut self.values;
                param.map(|t| {
                    let dims = t.dims();
                    let tracked = t.is_require_grad();
                    let data = (values)(&path, &dims);
                    let fresh = Tensor::from_data(TensorData::new(data, dims), &t.device());
                    if tracked { fresh.require_grad() } else { fresh }
                })
            }
        }
        self.map(&mut Fill { stack: Vec::new(), values: &mut values })
    }

    /// Embeds the puzzle.
    ///
    /// # Shapes
    /// - tokens: `[B, C]` (C cells, ids 0..V)
    /// - output: `[B, P + C, D]`
    pub fn embed(&self, tokens: Tensor<2, Int>) -> Tensor<3> {
        let [batch, _] = tokens.dims();
        let d = self.hidden;
        let cells = embedding(self.token_embedding.val(), tokens); // [B, C, D]
        let first = self.puzzle_embedding.val().unsqueeze::<3>().expand([batch, 1, d]); // [B, 1, D]
        let mut parts = vec![first];
        if self.prefix_len > 1 {
            parts.push(Tensor::zeros([batch, self.prefix_len - 1, d], &cells.device())); // [B, P-1, D]
        }
        parts.push(cells);
        Tensor::cat(parts, 1).mul_scalar((d as f64).sqrt()) // [B, P+C, D]
    }

    /// One net call: the blocks applied to `state + injection`.
    ///
    /// # Shapes
    /// - state, injection: `[B, L, D]`
    /// - output: `[B, L, D]`
    pub fn net(&self, state: Tensor<3>, injection: Tensor<3>) -> Tensor<3> {
        let [batch, _, d] = state.dims();
        let out = self.net_position_major(to_position_major(state), to_position_major(injection));
        from_position_major(out, batch, d)
    }

    /// One net call on position-major states, as the recursion keeps them (see
    /// [`to_position_major`]): a column is one feature of one puzzle across positions. Then the
    /// token mixer is one matrix product from the left and the channel SwiGLU one from the
    /// right, both on contiguous memory, each weight's gradient is one product too, and nothing
    /// is copied between the calls of a supervision step.
    ///
    /// # Shapes
    /// - state, injection: `[L, B·D]`
    /// - output: `[L, B·D]`
    pub fn net_position_major(&self, state: Tensor<2>, injection: Tensor<2>) -> Tensor<2> {
        let mut h = state + injection; // [L, B·D]
        for block in &self.blocks {
            h = block.forward(h, self.hidden, self.rope.as_ref()); // [L, B·D]
        }
        h
    }

    /// Initial y and z for a batch.
    ///
    /// # Shapes
    /// - output: (`[B, L, D]`, `[B, L, D]`)
    pub fn initial_state(&self, batch: usize) -> (Tensor<3>, Tensor<3>) {
        let shape = [batch, self.prefix_len + self.cells, self.hidden];
        let y = self.y_init.val().unsqueeze::<3>().expand(shape); // [B, L, D]
        let z = self.z_init.val().unsqueeze::<3>().expand(shape); // [B, L, D]
        (y, z)
    }

    /// Answer logits for the cells.
    ///
    /// # Shapes
    /// - y: `[B, L, D]`
    /// - output: `[B, C, V]`
    pub fn answer_logits(&self, y: Tensor<3>) -> Tensor<3> {
        let [batch, seq, d] = y.dims();
        let cells = y.slice([0..batch, self.prefix_len..seq, 0..d]); // [B, C, D]
        self.output_head.forward(cells) // [B, C, V]
    }

    /// Halting logit (the "halt" output of the Q head) read from y at position 0.
    ///
    /// # Shapes
    /// - y: `[B, L, D]`
    /// - output: `[B]`
    pub fn halt_logit(&self, y: Tensor<3>) -> Tensor<1> {
        let [batch, _, d] = y.dims();
        let first = y.slice([0..batch, 0..1, 0..d]).reshape([batch, d]); // [B, D]
        let q = self.halt_head.forward(first); // [B, 2]
        q.slice([0..batch, 0..1]).reshape([batch]) // [B]
    }
}

/// One post-norm block: token mixing, then a channel SwiGLU.
#[derive(Module, Debug)]
pub struct Block {
    /// Token mixer.
    pub mixer: Mixer,
    /// Channel SwiGLU.
    pub mlp: SwiGlu,
    norm_eps: f64,
}

/// Exactly one of the two is set.
#[derive(Module, Debug)]
pub struct Mixer {
    /// SwiGLU across positions.
    pub mlp: Option<SwiGlu>,
    /// Self-attention.
    pub attention: Option<Attention>,
}

impl Block {
    /// # Shapes
    /// - h: `[L, B·D]`, position-major (see [`Trm::net`]); `d` is D
    /// - output: `[L, B·D]`
    pub fn forward(&self, h: Tensor<2>, d: usize, rope: Option<&Rope>) -> Tensor<2> {
        let [seq, columns] = h.dims();
        let batch = columns / d;
        let h = if let Some(mlp) = &self.mixer.mlp {
            // As in the reference code, this norm runs over positions.
            rms_norm(mlp.forward_columns(h.clone()) + h, 0, self.norm_eps) // [L, B·D]
        } else if let (Some(attention), Some(rope)) = (&self.mixer.attention, rope) {
            let h = h.reshape([seq, batch, d]).swap_dims(0, 1); // [B, L, D]
            let h = rms_norm(h.clone() + attention.forward(h, rope), 2, self.norm_eps); // [B, L, D]
            h.swap_dims(0, 1).reshape([seq, columns]) // [L, B·D]
        } else {
            h
        };
        let rows = h.reshape([seq * batch, d]); // [L·B, D]
        rms_norm(self.mlp.forward_rows(rows.clone()) + rows, 1, self.norm_eps).reshape([seq, columns]) // [L, B·D]
    }
}

/// `down(silu(gate(x)) * up(x))`, gate and up fused in one matrix, no biases.
#[derive(Module, Debug)]
pub struct SwiGlu {
    /// `width → 2·inner`: the gate is the first half.
    pub gate_up: Linear,
    /// `inner → width`.
    pub down: Linear,
    inner: usize,
}

impl SwiGlu {
    fn init(width: usize, inner: usize, rng: &mut ChaCha8Rng, device: &Device) -> Self {
        Self {
            gate_up: linear(width, 2 * inner, false, rng, device),
            down: linear(inner, width, false, rng, device),
            inner,
        }
    }

    /// The map applied to each row. Rows of every batch element form one matrix, so that each
    /// projection and each of its gradients is one matrix product (given `[B, S, W]`, burn may
    /// run B products against a broadcast weight, and the weight's gradient as B products and
    /// a sum).
    ///
    /// # Shapes
    /// - x: `[N, W]`
    /// - output: `[N, W]`
    pub fn forward_rows(&self, x: Tensor<2>) -> Tensor<2> {
        let (gate, up) = self.gate_up_weights(); // [W, I] each
        // Each element-wise op follows the product it reads, so that a GPU backend with kernel
        // fusion runs it in that product's epilogue: three kernels for the whole SwiGLU.
        let gate = silu(x.clone().matmul(gate)); // [N, I]
        let gated = x.matmul(up) * gate; // [N, I]
        self.down.forward(gated) // [N, W]
    }

    /// The same map applied to each column: `down(silu(gate(x)) * up(x))` with every product
    /// taken from the left, so the token mixer reads its position-major input in place.
    ///
    /// # Shapes
    /// - x: `[W, N]`
    /// - output: `[W, N]`
    pub fn forward_columns(&self, x: Tensor<2>) -> Tensor<2> {
        let (gate, up) = self.gate_up_weights(); // [W, I] each
        let gate = silu(gate.transpose().matmul(x.clone())); // [I, N]
        let gated = up.transpose().matmul(x) * gate; // [I, N]
        self.down.weight.val().transpose().matmul(gated) // [W, N]
    }

    /// The gate and up halves of the fused weight. The weight is split, not the product: the
    /// gradient of a slice is a zero tensor of the whole with the slice written in, which costs
    /// little for a `[W, 2I]` weight and a lot for a `[N, 2I]` product.
    ///
    /// # Shapes
    /// - output: (`[W, I]`, `[W, I]`)
    fn gate_up_weights(&self) -> (Tensor<2>, Tensor<2>) {
        let weight = self.gate_up.weight.val(); // [W, 2I]
        (weight.clone().narrow(1, 0, self.inner), weight.narrow(1, self.inner, self.inner))
    }
}

/// Multi-head self-attention with a fused qkv projection and RoPE, no biases.
#[derive(Module, Debug)]
pub struct Attention {
    /// `D → 3D` (query, key, value).
    pub qkv: Linear,
    /// `D → D`.
    pub out: Linear,
    heads: usize,
}

impl Attention {
    fn init(d: usize, heads: usize, rng: &mut ChaCha8Rng, device: &Device) -> Self {
        Self { qkv: linear(d, 3 * d, false, rng, device), out: linear(d, d, false, rng, device), heads }
    }

    /// # Shapes
    /// - h: `[B, L, D]`
    /// - output: `[B, L, D]`
    pub fn forward(&self, h: Tensor<3>, rope: &Rope) -> Tensor<3> {
        let [b, l, d] = h.dims();
        let hd = d / self.heads;
        let qkv = self.qkv.forward(h).reshape([b, l, 3 * self.heads, hd]); // [B, L, 3H, hd]
        let q = qkv.clone().slice([0..b, 0..l, 0..self.heads, 0..hd]); // [B, L, H, hd]
        let k = qkv.clone().slice([0..b, 0..l, self.heads..2 * self.heads, 0..hd]); // [B, L, H, hd]
        let v = qkv.slice([0..b, 0..l, 2 * self.heads..3 * self.heads, 0..hd]); // [B, L, H, hd]
        let q = rope.apply(q).swap_dims(1, 2); // [B, H, L, hd]
        let k = rope.apply(k).swap_dims(1, 2); // [B, H, L, hd]
        let v = v.swap_dims(1, 2); // [B, H, L, hd]
        let scores = q.matmul(k.swap_dims(2, 3)).div_scalar((hd as f64).sqrt()); // [B, H, L, L]
        let weights = burn::tensor::activation::softmax(scores, 3); // [B, H, L, L]
        let context = weights.matmul(v).swap_dims(1, 2).reshape([b, l, d]); // [B, L, D]
        self.out.forward(context) // [B, L, D]
    }
}

/// Rotary position tables, `[L, hd]`, in the "rotate half" layout of the reference code.
#[derive(Module, Debug)]
pub struct Rope {
    cos: Tensor<2>,
    sin: Tensor<2>,
}

impl Rope {
    fn new(head_dim: usize, seq: usize, theta: f64, device: &Device) -> Self {
        let half = head_dim / 2;
        let mut cos = Vec::with_capacity(seq * head_dim);
        let mut sin = Vec::with_capacity(seq * head_dim);
        for pos in 0..seq {
            for i in 0..head_dim {
                let freq = 1.0 / theta.powf((2 * (i % half)) as f64 / head_dim as f64);
                let angle = pos as f64 * freq;
                cos.push(angle.cos() as f32);
                sin.push(angle.sin() as f32);
            }
        }
        Self {
            cos: Tensor::from_data(TensorData::new(cos, [seq, head_dim]), device),
            sin: Tensor::from_data(TensorData::new(sin, [seq, head_dim]), device),
        }
    }

    /// # Shapes
    /// - x: `[B, L, H, hd]`
    /// - output: `[B, L, H, hd]`
    fn apply(&self, x: Tensor<4>) -> Tensor<4> {
        let [b, l, h, hd] = x.dims();
        let half = hd / 2;
        let x1 = x.clone().slice([0..b, 0..l, 0..h, 0..half]);
        let x2 = x.clone().slice([0..b, 0..l, 0..h, half..hd]);
        let rotated = Tensor::cat(vec![x2.neg(), x1], 3); // [B, L, H, hd]
        let cos = self.cos.clone().reshape([1, l, 1, hd]);
        let sin = self.sin.clone().reshape([1, l, 1, hd]);
        x * cos + rotated * sin
    }
}

/// A batch of states, position-major.
///
/// # Shapes
/// - states: `[B, L, D]`
/// - output: `[L, B·D]`
pub fn to_position_major(states: Tensor<3>) -> Tensor<2> {
    let [batch, seq, d] = states.dims();
    states.swap_dims(0, 1).reshape([seq, batch * d])
}

/// Position-major states back to a batch.
///
/// # Shapes
/// - states: `[L, B·D]` (`batch` = B, `d` = D)
/// - output: `[B, L, D]`
pub fn from_position_major(states: Tensor<2>, batch: usize, d: usize) -> Tensor<3> {
    let [seq, _] = states.dims();
    states.reshape([seq, batch, d]).swap_dims(0, 1)
}

/// RMSNorm over axis `dim`, without gain.
///
/// # Shapes
/// - x: any
/// - output: same
pub fn rms_norm<const D: usize>(x: Tensor<D>, dim: usize, eps: f64) -> Tensor<D> {
    let variance = x.clone().square().mean_dim(dim); // size 1 along `dim`
    x * variance.add_scalar(eps).sqrt().recip()
}

/// A bias-free (or zero-bias) linear layer with truncated LeCun-normal weights, stored
/// `[in, out]` as burn expects.
fn linear(input: usize, output: usize, bias: bool, rng: &mut ChaCha8Rng, device: &Device) -> Linear {
    let std = 1.0 / (input as f64).sqrt();
    Linear {
        weight: param(trunc_normal(&[input, output], std, rng), [input, output], device),
        bias: bias.then(|| param(vec![0.0; output], [output], device)),
    }
}

fn param<const D: usize>(values: Vec<f32>, shape: [usize; D], device: &Device) -> Param<Tensor<D>> {
    Param::from_tensor(Tensor::from_data(TensorData::new(values, shape), device))
}

/// Truncated normal in [−2σ, 2σ] with the requested standard deviation after truncation
/// (JAX's convention, as the reference code uses), by rejection sampling.
pub fn trunc_normal(shape: &[usize], std: f64, rng: &mut ChaCha8Rng) -> Vec<f32> {
    // Standard deviation of a standard normal truncated to [-2, 2].
    const TRUNCATED_STD: f64 = 0.879_625_661_034_239_8;
    let scale = std / TRUNCATED_STD;
    let n: usize = shape.iter().product();
    let mut out = Vec::with_capacity(n);
    while out.len() < n {
        // Box-Muller.
        let u1: f64 = rng.random::<f64>().max(f64::MIN_POSITIVE);
        let u2: f64 = rng.random::<f64>();
        let r = (-2.0 * u1.ln()).sqrt();
        for v in [r * (std::f64::consts::TAU * u2).cos(), r * (std::f64::consts::TAU * u2).sin()] {
            if v.abs() <= 2.0 && out.len() < n {
                out.push((v * scale) as f32);
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paper_parameter_counts() {
        let device = Device::flex();
        assert_eq!(TrmConfig::paper_mlp().init(&device).paper_param_count(), 5_028_866);
        assert_eq!(TrmConfig::paper_att().init(&device).paper_param_count(), 6_828_034);
    }

    #[test]
    fn browser_preset_fits_the_budget() {
        let model = TrmConfig::browser().init(&Device::flex());
        let params = model.num_params();
        assert!(params <= 2_000_000, "{params}");
        assert_eq!(TrmConfig::browser().calls_per_step(), 10);
    }

    #[test]
    fn inner_widths_follow_the_reference_rounding() {
        let c = TrmConfig::paper_mlp();
        assert_eq!(c.swiglu_inner(512), 1536);
        assert_eq!(c.swiglu_inner(97), 512);
    }

    #[test]
    fn truncated_normal_has_the_requested_spread() {
        let mut rng = ChaCha8Rng::seed_from_u64(1);
        let v = trunc_normal(&[20_000], 0.5, &mut rng);
        let mean = v.iter().map(|&x| x as f64).sum::<f64>() / v.len() as f64;
        let std = (v.iter().map(|&x| (x as f64 - mean).powi(2)).sum::<f64>() / v.len() as f64).sqrt();
        assert!(mean.abs() < 0.02, "{mean}");
        assert!((std - 0.5).abs() < 0.02, "{std}");
        let bound = 2.0 * 0.5 / 0.879_625_661_034_239_8;
        assert!(v.iter().all(|&x| (x as f64).abs() <= bound + 1e-6));
    }

    #[test]
    fn forward_shapes_and_halting_init() {
        let device = Device::flex();
        for config in [TrmConfig::tiny(), TrmConfig::tiny().with_mixer(TokenMixer::Attention).with_heads(2)] {
            config.validate().unwrap();
            let model = config.init(&device);
            let tokens = Tensor::<2, Int>::ones([3, 81], &device);
            let x = model.embed(tokens);
            assert_eq!(x.dims(), [3, config.seq_len(), 32]);
            let (y, z) = model.initial_state(3);
            let z = model.net(z, y.clone() + x);
            assert_eq!(z.dims(), [3, config.seq_len(), 32]);
            assert_eq!(model.answer_logits(y.clone()).dims(), [3, 81, 11]);
            let q: Vec<f32> = model.halt_logit(y).into_data().try_to_vec().unwrap();
            assert_eq!(q, vec![-5.0; 3]);
        }
    }

    #[test]
    fn a_maze_model_reads_side_squared_tiles_with_the_maze_tokens() {
        let device = Device::flex();
        let config = TrmConfig::tiny().with_mixer(TokenMixer::Attention).with_heads(2).for_task(Task::Maze { side: 7 });
        config.validate().unwrap();
        assert_eq!(config.seq_len(), 1 + 49);
        let model = config.init(&device);
        assert_eq!(model.cells(), 49);
        assert_eq!(model.token_embedding.val().dims(), [6, 32]);
        let x = model.embed(Tensor::<2, Int>::ones([2, 49], &device));
        let (y, z) = model.initial_state(2);
        let z = model.net(z, y.clone() + x);
        assert_eq!(z.dims(), [2, 50, 32]);
        assert_eq!(model.answer_logits(y).dims(), [2, 49, 6]);
        TrmConfig::maze(30).validate().unwrap();
        let err = TrmConfig::tiny().for_task(Task::Maze { side: 100 }).validate().unwrap_err();
        assert!(err.to_string().contains("maze side 100"), "{err}");
    }

    #[test]
    fn configs_written_before_tasks_read_as_sudoku_and_sudoku_writes_no_task() {
        let old = r#"{"hidden":32,"layers":2,"mixer":"Mlp","expansion":4.0,"inner_multiple":32,"prefix_len":1,
            "heads":8,"latent_updates":2,"cycles":2,"supervision_steps":4,"norm_eps":1e-5,"rope_theta":10000.0,"seed":0}"#;
        let config: TrmConfig = serde_json::from_str(old).unwrap();
        assert_eq!(config.task(), Task::Sudoku);
        assert_eq!(config.seq_len(), 82);
        let written = serde_json::to_value(TrmConfig::tiny().for_task(Task::Sudoku)).unwrap();
        assert!(written["task"].is_null());
        let maze = serde_json::to_string(&TrmConfig::maze(15)).unwrap();
        let back: TrmConfig = serde_json::from_str(&maze).unwrap();
        assert_eq!(back.task(), Task::Maze { side: 15 });
    }

    #[test]
    fn invalid_configs_are_reported() {
        assert!(TrmConfig::tiny().with_layers(0).validate().is_err());
        let err = TrmConfig::tiny().with_mixer(TokenMixer::Attention).with_heads(3).validate().unwrap_err();
        assert!(err.to_string().contains("heads"));
        // Too large to allocate: refused by the bounds, before anything is built.
        let err = TrmConfig { hidden: 1 << 20, ..TrmConfig::tiny() }.validate().unwrap_err();
        assert!(err.to_string().contains("hidden = 1048576 is over the limit of 4096"), "{err}");
        let err = TrmConfig { hidden: 4096, ..TrmConfig::paper_mlp() }.with_layers(16).validate().unwrap_err();
        assert!(err.to_string().contains("parameters is over the limit"), "{err}");
        assert!(TrmConfig::tiny().with_expansion(f64::NAN).validate().is_err());
        for preset in TrmConfig::PRESETS {
            TrmConfig::preset(preset).unwrap().validate().unwrap();
        }
    }
}

#[cfg(test)]
mod path_tests {
    use super::*;

    #[test]
    fn parameter_paths_are_stable() {
        let model = TrmConfig::tiny().init(&Device::flex());
        let paths: Vec<String> = model.param_paths().into_iter().map(|(p, _)| p).collect();
        assert_eq!(paths[0], "token_embedding");
        assert!(paths.contains(&"blocks.1.mixer.mlp.gate_up.weight".to_string()), "{paths:?}");
        assert!(paths.contains(&"halt_head.bias".to_string()), "{paths:?}");
        let filled = model.with_param_values(|_, dims| vec![0.5; dims.iter().product()]);
        let v: Vec<f32> = filled.output_head.weight.val().into_data().convert::<f32>().try_to_vec().unwrap();
        assert!(v.iter().all(|&x| x == 0.5));
    }
}

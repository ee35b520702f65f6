//! What the web page and its model worker say to each other. The page sends [`Request`]s and
//! hears [`Event`]s back. Each message crosses `postMessage` as one byte array in postcard's
//! compact binary form ([`encode`] / [`decode`]), its buffer transferred, not copied: a step of
//! 16 attempts carries about 170,000 numbers, which as JavaScript values cost the page seconds.
//! Nothing here touches tensors, so the page's bundle speaks the protocol without containing
//! a model runtime.

use crate::trace::{AttemptTrace, Outcome, RecursionTrace, SolveTrace, StepTrace};
use serde::{Deserialize, Serialize};
use trm_puzzle::maze::MazeTier;
use trm_puzzle::sudoku::generator::Tier;

/// Which compute backend runs the model.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Backend {
    /// burn-wgpu on the browser's WebGPU.
    WebGpu,
    /// burn's CPU backend (flex) in wasm.
    Cpu,
}

impl Backend {
    /// Short name, also used as a data attribute by the tests.
    pub fn name(self) -> &'static str {
        match self {
            Backend::WebGpu => "webgpu",
            Backend::Cpu => "cpu",
        }
    }

    /// Human label.
    pub fn label(self) -> &'static str {
        match self {
            Backend::WebGpu => "WebGPU",
            Backend::Cpu => "CPU (WebAssembly)",
        }
    }

    /// Short human label, for figures side by side.
    pub fn short_label(self) -> &'static str {
        match self {
            Backend::WebGpu => "WebGPU",
            Backend::Cpu => "CPU",
        }
    }
}

/// Which backend the visitor asked for: `?backend=` on the page, `data-backend` on the embed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub enum BackendChoice {
    /// Measure every backend there is and run on the faster.
    #[default]
    Auto,
    /// This backend only (the CPU still steps in if WebGPU is missing or fails).
    Only(Backend),
}

impl BackendChoice {
    /// From a URL value: `auto`, `cpu` or `webgpu`.
    pub fn parse(text: &str) -> Option<Self> {
        match text.trim().to_ascii_lowercase().as_str() {
            "auto" => Some(Self::Auto),
            "cpu" => Some(Self::Only(Backend::Cpu)),
            "webgpu" | "gpu" => Some(Self::Only(Backend::WebGpu)),
            _ => None,
        }
    }
}

/// The batches [`NetCallTiming`] measures.
pub const TIMED_BATCHES: [usize; 2] = [1, 8];

/// How long one net call takes on a backend after its warm-up: at each of [`TIMED_BATCHES`],
/// the median over several timed rounds of chained calls (one readback per round).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct NetCallTiming {
    /// Which backend.
    pub backend: Backend,
    /// ms per net call at batch 1.
    pub batch1_ms: f64,
    /// ms per net call at batch 8.
    pub batch8_ms: f64,
}

impl NetCallTiming {
    /// Estimated ms of one net call at batch `k`: a line through the two measurements. A batch
    /// costs a fixed part (what a GPU mostly spends, launching kernels) plus a part per row
    /// (what the CPU spends); beyond batch 8 the line goes on.
    pub fn at(&self, k: usize) -> f64 {
        let per_row = ((self.batch8_ms - self.batch1_ms) / 7.0).max(0.0);
        self.batch1_ms + per_row * (k.max(1) - 1) as f64
    }
}

/// Where the engine is.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum EngineStatus {
    /// Starting: the page's first status, while the worker looks for WebGPU.
    Probing,
    /// Downloading weights: bytes so far and total if known.
    Downloading { loaded: u64, total: Option<u64> },
    /// Running the warm-up pass (shader compilation on WebGPU).
    WarmingUp,
    /// Idle, ready to solve.
    Ready,
    /// A solve is running.
    Solving,
    /// Fine-tuning is running.
    Training,
    /// Loading failed; the message says why.
    Failed(String),
}

/// Weights with the config they belong to.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WeightsFile {
    /// The model config, as JSON.
    pub config_json: String,
    /// The `.bpk` bytes.
    pub bytes: Vec<u8>,
}

/// The generated puzzles a fine-tuning run trains on: of the page's task, in one tier.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum TrainingPuzzles {
    /// Sudoku of this tier.
    Sudoku(Tier),
    /// Mazes of the model's side, in this tier.
    Maze(MazeTier),
}

/// What a fine-tuning run trains on, and how.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct RunSettings {
    /// The generated puzzles (from scratch: the easiest, whatever this says).
    pub puzzles: TrainingPuzzles,
    /// Start from freshly initialised weights (with an easy curriculum).
    pub from_scratch: bool,
    /// Optimizer steps.
    pub steps: usize,
    /// Carried batch size.
    pub batch_size: usize,
    /// Peak learning rate.
    pub learning_rate: f64,
}

impl RunSettings {
    /// The "train from scratch" demo: easy puzzles, few blanks first.
    pub fn scratch_demo() -> Self {
        Self {
            puzzles: TrainingPuzzles::Sudoku(Tier::Easy),
            from_scratch: true,
            steps: 400,
            batch_size: 32,
            learning_rate: 1e-3,
        }
    }
}

/// Fine-tuning requests.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum FineTuneRequest {
    /// Start a new run (dropping a paused one).
    Start(RunSettings),
    /// Continue a paused run.
    Resume,
    /// Pause: keep the run to resume later.
    Pause,
    /// Go back to the shipped weights (the page forgets the saved ones).
    Reset,
    /// Send the current weights back to be downloaded.
    Download,
}

/// What the page asks of the worker.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum Request {
    /// Load the shipped weights, or the fine-tuned ones saved in this browser if they load.
    Load {
        /// The shipped model.
        shipped: WeightsFile,
        /// Fine-tuned weights saved in IndexedDB, if any.
        saved: Option<WeightsFile>,
        /// Which backend to run on.
        backend: BackendChoice,
        /// K fixed by the link (`?k=`), which the backends are compared at; otherwise each
        /// backend is compared at the K it would run by default.
        attempts: Option<usize>,
    },
    /// Solve a puzzle with K attempts, recording every attempt's trace.
    Solve {
        /// The puzzle, 81 characters.
        puzzle: String,
        /// Most supervision steps.
        max_steps: usize,
        /// Stop at the halting head's signal.
        early_exit: bool,
        /// K: attempts side by side (the first stage's, when adaptive).
        attempts: usize,
        /// Think until it is right, for at most this many ms (the model crate's
        /// `InferenceConfig::adaptive`); `None`: the fixed K and step budget.
        adaptive_budget_ms: Option<f64>,
    },
    /// Stop the running solve or training run.
    Stop,
    /// Fine-tuning.
    FineTune(FineTuneRequest),
    /// Load a maze model (fetched only when the visitor picks the maze): answered by
    /// [`Event::MazeReady`], or a notice of why not.
    LoadMaze {
        /// The maze model.
        model: WeightsFile,
        /// Fine-tuned maze weights saved in this browser, used instead if they load and fit the
        /// model (else [`Event::SavedWeightsRejected`]).
        saved: Option<WeightsFile>,
        /// Which backend to run on.
        backend: BackendChoice,
    },
    /// Solve a maze with `attempts` attempts (the square's first symmetries), recording them:
    /// answered by [`Event::MazeSolved`].
    SolveMaze {
        /// The maze, one line of side² tiles.
        maze: String,
        /// K, 1 to 8.
        attempts: usize,
        /// Most supervision steps.
        max_steps: usize,
    },
    /// Time bare net calls: answered by [`Event::BenchResult`] with the same `id`.
    Bench {
        /// Matches the answer to the question.
        id: u32,
        /// Batch size.
        batch: usize,
        /// Net calls to time.
        calls: usize,
    },
}

/// One attempt's new supervision step.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AttemptProgress {
    /// Which attempt.
    pub attempt: usize,
    /// Its new step.
    pub step: StepTrace,
    /// Where its halting head said stop, if it has.
    pub halted_at: Option<usize>,
}

/// Why a solve ended before its step budget.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum StopReason {
    /// An attempt satisfied every rule.
    Verified,
    /// The halting head said stop.
    Halted,
    /// An adaptive solve's time budget ran out.
    OutOfTime,
}

impl StopReason {
    /// Short label for the readouts.
    pub fn label(self) -> &'static str {
        match self {
            StopReason::Verified => "verified",
            StopReason::Halted => "halted",
            StopReason::OutOfTime => "out of time",
        }
    }
}

/// The figures of one fine-tuning step.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct TrainProgress {
    /// The step's metrics.
    pub metrics: StepMetrics,
    /// Recent optimizer steps per second, when a new window closed.
    pub steps_per_s: Option<f64>,
    /// The worker's WebAssembly memory, MB, when a new window closed.
    pub memory_mb: Option<f64>,
}

/// What the worker tells the page.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum Event {
    /// The worker listens: requests sent before this were kept by the page.
    Listening,
    /// The backend chosen; `note` says why it is the CPU, if it is.
    Backend { backend: Backend, note: Option<String> },
    /// The engine's status changed.
    Status(EngineStatus),
    /// A backend was measured (after its warm-up, which took `warmup_ms` where it compiles
    /// kernels): its net-call times set the default K and decide the backend.
    Measured { timing: NetCallTiming, warmup_ms: Option<f64> },
    /// Every kernel that a solve at these K uses is compiled on the active GPU backend: no solve
    /// at them compiles anything (sent once the warm-up, which goes on while the page is idle,
    /// has run one supervision step at each).
    KernelsReady { attempts: Vec<usize>, warmup_ms: f64 },
    /// Which weights are in use: the fine-tuned ones saved in this browser, or the shipped ones.
    UsingFineTuned(bool),
    /// The saved fine-tuned weights did not load: the page should forget them.
    SavedWeightsRejected,
    /// A message for the user.
    Notice { error: bool, text: String },
    /// A solve began: the empty recording, and the exact solver's time on the puzzle.
    SolveStarted { trace: SolveTrace, classical_us: Option<f64> },
    /// New steps of a running solve.
    /// `joined`: attempts that joined at this step (an adaptive solve's replacements and
    /// escalations), with empty recordings, to append in order before `steps` refer to them.
    SolveProgress {
        steps: Vec<AttemptProgress>,
        joined: Vec<AttemptTrace>,
        outcome: Option<Outcome>,
        ms_per_call: f64,
        steps_used: usize,
    },
    /// The solve ended on its own.
    SolveFinished { total_ms: f64, stopped_by: Option<StopReason> },
    /// A fine-tuning run began (or resumed) towards `target_steps`; `fresh` clears the chart.
    TrainStarted { target_steps: usize, fresh: bool },
    /// One fine-tuning step.
    TrainStep(TrainProgress),
    /// The run stopped; `paused` if it can resume. `memory_mb` as in [`TrainProgress`].
    TrainEnded { paused: bool, memory_mb: f64 },
    /// Fine-tuning was reset: the chart clears.
    TrainReset,
    /// Fine-tuned weights to keep in this browser.
    SaveWeights(WeightsFile),
    /// Weights the user asked to download.
    DownloadWeights(WeightsFile),
    /// The maze model is loaded: it reads mazes of this side.
    MazeReady { side: usize, parameters: usize },
    /// A maze solve, recorded.
    MazeSolved(MazeReport),
    /// A maze could not be loaded or solved (the page stays usable).
    MazeFailed(String),
    /// Answer to [`Request::Bench`]: ms per net call, or why it failed.
    BenchResult { id: u32, result: Result<f64, String> },
    /// The worker panicked and stopped.
    Crashed(String),
}

/// A recorded maze solve: every attempt, in the question's orientation, and the one shown.
/// `trm solve --trace` writes the same for a maze model.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MazeReport {
    /// The maze asked, one line of side² tiles.
    pub question: String,
    /// Every attempt, in symmetry order.
    pub attempts: Vec<MazeAttemptReport>,
    /// The attempt shown (0-based): the shortest path that passes the rule check, else the
    /// halting head's most confident.
    pub chosen: usize,
    /// Wall time of the solve, ms.
    pub total_ms: f64,
}

/// One attempt of a [`MazeReport`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MazeAttemptReport {
    /// How the maze was turned for this attempt, e.g. "transposed, rows flipped".
    pub symmetry: String,
    /// Its answer: the question with its path marks, one line.
    pub answer: String,
    /// The path's length in moves when the answer passes the rule check.
    pub moves: Option<usize>,
    /// The halting logit at its last step.
    pub halt_logit: f32,
    /// Its recording: `digits` are tile tokens (1 wall, 2 open, 3 S, 4 G, 5 path).
    pub trace: RecursionTrace,
}

impl MazeReport {
    /// The attempt shown.
    pub fn shown(&self) -> Option<&MazeAttemptReport> {
        self.attempts.get(self.chosen)
    }
}

/// A message as bytes.
pub fn encode<T: Serialize>(message: &T) -> Result<Vec<u8>, String> {
    postcard::to_allocvec(message).map_err(|e| format!("could not encode a message: {e}"))
}

/// A message back from its bytes.
pub fn decode<T: for<'de> Deserialize<'de>>(bytes: &[u8]) -> Result<T, String> {
    postcard::from_bytes(bytes).map_err(|e| format!("could not decode a message: {e}"))
}

/// Figures from one optimizer step.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct StepMetrics {
    /// 1-based optimizer step.
    pub step: usize,
    /// Total loss.
    pub loss: f32,
    /// Cross-entropy part.
    pub answer_loss: f32,
    /// Halting part.
    pub halt_loss: f32,
    /// Fraction of cells right (all 81, givens included, as the paper's loss sees them).
    pub cell_accuracy: f32,
    /// Fraction of slots whose whole answer is right.
    pub exact_accuracy: f32,
    /// Fraction of slots that halted this step.
    pub halted: f32,
    /// Mean supervision steps of the puzzles that halted this step.
    pub mean_halt_steps: f32,
    /// Learning rate used.
    pub learning_rate: f64,
    /// Curriculum stage.
    pub stage: usize,
}

#[cfg(test)]
mod tests {
    use super::*;

    const PUZZLE: &str = "..3.2.6..9..3.5..1..18.64....81.29..7.......8..67.82....26.95..8..2.3..9..5.1.3..";

    fn round_trip<T: Serialize + for<'de> Deserialize<'de> + PartialEq + std::fmt::Debug>(message: T) {
        let bytes = encode(&message).unwrap();
        assert_eq!(decode::<T>(&bytes).unwrap(), message);
    }

    #[test]
    fn every_request_round_trips() {
        let weights = WeightsFile { config_json: "{\"hidden\":64}".into(), bytes: (0..=255).collect() };
        let requests = vec![
            Request::Load { shipped: weights.clone(), saved: None, backend: BackendChoice::Auto, attempts: None },
            Request::Load {
                shipped: weights.clone(),
                saved: Some(weights),
                backend: BackendChoice::Only(Backend::WebGpu),
                attempts: Some(16),
            },
            Request::Solve {
                puzzle: PUZZLE.into(),
                max_steps: 16,
                early_exit: true,
                attempts: 8,
                adaptive_budget_ms: None,
            },
            Request::Solve {
                puzzle: PUZZLE.into(),
                max_steps: 16,
                early_exit: true,
                attempts: 1,
                adaptive_budget_ms: Some(10_000.0),
            },
            Request::Stop,
            Request::FineTune(FineTuneRequest::Start(RunSettings::scratch_demo())),
            Request::FineTune(FineTuneRequest::Resume),
            Request::FineTune(FineTuneRequest::Pause),
            Request::FineTune(FineTuneRequest::Reset),
            Request::FineTune(FineTuneRequest::Download),
            Request::Bench { id: 7, batch: 16, calls: 5 },
        ];
        for request in requests {
            round_trip(request);
        }
    }

    #[test]
    fn backend_choices_parse_from_links() {
        assert_eq!(BackendChoice::parse("cpu"), Some(BackendChoice::Only(Backend::Cpu)));
        assert_eq!(BackendChoice::parse(" WebGPU "), Some(BackendChoice::Only(Backend::WebGpu)));
        assert_eq!(BackendChoice::parse("auto"), Some(BackendChoice::Auto));
        assert_eq!(BackendChoice::parse("cuda"), None);
        assert_eq!(BackendChoice::default(), BackendChoice::Auto);
    }

    #[test]
    fn a_net_call_estimate_is_a_line_through_the_two_measurements() {
        let cpu = NetCallTiming { backend: Backend::Cpu, batch1_ms: 4.0, batch8_ms: 32.0 };
        assert_eq!((cpu.at(1), cpu.at(8), cpu.at(0)), (4.0, 32.0, 4.0));
        assert_eq!(cpu.at(4), 16.0);
        assert_eq!(cpu.at(64), 256.0);
        // A noisy measurement where batch 8 came out faster: no cheaper than batch 1.
        let gpu = NetCallTiming { backend: Backend::WebGpu, batch1_ms: 2.0, batch8_ms: 1.9 };
        assert_eq!(gpu.at(64), 2.0);
    }

    #[test]
    fn bad_bytes_are_an_error_not_a_panic() {
        assert!(decode::<Request>(&[]).is_err());
        assert!(decode::<Request>(&[200, 1, 2]).is_err());
        let mut bytes = encode(&Request::Solve {
            puzzle: PUZZLE.into(),
            max_steps: 1,
            early_exit: true,
            attempts: 1,
            adaptive_budget_ms: None,
        })
        .unwrap();
        bytes.truncate(bytes.len() / 2);
        assert!(decode::<Request>(&bytes).unwrap_err().contains("could not decode"));
    }
}

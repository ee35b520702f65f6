//! The page's reactive state. Plain data only: the model and its tensors live in the worker
//! (`worker/`); the page sees recorded traces and status, through [`crate::bridge`].

use leptos::prelude::*;
use trm_puzzle::sudoku::grid::Grid;
use trm_puzzle::sudoku::solver::{SolveError, solve_unique};
use trm_trace::playback::Playback;
use trm_trace::trace::{RecursionTrace, SolveTrace};

pub use trm_trace::protocol::{Backend, BackendChoice, EngineStatus, NetCallTiming, StopReason};

/// Timing and other figures shown beside the grid.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Readouts {
    /// GPU warm-up time (kernel compilation), ms: before the first measurement, then with
    /// every offered K.
    pub warmup_ms: Option<f64>,
    /// Mean time per net call in the last solve, ms.
    pub ms_per_call: Option<f64>,
    /// Total time of the last solve, ms.
    pub total_ms: Option<f64>,
    /// Supervision steps the last solve used.
    pub steps_used: Option<usize>,
    /// Why the last solve stopped before its step budget; `None` when it used the budget.
    pub stopped_by: Option<StopReason>,
    /// The exact solver's time on the same puzzle, µs.
    pub classical_us: Option<f64>,
    /// Every backend measured after its warm-up (sets the default K and the backend).
    pub timings: Vec<NetCallTiming>,
    /// The K whose kernels are all compiled on the GPU, once its warm-up has ended (`None`
    /// before, and on the CPU).
    pub warm_attempts: Option<Vec<usize>>,
    /// Size of the downloaded weights, bytes.
    pub weight_bytes: Option<u64>,
    /// Whether the weights came from Cache Storage.
    pub weights_cached: bool,
}

/// A message for the user.
#[derive(Debug, Clone, PartialEq)]
pub struct Notice {
    /// Error (red) or information.
    pub error: bool,
    /// The text.
    pub text: String,
}

/// How the page is embedded (from the URL): `embed=1`, `controls=min|full`, `autoplay=1`,
/// `theme=dark|light|auto`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EmbedOptions {
    /// Compact layout for iframes.
    pub embed: bool,
    /// Only play/pause and the scrubber.
    pub minimal_controls: bool,
    /// Solve as soon as the model is ready.
    pub autoplay: bool,
    /// The host gives the frame a fixed size (`height=fixed`): the layout fits the box instead
    /// of reporting its height.
    pub fixed_height: bool,
}

/// All reactive state, provided as context.
#[derive(Clone, Copy)]
pub struct AppState {
    /// The puzzle being edited or solved.
    pub puzzle: RwSignal<Grid>,
    /// The selected cell, for keyboard entry.
    pub selected: RwSignal<Option<usize>>,
    /// Every attempt of the current (or last) solve.
    pub solve: RwSignal<Option<SolveTrace>>,
    /// The attempt the big grid, playback and charts follow; `None` follows the winner (attempt
    /// 0 while the solve runs).
    pub followed: RwSignal<Option<usize>>,
    /// The followed attempt's trace (derived from `solve` and `followed`).
    pub trace: Memo<Option<RecursionTrace>>,
    /// K: attempts per solve.
    pub attempts: RwSignal<usize>,
    /// Whether K came from the URL or the user (then the backend's default does not apply).
    pub attempts_chosen: RwSignal<bool>,
    /// The puzzle the trace belongs to.
    pub traced_puzzle: RwSignal<Option<Grid>>,
    /// Replay cursor and controls.
    pub playback: RwSignal<Playback>,
    /// Overlay cells that disagree with the true solution.
    pub show_wrong: RwSignal<bool>,
    /// Stop when the halting head says so.
    pub early_exit: RwSignal<bool>,
    /// Most supervision steps (the first stage's, when adaptive).
    pub max_steps: RwSignal<usize>,
    /// Think until it is right: the adaptive solve's time budget in seconds (`?budget=`), or
    /// `None` for the fixed K and step budget.
    pub adaptive_budget: RwSignal<Option<f64>>,
    /// How the shown solve ran: K at its start, and its time budget when adaptive.
    pub solve_plan: RwSignal<(usize, Option<f64>)>,
    /// Engine status.
    pub status: RwSignal<EngineStatus>,
    /// Backend in use, once known.
    pub backend: RwSignal<Option<Backend>>,
    /// Why this backend is used.
    pub backend_note: RwSignal<Option<String>>,
    /// The backend the link asked for (`?backend=`).
    pub backend_choice: BackendChoice,
    /// Figures.
    pub readouts: RwSignal<Readouts>,
    /// Message line.
    pub notice: RwSignal<Option<Notice>>,
    /// Embedding options.
    pub embed: EmbedOptions,
    /// The exact solver's verdict on the puzzle.
    pub solution: Memo<Result<Grid, SolveError>>,
    /// Compute spent against time in the last solve: `(ms since it started, net calls run)`,
    /// one sample when it starts and one per supervision step.
    pub compute: RwSignal<Vec<(f64, usize)>>,
    /// The maze page's state (`?task=maze`).
    pub maze: crate::maze_view::MazeState,
}

impl AppState {
    /// Fresh state for `puzzle`; `attempts` is K from the URL, if any, `backend_choice` the
    /// backend it asks for, and `adaptive_budget` the adaptive solve's seconds (`None`: fixed K).
    pub fn new(
        puzzle: Grid,
        embed: EmbedOptions,
        attempts: Option<usize>,
        backend_choice: BackendChoice,
        adaptive_budget: Option<f64>,
        maze: crate::maze_view::MazeState,
    ) -> Self {
        let puzzle = RwSignal::new(puzzle);
        let solve: RwSignal<Option<SolveTrace>> = RwSignal::new(None);
        let followed = RwSignal::new(None);
        Self {
            puzzle,
            selected: RwSignal::new(None),
            solve,
            followed,
            trace: Memo::new(move |_| {
                solve.with(|s| {
                    let s = s.as_ref()?;
                    let index = followed.get().or(s.outcome.map(|o| o.selected)).unwrap_or(0);
                    s.attempts.get(index).map(|a| a.trace.clone())
                })
            }),
            attempts: RwSignal::new(attempts.map(trm_trace::attempts::clamp_attempts).unwrap_or(1)),
            attempts_chosen: RwSignal::new(attempts.is_some()),
            traced_puzzle: RwSignal::new(None),
            playback: RwSignal::new(Playback::new(24.0)),
            show_wrong: RwSignal::new(false),
            early_exit: RwSignal::new(true),
            max_steps: RwSignal::new(16),
            adaptive_budget: RwSignal::new(adaptive_budget),
            solve_plan: RwSignal::new((1, None)),
            status: RwSignal::new(EngineStatus::Probing),
            backend: RwSignal::new(None),
            backend_note: RwSignal::new(None),
            backend_choice,
            readouts: RwSignal::new(Readouts::default()),
            notice: RwSignal::new(None),
            embed,
            solution: Memo::new(move |_| solve_unique(&puzzle.get()).map(|(s, _)| s)),
            compute: RwSignal::new(Vec::new()),
            maze,
        }
    }

    /// Replaces the puzzle (from typing, pasting, presets) and drops the old trace.
    pub fn set_puzzle(&self, grid: Grid) {
        self.puzzle.set(grid);
        self.clear_trace();
    }

    /// Forgets the trace and resets playback.
    pub fn clear_trace(&self) {
        self.solve.set(None);
        self.compute.set(Vec::new());
        self.followed.set(None);
        self.traced_puzzle.set(None);
        self.playback.update(|p| {
            p.pause();
            p.set_total(0);
        });
    }

    /// Shows a message.
    pub fn say(&self, error: bool, text: impl Into<String>) {
        self.notice.set(Some(Notice { error, text: text.into() }));
    }
}

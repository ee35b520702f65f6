//! Replay of a recorded recursion: where the cursor is, what the grid shows there, what
//! changed, and the series the charts draw. Pure logic (no tensors, no DOM), so the web page
//! only renders what this says, and the tests run natively.

use crate::trace::{CallKind, CallTrace, RecursionTrace, SKETCH_DIMS};
use trm_puzzle::sudoku::grid::{CELLS, Grid};

/// Where a cursor position falls in the trace.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Position {
    /// 0-based supervision step.
    pub step: usize,
    /// 0-based net call within the step.
    pub call: usize,
}

/// Maps a flat position (0-based over every recorded net call) to its step and call.
pub fn locate(trace: &RecursionTrace, position: usize) -> Option<Position> {
    let mut remaining = position;
    for (step, s) in trace.steps.iter().enumerate() {
        if remaining < s.calls.len() {
            return Some(Position { step, call: remaining });
        }
        remaining -= s.calls.len();
    }
    None
}

/// The call at a flat position.
pub fn call_at(trace: &RecursionTrace, position: usize) -> Option<&CallTrace> {
    let p = locate(trace, position)?;
    trace.steps.get(p.step)?.calls.get(p.call)
}

/// "supervision step 3/16 · cycle 2/3 · latent update 4/6", or "… · answer update".
pub fn label(trace: &RecursionTrace, position: usize, max_steps: usize) -> String {
    let Some(p) = locate(trace, position) else {
        return "not started".to_string();
    };
    let Some(call) = call_at(trace, position) else {
        return "not started".to_string();
    };
    let what = match call.kind {
        CallKind::Latent(i) => format!("latent update {}/{}", i + 1, trace.latent_updates),
        CallKind::Answer => "answer update".to_string(),
    };
    format!(
        "supervision step {}/{} · cycle {}/{} · {what}",
        p.step + 1,
        max_steps.max(trace.steps.len()),
        call.cycle + 1,
        trace.cycles
    )
}

/// The grid shown at a position (givens kept); the bare puzzle before the first answer.
pub fn grid_at(trace: &RecursionTrace, puzzle: &Grid, position: usize) -> Grid {
    call_at(trace, position).map(|c| c.answer(puzzle)).unwrap_or(*puzzle)
}

/// Cells whose shown digit differs from the previous position's.
pub fn changed_cells(trace: &RecursionTrace, puzzle: &Grid, position: usize) -> [bool; CELLS] {
    let now = grid_at(trace, puzzle, position);
    let before = if position == 0 { *puzzle } else { grid_at(trace, puzzle, position - 1) };
    let mut out = [false; CELLS];
    for (cell, flag) in out.iter_mut().enumerate() {
        *flag = now.get(cell) != before.get(cell);
    }
    out
}

/// One point per recorded net call: (‖z‖, ‖y‖).
pub fn norm_series(trace: &RecursionTrace) -> Vec<(f32, f32)> {
    trace.steps.iter().flat_map(|s| s.calls.iter().map(|c| (c.z_norm, c.y_norm))).collect()
}

/// One point per recorded net call: (mean ‖Δz‖, mean ‖Δy‖) over the cells, how far z (and, at
/// answer updates, y) moved in that call. Unlike ‖z‖, which an RMSNorm pins near √D, this is
/// large while the model still changes its mind and near zero once it has settled.
pub fn delta_series(trace: &RecursionTrace) -> Vec<(f32, f32)> {
    trace.steps.iter().flat_map(|s| s.calls.iter().map(|c| (c.dz_mean, c.dy_mean))).collect()
}

/// [`delta_series`] as two lines for a chart: ‖Δz‖ at latent updates and ‖Δy‖ at answer
/// updates (NaN elsewhere: a latent update moves only z and an answer update only y), so that
/// together they have one point per call.
pub fn state_moves(trace: &RecursionTrace) -> (Vec<f32>, Vec<f32>) {
    trace
        .steps
        .iter()
        .flat_map(|s| s.calls.iter())
        .map(|c| if c.kind == CallKind::Answer { (f32::NAN, c.dy_mean) } else { (c.dz_mean, f32::NAN) })
        .unzip()
}

/// Per cell, how far z moved at the latest latent update at or before the cursor (an answer
/// update leaves z alone, so it shows the update before it); zeros before anything is recorded.
pub fn latent_map(trace: &RecursionTrace, position: usize) -> [f32; CELLS] {
    let mut out = [0.0; CELLS];
    let latest = trace
        .steps
        .iter()
        .flat_map(|s| s.calls.iter())
        .take(position + 1)
        .filter(|c| c.kind != CallKind::Answer)
        .last();
    if let Some(call) = latest {
        for (o, v) in out.iter_mut().zip(&call.dz) {
            *o = *v;
        }
    }
    out
}

/// The latest answer update at or before the cursor: its per-cell digit probabilities.
pub fn answer_update_at(trace: &RecursionTrace, position: usize) -> Option<&CallTrace> {
    let calls: Vec<&CallTrace> = trace.steps.iter().flat_map(|s| s.calls.iter()).take(position + 1).collect();
    calls.into_iter().rev().find(|c| !c.probs.is_empty())
}

/// For every answer update, the probability of the digit the solve ends on: of one cell, or
/// averaged over the puzzle's blank cells (`cell: None`).
pub fn confidence_series(trace: &RecursionTrace, puzzle: &Grid, cell: Option<usize>) -> Vec<f32> {
    let Some(last) = trace.steps.last().and_then(|s| s.last()) else { return Vec::new() };
    let final_digits = last.answer(puzzle);
    let cells: Vec<usize> = match cell {
        Some(c) if c < CELLS => vec![c],
        _ => (0..CELLS).filter(|&c| puzzle.get(c) == 0).collect(),
    };
    if cells.is_empty() {
        return Vec::new();
    }
    trace
        .steps
        .iter()
        .flat_map(|s| s.calls.iter())
        .filter(|c| !c.probs.is_empty())
        .map(|call| {
            let total: f32 = cells.iter().map(|&c| call.probability(c, final_digits.get(c)).unwrap_or(0.0)).sum();
            total / cells.len() as f32
        })
        .collect()
}

/// The first two principal components of the cells' (sketched) z vectors over a whole solve:
/// fitted once, so a colour means the same at every step.
#[derive(Debug, Clone, PartialEq)]
pub struct LatentPca {
    mean: [f32; SKETCH_DIMS],
    axes: [[f32; SKETCH_DIMS]; 2],
    /// Largest |coordinate| over the solve, to scale into [-1, 1].
    extent: [f32; 2],
}

impl LatentPca {
    /// Fits on every cell of every recorded call; `None` without sketches.
    pub fn fit(trace: &RecursionTrace) -> Option<Self> {
        let calls: Vec<&CallTrace> = trace.steps.iter().flat_map(|s| s.calls.iter()).collect();
        let vectors: Vec<[f32; SKETCH_DIMS]> =
            calls.iter().flat_map(|c| (0..CELLS).filter_map(move |cell| c.sketch_of(cell))).collect();
        if vectors.len() < 2 {
            return None;
        }
        let n = vectors.len() as f64;
        let mut mean = [0.0f64; SKETCH_DIMS];
        for v in &vectors {
            for (m, &x) in mean.iter_mut().zip(v) {
                *m += x as f64 / n;
            }
        }
        let mut cov = [[0.0f64; SKETCH_DIMS]; SKETCH_DIMS];
        for v in &vectors {
            for i in 0..SKETCH_DIMS {
                let a = v[i] as f64 - mean[i];
                for j in 0..SKETCH_DIMS {
                    cov[i][j] += a * (v[j] as f64 - mean[j]) / n;
                }
            }
        }
        let first = power_iteration(&cov, None);
        let second = power_iteration(&cov, Some(&first));
        let mut pca = Self {
            mean: mean.map(|m| m as f32),
            axes: [first.map(|x| x as f32), second.map(|x| x as f32)],
            extent: [1.0, 1.0],
        };
        let mut extent = [0.0f32; 2];
        for v in &vectors {
            let (a, b) = pca.raw(v);
            extent[0] = extent[0].max(a.abs());
            extent[1] = extent[1].max(b.abs());
        }
        pca.extent = extent.map(|e| if e > 0.0 { e } else { 1.0 });
        Some(pca)
    }

    fn raw(&self, v: &[f32; SKETCH_DIMS]) -> (f32, f32) {
        let centred: Vec<f32> = v.iter().zip(&self.mean).map(|(x, m)| x - m).collect();
        let dot = |axis: &[f32; SKETCH_DIMS]| centred.iter().zip(axis).map(|(a, b)| a * b).sum::<f32>();
        (dot(&self.axes[0]), dot(&self.axes[1]))
    }

    /// Each cell's two coordinates at the call under the cursor, in [-1, 1].
    pub fn project(&self, trace: &RecursionTrace, position: usize) -> Vec<(f32, f32)> {
        let Some(call) = call_at(trace, position) else { return Vec::new() };
        (0..CELLS)
            .filter_map(|cell| call.sketch_of(cell))
            .map(|v| {
                let (a, b) = self.raw(&v);
                ((a / self.extent[0]).clamp(-1.0, 1.0), (b / self.extent[1]).clamp(-1.0, 1.0))
            })
            .collect()
    }
}

/// The leading eigenvector of a symmetric matrix (orthogonal to `deflate`, if given).
fn power_iteration(m: &[[f64; SKETCH_DIMS]; SKETCH_DIMS], deflate: Option<&[f64; SKETCH_DIMS]>) -> [f64; SKETCH_DIMS] {
    let mut v = [0.0f64; SKETCH_DIMS];
    for (i, x) in v.iter_mut().enumerate() {
        *x = 1.0 + i as f64 * 0.1;
    }
    for _ in 0..200 {
        if let Some(d) = deflate {
            let dot: f64 = v.iter().zip(d).map(|(a, b)| a * b).sum();
            v.iter_mut().zip(d).for_each(|(a, b)| *a -= dot * b);
        }
        let mut next = [0.0f64; SKETCH_DIMS];
        for (i, row) in m.iter().enumerate() {
            next[i] = row.iter().zip(&v).map(|(a, b)| a * b).sum();
        }
        let norm = next.iter().map(|x| x * x).sum::<f64>().sqrt();
        if norm < 1e-12 {
            break;
        }
        v = next.map(|x| x / norm);
    }
    v
}

/// Halting probability at the end of each supervision step.
pub fn halt_series(trace: &RecursionTrace) -> Vec<f32> {
    trace.steps.iter().map(|s| s.halt_probability()).collect()
}

/// Fraction of the puzzle's blank cells right at the end of each step.
pub fn accuracy_series(trace: &RecursionTrace, puzzle: &Grid, solution: &Grid) -> Vec<f32> {
    let blanks: Vec<usize> = (0..CELLS).filter(|&c| puzzle.get(c) == 0).collect();
    trace
        .steps
        .iter()
        .map(|s| {
            let Some(last) = s.last() else { return 0.0 };
            if blanks.is_empty() {
                return 1.0;
            }
            let right = blanks.iter().filter(|&&c| last.digits.get(c).copied() == Some(solution.get(c))).count();
            right as f32 / blanks.len() as f32
        })
        .collect()
}

/// Play/pause, stepping, scrubbing and speed over a trace that may still be growing.
#[derive(Debug, Clone, PartialEq)]
pub struct Playback {
    /// Net calls recorded so far.
    total: usize,
    /// Cursor, in `0..total` (0 when empty).
    position: usize,
    playing: bool,
    /// Net calls shown per second.
    speed: f64,
    /// Fraction of a call accumulated between ticks.
    carry: f64,
}

impl Playback {
    /// Slowest and fastest speeds, in net calls per second.
    pub const SPEED_RANGE: (f64, f64) = (0.5, 240.0);

    /// An empty, paused playback.
    pub fn new(speed: f64) -> Self {
        Self {
            total: 0,
            position: 0,
            playing: false,
            speed: speed.clamp(Self::SPEED_RANGE.0, Self::SPEED_RANGE.1),
            carry: 0.0,
        }
    }

    /// Net calls available.
    pub fn total(&self) -> usize {
        self.total
    }

    /// The cursor.
    pub fn position(&self) -> usize {
        self.position
    }

    /// Whether it advances on ticks.
    pub fn is_playing(&self) -> bool {
        self.playing
    }

    /// Calls per second.
    pub fn speed(&self) -> f64 {
        self.speed
    }

    /// Whether the cursor is on the last recorded call.
    pub fn at_end(&self) -> bool {
        self.total == 0 || self.position + 1 >= self.total
    }

    /// More calls were recorded (the solve is still running).
    pub fn set_total(&mut self, total: usize) {
        self.total = total;
        if self.position >= total {
            self.position = total.saturating_sub(1);
        }
    }

    /// Starts playing; from the start again if at the end.
    pub fn play(&mut self) {
        if self.at_end() && self.total > 0 {
            self.position = 0;
        }
        self.playing = true;
        self.carry = 0.0;
    }

    /// Stops playing.
    pub fn pause(&mut self) {
        self.playing = false;
    }

    /// Play if paused, pause if playing.
    pub fn toggle(&mut self) {
        if self.playing { self.pause() } else { self.play() }
    }

    /// One call forward (pauses).
    pub fn step_forward(&mut self) {
        self.playing = false;
        if !self.at_end() {
            self.position += 1;
        }
    }

    /// One call back (pauses).
    pub fn step_back(&mut self) {
        self.playing = false;
        self.position = self.position.saturating_sub(1);
    }

    /// Jumps to a position (pauses), clamped to what is recorded.
    pub fn seek(&mut self, position: usize) {
        self.playing = false;
        self.position = position.min(self.total.saturating_sub(1));
    }

    /// Jumps to the last recorded call.
    pub fn seek_end(&mut self) {
        self.position = self.total.saturating_sub(1);
    }

    /// Sets the speed, clamped to [`Playback::SPEED_RANGE`].
    pub fn set_speed(&mut self, calls_per_second: f64) {
        if calls_per_second.is_finite() {
            self.speed = calls_per_second.clamp(Self::SPEED_RANGE.0, Self::SPEED_RANGE.1);
        }
    }

    /// Advances by `elapsed_ms` of play time. Returns whether the position changed. Stops at
    /// the last recorded call but keeps "playing", so new calls are picked up as they arrive.
    pub fn tick(&mut self, elapsed_ms: f64) -> bool {
        if !self.playing || !elapsed_ms.is_finite() || elapsed_ms <= 0.0 {
            return false;
        }
        self.carry += elapsed_ms / 1000.0 * self.speed;
        let whole = self.carry.floor();
        if whole < 1.0 {
            return false;
        }
        self.carry -= whole;
        let before = self.position;
        self.position = (self.position + whole as usize).min(self.total.saturating_sub(1));
        if self.position == before {
            self.carry = 0.0;
        }
        self.position != before
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::trace::StepTrace;

    fn call(kind: CallKind, cycle: u8, digit: u8, z: f32) -> CallTrace {
        CallTrace {
            cycle,
            kind,
            digits: vec![digit; CELLS],
            confidence: vec![0.5; CELLS],
            z_norm: z,
            y_norm: 1.0,
            halt_logit: 0.0,
            dz: vec![z; CELLS],
            dz_mean: z,
            dy_mean: if kind == CallKind::Answer { 1.0 } else { 0.0 },
            sketch: Vec::new(),
            sketch_scale: 0.0,
            probs: Vec::new(),
        }
    }

    fn trace() -> RecursionTrace {
        // Two steps of n = 2, T = 1: [L0, L1, A] each. The answer is 0 (none) until the first
        // answer update, then 1, then 2.
        let step1 = StepTrace {
            calls: vec![
                call(CallKind::Latent(0), 0, 0, 1.0),
                call(CallKind::Latent(1), 0, 0, 2.0),
                call(CallKind::Answer, 0, 1, 2.0),
            ],
            halt_logit: -2.0,
        };
        let step2 = StepTrace {
            calls: vec![
                call(CallKind::Latent(0), 0, 1, 3.0),
                call(CallKind::Latent(1), 0, 1, 4.0),
                call(CallKind::Answer, 0, 2, 4.0),
            ],
            halt_logit: 3.0,
        };
        RecursionTrace {
            puzzle: ".".repeat(81),
            latent_updates: 2,
            cycles: 1,
            steps: vec![step1, step2],
            halted_at: Some(2),
        }
    }

    #[test]
    fn positions_map_to_steps_and_calls() {
        let t = trace();
        assert_eq!(locate(&t, 0), Some(Position { step: 0, call: 0 }));
        assert_eq!(locate(&t, 4), Some(Position { step: 1, call: 1 }));
        assert_eq!(locate(&t, 6), None);
        assert_eq!(label(&t, 1, 16), "supervision step 1/16 · cycle 1/1 · latent update 2/2");
        assert_eq!(label(&t, 5, 16), "supervision step 2/16 · cycle 1/1 · answer update");
        assert_eq!(label(&t, 9, 16), "not started");
    }

    #[test]
    fn grid_and_changes_follow_the_answer_updates() {
        let t = trace();
        let mut puzzle = Grid::empty();
        puzzle.set(0, 9).unwrap();
        assert_eq!(grid_at(&t, &puzzle, 0).get(1), 0);
        assert_eq!(grid_at(&t, &puzzle, 2).get(1), 1);
        assert_eq!(grid_at(&t, &puzzle, 2).get(0), 9, "givens are kept");
        let changed = changed_cells(&t, &puzzle, 2);
        assert!(changed[1] && !changed[0]);
        assert!(!changed_cells(&t, &puzzle, 3).iter().any(|&c| c));
        assert!(changed_cells(&t, &puzzle, 5)[40]);
    }

    /// `trace()` with answer updates that carry probabilities (digit 1 at 0.2 and digit 2 at
    /// 0.4 in step 1, with cell 3 sure of 2; digit 2 at 1.0 in step 2) and a Δz of 9 per cell, so
    /// that they are told apart from the latent updates.
    fn trace_with_probabilities() -> RecursionTrace {
        let mut t = trace();
        for (step, (p1, p2)) in [(51u8, 102u8), (0, 255)].into_iter().enumerate() {
            let answer = &mut t.steps[step].calls[2];
            answer.dz = vec![9.0; CELLS];
            answer.probs = (0..CELLS).flat_map(|_| [p1, p2, 0, 0, 0, 0, 0, 0, 0]).collect();
        }
        t.steps[0].calls[2].probs[3 * 9 + 1] = 255;
        t
    }

    #[test]
    fn latent_map_shows_the_latest_latent_update() {
        let t = trace_with_probabilities();
        assert_eq!(latent_map(&t, 0), [1.0; CELLS]);
        assert_eq!(latent_map(&t, 1), [2.0; CELLS]);
        assert_eq!(latent_map(&t, 2), [2.0; CELLS], "an answer update leaves z alone");
        assert_eq!(latent_map(&t, 3), [3.0; CELLS]);
        assert_eq!(latent_map(&t, 99), [4.0; CELLS]);
        assert_eq!(latent_map(&RecursionTrace { steps: Vec::new(), ..t }, 0), [0.0; CELLS]);
    }

    #[test]
    fn probabilities_follow_the_latest_answer_update() {
        let t = trace_with_probabilities();
        assert!(answer_update_at(&t, 1).is_none(), "no answer update yet");
        let first = |p: usize| answer_update_at(&t, p).map(|c| c.probability(0, 2));
        assert_eq!(first(2), Some(Some(0.4)));
        assert_eq!(first(4), Some(Some(0.4)));
        assert_eq!(first(5), Some(Some(1.0)));
        // The solve ends on 2 everywhere: its probability at each answer update, on average over
        // the blanks or at one cell. A given (cell 3 here) is not averaged.
        let blank = Grid::empty();
        assert_eq!(confidence_series(&t, &blank, Some(0)), vec![0.4, 1.0]);
        assert_eq!(confidence_series(&t, &blank, Some(3)), vec![1.0, 1.0]);
        let mean = (80.0 * 0.4 + 1.0) / 81.0;
        let all = confidence_series(&t, &blank, None);
        assert!((all[0] - mean).abs() < 1e-6 && all[1] == 1.0, "{all:?}");
        assert_eq!(confidence_series(&t, &blank, Some(CELLS)), all, "a cell off the grid means every blank");
        let mut given = Grid::empty();
        given.set(3, 2).unwrap();
        assert!((confidence_series(&t, &given, None)[0] - 0.4).abs() < 1e-6);
        assert!(confidence_series(&t, &Grid::parse(&"2".repeat(81)).unwrap(), None).is_empty(), "no blanks");
        assert!(confidence_series(&trace(), &blank, None).is_empty(), "no answer update with probabilities");
    }

    /// One call whose cells' sketches lie on a known plane: cell c is (4·(c mod 9), c div 9, 0, …)
    /// times `scale`. The first principal axis is then the first dimension (variance 16 times
    /// the second's) and the second axis the second dimension.
    fn sketched(scale: f32, second_axis: bool) -> RecursionTrace {
        let mut t = trace();
        let call = &mut t.steps[0].calls[0];
        call.sketch_scale = scale;
        call.sketch = (0..CELLS)
            .flat_map(|c| {
                let mut v = [0i8; SKETCH_DIMS];
                v[0] = (c % 9 * 4) as i8;
                v[1] = if second_axis { (c / 9) as i8 } else { 0 };
                v
            })
            .collect();
        t
    }

    #[test]
    fn latent_pca_finds_the_two_axes_and_scales_them_to_one() {
        let t = sketched(0.5, true);
        let pca = LatentPca::fit(&t).unwrap();
        let points = pca.project(&t, 0);
        assert_eq!(points.len(), CELLS);
        // Centred on the mean cell, scaled so the farthest cell is at ±1; an axis's sign is free.
        let expected = |c: usize| ((c % 9) as f32 / 4.0 - 1.0, (c / 9) as f32 / 4.0 - 1.0);
        let signs = (points[80].0.signum(), points[80].1.signum());
        for (c, &(a, b)) in points.iter().enumerate() {
            let (ea, eb) = expected(c);
            assert!((a - signs.0 * ea).abs() < 1e-4 && (b - signs.1 * eb).abs() < 1e-4, "cell {c}: {a}, {b}");
        }
        assert!(pca.project(&t, 1).is_empty(), "a call without a sketch has no points");
        assert!(pca.project(&t, 99).is_empty());
        // A flat cloud: the second axis has no extent and every cell sits at 0 on it.
        let flat = sketched(1.0, false);
        let points = LatentPca::fit(&flat).unwrap().project(&flat, 0);
        assert!(points.iter().all(|&(a, b)| a.abs() <= 1.0 && b == 0.0), "{:?}", &points[..3]);
        // Fitting needs two sketched cells.
        assert!(LatentPca::fit(&trace()).is_none());
        let mut two = trace();
        two.steps[0].calls[0].sketch = vec![1; 2 * SKETCH_DIMS];
        two.steps[0].calls[0].sketch_scale = 1.0;
        assert!(LatentPca::fit(&two).is_some());
    }

    #[test]
    fn series_have_one_point_per_call_or_step() {
        let t = trace();
        assert_eq!(norm_series(&t).len(), 6);
        assert_eq!(norm_series(&t)[3], (3.0, 1.0));
        // Δz per call, and Δy only at the answer updates.
        let deltas = [(1.0, 0.0), (2.0, 0.0), (2.0, 1.0), (3.0, 0.0), (4.0, 0.0), (4.0, 1.0)];
        assert_eq!(delta_series(&t), deltas);
        // As chart lines: z where a latent update moved it, y where an answer update did.
        let (dz, dy) = state_moves(&t);
        let defined = |v: &[f32]| v.iter().map(|x| (!x.is_nan()).then_some(*x)).collect::<Vec<_>>();
        assert_eq!(defined(&dz), vec![Some(1.0), Some(2.0), None, Some(3.0), Some(4.0), None]);
        assert_eq!(defined(&dy), vec![None, None, Some(1.0), None, None, Some(1.0)]);
        let halts = halt_series(&t);
        assert_eq!(halts.len(), 2);
        assert!(halts[0] < 0.5 && halts[1] > 0.5);
        let solution = Grid::parse(&"2".repeat(81)).unwrap();
        assert_eq!(accuracy_series(&t, &Grid::empty(), &solution), vec![0.0, 1.0]);
    }

    #[test]
    fn playback_controls() {
        let mut p = Playback::new(10.0);
        assert!(p.at_end());
        p.set_total(6);
        p.play();
        assert!(p.is_playing());
        assert!(!p.tick(50.0), "half a call");
        assert!(p.tick(50.0));
        assert_eq!(p.position(), 1);
        assert!(p.tick(1000.0));
        assert_eq!(p.position(), 5, "stops at the last call");
        assert!(p.is_playing(), "keeps waiting for more calls");
        p.set_total(9);
        assert!(p.tick(100.0));
        assert_eq!(p.position(), 6);
        p.step_back();
        assert!(!p.is_playing());
        assert_eq!(p.position(), 5);
        p.step_forward();
        p.step_forward();
        assert_eq!(p.position(), 7);
        p.seek(100);
        assert_eq!(p.position(), 8);
        p.play();
        assert_eq!(p.position(), 0, "play at the end restarts");
        p.set_speed(1e9);
        assert_eq!(p.speed(), Playback::SPEED_RANGE.1);
        p.set_speed(f64::NAN);
        assert_eq!(p.speed(), Playback::SPEED_RANGE.1);
        p.toggle();
        assert!(!p.is_playing());
        assert!(!p.tick(1e6));
        p.set_total(3);
        assert_eq!(p.position(), 0);
        p.seek(2);
        p.set_total(2);
        assert_eq!(p.position(), 1);
        assert_eq!(p.total(), 2);
        // Play from the middle resumes there; the end key jumps to the last call.
        p.set_total(7);
        p.seek(3);
        p.play();
        assert_eq!(p.position(), 3);
        p.seek_end();
        assert_eq!(p.position(), 6);
        // A clock that went backwards or is not a number moves nothing and owes nothing.
        p.set_speed(10.0);
        p.seek(0);
        p.play();
        assert!(!p.tick(-1000.0) && !p.tick(f64::NAN) && !p.tick(f64::INFINITY));
        assert!(p.tick(100.0));
        assert_eq!(p.position(), 1);
        // A fraction of a call carries over to the next tick while moving, but not while waiting
        // at the end: calls that arrive later are shown one by one, not caught up at once.
        assert!(p.tick(150.0) && !p.tick(40.0) && p.tick(10.0));
        assert_eq!(p.position(), 3);
        p.set_total(5);
        assert!(p.tick(1050.0));
        assert_eq!(p.position(), 4);
        assert!(!p.tick(1050.0));
        p.set_total(6);
        assert!(!p.tick(50.0), "the wait at the end left nothing owed");
        assert!(p.tick(50.0));
        assert_eq!(p.position(), 5);
    }
}

//! Parallel attempts: K copies of one puzzle, each from another starting point, run as one
//! batch and checked by the Sudoku rules.
//!
//! Attempt 0 is always the puzzle as given. Attempt k > 0 sees the puzzle under a seeded random
//! symmetry (digit relabelling, transpose, band/row and stack/column permutations) and, with
//! noise on, starts from y and z with seeded Gaussian noise added. Answers are mapped back to
//! the user's orientation, so every attempt is judged on the user's puzzle.
//!
//! The rule check is a verifier of the model's own answers, not a solver: an answer that keeps
//! every given and breaks no rule is a solution, and the exact solver is never consulted.

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};

use crate::protocol::NetCallTiming;
use crate::trace::{CallTrace, SKETCH_DIMS, StepTrace};
use trm_puzzle::hash::mix;
use trm_puzzle::sudoku::augment::Augmentation;
use trm_puzzle::sudoku::grid::{CELLS, Grid};

/// Which symmetries the attempts after the first use.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum TransformMix {
    /// Digit relabelling and board symmetries together.
    Full,
    /// Digit relabelling only.
    Digits,
    /// Board symmetries only (transpose, band/row and stack/column permutations).
    Board,
    /// No transform: attempts differ only by noise.
    None,
}

impl std::str::FromStr for TransformMix {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "full" => Ok(Self::Full),
            "digits" => Ok(Self::Digits),
            "board" => Ok(Self::Board),
            "none" => Ok(Self::None),
            other => Err(format!("unknown transform mix {other:?}; expected full, digits, board or none")),
        }
    }
}

/// How one attempt starts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct AttemptStart {
    /// The symmetry applied to the puzzle.
    pub transform: Augmentation,
    /// Seed of the Gaussian noise on the initial y and z, if any.
    pub noise_seed: Option<u64>,
}

impl AttemptStart {
    /// The puzzle as it is given, without noise: attempt 0 of every plan.
    pub const AS_GIVEN: AttemptStart = AttemptStart { transform: Augmentation::IDENTITY, noise_seed: None };

    /// Attempt `index` of a plan: the identity without noise for index 0; otherwise a symmetry
    /// and a noise seed drawn from `(seed, index)`, so the first K attempts of a larger plan are
    /// the same K attempts.
    pub fn new(index: usize, seed: u64, mix_kind: TransformMix, noise: bool) -> Self {
        if index == 0 {
            return Self::AS_GIVEN;
        }
        let mut rng = ChaCha8Rng::seed_from_u64(mix(seed ^ 0x4154_5445_4D50_5453, index as u64));
        let random = Augmentation::random(&mut rng);
        let transform = match mix_kind {
            TransformMix::Full => random,
            TransformMix::Digits => Augmentation { digits: random.digits, ..Augmentation::IDENTITY },
            TransformMix::Board => Augmentation { digits: Augmentation::IDENTITY.digits, ..random },
            TransformMix::None => Augmentation::IDENTITY,
        };
        let noise_seed = noise.then(|| rng.random());
        Self { transform, noise_seed }
    }

    /// The first `attempts` attempts of the plan.
    pub fn plan(attempts: usize, seed: u64, mix_kind: TransformMix, noise: bool) -> Vec<Self> {
        (0..attempts.max(1)).map(|i| Self::new(i, seed, mix_kind, noise)).collect()
    }
}

/// The noise σ on the initial y and z of attempts after the first that the page and the model
/// card use: `scripts/campaign/sweep-attempts.sh` on a validation split (generated medium, hard and extreme
/// puzzles, seed 777, 60 each, K = 8) measured 97.8% with full symmetries and σ = 0.3 (the same
/// at 0.1), 96.1% without noise, 89.4% with digit relabelling only and 75–78% with noise alone.
pub const DEFAULT_NOISE: f64 = 0.3;

/// The page's adaptive solve gives up after this many seconds by default (`?budget=`).
pub const DEFAULT_ADAPTIVE_BUDGET_S: f64 = 10.0;
/// The longest time budget a link may ask for, in seconds.
pub const MAX_ADAPTIVE_BUDGET_S: f64 = 600.0;

/// The choices of K the page offers.
pub const ATTEMPT_CHOICES: [usize; 6] = [1, 4, 8, 16, 32, 64];

/// The choices of K the maze page offers: one attempt per symmetry of the square at most.
pub const MAZE_ATTEMPT_CHOICES: [usize; 4] = [1, 2, 4, 8];

/// K rounded down to an offered choice (at least 1).
pub fn clamp_attempts(k: usize) -> usize {
    ATTEMPT_CHOICES.iter().copied().filter(|&c| c <= k.max(1)).max().unwrap_or(1)
}

/// Net calls of a typical medium solve with several attempts (about 4 supervision steps of 10
/// calls until the first rule-satisfying answer; `trm eval --attempts` measures 2.5 to 3).
const MEDIUM_SOLVE_CALLS: f64 = 40.0;
/// How long a visitor should wait for a medium puzzle.
const SOLVE_BUDGET_MS: f64 = 2000.0;

/// The page's default K: the largest choice whose medium solve is estimated to stay within
/// about 2 s on the visitor's own backend, from its measured net-call times at two batch sizes
/// (a batch costs about K times one call on the CPU and about as much as one call on a GPU).
pub fn default_attempts(timing: &NetCallTiming) -> usize {
    ATTEMPT_CHOICES
        .iter()
        .copied()
        .filter(|&k| {
            let ms = timing.at(k) * MEDIUM_SOLVE_CALLS;
            ms.is_finite() && ms > 0.0 && ms <= SOLVE_BUDGET_MS
        })
        .max()
        .unwrap_or(1)
}

/// How long one warm-up supervision step may be estimated to take for the engine to warm its K
/// ahead, while the page is idle. A K beyond it is slow enough on that device that its first
/// step compiling a new kernel or two costs less than the step itself, and warming it would keep
/// the device busy for a minute or more (batch 64 on a software GPU) with a visitor's solve
/// queued behind it.
pub const WARM_AHEAD_STEP_BUDGET_MS: f64 = 4000.0;

/// Net calls in one supervision step of the shipped model (T = 2 cycles of n = 4 + 1); a
/// warm-up runs two steps.
const WARM_UP_STEP_CALLS: f64 = 10.0;

/// The K of `choices` (smallest first) not in `warmed` whose warm-up step `timing` estimates
/// within [`WARM_AHEAD_STEP_BUDGET_MS`]: all of them on a real GPU, none beyond the timed batches
/// on a software one.
pub fn attempts_to_warm_ahead(timing: &NetCallTiming, choices: &[usize], warmed: &[usize]) -> Vec<usize> {
    choices.iter().copied().filter(|k| !warmed.contains(k)).take_while(|&k| warm_up_step_is_quick(timing, k)).collect()
}

/// Whether `timing` estimates one warm-up step at K = `attempts` within
/// [`WARM_AHEAD_STEP_BUDGET_MS`].
fn warm_up_step_is_quick(timing: &NetCallTiming, attempts: usize) -> bool {
    timing.at(attempts) * WARM_UP_STEP_CALLS <= WARM_AHEAD_STEP_BUDGET_MS
}

/// The K of `choices` to warm once a GPU is in use, given the K warmed while it was prepared:
/// the page's `usual` K first, then every other K smallest first, each only where its step is
/// quick. On a software GPU the Sudoku page's usual K = 8 is not: its step takes about 27 s
/// there, and a visitor's first solve would wait behind it.
pub fn attempts_to_warm_after_switch(
    timing: &NetCallTiming,
    choices: &[usize],
    prepared: &[usize],
    usual: usize,
) -> Vec<usize> {
    let mut ahead: Vec<usize> =
        [usual].into_iter().filter(|&k| !prepared.contains(&k) && warm_up_step_is_quick(timing, k)).collect();
    ahead.extend(attempts_to_warm_ahead(timing, choices, &[prepared, &[usual]].concat()));
    ahead
}

/// The share of an adaptive solve's time budget that one supervision step may be estimated to
/// take at its largest K: the budget is checked between steps, so a step must not overrun it.
const ADAPTIVE_STEP_SHARE: f64 = 0.1;

/// The most slots an adaptive solve grows to on a device: the largest offered K whose
/// supervision step `timing` estimates within a tenth of `budget_ms` (at least 1). On this
/// project's 2-core CPU with a 10 s budget that is 16; a real GPU runs all 64.
pub fn adaptive_slot_limit(timing: &NetCallTiming, budget_ms: f64) -> usize {
    ATTEMPT_CHOICES
        .into_iter()
        .filter(|&k| {
            let step_ms = timing.at(k) * WARM_UP_STEP_CALLS;
            step_ms.is_finite() && step_ms <= budget_ms * ADAPTIVE_STEP_SHARE
        })
        .max()
        .unwrap_or(1)
}

/// The backend to run on, given each one's measurement, and the K it runs: at `attempts` if the
/// link fixed K, else at each backend's own default K. The backend that runs more attempts
/// within the budget wins; at the same K, the faster one. `None` when nothing was measured.
pub fn choose_backend(timings: &[NetCallTiming], attempts: Option<usize>) -> Option<(NetCallTiming, usize)> {
    timings
        .iter()
        .map(|t| (*t, attempts.map(clamp_attempts).unwrap_or_else(|| default_attempts(t))))
        .filter(|(t, k)| t.at(*k).is_finite())
        .min_by(|(a, ka), (b, kb)| kb.cmp(ka).then(a.at(*ka).total_cmp(&b.at(*kb))))
}

/// The honest one-line result of a solve with `k` attempts, e.g. "attempt 7 of 16 satisfied
/// every rule at supervision step 5 (1,120 net calls)".
pub fn describe_outcome(outcome: &crate::trace::Outcome, k: usize) -> String {
    let calls = group_thousands(outcome.net_calls);
    match (outcome.verified, k) {
        (true, 1) => format!("The answer satisfies every rule ({calls} net calls)."),
        (true, _) => format!(
            "Attempt {} of {k} satisfied every rule at supervision step {} ({calls} net calls).",
            outcome.selected + 1,
            outcome.step
        ),
        (false, 1) => format!("The answer breaks a rule: it is not a solution ({calls} net calls)."),
        (false, _) => format!(
            "No attempt satisfied every rule; showing the most confident one, attempt {} of {k} ({calls} net calls).",
            outcome.selected + 1
        ),
    }
}

/// The adaptive solve's story, e.g. "3 of 4 attempts halted on answers that broke a rule; 16
/// more attempts; attempt 11 of 20 satisfied every rule at its step 7 (2,310 net calls)."
/// `first_slots` is K at the start; `out_of_time` the time budget in seconds, if it ended the
/// solve.
pub fn describe_adaptive(trace: &crate::trace::SolveTrace, first_slots: usize, out_of_time: Option<f64>) -> String {
    let Some(outcome) = trace.outcome else { return "Thinking…".into() };
    let total = trace.attempts.len();
    let calls = group_thousands(outcome.net_calls);
    let halted_wrong = trace
        .attempts
        .iter()
        .enumerate()
        .filter(|(i, a)| a.trace.halted_at.is_some() && !(outcome.verified && *i == outcome.selected))
        .count();
    if total <= first_slots && out_of_time.is_none() {
        // No attempt was replaced or added: the story of a fixed-K solve.
        return describe_outcome(&outcome, total);
    }
    let mut parts = Vec::new();
    if halted_wrong > 0 {
        let noun = if total == 1 { "attempt" } else { "attempts" };
        parts.push(format!("{halted_wrong} of {total} {noun} halted on answers that broke a rule"));
    }
    if total > first_slots {
        let more = total - first_slots;
        parts.push(format!("{more} more attempt{}", if more == 1 { "" } else { "s" }));
    }
    let selected = outcome.selected + 1;
    parts.push(if outcome.verified {
        format!("attempt {selected} of {total} satisfied every rule at its step {} ({calls} net calls)", outcome.step)
    } else {
        let within = match out_of_time {
            Some(seconds) => format!("{seconds} s"),
            None => "the step budget".into(),
        };
        format!(
            "no answer satisfied every rule within {within}; showing the most confident, attempt {selected} of {total} ({calls} net calls)"
        )
    });
    let mut story = parts.join("; ");
    if let Some(first) = story.get(..1) {
        story = first.to_uppercase() + &story[1..];
    }
    story + "."
}

/// `1120` → `"1,120"`.
pub fn group_thousands(n: usize) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, ch) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(ch);
    }
    out
}

/// Whether `answer` solves `puzzle`: complete, every given kept, no rule broken.
pub fn verified(answer: &Grid, puzzle: &Grid) -> bool {
    answer.check_solves(puzzle).is_ok()
}

/// Cells whose digit repeats in a row, column or box.
pub fn conflict_count(answer: &Grid) -> usize {
    answer.conflict_mask().iter().filter(|&&c| c).count()
}

/// A supervision step recorded on a transformed puzzle, in the user's orientation: digits are
/// relabelled back and cells moved back; norms and halting logits are unchanged.
pub fn step_to_user(step: StepTrace, transform: &Augmentation) -> StepTrace {
    if transform.is_identity() {
        return step;
    }
    // Cell `c` of the user's grid sits at `to_attempt[c]` in the attempt's grid.
    let inverse = transform.inverse();
    let to_attempt = inverse.source_cells();
    let calls = step
        .calls
        .into_iter()
        .map(|call| {
            let per_cell = |values: &[f32]| -> Vec<f32> {
                if values.len() < CELLS {
                    return values.to_vec();
                }
                (0..CELLS).map(|c| values[to_attempt[c]]).collect()
            };
            let digits = (0..CELLS)
                .map(|c| {
                    let d = call.digits.get(to_attempt[c]).copied().unwrap_or(0).min(9);
                    inverse.digits[d as usize]
                })
                .collect();
            let sketch = if call.sketch.len() == CELLS * SKETCH_DIMS {
                (0..CELLS)
                    .flat_map(|c| call.sketch[to_attempt[c] * SKETCH_DIMS..(to_attempt[c] + 1) * SKETCH_DIMS].to_vec())
                    .collect()
            } else {
                call.sketch.clone()
            };
            // Cells move back, and so do digits: the attempt's digit d is the user's
            // inverse.digits[d].
            let probs = if call.probs.len() == CELLS * 9 {
                let mut out = vec![0u8; CELLS * 9];
                for c in 0..CELLS {
                    for d in 1..=9usize {
                        let user_digit = inverse.digits[d] as usize;
                        out[c * 9 + user_digit - 1] = call.probs[to_attempt[c] * 9 + d - 1];
                    }
                }
                out
            } else {
                call.probs.clone()
            };
            CallTrace { digits, confidence: per_cell(&call.confidence), dz: per_cell(&call.dz), sketch, probs, ..call }
        })
        .collect();
    StepTrace { calls, halt_logit: step.halt_logit }
}

/// The model's raw digits (attempt orientation, givens of the transformed puzzle put back),
/// mapped to the user's orientation.
pub fn answer_to_user(attempt_answer: &Grid, transform: &Augmentation) -> Grid {
    if transform.is_identity() { *attempt_answer } else { transform.inverse().apply(attempt_answer) }
}

/// The end of one attempt, as selection sees it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct AttemptEnd {
    /// Whether its answer satisfies every rule.
    pub verified: bool,
    /// Halting probability at its last step.
    pub halt_probability: f32,
}

/// The attempt to show: among the verified ones the most confident, else the most confident of
/// all (ties go to the lower index). `None` for no attempts.
pub fn select(ends: &[AttemptEnd]) -> Option<usize> {
    let best = |verified_only: bool| {
        ends.iter()
            .enumerate()
            .filter(|(_, e)| e.verified || !verified_only)
            .fold(None::<(usize, f32)>, |best, (i, e)| match best {
                Some((_, p)) if p >= e.halt_probability => best,
                _ => Some((i, e.halt_probability)),
            })
            .map(|(i, _)| i)
    };
    best(true).or_else(|| best(false))
}

/// Gaussian noise of standard deviation `sigma`, `len` values, from `seed` (Box–Muller).
pub fn gaussian_noise(len: usize, sigma: f64, seed: u64) -> Vec<f32> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut out = Vec::with_capacity(len);
    while out.len() < len {
        let u1: f64 = rng.random::<f64>().max(f64::MIN_POSITIVE);
        let u2: f64 = rng.random::<f64>();
        let r = (-2.0 * u1.ln()).sqrt();
        let angle = std::f64::consts::TAU * u2;
        out.push((sigma * r * angle.cos()) as f32);
        if out.len() < len {
            out.push((sigma * r * angle.sin()) as f32);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::Backend;
    use crate::trace::CallKind;
    use proptest::prelude::*;
    use trm_puzzle::sudoku::grid::samples::{PUZZLE, SOLUTION};

    #[test]
    fn attempt_zero_is_the_puzzle_as_given_and_plans_nest() {
        let plan = AttemptStart::plan(16, 7, TransformMix::Full, true);
        assert_eq!(plan[0], AttemptStart { transform: Augmentation::IDENTITY, noise_seed: None });
        assert_eq!(&AttemptStart::plan(4, 7, TransformMix::Full, true)[..], &plan[..4]);
        assert!(plan[1..].iter().all(|a| !a.transform.is_identity() && a.noise_seed.is_some()));
        assert_ne!(plan[1], plan[2]);
        assert_ne!(
            AttemptStart::plan(2, 8, TransformMix::Full, false)[1],
            AttemptStart::plan(2, 7, TransformMix::Full, false)[1]
        );
        let digits = AttemptStart::new(3, 7, TransformMix::Digits, false).transform;
        assert!(
            !digits.transpose
                && digits.rows == Augmentation::IDENTITY.rows
                && digits.digits != Augmentation::IDENTITY.digits
        );
        let board = AttemptStart::new(3, 7, TransformMix::Board, false).transform;
        assert_eq!(board.digits, Augmentation::IDENTITY.digits);
        assert!(AttemptStart::new(3, 7, TransformMix::None, false).transform.is_identity());
    }

    #[test]
    fn verification_is_the_rules_and_nothing_else() {
        let puzzle = Grid::parse(PUZZLE).unwrap();
        let solution = Grid::parse(SOLUTION).unwrap();
        assert!(verified(&solution, &puzzle));
        assert_eq!(conflict_count(&solution), 0);
        // Swap two digits of a blank cell pair in one row: still complete, now with conflicts.
        let mut broken = solution;
        let blank = (0..CELLS).find(|&c| puzzle.get(c) == 0).unwrap();
        let other = (1..=9u8).find(|&d| d != solution.get(blank)).unwrap();
        broken.set(blank, other).unwrap();
        assert!(!verified(&broken, &puzzle));
        assert!(conflict_count(&broken) >= 2);
        // A valid grid that ignores a given is not a solution of this puzzle.
        let relabelled =
            Augmentation { digits: [0, 2, 1, 3, 4, 5, 6, 7, 8, 9], ..Augmentation::IDENTITY }.apply(&solution);
        assert!(relabelled.is_solved());
        assert!(!verified(&relabelled, &puzzle));
    }

    #[test]
    fn selection_prefers_verified_then_confident() {
        let end = |verified, p| AttemptEnd { verified, halt_probability: p };
        assert_eq!(select(&[]), None);
        assert_eq!(select(&[end(false, 0.9), end(true, 0.1), end(true, 0.4)]), Some(2));
        assert_eq!(select(&[end(false, 0.2), end(false, 0.7), end(false, 0.7)]), Some(1));
        assert_eq!(select(&[end(true, 0.5), end(true, 0.5)]), Some(0));
    }

    #[test]
    fn default_attempts_follow_the_measured_speed() {
        let timing = |backend, batch1_ms, batch8_ms| NetCallTiming { backend, batch1_ms, batch8_ms };
        // The CPU path in headless Chromium here: 3.5 ms at batch 1, 27 ms at batch 8. A medium
        // solve (40 calls) at K = 8 is 1.1 s, at K = 16 2.2 s.
        assert_eq!(default_attempts(&timing(Backend::Cpu, 3.5, 27.0)), 8);
        // The same with another process on one core (about half the speed): K = 4.
        assert_eq!(default_attempts(&timing(Backend::Cpu, 7.0, 54.0)), 4);
        // SwiftShader, a GPU emulated on the CPU: 900 ms per call at any batch.
        assert_eq!(default_attempts(&timing(Backend::WebGpu, 900.0, 950.0)), 1);
        // A real GPU: a flat 1 ms.
        assert_eq!(default_attempts(&timing(Backend::WebGpu, 1.0, 1.05)), 64);
        assert_eq!(default_attempts(&timing(Backend::Cpu, f64::NAN, 1.0)), 1);
        assert_eq!(default_attempts(&timing(Backend::Cpu, 0.0, 0.0)), 1);
        assert_eq!(clamp_attempts(0), 1);
        assert_eq!(clamp_attempts(20), 16);
        assert_eq!(clamp_attempts(1000), 64);
    }

    #[test]
    fn the_adaptive_solve_grows_only_to_steps_that_fit_the_budget() {
        let timing = |backend, batch1_ms, batch8_ms| NetCallTiming { backend, batch1_ms, batch8_ms };
        // The CPU path here: a step at K = 16 is 0.54 s, at K = 32 1.08 s (over a tenth of 10 s).
        assert_eq!(adaptive_slot_limit(&timing(Backend::Cpu, 3.5, 27.0), 10_000.0), 16);
        assert_eq!(adaptive_slot_limit(&timing(Backend::Cpu, 3.5, 27.0), 60_000.0), 64);
        // SwiftShader: even K = 1 is 9 s a step; the solve keeps one slot.
        assert_eq!(adaptive_slot_limit(&timing(Backend::WebGpu, 900.0, 950.0), 10_000.0), 1);
        // A real GPU runs all of them.
        assert_eq!(adaptive_slot_limit(&timing(Backend::WebGpu, 1.0, 1.05), 10_000.0), 64);
        assert_eq!(adaptive_slot_limit(&timing(Backend::Cpu, f64::NAN, 1.0), 10_000.0), 1);
    }

    #[test]
    fn the_backend_that_runs_more_attempts_in_time_wins() {
        let cpu = NetCallTiming { backend: Backend::Cpu, batch1_ms: 3.5, batch8_ms: 27.0 };
        let swiftshader = NetCallTiming { backend: Backend::WebGpu, batch1_ms: 120.0, batch8_ms: 160.0 };
        let gpu = NetCallTiming { backend: Backend::WebGpu, batch1_ms: 1.0, batch8_ms: 1.1 };
        assert_eq!(choose_backend(&[cpu, swiftshader], None), Some((cpu, 8)));
        assert_eq!(choose_backend(&[swiftshader, cpu], None), Some((cpu, 8)));
        assert_eq!(choose_backend(&[cpu, gpu], None), Some((gpu, 64)));
        // K fixed by the link: the faster at that K. At K = 1 the CPU's 3.5 ms beats a GPU
        // whose every call costs 5 ms of launches; at K = 16 the GPU wins.
        let slow_gpu = NetCallTiming { backend: Backend::WebGpu, batch1_ms: 5.0, batch8_ms: 5.2 };
        assert_eq!(choose_backend(&[slow_gpu, cpu], Some(1)).map(|c| c.0.backend), Some(Backend::Cpu));
        assert_eq!(choose_backend(&[cpu, slow_gpu], Some(16)).map(|c| c.0.backend), Some(Backend::WebGpu));
        assert_eq!(choose_backend(&[cpu], Some(7)), Some((cpu, 4)));
        assert_eq!(choose_backend(&[], None), None);
    }

    #[test]
    fn kernels_are_warmed_ahead_only_where_a_step_is_quick() {
        let timing = |batch1_ms, batch8_ms| NetCallTiming { backend: Backend::WebGpu, batch1_ms, batch8_ms };
        // A real GPU: every K not warmed yet, smallest first.
        assert_eq!(attempts_to_warm_ahead(&timing(1.0, 1.1), &ATTEMPT_CHOICES, &[1, 8]), vec![4, 16, 32, 64]);
        // SwiftShader here (483 ms at batch 1, 2,706 at batch 8): a step at K = 4 is about 14 s.
        assert!(attempts_to_warm_ahead(&timing(483.0, 2706.0), &ATTEMPT_CHOICES, &[1, 8]).is_empty());
        // In between: 5 ms + 10 ms per row; a step at K = 32 takes 3.2 s, at K = 64 6.4 s.
        assert_eq!(attempts_to_warm_ahead(&timing(5.0, 75.0), &ATTEMPT_CHOICES, &[1, 8]), vec![4, 16, 32]);
        // Past the budget nothing larger is warmed, even if warmed before (no gaps).
        assert_eq!(attempts_to_warm_ahead(&timing(5.0, 75.0), &ATTEMPT_CHOICES, &[]), vec![1, 4, 8, 16, 32]);
        assert!(attempts_to_warm_ahead(&timing(f64::NAN, 1.0), &ATTEMPT_CHOICES, &[]).is_empty());
    }

    #[test]
    fn the_usual_k_is_warmed_first_after_a_switch_where_its_step_is_quick() {
        let timing = |batch1_ms, batch8_ms| NetCallTiming { backend: Backend::WebGpu, batch1_ms, batch8_ms };
        assert_eq!(attempts_to_warm_after_switch(&timing(1.0, 1.1), &ATTEMPT_CHOICES, &[1], 8), vec![8, 4, 16, 32, 64]);
        assert_eq!(attempts_to_warm_after_switch(&timing(5.0, 75.0), &ATTEMPT_CHOICES, &[1], 8), vec![8, 4, 16, 32]);
        // SwiftShader: a step at K = 8 takes about 27 s; K = 4 (about 14 s) is not warmed either.
        assert!(attempts_to_warm_after_switch(&timing(483.0, 2706.0), &ATTEMPT_CHOICES, &[1], 8).is_empty());
        // Between the two: K = 8's step (4.5 s) is over the budget, K = 4's (2.5 s) is not.
        assert_eq!(attempts_to_warm_after_switch(&timing(100.0, 450.0), &ATTEMPT_CHOICES, &[1], 8), vec![4]);
        assert!(
            attempts_to_warm_after_switch(&timing(1.0, 1.1), &ATTEMPT_CHOICES, &[1, 8, 4, 16, 32, 64], 8).is_empty()
        );
        // The maze page: its own choices, 4 usual.
        assert_eq!(attempts_to_warm_after_switch(&timing(1.0, 1.1), &MAZE_ATTEMPT_CHOICES, &[1], 4), vec![4, 2, 8]);
        assert_eq!(attempts_to_warm_after_switch(&timing(100.0, 500.0), &MAZE_ATTEMPT_CHOICES, &[1], 4), vec![4, 2]);
    }

    #[test]
    fn outcomes_read_honestly() {
        use crate::trace::Outcome;
        let won = Outcome { selected: 6, verified: true, step: 5, net_calls: 1120 };
        assert_eq!(
            describe_outcome(&won, 16),
            "Attempt 7 of 16 satisfied every rule at supervision step 5 (1,120 net calls)."
        );
        let lost = Outcome { selected: 2, verified: false, step: 16, net_calls: 2560 };
        assert_eq!(
            describe_outcome(&lost, 16),
            "No attempt satisfied every rule; showing the most confident one, attempt 3 of 16 (2,560 net calls)."
        );
        assert!(
            describe_outcome(&Outcome { selected: 0, verified: false, step: 16, net_calls: 160 }, 1)
                .contains("not a solution")
        );
        assert_eq!(group_thousands(0), "0");
        assert_eq!(group_thousands(1_234_567), "1,234,567");
    }

    #[test]
    fn noise_has_the_requested_spread_and_is_seeded() {
        let v = gaussian_noise(20_001, 0.5, 3);
        assert_eq!(v.len(), 20_001);
        assert_eq!(v, gaussian_noise(20_001, 0.5, 3));
        assert_ne!(v[..10], gaussian_noise(10, 0.5, 4)[..]);
        let mean = v.iter().map(|&x| x as f64).sum::<f64>() / v.len() as f64;
        let std = (v.iter().map(|&x| (x as f64 - mean).powi(2)).sum::<f64>() / v.len() as f64).sqrt();
        assert!(mean.abs() < 0.02 && (std - 0.5).abs() < 0.02, "{mean} {std}");
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(100))]
        #[test]
        fn steps_and_answers_map_back_to_the_user_orientation(seed in any::<u64>()) {
            let start = AttemptStart::new(1, seed, TransformMix::Full, false);
            let solution = Grid::parse(SOLUTION).unwrap();
            let transformed = start.transform.apply(&solution);
            prop_assert_eq!(answer_to_user(&transformed, &start.transform), solution);
            // A call recorded on the transformed grid, with a confidence, a change and a sketch
            // that name their cell, and all probability on the cell's digit.
            let confidence: Vec<f32> = (0..CELLS).map(|c| c as f32).collect();
            let mut probs = vec![0u8; CELLS * 9];
            for c in 0..CELLS {
                probs[c * 9 + transformed.get(c) as usize - 1] = 255;
            }
            let call = CallTrace {
                cycle: 0,
                kind: CallKind::Answer,
                digits: transformed.cells().to_vec(),
                dz: confidence.iter().map(|c| c * 2.0).collect(),
                confidence,
                z_norm: 1.5,
                y_norm: 2.5,
                halt_logit: 0.25,
                dz_mean: 3.0,
                dy_mean: 4.0,
                sketch: (0..CELLS).flat_map(|c| [(c % 100) as i8; SKETCH_DIMS]).collect(),
                sketch_scale: 0.5,
                probs,
            };
            let step = step_to_user(StepTrace { calls: vec![call], halt_logit: 0.25 }, &start.transform);
            prop_assert_eq!(&step.calls[0].digits[..], &solution.cells()[..]);
            // User cell c shows the confidence of the attempt cell it came from.
            let to_user = start.transform.source_cells();
            for (attempt_cell, &user_cell) in to_user.iter().enumerate() {
                let call = &step.calls[0];
                prop_assert_eq!(call.confidence[user_cell], attempt_cell as f32);
                prop_assert_eq!(call.dz[user_cell], attempt_cell as f32 * 2.0);
                prop_assert_eq!(call.sketch_of(user_cell).unwrap()[0], (attempt_cell % 100) as f32 * 0.5);
                // The user's solution digit carries all the probability.
                prop_assert_eq!(call.probability(user_cell, solution.get(user_cell)), Some(1.0));
                prop_assert_eq!(call.top3(user_cell).unwrap()[0], (solution.get(user_cell), 1.0));
            }
            prop_assert_eq!((step.calls[0].dz_mean, step.calls[0].dy_mean), (3.0, 4.0));
            prop_assert_eq!(step.calls[0].z_norm, 1.5);
            prop_assert_eq!(step.halt_logit, 0.25);
        }
    }
}

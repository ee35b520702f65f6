//! The latent detail of the trace: per-cell ‖Δz‖ against the full tensors, the PCA view, the
//! confidence series and the JSON round trip.

use burn::prelude::*;
use trm_sudoku::grid::{CELLS, Grid};
use trm_sudoku::inference::{InferenceConfig, solve_attempts_blocking, tokens};
use trm_sudoku::model::{Trm, TrmConfig};
use trm_sudoku::playback::{LatentPca, confidence_series, delta_series, latent_map};
use trm_sudoku::recursion::{Call, Observer, RecursionState, TraceRecorder};
use trm_sudoku::trace::{CallKind, SolveTrace};

const PUZZLE: &str = "4.....8.5.3..........7......2.....6.....8.4......1.......6.3.7.5..2.....1.4......";

/// Keeps every z (cells only) as plain numbers, and forwards to the recorder.
struct Both {
    recorder: TraceRecorder,
    zs: Vec<Vec<f32>>,
    prefix: usize,
}

impl Observer for Both {
    fn after_call(&mut self, model: &Trm, call: Call, batch: usize, y: &Tensor<2>, z: &Tensor<2>) {
        // Position-major `[L, B·D]`, batch 1 here: a row is one position's vector.
        let [l, columns] = z.dims();
        let cells = z.clone().slice([self.prefix..l, 0..columns]);
        self.zs.push(cells.into_data().convert::<f32>().try_into_vec().unwrap());
        self.recorder.after_call(model, call, batch, y, z);
    }
}

#[test]
fn recorded_changes_of_z_match_the_full_tensors() {
    let device = Device::flex();
    let model = TrmConfig::tiny().with_seed(5).init(&device);
    let puzzle = Grid::parse(PUZZLE).unwrap();
    let x = model.embed(tokens(&[puzzle], &device));
    let (y, z) = model.initial_state(1);
    let mut state = RecursionState { y, z };
    let d = model.hidden();
    let cells_of = |z: &Tensor<3>| -> Vec<f32> {
        let [b, l, d] = z.dims();
        z.clone().slice([0..b, model.prefix_len()..l, 0..d]).into_data().convert::<f32>().try_into_vec().unwrap()
    };
    let mut previous = cells_of(&state.z);
    for step in 0..2 {
        let recorder = TraceRecorder::new(&model, &state, step == 0);
        let mut both = Both { recorder, zs: Vec::new(), prefix: model.prefix_len() };
        state = model.supervision_step(&x, state, &mut both).state;
        let recorded = both.recorder.finish().read_blocking().unwrap().pop().unwrap();
        assert_eq!(recorded.calls.len(), both.zs.len());
        for (call, z) in recorded.calls.iter().zip(&both.zs) {
            let mut mean = 0.0f64;
            for cell in 0..CELLS {
                let expected =
                    (0..d).map(|i| (z[cell * d + i] - previous[cell * d + i]).powi(2) as f64).sum::<f64>().sqrt();
                assert!(
                    (call.dz[cell] as f64 - expected).abs() < 1e-4 * (1.0 + expected),
                    "cell {cell}: {} vs {expected}",
                    call.dz[cell]
                );
                mean += expected / CELLS as f64;
            }
            assert!((call.dz_mean as f64 - mean).abs() < 1e-4 * (1.0 + mean));
            // y moves only at answer updates.
            assert_eq!(call.dy_mean == 0.0, call.kind != CallKind::Answer, "{:?}", call.kind);
            assert_eq!(call.probs.is_empty(), call.kind != CallKind::Answer);
            previous = z.clone();
        }
    }
}

fn shipped() -> Trm {
    let root = std::env::var_os("CARGO_MANIFEST_DIR").unwrap_or_else(|| env!("CARGO_MANIFEST_DIR").into());
    trm_sudoku::weights::load(&std::path::Path::new(&root).join("assets/model.bpk"), &Device::flex()).unwrap().1
}

#[test]
fn latent_views_are_reproducible_finite_and_round_trip() {
    let model = shipped();
    let puzzle = Grid::parse(PUZZLE).unwrap();
    let config = InferenceConfig::new().with_max_steps(3).with_early_exit(false);
    let first = solve_attempts_blocking(&model, &puzzle, config.clone()).unwrap();
    let again = solve_attempts_blocking(&model, &puzzle, config).unwrap();
    let trace = &first.attempts[0].trace;
    assert_eq!(trace.call_count(), 30);

    // The PCA view: fitted once per solve, the same for the same puzzle, within [-1, 1].
    let pca = LatentPca::fit(trace).unwrap();
    assert_eq!(pca, LatentPca::fit(&again.attempts[0].trace).unwrap());
    let early = pca.project(trace, 0);
    let late = pca.project(trace, 29);
    assert_eq!(early.len(), CELLS);
    assert!(early.iter().chain(&late).all(|(a, b)| a.abs() <= 1.0 && b.abs() <= 1.0 && a.is_finite() && b.is_finite()));
    assert_ne!(early, late, "the colours move with the recursion");

    // ‖Δz‖ per call: finite, not constant; the latent map follows the cursor, and at an answer
    // update (which leaves z alone) shows the latent update before it.
    let deltas: Vec<f32> = delta_series(trace).into_iter().map(|(dz, _)| dz).collect();
    assert_eq!(deltas.len(), 30);
    assert!(deltas.iter().all(|v| v.is_finite() && *v >= 0.0));
    assert!(deltas.iter().any(|&v| (v - deltas[0]).abs() > 1e-3));
    assert_ne!(latent_map(trace, 1), latent_map(trace, 12));
    assert_eq!(latent_map(trace, 4), latent_map(trace, 3), "call 4 is an answer update");

    // Confidence of the final digit: one value per answer update (2 per step), in [0, 1].
    let confidence = confidence_series(trace, &puzzle, None);
    assert_eq!(confidence.len(), 6);
    assert!(confidence.iter().all(|p| (0.0..=1.0).contains(p)));
    let blank = (0..CELLS).find(|&c| puzzle.get(c) == 0).unwrap();
    assert_eq!(confidence_series(trace, &puzzle, Some(blank)).len(), 6);

    // The whole trace survives JSON (the CLI's --trace file, the worker protocol).
    let json = serde_json::to_string(&first).unwrap();
    let back: SolveTrace = serde_json::from_str(&json).unwrap();
    assert_eq!(back, first);
}

#[test]
fn a_batch_of_eight_reads_back_as_eight_single_traces() {
    let device = Device::flex();
    let model = TrmConfig::tiny().with_seed(8).init(&device);
    let mut generator = trm_sudoku::Generator::new(4);
    let puzzles: Vec<Grid> = (0..8).map(|_| generator.generate(trm_sudoku::Tier::Easy).puzzle).collect();
    let record = |batch: &[Grid]| {
        let x = model.embed(tokens(batch, &device));
        let (y, z) = model.initial_state(batch.len());
        let mut state = RecursionState { y, z };
        let mut steps = Vec::new();
        for step in 0..2 {
            let mut recorder = TraceRecorder::new(&model, &state, step == 0);
            state = model.supervision_step(&x, state, &mut recorder).state;
            steps.push(recorder.finish().read_blocking().unwrap());
        }
        steps
    };
    let together = record(&puzzles);
    for (i, puzzle) in puzzles.iter().enumerate() {
        let alone = record(std::slice::from_ref(puzzle));
        for step in 0..2 {
            let (a, b) = (&together[step][i], &alone[step][0]);
            assert_eq!(a.calls.len(), b.calls.len());
            assert!((a.halt_logit - b.halt_logit).abs() < 1e-4);
            for (x, y) in a.calls.iter().zip(&b.calls) {
                assert_eq!(x.digits, y.digits, "sample {i}, step {step}");
                assert_eq!(x.probs.len(), y.probs.len());
                assert!((x.z_norm - y.z_norm).abs() < 1e-4 && (x.dz_mean - y.dz_mean).abs() < 1e-4);
                assert!(x.dz.iter().zip(&y.dz).all(|(p, q)| (p - q).abs() < 1e-3));
            }
        }
    }
}

//! burn vs the PyTorch reference (tests/reference/trm_reference.py): one net call, one full
//! supervision step (logits, halting logit, state norms, and the carried second step), and the
//! losses, for the MLP and the attention token mixer. The goldens are committed; CI needs no
//! PyTorch. The reference computes in float64, burn in float32.

mod common;

use burn::prelude::*;
use serde::Deserialize;
use trm_sudoku::grid::Grid;
use trm_sudoku::inference::tokens;
use trm_sudoku::model::{Trm, TrmConfig};
use trm_sudoku::recursion::{NoObserver, RecursionState, mean_cell_norm};
use trm_sudoku::training::losses;

/// Absolute tolerance on normalised activations and norms.
const STATE_TOLERANCE: f32 = 1e-5;
/// Tolerance on logits and losses, relative to their largest magnitude.
const RELATIVE_TOLERANCE: f32 = 1e-5;

#[derive(Deserialize)]
struct Goldens {
    cases: Vec<Case>,
}

#[derive(Deserialize)]
struct Losses {
    total: f32,
    answer: f32,
    halt: f32,
}

#[derive(Deserialize)]
struct Case {
    name: String,
    config: TrmConfig,
    param_seed: u64,
    puzzles: Vec<String>,
    solutions: Vec<String>,
    embedding: Vec<f32>,
    net_call: Vec<f32>,
    logits: Vec<f32>,
    halt_logit: Vec<f32>,
    y_norm: Vec<f32>,
    z_norm: Vec<f32>,
    second_step_halt_logit: Vec<f32>,
    losses: Losses,
}

fn values<const D: usize>(t: Tensor<D>) -> Vec<f32> {
    t.into_data().convert::<f32>().try_to_vec::<f32>().expect("float data")
}

/// Largest absolute difference, checked against `tolerance`.
fn assert_close(what: &str, case: &str, got: &[f32], want: &[f32], tolerance: f32) -> f32 {
    assert_eq!(got.len(), want.len(), "{case}/{what}: length");
    let diff = got.iter().zip(want).map(|(a, b)| (a - b).abs()).fold(0.0f32, f32::max);
    println!("{case}/{what}: max abs diff {diff:.2e} over {} values (tolerance {tolerance:.1e})", got.len());
    assert!(diff <= tolerance, "{case}/{what}: max abs diff {diff} > {tolerance}");
    diff
}

fn relative_tolerance(want: &[f32]) -> f32 {
    RELATIVE_TOLERANCE * want.iter().fold(1.0f32, |m, v| m.max(v.abs()))
}

fn model(case: &Case, device: &Device) -> Trm {
    common::reference_model(&case.config, case.param_seed, device)
}

#[test]
fn burn_matches_the_pytorch_reference() {
    let goldens: Goldens = serde_json::from_str(include_str!("reference/goldens.json")).expect("goldens.json");
    assert_eq!(goldens.cases.len(), 2);
    let device = Device::flex();
    for case in &goldens.cases {
        let model = model(case, &device);
        let puzzles: Vec<Grid> = case.puzzles.iter().map(|p| Grid::parse(p).unwrap()).collect();
        let solutions: Vec<Grid> = case.solutions.iter().map(|p| Grid::parse(p).unwrap()).collect();
        let batch = puzzles.len();

        let x = model.embed(tokens(&puzzles, &device));
        assert_close("embedding", &case.name, &values(x.clone()), &case.embedding, relative_tolerance(&case.embedding));

        let (y0, z0) = model.initial_state(batch);
        let z1 = model.net(z0.clone(), y0.clone() + x.clone());
        assert_close("net call", &case.name, &values(z1), &case.net_call, STATE_TOLERANCE);

        let out = model.supervision_step(&x, RecursionState { y: y0, z: z0 }, &mut NoObserver);
        assert_close("logits", &case.name, &values(out.logits.clone()), &case.logits, relative_tolerance(&case.logits));
        assert_close(
            "halt logit",
            &case.name,
            &values(out.halt_logit.clone()),
            &case.halt_logit,
            relative_tolerance(&case.halt_logit),
        );
        let prefix = case.config.prefix_len;
        assert_close(
            "‖y‖",
            &case.name,
            &values(mean_cell_norm(&out.state.y, prefix)),
            &case.y_norm,
            STATE_TOLERANCE * 10.0,
        );
        assert_close(
            "‖z‖",
            &case.name,
            &values(mean_cell_norm(&out.state.z, prefix)),
            &case.z_norm,
            STATE_TOLERANCE * 10.0,
        );

        let l = losses(out.logits, out.halt_logit, tokens(&solutions, &device), 0.5);
        let got = [values(l.total)[0], values(l.answer)[0], values(l.halt)[0]];
        let want = [case.losses.total, case.losses.answer, case.losses.halt];
        assert_close("losses", &case.name, &got, &want, relative_tolerance(&want));

        let second = model.supervision_step(&x, out.state, &mut NoObserver);
        assert_close(
            "second-step halt logit",
            &case.name,
            &values(second.halt_logit),
            &case.second_step_halt_logit,
            relative_tolerance(&case.second_step_halt_logit),
        );
    }
}

/// The parity also holds through autodiff: the tracked forward gives the same numbers.
#[test]
fn the_tracked_forward_matches_too() {
    let goldens: Goldens = serde_json::from_str(include_str!("reference/goldens.json")).expect("goldens.json");
    let case = &goldens.cases[0];
    let device = Device::flex().autodiff();
    let model = model(case, &device);
    let puzzles: Vec<Grid> = case.puzzles.iter().map(|p| Grid::parse(p).unwrap()).collect();
    let x = model.embed(tokens(&puzzles, &device));
    let (y0, z0) = model.initial_state(puzzles.len());
    let out = model.supervision_step(&x, RecursionState { y: y0, z: z0 }, &mut NoObserver);
    assert_close("tracked logits", &case.name, &values(out.logits), &case.logits, relative_tolerance(&case.logits));
}

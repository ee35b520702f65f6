//! Gradients against the PyTorch reference (tests/reference/grad_reference.py): the gradient of
//! the total loss for every trained parameter, for one supervision step of the tiny and browser
//! presets (the first T-1 cycles untracked, as in the paper's code), and for a second step that
//! starts from the first one's state (no gradient may flow through the carry). Each gradient is
//! compared through its norm, its first values and 16 seeded projections, at relative 1e-4.

mod common;

use burn::module::{Module, ModuleVisitor, Param};
use burn::optim::GradientsParams;
use burn::prelude::*;
use serde::Deserialize;
use std::collections::BTreeMap;
use trm_sudoku::grid::Grid;
use trm_sudoku::inference::tokens;
use trm_sudoku::model::{Trm, TrmConfig};
use trm_sudoku::recursion::{NoObserver, RecursionState};
use trm_sudoku::training::losses;

const RELATIVE: f64 = 1e-4;

#[derive(Deserialize)]
struct Goldens {
    projections: usize,
    projection_seed: u64,
    puzzles: Vec<String>,
    solutions: Vec<String>,
    cases: Vec<Case>,
}

#[derive(Deserialize)]
struct Case {
    name: String,
    config: TrmConfig,
    param_seed: u64,
    first_step: Step,
    second_step: Step,
}

#[derive(Deserialize)]
struct Step {
    loss: f64,
    gradients: BTreeMap<String, Summary>,
}

#[derive(Deserialize)]
struct Summary {
    norm: f64,
    first: Vec<f64>,
    projections: Vec<f64>,
}

/// Every float parameter's gradient by path (parameters without one are left out).
fn gradients_by_path(model: &Trm, grads: &GradientsParams) -> BTreeMap<String, Vec<f32>> {
    struct Collect<'a> {
        stack: Vec<String>,
        grads: &'a GradientsParams,
        out: BTreeMap<String, Vec<f32>>,
    }
    impl ModuleVisitor for Collect<'_> {
        fn enter_module(&mut self, name: &str, _: &str) {
            self.stack.push(name.to_string());
        }
        fn exit_module(&mut self, _: &str, _: &str) {
            self.stack.pop();
        }
        fn visit_float<const D: usize>(&mut self, param: &Param<Tensor<D>>) {
            if let Some(g) = self.grads.get::<D>(param.id) {
                let values = g.into_data().convert::<f32>().try_into_vec::<f32>().unwrap();
                self.out.insert(self.stack.join("."), values);
            }
        }
    }
    let mut collect = Collect { stack: Vec::new(), grads, out: BTreeMap::new() };
    model.visit(&mut collect);
    collect.out
}

fn compare(case: &str, step: &str, got: &BTreeMap<String, Vec<f32>>, want: &Step, goldens: &Goldens) {
    let paths: Vec<&String> = want.gradients.keys().collect();
    assert_eq!(got.keys().collect::<Vec<_>>(), paths, "{case}/{step}: which parameters get gradients");
    for (path, summary) in &want.gradients {
        let g: Vec<f64> = got[path].iter().map(|&v| v as f64).collect();
        let norm = g.iter().map(|v| v * v).sum::<f64>().sqrt();
        assert!(
            (norm - summary.norm).abs() <= RELATIVE * summary.norm.max(1e-12),
            "{case}/{step}/{path}: norm {norm} vs {}",
            summary.norm
        );
        for (i, (&a, &b)) in g.iter().zip(&summary.first).enumerate() {
            assert!((a - b).abs() <= RELATIVE * summary.norm.max(1e-12), "{case}/{step}/{path}[{i}]: {a} vs {b}");
        }
        for (i, &want_projection) in summary.projections.iter().enumerate().take(goldens.projections) {
            let v =
                common::xorshift_values(common::fnv1a(&format!("{path}#{i}")) ^ goldens.projection_seed, g.len(), 1.0);
            let projection: f64 = g.iter().zip(&v).map(|(a, &b)| a * b as f64).sum();
            // The natural scale of rounding in this sum.
            let scale = g.iter().zip(&v).map(|(a, &b)| (a * b as f64).powi(2)).sum::<f64>().sqrt();
            assert!(
                (projection - want_projection).abs() <= RELATIVE * scale.max(1e-12),
                "{case}/{step}/{path}: projection {i} {projection} vs {want_projection}"
            );
        }
        println!("{case}/{step}/{path}: {} values, norm {norm:.6e}", g.len());
    }
}

fn loss_and_gradients(
    model: &Trm,
    x: &Tensor<3>,
    state: RecursionState,
    labels: Tensor<2, Int>,
) -> (f64, BTreeMap<String, Vec<f32>>, RecursionState) {
    let out = model.supervision_step(x, state, &mut NoObserver);
    let l = losses(out.logits, out.halt_logit, labels, 0.5);
    let loss = l.total.clone().into_data().convert::<f64>().try_into_vec::<f64>().unwrap()[0];
    let grads = GradientsParams::from_grads(l.total.backward(), model);
    (loss, gradients_by_path(model, &grads), out.state)
}

#[test]
fn gradients_match_the_pytorch_reference() {
    let goldens: Goldens = serde_json::from_str(include_str!("reference/gradients.json")).expect("gradients.json");
    assert_eq!(goldens.cases.len(), 2);
    let device = Device::flex().autodiff();
    let puzzles: Vec<Grid> = goldens.puzzles.iter().map(|p| Grid::parse(p).unwrap()).collect();
    let solutions: Vec<Grid> = goldens.solutions.iter().map(|p| Grid::parse(p).unwrap()).collect();
    for case in &goldens.cases {
        let model = common::reference_model(&case.config, case.param_seed, &device);
        let labels = tokens(&solutions, &device);
        let (y, z) = model.initial_state(puzzles.len());

        let x = model.embed(tokens(&puzzles, &device));
        let (loss, first, carried) = loss_and_gradients(&model, &x, RecursionState { y, z }, labels.clone());
        assert!((loss - case.first_step.loss).abs() <= RELATIVE * case.first_step.loss, "{}: loss {loss}", case.name);
        compare(&case.name, "first step", &first, &case.first_step, &goldens);

        // The second step from the carried state: its gradient is that of its own loss only.
        let x = model.embed(tokens(&puzzles, &device));
        let (loss, second, _) = loss_and_gradients(&model, &x, carried, labels);
        assert!((loss - case.second_step.loss).abs() <= RELATIVE * case.second_step.loss, "{}: loss {loss}", case.name);
        compare(&case.name, "second step", &second, &case.second_step, &goldens);
    }
}

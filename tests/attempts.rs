//! Parallel attempts with the shipped weights: K = 1 is the single solve as it always was, K = 16
//! rescues a puzzle the first attempt fails, an answer that breaks a rule says so, and the
//! adaptive solve replaces an attempt that halts on a wrong answer, escalates, and gives up on time.

use burn::prelude::*;
use trm_sudoku::attempts::describe_adaptive;
use trm_sudoku::grid::Grid;
use trm_sudoku::inference::{
    InferenceConfig, Session, solve_adaptive, solve_attempts_blocking, solve_traced_blocking, tokens,
};
use trm_sudoku::model::Trm;
use trm_sudoku::recursion::block_on;
use trm_sudoku::recursion::{RecursionState, TraceRecorder};
use trm_sudoku::trace::RecursionTrace;
use trm_sudoku::weights;

fn shipped() -> Trm {
    let root = std::env::var_os("CARGO_MANIFEST_DIR").unwrap_or_else(|| env!("CARGO_MANIFEST_DIR").into());
    let path = std::path::Path::new(&root).join("assets/model.bpk");
    weights::load(&path, &Device::flex()).unwrap().1
}

/// A generated hard puzzle (`trm generate --tier hard --seed 4242`, the 19th) that attempt 0 of
/// the shipped model does not solve, while attempt 11 of 16 (index 10) does, at step 4. Found with
/// `trm solve --attempts 1` and `--attempts 16` over those puzzles; re-find after shipping new
/// weights.
const RESCUED: &str = "9..2...8.......16..35.1...9..617....2.4......1.3.5.4......2.9.....4.58....2.3...4";
const RESCUER: usize = 10;
const RESCUE_STEP: usize = 4;

/// The single-attempt solve as the page ran it before parallel attempts existed: one recorder
/// per supervision step, stop when the halting head says so (with early exit on).
fn reference_trace(model: &Trm, puzzle: &Grid, max_steps: usize, early_exit: bool) -> RecursionTrace {
    let device = Device::flex();
    let x = model.embed(tokens(&[*puzzle], &device));
    let (y, z) = model.initial_state(1);
    let mut state = RecursionState { y, z };
    let mut trace =
        RecursionTrace { puzzle: puzzle.to_line(), latent_updates: 4, cycles: 2, steps: Vec::new(), halted_at: None };
    for step in 0..max_steps {
        let mut recorder = TraceRecorder::new(model, &state, step == 0);
        let output = model.supervision_step(&x, state, &mut recorder);
        state = output.state;
        let recorded = recorder.finish().read_blocking().unwrap().pop().unwrap();
        if trace.halted_at.is_none() && recorded.halt_probability() >= 0.5 {
            trace.halted_at = Some(step + 1);
        }
        trace.steps.push(recorded);
        if early_exit && trace.halted_at.is_some() {
            break;
        }
    }
    trace
}

#[test]
fn one_attempt_reproduces_the_single_solve_exactly() {
    let model = shipped();
    let puzzle = Grid::parse(RESCUED).unwrap();
    for early_exit in [true, false] {
        let config = InferenceConfig::new().with_max_steps(6).with_early_exit(early_exit);
        let traced = solve_traced_blocking(&model, &puzzle, config).unwrap();
        assert_eq!(traced, reference_trace(&model, &puzzle, 6, early_exit), "early exit {early_exit}");
    }
}

#[test]
fn sixteen_attempts_rescue_a_puzzle_the_first_attempt_fails() {
    let model = shipped();
    let puzzle = Grid::parse(RESCUED).unwrap();
    let (solution, _) = trm_sudoku::solve_unique(&puzzle).unwrap();

    let single = solve_attempts_blocking(&model, &puzzle, InferenceConfig::new()).unwrap();
    let outcome = single.outcome.unwrap();
    assert_eq!(outcome.selected, 0);
    assert!(!outcome.verified, "attempt 0 alone is labelled unverified");
    assert_ne!(single.final_answer(), Some(solution));

    let sixteen = solve_attempts_blocking(&model, &puzzle, InferenceConfig::new().with_attempts(16)).unwrap();
    let outcome = sixteen.outcome.unwrap();
    assert!(outcome.verified);
    assert_eq!((outcome.selected, outcome.step), (RESCUER, RESCUE_STEP));
    assert_eq!(sixteen.final_answer(), Some(solution));
    // The solve stopped at that step: no attempt ran further, and the winner's recorded answer
    // is in the user's orientation.
    assert!(sixteen.attempts.iter().all(|a| a.trace.steps.len() <= RESCUE_STEP));
    let summaries = sixteen.attempts[RESCUER].step_summaries();
    assert!(summaries[RESCUE_STEP - 1].verified && summaries[RESCUE_STEP - 1].conflicts == 0);
    assert_eq!(outcome.net_calls, 16 * RESCUE_STEP * 10);
    // Attempt 0 of the batch is the single solve, step for step (the batch size may change the
    // order of float sums, so norms agree closely rather than bit for bit).
    for (a, b) in sixteen.attempts[0].trace.steps.iter().zip(&single.attempts[0].trace.steps) {
        for (x, y) in a.calls.iter().zip(&b.calls) {
            assert_eq!(x.digits, y.digits);
            assert!((x.z_norm - y.z_norm).abs() < 1e-3 && (x.halt_logit - y.halt_logit).abs() < 1e-3);
        }
    }
}

#[test]
fn an_answer_that_breaks_a_rule_is_labelled_unverified() {
    let model = shipped();
    // A hard public puzzle (norvig_top95) that this small model does not solve in 4 steps.
    let puzzle =
        Grid::parse("4.....8.5.3..........7......2.....6.....8.4......1.......6.3.7.5..2.....1.4......").unwrap();
    let config = InferenceConfig::new().with_max_steps(4).with_attempts(2);
    let solved = solve_attempts_blocking(&model, &puzzle, config).unwrap();
    let outcome = solved.outcome.unwrap();
    assert!(!outcome.verified);
    let answer = solved.final_answer().unwrap();
    assert!(answer.check_solves(&puzzle).is_err());
    // The selected attempt is the more confident one at its last step.
    let last_p = |i: usize| solved.attempts[i].trace.steps.last().unwrap().halt_probability();
    assert!(last_p(outcome.selected) >= last_p(1 - outcome.selected));
}

/// A generated extreme puzzle (`trm generate --tier extreme --count 40 --seed 11`) on which the
/// shipped model's attempt 0 halts at step 7 on an answer that breaks a rule; adaptively, its
/// replacement (attempt 2 of 2, in the same batch slot) satisfies every rule at its step 2.
/// Found with `trm solve --adaptive` over those puzzles; re-find after shipping new weights.
const REPLACED: &str = "...28..3..7..3..5......9...9....514.....7.8...3.........8.932...6......135.8....7";

#[test]
fn an_attempt_that_halts_on_a_wrong_answer_is_replaced_and_its_replacement_wins() {
    let model = shipped();
    let puzzle = Grid::parse(REPLACED).unwrap();
    let calls = model.calls_per_step();

    // Fixed K = 1: the halting head stops the only attempt at step 7, on a wrong answer.
    let fixed = solve_attempts_blocking(&model, &puzzle, InferenceConfig::new()).unwrap();
    let outcome = fixed.outcome.unwrap();
    assert_eq!((outcome.selected, outcome.verified, outcome.step), (0, false, 7));

    // Adaptive: attempt 0 halts there too and hands its slot to attempt 1, which wins.
    let mut session = Session::new(model.clone(), puzzle, InferenceConfig::new().with_adaptive(true));
    let mut slots = Vec::new();
    while !session.finished() {
        block_on(session.step()).unwrap();
        slots.push(session.slots());
    }
    assert!(slots.iter().all(|&s| s == 1), "the replacement took the same slot: {slots:?}");
    let solved = session.into_solve_trace();
    let outcome = solved.outcome.unwrap();
    assert_eq!(solved.attempts.len(), 2);
    assert_eq!(solved.attempts[0].trace.halted_at, Some(7));
    assert_eq!((outcome.selected, outcome.verified, outcome.step), (1, true, 2));
    assert_eq!(outcome.net_calls, (7 + 2) * calls);
    assert_eq!(solved.final_answer(), Some(trm_sudoku::solve_unique(&puzzle).unwrap().0));
    assert_eq!(
        describe_adaptive(&solved, 1, None),
        format!(
            "1 of 2 attempts halted on answers that broke a rule; 1 more attempt; attempt 2 of 2 satisfied every rule at its step 2 ({} net calls).",
            9 * calls
        )
    );
    // The replacement is attempt 1 of the plan: the same steps as attempt 1 of a fixed K = 2
    // solve that runs without stopping.
    let both = solve_attempts_blocking(
        &model,
        &puzzle,
        InferenceConfig::new().with_attempts(2).with_early_exit(false).with_max_steps(2),
    )
    .unwrap();
    let (replacement, reference) = (&solved.attempts[1], &both.attempts[1]);
    assert_eq!(replacement.start, reference.start);
    for (a, b) in replacement.trace.steps.iter().zip(&reference.trace.steps) {
        assert_eq!(a.answer(&puzzle), b.answer(&puzzle));
        assert!((a.halt_logit - b.halt_logit).abs() < 1e-3);
    }
}

#[test]
fn the_time_budget_ends_an_adaptive_solve_unverified_and_the_story_says_so() {
    let model = shipped();
    let puzzle = Grid::parse(RESCUED).unwrap();
    // A zero budget lets one supervision step run, then gives up.
    let (solved, out_of_time) = block_on(solve_adaptive(&model, &puzzle, InferenceConfig::new(), 0.0, || 0.0)).unwrap();
    assert!(out_of_time);
    let outcome = solved.outcome.unwrap();
    assert!(!outcome.verified);
    assert_eq!(outcome.net_calls, model.calls_per_step());
    assert_eq!(
        describe_adaptive(&solved, 1, Some(0.5)),
        format!(
            "No answer satisfied every rule within 0.5 s; showing the most confident, attempt 1 of 1 ({} net calls).",
            model.calls_per_step()
        )
    );
}

#[test]
fn giving_up_during_escalation_ends_the_solve_at_once() {
    let model = shipped();
    let puzzle = Grid::parse(RESCUED).unwrap();
    let mut session = Session::new(model, puzzle, InferenceConfig::new().with_adaptive(true));
    // Attempt 0 does not solve it in the first stage (16 steps): the slots grow to 4.
    while session.slots() < 4 {
        assert!(!session.finished(), "solved before escalating");
        block_on(session.step()).unwrap();
    }
    assert_eq!(session.step_budget(), 32);
    let steps = session.steps_run();
    session.give_up();
    assert!(session.finished());
    assert!(block_on(session.step()).unwrap().is_empty(), "a step ran after giving up");
    assert_eq!(session.steps_run(), steps);
    assert!(!session.solve_trace().outcome.unwrap().verified);
}

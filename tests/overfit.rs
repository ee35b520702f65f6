//! Training works end to end: deep-supervision steps of the tiny preset on a small fixed set
//! of real puzzles (30 blanks each) drive the loss below 5% of its start and then solve that set
//! exactly, givens included (the raw prediction of every cell is scored); a checkpoint resumes
//! the run exactly.

use burn::prelude::*;
use trm_sudoku::data::DataSource;
use trm_sudoku::generator::{Generator, Tier};
use trm_sudoku::grid::Grid;
use trm_sudoku::inference::tokens;
use trm_sudoku::model::{Trm, TrmConfig};
use trm_sudoku::puzzles::Example;
use trm_sudoku::recursion::{NoObserver, RecursionState, digits_and_confidence};
use trm_sudoku::training::{Trainer, TrainingConfig};

fn fixed_set(blanks: usize) -> Vec<Example> {
    let mut generator = Generator::new(11);
    (0..4)
        .map(|_| {
            let p = generator.generate_with_blanks(Tier::Easy, blanks);
            assert_eq!(81 - p.puzzle.givens(), blanks);
            Example { puzzle: p.puzzle, solution: p.solution }
        })
        .collect()
}

/// The model's own digit for every cell after `steps` supervision steps: givens are not put back.
fn raw_answers(model: &Trm, puzzles: &[Grid], steps: usize) -> Vec<Grid> {
    let device = model.token_embedding.val().device();
    let x = model.embed(tokens(puzzles, &device));
    let (y, z) = model.initial_state(puzzles.len());
    let mut state = RecursionState { y, z };
    let mut logits = None;
    for _ in 0..steps {
        let out = model.supervision_step(&x, state, &mut NoObserver);
        state = out.state;
        logits = Some(out.logits);
    }
    let (digits, _) = digits_and_confidence(logits.unwrap());
    let digits: Vec<i64> = digits.into_data().convert::<i64>().try_into_vec().unwrap();
    digits
        .chunks(81)
        .map(|d| {
            let mut cells = [0u8; 81];
            for (c, &v) in cells.iter_mut().zip(d) {
                *c = v as u8;
            }
            Grid::from_cells(cells).unwrap()
        })
        .collect()
}

fn config(steps: usize) -> TrainingConfig {
    TrainingConfig::new(TrmConfig::tiny().with_seed(3), DataSource::Files { paths: vec!["fixed".into()] })
        .with_augment(false)
        .with_batch_size(4)
        .with_steps(steps)
        .with_learning_rate(3e-3)
        .with_warmup_steps(10)
        .with_weight_decay(0.0)
        .with_ema_decay(0.8)
        .with_seed(5)
}

#[test]
fn overfits_a_small_set_and_solves_it() {
    let set = fixed_set(30);
    let device = Device::flex();
    let mut trainer = Trainer::new(config(OVERFIT_STEPS), vec![set.clone()], &device).unwrap();
    let mut losses = Vec::new();
    while !trainer.done() {
        losses.push(trainer.train_step_blocking().unwrap().loss);
    }
    let first: f32 = losses[..20].iter().sum::<f32>() / 20.0;
    let last: f32 = losses[losses.len() - 20..].iter().sum::<f32>() / 20.0;
    println!("mean loss over the first 20 steps {first:.4}, last 20 steps {last:.4}");
    assert!(last < first * 0.05, "loss went from {first} to {last}");

    let puzzles: Vec<Grid> = set.iter().map(|e| e.puzzle).collect();
    let answers = raw_answers(trainer.ema(), &puzzles, 4);
    let solved = answers.iter().zip(&set).filter(|(a, e)| **a == e.solution).count();
    println!("solved {solved}/{} of the training set, every cell predicted", set.len());
    assert_eq!(solved, set.len());
}

/// Enough steps for the tiny preset to learn 4 puzzles with 30 blanks each.
const OVERFIT_STEPS: usize = 600;

#[test]
fn checkpoints_resume_exactly() {
    let set = fixed_set(6);
    let device = Device::flex();
    let dir = tempfile::tempdir().unwrap();

    let mut straight = Trainer::new(config(6), vec![set.clone()], &device).unwrap();
    let mut straight_metrics = Vec::new();
    while !straight.done() {
        straight_metrics.push(straight.train_step_blocking().unwrap());
    }

    let mut first = Trainer::new(config(6), vec![set.clone()], &device).unwrap();
    for _ in 0..3 {
        first.train_step_blocking().unwrap();
    }
    trm_sudoku::checkpoint::save(&first, dir.path()).unwrap();
    drop(first);
    let mut resumed = trm_sudoku::checkpoint::load(dir.path(), vec![set], &device).unwrap();
    assert_eq!(resumed.step_count(), 3);
    let mut resumed_metrics = Vec::new();
    while !resumed.done() {
        resumed_metrics.push(resumed.train_step_blocking().unwrap());
    }
    for (a, b) in straight_metrics[3..].iter().zip(&resumed_metrics) {
        assert_eq!(a.step, b.step);
        assert!((a.loss - b.loss).abs() <= 1e-5 * a.loss.abs().max(1.0), "step {}: {} vs {}", a.step, a.loss, b.loss);
    }
    let weights = |t: &Trainer| -> Vec<f32> {
        t.ema().output_head.weight.val().into_data().convert::<f32>().try_to_vec::<f32>().unwrap()
    };
    let (a, b) = (weights(&straight), weights(&resumed));
    let diff = a.iter().zip(&b).map(|(x, y)| (x - y).abs()).fold(0.0f32, f32::max);
    assert!(diff <= 1e-5, "EMA weights differ by {diff}");
}

#[test]
fn a_checkpoint_without_its_carried_states_restarts_every_slot() {
    let set = fixed_set(6);
    let device = Device::flex();
    let dir = tempfile::tempdir().unwrap();
    let mut first = Trainer::new(config(6), vec![set.clone()], &device).unwrap();
    for _ in 0..3 {
        first.train_step_blocking().unwrap();
    }
    trm_sudoku::checkpoint::save(&first, dir.path()).unwrap();
    let saved_slots = first.parts().3.slots;

    // With its carry, a checkpoint resumes every slot mid-puzzle where it was.
    let kept = trm_sudoku::checkpoint::load(dir.path(), vec![set.clone()], &device).unwrap();
    let kept_slots = kept.parts().3.slots;
    assert!(kept_slots.iter().zip(&saved_slots).all(|(a, b)| a.steps == b.steps && a.puzzle == b.puzzle));

    // Without it (a large-batch GPU leg's carry is not kept), every slot starts afresh.
    std::fs::remove_file(dir.path().join("carry.bpk")).unwrap();
    let mut resumed = trm_sudoku::checkpoint::load(dir.path(), vec![set], &device).unwrap();
    assert_eq!(resumed.step_count(), 3);
    assert!(resumed.parts().3.slots.iter().all(|s| s.halted && s.steps == 0 && s.puzzle.is_empty()));
    let next = resumed.train_step_blocking().unwrap();
    assert_eq!(next.step, 4);
    assert!(resumed.parts().3.slots.iter().all(|s| s.steps == 1 && !s.puzzle.is_empty()));

    // Without AdamW's state (the committed checkpoint's policy), it resumes with fresh moments:
    // the same weights and step, and it trains on.
    std::fs::remove_file(dir.path().join("optimizer.bpk")).unwrap();
    let mut fresh = trm_sudoku::checkpoint::load(dir.path(), vec![fixed_set(6)], &device).unwrap();
    assert_eq!(fresh.step_count(), 3);
    let head = |t: &Trainer| -> Vec<f32> {
        t.ema().output_head.weight.val().into_data().convert::<f32>().try_to_vec::<f32>().unwrap()
    };
    assert_eq!(head(&fresh), head(&kept));
    let step = fresh.train_step_blocking().unwrap();
    assert_eq!(step.step, 4);
    assert!(step.loss.is_finite());
}

/// A maze run resumes exactly too: its slots hold maze lines (with the path marked in the
/// solutions), which read back as the same tokens, so the resumed steps equal the straight run's.
#[test]
fn a_maze_run_resumes_exactly_from_its_checkpoint() {
    use trm_sudoku::model::TokenMixer;
    use trm_sudoku::task::Task;
    let maze_config = |steps| {
        let model = TrmConfig::tiny().with_mixer(TokenMixer::Attention).with_heads(2).with_seed(4);
        TrainingConfig::new(model.for_task(Task::Maze { side: 9 }), DataSource::mazes(9))
            .with_batch_size(3)
            .with_steps(steps)
            .with_learning_rate(3e-3)
            .with_warmup_steps(2)
            .with_seed(6)
    };
    let device = Device::flex();
    let dir = tempfile::tempdir().unwrap();
    let mut straight = Trainer::new(maze_config(5), vec![], &device).unwrap();
    let straight_losses: Vec<f32> = (0..5).map(|_| straight.train_step_blocking().unwrap().loss).collect();

    let mut first = Trainer::new(maze_config(5), vec![], &device).unwrap();
    for _ in 0..2 {
        first.train_step_blocking().unwrap();
    }
    let slots = first.parts().3.slots;
    assert!(slots.iter().all(|s| s.puzzle.len() == 81 && s.solution.contains('o')), "maze lines in the slots");
    trm_sudoku::checkpoint::save(&first, dir.path()).unwrap();
    let mut resumed = trm_sudoku::checkpoint::load(dir.path(), vec![], &device).unwrap();
    assert_eq!(resumed.config.model.task(), Task::Maze { side: 9 });
    for expected in &straight_losses[2..] {
        let loss = resumed.train_step_blocking().unwrap().loss;
        assert!((loss - expected).abs() <= 1e-5 * expected.abs().max(1.0), "{loss} vs {expected}");
    }
    // A Sudoku data source for a maze model is refused by name.
    let mixed = TrainingConfig { data: DataSource::default_curriculum(), ..maze_config(1) };
    let err = Trainer::new(mixed, vec![], &device).err().map(|e| e.to_string()).unwrap_or_default();
    assert!(err.contains("the model reads maze-9 but the data source gives sudoku"), "{err}");
}

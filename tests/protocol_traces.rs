//! The page protocol carrying real recorded solves (the protocol crate has no model to record
//! one with).

use burn::prelude::Device;
use serde::{Deserialize, Serialize};
use trm_sudoku::grid::Grid;
use trm_sudoku::inference::{InferenceConfig, solve_attempts_blocking};
use trm_sudoku::model::TrmConfig;
use trm_sudoku::protocol::*;
use trm_sudoku::trace::{AttemptTrace, SolveTrace};

const PUZZLE: &str = "..3.2.6..9..3.5..1..18.64....81.29..7.......8..67.82....26.95..8..2.3..9..5.1.3..";

/// A real recorded solve: 2 attempts, 2 supervision steps of the tiny model.
fn recorded() -> SolveTrace {
    let model = TrmConfig::tiny().init(&Device::flex());
    let config = InferenceConfig::new().with_max_steps(2).with_early_exit(false).with_attempts(2);
    solve_attempts_blocking(&model, &Grid::parse(PUZZLE).unwrap(), config).unwrap()
}

fn round_trip<T: Serialize + for<'de> Deserialize<'de> + PartialEq + std::fmt::Debug>(message: T) {
    let bytes = encode(&message).unwrap();
    assert_eq!(decode::<T>(&bytes).unwrap(), message);
}

#[test]
fn every_event_round_trips_with_a_real_trace() {
    let trace = recorded();
    assert_eq!(trace.attempts.len(), 2);
    assert_eq!(trace.attempts[1].trace.steps.len(), 2);
    let step = trace.attempts[1].trace.steps[1].clone();
    assert!(!step.calls.is_empty() && !step.calls[0].dz.is_empty(), "the trace carries its per-cell data");
    let events = vec![
        Event::Listening,
        Event::Backend { backend: Backend::Cpu, note: Some("no WebGPU".into()) },
        Event::Backend { backend: Backend::WebGpu, note: None },
        Event::Status(EngineStatus::Downloading { loaded: 10, total: Some(20) }),
        Event::Status(EngineStatus::Failed("bad weights".into())),
        Event::Measured {
            timing: NetCallTiming { backend: Backend::WebGpu, batch1_ms: 0.8, batch8_ms: 0.9 },
            warmup_ms: Some(812.0),
        },
        Event::Measured {
            timing: NetCallTiming { backend: Backend::Cpu, batch1_ms: 3.5, batch8_ms: 27.0 },
            warmup_ms: None,
        },
        Event::KernelsReady { attempts: vec![1, 4, 64], warmup_ms: 2_500.0 },
        Event::UsingFineTuned(true),
        Event::SavedWeightsRejected,
        Event::Notice { error: true, text: "é ✓".into() },
        Event::SolveStarted { trace: trace.clone(), classical_us: Some(3.5) },
        Event::SolveProgress {
            steps: vec![AttemptProgress { attempt: 1, step, halted_at: Some(2) }],
            joined: vec![AttemptTrace { joined_at: 7, ..trace.attempts[1].clone() }],
            outcome: trace.outcome,
            ms_per_call: 1.25,
            steps_used: 2,
        },
        Event::SolveFinished { total_ms: 40.0, stopped_by: Some(StopReason::Verified) },
        Event::SolveFinished { total_ms: 10_000.0, stopped_by: Some(StopReason::OutOfTime) },
        Event::TrainStarted { target_steps: 100, fresh: true },
        Event::TrainStep(TrainProgress {
            metrics: StepMetrics { step: 3, loss: 0.5, ..Default::default() },
            steps_per_s: Some(2.0),
            memory_mb: None,
        }),
        Event::TrainEnded { paused: true, memory_mb: 35.0 },
        Event::TrainReset,
        Event::SaveWeights(WeightsFile { config_json: "{}".into(), bytes: vec![1, 2, 3] }),
        Event::DownloadWeights(WeightsFile { config_json: "{}".into(), bytes: vec![] }),
        Event::BenchResult { id: 3, result: Ok(6.2) },
        Event::BenchResult { id: 4, result: Err("device lost".into()) },
        Event::Crashed("panicked at …".into()),
    ];
    for event in events {
        round_trip(event);
    }
}

#[test]
fn a_whole_trace_is_compact() {
    // Bytes, not JSON or JavaScript numbers: each per-cell probability is one byte.
    let trace = recorded();
    let bytes = encode(&Event::SolveStarted { trace: trace.clone(), classical_us: None }).unwrap();
    let json = serde_json::to_vec(&trace).unwrap();
    assert!(bytes.len() * 2 < json.len(), "{} bytes encoded, {} as JSON", bytes.len(), json.len());
}

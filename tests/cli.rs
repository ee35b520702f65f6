//! The `trm` command line: a run resumed with new schedule flags is extended and annealed as
//! asked (the model card's continuation command depends on it), while the flags a checkpoint
//! fixes stay as saved.

use std::path::Path;
use std::process::Command;

fn trm(args: &[&str]) -> std::process::Output {
    let output = Command::new(env!("CARGO_BIN_EXE_trm"))
        .args(args)
        .env("RAYON_NUM_THREADS", "1")
        .output()
        .expect("trm runs");
    assert!(output.status.success(), "trm {args:?} failed: {}", String::from_utf8_lossy(&output.stderr));
    output
}

fn saved_config(run: &Path) -> serde_json::Value {
    serde_json::from_str(&std::fs::read_to_string(run.join("training.json")).unwrap()).unwrap()
}

fn logged_steps(run: &Path) -> Vec<(u64, f64)> {
    std::fs::read_to_string(run.join("metrics.jsonl"))
        .unwrap()
        .lines()
        .map(|line| {
            let m: serde_json::Value = serde_json::from_str(line).unwrap();
            (m["step"].as_u64().unwrap(), m["learning_rate"].as_f64().unwrap())
        })
        .collect()
}

#[test]
fn resuming_applies_schedule_flags_and_keeps_the_rest() {
    let dir = tempfile::tempdir().unwrap();
    let run = dir.path().join("run");
    let run_str = run.to_str().unwrap();
    let common = ["--eval-every", "0", "--checkpoint-every", "2", "--out", run_str];
    trm(&[&["train", "--preset", "tiny", "--steps", "2", "--batch-size", "2", "--lr", "1e-3", "--warmup", "0"][..], &common].concat());
    assert_eq!(saved_config(&run)["steps"], 2);
    assert_eq!(logged_steps(&run).len(), 2);

    // Resume: extend to 4 steps and decay to a tenth; the batch-size flag cannot change a run.
    let resumed = trm(&[
        &["train", "--steps", "4", "--min-lr-ratio", "0.1", "--batch-size", "8"][..],
        &common,
    ]
    .concat());
    assert!(String::from_utf8_lossy(&resumed.stderr).contains("resuming"));
    let config = saved_config(&run);
    assert_eq!(config["steps"], 4);
    assert_eq!(config["min_lr_ratio"], 0.1);
    assert_eq!(config["learning_rate"], 1e-3);
    assert_eq!(config["batch_size"], 2, "the checkpoint's carried batch fixes the batch size");

    let steps = logged_steps(&run);
    assert_eq!(steps.iter().map(|s| s.0).collect::<Vec<_>>(), [1, 2, 3, 4]);
    // Cosine from 1e-3 to 1e-4 over 4 steps: step 3 (0-based 2) is at the midpoint, 5.5e-4.
    assert!((steps[2].1 - 5.5e-4).abs() < 1e-9, "learning rate at step 3: {}", steps[2].1);
}

//! `scripts/campaign/train-device.sh`, run on the CPU backend: it resumes the committed checkpoint, starts
//! a new leg at another batch size and data source, trains, and leaves a checkpoint, a plot and
//! an evaluation where a lent GPU machine's run would leave them. So a GPU run spends its minutes
//! training, not debugging.

use std::path::Path;
use std::process::Command;

fn step_of(progress: &Path) -> u64 {
    let v: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(progress).unwrap()).unwrap();
    v["step"].as_u64().unwrap()
}

#[test]
fn the_device_script_resumes_the_checkpoint_on_the_cpu() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let checkpoint = root.join("checkpoints/browser");
    let start = step_of(&checkpoint.join("progress.json"));
    let out = tempfile::tempdir().unwrap();
    let output = Command::new("bash")
        .arg("scripts/campaign/train-device.sh")
        .current_dir(root)
        .env("TRM_BIN", env!("CARGO_BIN_EXE_trm"))
        .env("BACKEND", "cpu")
        .env("OUT", out.path())
        .env("MINUTES", "0.01")
        .env("LEG_STEPS", "2")
        .env("BATCH", "4")
        .env("EVAL_LIMIT", "2")
        .env("EVAL_SIZE", "2")
        .env("DATA", "tier:easy")
        .env("RAYON_NUM_THREADS", "1")
        .output()
        .unwrap();
    let log = format!("{}{}", String::from_utf8_lossy(&output.stdout), String::from_utf8_lossy(&output.stderr));
    assert!(output.status.success(), "{log}");
    assert!(log.contains(&format!("leg: steps {start} -> {}", start + 2)), "{log}");

    let run = out.path().join("run");
    let end = step_of(&run.join("progress.json"));
    assert!(end > start, "trained from {start} to {end}");
    let config: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(run.join("training.json")).unwrap()).unwrap();
    assert_eq!(config["batch_size"], 4);
    assert_eq!(config["schedule_start"], start);
    assert_eq!(config["data"]["Curriculum"]["stages"].as_array().unwrap().len(), 1);
    // The leg's metrics continue the campaign's.
    let metrics = std::fs::read_to_string(run.join("metrics.jsonl")).unwrap();
    let last: serde_json::Value = serde_json::from_str(metrics.lines().last().unwrap()).unwrap();
    assert_eq!(last["step"].as_u64().unwrap(), end);
    // Each line names its leg's batch size; a CPU leg names no accelerator.
    assert_eq!(last["batch_size"], 4);
    assert!(last.get("accelerator").is_none());
    assert_eq!(&std::fs::read(out.path().join("training.png")).unwrap()[..4], b"\x89PNG");
    let eval: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.path().join("eval.json")).unwrap()).unwrap();
    assert_eq!(eval.as_array().unwrap().len(), 4, "one row per tier");
    // The committed checkpoint is untouched.
    assert_eq!(step_of(&checkpoint.join("progress.json")), start);
}

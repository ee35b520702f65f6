//! The project's small JSON files, typed once and shared by the CLI (which writes them), the
//! web page and the plot (which read them): the weights manifest, the page's sample puzzles and
//! a line of a training run's `metrics.jsonl`.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::protocol::StepMetrics;
use trm_puzzle::hash::fnv1a;
use trm_puzzle::sudoku::generator::Tier;

/// `assets/manifest.json`: which weights the page loads, and their content hash (the page's
/// cache key).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Manifest {
    /// Weights file name, beside the manifest.
    pub weights: String,
    /// Model config file name, beside the manifest.
    pub config: String,
    /// Content hash of the weights (16 hex digits of FNV-1a).
    pub version: String,
    /// Size of the weights file.
    pub bytes: usize,
    /// Parameter count.
    pub parameters: usize,
    /// `f16` or `f32`.
    pub precision: String,
    /// What a visitor should know about this model, shown under it (e.g. that it is still in
    /// training); absent for most.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

impl Manifest {
    /// The manifest of weights `bytes` saved as `weights` (config `config`).
    pub fn describe(weights: &str, config: &str, bytes: &[u8], parameters: usize, half: bool) -> Self {
        Self {
            weights: weights.into(),
            config: config.into(),
            version: format!("{:016x}", fnv1a(bytes)),
            bytes: bytes.len(),
            parameters,
            precision: if half { "f16" } else { "f32" }.into(),
            note: None,
        }
    }

    /// Whether `bytes` are the weights this manifest describes: the size, then the content
    /// hash. The error says which differs (a download cut short, or a damaged cached copy).
    pub fn check(&self, bytes: &[u8]) -> Result<(), String> {
        if bytes.len() != self.bytes {
            return Err(format!("{} is {} bytes where the manifest says {}", self.weights, bytes.len(), self.bytes));
        }
        let version = format!("{:016x}", fnv1a(bytes));
        if version != self.version {
            return Err(format!("{} has hash {version} where the manifest says {}", self.weights, self.version));
        }
        Ok(())
    }
}

/// `assets/puzzles.json`: the page's sample puzzles per tier (81-character lines), those the
/// shipped model solves first.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Presets {
    /// Easy samples.
    pub easy: Vec<String>,
    /// Medium samples.
    pub medium: Vec<String>,
    /// Hard samples.
    pub hard: Vec<String>,
    /// Extreme samples (public hard puzzles).
    pub extreme: Vec<String>,
    /// How the file was made.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub note: String,
}

impl Presets {
    /// The samples of `tier`.
    pub fn tier(&self, tier: Tier) -> &[String] {
        match tier {
            Tier::Easy => &self.easy,
            Tier::Medium => &self.medium,
            Tier::Hard => &self.hard,
            Tier::Extreme => &self.extreme,
        }
    }

    /// The samples of `tier`, to replace.
    pub fn tier_mut(&mut self, tier: Tier) -> &mut Vec<String> {
        match tier {
            Tier::Easy => &mut self.easy,
            Tier::Medium => &mut self.medium,
            Tier::Hard => &mut self.hard,
            Tier::Extreme => &mut self.extreme,
        }
    }
}

/// One tier's evaluation during training.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct TierEval {
    /// Fraction of puzzles solved exactly.
    pub exact: f64,
    /// Fraction of blank cells right.
    pub cells: f64,
    /// Mean supervision steps (early exit).
    pub steps: f64,
}

/// One line of a run's `metrics.jsonl`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MetricsRecord {
    /// The optimizer step's figures.
    #[serde(flatten)]
    pub step: StepMetrics,
    /// Seconds since this leg of the run started.
    pub elapsed_s: f64,
    /// Training puzzles per second in this leg.
    pub samples_per_s: f64,
    /// CPU threads of this leg (absent in the oldest runs, which used 2).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub threads: Option<usize>,
    /// The batch size of this leg (absent in runs that never changed it: `training.json` has it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub batch_size: Option<usize>,
    /// The accelerator this leg trained on (`cuda` or `wgpu`); absent on the CPU. Its wall time
    /// is device time, not CPU time.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub accelerator: Option<String>,
    /// The EMA model's evaluation per tier name, at evaluation steps.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub eval: Option<BTreeMap<String, TierEval>>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_shipped_files_parse() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
        let manifest: Manifest =
            serde_json::from_str(&std::fs::read_to_string(root.join("assets/manifest.json")).unwrap()).unwrap();
        let weights = std::fs::read(root.join("assets").join(&manifest.weights)).unwrap();
        assert_eq!(
            manifest,
            Manifest::describe(&manifest.weights, &manifest.config, &weights, manifest.parameters, true)
        );
        // The maze page's model: its manifest matches its weights, and its config is a maze's.
        let maze: Manifest =
            serde_json::from_str(&std::fs::read_to_string(root.join("assets/maze/manifest.json")).unwrap()).unwrap();
        let maze_weights = std::fs::read(root.join("assets/maze").join(&maze.weights)).unwrap();
        assert_eq!(maze.check(&maze_weights), Ok(()));
        let maze_config = std::fs::read_to_string(root.join("assets/maze").join(&maze.config)).unwrap();
        assert!(maze_config.contains("\"maze\""), "{maze_config}");
        let presets: Presets =
            serde_json::from_str(&std::fs::read_to_string(root.join("assets/puzzles.json")).unwrap()).unwrap();
        for tier in Tier::ALL {
            assert!(!presets.tier(tier).is_empty(), "{tier}");
            for line in presets.tier(tier) {
                trm_puzzle::sudoku::solver::solve_unique(&trm_puzzle::sudoku::grid::Grid::parse(line).unwrap())
                    .unwrap();
            }
        }
    }

    #[test]
    fn a_manifest_note_is_optional_and_written_only_when_set() {
        let plain = Manifest::describe("model.bpk", "model.json", b"abc", 3, true);
        let json = serde_json::to_string(&plain).unwrap();
        assert!(!json.contains("note"), "{json}");
        assert_eq!(serde_json::from_str::<Manifest>(&json).unwrap(), plain);
        let noted = Manifest { note: Some("still in training".into()), ..plain };
        let back: Manifest = serde_json::from_str(&serde_json::to_string(&noted).unwrap()).unwrap();
        assert_eq!(back.note.as_deref(), Some("still in training"));
    }

    #[test]
    fn the_manifest_check_names_a_short_or_changed_file() {
        let bytes: Vec<u8> = (0..=255).collect();
        let manifest = Manifest::describe("model.bpk", "model.json", &bytes, 10, true);
        assert_eq!(manifest.check(&bytes), Ok(()));
        assert_eq!(manifest.check(&bytes[..100]), Err("model.bpk is 100 bytes where the manifest says 256".into()));
        let mut flipped = bytes.clone();
        flipped[7] ^= 1;
        let error = manifest.check(&flipped).unwrap_err();
        assert!(
            error.starts_with("model.bpk has hash ")
                && error.ends_with(&format!("the manifest says {}", manifest.version))
        );
        assert!(!error.contains(&format!("hash {} ", manifest.version)), "{error}");
    }

    #[test]
    fn metrics_records_round_trip_with_and_without_evaluations() {
        let line = r#"{"answer_loss":0.5,"cell_accuracy":0.77,"elapsed_s":1479.3,"exact_accuracy":0.15,"halt_loss":0.003,"halted":0.125,"learning_rate":0.0003,"loss":0.57,"mean_halt_steps":8.25,"samples_per_s":13.6,"stage":0,"step":13632,"threads":1,"eval":{"easy":{"exact":0.9,"cells":0.97,"steps":5.1}}}"#;
        let record: MetricsRecord = serde_json::from_str(line).unwrap();
        assert_eq!((record.step.step, record.threads), (13632, Some(1)));
        assert_eq!(record.eval.as_ref().unwrap()["easy"].exact, 0.9);
        let again: MetricsRecord = serde_json::from_str(&serde_json::to_string(&record).unwrap()).unwrap();
        assert_eq!(again, record);
        let old: MetricsRecord = serde_json::from_str(&line.replace(r#","threads":1"#, "")).unwrap();
        assert_eq!(old.threads, None);
    }
}

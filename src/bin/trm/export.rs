//! `trm export`: weights for the web page (`<out>.bpk`, `<out>.json`, `manifest.json`).

use std::path::{Path, PathBuf};

use anyhow::{Result, anyhow, bail};
use burn::prelude::*;
use trm_sudoku::formats::Manifest;
use trm_sudoku::model::TrmConfig;
use trm_sudoku::weights;

/// Write model weights for the web page: `<out>.bpk`, `<out>.json` and `manifest.json` beside
/// them, from a training run (its EMA weights) or freshly initialised from a preset.
#[derive(clap::Args)]
pub struct Args {
    /// A run directory (checkpoint) to take the EMA weights from.
    #[arg(long, conflicts_with = "preset")]
    pub from: Option<PathBuf>,
    /// Or: initialise this preset (untrained; for development only).
    #[arg(long)]
    pub preset: Option<String>,
    /// Seed for `--preset`.
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// Output weights path.
    #[arg(long, default_value = "assets/model.bpk")]
    pub out: PathBuf,
    /// Store f32 instead of f16.
    #[arg(long)]
    pub full_precision: bool,
    /// A line for visitors, kept in the manifest and shown by the page under the model (e.g.
    /// that it is still in training).
    #[arg(long)]
    pub note: Option<String>,
}

/// Runs the command.
pub fn run(args: Args) -> Result<()> {
    export(args.from.as_deref(), args.preset.as_deref(), args.seed, &args.out, !args.full_precision, args.note)
}

fn export(
    from: Option<&Path>,
    preset: Option<&str>,
    seed: u64,
    out: &Path,
    half: bool,
    note: Option<String>,
) -> Result<()> {
    let device = Device::flex();
    let (config, model) = match (from, preset) {
        (Some(dir), _) => {
            weights::load(&dir.join("ema.bpk"), &device).map_err(|e| anyhow!("{}: {e}", dir.display()))?
        }
        (None, Some(name)) => {
            let config = TrmConfig::preset(name)
                .ok_or_else(|| anyhow!("unknown preset {name:?}; try {}", TrmConfig::PRESETS.join(", ")))?
                .with_seed(seed);
            let model = config.init(&device);
            (config, model)
        }
        (None, None) => bail!("give --from <run dir> or --preset <name>"),
    };
    weights::save(&model, &config, out, half)?;
    let bytes = std::fs::read(out)?;
    let file_name = |p: &Path| p.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let manifest = Manifest {
        note,
        ..Manifest::describe(&file_name(out), &file_name(&out.with_extension("json")), &bytes, model.num_params(), half)
    };
    let manifest_path = out.with_file_name("manifest.json");
    std::fs::write(&manifest_path, serde_json::to_string_pretty(&manifest)? + "\n")?;
    eprintln!(
        "wrote {} ({} bytes, {} parameters) and {}",
        out.display(),
        bytes.len(),
        model.num_params(),
        manifest_path.display()
    );
    Ok(())
}

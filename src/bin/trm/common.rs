//! Helpers shared by the commands: backends, loading weights, progress bars, generated sets.

use std::path::Path;

use anyhow::{Result, anyhow};
use burn::prelude::*;
use clap::ValueEnum;
use indicatif::{ProgressBar, ProgressStyle};
use trm_sudoku::generator::{Generator, Tier};
use trm_sudoku::model::Trm;
use trm_sudoku::puzzles::Example;
use trm_sudoku::{checkpoint, weights};

/// Where the model runs.
#[derive(Clone, Copy, ValueEnum)]
pub enum Backend {
    /// burn's pure-Rust CPU backend (flex), multi-threaded.
    Cpu,
    /// wgpu: Vulkan, Metal or DX12 (build with `--features wgpu`).
    Wgpu,
    /// CUDA (build with `--features cuda`).
    Cuda,
}

/// The device of a backend, or why this build lacks it.
pub fn device(backend: Backend) -> Result<Device> {
    match backend {
        Backend::Cpu => Ok(Device::flex()),
        Backend::Wgpu => {
            #[cfg(feature = "wgpu-unfused")]
            {
                Ok(Device::wgpu(burn::tensor::DeviceKind::DefaultDevice))
            }
            #[cfg(not(feature = "wgpu-unfused"))]
            {
                anyhow::bail!("this build has no wgpu backend; rebuild with `--features wgpu`")
            }
        }
        Backend::Cuda => {
            #[cfg(feature = "cuda")]
            {
                Ok(Device::cuda(0))
            }
            #[cfg(not(feature = "cuda"))]
            {
                anyhow::bail!("this build has no CUDA backend; rebuild with `--features cuda`")
            }
        }
    }
}

/// Weights from a `.bpk` (config beside it) or a checkpoint directory (its EMA weights).
pub fn load_model(path: &Path, device: &Device) -> Result<Trm> {
    if path.is_dir() {
        return Ok(checkpoint::load_ema(path, device)?);
    }
    let (_, model) = weights::load(path, device).map_err(|e| anyhow!("{}: {e}", path.display()))?;
    Ok(model)
}

/// A progress bar with the given template (hidden when stderr is not a terminal).
pub fn progress_bar(len: u64, template: &str) -> ProgressBar {
    let bar = ProgressBar::new(len);
    if let Ok(style) = ProgressStyle::with_template(template) {
        bar.set_style(style.progress_chars("=> "));
    }
    bar
}

/// `count` generated puzzles of `tier` from `seed`, calling `each` after every one.
pub fn generated_examples(tier: Tier, count: usize, seed: u64, mut each: impl FnMut(&Example)) -> Vec<Example> {
    let mut generator = Generator::new(seed);
    (0..count)
        .map(|_| {
            let p = generator.generate(tier);
            let example = Example { puzzle: p.puzzle, solution: p.solution };
            each(&example);
            example
        })
        .collect()
}

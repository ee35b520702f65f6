//! Checkpoints that resume a training run exactly: raw and EMA weights, optimizer state,
//! the carried batch (puzzles, step counts and y/z states) and the counters.
//!
//! Layout of a checkpoint directory:
//! `training.json`, `progress.json`, `model.bpk`, `optimizer.bpk`, `carry.bpk`, and the EMA
//! weights as `ema.bpk` + `ema.json`, which load like any shipped model. `carry.bpk` may be left
//! out (a large-batch GPU leg's is tens of MB): the run then resumes with every slot refilled.
//! `optimizer.bpk` may be left out too (the committed checkpoint does: docs/checkpoints.md):
//! AdamW then starts with fresh moments.

use std::path::Path;

use burn::module::{Module, Param};
use burn::prelude::*;
use burn::store::ModuleRecord;

use crate::error::{Error, Result};
use crate::model::Trm;
use crate::puzzles::Example;
use crate::recursion::RecursionState;
use crate::training::{Progress, SlotState, Trainer, TrainingConfig};
use crate::weights;

/// The carried y and z, saved as a record.
#[derive(Module, Debug)]
struct Carry {
    y: Param<Tensor<3>>,
    z: Param<Tensor<3>>,
}

/// Writes a checkpoint into `dir` (created if missing). Files are replaced one by one;
/// `progress.json` is written last, so a checkpoint interrupted midway is detected by its
/// step count not matching the weights only in the rare case of a crash between files.
pub fn save(trainer: &Trainer, dir: &Path) -> Result<()> {
    std::fs::create_dir_all(dir).map_err(|e| Error::file(dir, e))?;
    let (model, ema, optimizer, progress, state) = trainer.parts();
    let config = &trainer.config;
    write(
        &dir.join("training.json"),
        serde_json::to_string_pretty(config).map_err(|e| Error::Config(e.to_string()))?.as_bytes(),
    )?;
    write(&dir.join("model.bpk"), &weights::to_bytes(model, false)?)?;
    weights::save(ema, &config.model, &dir.join("ema.bpk"), false)?;
    let optimizer_bytes =
        optimizer.into_bytes().map_err(|e| Error::file(dir.join("optimizer.bpk"), format!("{e:?}")))?;
    write(&dir.join("optimizer.bpk"), &optimizer_bytes)?;
    let carry = Carry {
        y: Param::from_tensor(state.y.clone().without_autodiff()),
        z: Param::from_tensor(state.z.clone().without_autodiff()),
    };
    let carry_bytes =
        carry.into_record().into_bytes().map_err(|e| Error::file(dir.join("carry.bpk"), format!("{e:?}")))?;
    write(&dir.join("carry.bpk"), &carry_bytes)?;
    write(
        &dir.join("progress.json"),
        serde_json::to_string(&progress).map_err(|e| Error::Config(e.to_string()))?.as_bytes(),
    )?;
    Ok(())
}

/// The training configuration saved in `dir`.
pub fn read_config(dir: &Path) -> Result<TrainingConfig> {
    let path = dir.join("training.json");
    let text = std::fs::read(&path).map_err(|e| Error::file(&path, e))?;
    serde_json::from_slice(&text).map_err(|e| Error::file(&path, e))
}

/// The counters saved in `dir`.
pub fn read_progress(dir: &Path) -> Result<Progress> {
    let path = dir.join("progress.json");
    let text = std::fs::read(&path).map_err(|e| Error::file(&path, e))?;
    serde_json::from_slice(&text).map_err(|e| Error::file(&path, e))
}

/// Resumes the run saved in `dir` on `device`. `files` holds the examples of each file the
/// data source reads.
pub fn load(dir: &Path, files: Vec<Vec<Example>>, device: &Device) -> Result<Trainer> {
    load_with_config(dir, read_config(dir)?, files, device)
}

/// Resumes the run saved in `dir` with a changed configuration: a new leg may change the
/// schedule, the data source and the batch size (a different batch starts every slot afresh:
/// the carried puzzles and states are per slot), but the model must stay as saved.
pub fn load_with_config(
    dir: &Path,
    config: TrainingConfig,
    files: Vec<Vec<Example>>,
    device: &Device,
) -> Result<Trainer> {
    let read = |name: &str| std::fs::read(dir.join(name)).map_err(|e| Error::file(dir.join(name), e));
    let saved = read_config(dir)?;
    if serde_json::to_value(&saved.model).ok() != serde_json::to_value(&config.model).ok() {
        return Err(Error::Config("the model configuration differs from the checkpoint's".into()));
    }
    if config.batch_size == 0 {
        return Err(Error::Config("batch_size must be > 0".into()));
    }
    let mut progress: Progress =
        serde_json::from_slice(&read("progress.json")?).map_err(|e| Error::file(dir.join("progress.json"), e))?;
    let train_device = device.clone().autodiff();
    let model = weights::from_bytes(&config.model, &read("model.bpk")?, &train_device)
        .map_err(|e| Error::file(dir.join("model.bpk"), e))?;
    let ema = weights::from_bytes(&config.model, &read("ema.bpk")?, device)
        .map_err(|e| Error::file(dir.join("ema.bpk"), e))?;
    // The committed checkpoint leaves AdamW's state out (docs/checkpoints.md): its moments then
    // start at zero, which a new leg's warm-up covers. A local run keeps it and resumes exactly.
    let optimizer = if dir.join("optimizer.bpk").is_file() {
        let optimizer = Trainer::optimizer_init(&config)
            .from_bytes(burn::tensor::Bytes::from_bytes_vec(read("optimizer.bpk")?))
            .map_err(|e| Error::file(dir.join("optimizer.bpk"), format!("{e:?}")))?;
        Some(optimizer)
    } else {
        None
    };
    // A checkpoint may come without its carried states (a large-batch leg's are too big to
    // keep): every slot then starts afresh, as with a new batch size.
    let state = if saved.batch_size == config.batch_size && dir.join("carry.bpk").is_file() {
        let shape = [config.batch_size, config.model.seq_len(), config.model.hidden];
        let empty = Carry {
            y: Param::from_tensor(Tensor::zeros(shape, &train_device)),
            z: Param::from_tensor(Tensor::zeros(shape, &train_device)),
        };
        let record = ModuleRecord::from_bytes(burn::tensor::Bytes::from_bytes_vec(read("carry.bpk")?))
            .map_err(|e| Error::file(dir.join("carry.bpk"), format!("{e:?}")))?;
        let carry = empty.try_load_record(record).map_err(|e| Error::file(dir.join("carry.bpk"), format!("{e:?}")))?;
        RecursionState { y: carry.y.val().detach(), z: carry.z.val().detach() }
    } else {
        // A new batch size or no carried states: every slot halted, so the first step refills
        // them all.
        progress.slots = vec![SlotState::fresh(); config.batch_size];
        let (y, z) = model.initial_state(config.batch_size);
        RecursionState { y, z }
    };
    Trainer::from_parts(config, files, model, Some(ema), optimizer, Some((progress, state)))
}

/// Whether `dir` holds a checkpoint.
pub fn exists(dir: &Path) -> bool {
    dir.join("progress.json").is_file()
}

fn write(path: &Path, bytes: &[u8]) -> Result<()> {
    let tmp = path.with_extension("tmp");
    std::fs::write(&tmp, bytes).map_err(|e| Error::file(&tmp, e))?;
    std::fs::rename(&tmp, path).map_err(|e| Error::file(path, e))
}

/// The EMA weights of a checkpoint, for evaluation.
pub fn load_ema(dir: &Path, device: &Device) -> Result<Trm> {
    Ok(weights::load(&dir.join("ema.bpk"), device)?.1)
}

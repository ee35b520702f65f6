//! Saving and loading weights as burn records (`.bpk`), optionally stored as f16, with the
//! model's config as JSON beside them. Anything that does not fit gives an error, not a panic:
//! the web page loads user-supplied and downloaded files through here.

use burn::module::{Module, ModuleMapper, Param};
use burn::prelude::*;
use burn::store::ModuleRecord;
use burn::tensor::{Bytes, DType};

use crate::model::{Trm, TrmConfig};

/// Why weights could not be used.
#[derive(Debug, thiserror::Error)]
pub enum WeightsError {
    /// The file could not be read or written.
    #[error("{path}: {message}")]
    Io {
        /// The path.
        path: String,
        /// What failed.
        message: String,
    },
    /// The file is larger than any model this code builds (checked before reading it).
    #[error("the file has {size} bytes, more than any model this code builds ({limit} bytes at most)")]
    TooLarge {
        /// The file's size.
        size: u64,
        /// The largest record a valid config describes.
        limit: u64,
    },
    /// The bytes are not a burn record (truncated, corrupt or another format).
    #[error("the weights are not a valid burn record (corrupt or truncated file?): {0}")]
    Corrupt(String),
    /// The record holds other tensors or shapes than the config's model.
    #[error("the weights do not fit the model config (hidden {hidden}, {layers} layers, {mixer:?} mixer): {detail}")]
    Mismatch {
        /// Config width.
        hidden: usize,
        /// Config depth.
        layers: usize,
        /// Config mixer.
        mixer: crate::model::TokenMixer,
        /// What did not fit.
        detail: String,
    },
    /// The config JSON is unreadable or describes an impossible model.
    #[error("invalid model config: {0}")]
    Config(String),
    /// The weights hold NaN or infinite values.
    #[error("the weights contain non-finite values")]
    NonFinite,
    /// A model of another puzzle than the one asked for.
    #[error("these weights are for {found}, and this needs a {wanted} model")]
    WrongTask {
        /// The weights' task.
        found: String,
        /// The task asked for.
        wanted: String,
    },
}

/// Refuses a config of another task than `wanted` (a maze model where Sudoku is solved, say).
pub fn require_task(config: &TrmConfig, wanted: crate::task::Task) -> Result<(), WeightsError> {
    if config.task() == wanted {
        Ok(())
    } else {
        Err(WeightsError::WrongTask { found: config.task().name(), wanted: wanted.name() })
    }
}

/// Casts every float parameter to `dtype`.
struct CastParams(DType);

impl ModuleMapper for CastParams {
    fn map_float<const D: usize>(&mut self, param: Param<Tensor<D>>) -> Param<Tensor<D>> {
        let dtype = self.0;
        param.map(|t| t.cast(dtype))
    }
}

/// Serialises the model's weights; with `half`, stored as f16 (half the bytes).
pub fn to_bytes(model: &Trm, half: bool) -> Result<Vec<u8>, WeightsError> {
    let model = model.clone().valid();
    let model = if half { model.map(&mut CastParams(DType::F16)) } else { model };
    let bytes = model.into_record().into_bytes().map_err(|e| WeightsError::Corrupt(e.to_string()))?;
    Ok(bytes.to_vec())
}

/// A config that `validate` refused, without repeating "invalid configuration".
fn invalid_config(e: crate::error::Error) -> WeightsError {
    match e {
        crate::error::Error::Config(problems) => WeightsError::Config(problems),
        other => WeightsError::Config(other.to_string()),
    }
}

/// Builds the config's model on `device` and loads weights into it (f32 or f16 records).
///
/// The record is decoded and checked on the CPU first, then uploaded with the same tensor
/// creation as initialisation, so no synchronous GPU readback happens (they panic on wasm) and
/// the parameters train on an autodiff device.
pub fn from_bytes(config: &TrmConfig, bytes: &[u8], device: &Device) -> Result<Trm, WeightsError> {
    config.validate().map_err(invalid_config)?;
    let record = ModuleRecord::from_bytes(Bytes::from_bytes_vec(bytes.to_vec()))
        .map_err(|e| WeightsError::Corrupt(e.to_string()))?
        .cast_to_module_dtype();
    let host = config.init(&Device::flex()).try_load_record(record).map_err(|e| WeightsError::Mismatch {
        hidden: config.hidden,
        layers: config.layers,
        mixer: config.mixer,
        detail: e.to_string(),
    })?;
    let values = param_values(&host);
    if values.iter().flatten().any(|v| !v.is_finite()) {
        return Err(WeightsError::NonFinite);
    }
    if *device == Device::flex() && !device.is_autodiff() {
        return Ok(host);
    }
    // Keep the record's parameter ids: optimizer state saved beside the weights is keyed by them.
    Ok(with_ids(with_values(config.init(device), values)?, param_ids(&host)))
}

fn param_ids(model: &Trm) -> Vec<burn::module::ParamId> {
    struct Collect(Vec<burn::module::ParamId>);
    impl burn::module::ModuleVisitor for Collect {
        fn visit_float<const D: usize>(&mut self, param: &Param<Tensor<D>>) {
            self.0.push(param.id);
        }
    }
    let mut collect = Collect(Vec::new());
    model.visit(&mut collect);
    collect.0
}

fn with_ids(model: Trm, ids: Vec<burn::module::ParamId>) -> Trm {
    struct Assign(std::vec::IntoIter<burn::module::ParamId>);
    impl ModuleMapper for Assign {
        fn map_float<const D: usize>(&mut self, mut param: Param<Tensor<D>>) -> Param<Tensor<D>> {
            if let Some(id) = self.0.next() {
                param.id = id;
            }
            param
        }
    }
    model.map(&mut Assign(ids.into_iter()))
}

/// Every float parameter's values, in visit order (synchronous: CPU models only).
fn param_values(model: &Trm) -> Vec<Vec<f32>> {
    struct Collect(Vec<Vec<f32>>);
    impl burn::module::ModuleVisitor for Collect {
        fn visit_float<const D: usize>(&mut self, param: &Param<Tensor<D>>) {
            let data = param.val().into_data().convert::<f32>();
            self.0.push(data.try_to_vec::<f32>().unwrap_or_default());
        }
    }
    let mut collect = Collect(Vec::new());
    model.visit(&mut collect);
    collect.0
}

/// `model` with its float parameters replaced, in visit order. A count or a length that does not
/// fit the model is an error: nothing is ever filled in.
fn with_values(model: Trm, values: Vec<Vec<f32>>) -> Result<Trm, WeightsError> {
    let shapes = model.param_paths();
    if shapes.len() != values.len() {
        return Err(WeightsError::Corrupt(format!("{} tensors for a model of {}", values.len(), shapes.len())));
    }
    for ((path, shape), v) in shapes.iter().zip(&values) {
        let n: usize = shape.iter().product();
        if v.len() != n {
            return Err(WeightsError::Corrupt(format!("{path}: {} values for shape {shape:?}", v.len())));
        }
    }
    let mut values = values.into_iter();
    Ok(model.with_param_values(|_, _| values.next().unwrap_or_default()))
}

/// The model's weights copied to the CPU with one asynchronous readback: the way to save or
/// download weights that live on a GPU in the browser.
pub async fn to_host(model: &Trm, config: &TrmConfig) -> Result<Trm, WeightsError> {
    struct Collect(Vec<Tensor<1>>);
    impl burn::module::ModuleVisitor for Collect {
        fn visit_float<const D: usize>(&mut self, param: &Param<Tensor<D>>) {
            let value = param.val().without_autodiff();
            let n = value.shape().num_elements();
            self.0.push(value.reshape([n]));
        }
    }
    let mut collect = Collect(Vec::new());
    model.visit(&mut collect);
    let mut transaction = burn::tensor::Transaction::default();
    for tensor in collect.0 {
        transaction = transaction.register(tensor);
    }
    let data = transaction
        .execute_async()
        .await
        .map_err(|e| WeightsError::Corrupt(format!("reading the weights back failed: {e:?}")))?;
    let values = data.into_iter().map(|d| d.convert::<f32>().try_to_vec::<f32>().unwrap_or_default()).collect();
    with_values(config.init(&Device::flex()), values)
}

/// [`to_bytes`] for a model on any device, without synchronous readbacks.
pub async fn to_bytes_async(model: &Trm, config: &TrmConfig, half: bool) -> Result<Vec<u8>, WeightsError> {
    to_bytes(&to_host(model, config).await?, half)
}

/// Parses a config from JSON and checks it.
pub fn config_from_json(json: &str) -> Result<TrmConfig, WeightsError> {
    let config: TrmConfig = serde_json::from_str(json).map_err(|e| WeightsError::Config(e.to_string()))?;
    config.validate().map_err(invalid_config)?;
    Ok(config)
}

/// The config as pretty JSON.
pub fn config_to_json(config: &TrmConfig) -> String {
    serde_json::to_string_pretty(config).unwrap_or_default()
}

/// Writes `<stem>.bpk` and `<stem>.json`.
#[cfg(not(target_arch = "wasm32"))]
pub fn save(model: &Trm, config: &TrmConfig, weights_path: &std::path::Path, half: bool) -> Result<(), WeightsError> {
    let io = |path: &std::path::Path, e: std::io::Error| WeightsError::Io {
        path: path.display().to_string(),
        message: e.to_string(),
    };
    if let Some(dir) = weights_path.parent()
        && !dir.as_os_str().is_empty()
    {
        std::fs::create_dir_all(dir).map_err(|e| io(dir, e))?;
    }
    let bytes = to_bytes(model, half)?;
    let tmp = weights_path.with_extension("bpk.tmp");
    std::fs::write(&tmp, bytes).map_err(|e| io(&tmp, e))?;
    std::fs::rename(&tmp, weights_path).map_err(|e| io(weights_path, e))?;
    let config_path = weights_path.with_extension("json");
    std::fs::write(&config_path, config_to_json(config)).map_err(|e| io(&config_path, e))?;
    Ok(())
}

/// Reads `<stem>.json` and `<stem>.bpk`; weights without their JSON load with the first preset
/// they fit.
#[cfg(not(target_arch = "wasm32"))]
pub fn load(weights_path: &std::path::Path, device: &Device) -> Result<(TrmConfig, Trm), WeightsError> {
    let read = |path: &std::path::Path| {
        std::fs::read(path).map_err(|e| WeightsError::Io { path: path.display().to_string(), message: e.to_string() })
    };
    let config_path = weights_path.with_extension("json");
    // The largest model a config may describe, in f32, plus the record's framing.
    let limit = TrmConfig::MAX_PARAMS * 4 + (1 << 20);
    let size = std::fs::metadata(weights_path).map(|m| m.len()).unwrap_or(0);
    if size > limit {
        return Err(WeightsError::TooLarge { size, limit });
    }
    let bytes = read(weights_path)?;
    if !config_path.exists() {
        // Weights alone (the page's "Download weights" gives one file): the first preset whose
        // shapes they fit.
        let mut misfits = Vec::new();
        for name in TrmConfig::PRESETS {
            let Some(config) = TrmConfig::preset(name) else { continue };
            match from_bytes(&config, &bytes, device) {
                Ok(model) => return Ok((config, model)),
                // Not a record at all, or NaN inside: no preset can help, so say what is wrong.
                Err(e @ (WeightsError::Corrupt(_) | WeightsError::NonFinite)) => return Err(e),
                Err(_) => misfits.push(name),
            }
        }
        return Err(WeightsError::Io {
            path: config_path.display().to_string(),
            message: format!("missing, and the weights fit none of the presets ({})", misfits.join(", ")),
        });
    }
    let json = String::from_utf8_lossy(&read(&config_path)?).into_owned();
    let config = config_from_json(&json)?;
    let model = from_bytes(&config, &bytes, device)?;
    Ok((config, model))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn first_weight(model: &Trm) -> Vec<f32> {
        model.blocks[0].mlp.down.weight.val().into_data().convert::<f32>().try_to_vec().unwrap()
    }

    /// Every float parameter by path, as plain numbers.
    fn all_params(model: &Trm) -> Vec<(String, Vec<f32>)> {
        use burn::module::{Module, ModuleVisitor, Param};
        struct Collect(Vec<String>, Vec<(String, Vec<f32>)>);
        impl ModuleVisitor for Collect {
            fn enter_module(&mut self, name: &str, _: &str) {
                self.0.push(name.to_string());
            }
            fn exit_module(&mut self, _: &str, _: &str) {
                self.0.pop();
            }
            fn visit_float<const D: usize>(&mut self, param: &Param<Tensor<D>>) {
                let v = param.val().into_data().convert::<f32>().try_to_vec::<f32>().unwrap();
                self.1.push((self.0.join("."), v));
            }
        }
        let mut c = Collect(Vec::new(), Vec::new());
        model.visit(&mut c);
        c.1
    }

    #[test]
    fn round_trips_in_f32_and_f16() {
        let device = Device::flex();
        for config in
            [TrmConfig::tiny(), TrmConfig::tiny().with_mixer(crate::model::TokenMixer::Attention).with_heads(2)]
        {
            let model = config.init(&device);
            let full = to_bytes(&model, false).unwrap();
            let half = to_bytes(&model, true).unwrap();
            assert!(half.len() < full.len() * 6 / 10, "{} vs {}", half.len(), full.len());
            let original = all_params(&model);
            assert!(original.len() >= 15, "{} parameters", original.len());
            // f32: every parameter bit for bit, the initial states included.
            let exact = all_params(&from_bytes(&config, &full, &device).unwrap());
            assert_eq!(exact, original);
            // f16: every value within half precision.
            let approx = all_params(&from_bytes(&config, &half, &device).unwrap());
            assert_eq!(approx.len(), original.len());
            for ((path, a), (p2, b)) in approx.iter().zip(&original) {
                assert_eq!(path, p2);
                assert_eq!(a.len(), b.len(), "{path}");
                for (x, y) in a.iter().zip(b) {
                    assert!((x - y).abs() <= 1e-3 * y.abs().max(1e-2), "{path}: {x} vs {y}");
                }
            }
        }
    }

    #[test]
    fn weights_without_their_json_load_with_the_preset_they_fit() {
        let device = Device::flex();
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("downloaded.bpk");
        let model = TrmConfig::tiny().init(&device);
        save(&model, &TrmConfig::tiny(), &path, true).unwrap();
        std::fs::remove_file(path.with_extension("json")).unwrap();
        let (config, loaded) = load(&path, &device).unwrap();
        assert_eq!(config.hidden, TrmConfig::tiny().hidden);
        // Saved in f16: the same values within half precision, not just the same count.
        let (loaded, original) = (first_weight(&loaded), first_weight(&model));
        assert_eq!(loaded.len(), original.len());
        assert!(loaded.iter().zip(&original).all(|(x, y)| (x - y).abs() <= 1e-3 * y.abs().max(1e-2)));
        assert!(original.iter().any(|v| *v != 0.0), "an all-zero weight would prove nothing");
        // Bytes that are no record say so, rather than that they fit no preset.
        let good = std::fs::read(&path).unwrap();
        std::fs::write(&path, b"not weights").unwrap();
        assert!(matches!(load(&path, &device), Err(WeightsError::Corrupt(_))));
        std::fs::write(&path, &good[..good.len() / 2]).unwrap();
        assert!(matches!(load(&path, &device), Err(WeightsError::Corrupt(_))));
        // A record of another shape fits no preset, and each is named.
        let odd = TrmConfig { hidden: 24, ..TrmConfig::tiny() };
        save(&odd.init(&device), &odd, &path, true).unwrap();
        std::fs::remove_file(path.with_extension("json")).unwrap();
        let message = load(&path, &device).unwrap_err().to_string();
        assert!(message.contains("fit none of the presets (paper_mlp, paper_att, browser, tiny)"), "{message}");
        // A file larger than any model is refused before it is read (a sparse file here).
        let huge = dir.path().join("huge.bpk");
        std::fs::File::create(&huge).unwrap().set_len(TrmConfig::MAX_PARAMS * 4 + (2 << 20)).unwrap();
        let err = load(&huge, &device).unwrap_err();
        assert!(
            matches!(err, WeightsError::TooLarge { limit, .. } if limit == TrmConfig::MAX_PARAMS * 4 + (1 << 20)),
            "{err}"
        );
        assert!(err.to_string().contains("more than any model this code builds"), "{err}");
    }

    #[test]
    fn mismatched_and_corrupt_records_are_errors() {
        let device = Device::flex();
        let bytes = to_bytes(&TrmConfig::tiny().init(&device), false).unwrap();
        let wider = TrmConfig { hidden: 64, ..TrmConfig::tiny() };
        let err = from_bytes(&wider, &bytes, &device).unwrap_err();
        assert!(matches!(err, WeightsError::Mismatch { hidden: 64, .. }), "{err}");
        let err = from_bytes(&TrmConfig::tiny(), &bytes[..bytes.len() / 2], &device).unwrap_err();
        assert!(matches!(err, WeightsError::Corrupt(_)), "{err}");
        let err = from_bytes(&TrmConfig::tiny(), b"not a record", &device).unwrap_err();
        assert!(matches!(err, WeightsError::Corrupt(_)), "{err}");
        assert!(matches!(config_from_json("{"), Err(WeightsError::Config(_))));
    }

    #[test]
    fn loaded_weights_train_on_an_autodiff_device() {
        use crate::data::DataSource;
        use crate::training::{Trainer, TrainingConfig};
        let config = TrmConfig::tiny();
        let bytes = to_bytes(&config.init(&Device::flex()), false).unwrap();
        let device = Device::flex().autodiff();
        let model = from_bytes(&config, &bytes, &device).unwrap();
        let before = first_weight(&model);
        let y_before: Vec<f32> = model.y_init.val().into_data().convert::<f32>().try_to_vec().unwrap();
        let training = TrainingConfig::new(config.clone(), DataSource::tier(crate::Tier::Easy))
            .with_batch_size(2)
            .with_warmup_steps(1)
            .with_learning_rate(1e-2);
        let mut trainer = Trainer::from_parts(training, vec![], model, None, None, None).unwrap();
        trainer.train_step_blocking().unwrap();
        let after = first_weight(trainer.model());
        assert_ne!(before, after, "the loaded weights must receive gradients");
        let y_after: Vec<f32> = trainer.model().y_init.val().into_data().convert::<f32>().try_to_vec().unwrap();
        assert_eq!(y_before, y_after, "the initial states stay fixed");
        let host = crate::recursion::block_on(to_host(trainer.model(), &config)).unwrap();
        assert_eq!(first_weight(&host), after);
    }

    #[test]
    fn non_finite_weights_are_refused() {
        let config = TrmConfig::tiny();
        let model = config.init(&Device::flex()).with_param_values(|path, shape| {
            let n: usize = shape.iter().product();
            if path == "output_head.weight" { vec![f32::NAN; n] } else { vec![0.1; n] }
        });
        let bytes = to_bytes(&model, false).unwrap();
        assert!(matches!(from_bytes(&config, &bytes, &Device::flex()), Err(WeightsError::NonFinite)));
    }

    #[test]
    fn wrong_lengths_are_errors_not_zeros() {
        let model = TrmConfig::tiny().init(&Device::flex());
        let mut values: Vec<Vec<f32>> = all_params(&model).into_iter().map(|(_, v)| v).collect();
        assert!(with_values(model.clone(), values.clone()).is_ok());
        values[3].pop();
        let err = with_values(model.clone(), values.clone()).unwrap_err();
        assert!(err.to_string().contains("values for shape"), "{err}");
        values.pop();
        assert!(matches!(with_values(model, values), Err(WeightsError::Corrupt(_))));
    }

    #[test]
    fn a_model_of_another_task_is_refused_by_name() {
        use crate::task::Task;
        let maze = TrmConfig::tiny().for_task(Task::Maze { side: 9 });
        let json = config_to_json(&maze);
        let read = config_from_json(&json).unwrap();
        assert_eq!(read.task(), Task::Maze { side: 9 });
        require_task(&read, Task::Maze { side: 9 }).unwrap();
        let err = require_task(&read, Task::Sudoku).unwrap_err().to_string();
        assert_eq!(err, "these weights are for maze-9, and this needs a sudoku model");
        assert!(require_task(&TrmConfig::tiny(), Task::Maze { side: 9 }).is_err());
    }

    #[test]
    fn config_json_round_trips() {
        // Every field, for presets that differ in each of them.
        for config in
            [TrmConfig::browser(), TrmConfig::paper_att().with_seed(9).with_norm_eps(1e-6).with_rope_theta(500.0)]
        {
            let back = config_from_json(&config_to_json(&config)).unwrap();
            assert_eq!(serde_json::to_value(&back).unwrap(), serde_json::to_value(&config).unwrap());
        }
    }
}

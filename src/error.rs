//! The library's error type. Each [`ErrorKind`] names something a caller can act on: show the
//! puzzle's problem, reload or reset the weights, switch to the CPU, use a smaller batch.

use serde::{Deserialize, Serialize};

use crate::grid::ParseError;
use crate::solver::SolveError;
use crate::weights::WeightsError;

/// Why an operation of this crate failed.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The puzzle text is malformed.
    #[error(transparent)]
    Puzzle(#[from] ParseError),
    /// The puzzle has no solution or more than one.
    #[error(transparent)]
    Unsolvable(#[from] SolveError),
    /// The weights are unreadable, corrupt or do not fit the model.
    #[error(transparent)]
    Weights(#[from] WeightsError),
    /// The GPU device was lost (driver reset, tab in the background for long, hardware removed).
    #[error("the GPU device was lost: {0}")]
    DeviceLost(String),
    /// The device ran out of memory.
    #[error("out of memory: {0}")]
    OutOfMemory(String),
    /// Any other failure of the tensor backend.
    #[error("the tensor backend failed: {0}")]
    Backend(String),
    /// A configuration (model, training, data) is impossible.
    #[error("invalid configuration: {0}")]
    Config(String),
    /// A file could not be read or written, or its contents are not what they should be.
    #[error("{path}: {message}")]
    File {
        /// The path.
        path: String,
        /// What failed.
        message: String,
    },
}

/// What kind of failure an [`Error`] is, for callers (and the page) to act on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum ErrorKind {
    /// Malformed, unsolvable or multi-solution puzzle: ask for another.
    BadPuzzle,
    /// Weights that cannot be used: keep or restore the previous ones.
    BadWeights,
    /// The GPU is gone: continue on the CPU.
    DeviceLost,
    /// Out of memory: try a smaller batch or fewer attempts.
    OutOfMemory,
    /// Another backend failure.
    Backend,
    /// An impossible configuration.
    BadConfig,
    /// A file problem.
    File,
}

impl Error {
    /// The kind of this error.
    pub fn kind(&self) -> ErrorKind {
        match self {
            Error::Puzzle(_) | Error::Unsolvable(_) => ErrorKind::BadPuzzle,
            Error::Weights(_) => ErrorKind::BadWeights,
            Error::DeviceLost(_) => ErrorKind::DeviceLost,
            Error::OutOfMemory(_) => ErrorKind::OutOfMemory,
            Error::Backend(_) => ErrorKind::Backend,
            Error::Config(_) => ErrorKind::BadConfig,
            Error::File { .. } => ErrorKind::File,
        }
    }

    /// Classifies a failure reported by the tensor backend (whose errors are text): a lost
    /// device and running out of memory are told apart from the rest.
    pub fn from_backend(what: &str, detail: impl std::fmt::Debug) -> Self {
        let message = format!("{what}: {detail:?}");
        let lower = message.to_lowercase();
        if lower.contains("device lost") || lower.contains("devicelost") || lower.contains("device is lost") {
            Error::DeviceLost(message)
        } else if lower.contains("out of memory")
            || lower.contains("outofmemory")
            || lower.contains("allocation failed")
        {
            Error::OutOfMemory(message)
        } else {
            Error::Backend(message)
        }
    }

    /// A file error at `path`.
    pub fn file(path: impl AsRef<std::path::Path>, message: impl std::fmt::Display) -> Self {
        Error::File { path: path.as_ref().display().to_string(), message: message.to_string() }
    }
}

impl From<crate::generator::UnknownTier> for Error {
    fn from(error: crate::generator::UnknownTier) -> Self {
        Error::Config(error.to_string())
    }
}

/// `Result` with this crate's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backend_failures_are_classified_by_what_a_caller_can_do() {
        let lost = Error::from_backend("reading the trace back failed", "Device(DeviceLost)");
        assert_eq!(lost.kind(), ErrorKind::DeviceLost);
        let oom = Error::from_backend("allocating", "OutOfMemory { size: 1 }");
        assert_eq!(oom.kind(), ErrorKind::OutOfMemory);
        let other = Error::from_backend("reading", "shader compilation failed");
        assert_eq!(other.kind(), ErrorKind::Backend);
        assert!(other.to_string().contains("shader compilation failed"));
    }

    #[test]
    fn every_kind_has_a_source() {
        let puzzle = Error::from(crate::Grid::parse("12").unwrap_err());
        assert_eq!(puzzle.kind(), ErrorKind::BadPuzzle);
        let unsolvable = Error::from(crate::solve_unique(&crate::Grid::parse(&".".repeat(81)).unwrap()).unwrap_err());
        assert_eq!(unsolvable.kind(), ErrorKind::BadPuzzle);
        let weights = Error::from(
            crate::weights::from_bytes(&crate::TrmConfig::tiny(), b"not a record", &burn::prelude::Device::flex())
                .unwrap_err(),
        );
        assert_eq!(weights.kind(), ErrorKind::BadWeights);
        assert_eq!(Error::Config("x".into()).kind(), ErrorKind::BadConfig);
        assert_eq!(Error::file("a.json", "missing").to_string(), "a.json: missing");
    }
}

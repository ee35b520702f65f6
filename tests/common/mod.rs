//! Shared by the reference tests: the seeded parameter values the PyTorch scripts also use.
#![allow(dead_code)]

use burn::prelude::*;
use trm_sudoku::model::{Trm, TrmConfig};

/// FNV-1a, 64 bit, as the Python scripts compute it.
pub fn fnv1a(text: &str) -> u64 {
    text.bytes().fold(0xcbf2_9ce4_8422_2325u64, |h, b| (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3))
}

/// `n` values in [-1, 1) times `scale` from the xorshift64* stream seeded with `seed` (the
/// Python scripts' `XorShift`).
pub fn xorshift_values(seed: u64, n: usize, scale: f64) -> Vec<f32> {
    let mut state = if seed == 0 { 0x9E37_79B9_7F4A_7C15 } else { seed };
    (0..n)
        .map(|_| {
            state ^= state >> 12;
            state ^= state << 25;
            state ^= state >> 27;
            let r = state.wrapping_mul(0x2545_F491_4F6C_DD1D);
            let u = (r >> 11) as f64 / (1u64 << 53) as f64;
            ((u * 2.0 - 1.0) * scale) as f32
        })
        .collect()
}

/// The reference value of parameter `path`: uniform in ±1/√fan_in for matrices, ±1 otherwise.
pub fn reference_values(path: &str, shape: &[usize], seed: u64) -> Vec<f32> {
    let scale = if shape.len() == 2 { 1.0 / (shape[0] as f64).sqrt() } else { 1.0 };
    xorshift_values(fnv1a(path) ^ seed, shape.iter().product(), scale)
}

/// A model of `config` with the reference values, on `device`.
pub fn reference_model(config: &TrmConfig, seed: u64, device: &Device) -> Trm {
    config.init(device).with_param_values(|path, shape| reference_values(path, shape, seed))
}

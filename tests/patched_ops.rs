//! The patched CPU kernels (patches/burn-flex) against the unpatched formula in f64: sigmoid
//! and SiLU, forward and backward, within 1e-6, on contiguous and strided tensors; and the
//! element-wise paths that split large tensors across threads, element by element; and matrix
//! products, which the patch writes column-major when that is faster and splits between rayon's
//! workers from a lower size when called on one, against f64 products.

use burn::prelude::*;
use burn::tensor::activation::{sigmoid, silu};

fn reference_sigmoid(x: f64) -> f64 {
    if x >= 0.0 { 1.0 / (1.0 + (-x).exp()) } else { x.exp() / (1.0 + x.exp()) }
}

/// Every float in [-100, 100] at a fine step, plus the edges of the clamp and special values.
fn inputs() -> Vec<f32> {
    let mut xs: Vec<f32> = (-20_000..=20_000).map(|i| i as f32 * 0.005).collect();
    xs.extend([-100.0, -88.5, -87.0, -86.9, 86.9, 87.0, 88.5, 100.0, 1e-30, -1e-30, 0.0, -0.0]);
    xs
}

fn values(t: Tensor<1>) -> Vec<f32> {
    t.into_data().convert::<f32>().try_into_vec().unwrap()
}

#[test]
fn sigmoid_and_silu_match_the_formula() {
    let device = Device::flex();
    let xs = inputs();
    let n = xs.len();
    let x = Tensor::<1>::from_data(TensorData::new(xs.clone(), [n]), &device);
    let s = values(sigmoid(x.clone()));
    let y = values(silu(x));
    for (i, &v) in xs.iter().enumerate() {
        let expected = reference_sigmoid(v as f64);
        assert!((s[i] as f64 - expected).abs() <= 1e-6, "sigmoid({v}) = {} vs {expected}", s[i]);
        let expected_silu = v as f64 * expected;
        let tolerance = 1e-6 * (1.0 + (v as f64).abs());
        assert!((y[i] as f64 - expected_silu).abs() <= tolerance, "silu({v}) = {} vs {expected_silu}", y[i]);
    }
}

#[test]
fn strided_inputs_take_the_same_values() {
    // The SwiGLU gate is a slice of a wider tensor: the strided path must agree with the
    // contiguous one.
    let device = Device::flex();
    let xs: Vec<f32> = (0..6 * 40).map(|i| (i as f32 - 120.0) * 0.37).collect();
    let wide = Tensor::<2>::from_data(TensorData::new(xs.clone(), [6, 40]), &device);
    let gate = wide.slice([0..6, 0..20]);
    let got: Vec<f32> = sigmoid(gate).into_data().convert::<f32>().try_into_vec().unwrap();
    for row in 0..6 {
        for col in 0..20 {
            let v = xs[row * 40 + col] as f64;
            assert!((got[row * 20 + col] as f64 - reference_sigmoid(v)).abs() <= 1e-6, "at {row},{col}");
        }
    }
}

#[test]
fn nan_stays_nan() {
    let device = Device::flex();
    let x = Tensor::<1>::from_data(TensorData::new(vec![f32::NAN, 1.0], [2]), &device);
    let s = values(sigmoid(x));
    assert!(s[0].is_nan());
    assert!((s[1] as f64 - reference_sigmoid(1.0)).abs() < 1e-6);
}

#[test]
fn silu_gradient_matches_the_formula() {
    let device = Device::flex().autodiff();
    let xs: Vec<f32> = (-400..=400).map(|i| i as f32 * 0.05).collect();
    let n = xs.len();
    let x = Tensor::<1>::from_data(TensorData::new(xs.clone(), [n]), &device).require_grad();
    let grads = silu(x.clone()).sum().backward();
    let g: Vec<f32> = x.grad(&grads).unwrap().into_data().convert::<f32>().try_into_vec().unwrap();
    for (i, &v) in xs.iter().enumerate() {
        let s = reference_sigmoid(v as f64);
        let expected = s + v as f64 * s * (1.0 - s);
        assert!(
            (g[i] as f64 - expected).abs() <= 1e-6 * (1.0 + (v as f64).abs()),
            "silu'({v}) = {} vs {expected}",
            g[i]
        );
    }
}

/// Large enough that the patched element-wise kernels split it into several tasks (32,768
/// elements each) with a partial last one.
const LARGE: usize = 3 * 32_768 + 1_001;

fn large_inputs(len: usize) -> Vec<f32> {
    (0..len).map(|i| ((i * 7_919) % 20_011) as f32 * 0.002 - 20.0).collect()
}

#[test]
fn large_tensors_take_the_same_values_on_every_path() {
    let device = Device::flex();
    let xs = large_inputs(LARGE);
    let x = Tensor::<1>::from_data(TensorData::new(xs.clone(), [LARGE]), &device);
    // In place (a unique tensor) and into a new buffer (a shared one).
    let in_place = values(sigmoid(x.clone().mul_scalar(1.0)));
    let shared = values(sigmoid(x.clone()));
    drop(x);
    for (i, &v) in xs.iter().enumerate() {
        let expected = reference_sigmoid(v as f64);
        assert!((in_place[i] as f64 - expected).abs() <= 1e-6, "in place, at {i}: {}", in_place[i]);
        assert!((shared[i] as f64 - expected).abs() <= 1e-6, "shared, at {i}: {}", shared[i]);
    }

    // A strided gate of a wider tensor (rows of 96 of 160), as in a SwiGLU.
    let rows = LARGE / 96;
    let wide_values = large_inputs(rows * 160);
    let wide = Tensor::<2>::from_data(TensorData::new(wide_values.clone(), [rows, 160]), &device);
    let gate: Vec<f32> = sigmoid(wide.slice([0..rows, 0..96])).into_data().convert::<f32>().try_into_vec().unwrap();
    for r in 0..rows {
        for c in 0..96 {
            let expected = reference_sigmoid(wide_values[r * 160 + c] as f64);
            assert!((gate[r * 96 + c] as f64 - expected).abs() <= 1e-6, "gate at {r},{c}");
        }
    }
}

#[test]
fn large_binary_operations_cover_every_element() {
    let device = Device::flex();
    let a = large_inputs(LARGE);
    let b: Vec<f32> = a.iter().rev().map(|v| v * 0.5 + 1.0).collect();
    let ta = Tensor::<1>::from_data(TensorData::new(a.clone(), [LARGE]), &device);
    let tb = Tensor::<1>::from_data(TensorData::new(b.clone(), [LARGE]), &device);
    // Both operands shared (kept alive, as autodiff keeps them): each result is a new buffer.
    let sum = values(ta.clone() + tb.clone());
    let product = values(ta.clone() * tb.clone());
    let quotient = values(ta.clone() / tb.clone());
    // Shared views at an offset into their storage, of a length that leaves a partial task.
    let skip = 1_003;
    let shifted = values(ta.clone().narrow(0, skip, LARGE - skip) - tb.clone().narrow(0, 0, LARGE - skip));
    // In place: the left operand is unique.
    let difference = values(ta - tb);
    for i in 0..LARGE {
        assert_eq!(sum[i], a[i] + b[i], "sum at {i}");
        assert_eq!(product[i], a[i] * b[i], "product at {i}");
        assert_eq!(quotient[i], a[i] / b[i], "quotient at {i}");
        assert_eq!(difference[i], a[i] - b[i], "difference at {i}");
    }
    assert_eq!(shifted.len(), LARGE - skip);
    for i in 0..LARGE - skip {
        assert_eq!(shifted[i], a[i + skip] - b[i], "shifted difference at {i}");
    }
}

#[test]
fn empty_tensors_stay_empty() {
    let device = Device::flex();
    let empty = Tensor::<1>::from_data(TensorData::new(Vec::<f32>::new(), [0]), &device);
    // Shared (a new buffer) and unique (in place).
    assert!(values(sigmoid(empty.clone())).is_empty());
    assert!(values(sigmoid(empty)).is_empty());
    let wide = Tensor::<2>::from_data(TensorData::new(vec![1.0f32; 8], [2, 4]), &device);
    let none: Vec<f32> = sigmoid(wide.slice([0..2, 0..0])).into_data().convert::<f32>().try_into_vec().unwrap();
    assert!(none.is_empty());
}

/// `[m, k] × [k, n]` in f64, row-major.
fn reference_matmul(a: &[f32], b: &[f32], m: usize, k: usize, n: usize) -> Vec<f64> {
    let mut out = vec![0.0; m * n];
    for i in 0..m {
        for j in 0..n {
            out[i * n + j] = (0..k).map(|p| a[i * k + p] as f64 * b[p * n + j] as f64).sum();
        }
    }
    out
}

#[test]
fn short_wide_products_over_a_long_axis_match_the_formula() {
    // The patch writes a product with m < n <= k column-major (a transposed view); the others
    // stay row-major. Both, on contiguous and transposed inputs, and read back through further
    // ops, must give the formula's values.
    for (m, k, n) in [(5, 40, 12), (12, 40, 5), (5, 8, 12), (85, 300, 256), (1, 3, 2)] {
        assert_products_match_the_formula(m, k, n);
    }
}

#[test]
fn products_split_between_workers_match_the_formula() {
    // On one of rayon's workers the patch splits products from 2M multiply-adds (32M elsewhere):
    // a batch-1 net call's channel and token products, a short-wide one, and one just above the
    // threshold with ragged edges.
    trm_sudoku::cpu_pool::install(|| {
        assert!(rayon::current_thread_index().is_some());
        for (m, k, n) in [(85, 128, 768), (256, 85, 128), (85, 384, 128), (85, 4096, 256), (131, 127, 129)] {
            assert_products_match_the_formula(m, k, n);
        }
    });
}

/// `[m, k] × [k, n]` on contiguous and transposed operands, read directly and through further
/// ops, against the f64 product, within 1e-6 of its largest value.
fn assert_products_match_the_formula(m: usize, k: usize, n: usize) {
    let device = Device::flex();
    let fill = |len: usize, seed: usize| -> Vec<f32> {
        (0..len).map(|i| (((i * 7 + seed * 13) % 23) as f32 - 11.0) * 0.125).collect()
    };
    let (a, b) = (fill(m * k, 1), fill(k * n, 2));
    let expected = reference_matmul(&a, &b, m, k, n);
    let lhs = Tensor::<2>::from_data(TensorData::new(a.clone(), [m, k]), &device);
    let rhs = Tensor::<2>::from_data(TensorData::new(b.clone(), [k, n]), &device);
    // The same operands as transposed views of transposed copies.
    let lhs_t = Tensor::<2>::from_data(TensorData::new(transpose(&a, m, k), [k, m]), &device).transpose();
    let rhs_t = Tensor::<2>::from_data(TensorData::new(transpose(&b, k, n), [n, k]), &device).transpose();
    for (case, product) in [
        ("contiguous", lhs.clone().matmul(rhs.clone())),
        ("transposed lhs", lhs_t.matmul(rhs.clone())),
        ("transposed rhs", lhs.matmul(rhs_t)),
    ] {
        assert_eq!(product.dims(), [m, n]);
        // Row-major reads of the product, directly and after an element-wise op and a reshape.
        let direct: Vec<f32> = product.clone().into_data().convert::<f32>().try_into_vec().unwrap();
        let shifted: Vec<f32> =
            product.add_scalar(1.0).reshape([m * n]).into_data().convert::<f32>().try_into_vec().unwrap();
        let scale = expected.iter().fold(1.0f64, |s, v| s.max(v.abs()));
        for i in 0..m * n {
            let what = format!("{case} [{m}, {k}] x [{k}, {n}] at {}, {}", i / n, i % n);
            assert!((direct[i] as f64 - expected[i]).abs() <= 1e-6 * scale, "{what}: {} vs {}", direct[i], expected[i]);
            assert!(
                (shifted[i] as f64 - expected[i] - 1.0).abs() <= 1e-6 * (scale + 1.0),
                "{what} (+1): {} vs {}",
                shifted[i],
                expected[i] + 1.0
            );
        }
    }
}

fn transpose(values: &[f32], rows: usize, cols: usize) -> Vec<f32> {
    (0..cols).flat_map(|c| (0..rows).map(move |r| values[r * cols + c])).collect()
}

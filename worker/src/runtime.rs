//! Helpers that work in a page and in a worker alike: they go through the global scope
//! (`self`), not `window`. Nothing here panics.

use js_sys::Reflect;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;

/// Milliseconds from `performance.now()`.
pub fn now_ms() -> f64 {
    Reflect::get(&js_sys::global(), &"performance".into())
        .ok()
        .and_then(|p| p.dyn_into::<web_sys::Performance>().ok())
        .map(|p| p.now())
        .unwrap_or(0.0)
}

/// Lets the event loop run (input on a page, incoming messages in a worker) before the next
/// chunk of work.
pub async fn yield_now() {
    gloo_timers::future::TimeoutFuture::new(0).await;
}

/// Readable message of a JavaScript error value.
pub fn js_error(value: JsValue) -> String {
    if let Some(s) = value.as_string() {
        return s;
    }
    Reflect::get(&value, &"message".into()).ok().and_then(|m| m.as_string()).unwrap_or_else(|| format!("{value:?}"))
}

/// Whether `navigator.gpu.requestAdapter()` yields an adapter. Probed before burn touches
/// WebGPU, because a missing adapter must lead to the CPU path, not a trap.
pub async fn webgpu_adapter_available() -> Result<(), String> {
    let navigator = Reflect::get(&js_sys::global(), &"navigator".into()).map_err(js_error)?;
    let gpu = Reflect::get(&navigator, &"gpu".into()).map_err(js_error)?;
    if gpu.is_undefined() || gpu.is_null() {
        return Err("this browser has no WebGPU (navigator.gpu is missing)".into());
    }
    let request = Reflect::get(&gpu, &"requestAdapter".into())
        .map_err(js_error)?
        .dyn_into::<js_sys::Function>()
        .map_err(|_| "navigator.gpu.requestAdapter is not a function".to_string())?;
    let promise = request
        .call0(&gpu)
        .map_err(js_error)?
        .dyn_into::<js_sys::Promise>()
        .map_err(|_| "requestAdapter did not return a promise".to_string())?;
    let adapter = JsFuture::from(promise).await.map_err(js_error)?;
    if adapter.is_null() || adapter.is_undefined() {
        return Err("WebGPU is present but no adapter is available (no usable GPU)".into());
    }
    Ok(())
}

/// Size of this module's WebAssembly memory, MB (grows only if something leaks).
pub fn wasm_memory_mb() -> f64 {
    wasm_bindgen::memory()
        .dyn_into::<js_sys::WebAssembly::Memory>()
        .ok()
        .and_then(|m| m.buffer().dyn_into::<js_sys::ArrayBuffer>().ok())
        .map(|b| b.byte_length() as f64 / 1e6)
        .unwrap_or(0.0)
}

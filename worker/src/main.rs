//! The model worker: a dedicated Web Worker that owns the device and the model. The page
//! posts [`Request`]s; the [`engine`] answers with [`Event`]s, both in the byte form of
//! [`trm_sudoku::protocol`]. `www/worker.js` loads this module.
//!
//! Module map: [`engine`] (load, solve, bench) and its fine-tuning, [`runtime`] (clocks and the
//! WebGPU probe in a worker).

mod engine;
mod runtime;

use engine::{Inbox, Outbox};
use futures::channel::mpsc::unbounded;
use trm_sudoku::protocol::{Event, Request, decode, encode};
use wasm_bindgen::JsCast;
use wasm_bindgen::JsValue;
use wasm_bindgen::closure::Closure;
use web_sys::{DedicatedWorkerGlobalScope, MessageEvent};

/// Posts an event to the page, moving its buffer. An event that cannot be encoded becomes an
/// error notice.
fn post(scope: &DedicatedWorkerGlobalScope, event: &Event) {
    let bytes = encode(event).or_else(|e| encode(&Event::Notice { error: true, text: format!("Internal: {e}") }));
    if let Ok(bytes) = bytes {
        let message = js_sys::Uint8Array::from(bytes.as_slice());
        let _ = scope.post_message_with_transfer(&message, &js_sys::Array::of1(&message.buffer()));
    }
}

/// A request from what the page posted.
fn from_js(data: JsValue) -> Result<Request, String> {
    let bytes = data.dyn_into::<js_sys::Uint8Array>().map_err(|_| "not a protocol message".to_string())?;
    decode(&bytes.to_vec())
}

fn main() {
    let Ok(scope) = js_sys::global().dyn_into::<DedicatedWorkerGlobalScope>() else {
        web_sys::console::error_1(&"trm-worker must run in a dedicated worker".into());
        return;
    };
    // A panic stops this module: tell the page, which says so to the user.
    let panic_scope = scope.clone();
    std::panic::set_hook(Box::new(move |info| {
        console_error_panic_hook::hook(info);
        post(&panic_scope, &Event::Crashed(info.to_string()));
    }));

    let (sender, receiver) = unbounded::<Request>();
    let error_scope = scope.clone();
    let on_message =
        Closure::<dyn FnMut(MessageEvent)>::new(move |message: MessageEvent| match from_js(message.data()) {
            Ok(request) => {
                let _ = sender.unbounded_send(request);
            }
            Err(e) => {
                post(&error_scope, &Event::Notice { error: true, text: format!("The worker got a bad request: {e}") })
            }
        });
    scope.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
    // Lives as long as the worker.
    on_message.forget();

    let out_scope = scope.clone();
    let out = Outbox::new(move |event| post(&out_scope, &event));
    out.send(Event::Listening);
    wasm_bindgen_futures::spawn_local(engine::run(Inbox::new(receiver), out));
}

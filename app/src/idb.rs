//! A tiny IndexedDB key-value store for fine-tuned weights, so they survive a reload.

use js_sys::{Promise, Uint8Array};
use wasm_bindgen::closure::Closure;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use web_sys::{IdbDatabase, IdbOpenDbRequest, IdbRequest, IdbTransactionMode};

use crate::platform::js_error;

const DB_NAME: &str = "trm-sudoku";
const STORE: &str = "weights";

/// Resolves when an IDB request succeeds (with its result) or fails.
async fn request_done(request: &IdbRequest) -> Result<JsValue, String> {
    let promise = Promise::new(&mut |resolve, reject| {
        let ok_request = request.clone();
        let on_success = Closure::once_into_js(move || {
            let result = ok_request.result().unwrap_or(JsValue::UNDEFINED);
            let _ = resolve.call1(&JsValue::NULL, &result);
        });
        let err_request = request.clone();
        let on_error = Closure::once_into_js(move || {
            let message = err_request
                .error()
                .ok()
                .flatten()
                .map(|e| e.message())
                .unwrap_or_else(|| "IndexedDB request failed".into());
            let _ = reject.call1(&JsValue::NULL, &JsValue::from_str(&message));
        });
        request.set_onsuccess(Some(on_success.unchecked_ref()));
        request.set_onerror(Some(on_error.unchecked_ref()));
    });
    JsFuture::from(promise).await.map_err(js_error)
}

async fn open() -> Result<IdbDatabase, String> {
    let factory =
        web_sys::window().ok_or("no window")?.indexed_db().map_err(js_error)?.ok_or("IndexedDB is not available")?;
    let request: IdbOpenDbRequest = factory.open_with_u32(DB_NAME, 1).map_err(js_error)?;
    let upgrade_request = request.clone();
    let on_upgrade = Closure::once_into_js(move || {
        if let Ok(result) = upgrade_request.result()
            && let Ok(db) = result.dyn_into::<IdbDatabase>()
            && !db.object_store_names().contains(STORE)
        {
            let _ = db.create_object_store(STORE);
        }
    });
    request.set_onupgradeneeded(Some(on_upgrade.unchecked_ref()));
    let db = request_done(&request).await?;
    db.dyn_into::<IdbDatabase>().map_err(|_| "IndexedDB open returned no database".to_string())
}

/// Stores bytes under `key`.
pub async fn put(key: &str, bytes: &[u8]) -> Result<(), String> {
    let db = open().await?;
    let tx = db.transaction_with_str_and_mode(STORE, IdbTransactionMode::Readwrite).map_err(js_error)?;
    let store = tx.object_store(STORE).map_err(js_error)?;
    let value = Uint8Array::from(bytes);
    let request = store.put_with_key(&value, &JsValue::from_str(key)).map_err(js_error)?;
    request_done(&request).await.map(|_| ())
}

/// Reads the bytes under `key`, if any.
pub async fn get(key: &str) -> Result<Option<Vec<u8>>, String> {
    let db = open().await?;
    let tx = db.transaction_with_str(STORE).map_err(js_error)?;
    let store = tx.object_store(STORE).map_err(js_error)?;
    let request = store.get(&JsValue::from_str(key)).map_err(js_error)?;
    let value = request_done(&request).await?;
    if value.is_undefined() || value.is_null() {
        return Ok(None);
    }
    Ok(value.dyn_into::<Uint8Array>().ok().map(|a| a.to_vec()))
}

/// Deletes `key`.
pub async fn delete(key: &str) -> Result<(), String> {
    let db = open().await?;
    let tx = db.transaction_with_str_and_mode(STORE, IdbTransactionMode::Readwrite).map_err(js_error)?;
    let store = tx.object_store(STORE).map_err(js_error)?;
    let request = store.delete(&JsValue::from_str(key)).map_err(js_error)?;
    request_done(&request).await.map(|_| ())
}

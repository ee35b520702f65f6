//! Small page helpers: the URL, the clipboard, downloads, and fetching with progress into
//! Cache Storage. Every fallible call returns a `Result`; nothing here panics.

use js_sys::{Reflect, Uint8Array};
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;

/// Milliseconds from `performance.now()`.
pub fn now_ms() -> f64 {
    web_sys::window().and_then(|w| w.performance()).map(|p| p.now()).unwrap_or(0.0)
}

/// Readable message of a JavaScript error value.
pub fn js_error(value: JsValue) -> String {
    if let Some(s) = value.as_string() {
        return s;
    }
    Reflect::get(&value, &"message".into()).ok().and_then(|m| m.as_string()).unwrap_or_else(|| format!("{value:?}"))
}

/// A query parameter of the page URL.
pub fn query_param(name: &str) -> Option<String> {
    let search = web_sys::window()?.location().search().ok()?;
    let params = web_sys::UrlSearchParams::new_with_str(&search).ok()?;
    params.get(name)
}

/// Sets (or removes) a query parameter without reloading or adding history entries.
pub fn set_query_param(name: &str, value: Option<&str>) {
    let Some(window) = web_sys::window() else { return };
    let Ok(href) = window.location().href() else { return };
    let Ok(url) = web_sys::Url::new(&href) else { return };
    match value {
        Some(v) => url.search_params().set(name, v),
        None => url.search_params().delete(name),
    }
    if let Ok(history) = window.history() {
        let _ = history.replace_state_with_url(&JsValue::NULL, "", Some(&url.href()));
    }
}

/// The page URL.
pub fn page_url() -> String {
    web_sys::window().and_then(|w| w.location().href().ok()).unwrap_or_default()
}

/// Copies text to the clipboard (best effort).
pub async fn copy_text(text: &str) -> Result<(), String> {
    let window = web_sys::window().ok_or("no window")?;
    let promise = window.navigator().clipboard().write_text(text);
    JsFuture::from(promise).await.map(|_| ()).map_err(js_error)
}

/// GETs `url`; an HTTP error status is an error.
async fn fetch_ok(window: &web_sys::Window, url: &str) -> Result<web_sys::Response, String> {
    let response: web_sys::Response = JsFuture::from(window.fetch_with_str(url))
        .await
        .map_err(|e| format!("could not fetch {url}: {}", js_error(e)))?
        .dyn_into()
        .map_err(|_| "fetch did not return a response".to_string())?;
    if !response.ok() {
        return Err(format!("could not fetch {url}: HTTP {}", response.status()));
    }
    Ok(response)
}

/// A downloaded file.
pub struct Download {
    /// Its bytes.
    pub bytes: Vec<u8>,
    /// Whether it came from Cache Storage.
    pub cached: bool,
    /// Why a cached copy was thrown away and fetched again, if one was.
    pub evicted: Option<String>,
}

/// Fetches `url`, reporting `(loaded, total)` as chunks arrive, and keeps the response in
/// Cache Storage under `cache_name` (keyed by `cache_key`), so the next visit skips the network.
/// `check` vets the bytes: a cached copy that fails it is deleted and fetched again (a damaged
/// cache would otherwise break the page for good); a download that fails it is an error and is
/// not cached.
pub async fn fetch_cached(
    url: &str,
    cache_name: &str,
    cache_key: &str,
    check: impl Fn(&[u8]) -> Result<(), String>,
    mut progress: impl FnMut(u64, Option<u64>),
) -> Result<Download, String> {
    let window = web_sys::window().ok_or("no window")?;
    // Cache Storage exists only in secure contexts (https, localhost); work without it.
    let cache: Option<web_sys::Cache> = match window.caches() {
        Ok(storage) => match JsFuture::from(storage.open(cache_name)).await {
            Ok(cache) => cache.dyn_into().ok(),
            Err(_) => None,
        },
        Err(_) => None,
    };
    let mut evicted = None;
    if let Some(cache) = &cache
        && let Ok(hit) = JsFuture::from(cache.match_with_str(cache_key)).await
        && let Ok(response) = hit.dyn_into::<web_sys::Response>()
    {
        let bytes = match response.array_buffer() {
            Ok(promise) => {
                JsFuture::from(promise).await.map(|buffer| Uint8Array::new(&buffer).to_vec()).map_err(js_error)
            }
            Err(e) => Err(js_error(e)),
        };
        match bytes.and_then(|bytes| check(&bytes).map(|()| bytes)) {
            Ok(bytes) => {
                progress(bytes.len() as u64, Some(bytes.len() as u64));
                return Ok(Download { bytes, cached: true, evicted: None });
            }
            Err(why) => {
                let _ = JsFuture::from(cache.delete_with_str(cache_key)).await;
                evicted = Some(why);
            }
        }
    }
    let bytes = fetch_with_progress(&window, url, &mut progress).await?;
    check(&bytes).map_err(|why| format!("the download of {url} is damaged: {why}"))?;
    if let Some(cache) = &cache {
        let array = Uint8Array::from(bytes.as_slice());
        if let Ok(copy) = web_sys::Response::new_with_opt_buffer_source(Some(&array)) {
            let _ = JsFuture::from(cache.put_with_str(cache_key, &copy)).await;
        }
    }
    Ok(Download { bytes, cached: false, evicted })
}

/// GETs `url` chunk by chunk, reporting `(loaded, total)`.
async fn fetch_with_progress(
    window: &web_sys::Window,
    url: &str,
    progress: &mut impl FnMut(u64, Option<u64>),
) -> Result<Vec<u8>, String> {
    let response = fetch_ok(window, url).await?;
    let total = response.headers().get("content-length").ok().flatten().and_then(|v| v.parse::<u64>().ok());
    let mut bytes: Vec<u8> = Vec::with_capacity(total.unwrap_or(0) as usize);
    match response.body() {
        Some(body) => {
            let reader: web_sys::ReadableStreamDefaultReader =
                body.get_reader().dyn_into().map_err(|_| "the response body has no reader".to_string())?;
            loop {
                let chunk = JsFuture::from(reader.read()).await.map_err(js_error)?;
                let done = Reflect::get(&chunk, &"done".into()).map_err(js_error)?.as_bool().unwrap_or(true);
                if done {
                    break;
                }
                let value = Reflect::get(&chunk, &"value".into()).map_err(js_error)?;
                let array: Uint8Array = value.dyn_into().map_err(|_| "unexpected chunk type".to_string())?;
                bytes.extend_from_slice(&array.to_vec());
                progress(bytes.len() as u64, total);
            }
        }
        None => {
            let buffer = JsFuture::from(response.array_buffer().map_err(js_error)?).await.map_err(js_error)?;
            bytes = Uint8Array::new(&buffer).to_vec();
            progress(bytes.len() as u64, total);
        }
    }
    Ok(bytes)
}

/// Fetches a small text file without caching.
pub async fn fetch_text(url: &str) -> Result<String, String> {
    let window = web_sys::window().ok_or("no window")?;
    let response = fetch_ok(&window, url).await?;
    let text = JsFuture::from(response.text().map_err(js_error)?).await.map_err(js_error)?;
    text.as_string().ok_or_else(|| format!("{url} is not text"))
}

/// Offers bytes as a file download.
pub fn download_bytes(name: &str, bytes: &[u8]) -> Result<(), String> {
    download_typed(name, "application/octet-stream", bytes)
}

/// Offers bytes of a given MIME type as a file download.
pub fn download_typed(name: &str, mime: &str, bytes: &[u8]) -> Result<(), String> {
    let window = web_sys::window().ok_or("no window")?;
    let document = window.document().ok_or("no document")?;
    let array = js_sys::Array::new();
    array.push(&Uint8Array::from(bytes));
    let options = web_sys::BlobPropertyBag::new();
    options.set_type(mime);
    let blob = web_sys::Blob::new_with_u8_array_sequence_and_options(&array, &options).map_err(js_error)?;
    let url = web_sys::Url::create_object_url_with_blob(&blob).map_err(js_error)?;
    let anchor: web_sys::HtmlAnchorElement = document
        .create_element("a")
        .map_err(js_error)?
        .dyn_into()
        .map_err(|_| "could not create a link".to_string())?;
    anchor.set_href(&url);
    anchor.set_download(name);
    anchor.click();
    let _ = web_sys::Url::revoke_object_url(&url);
    Ok(())
}

/// In an iframe: tells the host page the content's height whenever it changes (a
/// `{type: "trm-embed-size", height}` message, which `embed.js` checks comes from the widget's
/// origin), so the host sizes the frame and nothing scrolls inside it.
pub fn report_height_to_host() {
    let Some(window) = web_sys::window() else { return };
    let Ok(Some(parent)) = window.parent() else { return };
    let Some(root) = window.document().and_then(|d| d.document_element()) else { return };
    let measured = root.clone();
    let last = std::rc::Rc::new(std::cell::Cell::new(0i32));
    let report = wasm_bindgen::closure::Closure::<dyn FnMut()>::new(move || {
        let height = measured.scroll_height();
        if height != last.get() {
            last.set(height);
            let message = js_sys::Object::new();
            let _ = Reflect::set(&message, &"type".into(), &"trm-embed-size".into());
            let _ = Reflect::set(&message, &"height".into(), &JsValue::from(height));
            // The height is not private: any host may read it; the host checks our origin.
            let _ = parent.post_message(&message, "*");
        }
    });
    match web_sys::ResizeObserver::new(report.as_ref().unchecked_ref()) {
        Ok(observer) => {
            observer.observe(&root);
            if let Some(body) = window.document().and_then(|d| d.body()) {
                observer.observe(&body);
            }
            // Lives as long as the page.
            std::mem::forget(observer);
        }
        Err(_) => {
            let _ = window.set_interval_with_callback_and_timeout_and_arguments_0(report.as_ref().unchecked_ref(), 250);
        }
    }
    report.forget();
}

//! Bindings to the JavaScript half (`js/glue.js`).

use core::future::Future;
use core::pin::Pin;

use js_sys::{Function, Object, Promise};
use wasm_bindgen::prelude::*;
use web_sys::AbortSignal;

#[wasm_bindgen(module = "/js/glue.js")]
extern "C" {
    /// The error class called `name`.
    #[wasm_bindgen(js_name = errorClass)]
    pub fn error_class(name: &str) -> JsValue;
    /// `new <name>(message, props)`.
    #[wasm_bindgen(js_name = makeError)]
    pub fn make_error(name: &str, message: &str, props: &Object) -> JsValue;
    /// A promise resolved after `ms`, rejected with the signal's reason on abort.
    pub fn sleep(ms: f64, signal: Option<&AbortSignal>) -> Promise;
    /// `fetch(url, {method, headers, body, signal})` through the injected function if any.
    #[wasm_bindgen(js_name = doFetch)]
    pub fn do_fetch(
        fetch: Option<&Function>,
        url: &str,
        method: &str,
        headers: &JsValue,
        body: Option<JsValue>,
        signal: &AbortSignal,
    ) -> Promise;
    /// A thrown value's message.
    #[wasm_bindgen(js_name = errorText)]
    pub fn error_text(e: &JsValue) -> String;
    /// Adds `next()`, `cancel()`, `toReadableStream()` and `[Symbol.asyncIterator]` to
    /// the Stream prototype;
    /// `memory` is the wasm memory the batches' ops are read from.
    #[wasm_bindgen(js_name = installIterator)]
    pub fn install_iterator(proto: &JsValue, memory: &JsValue);
    /// Reads the rest of `stream` and resolves with its accumulated completion.
    #[wasm_bindgen(js_name = finalCompletion)]
    pub fn final_completion(stream: JsValue) -> Promise;

    /// `new Response(bytes, {headers: {"content-type": type}})`.
    #[wasm_bindgen(js_name = makeResponse)]
    pub fn make_response(bytes: &[u8], content_type: &str) -> JsValue;
    /// `FormData` with `purpose` and `file` (a `File`/`Blob`, named `filename` if given).
    #[wasm_bindgen(js_name = uploadForm)]
    pub fn upload_form(purpose: &JsValue, file: &JsValue, filename: &JsValue) -> JsValue;

    /// `reader.cancel()`, its rejection (an already failed stream) ignored.
    #[wasm_bindgen(js_name = cancelReader)]
    pub fn cancel_reader(reader: &web_sys::ReadableStreamDefaultReader);

    /// One HTTP attempt's abort controller, linked to the caller's signal and a timeout.
    pub type Attempt;
    /// Starts the timeout (0 = none).
    #[wasm_bindgen(constructor)]
    pub fn new(signal: Option<&AbortSignal>, timeout_ms: f64) -> Attempt;
    /// The signal given to fetch.
    #[wasm_bindgen(method, getter)]
    pub fn signal(this: &Attempt) -> AbortSignal;
    /// Whether the timeout fired.
    #[wasm_bindgen(method, getter, js_name = timedOut)]
    pub fn timed_out(this: &Attempt) -> bool;
    /// The timeout in ms (0 = none).
    #[wasm_bindgen(method, getter, js_name = timeoutMs)]
    pub fn timeout_ms(this: &Attempt) -> f64;
    /// Whether the caller's signal fired.
    #[wasm_bindgen(method, getter, js_name = userAborted)]
    pub fn user_aborted(this: &Attempt) -> bool;
    /// Stops the timeout.
    #[wasm_bindgen(method, js_name = clearTimer)]
    pub fn clear_timer(this: &Attempt);
    /// Aborts the fetch and its body.
    #[wasm_bindgen(method)]
    pub fn abort(this: &Attempt);
    /// Bounds the body from now on: `idle_ms` of silence while a read waits, `total_ms`
    /// in all (0 = none); crossing one aborts the request and cancels the reader.
    #[wasm_bindgen(method)]
    pub fn bound(this: &Attempt, idle_ms: f64, total_ms: f64);
    /// `reader.read()` under the idle bound; call `settled` once it has settled.
    #[wasm_bindgen(method)]
    pub fn read(this: &Attempt, reader: &web_sys::ReadableStreamDefaultReader) -> Promise;
    /// The read `read` started has settled: the idle bound stops counting.
    #[wasm_bindgen(method)]
    pub fn settled(this: &Attempt);
    /// The body bound crossed (`stream_idle_timeout` or `stream_timeout`), if any.
    #[wasm_bindgen(method, getter)]
    pub fn expired(this: &Attempt) -> Option<String>;
    /// The crossed bound, in ms.
    #[wasm_bindgen(method, getter, js_name = expiredAfter)]
    pub fn expired_after(this: &Attempt) -> f64;
    /// Stops the timeout and unlinks the caller's signal.
    #[wasm_bindgen(method)]
    pub fn release(this: &Attempt);
}

/// Reads `obj[key]`, `undefined` when absent or `obj` is not an object.
pub fn get(obj: &JsValue, key: &str) -> JsValue {
    if !obj.is_object() {
        return JsValue::UNDEFINED;
    }
    js_sys::Reflect::get(obj, &JsValue::from_str(key)).unwrap_or(JsValue::UNDEFINED)
}

/// Sets `obj[key] = value` (on a fresh object this cannot fail).
pub fn set(obj: &Object, key: &str, value: &JsValue) {
    let _ = js_sys::Reflect::set(obj, &JsValue::from_str(key), value);
}

/// `JSON.parse` of text the crate produced.
pub fn parse_json(text: &str) -> JsValue {
    js_sys::JSON::parse(text).unwrap_or(JsValue::NULL)
}

/// Serializes a Rust value into a JS value (through JSON: small and fast).
pub fn to_js<T: serde::Serialize>(value: &T) -> JsValue {
    match serde_json::to_string(value) {
        Ok(text) => parse_json(&text),
        Err(_) => JsValue::NULL,
    }
}

/// Unix seconds now.
pub fn now_secs() -> u64 {
    (js_sys::Date::now() / 1000.0) as u64
}

/// A promise settled by `future`. The future is boxed first, so the machinery of
/// `future_to_promise` is compiled once for every async method rather than once per
/// future type (7 kB of wasm less, 2 kB gzipped).
pub fn spawn(future: impl Future<Output = Result<JsValue, JsValue>> + 'static) -> Promise {
    spawn_boxed(Box::pin(future))
}

fn spawn_boxed(future: Pin<Box<dyn Future<Output = Result<JsValue, JsValue>>>>) -> Promise {
    wasm_bindgen_futures::future_to_promise(future)
}

//! Core errors to JavaScript error classes.

use js_sys::Object;
use switchboard_core::Error;
use wasm_bindgen::JsValue;

use crate::js;

/// Why a call failed: a core error, or the caller's abort.
#[derive(Debug)]
pub enum Fail {
    /// A core error (provider answer, connection, timeout, cut stream, ...).
    Core(Error),
    /// The caller's `AbortSignal` fired.
    Abort,
    /// A configuration mistake, thrown as `SwitchboardError`.
    Config(String),
    /// A body bound was crossed: `code` is `stream_idle_timeout` (`idleTimeout`) or
    /// `stream_timeout` (`streamTimeout`), `after_ms` the bound.
    BodyTimeout {
        /// Which bound.
        code: String,
        /// The bound, in ms.
        after_ms: f64,
    },
}

impl From<Error> for Fail {
    fn from(e: Error) -> Self {
        Fail::Core(e)
    }
}

/// The JS class for a status.
fn class_for_status(status: u16) -> &'static str {
    match status {
        400 | 422 => "BadRequestError",
        401 => "AuthenticationError",
        403 => "PermissionDeniedError",
        404 => "NotFoundError",
        409 => "ConflictError",
        429 => "RateLimitError",
        500..=599 => "InternalServerError",
        _ => "APIError",
    }
}

fn put(props: &Object, key: &str, value: Option<&str>) {
    if let Some(v) = value {
        js::set(props, key, &JsValue::from_str(v));
    }
}

/// The JS error thrown for a failure.
pub fn to_js(fail: Fail) -> JsValue {
    let props = Object::new();
    let (class, message) = match fail {
        Fail::Abort => ("APIUserAbortError", String::from("Request was aborted.")),
        Fail::Config(message) => ("SwitchboardError", message),
        Fail::BodyTimeout { code, after_ms } => {
            let message = if code == "stream_idle_timeout" {
                format!("no body bytes arrived for {after_ms} ms (idleTimeout)")
            } else {
                format!("the body did not end within {after_ms} ms (streamTimeout)")
            };
            put(&props, "code", Some(&code));
            put(&props, "type", Some("api_error"));
            ("APIConnectionTimeoutError", message)
        }
        Fail::Core(e) => {
            let class = match &e {
                Error::StreamInterrupted { .. } => "StreamInterruptedError",
                Error::Connection { .. } => "APIConnectionError",
                Error::Timeout { .. } => "APIConnectionTimeoutError",
                Error::BadResponse { .. } => "APIError",
                e => class_for_status(e.status()),
            };
            if !matches!(e, Error::Connection { .. } | Error::Timeout { .. }) {
                js::set(&props, "status", &JsValue::from(e.status()));
            }
            let body = e.to_body();
            put(&props, "code", e.code());
            put(&props, "type", Some(e.kind()));
            put(&props, "param", body.error.param.as_deref());
            put(&props, "provider", e.provider());
            if let Some(s) = e.retry_after() {
                js::set(&props, "retryAfter", &JsValue::from(s as f64));
            }
            js::set(&props, "error", &js::to_js(&body.error));
            if let Error::Api(api) | Error::InStream(api) = &e {
                put(&props, "requestId", api.request_id.as_deref());
                put(&props, "body", api.raw.as_deref());
            }
            if e.is_in_stream() {
                js::set(&props, "inStream", &JsValue::TRUE);
            }
            (class, e.message())
        }
    };
    js::make_error(class, &message, &props)
}

/// A `SwitchboardError` for a configuration mistake.
pub fn config(message: impl Into<String>) -> JsValue {
    to_js(Fail::Config(message.into()))
}

//! HTTP through `fetch`: headers, timeouts, retries with backoff, abort.

use js_sys::{Array, Function, Uint8Array};
use switchboard_core::Error;
use switchboard_core::http::{HttpRequest, ResponseHead};
use switchboard_core::limits::Limits;
use switchboard_core::provider::ProviderId;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use web_sys::{AbortSignal, ReadableStreamDefaultReader, Response};

use crate::errors::Fail;
use crate::js::{self, Attempt};

/// Where requests go.
#[derive(Debug, Clone)]
pub enum Route {
    /// A Switchboard gateway speaking OpenAI; models are `provider/model`.
    Gateway,
    /// One provider, its dialect encoded here.
    Direct(ProviderId),
}

/// A configured client.
#[derive(Debug)]
pub struct Client {
    /// Gateway or direct.
    pub route: Route,
    /// Base URL, no trailing `/`.
    pub base_url: String,
    /// The key sent as `Authorization: Bearer`.
    pub api_key: String,
    /// Retries after the first attempt.
    pub max_retries: u32,
    /// Per-attempt timeout in ms (0 = none).
    pub timeout_ms: f64,
    /// Most ms of silence between two body pieces (0 = none).
    pub idle_timeout_ms: f64,
    /// Most ms for a whole body, from the response head (0 = none).
    pub stream_timeout_ms: f64,
    /// An injected `fetch`.
    pub fetch: Option<Function>,
    /// Headers sent on every request.
    pub headers: Vec<(String, String)>,
}

/// Per-call options.
#[derive(Debug, Default)]
pub struct CallOptions {
    /// The caller's abort signal.
    pub signal: Option<AbortSignal>,
    /// Overrides the client's timeout.
    pub timeout_ms: Option<f64>,
    /// Overrides the client's retries.
    pub max_retries: Option<u32>,
    /// Overrides the client's `idleTimeout`.
    pub idle_timeout_ms: Option<f64>,
    /// Overrides the client's `streamTimeout`.
    pub stream_timeout_ms: Option<f64>,
    /// Extra headers.
    pub headers: Vec<(String, String)>,
}

/// Reads `{[k]: v}` into pairs (values stringified, `null`/`undefined` skipped).
pub fn header_pairs(obj: &JsValue) -> Vec<(String, String)> {
    let mut out = Vec::new();
    if !obj.is_object() {
        return out;
    }
    let entries = js_sys::Object::entries(obj.unchecked_ref());
    for entry in entries.iter() {
        let entry: Array = entry.unchecked_into();
        let (k, v) = (entry.get(0), entry.get(1));
        if v.is_null() || v.is_undefined() {
            continue;
        }
        if let (Some(k), Some(v)) = (
            k.as_string(),
            v.as_string().or_else(|| v.as_f64().map(|n| n.to_string())),
        ) {
            out.push((k, v));
        }
    }
    out
}

/// A number option, if it is a finite non-negative number.
pub fn number(v: &JsValue) -> Option<f64> {
    v.as_f64().filter(|n| n.is_finite() && *n >= 0.0)
}

impl CallOptions {
    /// Reads `{signal, timeout, maxRetries, idleTimeout, streamTimeout, headers}`.
    pub fn from_js(opts: &JsValue) -> CallOptions {
        let signal = js::get(opts, "signal");
        CallOptions {
            signal: (!signal.is_undefined() && !signal.is_null()).then(|| signal.unchecked_into()),
            timeout_ms: number(&js::get(opts, "timeout")),
            max_retries: number(&js::get(opts, "maxRetries")).map(|n| n as u32),
            idle_timeout_ms: number(&js::get(opts, "idleTimeout")),
            stream_timeout_ms: number(&js::get(opts, "streamTimeout")),
            headers: header_pairs(&js::get(opts, "headers")),
        }
    }
}

/// A successful response whose body is still to be read, and its attempt.
pub struct Answer {
    /// The response.
    pub response: Response,
    /// What the core needs of its head.
    pub head: ResponseHead,
    /// The attempt (abort controller, timeout) the body is read under.
    pub attempt: Attempt,
}

/// The head of a fetch response.
pub fn head_of(response: &Response) -> ResponseHead {
    let mut head = ResponseHead::new(response.status(), js::now_secs());
    let headers = response.headers();
    for name in [
        "content-type",
        "retry-after",
        "x-request-id",
        "request-id",
        "cf-ray",
    ] {
        if let Ok(Some(v)) = headers.get(name) {
            head.header(name, &v);
        }
    }
    head
}

/// Backoff before retry number `retry` (0-based), in ms: the server's `Retry-After`
/// when given and at most 60 s, else 0.5 s doubling to 8 s, with up to 25 % jitter off.
pub fn backoff_ms(retry: u32, retry_after: Option<u64>) -> f64 {
    if let Some(s) = retry_after.filter(|s| *s <= 60) {
        return s as f64 * 1000.0;
    }
    let base = (500.0 * 2f64.powi(retry.min(4) as i32)).min(8000.0);
    base * (1.0 - 0.25 * js_sys::Math::random())
}

impl Client {
    /// The provider errors and bodies are attributed to (`None` through the gateway).
    pub fn provider(&self) -> Option<ProviderId> {
        match self.route {
            Route::Gateway => None,
            Route::Direct(p) => Some(p),
        }
    }

    /// Decodes an error answer: the provider's dialect in direct mode; the gateway's
    /// OpenAI body (with its `provider`) otherwise.
    pub fn decode_error(&self, head: &ResponseHead, body: &[u8]) -> Error {
        match self.route {
            Route::Direct(p) => switchboard_core::decode::decode_error(p, head, body),
            Route::Gateway => {
                let mut e = switchboard_core::decode::decode_error(ProviderId::Secry, head, body);
                if let Error::Api(api) = &mut e {
                    api.provider = serde_json::from_slice::<serde_json::Value>(body)
                        .ok()
                        .and_then(|v| v.pointer("/error/provider")?.as_str().map(String::from));
                }
                e
            }
        }
    }

    /// Sends `req` with retries (connection failures, timeouts and retryable statuses,
    /// all before the first body byte). Returns a 2xx answer with its body unread.
    pub async fn send(&self, req: &HttpRequest, opts: &CallOptions) -> Result<Answer, Fail> {
        self.send_body(req, None, opts).await
    }

    /// [`Client::send`] with a JS body (e.g. `FormData`) instead of `req.body`.
    pub async fn send_body(
        &self,
        req: &HttpRequest,
        js_body: Option<&JsValue>,
        opts: &CallOptions,
    ) -> Result<Answer, Fail> {
        let url = req.url(&self.base_url);
        let headers = Array::new();
        let push = |k: &str, v: &str| {
            headers.push(&Array::of2(&JsValue::from_str(k), &JsValue::from_str(v)));
        };
        for (k, v) in &req.headers {
            push(k, v);
        }
        if !self.api_key.is_empty() && req.header("authorization").is_none() {
            push("authorization", &format!("Bearer {}", self.api_key));
        }
        for (k, v) in self.headers.iter().chain(&opts.headers) {
            push(k, v);
        }
        let headers: JsValue = headers.into();
        let max_retries = opts.max_retries.unwrap_or(self.max_retries);
        let timeout = opts.timeout_ms.unwrap_or(self.timeout_ms);
        let idle = opts.idle_timeout_ms.unwrap_or(self.idle_timeout_ms);
        let total = opts.stream_timeout_ms.unwrap_or(self.stream_timeout_ms);
        let mut retry = 0;
        loop {
            let attempt = Attempt::new(opts.signal.as_ref(), timeout);
            let body = match js_body {
                Some(b) => Some(b.clone()),
                None => req.body.as_deref().map(|b| Uint8Array::from(b).into()),
            };
            let promise = js::do_fetch(
                self.fetch.as_ref(),
                &url,
                req.method.as_str(),
                &headers,
                body,
                &attempt.signal(),
            );
            let error = match JsFuture::from(promise).await {
                Err(e) => {
                    attempt.release();
                    if attempt.user_aborted() {
                        return Err(Fail::Abort);
                    }
                    if attempt.timed_out() {
                        Error::Timeout {
                            after_ms: timeout as u64,
                        }
                    } else {
                        Error::Connection {
                            message: format!("connection error: {}", js::error_text(&e)),
                        }
                    }
                }
                Ok(response) => {
                    let response: Response = response.unchecked_into();
                    attempt.bound(idle, total);
                    let head = head_of(&response);
                    if head.is_success() {
                        return Ok(Answer {
                            response,
                            head,
                            attempt,
                        });
                    }
                    match read_all(&response, &attempt).await {
                        Ok(body) => self.decode_error(&head, &body),
                        Err(Fail::Core(_)) => self.decode_error(&head, b""),
                        Err(other) => return Err(other),
                    }
                }
            };
            if retry >= max_retries || !error.is_retryable() {
                return Err(Fail::Core(error));
            }
            let wait = backoff_ms(retry, error.retry_after());
            if JsFuture::from(js::sleep(wait, opts.signal.as_ref()))
                .await
                .is_err()
            {
                return Err(Fail::Abort);
            }
            retry += 1;
        }
    }
}

/// The failure for a body bound `attempt` crossed, if any.
pub fn expired(attempt: &Attempt) -> Option<Fail> {
    attempt.expired().map(|code| Fail::BodyTimeout {
        code,
        after_ms: attempt.expired_after(),
    })
}

/// Why a body read failed: a crossed body bound, the caller's abort, the attempt's
/// timeout, or else the connection (`broke` makes that error from the JS message).
pub fn read_failure(attempt: &Attempt, e: &JsValue, broke: impl FnOnce(String) -> Error) -> Fail {
    if let Some(fail) = expired(attempt) {
        fail
    } else if attempt.user_aborted() {
        Fail::Abort
    } else if attempt.timed_out() {
        Fail::Core(Error::Timeout {
            after_ms: attempt.timeout_ms() as u64,
        })
    } else {
        Fail::Core(broke(js::error_text(e)))
    }
}

/// Reads a whole body piece by piece under `attempt` (and its body bounds), failing
/// as soon as it passes the response cap (`Limits::DEFAULT.max_response_bytes`); then
/// releases the attempt, whatever the outcome.
pub async fn read_all(response: &Response, attempt: &Attempt) -> Result<Vec<u8>, Fail> {
    let body = read_capped(response, attempt, Limits::DEFAULT.max_response_bytes).await;
    attempt.release();
    body
}

/// [`read_all`] without the release, past `max` bytes a failure.
async fn read_capped(response: &Response, attempt: &Attempt, max: usize) -> Result<Vec<u8>, Fail> {
    let Some(body) = response.body() else {
        return Ok(Vec::new());
    };
    let reader: ReadableStreamDefaultReader = body.get_reader().unchecked_into();
    let mut out = Vec::new();
    loop {
        let read = JsFuture::from(attempt.read(&reader)).await;
        attempt.settled();
        if let Some(fail) = expired(attempt) {
            return Err(fail);
        }
        let read = read.map_err(|e| {
            read_failure(attempt, &e, |m| Error::Connection {
                message: format!("the body could not be read: {m}"),
            })
        })?;
        if js::get(&read, "done").is_truthy() {
            return Ok(out);
        }
        let piece: Uint8Array = js::get(&read, "value").unchecked_into();
        let start = out.len();
        let len = piece.length() as usize;
        if start.saturating_add(len) > max {
            js::cancel_reader(&reader);
            return Err(Fail::Core(Error::TooLarge {
                what: "response body",
                limit: max as u64,
            }));
        }
        out.resize(start + len, 0);
        piece.copy_to(&mut out[start..]);
    }
}

//! Talking to providers: building the `fetch` from the core's [`HttpRequest`], time
//! limits ([`Timeouts`]), retries before the first byte ([`send_retrying`]), reading
//! bodies under a size cap, and aborting the fetch when its answer is abandoned
//! ([`Guard`]).

use std::pin::pin;
use std::time::Duration;

use futures_util::future::{Either, select};
use switchboard_core::http::{HttpRequest, Method as CoreMethod, ResponseHead};
use switchboard_core::route::Target;
use switchboard_core::{Error, ProviderId};
use worker::wasm_bindgen::JsValue;
use worker::{AbortController, Delay, Fetch, Headers, Method, Request};
use worker::{RequestInit, Response};

use crate::body::Pieces;
use crate::clock::Clock;
use crate::config::{Config, Retry, Timeouts};

/// Aborts the upstream fetch when dropped, unless [`Guard::finished`] was called: a
/// caller that goes away drops the response stream, and with it the fetch.
pub struct Guard(Option<AbortController>);

impl Guard {
    /// The exchange is complete (or handed to the runtime): nothing to abort.
    pub fn finished(&mut self) {
        self.0 = None;
    }
}

impl Drop for Guard {
    fn drop(&mut self) {
        if let Some(controller) = self.0.take() {
            controller.abort();
        }
    }
}

/// Sends `http` to `base_url` (from configuration, never from the caller), with `body`
/// (a JS body such as the caller's stream) instead of `http.body` when given. Fails with
/// 504 when no response head arrives within `timeouts.first_byte_ms`.
pub async fn send(
    provider: ProviderId,
    http: &HttpRequest,
    base_url: &str,
    body: Option<JsValue>,
    timeouts: Timeouts,
) -> Result<(Response, Guard), Error> {
    let unreachable = |e: worker::Error| Error::Connection {
        message: format!("provider '{provider}' could not be reached: {e}"),
    };
    let headers = Headers::new();
    for (name, value) in &http.headers {
        headers.set(name, value).map_err(unreachable)?;
    }
    let controller = AbortController::default();
    let signal = controller.signal();
    let mut init = RequestInit::new();
    init.with_method(match http.method {
        CoreMethod::Get => Method::Get,
        CoreMethod::Post => Method::Post,
        CoreMethod::Delete => Method::Delete,
    })
    .with_headers(headers);
    match (body, &http.body) {
        (Some(body), _) => {
            init.with_body(Some(body));
        }
        (None, Some(bytes)) => {
            init.with_body(Some(
                worker::js_sys::Uint8Array::from(bytes.as_slice()).into(),
            ));
        }
        (None, None) => {}
    }
    let request = Request::new_with_init(&http.url(base_url), &init).map_err(unreachable)?;
    let fetch = Fetch::Request(request);
    let sent = pin!(fetch.send_with_signal(&signal));
    let limit = pin!(Delay::from(Duration::from_millis(timeouts.first_byte_ms)));
    match select(sent, limit).await {
        Either::Left((result, _)) => Ok((result.map_err(unreachable)?, Guard(Some(controller)))),
        Either::Right(_) => {
            controller.abort();
            Err(Error::Timeout {
                after_ms: timeouts.first_byte_ms,
            })
        }
    }
}

/// [`send`] with retries before the first byte: a connect error, 429 or 5xx is tried
/// again up to `retry.max_retries` times, waiting `Retry-After` when the provider says,
/// else `retry.base_ms` doubled per attempt. A wait longer than `retry.max_wait_ms`
/// is not made: that answer (e.g. the 429) goes back to the caller as it is.
pub async fn send_retrying(
    provider: ProviderId,
    http: &HttpRequest,
    base_url: &str,
    config: &Config,
    now_ms: u64,
) -> Result<(Response, Guard), Error> {
    let Retry {
        max_retries,
        base_ms,
        max_wait_ms,
    } = config.retry;
    let mut attempt = 0;
    loop {
        let result = send(provider, http, base_url, None, config.timeouts).await;
        let backoff = base_ms
            .saturating_mul(1 << attempt.min(16))
            .min(max_wait_ms);
        let wait = match &result {
            Ok((response, _)) => {
                let status = response.status_code();
                if status != 429 && !(500..=599).contains(&status) {
                    return result;
                }
                head(response, now_ms / 1000)
                    .retry_after_secs()
                    .map_or(backoff, |s| s.saturating_mul(1000))
            }
            Err(Error::Connection { .. }) => backoff,
            Err(_) => return result,
        };
        if attempt >= max_retries || wait > max_wait_ms {
            return result;
        }
        attempt += 1;
        drop(result);
        Delay::from(Duration::from_millis(wait)).await;
    }
}

/// The first answer of `attempt` over `targets` in order: a retryable failure moves on
/// to the next target (an alias's fallbacks), any other ends there; the last retryable
/// failure when none answers.
pub async fn first_answer<T>(
    targets: &[Target],
    mut attempt: impl AsyncFnMut(&Target) -> Result<T, Error>,
) -> Result<T, Error> {
    let mut last = None;
    for target in targets {
        match attempt(target).await {
            Ok(answer) => return Ok(answer),
            Err(e) if e.is_retryable() => last = Some(e),
            Err(e) => return Err(e),
        }
    }
    Err(last.unwrap_or_else(|| Error::invalid("no target to route to", Some("model"))))
}

/// What the core needs of a response head.
pub fn head(response: &Response, now_secs: u64) -> ResponseHead {
    let mut head = ResponseHead::new(response.status_code(), now_secs);
    for (name, value) in response.headers().entries() {
        head.header(&name, &value);
    }
    head
}

/// Reads a provider's body, failing past the configured response cap
/// (`max_response_bytes`) or time limits.
pub async fn read_body(
    response: &mut Response,
    guard: &mut Guard,
    config: &Config,
) -> Result<Vec<u8>, Error> {
    let limit = config.limits.max_response_bytes;
    let Some(mut stream) = Pieces::of_response(response).map_err(runtime_text)? else {
        guard.finished();
        return Ok(Vec::new());
    };
    let mut clock = Clock::start(config.timeouts);
    let mut body = Vec::new();
    while let Some(piece) = clock.next(&mut stream).await? {
        if body.len().saturating_add(piece.len()) > limit {
            return Err(Error::TooLarge {
                what: "provider response body",
                limit: limit as u64,
            });
        }
        body.extend_from_slice(&piece);
    }
    guard.finished();
    Ok(body)
}

/// The caller's `content-length`, when given and a number.
pub fn declared_length(req: &Request) -> Option<u64> {
    req.headers()
        .get("content-length")
        .ok()
        .flatten()
        .and_then(|v| v.trim().parse::<u64>().ok())
}

/// A runtime failure inside the gateway, as a 502 naming no secret.
pub fn runtime_error(e: worker::Error) -> Error {
    runtime_text(e.to_string())
}

/// [`runtime_error`] from its text.
pub fn runtime_text(e: String) -> Error {
    Error::Connection {
        message: format!("gateway runtime error: {e}"),
    }
}

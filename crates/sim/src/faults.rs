//! Faults on demand: the `x-sim-fault` header grammar, faults armed through `/__sim/faults`,
//! and how each fault changes a response.

use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use serde_json::Value;

use crate::provider::{Provider, json_response, plain_error};
use crate::state::AppState;
use crate::wire::{End, Plan};

/// Name of the request header that carries faults.
pub const HEADER: &str = "x-sim-fault";

/// Longest hang the simulator agrees to.
const MAX_HANG: Duration = Duration::from_secs(60);

/// Bytes sent by the `garbage` fault.
pub const GARBAGE: &[u8] = b"\x00\xff\xfe<html>garbage \x1b[0m{{{ not json \xc3\x28\n\n";

/// The faults asked for on one request.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Faults {
    /// `latency=MS`: wait before handling.
    pub latency: Option<Duration>,
    /// `status=CODE`: answer with this error status in the provider's error shape.
    pub status: Option<u16>,
    /// `retry-after=S`: add `Retry-After: S` (implies status 429 when no status is given).
    pub retry_after: Option<u64>,
    /// `reset`: abort the connection before the first byte.
    pub reset: bool,
    /// `reset-after=N`: abort after N stream events (or N body bytes when not streaming).
    pub reset_after: Option<usize>,
    /// `garbage`: non-JSON bytes instead of the body (or after the first stream event).
    pub garbage: bool,
    /// `truncate`: cut the JSON in half (the second stream event, then the stream ends).
    pub truncate: bool,
    /// `error-mid-stream[=N]`: after N events (default 1), an error object, then the end.
    pub error_mid_stream: Option<usize>,
    /// `no-done`: the stream ends cleanly without `data: [DONE]`.
    pub no_done: bool,
    /// `one-byte[=MS]`: write the body one byte per TCP write, pausing MS between bytes.
    pub one_byte: Option<Duration>,
    /// `hang[=MS]`: say nothing for MS (default 10000, at most 60000), then abort.
    pub hang: Option<Duration>,
}

impl Faults {
    /// Parses a comma-separated list such as `latency=50,status=429,retry-after=2`.
    pub fn parse(spec: &str) -> Result<Self, String> {
        let mut f = Faults::default();
        for item in spec
            .split([',', ';'])
            .map(str::trim)
            .filter(|s| !s.is_empty())
        {
            let (name, value) = match item.split_once('=') {
                Some((n, v)) => (n.trim().to_ascii_lowercase(), Some(v.trim())),
                None => (item.to_ascii_lowercase(), None),
            };
            let num = |what: &str| -> Result<u64, String> {
                value
                    .ok_or_else(|| format!("fault {what} needs a value"))?
                    .parse::<u64>()
                    .map_err(|_| format!("fault {what} wants a whole number"))
            };
            match name.as_str() {
                "latency" => f.latency = Some(Duration::from_millis(num("latency")?.min(60_000))),
                "status" => {
                    let code = num("status")?;
                    if !(400..=599).contains(&code) {
                        return Err("fault status must be 400..=599".into());
                    }
                    f.status = Some(code as u16);
                }
                "429" | "500" | "502" | "503" => f.status = name.parse().ok(),
                "retry-after" => f.retry_after = Some(num("retry-after")?),
                "reset" => f.reset = true,
                "reset-after" => f.reset_after = Some(num("reset-after")? as usize),
                "garbage" => f.garbage = true,
                "truncate" => f.truncate = true,
                "error-mid-stream" => {
                    f.error_mid_stream = Some(match value {
                        Some(_) => num("error-mid-stream")? as usize,
                        None => 1,
                    })
                }
                "no-done" => f.no_done = true,
                "one-byte" => {
                    let ms = match value {
                        Some(_) => num("one-byte")?.min(1000),
                        None => 0,
                    };
                    f.one_byte = Some(Duration::from_millis(ms));
                }
                "hang" => {
                    let ms = match value {
                        Some(_) => num("hang")?,
                        None => 10_000,
                    };
                    f.hang = Some(Duration::from_millis(ms).min(MAX_HANG));
                }
                other => return Err(format!("unknown fault {other:?} in {HEADER}")),
            }
        }
        if f.retry_after.is_some() && f.status.is_none() {
            f.status = Some(429);
        }
        Ok(f)
    }

    /// True when a non-stream body must be rewritten after the handler ran.
    fn shapes_body(&self) -> bool {
        self.reset_after.is_some() || self.garbage || self.truncate || self.one_byte.is_some()
    }
}

/// Marks a response whose body faults were already applied by a stream handler.
#[derive(Clone, Copy, Debug)]
pub struct StreamShaped;

/// One fault armed for the next matching requests.
struct Armed {
    prefix: String,
    times: usize,
    faults: Faults,
}

/// Faults armed through `POST /__sim/faults`, for callers that cannot set headers.
#[derive(Default)]
pub struct ArmedFaults {
    count: AtomicUsize,
    list: Mutex<Vec<Armed>>,
}

impl ArmedFaults {
    /// Takes one use of the first armed fault whose prefix starts `path`.
    fn take(&self, path: &str) -> Option<Faults> {
        if self.count.load(Ordering::Relaxed) == 0 {
            return None;
        }
        let mut list = self.list.lock().unwrap_or_else(|p| p.into_inner());
        let i = list.iter().position(|a| path.starts_with(&a.prefix))?;
        let faults = list[i].faults.clone();
        list[i].times -= 1;
        if list[i].times == 0 {
            list.remove(i);
        }
        self.count.store(list.len(), Ordering::Relaxed);
        Some(faults)
    }
}

/// `POST /__sim/faults` with `{"fault": "...", "times": N, "path_prefix": "/secry"}`.
pub async fn arm(State(state): State<AppState>, body: Bytes) -> Response {
    let v: Value = match serde_json::from_slice(&body) {
        Ok(v) => v,
        Err(e) => return plain_error(StatusCode::BAD_REQUEST, &format!("invalid JSON: {e}")),
    };
    let Some(spec) = v.get("fault").and_then(Value::as_str) else {
        return plain_error(StatusCode::BAD_REQUEST, "missing string field 'fault'");
    };
    let faults = match Faults::parse(spec) {
        Ok(f) => f,
        Err(e) => return plain_error(StatusCode::BAD_REQUEST, &e),
    };
    let times = v.get("times").and_then(Value::as_u64).unwrap_or(1).max(1) as usize;
    let prefix = v
        .get("path_prefix")
        .and_then(Value::as_str)
        .unwrap_or("/")
        .to_string();
    let mut list = state.armed.list.lock().unwrap_or_else(|p| p.into_inner());
    list.push(Armed {
        prefix,
        times,
        faults,
    });
    state.armed.count.store(list.len(), Ordering::Relaxed);
    json_response(StatusCode::OK, &serde_json::json!({"armed": list.len()}))
}

/// `DELETE /__sim/faults`: disarms everything.
pub async fn disarm(State(state): State<AppState>) -> StatusCode {
    let mut list = state.armed.list.lock().unwrap_or_else(|p| p.into_inner());
    list.clear();
    state.armed.count.store(0, Ordering::Relaxed);
    StatusCode::NO_CONTENT
}

/// A response whose body aborts the connection before any byte is written.
pub fn reset_response() -> Response {
    let plan = Plan {
        segments: Vec::new(),
        delay: Duration::ZERO,
        one_byte: None,
        end: End::Reset,
    };
    Response::new(plan.into_body())
}

/// Applies the faults that act before the handler and hands the rest to it.
pub async fn middleware(State(state): State<AppState>, mut req: Request, next: Next) -> Response {
    let path = req.uri().path();
    if path.starts_with("/__sim/") {
        return next.run(req).await;
    }
    let provider = Provider::from_path(path);
    let faults = match req.headers().get(HEADER) {
        Some(v) => match Faults::parse(v.to_str().unwrap_or("\u{0}")) {
            Ok(f) => f,
            Err(e) => {
                return match provider {
                    Some(p) => p.error(StatusCode::BAD_REQUEST, &e),
                    None => plain_error(StatusCode::BAD_REQUEST, &e),
                };
            }
        },
        None => match state.armed.take(path) {
            Some(f) => f,
            None => return next.run(req).await,
        },
    };
    if let Some(latency) = faults.latency {
        tokio::time::sleep(latency).await;
    }
    if let Some(hang) = faults.hang {
        tokio::time::sleep(hang).await;
        return reset_response();
    }
    if faults.reset {
        return reset_response();
    }
    if let Some(code) = faults.status {
        let status = StatusCode::from_u16(code).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let detail = format!("Simulated {code} fault");
        let mut resp = match provider {
            Some(p) => p.error(status, &detail),
            None => plain_error(status, &detail),
        };
        if let Some(secs) = faults.retry_after {
            resp.headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(secs));
        }
        return resp;
    }
    let shapes = faults.shapes_body();
    req.extensions_mut().insert(faults.clone());
    let resp = next.run(req).await;
    if !shapes || resp.extensions().get::<StreamShaped>().is_some() {
        return resp;
    }
    shape_whole_body(resp, &faults).await
}

/// Rewrites a non-stream response body according to the faults.
async fn shape_whole_body(resp: Response, faults: &Faults) -> Response {
    let (mut parts, body) = resp.into_parts();
    let bytes = axum::body::to_bytes(body, usize::MAX)
        .await
        .unwrap_or_default();
    parts.headers.remove(header::CONTENT_LENGTH);
    let mut bytes = if faults.garbage {
        Bytes::from_static(GARBAGE)
    } else {
        bytes
    };
    if faults.truncate {
        bytes.truncate(bytes.len() / 2);
    }
    let mut end = End::Clean;
    if let Some(n) = faults.reset_after {
        bytes.truncate(n);
        end = End::Reset;
    }
    if end == End::Clean && faults.one_byte.is_none() {
        return Response::from_parts(parts, Body::from(bytes));
    }
    let plan = Plan {
        segments: vec![bytes],
        delay: Duration::ZERO,
        one_byte: faults.one_byte,
        end,
    };
    if let Some(len) = plan.one_byte_length() {
        parts
            .headers
            .insert(header::CONTENT_LENGTH, HeaderValue::from(len));
    }
    Response::from_parts(parts, plan.into_body())
}

/// Turns stream events into a plan, applying the stream faults. `has_done` says whether the
/// last event is the `[DONE]` terminator; `error_event` is the provider's in-stream error.
pub fn stream_plan(
    mut events: Vec<Bytes>,
    has_done: bool,
    faults: Option<&Faults>,
    error_event: Bytes,
    delay: Duration,
) -> Plan {
    let Some(f) = faults else {
        return Plan {
            segments: events,
            delay,
            one_byte: None,
            end: End::Clean,
        };
    };
    if f.no_done && has_done {
        events.pop();
    }
    if let Some(n) = f.error_mid_stream {
        events.truncate(n);
        events.push(error_event);
    }
    if f.garbage {
        let at = events.len().min(1);
        events.insert(at, Bytes::from_static(GARBAGE));
    }
    if f.truncate {
        events.truncate(2);
        if events.len() == 2 {
            let half = events[1].len() / 2;
            events[1].truncate(half);
        }
    }
    let mut end = End::Clean;
    if let Some(n) = f.reset_after {
        events.truncate(n);
        end = End::Reset;
    }
    Plan {
        segments: events,
        delay,
        one_byte: f.one_byte,
        end,
    }
}

/// A `text/event-stream` response that writes `plan`.
pub fn sse_response(plan: Plan) -> Response {
    let length = plan.one_byte_length();
    let mut resp = (
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static("text/event-stream"),
            ),
            (header::CACHE_CONTROL, HeaderValue::from_static("no-cache")),
        ],
        plan.into_body(),
    )
        .into_response();
    if let Some(len) = length {
        resp.headers_mut()
            .insert(header::CONTENT_LENGTH, HeaderValue::from(len));
    }
    resp.extensions_mut().insert(StreamShaped);
    resp
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grammar() {
        let f = Faults::parse("latency=20, status=503; retry-after=4,no-done").unwrap_or_default();
        assert_eq!(f.latency, Some(Duration::from_millis(20)));
        assert_eq!(f.status, Some(503));
        assert_eq!(f.retry_after, Some(4));
        assert!(f.no_done);
        assert_eq!(
            Faults::parse("retry-after=1").map(|f| f.status),
            Ok(Some(429))
        );
        assert_eq!(
            Faults::parse("error-mid-stream").map(|f| f.error_mid_stream),
            Ok(Some(1))
        );
        assert_eq!(
            Faults::parse("hang=999999").map(|f| f.hang),
            Ok(Some(MAX_HANG))
        );
        assert_eq!(
            Faults::parse("one-byte").map(|f| f.one_byte),
            Ok(Some(Duration::ZERO))
        );
        assert_eq!(
            Faults::parse("one-byte=3").map(|f| f.one_byte),
            Ok(Some(Duration::from_millis(3)))
        );
        assert!(Faults::parse("status=abc").is_err());
        assert!(Faults::parse("status=302").is_err());
        assert!(Faults::parse("latency").is_err());
        assert!(Faults::parse("wobble").is_err());
        assert_eq!(Faults::parse(""), Ok(Faults::default()));
    }

    #[test]
    fn stream_plan_applies_faults_in_order() {
        let ev = |s: &'static str| Bytes::from_static(s.as_bytes());
        let events = || {
            vec![
                ev("a\n\n"),
                ev("bbbb\n\n"),
                ev("c\n\n"),
                ev("data: [DONE]\n\n"),
            ]
        };
        let err = ev("E\n\n");
        let plan = |f: Faults| stream_plan(events(), true, Some(&f), err.clone(), Duration::ZERO);
        let no_done = plan(Faults {
            no_done: true,
            ..Faults::default()
        });
        assert_eq!(no_done.segments.len(), 3);
        let mid = plan(Faults {
            error_mid_stream: Some(1),
            ..Faults::default()
        });
        assert_eq!(mid.segments, vec![ev("a\n\n"), err.clone()]);
        let cut = plan(Faults {
            truncate: true,
            ..Faults::default()
        });
        assert_eq!(cut.segments, vec![ev("a\n\n"), ev("bbb")]);
        let reset = plan(Faults {
            reset_after: Some(2),
            ..Faults::default()
        });
        assert_eq!((reset.segments.len(), reset.end), (2, End::Reset));
        let garbage = plan(Faults {
            garbage: true,
            ..Faults::default()
        });
        assert_eq!(garbage.segments[1], Bytes::from_static(GARBAGE));
        assert_eq!(garbage.segments.len(), 5);
    }
}

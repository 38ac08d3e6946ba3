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

/// Largest `oversize` padding the simulator agrees to (64 MiB).
const MAX_OVERSIZE: u64 = 64 << 20;

/// Pause between the pieces of an `endless` body.
const ENDLESS_PAUSE: Duration = Duration::from_millis(20);

/// Where the `bad-utf8` fault puts its bytes: at the start of the first content string.
const CONTENT_KEY: &[u8] = b"\"content\":\"";

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
    /// `retry-after-date=S`: `Retry-After` as an HTTP date S seconds ahead (implies 429).
    pub retry_after_date: Option<u64>,
    /// `html[=CODE]`: a proxy's HTML error page with status CODE (default 502).
    pub html: Option<u16>,
    /// `bad-utf8`: invalid UTF-8 inside the first content string.
    pub bad_utf8: bool,
    /// `oversize=BYTES`: BYTES of JSON whitespace padding in the body (the first token event).
    pub oversize: Option<usize>,
    /// `endless`: the body never ends (content chunks, or whitespace for plain answers).
    pub endless: bool,
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
                "retry-after-date" => f.retry_after_date = Some(num("retry-after-date")?),
                "html" => {
                    let code = match value {
                        Some(_) => num("html")?,
                        None => 502,
                    };
                    if !(400..=599).contains(&code) {
                        return Err("fault html must be 400..=599".into());
                    }
                    f.html = Some(code as u16);
                }
                "bad-utf8" => f.bad_utf8 = true,
                "oversize" => f.oversize = Some(num("oversize")?.min(MAX_OVERSIZE) as usize),
                "endless" => f.endless = true,
                other => return Err(format!("unknown fault {other:?} in {HEADER}")),
            }
        }
        if (f.retry_after.is_some() || f.retry_after_date.is_some()) && f.status.is_none() {
            f.status = Some(429);
        }
        Ok(f)
    }

    /// True when a non-stream body must be rewritten after the handler ran.
    fn shapes_body(&self) -> bool {
        self.reset_after.is_some()
            || self.garbage
            || self.truncate
            || self.one_byte.is_some()
            || self.bad_utf8
            || self.oversize.is_some()
            || self.endless
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
    if let Some(code) = faults.html {
        return html_page(code);
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
        if let Some(secs) = faults.retry_after_date {
            let date = http_date(std::time::SystemTime::now() + Duration::from_secs(secs));
            if let Ok(v) = HeaderValue::from_str(&date) {
                resp.headers_mut().insert(header::RETRY_AFTER, v);
            }
        }
        return resp;
    }
    let shapes = faults.shapes_body();
    req.extensions_mut().insert(faults.clone());
    let resp = next.run(req).await;
    if faults.endless && resp.status().is_success() {
        return endless(resp);
    }
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
    if faults.bad_utf8 {
        bytes = insert_after(&bytes, CONTENT_KEY, BAD_UTF8);
    }
    if let Some(n) = faults.oversize {
        bytes = insert_after(&bytes, b"{", &vec![b' '; n]);
    }
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

/// Invalid UTF-8 (a lead byte followed by a non-continuation byte).
const BAD_UTF8: &[u8] = b"\xc3\x28";

/// `bytes` with `insert` placed right after the first `needle` (unchanged without one).
fn insert_after(bytes: &Bytes, needle: &[u8], insert: &[u8]) -> Bytes {
    let Some(at) = bytes.windows(needle.len()).position(|w| w == needle) else {
        return bytes.clone();
    };
    let at = at + needle.len();
    let mut out = Vec::with_capacity(bytes.len() + insert.len());
    out.extend_from_slice(&bytes[..at]);
    out.extend_from_slice(insert);
    out.extend_from_slice(&bytes[at..]);
    out.into()
}

/// `t` as an IMF-fixdate (`Sun, 06 Nov 1994 08:49:37 GMT`), the form `Retry-After` uses.
pub fn http_date(t: std::time::SystemTime) -> String {
    let secs = t
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let (days, rem) = (secs / 86_400, secs % 86_400);
    // Civil date from days since 1970-01-01 (Howard Hinnant's algorithm).
    let z = days as i64 + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    const WEEKDAYS: [&str; 7] = ["Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"];
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    format!(
        "{}, {day:02} {} {year} {:02}:{:02}:{:02} GMT",
        WEEKDAYS[(days % 7) as usize],
        MONTHS[(month - 1) as usize],
        rem / 3600,
        rem / 60 % 60,
        rem % 60
    )
}

/// A proxy's HTML error page (nginx style) with status `code`.
fn html_page(code: u16) -> Response {
    let status = StatusCode::from_u16(code).unwrap_or(StatusCode::BAD_GATEWAY);
    let title = format!("{code} {}", status.canonical_reason().unwrap_or("Error"));
    let page = format!(
        "<html>\r\n<head><title>{title}</title></head>\r\n<body>\r\n<center><h1>{title}</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n"
    );
    let mut resp = Response::new(Body::from(page));
    *resp.status_mut() = status;
    resp.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    resp
}

/// Replaces a successful answer's body by one that never ends: OpenAI-shaped content chunks
/// for a stream, whitespace after an opening brace for a plain answer.
fn endless(resp: Response) -> Response {
    let (mut parts, _) = resp.into_parts();
    parts.headers.remove(header::CONTENT_LENGTH);
    let sse = parts
        .headers
        .get(header::CONTENT_TYPE)
        .is_some_and(|v| v.as_bytes().starts_with(b"text/event-stream"));
    let (first, piece): (&'static [u8], &'static [u8]) = if sse {
        (b"", ENDLESS_CHUNK)
    } else {
        (b"{", b" ")
    };
    let body = futures_util::stream::unfold(Some(first), move |prev| async move {
        if prev.is_none() {
            tokio::time::sleep(ENDLESS_PAUSE).await;
        }
        let bytes = prev.filter(|b| !b.is_empty()).unwrap_or(piece);
        Some((Ok::<_, std::io::Error>(Bytes::from_static(bytes)), None))
    });
    Response::from_parts(parts, Body::from_stream(body))
}

/// One piece of an endless stream.
const ENDLESS_CHUNK: &[u8] = b"data: {\"id\":\"chatcmpl-endless\",\"object\":\"chat.completion.chunk\",\"created\":0,\"model\":\"sim-endless\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\" more\"},\"finish_reason\":null}]}\n\n";

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
    // The first event after the role chunk carries the first piece of content.
    if let (true, Some(ev)) = (f.bad_utf8, events.get_mut(1)) {
        *ev = insert_after(ev, CONTENT_KEY, BAD_UTF8);
    }
    if let (Some(n), Some(ev)) = (f.oversize, events.get_mut(1)) {
        *ev = insert_after(ev, b"{", &vec![b' '; n]);
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
        let f = Faults::parse("retry-after-date=5,bad-utf8,oversize=10,endless,html")
            .unwrap_or_default();
        assert_eq!(
            (f.status, f.retry_after_date, f.html, f.oversize),
            (Some(429), Some(5), Some(502), Some(10))
        );
        assert!(f.bad_utf8 && f.endless);
        assert!(Faults::parse("html=200").is_err());
        assert_eq!(
            Faults::parse("oversize=999999999999").map(|f| f.oversize),
            Ok(Some(MAX_OVERSIZE as usize))
        );
    }

    #[test]
    fn http_dates() {
        let at = |s: u64| http_date(std::time::UNIX_EPOCH + Duration::from_secs(s));
        assert_eq!(at(0), "Thu, 01 Jan 1970 00:00:00 GMT");
        assert_eq!(at(784_111_777), "Sun, 06 Nov 1994 08:49:37 GMT");
        assert_eq!(at(951_782_400), "Tue, 29 Feb 2000 00:00:00 GMT");
    }

    #[test]
    fn insert_after_places_bytes_once() {
        let b = Bytes::from_static(b"{\"content\":\"ab\"}");
        assert_eq!(
            &insert_after(&b, CONTENT_KEY, b"X")[..],
            b"{\"content\":\"Xab\"}"
        );
        assert_eq!(insert_after(&b, b"zz", b"X"), b);
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

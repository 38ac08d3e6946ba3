//! The request log behind `GET /__sim/requests`: a bounded ring of what each provider received.

use std::collections::VecDeque;
use std::pin::Pin;
use std::sync::atomic::{AtomicU8, AtomicU16, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};

use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::http::{HeaderMap, Method, StatusCode, request::Parts};
use axum::middleware::Next;
use axum::response::Response;
use http_body::{Body as HttpBody, Frame, SizeHint};
use serde_json::{Map, Value, json};

use crate::hash::fnv1a64;
use crate::provider::{Provider, json_response, plain_error};
use crate::state::AppState;

/// Bytes of each body kept as readable text in the log.
const PREVIEW_BYTES: usize = 4096;

/// One logged request.
struct Entry {
    seq: u64,
    method: Method,
    path: String,
    query: Option<String>,
    headers: HeaderMap,
    body_len: Option<usize>,
    digest: u64,
    preview: Bytes,
    response: Arc<ResponseState>,
}

/// How the answer to a logged request went, shared with the body that sends it.
#[derive(Default)]
struct ResponseState {
    /// HTTP status, 0 until the handler has answered.
    status: AtomicU16,
    /// One of the `OUTCOME_*` values.
    outcome: AtomicU8,
}

const OUTCOME_OPEN: u8 = 0;
const OUTCOME_COMPLETE: u8 = 1;
const OUTCOME_CANCELLED: u8 = 2;
const OUTCOME_RESET: u8 = 3;

impl ResponseState {
    /// Moves from `open` to `outcome`; a settled outcome never changes.
    fn settle(&self, outcome: u8) {
        let _ = self.outcome.compare_exchange(
            OUTCOME_OPEN,
            outcome,
            Ordering::Relaxed,
            Ordering::Relaxed,
        );
    }

    fn outcome_name(&self) -> &'static str {
        match self.outcome.load(Ordering::Relaxed) {
            OUTCOME_COMPLETE => "complete",
            OUTCOME_CANCELLED => "cancelled",
            OUTCOME_RESET => "reset",
            _ => "open",
        }
    }
}

/// A bounded, mutex-guarded ring of recent requests.
pub struct RequestLog {
    capacity: usize,
    entries: Mutex<VecDeque<Entry>>,
    seq: AtomicU64,
}

impl RequestLog {
    /// An empty log holding at most `capacity` entries.
    pub fn new(capacity: usize) -> Self {
        Self {
            capacity,
            entries: Mutex::new(VecDeque::with_capacity(capacity.min(4096))),
            seq: AtomicU64::new(0),
        }
    }

    /// Records a request; `body` is `None` when it was refused as too large. Returns the
    /// handle its answer reports to (`None` when the log keeps nothing).
    fn push(&self, parts: &Parts, body: Option<&Bytes>) -> Option<Arc<ResponseState>> {
        if self.capacity == 0 {
            return None;
        }
        let response = Arc::new(ResponseState::default());
        let entry = Entry {
            seq: self.seq.fetch_add(1, Ordering::Relaxed),
            method: parts.method.clone(),
            path: parts.uri.path().to_string(),
            query: parts.uri.query().map(str::to_string),
            headers: parts.headers.clone(),
            body_len: body.map(Bytes::len),
            digest: body.map_or(0, |b| fnv1a64(b)),
            preview: body.map_or_else(Bytes::new, |b| {
                Bytes::copy_from_slice(&b[..b.len().min(PREVIEW_BYTES)])
            }),
            response: Arc::clone(&response),
        };
        let mut entries = self.entries.lock().unwrap_or_else(|p| p.into_inner());
        if entries.len() >= self.capacity {
            entries.pop_front();
        }
        entries.push_back(entry);
        Some(response)
    }

    /// All entries, oldest first, as JSON.
    fn to_json(&self) -> Value {
        let entries = self.entries.lock().unwrap_or_else(|p| p.into_inner());
        Value::Array(entries.iter().map(entry_json).collect())
    }

    /// Forgets every entry.
    fn clear(&self) {
        self.entries
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clear();
    }
}

fn entry_json(e: &Entry) -> Value {
    let mut headers = Map::new();
    for (name, value) in &e.headers {
        let value = String::from_utf8_lossy(value.as_bytes()).into_owned();
        match headers.get_mut(name.as_str()) {
            Some(Value::String(prev)) => {
                prev.push_str(", ");
                prev.push_str(&value);
            }
            _ => {
                headers.insert(name.as_str().to_string(), Value::String(value));
            }
        }
    }
    json!({
        "seq": e.seq,
        "method": e.method.as_str(),
        "path": e.path,
        "query": e.query,
        "headers": headers,
        "body": {
            "len": e.body_len,
            "fnv1a64": format!("{:016x}", e.digest),
            "preview": String::from_utf8_lossy(&e.preview),
        },
        "response": {
            "status": e.response.status.load(Ordering::Relaxed),
            "outcome": e.response.outcome_name(),
        },
    })
}

/// Buffers each provider request body (enforcing the body cap) and logs it.
pub async fn middleware(State(state): State<AppState>, req: Request, next: Next) -> Response {
    if req.uri().path().starts_with("/__sim/") {
        return next.run(req).await;
    }
    let (parts, body) = req.into_parts();
    match axum::body::to_bytes(body, state.config.max_body_bytes).await {
        Ok(bytes) => {
            let tracked = state.log.push(&parts, Some(&bytes));
            let response = next
                .run(Request::from_parts(parts, Body::from(bytes)))
                .await;
            match tracked {
                Some(tracked) => track(response, tracked),
                None => response,
            }
        }
        Err(_) => {
            if let Some(tracked) = state.log.push(&parts, None) {
                tracked.settle(OUTCOME_COMPLETE);
                tracked
                    .status
                    .store(StatusCode::PAYLOAD_TOO_LARGE.as_u16(), Ordering::Relaxed);
            }
            let detail = format!(
                "Request body too large (limit {} bytes)",
                state.config.max_body_bytes
            );
            match Provider::from_path(parts.uri.path()) {
                Some(p) => p.error(StatusCode::PAYLOAD_TOO_LARGE, &detail),
                None => plain_error(StatusCode::PAYLOAD_TOO_LARGE, &detail),
            }
        }
    }
}

/// Records the status of `response` and wraps its body so the log learns how sending it ended.
fn track(response: Response, state: Arc<ResponseState>) -> Response {
    state
        .status
        .store(response.status().as_u16(), Ordering::Relaxed);
    response.map(|inner| {
        let body = TrackedBody { inner, state };
        if body.inner.is_end_stream() {
            body.state.settle(OUTCOME_COMPLETE);
        }
        Body::new(body)
    })
}

/// A response body that settles its log entry: `complete` when its last frame is sent,
/// `reset` when the handler's stream fails (a fault), `cancelled` when it is dropped
/// before either (the client went away).
struct TrackedBody {
    inner: Body,
    state: Arc<ResponseState>,
}

impl HttpBody for TrackedBody {
    type Data = Bytes;
    type Error = axum::Error;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, axum::Error>>> {
        let this = self.get_mut();
        let polled = Pin::new(&mut this.inner).poll_frame(cx);
        match &polled {
            Poll::Ready(None) => this.state.settle(OUTCOME_COMPLETE),
            Poll::Ready(Some(Err(_))) => this.state.settle(OUTCOME_RESET),
            Poll::Ready(Some(Ok(_))) if this.inner.is_end_stream() => {
                this.state.settle(OUTCOME_COMPLETE);
            }
            _ => {}
        }
        polled
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}

impl Drop for TrackedBody {
    fn drop(&mut self) {
        self.state.settle(OUTCOME_CANCELLED);
    }
}

/// `GET /__sim/requests`: the log as a JSON array, oldest first.
pub async fn list(State(state): State<AppState>) -> Response {
    json_response(StatusCode::OK, &state.log.to_json())
}

/// `DELETE /__sim/requests`: empties the log.
pub async fn clear(State(state): State<AppState>) -> StatusCode {
    state.log.clear();
    StatusCode::NO_CONTENT
}

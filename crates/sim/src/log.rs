//! The request log behind `GET /__sim/requests`: a bounded ring of what each provider received.

use std::collections::VecDeque;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::http::{HeaderMap, Method, StatusCode, request::Parts};
use axum::middleware::Next;
use axum::response::Response;
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

    /// Records a request; `body` is `None` when it was refused as too large.
    fn push(&self, parts: &Parts, body: Option<&Bytes>) {
        if self.capacity == 0 {
            return;
        }
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
        };
        let mut entries = self.entries.lock().unwrap_or_else(|p| p.into_inner());
        if entries.len() >= self.capacity {
            entries.pop_front();
        }
        entries.push_back(entry);
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
            state.log.push(&parts, Some(&bytes));
            next.run(Request::from_parts(parts, Body::from(bytes)))
                .await
        }
        Err(_) => {
            state.log.push(&parts, None);
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

/// `GET /__sim/requests`: the log as a JSON array, oldest first.
pub async fn list(State(state): State<AppState>) -> Response {
    json_response(StatusCode::OK, &state.log.to_json())
}

/// `DELETE /__sim/requests`: empties the log.
pub async fn clear(State(state): State<AppState>) -> StatusCode {
    state.log.clear();
    StatusCode::NO_CONTENT
}

//! The fixture runner shared by the native test (`fixtures.rs`) and the browser test
//! (`crates/client/tests/fixtures.rs`, which includes this file by `#[path]`), so both
//! replay a case the same way and compare with the same `expected_*.json` files.
//!
//! A case's inputs: `request.json` (a caller's chat request), `head.json` (status,
//! headers, `kind` of stream, `now`, `model`, `include_usage`, `decode`), and the body
//! as `response.json`, `response.txt` or `stream.sse`. A stream is decoded whole, as
//! one-byte pieces, and split in two (at every offset, or only in the middle); all
//! must give the same events.

use serde_json::{Value, json};
use switchboard_core::Error;
use switchboard_core::decode::{decode_chat, decode_error, decode_models};
use switchboard_core::encode::encode_chat;
use switchboard_core::http::{ResponseHead, ResponseKind};
use switchboard_core::limits::Limits;
use switchboard_core::provider::ProviderId;
use switchboard_core::route::Target;
use switchboard_core::stream::{StreamContext, StreamDecoder, StreamEvent};
use switchboard_core::types::ChatRequest;

/// One case: `<provider>/<case>` and its files as `(name, bytes)`.
pub struct Case {
    pub name: String,
    pub files: Vec<(String, Vec<u8>)>,
}

impl Case {
    fn file(&self, name: &str) -> Option<&[u8]> {
        self.files
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, b)| b.as_slice())
    }

    /// The JSON file `name`, if the case has it.
    pub fn json(&self, name: &str) -> Option<Value> {
        self.file(name).map(|b| {
            serde_json::from_slice(b).unwrap_or_else(|e| panic!("{}/{name}: {e}", self.name))
        })
    }

    fn provider(&self) -> ProviderId {
        self.name
            .split('/')
            .next()
            .and_then(ProviderId::parse)
            .expect("fixture directory names a provider")
    }

    /// Runs the case: `(expected file name, actual result)` for each step it has. A
    /// stream is split in two at every offset, or (`every_cut` false: the browser,
    /// where that is too slow) in the middle only.
    pub fn run(&self, every_cut: bool) -> Vec<(&'static str, Value)> {
        let mut out = Vec::new();
        if let Some(request) = self.json("request.json") {
            out.push(("expected_request.json", self.encode(request)));
        }
        if let Some(meta) = self.json("head.json") {
            out.push(self.decode(&meta, every_cut));
        }
        assert!(
            !out.is_empty(),
            "{}: no request.json or head.json",
            self.name
        );
        out
    }

    fn encode(&self, request: Value) -> Value {
        let req: ChatRequest = serde_json::from_value(request.clone()).expect("request decodes");
        // Lossless: the request re-encodes to the same JSON.
        let again = serde_json::to_value(&req).expect("encode");
        assert_eq!(again, request, "{}", self.name);
        match Target::parse(&req.model).and_then(|t| encode_chat(&t, &req, &Limits::DEFAULT)) {
            Ok(r) => json!({
                "method": r.method.as_str(),
                "path": r.path,
                "response": format!("{:?}", r.response),
                "headers": r.headers,
                "body": serde_json::from_slice::<Value>(r.body.as_deref().unwrap_or_default())
                    .expect("body is JSON"),
            }),
            Err(e) => error_json(&e),
        }
    }

    fn decode(&self, meta: &Value, every_cut: bool) -> (&'static str, Value) {
        let provider = self.provider();
        let head = head(meta);
        let bytes = ["response.json", "response.txt", "stream.sse"]
            .iter()
            .find_map(|f| self.file(f))
            .expect("a case with head.json has a body");
        if meta.get("kind").is_none() {
            let actual = match meta["decode"].as_str() {
                Some("models") => decode_models(provider, &head, bytes).map(|m| json!(m)),
                _ if !head.is_success() => Err(decode_error(provider, &head, bytes)),
                _ => decode_chat(provider, &head, bytes).map(|c| json!(c)),
            };
            return ("expected.json", actual.unwrap_or_else(|e| error_json(&e)));
        }
        let events = |pieces: &[&[u8]]| stream_events(provider, meta, &head, pieces);
        let whole = events(&[bytes]);
        let offsets = if every_cut {
            (0..=bytes.len()).collect()
        } else {
            vec![bytes.len() / 2]
        };
        for cut in offsets {
            let (a, b) = bytes.split_at(cut);
            assert_eq!(events(&[a, b]), whole, "{} split at {cut}", self.name);
        }
        let singles: Vec<&[u8]> = bytes.chunks(1).collect();
        assert_eq!(events(&singles), whole, "{} one-byte pieces", self.name);
        ("expected_events.json", whole)
    }
}

fn error_json(e: &Error) -> Value {
    json!({"error": {
        "status": e.status(),
        "kind": e.kind(),
        "code": e.code(),
        "message": e.message(),
        "retry_after": e.retry_after(),
        "retryable": e.is_retryable(),
        "in_stream": e.is_in_stream(),
    }})
}

fn head(meta: &Value) -> ResponseHead {
    let status = meta["status"].as_u64().and_then(|s| u16::try_from(s).ok());
    let mut head = ResponseHead::new(
        status.expect("status"),
        meta["now"].as_u64().unwrap_or(1_700_000_000),
    );
    if let Some(headers) = meta["headers"].as_object() {
        for (k, v) in headers {
            head.header(k, v.as_str().expect("header value"));
        }
    }
    head
}

fn stream_events(
    provider: ProviderId,
    meta: &Value,
    head: &ResponseHead,
    pieces: &[&[u8]],
) -> Value {
    let kind = match meta["kind"].as_str() {
        Some("sse") => ResponseKind::Sse,
        Some("json_lines") => ResponseKind::JsonLines,
        _ => ResponseKind::FakeStream,
    };
    let ctx = StreamContext {
        model: meta["model"].as_str().unwrap_or_default().to_string(),
        now: head.now,
        include_usage: meta["include_usage"].as_bool().unwrap_or(false),
    };
    let mut decoder = StreamDecoder::new(provider, kind, head, ctx, Limits::DEFAULT);
    let mut events = Vec::new();
    for piece in pieces {
        events.extend(decoder.feed(piece));
    }
    events.extend(decoder.finish());
    assert!(decoder.finish().is_empty(), "finish twice yields nothing");
    let ends = events
        .iter()
        .filter(|e| !matches!(e, StreamEvent::Chunk(_)))
        .count();
    assert_eq!(ends, 1, "exactly one terminal event");
    Value::Array(
        events
            .iter()
            .map(|e| match e {
                StreamEvent::Chunk(c) => json!({"chunk": c}),
                StreamEvent::Error(e) => error_json(e),
                StreamEvent::Done => json!("done"),
            })
            .collect(),
    )
}

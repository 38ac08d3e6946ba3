//! The core's fixtures (`crates/core/tests/fixtures`) replayed in the browser: the same
//! steps as `crates/core/tests/fixtures.rs`, compared with the same `expected_*.json`
//! files, so the wasm build must give exactly the native results. Embedded by `build.rs`.
#![cfg(target_arch = "wasm32")]

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
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

/// One case's files: `(name, bytes)`.
type Files = &'static [(&'static str, &'static [u8])];

include!(concat!(env!("OUT_DIR"), "/fixtures.rs"));

fn file(files: Files, name: &str) -> Option<&'static [u8]> {
    files.iter().find(|(n, _)| *n == name).map(|(_, b)| *b)
}

fn read_json(files: Files, name: &str) -> Option<Value> {
    file(files, name).map(|b| serde_json::from_slice(b).unwrap_or_else(|e| panic!("{name}: {e}")))
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

fn check(case: &str, files: Files, name: &str, actual: &Value) {
    let expected = read_json(files, name).unwrap_or_else(|| panic!("{case}/{name} is missing"));
    assert_eq!(actual, &expected, "{case}/{name}");
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

#[wasm_bindgen_test]
fn fixtures_match_native_results() {
    assert!(
        FIXTURES.len() >= 30,
        "fixtures embedded: {}",
        FIXTURES.len()
    );
    let mut compared = 0;
    for (case, files) in FIXTURES {
        let provider = case
            .split('/')
            .next()
            .and_then(ProviderId::parse)
            .expect("fixture directory names a provider");
        if let Some(request) = read_json(files, "request.json") {
            let req: ChatRequest =
                serde_json::from_value(request.clone()).expect("request decodes");
            assert_eq!(
                serde_json::to_value(&req).expect("encode"),
                request,
                "{case}"
            );
            let encoded =
                Target::parse(&req.model).and_then(|t| encode_chat(&t, &req, &Limits::DEFAULT));
            let actual = match encoded {
                Ok(r) => json!({
                    "method": r.method.as_str(),
                    "path": r.path,
                    "response": format!("{:?}", r.response),
                    "headers": r.headers,
                    "body": serde_json::from_slice::<Value>(r.body.as_deref().unwrap_or_default()).expect("body is JSON"),
                }),
                Err(e) => error_json(&e),
            };
            check(case, files, "expected_request.json", &actual);
            compared += 1;
        }
        let Some(meta) = read_json(files, "head.json") else {
            continue;
        };
        let head = head(&meta);
        let bytes = ["response.json", "response.txt", "stream.sse"]
            .iter()
            .find_map(|f| file(files, f))
            .expect("a case with head.json has a body");
        if meta.get("kind").is_some() {
            let whole = stream_events(provider, &meta, &head, &[bytes]);
            let singles: Vec<&[u8]> = bytes.chunks(1).collect();
            assert_eq!(
                stream_events(provider, &meta, &head, &singles),
                whole,
                "{case} one-byte pieces"
            );
            let mid = bytes.len() / 2;
            assert_eq!(
                stream_events(provider, &meta, &head, &[&bytes[..mid], &bytes[mid..]]),
                whole,
                "{case} split in half"
            );
            check(case, files, "expected_events.json", &whole);
        } else {
            let actual = match meta["decode"].as_str() {
                Some("models") => decode_models(provider, &head, bytes).map(|m| json!(m)),
                _ if !head.is_success() => Err(decode_error(provider, &head, bytes)),
                _ => decode_chat(provider, &head, bytes).map(|c| json!(c)),
            };
            let actual = actual.unwrap_or_else(|e| error_json(&e));
            check(case, files, "expected.json", &actual);
        }
        compared += 1;
    }
    assert!(compared >= 30, "cases compared: {compared}");
}

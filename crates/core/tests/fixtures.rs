//! Fixture tests: every case under `tests/fixtures/<provider>/<case>/` is encoded,
//! decoded and streamed, and compared with its `expected_*.json` files.
//!
//! Inputs: `request.json` (a caller's chat request), `head.json` (status, headers,
//! `kind` of stream, `now`, `model`, `include_usage`, `decode`), and the body as
//! `response.json`, `response.txt` or `stream.sse`. Streams are decoded whole, split
//! at every byte offset, and as one-byte pieces; all must give the same events.
//! Run with `SWITCHBOARD_BLESS=1` to (re)write the expected files, then review them.

use serde_json::{Value, json};
use std::fs;
use std::path::{Path, PathBuf};
use switchboard_core::Error;
use switchboard_core::decode::{decode_chat, decode_error, decode_models};
use switchboard_core::encode::encode_chat;
use switchboard_core::http::{ResponseHead, ResponseKind};
use switchboard_core::limits::Limits;
use switchboard_core::provider::ProviderId;
use switchboard_core::route::Target;
use switchboard_core::stream::{StreamContext, StreamDecoder, StreamEvent};
use switchboard_core::types::ChatRequest;

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

fn cases() -> Vec<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures");
    let mut out = Vec::new();
    for provider in fs::read_dir(&root).expect("fixtures dir") {
        let provider = provider.expect("entry").path();
        for case in fs::read_dir(&provider).expect("provider dir") {
            out.push(case.expect("entry").path());
        }
    }
    out.sort();
    out
}

fn read_json(path: &Path) -> Option<Value> {
    let text = fs::read_to_string(path).ok()?;
    Some(serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display())))
}

fn body(case: &Path) -> Option<Vec<u8>> {
    ["response.json", "response.txt", "stream.sse"]
        .iter()
        .find_map(|f| fs::read(case.join(f)).ok())
}

/// Compares with (or, when blessing, writes) `case/name`.
fn check(case: &Path, name: &str, actual: &Value) {
    let path = case.join(name);
    if std::env::var_os("SWITCHBOARD_BLESS").is_some() {
        let text = serde_json::to_string_pretty(actual).expect("json") + "\n";
        fs::write(&path, text).expect("write expected");
        return;
    }
    let expected = read_json(&path).unwrap_or_else(|| {
        panic!(
            "{} is missing; run with SWITCHBOARD_BLESS=1",
            path.display()
        )
    });
    assert_eq!(actual, &expected, "{}", path.display());
}

fn provider_of(case: &Path) -> ProviderId {
    let name = case
        .parent()
        .and_then(Path::file_name)
        .and_then(|n| n.to_str())
        .expect("name");
    ProviderId::parse(name).expect("fixture directory names a provider")
}

fn head(meta: &Value) -> ResponseHead {
    let mut head = ResponseHead::new(
        u16::try_from(meta["status"].as_u64().expect("status")).expect("u16"),
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

#[test]
fn fixtures() {
    let cases = cases();
    assert!(cases.len() >= 30, "fixtures found: {}", cases.len());
    for case in &cases {
        let provider = provider_of(case);
        if let Some(request) = read_json(&case.join("request.json")) {
            let req: ChatRequest =
                serde_json::from_value(request.clone()).expect("request decodes");
            // Lossless: the request re-encodes to the same JSON.
            assert_eq!(
                serde_json::to_value(&req).expect("encode"),
                request,
                "{}",
                case.display()
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
            check(case, "expected_request.json", &actual);
        }
        let Some(meta) = read_json(&case.join("head.json")) else {
            continue;
        };
        let head = head(&meta);
        let bytes = body(case).expect("a case with head.json has a body");
        if meta.get("kind").is_some() {
            let whole = stream_events(provider, &meta, &head, &[&bytes]);
            for cut in 0..=bytes.len() {
                let split = stream_events(provider, &meta, &head, &[&bytes[..cut], &bytes[cut..]]);
                assert_eq!(split, whole, "{} split at {cut}", case.display());
            }
            let singles: Vec<&[u8]> = bytes.chunks(1).collect();
            assert_eq!(
                stream_events(provider, &meta, &head, &singles),
                whole,
                "{} one-byte pieces",
                case.display()
            );
            check(case, "expected_events.json", &whole);
        } else {
            let actual = match meta["decode"].as_str() {
                Some("models") => decode_models(provider, &head, &bytes).map(|m| json!(m)),
                _ if !head.is_success() => Err(decode_error(provider, &head, &bytes)),
                _ => decode_chat(provider, &head, &bytes).map(|c| json!(c)),
            };
            let actual = actual.unwrap_or_else(|e| error_json(&e));
            check(case, "expected.json", &actual);
        }
    }
}

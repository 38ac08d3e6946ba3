//! The size floor of the browser client: the core's chat path alone, compiled to wasm
//! with no API around it. One function, exported by wasm-bindgen (the only binding),
//! takes a chat request (JSON text) and a streamed answer, encodes the request for its
//! provider, decodes and normalizes the stream (SSE, JSON lines or a replayed answer),
//! accumulates it and writes the chunks and the completion as JSON: what every streamed
//! `create()` of the client needs before any fetch, error class, retry or other endpoint.
//!
//! `cargo xtask bench sizes` builds it (release, `wasm32-unknown-unknown`, `wasm-opt
//! -Oz`) and reports its gzipped size beside the client package's. Natively it is an
//! ordinary library; `chat_path` is tested below.

use switchboard_core::accumulate::Accumulator;
use switchboard_core::encode::encode_chat;
use switchboard_core::http::ResponseHead;
use switchboard_core::limits::Limits;
use switchboard_core::route::Target;
use switchboard_core::stream::{StreamContext, StreamDecoder, StreamEvent};
use switchboard_core::types::ChatRequest;

/// Encodes `request` and decodes `answer` (the provider's 2xx streamed body, whose
/// `content-type` is `content_type`); returns the bytes written: the provider request's
/// body, then each chunk's JSON and the accumulated completion's. `None` on any error.
#[cfg_attr(target_arch = "wasm32", wasm_bindgen::prelude::wasm_bindgen)]
pub fn chat_path(request: &[u8], content_type: &str, answer: &[u8]) -> Option<usize> {
    let request: ChatRequest = serde_json::from_slice(request).ok()?;
    let limits = Limits::DEFAULT;
    let target = Target::parse(&request.model).ok()?;
    let http = encode_chat(&target, &request, &limits).ok()?;
    let mut written = http.body.map_or(0, |b| b.len());
    let mut head = ResponseHead::new(200, 0);
    head.header("content-type", content_type);
    let ctx = StreamContext {
        model: target.model,
        now: 0,
        include_usage: request.wants_stream_usage(),
    };
    let mut decoder = StreamDecoder::new(target.provider, http.response, &head, ctx, limits);
    let mut events = decoder.feed(answer);
    events.extend(decoder.finish());
    let mut acc = Accumulator::new();
    for event in events {
        match event {
            StreamEvent::Chunk(chunk) => {
                acc.push(&chunk).ok()?;
                written += serde_json::to_string(&chunk).ok()?.len();
            }
            StreamEvent::Error(_) => return None,
            StreamEvent::Done => {}
        }
    }
    Some(written + serde_json::to_string(&acc.finish()).ok()?.len())
}

#[cfg(test)]
mod tests {
    use super::chat_path;

    #[test]
    fn encodes_decodes_and_accumulates() {
        let request =
            br#"{"model":"siraya/m","messages":[{"role":"user","content":"Hi"}],"stream":true}"#;
        let first =
            "data: {\"id\":\"c\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"H\"}}]}\n\n";
        let answer = format!(
            "{first}data: {{\"id\":\"c\",\"choices\":[{{\"index\":0,\"delta\":{{\"content\":\"i\"}},\"finish_reason\":\"stop\"}}]}}\n\ndata: [DONE]\n\n"
        );
        let written = chat_path(request, "text/event-stream", answer.as_bytes());
        assert!(written.is_some_and(|n| n > answer.len()), "{written:?}");
        // A stream cut after its first chunk is an error, not a quiet end.
        assert_eq!(
            chat_path(request, "text/event-stream", first.as_bytes()),
            None
        );
        assert_eq!(chat_path(b"{}", "text/event-stream", b""), None);
    }
}

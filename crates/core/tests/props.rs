//! Property tests: splitting never changes what a stream means, unknown fields
//! survive a round trip, and no input makes a decoder panic.

use proptest::prelude::*;
use serde_json::{Value, json};
use switchboard_core::accumulate::Accumulator;
use switchboard_core::decode::{decode_chat, decode_error, decode_models};
use switchboard_core::endpoints::images::decode_image;
use switchboard_core::http::{ResponseHead, ResponseKind};
use switchboard_core::limits::Limits;
use switchboard_core::provider::ProviderId;
use switchboard_core::sse::{SseEvent, SseParser, encode_chunk};
use switchboard_core::stream::{StreamContext, StreamDecoder, StreamEvent};
use switchboard_core::types::{ChatCompletion, ChatCompletionChunk, ChatRequest};

fn parse(pieces: &[&[u8]]) -> Vec<SseEvent> {
    let mut p = SseParser::default();
    let mut out = Vec::new();
    for piece in pieces {
        p.feed(piece, &mut out).expect("within limits");
    }
    p.finish(&mut out);
    out
}

/// An event stream built from arbitrary lines, line ends and comments.
fn sse_stream() -> impl Strategy<Value = Vec<u8>> {
    let line = prop_oneof![
        "[a-z{}\":, é😀]{0,20}".prop_map(|s| format!("data: {s}")),
        "[a-z ]{0,10}".prop_map(|s| format!("data:{s}")),
        "[a-z]{0,8}".prop_map(|s| format!("event: {s}")),
        "[a-z ]{0,8}".prop_map(|s| format!(": {s}")),
        Just(String::new()),
    ];
    let end = prop_oneof![Just("\n"), Just("\r"), Just("\r\n")];
    prop::collection::vec((line, end), 0..30).prop_map(|lines| {
        lines
            .into_iter()
            .flat_map(|(l, e)| format!("{l}{e}").into_bytes())
            .collect()
    })
}

fn all_kinds() -> [ResponseKind; 3] {
    [
        ResponseKind::Sse,
        ResponseKind::JsonLines,
        ResponseKind::FakeStream,
    ]
}

fn decode_stream(provider: ProviderId, kind: ResponseKind, pieces: &[&[u8]]) -> Vec<StreamEvent> {
    let head = ResponseHead::new(200, 1).with_header("content-type", "text/event-stream");
    let mut d = StreamDecoder::new(
        provider,
        kind,
        &head,
        StreamContext::default(),
        Limits::DEFAULT,
    );
    let mut events = Vec::new();
    for piece in pieces {
        events.extend(d.feed(piece));
    }
    events.extend(d.finish());
    events
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn any_split_gives_the_same_events(bytes in sse_stream(), cuts in prop::collection::vec(any::<prop::sample::Index>(), 0..6)) {
        let whole = parse(&[&bytes]);
        let mut offsets: Vec<usize> = cuts.iter().map(|i| i.index(bytes.len() + 1)).collect();
        offsets.sort_unstable();
        let mut pieces = Vec::new();
        let mut start = 0;
        for o in offsets {
            pieces.push(&bytes[start..o]);
            start = o;
        }
        pieces.push(&bytes[start..]);
        prop_assert_eq!(parse(&pieces), whole);
    }

    #[test]
    fn any_split_gives_the_same_stream(bytes in sse_stream(), cut in any::<prop::sample::Index>()) {
        let cut = cut.index(bytes.len() + 1);
        for kind in all_kinds() {
            let whole = decode_stream(ProviderId::Siraya, kind, &[&bytes]);
            prop_assert_eq!(decode_stream(ProviderId::Siraya, kind, &[&bytes[..cut], &bytes[cut..]]), whole);
        }
    }

    #[test]
    fn arbitrary_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..512), status in 100u16..600) {
        for provider in ProviderId::ALL {
            for kind in all_kinds() {
                let events = decode_stream(provider, kind, &[&bytes]);
                let terminal = events.iter().filter(|e| !matches!(e, StreamEvent::Chunk(_))).count();
                prop_assert_eq!(terminal, 1);
            }
            let head = ResponseHead::new(status, 1).with_header("retry-after", "5");
            let _ = decode_chat(provider, &head, &bytes);
            let _ = decode_models(provider, &head, &bytes);
            let _ = decode_image(provider, &head, &bytes);
            let e = decode_error(provider, &head, &bytes);
            prop_assert!(e.status() >= 400);
        }
        let _ = serde_json::from_slice::<ChatRequest>(&bytes);
    }

    #[test]
    fn unknown_fields_round_trip(key in "x_[a-z]{1,8}", value in "[a-zA-Z0-9 ]{0,16}", n in any::<i32>()) {
        let extra = json!({"s": value, "n": n, "nested": [1, {"k": null}]});
        let completion = json!({
            "id": "c", "object": "chat.completion", "created": 1, "model": "m",
            key.clone(): extra,
            "choices": [{"index": 0, "finish_reason": "stop", key.clone(): 1,
                "message": {"role": "assistant", "content": "hi", key.clone(): "m"}}],
            "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2, key.clone(): {"a": 1}},
        });
        let parsed: ChatCompletion = serde_json::from_value(completion.clone()).expect("decodes");
        prop_assert_eq!(serde_json::to_value(&parsed).expect("encodes"), completion);
        let request = json!({"model": "m", "messages": [{"role": "user", "content": "x", key.clone(): n}], key.clone(): value});
        let parsed: ChatRequest = serde_json::from_value(request.clone()).expect("decodes");
        prop_assert_eq!(serde_json::to_value(&parsed).expect("encodes"), request);
    }

    #[test]
    fn encoded_chunks_decode_and_accumulate(texts in prop::collection::vec("[a-z é\n\"\\\\]{0,12}", 1..20)) {
        let mut bytes = Vec::new();
        for (i, t) in texts.iter().enumerate() {
            let last = i + 1 == texts.len();
            let chunk: ChatCompletionChunk = serde_json::from_value(json!({
                "id": "c", "created": 1, "model": "m",
                "choices": [{"index": 0, "delta": {"content": t}, "finish_reason": if last { Value::from("stop") } else { Value::Null }}],
            })).expect("chunk");
            bytes.extend(encode_chunk(&chunk));
        }
        bytes.extend_from_slice(b"data: [DONE]\n\n");
        let mut acc = Accumulator::new();
        let events = decode_stream(ProviderId::Secry, ResponseKind::Sse, &[&bytes]);
        prop_assert_eq!(events.last(), Some(&StreamEvent::Done));
        for e in &events {
            if let StreamEvent::Chunk(c) = e {
                acc.push(c).expect("within limit");
            }
        }
        prop_assert_eq!(acc.finish().text(), texts.concat());
    }
}

/// Found by the `stream` fuzz target: bytes the parser refuses after an in-stream error
/// made a second terminal event.
#[test]
fn nothing_follows_the_first_error() {
    let body = b"data: {\"error\":{\"message\":\"boom\"}}\n\ndata: \xff\n\n";
    for provider in ProviderId::ALL {
        let events = decode_stream(provider, ResponseKind::Sse, &[body]);
        assert!(
            matches!(events.as_slice(), [StreamEvent::Error(_)]),
            "{provider}: {events:?}"
        );
    }
}

/// Found by the `stream` fuzz target: a JSON line over the cap passed when it came
/// whole and was refused when split.
#[test]
fn json_line_cap_does_not_depend_on_the_split() {
    let head = ResponseHead::new(200, 1);
    let limits = Limits {
        max_event_bytes: 16,
        ..Limits::DEFAULT
    };
    let line = b"{\"not\": \"a chunk, and longer than the cap\"}\n";
    for piece in 1..=line.len() {
        let kind = ResponseKind::JsonLines;
        let ctx = StreamContext::default();
        let mut d = StreamDecoder::new(ProviderId::Airforce, kind, &head, ctx, limits);
        let mut events: Vec<StreamEvent> = line.chunks(piece).flat_map(|c| d.feed(c)).collect();
        events.extend(d.finish());
        assert!(
            matches!(events.as_slice(), [StreamEvent::Error(e)] if e.status() == 502),
            "piece size {piece}: {events:?}"
        );
    }
}

/// Found by the `decode` fuzz target: an error object without a message (in a body
/// with a success status, or in a stream) gave an error with an empty message.
#[test]
fn error_objects_without_a_message_still_say_something() {
    let body = br#"{"error": {"code": 429}}"#;
    let head = ResponseHead::new(200, 1);
    let e = decode_chat(ProviderId::Secry, &head, body).unwrap_err();
    assert_eq!(e.status(), 429);
    assert!(e.message().contains("no message"), "{e:?}");
    let mut stream = b"data: ".to_vec();
    stream.extend_from_slice(body);
    stream.extend_from_slice(b"\n\n");
    let events = decode_stream(ProviderId::Secry, ResponseKind::Sse, &[&stream]);
    assert!(
        matches!(events.as_slice(), [StreamEvent::Error(e)] if !e.message().is_empty()),
        "{events:?}"
    );
}

//! Streamed input: the SSE parser, each provider's stream decoder, the accumulator.

use switchboard_core::Accumulator;
use switchboard_core::error::Error;
use switchboard_core::http::{ResponseHead, ResponseKind};
use switchboard_core::limits::Limits;
use switchboard_core::provider::ProviderId;
use switchboard_core::sse::{SseEvent, SseParser, encode_chunk};
use switchboard_core::stream::{StreamContext, StreamDecoder, StreamEvent};
use switchboard_core::types::ChatCompletionChunk;

use crate::{Input, pieces, round_trip};

/// What one parse produced: the events, the error that stopped it, and whether an
/// unfinished event was pending at the end.
type SseOutcome = (Vec<SseEvent>, Option<Error>, bool);

/// The SSE parser: no panic, and the same events whatever the split.
pub fn sse(data: &[u8]) {
    let Some(input) = Input::parse(data) else {
        return;
    };
    // Small caps too, so the size checks are reached.
    let cap = 8 + usize::from(input.selector) * 32;
    let whole = parse_sse(cap, &[input.body]);
    let split = parse_sse(cap, &pieces(input.body, input.seed));
    assert_eq!(whole, split, "split feed differs from one feed");
}

fn parse_sse(cap: usize, pieces: &[&[u8]]) -> SseOutcome {
    let mut parser = SseParser::new(cap);
    let mut events = Vec::new();
    for piece in pieces {
        if let Err(e) = parser.feed(piece, &mut events) {
            return (events, Some(e), true);
        }
    }
    let partial = parser.has_partial_event();
    parser.finish(&mut events);
    (events, None, partial)
}

/// The stream decoder of every provider and response kind: no panic, the same events
/// whatever the split, exactly one terminal event and it comes last, chunks that
/// round-trip, and an accumulator that takes them all.
pub fn stream(data: &[u8]) {
    let Some(input) = Input::parse(data) else {
        return;
    };
    let s = usize::from(input.selector);
    let provider = ProviderId::ALL[s % ProviderId::ALL.len()];
    let kind = [
        ResponseKind::Sse,
        ResponseKind::JsonLines,
        ResponseKind::FakeStream,
    ][s / 6 % 3];
    let content_type = if s / 18 % 2 == 0 {
        "text/event-stream"
    } else {
        "application/json"
    };
    let limits = if s / 36 % 2 == 0 {
        Limits::DEFAULT
    } else {
        Limits {
            max_event_bytes: 256,
            max_stream_bytes: 4096,
            max_response_bytes: 2048,
            ..Limits::DEFAULT
        }
    };
    let head = ResponseHead::new(200, 1_700_000_000).with_header("content-type", content_type);
    let ctx = StreamContext {
        model: "fuzz-model".into(),
        now: 1_700_000_000,
        include_usage: s / 72 % 2 == 1,
    };
    let run = |pieces: &[&[u8]]| {
        let mut decoder = StreamDecoder::new(provider, kind, &head, ctx.clone(), limits);
        let mut events = Vec::new();
        for piece in pieces {
            events.extend(decoder.feed(piece));
        }
        events.extend(decoder.finish());
        assert!(decoder.is_ended(), "finish left the decoder open");
        events
    };
    let whole = run(&[input.body]);
    let split = run(&pieces(input.body, input.seed));
    assert_eq!(whole, split, "split feed differs from one feed");
    let terminal = whole
        .iter()
        .filter(|e| !matches!(e, StreamEvent::Chunk(_)))
        .count();
    assert_eq!(terminal, 1, "not exactly one Done or Error: {whole:?}");
    assert!(
        !matches!(whole.last(), Some(StreamEvent::Chunk(_))),
        "an event follows the terminal one"
    );
    let mut acc = Accumulator::with_limit(4096);
    for event in &whole {
        if let StreamEvent::Chunk(chunk) = event {
            round_trip(chunk);
            let _ = acc.push(chunk);
        }
    }
    round_trip(&acc.finish());
}

/// The accumulator over any chunk sequence (JSON lines, `data:` prefixes allowed):
/// no panic, the limit holds, a refused chunk changes nothing, and the chunks and the
/// result round-trip (the chunks through the gateway's SSE encoder too).
pub fn accumulate(data: &[u8]) {
    let Some(input) = Input::parse(data) else {
        return;
    };
    let limit = [usize::MAX, 64, 1024, 0][usize::from(input.selector % 4)];
    let mut acc = Accumulator::with_limit(limit);
    let mut chunks = 0u32;
    for line in input.body.split(|b| *b == b'\n') {
        let line = line.strip_prefix(b"data:").unwrap_or(line);
        let Ok(chunk) = serde_json::from_slice::<ChatCompletionChunk>(line) else {
            continue;
        };
        round_trip(&chunk);
        sse_round_trip(&chunk);
        let before = acc.bytes();
        match acc.push(&chunk) {
            Ok(()) => assert!(acc.bytes() <= limit, "limit exceeded"),
            Err(e) => {
                assert_eq!(e.status(), 502, "unexpected refusal: {e}"); // the provider's answer is too large
                assert_eq!(acc.bytes(), before, "a refused chunk was counted");
            }
        }
        chunks += 1;
        // Mid-stream snapshots after the 1st, 2nd, 4th, 8th... chunk: one after every
        // chunk made the target quadratic in its input's length.
        if input.selector & 0x10 != 0 && chunks.is_power_of_two() {
            round_trip(&acc.snapshot());
        }
    }
    round_trip(&acc.finish());
}

/// A chunk written by the gateway's SSE encoder reads back as the same chunk.
fn sse_round_trip(chunk: &ChatCompletionChunk) {
    let bytes = encode_chunk(chunk);
    let mut events = Vec::new();
    SseParser::default()
        .feed(&bytes, &mut events)
        .expect("an encoded chunk parses");
    let [event] = events.as_slice() else {
        panic!("one chunk gave {} events", events.len());
    };
    let back: ChatCompletionChunk = serde_json::from_str(&event.data).expect("chunk JSON");
    assert_eq!(&back, chunk, "SSE round trip changed the chunk");
}

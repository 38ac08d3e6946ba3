//! Stream-normalization throughput: a large generated SSE capture pushed through
//! the full `StreamDecoder` (framing + chunk parsing + normalization) and through the
//! gateway's decode + re-encode path, beside `serde_json` parsing the same chunk
//! payloads alone, in the same run. Run with `cargo xtask bench core`.

use std::hint::black_box;
use std::time::{Duration, Instant};
use switchboard_core::http::{ResponseHead, ResponseKind};
use switchboard_core::limits::Limits;
use switchboard_core::provider::ProviderId;
use switchboard_core::sse::{SseParser, encode_chunk};
use switchboard_core::stream::{StreamContext, StreamDecoder, StreamEvent};
use switchboard_core::types::ChatCompletionChunk;

const CHUNKS: usize = 20_000;
const PIECE: usize = 16 * 1024;
const ROUNDS: usize = 7;

/// A capture like a real one: role chunk, text deltas of varying length (some with
/// escapes and non-ASCII), a tool call in fragments, finish, usage, `[DONE]`.
fn capture() -> (Vec<u8>, Vec<String>) {
    let mut payloads = Vec::with_capacity(CHUNKS + 3);
    let head = r#"{"id":"chatcmpl-9f2c1b","object":"chat.completion.chunk","created":1743381000,"model":"meta-llama/Llama-3.3-70B-Instruct","system_fingerprint":"fp_44709d6fcb","choices":[{"index":0,"#;
    payloads.push(format!(r#"{head}"delta":{{"role":"assistant","content":""}},"logprobs":null,"finish_reason":null}}]}}"#));
    let words = [
        "The",
        " quick",
        " brown",
        " fox",
        " jumps",
        " over",
        " the",
        " lazy",
        " dog",
        ".\\n",
        " caf\u{e9}",
        " \\\"quoted\\\"",
        " 😀",
    ];
    for i in 0..CHUNKS {
        let text: String = (0..=(i % 4))
            .map(|k| words[(i + k) % words.len()])
            .collect();
        if i % 97 == 5 {
            payloads.push(format!(r#"{head}"delta":{{"tool_calls":[{{"index":0,"function":{{"arguments":"{{\"city\": \"Ban"}}}}]}},"logprobs":null,"finish_reason":null}}]}}"#));
        } else {
            payloads.push(format!(
                r#"{head}"delta":{{"content":"{text}"}},"logprobs":null,"finish_reason":null}}]}}"#
            ));
        }
    }
    payloads.push(format!(
        r#"{head}"delta":{{}},"logprobs":null,"finish_reason":"stop"}}]}}"#
    ));
    payloads.push(r#"{"id":"chatcmpl-9f2c1b","object":"chat.completion.chunk","created":1743381000,"model":"m","choices":[],"usage":{"prompt_tokens":25,"completion_tokens":20000,"total_tokens":20025}}"#.to_string());
    let mut bytes = Vec::new();
    for p in &payloads {
        bytes.extend_from_slice(b"data: ");
        bytes.extend_from_slice(p.as_bytes());
        bytes.extend_from_slice(b"\n\n");
    }
    bytes.extend_from_slice(b"data: [DONE]\n\n");
    (bytes, payloads)
}

/// Decodes the capture; `batched` collects each piece's events in a `Vec` (`feed`)
/// rather than handing them on one by one (`feed_with`).
fn decode(bytes: &[u8], batched: bool, mut on_chunk: impl FnMut(&ChatCompletionChunk)) -> usize {
    let head = ResponseHead::new(200, 0).with_header("content-type", "text/event-stream");
    let limits = Limits {
        max_stream_bytes: usize::MAX,
        ..Limits::DEFAULT
    };
    let mut d = StreamDecoder::new(
        ProviderId::Secry,
        ResponseKind::Sse,
        &head,
        // The capture ends with a usage chunk, which a stream keeps only when asked for.
        StreamContext {
            include_usage: true,
            ..StreamContext::default()
        },
        limits,
    );
    let mut chunks = 0;
    let mut handle = |e: StreamEvent| match e {
        StreamEvent::Chunk(c) => {
            chunks += 1;
            on_chunk(&c);
        }
        StreamEvent::Done => {}
        StreamEvent::Error(e) => panic!("capture failed to decode: {e}"),
    };
    for piece in bytes.chunks(PIECE) {
        if batched {
            d.feed(piece).into_iter().for_each(&mut handle);
        } else {
            d.feed_with(piece, &mut handle);
        }
    }
    d.finish_with(&mut handle);
    chunks
}

/// Runs every variant once per round, `ROUNDS` times, interleaved so that a busy
/// moment of the machine hits all of them alike; keeps each one's best time.
fn best_of(variants: &mut [(&str, &mut dyn FnMut() -> usize)]) -> Vec<(Duration, usize)> {
    let mut out = vec![(Duration::MAX, 0); variants.len()];
    for _ in 0..ROUNDS {
        for (slot, (_, f)) in out.iter_mut().zip(variants.iter_mut()) {
            let t = Instant::now();
            let n = black_box(f());
            *slot = (slot.0.min(t.elapsed()), n);
        }
    }
    out
}

fn main() {
    let (bytes, payloads) = capture();
    let text = std::str::from_utf8(&bytes).expect("the capture is UTF-8");
    // The payloads as slices of the capture itself: same bytes, same memory.
    let slices: Vec<&str> = text
        .split("\n\n")
        .filter_map(|e| e.strip_prefix("data: "))
        .filter(|d| *d != "[DONE]")
        .collect();
    assert_eq!(slices.len(), payloads.len());
    drop(payloads);
    let mb = bytes.len() as f64 / 1e6;
    println!(
        "stream_normalize: {} chunks, {:.2} MB capture, fed in {} KiB pieces, best of {ROUNDS} interleaved rounds",
        slices.len(),
        mb,
        PIECE / 1024
    );
    let mut baseline = || {
        slices
            .iter()
            .filter(|p| {
                serde_json::from_str::<ChatCompletionChunk>(p)
                    .map(black_box)
                    .is_ok()
            })
            .count()
    };
    let mut framing = || {
        let mut parser = SseParser::new(1 << 20);
        let mut n = 0;
        for piece in bytes.chunks(PIECE) {
            parser
                .feed_with(piece, |e| {
                    n += usize::from(e.data != "[DONE]" && !black_box(e.data).is_empty())
                })
                .expect("within limits");
        }
        n
    };
    let mut streaming = || {
        decode(&bytes, false, |c| {
            black_box(c);
        })
    };
    let mut batched = || {
        decode(&bytes, true, |c| {
            black_box(c);
        })
    };
    let mut encoded = 0usize;
    let mut reencode = || {
        decode(&bytes, false, |c| {
            encoded = encoded.wrapping_add(encode_chunk(c).len());
        })
    };
    let mut variants: [(&str, &mut dyn FnMut() -> usize); 5] = [
        ("serde_json payloads alone (baseline)", &mut baseline),
        ("SSE framing alone (SseParser)", &mut framing),
        ("StreamDecoder::feed_with", &mut streaming),
        ("StreamDecoder::feed (events in a Vec)", &mut batched),
        ("decode + re-encode (gateway path)", &mut reencode),
    ];
    let results = best_of(&mut variants);
    let base = results[0].0.as_secs_f64();
    for ((name, _), (d, n)) in variants.iter().zip(&results) {
        assert_eq!(*n, slices.len(), "{name} saw every chunk");
        let s = d.as_secs_f64();
        println!(
            "  {name:<40} {:>8.1} MB/s {:>10.0} chunks/s  {:>6.2} ms  x{:.2} of baseline time",
            mb / s,
            *n as f64 / s,
            s * 1e3,
            s / base
        );
    }
}

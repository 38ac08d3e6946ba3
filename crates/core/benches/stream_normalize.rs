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

fn best<F: FnMut() -> usize>(mut f: F) -> (Duration, usize) {
    let mut best = Duration::MAX;
    let mut n = 0;
    for _ in 0..ROUNDS {
        let t = Instant::now();
        n = black_box(f());
        best = best.min(t.elapsed());
    }
    (best, n)
}

fn decode(bytes: &[u8], mut on_chunk: impl FnMut(&ChatCompletionChunk)) -> usize {
    let head = ResponseHead::new(200, 0).with_header("content-type", "text/event-stream");
    let limits = Limits {
        max_stream_bytes: usize::MAX,
        ..Limits::DEFAULT
    };
    let mut d = StreamDecoder::new(
        ProviderId::Secry,
        ResponseKind::Sse,
        &head,
        StreamContext::default(),
        limits,
    );
    let mut chunks = 0;
    let mut handle = |events: Vec<StreamEvent>| {
        for e in events {
            match e {
                StreamEvent::Chunk(c) => {
                    chunks += 1;
                    on_chunk(&c);
                }
                StreamEvent::Done => {}
                StreamEvent::Error(e) => panic!("capture failed to decode: {e}"),
            }
        }
    };
    for piece in bytes.chunks(PIECE) {
        handle(d.feed(piece));
    }
    handle(d.finish());
    chunks
}

fn main() {
    let (bytes, payloads) = capture();
    let mb = bytes.len() as f64 / 1e6;
    println!(
        "stream_normalize: {} chunks, {:.2} MB capture, fed in {} KiB pieces, best of {ROUNDS}",
        payloads.len(),
        mb,
        PIECE / 1024
    );

    let (base, n_base) = best(|| {
        payloads
            .iter()
            .filter(|p| {
                serde_json::from_str::<ChatCompletionChunk>(p)
                    .map(black_box)
                    .is_ok()
            })
            .count()
    });
    let (full, n_full) = best(|| {
        decode(&bytes, |c| {
            black_box(c);
        })
    });
    let (framing, n_events) = best(|| {
        let mut parser = SseParser::new(1 << 20);
        let mut events = Vec::new();
        let mut n = 0;
        for piece in bytes.chunks(PIECE) {
            parser.feed(piece, &mut events).expect("within limits");
            n += events
                .drain(..)
                .map(|e| black_box(e).data.len())
                .filter(|&l| l > 0)
                .count();
        }
        n
    });
    assert_eq!(n_events, n_full + 1, "framing sees every event and [DONE]");
    let mut out = 0usize;
    let (reencode, _) = best(|| {
        decode(&bytes, |c| {
            out = out.wrapping_add(encode_chunk(c).len());
        })
    });
    assert_eq!(n_base, n_full, "both paths see every chunk");

    let row = |name: &str, d: Duration| {
        let s = d.as_secs_f64();
        println!(
            "  {name:<38} {:>8.1} MB/s {:>10.0} chunks/s  {:>6.2} ms  x{:.2} of baseline time",
            mb / s,
            n_full as f64 / s,
            s * 1e3,
            s / base.as_secs_f64()
        );
    };
    row("serde_json payloads alone (baseline)", base);
    row("SSE framing alone (SseParser)", framing);
    row("StreamDecoder (SSE + parse + normalize)", full);
    row("decode + re-encode (gateway path)", reencode);
    black_box(out);
}

//! The two ways a streamed chunk crosses to JavaScript (`src/batch.rs`): plain chunks
//! as strings built into objects by `buildBatch` (`js/glue.js`), others as JSON text.
//! Either way the object must be exactly what `JSON.parse` of the chunk's `serde_json`
//! text gives, keys in the same order: checked for every chunk of every core fixture
//! (`crates/core/tests/fixtures/*/*/expected_events.json`, embedded by `build.rs`) and
//! for hand-made chunks that reach each branch.
#![cfg(target_arch = "wasm32")]

use js_sys::{Array, Float64Array, JSON, Object};
use serde_json::Value;
use switchboard_client::batch::Batch;
use switchboard_core::types::ChatCompletionChunk;
use wasm_bindgen::prelude::*;
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

/// One case's files: `(name, bytes)`.
type Files = &'static [(&'static str, &'static [u8])];

include!(concat!(env!("OUT_DIR"), "/fixtures.rs"));

#[wasm_bindgen(module = "/js/glue.js")]
extern "C" {
    #[wasm_bindgen(js_name = buildBatch)]
    fn build_batch(text: &str, ops: &Float64Array, from: u32, to: u32, cur: &Object) -> Array;
    #[wasm_bindgen(js_name = newCursor)]
    fn new_cursor() -> Object;
}

/// The JSON text of `v` as JavaScript writes it (keys in the object's order).
fn stringify(v: &JsValue) -> String {
    JSON::stringify(v)
        .ok()
        .and_then(|s| s.as_string())
        .expect("stringify")
}

/// Compares each object `buildBatch` made of `batch` with `JSON.parse` of its chunk's
/// `serde_json` text.
fn compare(what: &str, batch: &Batch, cur: &Object, chunks: &[ChatCompletionChunk]) {
    assert_eq!(batch.count, chunks.len(), "{what}");
    let ops = Float64Array::from(batch.ops.as_slice());
    let built = build_batch(&batch.text, &ops, 0, ops.length(), cur);
    assert_eq!(built.length() as usize, chunks.len(), "{what}");
    for (i, chunk) in chunks.iter().enumerate() {
        let typed = JSON::parse(&serde_json::to_string(chunk).expect("serialize")).expect("parse");
        assert_eq!(
            stringify(&built.get(i as u32)),
            stringify(&typed),
            "{what}, chunk {i}"
        );
    }
}

/// Encodes `chunks` as one batch, then again one batch per chunk (one `Batch` and one
/// cursor, as a stream does: the head crosses once and is reused by later batches),
/// and checks the built objects; returns how many crossed as plain chunks.
fn check(what: &str, chunks: &[ChatCompletionChunk]) -> usize {
    let (mut each, cur) = (Batch::default(), new_cursor());
    for (i, chunk) in chunks.iter().enumerate() {
        each.clear();
        each.push(chunk).expect("push");
        compare(
            &format!("{what}, batch {i} alone"),
            &each,
            &cur,
            core::slice::from_ref(chunk),
        );
    }
    let mut batch = Batch::default();
    for chunk in chunks {
        batch.push(chunk).expect("push");
    }
    compare(what, &batch, &new_cursor(), chunks);
    // Plain chunks are the records starting `0`; walk the layout to count them.
    let ops = &batch.ops;
    let (mut at, mut plain, mut keys) = (0, 0, 0.0);
    while at < ops.len() {
        if ops[at] == 1.0 {
            at += 2;
        } else {
            plain += 1;
            at += if ops[at + 1] == 1.0 { 11 } else { 6 };
            // The delta's own fields: a count, then each one's key number (a new key's
            // string after it) and value.
            let n = ops[at];
            at += 1;
            for _ in 0..n as usize {
                if ops[at] == keys {
                    keys += 1.0;
                    at += 1;
                }
                at += 2;
            }
        }
    }
    assert_eq!(at, ops.len(), "{what}");
    plain
}

#[wasm_bindgen_test]
fn every_fixture_chunk_is_built_as_json_parse_gives_it() {
    let (mut cases, mut chunks, mut plain) = (0, 0, 0);
    for (name, files) in FIXTURES {
        let Some((_, bytes)) = files.iter().find(|(f, _)| *f == "expected_events.json") else {
            continue;
        };
        let events: Vec<Value> = serde_json::from_slice(bytes).expect(name);
        let list: Vec<ChatCompletionChunk> = events
            .iter()
            .filter_map(|e| e.get("chunk"))
            .map(|c| serde_json::from_value(c.clone()).expect(name))
            .collect();
        cases += 1;
        chunks += list.len();
        plain += check(name, &list);
    }
    assert!(cases >= 10, "stream fixtures: {cases}");
    assert!(
        plain > 0 && plain < chunks,
        "{plain} of {chunks} chunks plain"
    );
}

#[wasm_bindgen_test]
fn hand_made_chunks_reach_every_branch() {
    let chunk = |v: Value| -> ChatCompletionChunk { serde_json::from_value(v).expect("chunk") };
    let head = |id: &str, created: u64, fp: Option<&str>, choice: Value| {
        let mut v = serde_json::json!({
            "id": id, "object": "chat.completion.chunk", "created": created, "model": "m",
            "choices": [choice],
        });
        if let Some(fp) = fp {
            v["system_fingerprint"] = fp.into();
        }
        chunk(v)
    };
    let list = [
        // Role only, then text with escapes, non-ASCII and a surrogate pair.
        head(
            "a",
            1,
            Some("fp"),
            serde_json::json!({"index": 0, "delta": {"role": "assistant"}}),
        ),
        head(
            "a",
            1,
            Some("fp"),
            serde_json::json!({"index": 0, "delta": {"content": "é \"q\"\n 😀 \u{2028}"}}),
        ),
        head(
            "a",
            1,
            Some("fp"),
            serde_json::json!({"index": 0, "delta": {"content": ""}}),
        ),
        // The head changes mid-batch: another id, a created past 2^53, no fingerprint.
        head(
            "b",
            u64::MAX,
            None,
            serde_json::json!({"index": 3, "delta": {}, "finish_reason": "stop"}),
        ),
        head(
            "b",
            u64::MAX,
            None,
            serde_json::json!({"index": 0, "delta": {"role": "tool", "content": "x"}, "finish_reason": "weird"}),
        ),
        // Not plain: a native finish reason, logprobs, extra fields, tool calls, usage.
        head(
            "b",
            2,
            None,
            serde_json::json!({"index": 0, "delta": {}, "finish_reason": "stop", "native_finish_reason": "end_turn"}),
        ),
        head(
            "b",
            2,
            None,
            serde_json::json!({"index": 0, "delta": {"content": "y"}, "logprobs": {"content": [{"token": "y", "logprob": -0.1}]}}),
        ),
        head(
            "b",
            2,
            None,
            serde_json::json!({"index": 0, "delta": {"content": "y", "reasoning_content": 1}}),
        ),
        head(
            "b",
            2,
            None,
            serde_json::json!({"index": 0, "delta": {"content": "y", "__proto__": "p"}}),
        ),
        head(
            "b",
            2,
            None,
            serde_json::json!({"index": 0, "delta": {"tool_calls": [{"index": 0, "function": {"arguments": "{}"}}]}}),
        ),
        chunk(
            serde_json::json!({"id": "b", "created": 2, "model": "m", "choices": [], "usage": {"prompt_tokens": 1, "completion_tokens": 2, "total_tokens": 3}}),
        ),
        chunk(
            serde_json::json!({"id": "b", "created": 2, "model": "m", "choices": [
            {"index": 0, "delta": {"content": "p"}}, {"index": 1, "delta": {"content": "q"}}]}),
        ),
        // Plain again after JSON ones, with the earlier head; string fields of the
        // delta's own (integer-like keys go first in JS objects, either way).
        head(
            "a",
            1,
            Some("fp"),
            serde_json::json!({"index": 0, "delta": {"content": "z"}}),
        ),
        head(
            "a",
            1,
            Some("fp"),
            serde_json::json!({"index": 0, "delta": {"role": "assistant", "reasoning_content": "r😀", "b": "", "a": "x", "7": "n"}}),
        ),
    ];
    assert_eq!(check("hand-made", &list), 7);
}

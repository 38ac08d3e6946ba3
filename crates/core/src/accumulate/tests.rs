#![allow(clippy::unwrap_used)]

use super::*;
use crate::types::{Delta, FunctionCallDelta};
use alloc::string::ToString;
use alloc::vec;
use proptest::prelude::*;
use serde_json::json;

fn chunk(json: Value) -> ChatCompletionChunk {
    serde_json::from_value(json).unwrap()
}

fn text_chunk(index: u32, text: &str) -> ChatCompletionChunk {
    let delta = Delta {
        content: Some(text.into()),
        ..Delta::default()
    };
    ChatCompletionChunk::new(
        "c1".into(),
        1,
        "m".into(),
        vec![ChunkChoice::new(index, delta, None)],
    )
}

fn accumulate(chunks: &[Value]) -> ChatCompletion {
    let mut acc = Accumulator::new();
    for c in chunks {
        acc.push(&chunk(c.clone())).unwrap();
    }
    acc.finish()
}

#[test]
fn text_is_joined_with_metadata_from_first_chunk() {
    let done = accumulate(&[
        json!({"id":"chatcmpl-1","object":"chat.completion.chunk","created":1700,"model":"gpt-x",
               "system_fingerprint":"fp_1",
               "choices":[{"index":0,"delta":{"role":"assistant","content":""},"finish_reason":null}]}),
        json!({"id":"chatcmpl-1","created":1701,"model":"gpt-y","system_fingerprint":"fp_2",
               "choices":[{"index":0,"delta":{"content":"Hel"}}]}),
        json!({"id":"","model":"","choices":[{"index":0,"delta":{"content":"lo, "}}]}),
        json!({"choices":[{"index":0,"delta":{"content":"world"},"finish_reason":null}]}),
        json!({"choices":[{"index":0,"delta":{},"finish_reason":"stop","native_finish_reason":"STOP"}]}),
    ]);
    assert_eq!(done.id, "chatcmpl-1");
    assert_eq!(done.object, "chat.completion");
    assert_eq!(done.created, 1700);
    assert_eq!(done.model, "gpt-x");
    assert_eq!(done.system_fingerprint.as_deref(), Some("fp_1"));
    assert_eq!(done.choices.len(), 1);
    let c = &done.choices[0];
    assert_eq!(c.message.role, Role::Assistant);
    assert_eq!(
        c.message.content,
        Some(Content::Text("Hello, world".into()))
    );
    assert_eq!(c.message.tool_calls, None);
    assert_eq!(c.finish_reason, Some(FinishReason::Stop));
    assert_eq!(c.native_finish_reason.as_deref(), Some("STOP"));
    assert_eq!(done.text(), "Hello, world");
    // It encodes as a valid non-stream completion.
    let v = serde_json::to_value(&done).unwrap();
    assert_eq!(v["choices"][0]["message"]["content"], "Hello, world");
    assert_eq!(v["object"], "chat.completion");
}

#[test]
fn role_defaults_to_assistant_and_first_role_wins() {
    let done = accumulate(&[json!({"choices":[{"index":0,"delta":{"content":"x"}}]})]);
    assert_eq!(done.choices[0].message.role, Role::Assistant);
    let done = accumulate(&[
        json!({"choices":[{"index":0,"delta":{"content":"x"}}]}),
        json!({"choices":[{"index":0,"delta":{"role":"tool","content":"y"}}]}),
        json!({"choices":[{"index":0,"delta":{"role":"user"}}]}),
    ]);
    assert_eq!(done.choices[0].message.role, Role::Tool);
}

#[test]
fn interleaved_tool_calls_merge_by_index() {
    let done = accumulate(&[
        json!({"id":"x","choices":[{"index":0,"delta":{"role":"assistant","content":null,"tool_calls":[
            {"index":0,"id":"call_a","type":"function","function":{"name":"get_weather","arguments":""}}]}}]}),
        json!({"choices":[{"index":0,"delta":{"tool_calls":[
            {"index":1,"id":"call_b","type":"function","function":{"name":"get_time","arguments":"{\"tz"}}]}}]}),
        json!({"choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"function":{"arguments":"{\"ci"}}]}}]}),
        json!({"choices":[{"index":0,"delta":{"tool_calls":[
            {"index":1,"function":{"arguments":"\":\"UTC\"}"}},
            {"index":0,"function":{"name":"","arguments":"ty\":\"Par"}}]}}]}),
        json!({"choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"id":"","function":{"arguments":"is\"}"}}]}}]}),
        json!({"choices":[{"index":0,"delta":{},"finish_reason":"tool_calls"}]}),
    ]);
    let m = &done.choices[0].message;
    assert_eq!(m.content, None, "tool calls and no text: content is null");
    let calls = m.tool_calls.as_ref().unwrap();
    assert_eq!(calls.len(), 2);
    assert_eq!(calls[0].id, "call_a");
    assert_eq!(calls[0].kind, "function");
    assert_eq!(calls[0].function.name, "get_weather");
    assert_eq!(calls[0].function.arguments, r#"{"city":"Paris"}"#);
    assert_eq!(calls[1].id, "call_b");
    assert_eq!(calls[1].function.name, "get_time");
    assert_eq!(calls[1].function.arguments, r#"{"tz":"UTC"}"#);
    assert_eq!(done.choices[0].finish_reason, Some(FinishReason::ToolCalls));
    let v = serde_json::to_value(&done).unwrap();
    assert_eq!(v["choices"][0]["message"]["content"], Value::Null);
}

#[test]
fn tool_calls_out_of_order_and_text_alongside() {
    let done = accumulate(&[
        json!({"choices":[{"index":0,"delta":{"content":"Let me check."}}]}),
        json!({"choices":[{"index":0,"delta":{"tool_calls":[{"index":3,"id":"c3","function":{"name":"b","arguments":"{}"}}]}}]}),
        json!({"choices":[{"index":0,"delta":{"tool_calls":[{"index":1,"id":"c1","function":{"name":"a"}}]}}]}),
    ]);
    let m = &done.choices[0].message;
    assert_eq!(m.content, Some(Content::Text("Let me check.".into())));
    let calls = m.tool_calls.as_ref().unwrap();
    assert_eq!(calls[0].id, "c1");
    assert_eq!(calls[0].kind, "function");
    assert_eq!(calls[0].function.arguments, "");
    assert_eq!(calls[1].id, "c3");
}

#[test]
fn calls_sort_by_index_keeping_arrival_order_within_one() {
    let call = |index: u32, id: &str| json!({"choices":[{"index":0,"delta":{"tool_calls":[{"index":index,"id":id}]}}]});
    let done = accumulate(&[
        call(2, "x"),
        call(0, "y"),
        call(2, "z"),
        call(1, "w"),
        call(0, "v"),
    ]);
    let ids: Vec<String> = done.choices[0]
        .message
        .tool_calls
        .iter()
        .flatten()
        .map(|c| c.id.clone())
        .collect();
    assert_eq!(ids, ["y", "v", "w", "x", "z"]);
}

#[test]
fn same_index_with_new_id_is_a_new_call() {
    // Some OpenAI-compatible servers send each whole call at index 0.
    let done = accumulate(&[
        json!({"choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"id":"a","type":"function","function":{"name":"f","arguments":"{\"x\":1}"}}]}}]}),
        json!({"choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"id":"b","type":"function","function":{"name":"g","arguments":"{}"}}]}}]}),
        json!({"choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"id":"b","function":{"arguments":""}}]}}]}),
    ]);
    let calls = done.choices[0].message.tool_calls.clone().unwrap();
    assert_eq!(calls.len(), 2);
    assert_eq!(
        (calls[0].id.as_str(), calls[0].function.name.as_str()),
        ("a", "f")
    );
    assert_eq!(calls[0].function.arguments, r#"{"x":1}"#);
    assert_eq!(
        (calls[1].id.as_str(), calls[1].function.name.as_str()),
        ("b", "g")
    );
}

#[test]
fn usage_only_final_chunk() {
    let done = accumulate(&[
        json!({"id":"u","choices":[{"index":0,"delta":{"content":"hi"},"finish_reason":"stop"}]}),
        json!({"id":"u","choices":[],"usage":{"prompt_tokens":5,"completion_tokens":1,"total_tokens":6,
               "prompt_tokens_details":{"cached_tokens":0}}}),
    ]);
    assert_eq!(done.choices.len(), 1);
    let usage = done.usage.unwrap();
    assert_eq!(usage.total_tokens, 6);
    assert_eq!(
        usage.extra["prompt_tokens_details"],
        json!({"cached_tokens":0})
    );
    assert_eq!(done.choices[0].finish_reason, Some(FinishReason::Stop));
    // Usage on several chunks: last wins.
    let done = accumulate(&[
        json!({"choices":[],"usage":{"prompt_tokens":1,"completion_tokens":1,"total_tokens":2}}),
        json!({"choices":[],"usage":{"prompt_tokens":1,"completion_tokens":9,"total_tokens":10}}),
    ]);
    assert_eq!(done.usage.unwrap().completion_tokens, 9);
    assert!(done.choices.is_empty());
}

#[test]
fn two_choices_interleaved_and_sparse() {
    let done = accumulate(&[
        json!({"choices":[{"index":1,"delta":{"role":"assistant","content":"B1 "}}]}),
        json!({"choices":[{"index":0,"delta":{"role":"assistant","content":"A1 "}},
                          {"index":1,"delta":{"content":"B2"}}]}),
        json!({"choices":[{"index":0,"delta":{"content":"A2"},"finish_reason":"length"}]}),
        json!({"choices":[{"index":1,"delta":{},"finish_reason":"stop"}]}),
        json!({"choices":[{"index":5,"delta":{"content":"F"}}]}),
    ]);
    let texts: Vec<(u32, String)> = done
        .choices
        .iter()
        .map(|c| (c.index, c.message.text_content()))
        .collect();
    assert_eq!(
        texts,
        vec![
            (0, "A1 A2".to_string()),
            (1, "B1 B2".to_string()),
            (5, "F".to_string())
        ]
    );
    assert_eq!(done.choices[0].finish_reason, Some(FinishReason::Length));
    assert_eq!(done.choices[1].finish_reason, Some(FinishReason::Stop));
    assert_eq!(done.choices[2].finish_reason, None);
}

#[test]
fn extras_reasoning_and_logprobs() {
    let done = accumulate(&[
        json!({"provider":"p1","choices":[{"index":0,"delta":{"reasoning_content":"Think","content":null},
               "logprobs":{"content":[{"token":"a","logprob":-0.1}],"refusal":null}, "seq":1}]}),
        json!({"provider":"p2","choices":[{"index":0,"delta":{"reasoning_content":"ing.","meta":{"n":1}},
               "logprobs":null}]}),
        json!({"choices":[{"index":0,"delta":{"reasoning_content":null,"content":"Answer","meta":{"n":2}},
               "logprobs":{"content":[{"token":"b","logprob":-0.2}]}, "seq":2}]}),
        json!({"choices":[{"index":0,"delta":{"content":"!"},"finish_reason":"stop"}]}),
        json!({"choices":[{"index":0,"delta":{},"finish_reason":null,"native_finish_reason":null}]}),
    ]);
    assert_eq!(done.extra["provider"], "p2");
    let c = &done.choices[0];
    assert_eq!(c.message.extra["reasoning_content"], "Thinking.");
    assert_eq!(c.message.extra["meta"], json!({"n":2}));
    assert_eq!(c.message.text_content(), "Answer!");
    assert_eq!(c.extra["seq"], 2);
    assert_eq!(
        c.finish_reason,
        Some(FinishReason::Stop),
        "a later null does not erase"
    );
    assert_eq!(
        c.logprobs,
        Some(
            json!({"content":[{"token":"a","logprob":-0.1},{"token":"b","logprob":-0.2}],"refusal":null})
        )
    );
}

#[test]
fn empty_stream_and_snapshot() {
    let empty = Accumulator::default().finish();
    assert!(empty.choices.is_empty());
    assert_eq!(empty.object, "chat.completion");
    // A choice with neither text nor tool calls has "" content.
    let done = accumulate(&[json!({"choices":[{"index":0,"delta":{"role":"assistant"}}]})]);
    assert_eq!(
        done.choices[0].message.content,
        Some(Content::Text(String::new()))
    );

    let mut acc = Accumulator::new();
    acc.push(&text_chunk(0, "ab")).unwrap();
    assert_eq!(acc.snapshot().text(), "ab");
    acc.push(&text_chunk(0, "cd")).unwrap();
    assert_eq!(acc.snapshot().text(), "abcd");
    assert_eq!(acc.bytes(), 4);
    assert_eq!(acc.finish().text(), "abcd");
}

#[test]
fn limit_is_enforced_before_applying() {
    let mut acc = Accumulator::with_limit(10);
    assert_eq!(acc.limit(), 10);
    acc.push(&text_chunk(0, "12345")).unwrap();
    acc.push(&text_chunk(0, "67890")).unwrap();
    let err = acc.push(&text_chunk(0, "x")).unwrap_err();
    assert_eq!(
        err,
        Error::TooLarge {
            what: "accumulated completion",
            limit: 10
        }
    );
    assert_eq!(err.status(), 502);
    // The refused chunk was not applied; empty chunks still go through.
    acc.push(&text_chunk(0, "")).unwrap();
    assert_eq!(acc.finish().text(), "1234567890");

    // Tool arguments and string extras count too.
    let mut acc = Accumulator::with_limit(8);
    let args = chunk(json!({"choices":[{"index":0,"delta":{"tool_calls":[
        {"index":0,"function":{"arguments":"{\"a\":1}"}}]}}]}));
    acc.push(&args).unwrap();
    assert!(acc.push(&args).is_err());
    let mut acc = Accumulator::with_limit(8);
    let reasoning = chunk(json!({"choices":[{"index":0,"delta":{"reasoning_content":"12345"}}]}));
    acc.push(&reasoning).unwrap();
    assert!(acc.push(&reasoning).is_err());
    assert_eq!(DEFAULT_LIMIT, 16 << 20);
    assert_eq!(Accumulator::new().limit(), DEFAULT_LIMIT);
}

#[test]
fn tool_call_delta_built_by_hand() {
    let mut acc = Accumulator::new();
    let mut c = text_chunk(0, "");
    c.choices[0].delta = Delta {
        tool_calls: Some(vec![ToolCallDelta {
            index: 0,
            id: Some("t".into()),
            kind: None,
            function: Some(FunctionCallDelta {
                name: Some("f".into()),
                arguments: None,
            }),
            extra: Extra::new(),
        }]),
        ..Delta::default()
    };
    acc.push(&c).unwrap();
    let done = acc.finish();
    let m = &done.choices[0].message;
    // An empty content delta is no text.
    assert_eq!(m.content, None);
    assert_eq!(m.tool_calls.as_ref().unwrap()[0].function.name, "f");
}

/// Splits `s` at the given byte fractions, moved to char boundaries.
fn split(s: &str, cuts: &[usize]) -> Vec<String> {
    let mut points: Vec<usize> = cuts
        .iter()
        .map(|&c| {
            let mut p = if s.is_empty() { 0 } else { c % (s.len() + 1) };
            while !s.is_char_boundary(p) {
                p -= 1;
            }
            p
        })
        .collect();
    points.push(0);
    points.push(s.len());
    points.sort_unstable();
    points
        .windows(2)
        .map(|w| s[w[0]..w[1]].to_string())
        .collect()
}

/// Found by the `accumulate` fuzz target: `message` beside `delta` was written twice.
#[test]
fn chunk_fields_named_like_completion_fields_are_not_written_twice() {
    let done = accumulate(&[json!({"choices":[{"index":0,"delta":{"content":"a",
        "name":"n"},"message":{"content":"b"}}]})]);
    let text = serde_json::to_string(&done).unwrap();
    assert_eq!(text.matches("\"message\"").count(), 1, "{text}");
    assert_eq!(done.choices[0].message.name.as_deref(), Some("n"));
    assert_eq!(serde_json::from_str::<ChatCompletion>(&text).unwrap(), done);
}

proptest! {
    #[test]
    fn any_split_of_text_accumulates_to_the_text(
        text in "\\PC{0,200}",
        cuts in proptest::collection::vec(any::<usize>(), 0..30),
    ) {
        let mut acc = Accumulator::new();
        for piece in split(&text, &cuts) {
            acc.push(&text_chunk(0, &piece)).unwrap();
        }
        prop_assert_eq!(acc.bytes(), text.len());
        prop_assert_eq!(acc.finish().text(), text);
    }

    #[test]
    fn any_split_of_arguments_accumulates_to_the_arguments(
        args in "\\PC{0,200}",
        cuts in proptest::collection::vec(any::<usize>(), 0..30),
    ) {
        let mut acc = Accumulator::new();
        for (i, piece) in split(&args, &cuts).into_iter().enumerate() {
            let id = if i == 0 { json!("call") } else { Value::Null };
            acc.push(&chunk(json!({"choices":[{"index":0,"delta":{"tool_calls":[
                {"index":2,"id":id,"function":{"arguments":piece}}]}}]}))).unwrap();
        }
        let done = acc.finish();
        let calls = done.choices[0].message.tool_calls.clone().unwrap();
        prop_assert_eq!(calls.len(), 1);
        prop_assert_eq!(&calls[0].id, "call");
        prop_assert_eq!(&calls[0].function.arguments, &args);
    }

    #[test]
    fn limit_holds_for_any_chunks(
        pieces in proptest::collection::vec("\\PC{0,20}", 0..40),
        limit in 0usize..200,
    ) {
        let mut acc = Accumulator::with_limit(limit);
        for p in &pieces {
            let _ = acc.push(&text_chunk(0, p));
            prop_assert!(acc.bytes() <= limit);
        }
        let text = acc.finish().text();
        prop_assert!(text.len() <= limit);
    }
}

#[test]
fn choices_and_tool_calls_are_capped_before_applying() {
    let mut acc = Accumulator::new();
    for i in 0..MAX_CHOICES as u32 {
        acc.push(&text_chunk(i, "x")).unwrap();
    }
    // Known choices still grow; one more index is refused, and not applied.
    acc.push(&text_chunk(0, "y")).unwrap();
    let err = acc.push(&text_chunk(MAX_CHOICES as u32, "z")).unwrap_err();
    assert_eq!(
        err,
        Error::TooLarge {
            what: "choices",
            limit: MAX_CHOICES as u64
        }
    );
    assert_eq!(err.status(), 502);
    assert_eq!(
        err.message(),
        "the provider's answer is too large: more than 128 choices"
    );
    let done = acc.finish();
    assert_eq!(done.choices.len(), MAX_CHOICES);
    assert_eq!(done.text(), "xy");

    let call = |index: usize, args: &str| {
        chunk(json!({"choices":[{"index":0,"delta":{"tool_calls":[
            {"index": index, "function": {"arguments": args}}]}}]}))
    };
    let mut acc = Accumulator::new();
    for i in 0..MAX_TOOL_CALLS {
        acc.push(&call(i, "{")).unwrap();
    }
    // Fragments of held calls still merge; a new call is refused.
    acc.push(&call(7, "}")).unwrap();
    let err = acc.push(&call(MAX_TOOL_CALLS, "{")).unwrap_err();
    assert_eq!(
        err,
        Error::TooLarge {
            what: "tool calls",
            limit: MAX_TOOL_CALLS as u64
        }
    );
    let done = acc.finish();
    let calls = done.choices[0].message.tool_calls.as_ref().unwrap();
    assert_eq!(calls.len(), MAX_TOOL_CALLS);
    assert_eq!(calls[7].function.arguments, "{}");
}

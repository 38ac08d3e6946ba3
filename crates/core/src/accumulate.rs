//! The accumulator: a stream of [`ChatCompletionChunk`]s folded into the one
//! [`ChatCompletion`] a non-streamed request would have returned.
//!
//! Merge rules, per field:
//!
//! - `id`, `model`, `created`, `system_fingerprint`: from the first chunk that
//!   has them (non-empty, non-zero). `object` is `chat.completion`. Unknown
//!   chunk-level fields: last value wins.
//! - `usage`: from whichever chunk carries it, last one wins (usually a final
//!   chunk with empty `choices`).
//! - Choices are kept per `index` (any order, gaps allowed) and come out sorted
//!   by index. Per choice:
//!   - `role`: from the first delta that has one; `assistant` if none does.
//!   - `content`: the deltas' text joined. A message that has tool calls and no
//!     text has `content: null`; one with neither has `""`.
//!   - `tool_calls`: fragments merged by their `index`: `id`, `type` and
//!     `function.name` from the first fragment that carries them (non-empty),
//!     `function.arguments` concatenated; output sorted by index. A fragment
//!     with a *different* id at an index already holding a call starts a new
//!     call (some OpenAI-compatible servers send every call at index 0).
//!   - Unknown delta fields (`reasoning_content`, `refusal`, ...): strings are
//!     concatenated; other values replace (last wins); a `null` never erases a
//!     value. They land in the message's `extra`.
//!   - `finish_reason`, `native_finish_reason`: the last non-null value wins.
//!   - `logprobs`: arrays under the same key (`content`, `refusal`) are
//!     appended; other values replace.
//!   - Unknown choice-level fields: last value wins.
//!
//! Memory is bounded: the accumulator counts the bytes of all text it joins
//! (content, tool ids, names and arguments, string extras, and an estimate of
//! appended logprobs) and refuses a chunk that would take it past its limit,
//! [`DEFAULT_LIMIT`] (16 MiB) unless set with [`Accumulator::with_limit`].

use crate::Error;
use crate::types::{
    ChatCompletion, ChatCompletionChunk, Choice, ChunkChoice, Content, Extra, FinishReason,
    FunctionCall, Message, Role, ToolCall, ToolCallDelta, Usage,
};
use alloc::string::String;
use alloc::vec::Vec;
use serde_json::Value;

/// The default bound on accumulated text: 16 MiB, far above any real completion,
/// low enough that a runaway stream cannot exhaust a Worker's 128 MB.
pub const DEFAULT_LIMIT: usize = 16 * 1024 * 1024;

/// The `what` of the [`Error::TooLarge`] that [`Accumulator::push`] returns.
const WHAT: &str = "accumulated completion";

/// Folds streamed chunks into one completion. See the [module docs](self) for the
/// merge rules.
#[derive(Debug, Clone, PartialEq)]
pub struct Accumulator {
    id: Option<String>,
    model: Option<String>,
    created: Option<u64>,
    system_fingerprint: Option<String>,
    usage: Option<Usage>,
    extra: Extra,
    /// By index, ascending (a sorted `Vec`: one `BTreeMap` type less in the wasm).
    choices: Vec<(u32, ChoiceAcc)>,
    bytes: usize,
    limit: usize,
}

/// One choice in progress.
#[derive(Debug, Clone, PartialEq, Default)]
struct ChoiceAcc {
    role: Option<Role>,
    content: String,
    /// In arrival order of their first fragment; sorted by index at the end.
    tool_calls: Vec<ToolAcc>,
    /// Unknown delta fields, for the message.
    message_extra: Extra,
    finish_reason: Option<FinishReason>,
    native_finish_reason: Option<String>,
    logprobs: Option<Value>,
    /// Unknown choice-level fields.
    extra: Extra,
}

/// One tool call in progress.
#[derive(Debug, Clone, PartialEq, Default)]
struct ToolAcc {
    index: u32,
    id: Option<String>,
    kind: Option<String>,
    name: Option<String>,
    arguments: String,
    extra: Extra,
}

impl Default for Accumulator {
    fn default() -> Self {
        Self::new()
    }
}

impl Accumulator {
    /// An empty accumulator bounded at [`DEFAULT_LIMIT`] bytes.
    pub fn new() -> Self {
        Self::with_limit(DEFAULT_LIMIT)
    }

    /// An empty accumulator that refuses to hold more than `max_bytes` of text
    /// (content, tool-call ids, names and arguments, string extras, logprobs).
    pub fn with_limit(max_bytes: usize) -> Self {
        Accumulator {
            id: None,
            model: None,
            created: None,
            system_fingerprint: None,
            usage: None,
            extra: Extra::new(),
            choices: Vec::new(),
            bytes: 0,
            limit: max_bytes,
        }
    }

    /// Bytes of text held so far (what the limit is checked against).
    pub fn bytes(&self) -> usize {
        self.bytes
    }

    /// The limit in bytes.
    pub fn limit(&self) -> usize {
        self.limit
    }

    /// Merges one chunk. Fails with [`Error::TooLarge`] (`what` = `accumulated
    /// completion`) when the chunk would take the held text past the limit; the
    /// chunk is then not applied at all, and the accumulator stays usable.
    pub fn push(&mut self, chunk: &ChatCompletionChunk) -> Result<(), Error> {
        let cost = chunk_cost(chunk);
        let total = self.bytes.saturating_add(cost);
        if total > self.limit {
            return Err(Error::TooLarge {
                what: WHAT,
                limit: u64::try_from(self.limit).unwrap_or(u64::MAX),
            });
        }
        self.bytes = total;

        if self.id.is_none() && !chunk.id.is_empty() {
            self.id = Some(chunk.id.clone());
        }
        if self.model.is_none() && !chunk.model.is_empty() {
            self.model = Some(chunk.model.clone());
        }
        if self.created.is_none() && chunk.created != 0 {
            self.created = Some(chunk.created);
        }
        if self.system_fingerprint.is_none() {
            self.system_fingerprint
                .clone_from(&chunk.system_fingerprint);
        }
        if let Some(usage) = &chunk.usage {
            self.usage = Some(usage.clone());
        }
        for (k, v) in &chunk.extra {
            self.extra.insert(k.clone(), v.clone());
        }
        for choice in &chunk.choices {
            let at = match self
                .choices
                .binary_search_by_key(&choice.index, |(i, _)| *i)
            {
                Ok(at) => at,
                Err(at) => {
                    self.choices
                        .insert(at, (choice.index, ChoiceAcc::default()));
                    at
                }
            };
            if let Some((_, acc)) = self.choices.get_mut(at) {
                acc.push(choice);
            }
        }
        Ok(())
    }

    /// The completion so far, without consuming the accumulator.
    pub fn snapshot(&self) -> ChatCompletion {
        self.clone().finish()
    }

    /// The completion.
    pub fn finish(self) -> ChatCompletion {
        ChatCompletion {
            id: self.id.unwrap_or_default(),
            object: String::from("chat.completion"),
            created: self.created.unwrap_or(0),
            model: self.model.unwrap_or_default(),
            choices: self
                .choices
                .into_iter()
                .map(|(index, c)| c.finish(index))
                .collect(),
            usage: self.usage,
            system_fingerprint: self.system_fingerprint,
            extra: self.extra,
        }
    }
}

impl ChoiceAcc {
    fn push(&mut self, choice: &ChunkChoice) {
        let delta = &choice.delta;
        if self.role.is_none() {
            self.role.clone_from(&delta.role);
        }
        if let Some(text) = &delta.content {
            self.content.push_str(text);
        }
        for fragment in delta.tool_calls.iter().flatten() {
            self.push_tool(fragment);
        }
        for (k, v) in &delta.extra {
            merge_concat(&mut self.message_extra, k, v);
        }
        if choice.finish_reason.is_some() {
            self.finish_reason.clone_from(&choice.finish_reason);
        }
        if choice.native_finish_reason.is_some() {
            self.native_finish_reason
                .clone_from(&choice.native_finish_reason);
        }
        if let Some(lp) = &choice.logprobs {
            merge_logprobs(&mut self.logprobs, lp);
        }
        for (k, v) in &choice.extra {
            self.extra.insert(k.clone(), v.clone());
        }
    }

    fn push_tool(&mut self, fragment: &ToolCallDelta) {
        let new_id = non_empty(&fragment.id);
        let slot = self
            .tool_calls
            .iter()
            .rposition(|t| t.index == fragment.index)
            .filter(|&i| {
                // A different id at the same index is a new call.
                match (new_id, self.tool_calls.get(i).and_then(|t| t.id.as_deref())) {
                    (Some(new), Some(old)) => new == old,
                    _ => true,
                }
            });
        let call = match slot.and_then(|i| self.tool_calls.get_mut(i)) {
            Some(call) => call,
            None => {
                self.tool_calls.push(ToolAcc {
                    index: fragment.index,
                    ..ToolAcc::default()
                });
                match self.tool_calls.last_mut() {
                    Some(call) => call,
                    None => return,
                }
            }
        };
        if call.id.is_none() {
            call.id = new_id.map(String::from);
        }
        if call.kind.is_none() {
            call.kind = non_empty(&fragment.kind).map(String::from);
        }
        if let Some(f) = &fragment.function {
            if call.name.is_none() {
                call.name = non_empty(&f.name).map(String::from);
            }
            if let Some(args) = &f.arguments {
                call.arguments.push_str(args);
            }
        }
        for (k, v) in &fragment.extra {
            call.extra.insert(k.clone(), v.clone());
        }
    }

    fn finish(mut self, index: u32) -> Choice {
        // A stable insertion sort by index (calls sharing one keep their arrival order):
        // quadratic like `push_tool`'s lookup, and kilobytes less wasm than `sort_by_key`.
        for i in 1..self.tool_calls.len() {
            let mut j = i;
            while j > 0 && self.tool_calls[j - 1].index > self.tool_calls[j].index {
                self.tool_calls.swap(j - 1, j);
                j -= 1;
            }
        }
        let tool_calls: Vec<ToolCall> = self
            .tool_calls
            .into_iter()
            .map(|t| ToolCall {
                id: t.id.unwrap_or_default(),
                kind: t.kind.unwrap_or_else(|| String::from("function")),
                function: FunctionCall {
                    name: t.name.unwrap_or_default(),
                    arguments: t.arguments,
                },
                extra: t.extra,
            })
            .collect();
        let content = if !self.content.is_empty() || tool_calls.is_empty() {
            Some(Content::Text(self.content))
        } else {
            None
        };
        // A chunk's unknown fields may be a completion's known ones (`message` beside
        // `delta`, `name` in a delta): they fill the field or go, never a duplicate key.
        self.extra.remove("message");
        let mut take = |key: &str| match self.message_extra.remove(key) {
            Some(Value::String(s)) => Some(s),
            _ => None,
        };
        let (name, tool_call_id) = (take("name"), take("tool_call_id"));
        Choice {
            index,
            message: Message {
                role: self.role.unwrap_or(Role::Assistant),
                content,
                name,
                tool_calls: (!tool_calls.is_empty()).then_some(tool_calls),
                tool_call_id,
                extra: self.message_extra,
            },
            finish_reason: self.finish_reason,
            native_finish_reason: self.native_finish_reason,
            logprobs: self.logprobs,
            extra: self.extra,
        }
    }
}

fn non_empty(s: &Option<String>) -> Option<&str> {
    s.as_deref().filter(|s| !s.is_empty())
}

/// Strings concatenate, `null` never erases, anything else replaces.
fn merge_concat(into: &mut Extra, key: &str, value: &Value) {
    match (into.get_mut(key), value) {
        (Some(Value::String(old)), Value::String(new)) => old.push_str(new),
        (Some(_), Value::Null) => {}
        _ => {
            into.insert(String::from(key), value.clone());
        }
    }
}

/// Arrays under the same key append; anything else replaces; `null` never erases.
fn merge_logprobs(into: &mut Option<Value>, value: &Value) {
    match (into.as_mut(), value) {
        (_, Value::Null) => {}
        (Some(Value::Object(old)), Value::Object(new)) => {
            for (k, v) in new {
                match (old.get_mut(k), v) {
                    (Some(Value::Array(a)), Value::Array(b)) => a.extend(b.iter().cloned()),
                    (Some(_), Value::Null) => {}
                    _ => {
                        old.insert(k.clone(), v.clone());
                    }
                }
            }
        }
        _ => *into = Some(value.clone()),
    }
}

/// Bytes of text a chunk adds (upper bound for ids and names, which are kept
/// only once).
fn chunk_cost(chunk: &ChatCompletionChunk) -> usize {
    let mut n = 0usize;
    for choice in &chunk.choices {
        let d = &choice.delta;
        n = n.saturating_add(d.content.as_ref().map_or(0, String::len));
        for t in d.tool_calls.iter().flatten() {
            n = n
                .saturating_add(t.id.as_ref().map_or(0, String::len))
                .saturating_add(t.kind.as_ref().map_or(0, String::len));
            if let Some(f) = &t.function {
                n = n
                    .saturating_add(f.name.as_ref().map_or(0, String::len))
                    .saturating_add(f.arguments.as_ref().map_or(0, String::len));
            }
        }
        for v in d.extra.values() {
            if let Value::String(s) = v {
                n = n.saturating_add(s.len());
            }
        }
        if let Some(lp) = &choice.logprobs {
            n = n.saturating_add(value_size(lp, 0));
        }
    }
    n
}

/// A cheap estimate of a value's encoded size. Depth is capped so that a
/// hand-built, absurdly deep value cannot exhaust the stack.
fn value_size(v: &Value, depth: u32) -> usize {
    if depth > 64 {
        return 8;
    }
    match v {
        Value::Null | Value::Bool(_) | Value::Number(_) => 8,
        Value::String(s) => s.len().saturating_add(2),
        Value::Array(a) => a
            .iter()
            .fold(2usize, |n, x| n.saturating_add(value_size(x, depth + 1))),
        Value::Object(o) => o.iter().fold(2usize, |n, (k, x)| {
            n.saturating_add(k.len())
                .saturating_add(value_size(x, depth + 1))
        }),
    }
}

#[cfg(test)]
mod tests {
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
        ChatCompletionChunk {
            id: "c1".into(),
            object: "chat.completion.chunk".into(),
            created: 1,
            model: "m".into(),
            choices: vec![ChunkChoice {
                index,
                delta: Delta {
                    content: Some(text.into()),
                    ..Delta::default()
                },
                finish_reason: None,
                native_finish_reason: None,
                logprobs: None,
                extra: Extra::new(),
            }],
            usage: None,
            system_fingerprint: None,
            extra: Extra::new(),
        }
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
        let reasoning =
            chunk(json!({"choices":[{"index":0,"delta":{"reasoning_content":"12345"}}]}));
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
}

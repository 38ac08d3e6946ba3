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
//! Memory and time are bounded: the accumulator counts the bytes of all text it
//! joins (content, tool ids, names and arguments, string extras, and an estimate of
//! appended logprobs) and refuses a chunk that would take it past its limit,
//! [`DEFAULT_LIMIT`] (16 MiB) unless set with [`Accumulator::with_limit`], or past
//! [`MAX_CHOICES`] choices or [`MAX_TOOL_CALLS`] tool calls in a choice (their
//! lookups are linear, so a hostile stream cannot make them quadratic at scale).

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

/// Most choices in one completion (OpenAI's own cap on `n`).
pub const MAX_CHOICES: usize = 128;

/// Most tool calls in one choice.
pub const MAX_TOOL_CALLS: usize = 1024;

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

    /// Merges one chunk. Fails with [`Error::TooLarge`] when the chunk would take
    /// the held text past the limit (`what` = `accumulated completion`), the choices
    /// past [`MAX_CHOICES`] (`choices`) or a choice's tool calls past
    /// [`MAX_TOOL_CALLS`] (`tool calls`), counting each new choice and each tool-call
    /// fragment as one more; the chunk is then not applied at all, and the
    /// accumulator stays usable.
    pub fn push(&mut self, chunk: &ChatCompletionChunk) -> Result<(), Error> {
        let cost = chunk_cost(chunk);
        let total = self.bytes.saturating_add(cost);
        if total > self.limit {
            return Err(Error::TooLarge {
                what: WHAT,
                limit: u64::try_from(self.limit).unwrap_or(u64::MAX),
            });
        }
        self.check_counts(chunk)?;
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

    /// Whether `chunk` keeps the choices and every choice's tool calls within their
    /// caps (within one chunk, new ones are counted generously: a choice index or a
    /// fragment repeated in it counts each time). Which fragments would start a new
    /// call is looked up only near the cap: below it, `push_tool`'s lookup is the only one.
    fn check_counts(&self, chunk: &ChatCompletionChunk) -> Result<(), Error> {
        let mut choices = self.choices.len();
        for choice in &chunk.choices {
            let fragments = choice.delta.tool_calls.as_deref().unwrap_or_default();
            let held = self
                .choices
                .binary_search_by_key(&choice.index, |(i, _)| *i)
                .ok()
                .and_then(|at| self.choices.get(at));
            let calls = match held {
                Some((_, acc)) if acc.tool_calls.len() + fragments.len() > MAX_TOOL_CALLS => {
                    acc.tool_calls.len()
                        + fragments.iter().filter(|f| acc.slot(f).is_none()).count()
                }
                Some((_, acc)) => acc.tool_calls.len() + fragments.len(),
                None => {
                    choices += 1;
                    fragments.len()
                }
            };
            if calls > MAX_TOOL_CALLS {
                return Err(Error::TooLarge {
                    what: "tool calls",
                    limit: MAX_TOOL_CALLS as u64,
                });
            }
        }
        if choices > MAX_CHOICES {
            return Err(Error::TooLarge {
                what: "choices",
                limit: MAX_CHOICES as u64,
            });
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

    /// The call `fragment` extends, if any (else it starts a new one).
    fn slot(&self, fragment: &ToolCallDelta) -> Option<usize> {
        let new_id = non_empty(&fragment.id);
        self.tool_calls
            .iter()
            .rposition(|t| t.index == fragment.index)
            .filter(|&i| {
                // A different id at the same index is a new call.
                match (new_id, self.tool_calls.get(i).and_then(|t| t.id.as_deref())) {
                    (Some(new), Some(old)) => new == old,
                    _ => true,
                }
            })
    }

    fn push_tool(&mut self, fragment: &ToolCallDelta) {
        let new_id = non_empty(&fragment.id);
        let call = match self.slot(fragment).and_then(|i| self.tool_calls.get_mut(i)) {
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
mod tests;

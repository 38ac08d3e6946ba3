//! Streamed answers: provider bytes in, normalized `Chunk | Error | Done` out.
//!
//! A [`StreamDecoder`] is fed the response body as it arrives and yields
//! [`StreamEvent`]s. It understands OpenAI server-sent events (including error
//! objects mid-stream and a final usage chunk with no choices), airforce `/ask`'s
//! JSON lines, and, for providers that cannot stream, a "fake stream" replayed from
//! the whole non-stream answer. A stream that ends with neither `[DONE]` nor a finish
//! reason ends in [`Error::StreamInterrupted`], never in a clean `Done`.

use crate::decode::{decode_chat, embedded_error, normalize_finish};
use crate::error::{ApiError, Error};
use crate::http::{ResponseHead, ResponseKind};
use crate::limits::Limits;
use crate::provider::ProviderId;
use crate::sse::{SseEventRef, SseParser};
use crate::types::{
    ChatCompletion, ChatCompletionChunk, ChunkChoice, Delta, ErrorBody, Extra, FinishReason,
    FunctionCallDelta, Role, ToolCallDelta, Usage,
};
use alloc::boxed::Box;
use alloc::format;
use alloc::string::{String, ToString};
use alloc::vec::Vec;
use serde::Deserialize;

/// One normalized stream event.
#[derive(Debug, Clone, PartialEq)]
pub enum StreamEvent {
    /// A `chat.completion.chunk`.
    Chunk(ChatCompletionChunk),
    /// The stream failed; nothing follows.
    Error(Error),
    /// The stream ended cleanly; nothing follows.
    Done,
}

/// What a decoder needs to know about the request it decodes the answer of.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StreamContext {
    /// The model asked for, used where the provider's chunks name none.
    pub model: String,
    /// Unix seconds now, for synthesized chunks.
    pub now: u64,
    /// Whether the caller asked for a final usage chunk (`stream_options.include_usage`).
    pub include_usage: bool,
}

#[derive(Debug)]
enum Mode {
    Sse(SseParser),
    JsonLines(Vec<u8>),
    Fake(Vec<u8>),
}

/// Turns a provider's streamed body into normalized events.
#[derive(Debug)]
pub struct StreamDecoder {
    provider: ProviderId,
    mode: Mode,
    ctx: StreamContext,
    limits: Limits,
    received: usize,
    ended: bool,
    saw_finish: bool,
    /// A chunk carried `usage` (the provider honoured `include_usage`, or sends it anyway).
    saw_usage: bool,
    /// The provider's chunk id, for a usage chunk the gateway adds.
    last_id: String,
}

impl StreamDecoder {
    /// A decoder for a success response of `kind` ([`ResponseKind::Sse`],
    /// [`ResponseKind::JsonLines`] or [`ResponseKind::FakeStream`]). When a provider
    /// answers a stream request with plain JSON (it ignored `stream`), the answer is
    /// replayed as a fake stream.
    pub fn new(
        provider: ProviderId,
        kind: ResponseKind,
        head: &ResponseHead,
        ctx: StreamContext,
        limits: Limits,
    ) -> Self {
        let json_answer = head
            .content_type
            .as_deref()
            .is_some_and(|c| c.to_ascii_lowercase().starts_with("application/json"));
        let mode = match kind {
            ResponseKind::JsonLines => Mode::JsonLines(Vec::new()),
            ResponseKind::Sse if !json_answer => Mode::Sse(SseParser::new(limits.max_event_bytes)),
            _ => Mode::Fake(Vec::new()),
        };
        StreamDecoder {
            provider,
            mode,
            ctx,
            limits,
            received: 0,
            ended: false,
            saw_finish: false,
            saw_usage: false,
            last_id: String::new(),
        }
    }

    /// Whether a terminal event (`Done` or `Error`) was yielded.
    pub fn is_ended(&self) -> bool {
        self.ended
    }

    /// Pushes body bytes; returns the events they complete.
    pub fn feed(&mut self, bytes: &[u8]) -> Vec<StreamEvent> {
        let mut events = Vec::new();
        self.feed_with(bytes, &mut |e| events.push(e));
        events
    }

    /// Pushes body bytes, handing each event to `out` as soon as it is complete.
    pub fn feed_with(&mut self, bytes: &[u8], out: &mut dyn FnMut(StreamEvent)) {
        if self.ended {
            return;
        }
        // Bytes past the stream cap are never parsed, but those before it are, so the
        // events delivered before the error do not depend on how the body was split.
        let allowed = self.limits.max_stream_bytes.saturating_sub(self.received);
        self.received = self.received.saturating_add(bytes.len());
        let over = bytes.len() > allowed;
        self.feed_capped(bytes.get(..allowed).unwrap_or(bytes), out);
        if over {
            self.end_with(
                out,
                Error::TooLarge {
                    what: "stream",
                    limit: self.limits.max_stream_bytes as u64,
                },
            );
        }
    }

    /// Parses bytes already known to be within the stream cap.
    fn feed_capped(&mut self, bytes: &[u8], out: &mut dyn FnMut(StreamEvent)) {
        if self.ended || bytes.is_empty() {
            return;
        }
        match &mut self.mode {
            Mode::Sse(parser) => {
                // The parser lends each event to `on_sse`, which needs `self`: move it out.
                let mut parser = core::mem::take(parser);
                let fed = parser.feed_with(bytes, |event| self.on_sse(event, out));
                if let Err(e) = fed {
                    self.end_with(out, e);
                }
                self.mode = Mode::Sse(parser);
            }
            Mode::JsonLines(line) => {
                line.extend_from_slice(bytes);
                let mut buf = core::mem::take(line);
                let mut start = 0;
                while let Some(end) = buf.get(start..).and_then(|s| memchr::memchr(b'\n', s)) {
                    let l = buf.get(start..start + end).unwrap_or_default();
                    if l.len() > self.limits.max_event_bytes {
                        // The cap a line still arriving gets (below), whatever the split.
                        let limit = self.limits.max_event_bytes as u64;
                        let what = "stream event";
                        self.end_with(out, Error::TooLarge { what, limit });
                        break;
                    }
                    self.on_json_line(l, out);
                    start += end + 1;
                }
                buf.drain(..start);
                if buf.len() > self.limits.max_event_bytes {
                    self.end_with(
                        out,
                        Error::TooLarge {
                            what: "stream event",
                            limit: self.limits.max_event_bytes as u64,
                        },
                    );
                }
                if let Mode::JsonLines(line) = &mut self.mode {
                    *line = buf;
                }
            }
            Mode::Fake(body) => {
                if body.len().saturating_add(bytes.len()) > self.limits.max_response_bytes {
                    let limit = self.limits.max_response_bytes as u64;
                    self.end_with(
                        out,
                        Error::TooLarge {
                            what: "response body",
                            limit,
                        },
                    );
                } else {
                    body.extend_from_slice(bytes);
                }
            }
        }
    }

    /// Ends the input (the body is complete or the connection closed); returns the
    /// last events, always ending in `Done` or `Error` unless one was already yielded.
    pub fn finish(&mut self) -> Vec<StreamEvent> {
        let mut events = Vec::new();
        self.finish_with(&mut |e| events.push(e));
        events
    }

    /// [`finish`](Self::finish), handing each event to `out`.
    pub fn finish_with(&mut self, out: &mut dyn FnMut(StreamEvent)) {
        if self.ended {
            return;
        }
        match &mut self.mode {
            Mode::Sse(parser) => {
                let partial = parser.has_partial_event();
                let mut parser = core::mem::take(parser);
                parser.finish_with(|event| self.on_sse(event, out));
                self.mode = Mode::Sse(parser);
                if !self.ended {
                    if self.saw_finish && !partial {
                        self.done(out);
                    } else {
                        self.interrupted(out, "the stream ended before [DONE] or a finish reason");
                    }
                }
            }
            Mode::JsonLines(line) => {
                let rest = core::mem::take(line);
                if !rest.iter().all(u8::is_ascii_whitespace) {
                    self.on_json_line(&rest, out);
                }
                if !self.ended {
                    let chunk = self.synth_chunk(Delta::default(), Some(FinishReason::Stop));
                    out(StreamEvent::Chunk(chunk));
                    self.done(out);
                }
            }
            Mode::Fake(body) => {
                let body = core::mem::take(body);
                let head = ResponseHead::new(200, self.ctx.now);
                match decode_chat(self.provider, &head, &body) {
                    Ok(completion) => {
                        for chunk in completion_to_chunks(&completion, self.ctx.include_usage) {
                            out(StreamEvent::Chunk(chunk));
                        }
                        self.ended = true;
                        out(StreamEvent::Done);
                    }
                    Err(e) => self.end_with(out, e),
                }
            }
        }
    }

    /// Ends a complete stream. When usage was asked for and the provider sent none
    /// (some never do), a usage chunk (empty `choices`, zero counts: the provider
    /// reported none) comes first, so the caller always gets OpenAI's last chunk.
    fn done(&mut self, out: &mut dyn FnMut(StreamEvent)) {
        self.ended = true;
        if self.ctx.include_usage && !self.saw_usage {
            let mut chunk = self.synth_chunk(Delta::default(), None);
            chunk.choices.clear();
            chunk.usage = Some(Usage::default());
            if !self.last_id.is_empty() {
                chunk.id.clone_from(&self.last_id);
            }
            out(StreamEvent::Chunk(chunk));
        }
        out(StreamEvent::Done);
    }

    fn end_with(&mut self, out: &mut dyn FnMut(StreamEvent), error: Error) {
        if self.ended {
            return; // Nothing follows the first terminal event.
        }
        self.ended = true;
        out(StreamEvent::Error(error));
    }

    fn interrupted(&mut self, out: &mut dyn FnMut(StreamEvent), why: &str) {
        let message = format!("provider '{}': {why}", self.provider);
        self.end_with(out, Error::StreamInterrupted { message });
    }

    fn on_sse(&mut self, event: SseEventRef<'_>, out: &mut dyn FnMut(StreamEvent)) {
        if self.ended {
            return;
        }
        let data = event.data.trim();
        if data == "[DONE]" {
            self.done(out);
            return;
        }
        if data.is_empty() {
            return;
        }
        let is_error_event = event.event == Some("error");
        match serde_json::from_str::<ChatCompletionChunk>(data) {
            Ok(mut chunk) if !is_error_event && !is_error_object(&chunk) => {
                self.normalize(&mut chunk);
                // Usage only when asked, as OpenAI does: a usage-only chunk nobody
                // asked for is dropped.
                if !chunk.choices.is_empty() || chunk.usage.is_some() {
                    out(StreamEvent::Chunk(chunk));
                }
            }
            _ => {
                let error = self.in_stream_error(data);
                self.end_with(out, error);
            }
        }
    }

    fn normalize(&mut self, chunk: &mut ChatCompletionChunk) {
        if self.ctx.include_usage && self.last_id != chunk.id {
            self.last_id.clone_from(&chunk.id);
        }
        if chunk.usage.is_some() {
            self.saw_usage = true;
            if !self.ctx.include_usage {
                chunk.usage = None;
            }
        }
        if chunk.model.is_empty() {
            chunk.model.clone_from(&self.ctx.model);
        }
        for choice in &mut chunk.choices {
            if let Some(reason) = choice.finish_reason.take() {
                self.saw_finish = true;
                let (normalized, native) = normalize_finish(reason);
                choice.finish_reason = Some(normalized);
                if choice.native_finish_reason.is_none() {
                    choice.native_finish_reason = native;
                }
            }
        }
    }

    /// An error object (or garbage) where a chunk should be.
    fn in_stream_error(&self, data: &str) -> Error {
        let provider = Some(self.provider.to_string());
        // from_slice like decode.rs's error bodies: one compiled deserializer for
        // ErrorBody instead of one per reader (the wasm builds carry each).
        if let Ok(body) = serde_json::from_slice::<ErrorBody>(data.as_bytes()) {
            let base = ApiError {
                provider,
                ..ApiError::default()
            };
            return Error::InStream(Box::new(embedded_error(body.error, base)));
        }
        #[derive(Deserialize)]
        struct Flat {
            error: String,
        }
        if let Ok(flat) = serde_json::from_slice::<Flat>(data.as_bytes()) {
            return Error::InStream(Box::new(ApiError {
                status: 502,
                message: flat.error,
                provider,
                ..ApiError::default()
            }));
        }
        Error::BadResponse {
            message: format!(
                "provider '{}' sent a stream event that is not a chunk: {}",
                self.provider,
                crate::decode::truncate(data, 200)
            ),
            provider,
        }
    }

    /// One airforce `/ask` line: `{"message": ..., "url": ...}`, with or without `data:`.
    fn on_json_line(&mut self, line: &[u8], out: &mut dyn FnMut(StreamEvent)) {
        if self.ended {
            return;
        }
        let line = line.trim_ascii();
        let line = line.strip_prefix(b"data:").map_or(line, <[u8]>::trim_ascii);
        if line.is_empty() || line.first() == Some(&b':') {
            return;
        }
        #[derive(Deserialize)]
        struct AskLine {
            #[serde(default)]
            message: Option<String>,
            #[serde(default)]
            url: Option<String>,
        }
        match serde_json::from_slice::<AskLine>(line) {
            Ok(ask) => {
                let mut delta = Delta {
                    content: ask.message,
                    ..Delta::default()
                };
                if let Some(url) = ask.url.filter(|u| !u.is_empty()) {
                    delta
                        .extra
                        .insert(String::from("url"), serde_json::Value::String(url));
                }
                let chunk = self.synth_chunk(delta, None);
                out(StreamEvent::Chunk(chunk));
            }
            Err(_) => {
                let data = String::from_utf8_lossy(line).into_owned();
                let error = self.in_stream_error(&data);
                self.end_with(out, error);
            }
        }
    }

    fn synth_chunk(&self, delta: Delta, finish: Option<FinishReason>) -> ChatCompletionChunk {
        ChatCompletionChunk::new(
            format!("chatcmpl-{}-{}", self.provider, self.ctx.now),
            self.ctx.now,
            self.ctx.model.clone(),
            alloc::vec![ChunkChoice::new(0, delta, finish)],
        )
    }
}

/// A "chunk" that is really `{"error": ...}`: every chunk field has a default.
fn is_error_object(chunk: &ChatCompletionChunk) -> bool {
    chunk.choices.is_empty() && chunk.extra.contains_key("error")
}

/// Replays a whole completion as chunks: per choice, one chunk with the role, text
/// and tool calls, then one with the finish reason; then a usage chunk if asked.
pub fn completion_to_chunks(c: &ChatCompletion, include_usage: bool) -> Vec<ChatCompletionChunk> {
    let base = |choices: Vec<ChunkChoice>| ChatCompletionChunk {
        system_fingerprint: c.system_fingerprint.clone(),
        ..ChatCompletionChunk::new(c.id.clone(), c.created, c.model.clone(), choices)
    };
    let mut out = Vec::with_capacity(c.choices.len() * 2 + 1);
    for choice in &c.choices {
        let m = &choice.message;
        let tool_calls = m.tool_calls.as_ref().map(|calls| {
            calls
                .iter()
                .enumerate()
                .map(|(i, call)| ToolCallDelta {
                    index: u32::try_from(i).unwrap_or(u32::MAX),
                    id: Some(call.id.clone()),
                    kind: Some(call.kind.clone()),
                    function: Some(FunctionCallDelta {
                        name: Some(call.function.name.clone()),
                        arguments: Some(call.function.arguments.clone()),
                    }),
                    extra: Extra::new(),
                })
                .collect()
        });
        let delta = Delta {
            role: Some(Role::Assistant),
            content: m.content.as_ref().map(|c| c.to_text()),
            tool_calls,
            extra: m.extra.clone(),
        };
        out.push(base(alloc::vec![ChunkChoice {
            logprobs: choice.logprobs.clone(),
            ..ChunkChoice::new(choice.index, delta, None)
        }]));
        out.push(base(alloc::vec![ChunkChoice {
            native_finish_reason: choice.native_finish_reason.clone(),
            ..ChunkChoice::new(choice.index, Delta::default(), choice.finish_reason.clone())
        }]));
    }
    if include_usage {
        let mut last = base(Vec::new());
        last.usage = Some(c.usage.clone().unwrap_or_default());
        out.push(last);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const CHUNK: &str = "data: {\"id\":\"c1\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"hi\"},\"finish_reason\":\"stop\"}]}\n\n";
    const USAGE: &str = "data: {\"id\":\"c1\",\"choices\":[],\"usage\":{\"prompt_tokens\":2,\"completion_tokens\":1,\"total_tokens\":3}}\n\n";

    /// The chunks of `body` decoded with `include_usage`, as (choices, usage) pairs.
    fn decode(body: &str, include_usage: bool) -> Vec<(usize, Option<u64>)> {
        let mut head = ResponseHead::new(200, 0);
        head.header("content-type", "text/event-stream");
        let ctx = StreamContext {
            model: String::from("m"),
            now: 0,
            include_usage,
        };
        let kind = ResponseKind::Sse;
        let mut d = StreamDecoder::new(ProviderId::Siraya, kind, &head, ctx, Limits::DEFAULT);
        let mut events = d.feed(body.as_bytes());
        events.extend(d.finish());
        assert!(
            matches!(events.last(), Some(StreamEvent::Done)),
            "{events:?}"
        );
        events
            .iter()
            .filter_map(|e| match e {
                StreamEvent::Chunk(c) => {
                    assert_eq!(c.id, "c1");
                    Some((c.choices.len(), c.usage.as_ref().map(|u| u.total_tokens)))
                }
                _ => None,
            })
            .collect()
    }

    #[test]
    fn usage_only_when_asked() {
        let with = format!("{CHUNK}{USAGE}data: [DONE]\n\n");
        assert_eq!(decode(&with, true), [(1, None), (0, Some(3))]);
        assert_eq!(decode(&with, false), [(1, None)]);
        // A provider that never sends usage: asked, a zero usage chunk is added (also
        // when the stream ends on its finish reason without `[DONE]`).
        let without = format!("{CHUNK}data: [DONE]\n\n");
        assert_eq!(decode(&without, true), [(1, None), (0, Some(0))]);
        assert_eq!(decode(&without, false), [(1, None)]);
        assert_eq!(decode(CHUNK, true), [(1, None), (0, Some(0))]);
    }
}

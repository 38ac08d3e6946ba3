//! Passing a decoded provider stream on as OpenAI SSE, chunk by chunk, as it arrives.
//!
//! Nothing reaches the caller until the first event has been decoded, so a failure
//! before it is still a fallback or a plain JSON error ([`start`] returns it). After
//! that, a failure (including a time limit) becomes an SSE error event plus a final
//! chunk with `finish_reason: "error"`, never a clean close hiding a truncated answer.

use futures_util::{StreamExt, stream};
use switchboard_core::Error;
use switchboard_core::sse::{DONE, encode_chunk, encode_error};
use switchboard_core::stream::{StreamDecoder, StreamEvent};
use switchboard_core::types::{ChatCompletionChunk, ChunkChoice, Delta, Extra, FinishReason};
use worker::{ByteStream, Headers, Response};

use crate::config::Config;
use crate::errors::scrub;
use crate::upstream::{self, Clock, Guard};

/// Waits for the first event of `body` (decoded by `decoder`), then answers with an SSE
/// response that writes each later batch of events as it is decoded.
pub async fn start(
    body: ByteStream,
    decoder: StreamDecoder,
    guard: Guard,
    config: &Config,
    model: String,
    created: u64,
) -> Result<Response, Error> {
    let mut pump = Pump {
        upstream: body,
        decoder,
        ended: false,
        secrets: config.secrets().map(str::to_owned).collect(),
        model,
        created,
        last_id: String::new(),
        clock: Clock::start(config.timeouts),
        guard,
    };
    // Wait for the first event: a failure before it is still a fallback or a JSON error.
    let first = pump.next_events().await.unwrap_or_default();
    if let Some(StreamEvent::Error(e)) = first.first() {
        let mut e = e.clone();
        scrub(&mut e, Some(config));
        return Err(e);
    }
    let first = pump.render(first);
    let rest = stream::unfold(pump, |mut pump| async move {
        let events = pump.next_events().await?;
        let bytes = pump.render(events);
        Some((Ok::<Vec<u8>, worker::Error>(bytes), pump))
    });
    let body = stream::once(async move { Ok::<Vec<u8>, worker::Error>(first) }).chain(rest);
    sse_response(body).map_err(upstream::runtime_error)
}

/// A streamed `text/event-stream` response over `body`.
fn sse_response(
    body: impl futures_util::TryStream<Ok = Vec<u8>, Error = worker::Error> + 'static,
) -> worker::Result<Response> {
    let headers = Headers::new();
    headers.set("content-type", "text/event-stream; charset=utf-8")?;
    // no-transform: nothing between us and the caller may compress or buffer the events.
    headers.set("cache-control", "no-cache, no-transform")?;
    headers.set("x-accel-buffering", "no")?;
    Ok(Response::from_stream(body)?.with_headers(headers))
}

/// The upstream body, its decoder, and what the rendering of errors needs.
struct Pump {
    upstream: ByteStream,
    decoder: StreamDecoder,
    ended: bool,
    secrets: Vec<String>,
    model: String,
    created: u64,
    last_id: String,
    /// Idle and total time limits.
    clock: Clock,
    /// Aborts the upstream fetch if the caller goes away before the stream ends.
    guard: Guard,
}

impl Drop for Pump {
    /// A stream dropped before its end means the caller went away: the guard aborts
    /// the upstream fetch; say so in the log.
    fn drop(&mut self) {
        if !self.ended {
            worker::console_log!("{}", serde_json::json!({"event": "upstream_cancelled"}));
        }
    }
}

impl Pump {
    /// The next non-empty batch of events, or `None` once a terminal event was given.
    async fn next_events(&mut self) -> Option<Vec<StreamEvent>> {
        while !self.ended {
            let events = match self.clock.next(&mut self.upstream).await {
                Ok(Some(bytes)) => self.decoder.feed(&bytes),
                Ok(None) => {
                    self.ended = true;
                    self.decoder.finish()
                }
                Err(e) => {
                    self.ended = true;
                    vec![StreamEvent::Error(e)]
                }
            };
            if events.iter().any(|e| !matches!(e, StreamEvent::Chunk(_))) {
                self.ended = true;
            }
            if !events.is_empty() {
                if self.ended {
                    self.guard.finished();
                }
                return Some(events);
            }
        }
        None
    }

    /// Events as SSE bytes; an error becomes an error event plus a final chunk with
    /// `finish_reason: "error"`.
    fn render(&mut self, events: Vec<StreamEvent>) -> Vec<u8> {
        let mut out = Vec::new();
        for event in events {
            match event {
                StreamEvent::Chunk(chunk) => {
                    if chunk.id != self.last_id {
                        self.last_id.clone_from(&chunk.id);
                    }
                    out.extend_from_slice(&encode_chunk(&chunk));
                }
                StreamEvent::Done => out.extend_from_slice(DONE),
                StreamEvent::Error(mut e) => {
                    for secret in &self.secrets {
                        e.redact(secret);
                    }
                    out.extend_from_slice(&encode_error(&e));
                    out.extend_from_slice(&encode_chunk(&self.error_chunk()));
                }
            }
        }
        out
    }

    /// The chunk that ends a failed stream.
    fn error_chunk(&self) -> ChatCompletionChunk {
        ChatCompletionChunk {
            id: self.last_id.clone(),
            object: "chat.completion.chunk".to_owned(),
            created: self.created,
            model: self.model.clone(),
            choices: vec![ChunkChoice {
                index: 0,
                delta: Delta::default(),
                finish_reason: Some(FinishReason::Error),
                native_finish_reason: None,
                logprobs: None,
                extra: Extra::new(),
            }],
            usage: None,
            system_fingerprint: None,
            extra: Extra::new(),
        }
    }
}

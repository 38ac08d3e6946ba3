//! Passing a decoded provider stream on as OpenAI SSE, chunk by chunk, as it arrives.
//!
//! Nothing reaches the caller until the first event has been decoded, so a failure
//! before it is still a fallback or a plain JSON error ([`start`] returns it). After
//! that, a failure (including a time limit) becomes an SSE error event plus a final
//! chunk with `finish_reason: "error"`, never a clean close hiding a truncated answer.
//!
//! The events are written by a task of their own to a workerd `IdentityTransformStream`
//! whose readable side is the response body: the runtime pipes it to the caller, with
//! fewer JS promises per chunk than a pulled JS `ReadableStream`. When a write fails the
//! caller has gone away: the task ends, and dropping the [`Guard`] aborts the upstream
//! fetch (workerd also cancels it itself when the request is cancelled).

use switchboard_core::Error;
use switchboard_core::sse::{DONE, encode_chunk, encode_error};
use switchboard_core::stream::{StreamDecoder, StreamEvent};
use switchboard_core::types::{ChatCompletionChunk, ChunkChoice, Delta, FinishReason};
use worker::js_sys::{self, Array, Function, Reflect, Uint8Array};
use worker::wasm_bindgen::JsCast;
use worker::wasm_bindgen_futures::{self, JsFuture};
use worker::web_sys::{ReadableStream, WritableStream, WritableStreamDefaultWriter};
use worker::{Headers, Response, ResponseBuilder};

use crate::body::Pieces;
use crate::clock::Clock;
use crate::config::Config;
use crate::errors::scrub;
use crate::upstream::{self, Guard};

/// Waits for the first event of `body` (decoded by `decoder`), then answers with an SSE
/// response that writes each later batch of events as it is decoded.
pub async fn start(
    body: Pieces,
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
        render: Render {
            secrets: config.secrets().map(str::to_owned).collect(),
            model,
            created,
            last_id: String::new(),
        },
        clock: Clock::start(config.timeouts),
        guard,
    };
    // Wait for the first event: a failure before it is still a fallback or a JSON error.
    let first = match pump.next_bytes(true).await {
        Ok(bytes) => bytes.unwrap_or_default(),
        Err(mut e) => {
            scrub(&mut e, Some(config));
            return Err(e);
        }
    };
    let (readable, writer) = identity_stream().map_err(upstream::runtime_error)?;
    wasm_bindgen_futures::spawn_local(pump.run(first, writer));
    Ok(sse_response(readable))
}

/// A workerd `IdentityTransformStream`: its readable side (the response body, piped to
/// the caller by the runtime itself) and a writer for its writable side. Cheaper per
/// chunk than a JS `ReadableStream` pulled through promises.
fn identity_stream() -> worker::Result<(ReadableStream, WritableStreamDefaultWriter)> {
    let ctor: Function = Reflect::get(&js_sys::global(), &"IdentityTransformStream".into())?
        .dyn_into()
        .map_err(|_| worker::Error::RustError("no IdentityTransformStream".to_owned()))?;
    let pair = Reflect::construct(&ctor, &Array::new())?;
    let readable: ReadableStream = Reflect::get(&pair, &"readable".into())?.unchecked_into();
    let writable: WritableStream = Reflect::get(&pair, &"writable".into())?.unchecked_into();
    Ok((readable, writable.get_writer()?))
}

/// A streamed `text/event-stream` response over `body`.
fn sse_response(body: ReadableStream) -> Response {
    let headers = Headers::new();
    // no-transform: nothing between us and the caller may compress or buffer the events.
    for (name, value) in [
        ("content-type", "text/event-stream; charset=utf-8"),
        ("cache-control", "no-cache, no-transform"),
        ("x-accel-buffering", "no"),
    ] {
        let _ = headers.set(name, value);
    }
    ResponseBuilder::new().with_headers(headers).stream(body)
}

/// The upstream body, its decoder, and what the rendering of events needs.
struct Pump {
    upstream: Pieces,
    decoder: StreamDecoder,
    ended: bool,
    render: Render,
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
    /// Writes `first`, then each later batch as it is decoded, to `writer`. A write that
    /// fails means the caller went away: the pump is dropped there, and its guard
    /// aborts the upstream fetch.
    ///
    /// The next upstream read starts as soon as a batch is handed to the writer, not
    /// once the caller's side has taken it: a write resolves only when the runtime has
    /// read it off the stream, and waiting for that first put a round trip through
    /// the event loop between every two upstream reads, so under load an event that
    /// had already arrived waited for the previous one's acknowledgement. At most one
    /// write is in flight: the next batch waits for it, so a slow caller still slows
    /// the reads (one batch buffered, never more).
    async fn run(mut self, first: Vec<u8>, writer: WritableStreamDefaultWriter) {
        let mut in_flight: Option<JsFuture> = None;
        let mut next = Some(first);
        while let Some(bytes) = next {
            if let Some(write) = in_flight.take()
                && write.await.is_err()
            {
                return;
            }
            let chunk = Uint8Array::from(bytes.as_slice());
            in_flight = Some(JsFuture::from(writer.write_with_chunk(&chunk)));
            next = self.next_bytes(false).await.ok().flatten();
        }
        if let Some(write) = in_flight
            && write.await.is_err()
        {
            return;
        }
        let _ = JsFuture::from(writer.close()).await;
    }

    /// The SSE bytes of the next non-empty batch of events (each event rendered as the
    /// decoder hands it over, no list in between), or `None` once the stream ended.
    /// With `first`, an error before any event is returned as the error instead.
    async fn next_bytes(&mut self, first: bool) -> Result<Option<Vec<u8>>, Error> {
        let mut out = Vec::new();
        let mut early = None;
        while !self.ended && out.is_empty() && early.is_none() {
            let piece = self.clock.next(&mut self.upstream).await;
            let Pump {
                decoder,
                ended,
                render,
                ..
            } = self;
            let mut on_event = |event: StreamEvent| {
                if !matches!(event, StreamEvent::Chunk(_)) {
                    *ended = true;
                }
                match event {
                    StreamEvent::Error(e) if first && out.is_empty() => early = Some(e),
                    event => render.event(&mut out, event),
                }
            };
            match piece {
                Ok(Some(bytes)) => decoder.feed_with(&bytes, &mut on_event),
                Ok(None) => {
                    decoder.finish_with(&mut on_event);
                    self.ended = true;
                }
                Err(e) => on_event(StreamEvent::Error(e)),
            }
        }
        if self.ended {
            self.guard.finished();
        }
        match early {
            Some(e) => Err(e),
            None if out.is_empty() => Ok(None),
            None => Ok(Some(out)),
        }
    }
}

/// What rendering events as SSE needs: the secrets to redact from errors and what the
/// final chunk of a failed stream names.
struct Render {
    secrets: Vec<String>,
    model: String,
    created: u64,
    last_id: String,
}

impl Render {
    /// Appends `event` as SSE bytes; an error becomes an error event plus a final
    /// chunk with `finish_reason: "error"`.
    fn event(&mut self, out: &mut Vec<u8>, event: StreamEvent) {
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

    /// The chunk that ends a failed stream.
    fn error_chunk(&self) -> ChatCompletionChunk {
        let finish = ChunkChoice::new(0, Delta::default(), Some(FinishReason::Error));
        ChatCompletionChunk::new(
            self.last_id.clone(),
            self.created,
            self.model.clone(),
            vec![finish],
        )
    }
}

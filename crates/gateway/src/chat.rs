//! `POST /v1/chat/completions`: route, encode for the provider, send with the
//! provider key, and decode the answer, whole or as a stream passed on as it arrives.
//!
//! Fallbacks: an alias may list several targets; a retryable failure (connect error,
//! 429, 5xx, a stream failing before its first event) moves on to the next target.
//! Nothing reaches the caller until the first stream event has been decoded, so
//! every such failure can still become a fallback or a plain JSON error. After that,
//! a failure becomes an SSE error event plus a final chunk with `finish_reason:
//! "error"`, never a clean close hiding a truncated answer.

use futures_util::{StreamExt, stream};
use switchboard_core::encode::encode_chat;
use switchboard_core::http::HttpRequest;
use switchboard_core::route::Target;
use switchboard_core::sse::{DONE, encode_chunk, encode_error};
use switchboard_core::stream::{StreamContext, StreamDecoder, StreamEvent};
use switchboard_core::types::{
    ChatCompletionChunk, ChatRequest, ChunkChoice, Delta, Extra, FinishReason,
};
use switchboard_core::{Error, decode::decode_chat};
use worker::{ByteStream, Headers, Request, Response};

use crate::config::Config;
use crate::errors::{self, scrub};
use crate::upstream;

/// Handles one chat request.
pub async fn handle(mut req: Request, config: &Config, now_ms: u64) -> Result<Response, Error> {
    let body = upstream::read_request_body(&mut req, config.limits.max_request_bytes).await?;
    let chat: ChatRequest = serde_json::from_slice(&body).map_err(|e| {
        Error::invalid(
            format!("the request body is not a valid chat request: {e}"),
            None,
        )
    })?;
    let targets = config.routes.resolve(&chat.model)?;
    let mut last = None;
    for target in &targets {
        match attempt(target, &chat, config, now_ms).await {
            Ok(response) => return Ok(response),
            Err(e) if e.is_retryable() => last = Some(e),
            Err(e) => return Err(e),
        }
    }
    Err(last.unwrap_or_else(|| Error::invalid("no target to route to", Some("model"))))
}

/// One try against one target.
async fn attempt(
    target: &Target,
    chat: &ChatRequest,
    config: &Config,
    now_ms: u64,
) -> Result<Response, Error> {
    let upstream = config.upstream(target.provider)?;
    let mut http: HttpRequest = encode_chat(target, chat, &config.limits)?;
    http.authorize(&upstream.key);
    let mut response = upstream::send(target.provider, &http, &upstream.base_url).await?;
    let head = upstream::head(&response, now_ms / 1000);
    if !chat.is_stream() || !head.is_success() {
        let body = upstream::read_body(&mut response, config.limits.max_response_bytes).await?;
        let completion = decode_chat(target.provider, &head, &body).map_err(|mut e| {
            scrub(&mut e, Some(config));
            e
        })?;
        return errors::json(200, &completion).map_err(upstream::runtime_error);
    }
    let ctx = StreamContext {
        model: chat.model.clone(),
        now: now_ms / 1000,
        include_usage: chat.wants_stream_usage(),
    };
    let decoder = StreamDecoder::new(target.provider, http.response, &head, ctx, config.limits);
    let body = response.stream().map_err(upstream::runtime_error)?;
    let mut pump = Pump {
        upstream: body,
        decoder,
        ended: false,
        secrets: config.secrets().map(str::to_owned).collect(),
        model: chat.model.clone(),
        created: now_ms / 1000,
        last_id: String::new(),
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
}

impl Pump {
    /// The next non-empty batch of events, or `None` once a terminal event was given.
    async fn next_events(&mut self) -> Option<Vec<StreamEvent>> {
        while !self.ended {
            let events = match self.upstream.next().await {
                Some(Ok(bytes)) => self.decoder.feed(&bytes),
                Some(Err(e)) => {
                    self.ended = true;
                    vec![StreamEvent::Error(Error::StreamInterrupted {
                        message: format!("the provider's stream failed: {e}"),
                    })]
                }
                None => {
                    self.ended = true;
                    self.decoder.finish()
                }
            };
            if events.iter().any(|e| !matches!(e, StreamEvent::Chunk(_))) {
                self.ended = true;
            }
            if !events.is_empty() {
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

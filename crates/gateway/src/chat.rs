//! `POST /v1/chat/completions`: route, encode for the provider, send with the
//! provider key, and decode the answer, whole or as a stream passed on as it arrives.
//!
//! Retries and fallbacks: a connect error, 429 or 5xx is first retried on the same
//! target ([`upstream::send_retrying`]); then any retryable failure (including a stream
//! failing before its first event) moves on to the alias's next target. Streams are
//! passed on by [`sse::start`].

use switchboard_core::encode::encode_chat;
use switchboard_core::http::HttpRequest;
use switchboard_core::route::Target;
use switchboard_core::stream::{StreamContext, StreamDecoder};
use switchboard_core::types::ChatRequest;
use switchboard_core::{Error, decode::decode_chat};
use worker::{Request, Response};

use crate::body::Pieces;
use crate::config::Config;
use crate::errors::{self, scrub};
use crate::{sse, upstream};

/// Handles one chat request.
pub async fn handle(mut req: Request, config: &Config, now_ms: u64) -> Result<Response, Error> {
    let body = crate::media::read_capped(&mut req, config.limits.max_request_bytes).await?;
    let chat: ChatRequest = serde_json::from_slice(&body).map_err(|e| {
        Error::invalid(
            format!("the request body is not a valid chat request: {e}"),
            None,
        )
    })?;
    config.check_chat(&chat)?;
    let targets = config.routes.resolve(&chat.model)?;
    upstream::first_answer(&targets, async |target| {
        attempt(target, &chat, config, now_ms).await
    })
    .await
}

/// One try against one target (with retries before the first byte).
async fn attempt(
    target: &Target,
    chat: &ChatRequest,
    config: &Config,
    now_ms: u64,
) -> Result<Response, Error> {
    let upstream = config.upstream(target.provider)?;
    let mut http: HttpRequest = encode_chat(target, chat, &config.limits)?;
    http.authorize(&upstream.key);
    let (mut response, mut guard) =
        upstream::send_retrying(target.provider, &http, &upstream.base_url, config, now_ms).await?;
    let head = upstream::head(&response, now_ms / 1000);
    if !chat.is_stream() || !head.is_success() {
        let body = upstream::read_body(&mut response, &mut guard, config).await?;
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
    let body = Pieces::of_response(&response)
        .map_err(upstream::runtime_text)?
        .ok_or_else(|| upstream::runtime_text("the stream has no body".to_owned()))?;
    sse::start(
        body,
        decoder,
        guard,
        config,
        chat.model.clone(),
        now_ms / 1000,
    )
    .await
}

//! `POST /v1/images/generations` (SECRY's JSON images or airforce imagine's PNG bytes,
//! both answered as OpenAI `b64_json`) and `POST /v1/audio/speech` (airforce
//! `/get-audio`, streamed through as `audio/mpeg`).

use futures_util::StreamExt;
use serde::de::DeserializeOwned;
use switchboard_core::Error;
use switchboard_core::endpoints::images::{decode_image, encode_image};
use switchboard_core::endpoints::speech::encode_speech;
use switchboard_core::route::Target;
use switchboard_core::types::{ImageRequest, SpeechRequest};
use worker::{Request, Response};

use crate::body::Pieces;
use crate::config::Config;
use crate::errors::{self, scrub};
use crate::{relay, upstream};

/// Reads a caller's body piece by piece, failing with 413 as soon as it passes `limit`
/// bytes (before reading anything when `content-length` already says so), so a body
/// without a length is never held past the cap.
pub async fn read_capped(req: &mut Request, limit: usize) -> Result<Vec<u8>, Error> {
    let too_large = || Error::TooLarge {
        what: "request body",
        limit: limit as u64,
    };
    if upstream::declared_length(req).is_some_and(|n| n > limit as u64) {
        return Err(too_large());
    }
    let unreadable =
        |e: String| Error::invalid(format!("the request body could not be read: {e}"), None);
    let mut body = Vec::new();
    let Some(mut stream) = Pieces::of_request(req).map_err(unreadable)? else {
        return Ok(body); // no body at all
    };
    while let Some(piece) = stream.next().await {
        let piece = piece.map_err(unreadable)?;
        if body.len().saturating_add(piece.len()) > limit {
            return Err(too_large());
        }
        body.extend_from_slice(&piece);
    }
    Ok(body)
}

/// Parses a JSON request body of at most the chat body cap.
pub async fn parse_body<T: DeserializeOwned>(
    req: &mut Request,
    config: &Config,
    what: &str,
) -> Result<T, Error> {
    let body = read_capped(req, config.limits.max_request_bytes).await?;
    serde_json::from_slice(&body)
        .map_err(|e| Error::invalid(format!("the request body is not a valid {what}: {e}"), None))
}

/// Handles `POST /v1/images/generations`: model `secry/...` or `airforce/...` (or an
/// alias; later targets are fallbacks).
pub async fn images(mut req: Request, config: &Config, now_ms: u64) -> Result<Response, Error> {
    let image: ImageRequest = parse_body(&mut req, config, "image request").await?;
    let targets = config.routes.resolve(&image.model)?;
    upstream::first_answer(&targets, async |target| {
        image_attempt(target, &image, config, now_ms).await
    })
    .await
}

async fn image_attempt(
    target: &Target,
    image: &ImageRequest,
    config: &Config,
    now_ms: u64,
) -> Result<Response, Error> {
    let provider = target.provider;
    let upstream = config.upstream(provider)?;
    let mut http = encode_image(target, image)?;
    http.authorize(&upstream.key);
    let (mut response, mut guard) =
        upstream::send_retrying(provider, &http, &upstream.base_url, config, now_ms).await?;
    let head = upstream::head(&response, now_ms / 1000);
    let body = upstream::read_body(&mut response, &mut guard, config).await?;
    let answer = decode_image(provider, &head, &body).map_err(|mut e| {
        scrub(&mut e, Some(config));
        e
    })?;
    errors::json(200, &answer).map_err(upstream::runtime_error)
}

/// Handles `POST /v1/audio/speech`: any `airforce/...` model; OpenAI voices map to
/// `alex` or `sophia` (see `switchboard_core::endpoints::speech::map_voice`).
pub async fn speech(mut req: Request, config: &Config, now_ms: u64) -> Result<Response, Error> {
    let speech: SpeechRequest = parse_body(&mut req, config, "speech request").await?;
    let target = Target::parse(&speech.model)?;
    let upstream = config.upstream(target.provider)?;
    let mut http = encode_speech(target.provider, &speech)?;
    http.authorize(&upstream.key);
    let sent =
        upstream::send_retrying(target.provider, &http, &upstream.base_url, config, now_ms).await?;
    relay::stream_through(
        target.provider,
        sent,
        config,
        now_ms,
        "audio/",
        "audio/mpeg",
    )
    .await
}

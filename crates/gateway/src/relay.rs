//! Relaying answers that need no dialect work: JSON bodies (checked, keys scrubbed)
//! and binary bodies streamed through untouched (audio, file contents).

use serde_json::Value;
use switchboard_core::decode::decode_error;
use switchboard_core::{Error, ProviderId};
use worker::{Headers, Response};

use crate::config::Config;
use crate::errors::scrub;
use crate::upstream::{self, Guard};

/// Reads a provider's answer whole: its body on success, else its error (scrubbed).
pub async fn read(
    provider: ProviderId,
    mut response: Response,
    mut guard: Guard,
    config: &Config,
    now_ms: u64,
) -> Result<Vec<u8>, Error> {
    let head = upstream::head(&response, now_ms / 1000);
    let body = upstream::read_body(&mut response, &mut guard, config).await?;
    if head.is_success() {
        Ok(body)
    } else {
        let mut e = decode_error(provider, &head, &body);
        scrub(&mut e, Some(config));
        Err(e)
    }
}

/// A provider's JSON answer as it is, after `edit`, with every provider key scrubbed;
/// a success that is not JSON is a 502.
pub async fn json(
    provider: ProviderId,
    sent: (Response, Guard),
    config: &Config,
    now_ms: u64,
    edit: impl FnOnce(&mut Value),
) -> Result<Response, Error> {
    let body = read(provider, sent.0, sent.1, config, now_ms).await?;
    let mut value: Value = serde_json::from_slice(&body).map_err(|_| Error::BadResponse {
        message: format!("provider '{provider}' returned an answer that is not JSON"),
        provider: Some(provider.to_string()),
    })?;
    edit(&mut value);
    let mut text = value.to_string();
    for secret in config.secrets() {
        if text.contains(secret) {
            text = text.replace(secret, "[redacted]");
        }
    }
    bytes(text.into_bytes(), "application/json")
}

/// `body` as the answer, with `content_type`.
pub fn bytes(body: Vec<u8>, content_type: &str) -> Result<Response, Error> {
    let headers = Headers::new();
    headers
        .set("content-type", content_type)
        .map_err(upstream::runtime_error)?;
    Ok(Response::from_bytes(body)
        .map_err(upstream::runtime_error)?
        .with_headers(headers))
}

/// Streams a successful binary answer through as it arrives (the runtime pipes it; no
/// copy in the Worker), with `content_type`. An error status is read and returned as
/// an error instead; a success whose type does not start with `expect` is a 502.
pub async fn stream_through(
    provider: ProviderId,
    sent: (Response, Guard),
    config: &Config,
    now_ms: u64,
    expect: &str,
    content_type: &str,
) -> Result<Response, Error> {
    let (response, mut guard) = sent;
    let head = upstream::head(&response, now_ms / 1000);
    if !head.is_success() {
        read(provider, response, guard, config, now_ms).await?;
        return Err(Error::BadResponse {
            message: format!("provider '{provider}' failed"),
            provider: Some(provider.to_string()),
        });
    }
    if !head
        .content_type
        .as_deref()
        .is_some_and(|c| c.starts_with(expect))
    {
        return Err(Error::BadResponse {
            message: format!("provider '{provider}' returned something other than {expect}"),
            provider: Some(provider.to_string()),
        });
    }
    // The runtime now owns the pipe and cancels it if the caller goes away.
    guard.finished();
    let headers = Headers::new();
    headers
        .set("content-type", content_type)
        .map_err(upstream::runtime_error)?;
    if let Some(len) = response.headers().get("content-length").ok().flatten() {
        headers
            .set("content-length", &len)
            .map_err(upstream::runtime_error)?;
    }
    let (_, body) = response.into_parts();
    Ok(Response::from_body(body)
        .map_err(upstream::runtime_error)?
        .with_headers(headers))
}

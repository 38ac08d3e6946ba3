//! Talking to providers: building the `fetch` from the core's [`HttpRequest`], reading
//! response heads, and reading bodies under a size cap.

use futures_util::StreamExt;
use switchboard_core::http::{HttpRequest, Method as CoreMethod, ResponseHead};
use switchboard_core::{Error, ProviderId};
use worker::{Fetch, Headers, Method, Request, RequestInit, Response};

/// Sends `http` to `base_url` (from configuration, never from the caller).
pub async fn send(
    provider: ProviderId,
    http: &HttpRequest,
    base_url: &str,
) -> Result<Response, Error> {
    let unreachable = |e: worker::Error| Error::Connection {
        message: format!("provider '{provider}' could not be reached: {e}"),
    };
    let headers = Headers::new();
    for (name, value) in &http.headers {
        headers.set(name, value).map_err(unreachable)?;
    }
    let mut init = RequestInit::new();
    init.with_method(match http.method {
        CoreMethod::Get => Method::Get,
        CoreMethod::Post => Method::Post,
        CoreMethod::Delete => Method::Delete,
    })
    .with_headers(headers);
    if let Some(body) = &http.body {
        init.with_body(Some(
            worker::js_sys::Uint8Array::from(body.as_slice()).into(),
        ));
    }
    let request = Request::new_with_init(&http.url(base_url), &init).map_err(unreachable)?;
    Fetch::Request(request).send().await.map_err(unreachable)
}

/// What the core needs of a response head.
pub fn head(response: &Response, now_secs: u64) -> ResponseHead {
    let mut head = ResponseHead::new(response.status_code(), now_secs);
    for (name, value) in response.headers().entries() {
        head.header(&name, &value);
    }
    head
}

/// Reads a provider's body, failing past `limit` bytes.
pub async fn read_body(response: &mut Response, limit: usize) -> Result<Vec<u8>, Error> {
    let mut stream = response.stream().map_err(runtime_error)?;
    let mut body = Vec::new();
    while let Some(piece) = stream.next().await {
        let piece = piece.map_err(|e| Error::Connection {
            message: format!("the provider's answer broke off: {e}"),
        })?;
        if body.len().saturating_add(piece.len()) > limit {
            return Err(Error::TooLarge {
                what: "provider response body",
                limit: limit as u64,
            });
        }
        body.extend_from_slice(&piece);
    }
    Ok(body)
}

/// Reads a caller's body, failing with 413 past `limit` bytes (early when
/// `content-length` already says so).
pub async fn read_request_body(req: &mut Request, limit: usize) -> Result<Vec<u8>, Error> {
    let too_large = || Error::TooLarge {
        what: "request body",
        limit: limit as u64,
    };
    let declared = req
        .headers()
        .get("content-length")
        .ok()
        .flatten()
        .and_then(|v| v.trim().parse::<u64>().ok());
    if declared.is_some_and(|n| n > limit as u64) {
        return Err(too_large());
    }
    let body = req
        .bytes()
        .await
        .map_err(|e| Error::invalid(format!("the request body could not be read: {e}"), None))?;
    if body.len() > limit {
        return Err(too_large());
    }
    Ok(body)
}

/// A runtime failure inside the gateway, as a 502 naming no secret.
pub fn runtime_error(e: worker::Error) -> Error {
    Error::Connection {
        message: format!("gateway runtime error: {e}"),
    }
}

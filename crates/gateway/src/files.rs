//! `/v1/files` → SECRY's files API: upload (multipart, streamed through under
//! `MAX_FILE_BYTES`), list, retrieve, content (streamed through) and delete.
//!
//! An upload's body is never buffered: the caller's stream becomes the upstream
//! body. The cap is enforced on the declared `content-length` (required; HTTP framing
//! keeps the body to it), so nothing over the cap is ever sent on. Uploads are not
//! retried (a stream cannot be replayed); the other operations are.

use switchboard_core::endpoints::files::{FileOp, encode_file_op};
use switchboard_core::{ApiError, Error, ProviderId};
use worker::{Method, Request, Response};

use crate::config::Config;
use crate::{relay, upstream};

/// The provider behind `/v1/files`.
const PROVIDER: ProviderId = ProviderId::Secry;

/// Handles `/v1/files{rest}`.
pub async fn handle(
    req: Request,
    config: &Config,
    rest: &str,
    now_ms: u64,
) -> Result<Response, Error> {
    let segments: Vec<&str> = rest.split('/').filter(|s| !s.is_empty()).collect();
    let op = match (req.method(), segments.as_slice()) {
        (Method::Post, []) => return upload(req, config, now_ms).await,
        (Method::Get, []) => FileOp::List,
        (Method::Get, [id]) => FileOp::Retrieve(id),
        (Method::Delete, [id]) => FileOp::Delete(id),
        (Method::Get, [id, "content"]) => FileOp::Content(id),
        (method, _) => {
            return Err(Error::NotFound {
                message: format!("no route for {method} /v1/files{rest}"),
                code: "unknown_url",
            });
        }
    };
    let upstream = config.upstream(PROVIDER)?;
    let mut http = encode_file_op(PROVIDER, op)?;
    http.authorize(&upstream.key);
    let sent = upstream::send_retrying(PROVIDER, &http, &upstream.base_url, config, now_ms).await?;
    if let FileOp::Content(_) = op {
        return relay::stream_through(
            PROVIDER,
            sent,
            config,
            now_ms,
            "",
            "application/octet-stream",
        )
        .await;
    }
    let list = matches!(op, FileOp::List);
    relay::json(PROVIDER, sent, config, now_ms, |v| {
        // One page holds every file (no cursor is passed on); say so, or the OpenAI
        // SDKs' auto-pagination asks again `after` the last id, forever.
        if list && let Some(map) = v.as_object_mut() {
            map.entry("has_more").or_insert(false.into());
        }
    })
    .await
}

/// `POST /v1/files`: the caller's multipart body streamed through to SECRY.
async fn upload(req: Request, config: &Config, now_ms: u64) -> Result<Response, Error> {
    let content_type = req
        .headers()
        .get("content-type")
        .ok()
        .flatten()
        .unwrap_or_default();
    if !content_type
        .to_ascii_lowercase()
        .starts_with("multipart/form-data")
        || !content_type.contains("boundary=")
    {
        return Err(Error::invalid(
            "a file upload must be multipart/form-data with a boundary",
            None,
        ));
    }
    let limit = config.limits.max_file_bytes as u64;
    let Some(length) = upstream::declared_length(&req) else {
        return Err(Error::Api(Box::new(ApiError {
            status: 411,
            message: "a file upload needs a content-length".to_owned(),
            kind: Some("invalid_request_error".to_owned()),
            code: Some("length_required".to_owned()),
            ..ApiError::default()
        })));
    };
    if length > limit {
        return Err(Error::TooLarge {
            what: "file upload",
            limit,
        });
    }
    let upstream = config.upstream(PROVIDER)?;
    let mut http = encode_file_op(PROVIDER, FileOp::Upload)?;
    http.authorize(&upstream.key);
    http.headers.push(("content-type", content_type));
    let body = req.inner().body().map(Into::into);
    let sent = upstream::send(PROVIDER, &http, &upstream.base_url, body, config.timeouts).await?;
    relay::json(PROVIDER, sent, config, now_ms, |_| {}).await
}

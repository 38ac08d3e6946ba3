//! airforce's endpoints with no OpenAI equivalent, under an allowlist:
//!
//! | route | upstream |
//! |---|---|
//! | `POST /v1/x/airforce/ask` `{"prompt"}` | `GET /v1/ask`, streamed as `chat.completion.chunk` SSE |
//! | `POST /v1/x/airforce/vision` `{"url", "model"?}` | `GET /v1/images/vision`, `{"object":"airforce.vision","text"}` |
//! | `POST /v1/x/airforce/suno` (suno fields) | `POST /v1/suno`, JSON as is |
//! | `GET /v1/x/airforce/suno/<id>` | `GET /v1/suno/<id>`, JSON as is |
//! | `GET /v1/x/airforce/check` | `GET /check?key=<the gateway's key>`, admin only, `key` removed |
//!
//! `check` needs `Authorization: Bearer <ADMIN_TOKEN>` (checked in `lib.rs`); without an
//! `ADMIN_TOKEN` secret it does not exist.

use serde::Deserialize;
use serde_json::json;
use switchboard_core::endpoints::airforce::{
    SunoRequest, encode_ask, encode_check, encode_suno_create, encode_suno_poll, encode_vision,
};
use switchboard_core::http::HttpRequest;
use switchboard_core::stream::{StreamContext, StreamDecoder};
use switchboard_core::{Error, ProviderId};
use worker::{Method, Request, Response};

use crate::config::Config;
use crate::media::parse_body;
use crate::{relay, sse, upstream};

const AIRFORCE: ProviderId = ProviderId::Airforce;

/// The path of the admin-only route.
pub const CHECK_PATH: &str = "/v1/x/airforce/check";

#[derive(Deserialize)]
struct Ask {
    prompt: String,
}

#[derive(Deserialize)]
struct Vision {
    url: String,
    #[serde(default)]
    model: Option<String>,
}

/// Handles `/v1/x/airforce/{rest}`.
pub async fn handle(
    mut req: Request,
    config: &Config,
    rest: &str,
    now_ms: u64,
) -> Result<Response, Error> {
    let segments: Vec<&str> = rest.split('/').filter(|s| !s.is_empty()).collect();
    let up = config.upstream(AIRFORCE)?;
    let mut http: HttpRequest = match (req.method(), segments.as_slice()) {
        (Method::Post, ["ask"]) => {
            let ask: Ask = parse_body(&mut req, config, "ask request").await?;
            encode_ask(&ask.prompt)?
        }
        (Method::Post, ["vision"]) => {
            let v: Vision = parse_body(&mut req, config, "vision request").await?;
            encode_vision(&v.url, v.model.as_deref())?
        }
        (Method::Post, ["suno"]) => {
            let s: SunoRequest = parse_body(&mut req, config, "suno request").await?;
            encode_suno_create(&s)?
        }
        (Method::Get, ["suno", id]) => encode_suno_poll(id)?,
        (Method::Get, ["check"]) => {
            let http = encode_check(&up.key);
            let sent =
                upstream::send_retrying(AIRFORCE, &http, &up.base_url, config, now_ms).await?;
            return relay::json(AIRFORCE, sent, config, now_ms, |v| {
                if let Some(map) = v.as_object_mut() {
                    map.remove("key");
                }
            })
            .await;
        }
        (method, _) => {
            return Err(Error::NotFound {
                message: format!("no route for {method} /v1/x/airforce/{rest}"),
                code: "unknown_url",
            });
        }
    };
    http.authorize(&up.key);
    let sent = upstream::send_retrying(AIRFORCE, &http, &up.base_url, config, now_ms).await?;
    match segments.first().copied() {
        Some("ask") => {
            let (response, guard) = sent;
            let head = upstream::head(&response, now_ms / 1000);
            if !head.is_success() {
                relay::read(AIRFORCE, response, guard, config, now_ms).await?;
                return Err(Error::BadResponse {
                    message: "provider 'airforce' failed".to_owned(),
                    provider: Some(AIRFORCE.to_string()),
                });
            }
            let model = "airforce/ask".to_owned();
            let ctx = StreamContext {
                model: model.clone(),
                now: now_ms / 1000,
                include_usage: false,
            };
            let decoder = StreamDecoder::new(AIRFORCE, http.response, &head, ctx, config.limits);
            let body = crate::body::Pieces::of_response(&response)
                .map_err(upstream::runtime_text)?
                .ok_or_else(|| upstream::runtime_text("the stream has no body".to_owned()))?;
            sse::start(body, decoder, guard, config, model, now_ms / 1000).await
        }
        Some("vision") => {
            let body = relay::read(AIRFORCE, sent.0, sent.1, config, now_ms).await?;
            let mut text = String::from_utf8_lossy(&body).into_owned();
            for secret in config.secrets() {
                text = text.replace(secret, "[redacted]");
            }
            let answer = json!({"object": "airforce.vision", "text": text});
            relay::bytes(answer.to_string().into_bytes(), "application/json")
        }
        _ => relay::json(AIRFORCE, sent, config, now_ms, |_| {}).await,
    }
}

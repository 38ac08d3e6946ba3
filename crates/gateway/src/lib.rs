//! switchboard-gateway: the Cloudflare Worker in front of the five providers.
//!
//! It holds the provider keys, checks the caller's gateway token, limits each client
//! IP (GCRA in KV), and speaks OpenAI's API: `POST /v1/chat/completions` (whole or
//! streamed through as it arrives), `GET /v1/models`, `/v1/files`,
//! `POST /v1/images/generations`, `POST /v1/audio/speech`, plus airforce's own
//! endpoints under `/v1/x/airforce/` ([`airforce`]). Every error is an OpenAI
//! error body with an `x-request-id`. All dialect work is `switchboard-core`'s; this
//! crate does the I/O. Configuration: see `wrangler.toml` and [`config`].

pub mod airforce;
pub mod auth;
pub mod body;
pub mod chat;
pub mod clock;
pub mod config;
pub mod cors;
pub mod errors;
pub mod files;
pub mod isolate;
pub mod media;
pub mod models;
pub mod ratelimit;
pub mod relay;
pub mod sse;
pub mod upstream;

use serde_json::json;
use switchboard_core::Error;
use worker::{Context, Date, Env, Method, Request, Response, event};

use crate::config::Config;

/// The Worker's fetch handler.
#[event(fetch)]
pub async fn fetch(req: Request, env: Env, _ctx: Context) -> worker::Result<Response> {
    let now_ms = Date::now().as_millis();
    let id = errors::request_id(req.headers().get("cf-ray").ok().flatten());
    let method = req.method();
    let path = req.path();
    let origin = req.headers().get("origin").ok().flatten();
    let config = isolate::config(|name| env.var(name).ok().map(|v| v.to_string()));
    let mut kv = None;
    let mut response = match &config {
        Ok(config) => serve(req, &env, config, now_ms, &mut kv).await?,
        Err(e) => errors::error_response(e.clone(), None)?,
    };
    let preflight = method == Method::Options;
    let allowed = config
        .as_ref()
        .map(|c| c.cors_origins.as_slice())
        .unwrap_or_default();
    let headers = response.headers_mut();
    for (name, value) in cors::headers(allowed, origin.as_deref(), preflight) {
        headers.set(name, &value)?;
    }
    headers.set("x-request-id", &id)?;
    // One structured line per request; never a header value or a body. `kv` says what
    // the rate limit did with KV (see `ratelimit::KvSync`), `at_ms` when it started.
    worker::console_log!(
        "{}",
        json!({
            "request_id": id,
            "method": method.to_string(),
            "path": path,
            "status": response.status_code(),
            "at_ms": now_ms,
            "ms": Date::now().as_millis().saturating_sub(now_ms),
            "kv": kv.map(ratelimit::KvSync::as_str),
        })
    );
    Ok(response)
}

/// Preflight, header size, rate limit, authentication, then the route. `kv` is set to
/// what the rate limit did with KV.
async fn serve(
    req: Request,
    env: &Env,
    config: &Config,
    now_ms: u64,
    kv: &mut Option<ratelimit::KvSync>,
) -> worker::Result<Response> {
    if req.method() == Method::Options {
        return Ok(Response::empty()?.with_status(204));
    }
    if let Err(e) = config.check_headers(req.headers().entries()) {
        return errors::error_response(e, Some(config));
    }
    let mut limit_headers = Vec::new();
    if let Some(quota) = &config.rate_limit {
        let (decision, sync) =
            ratelimit::take(env, quota, &ratelimit::client_ip(&req), now_ms).await;
        *kv = Some(sync);
        limit_headers.extend(decision.headers(quota.limit));
        if !decision.allowed {
            let mut response =
                errors::error_response(decision.into_error(quota.limit), Some(config))?;
            set_all(&mut response, &limit_headers)?;
            return Ok(response);
        }
    }
    let authorization = req.headers().get("authorization").ok().flatten();
    // The admin route takes the admin token instead of a gateway token, and does not
    // exist without one.
    let checked = if req.path().trim_end_matches('/') == airforce::CHECK_PATH {
        match &config.admin_token {
            Some(admin) => auth::check(std::slice::from_ref(admin), authorization.as_deref()),
            None => Err(Error::NotFound {
                message: format!("no route for {}", airforce::CHECK_PATH),
                code: "unknown_url",
            }),
        }
    } else {
        auth::check(&config.tokens, authorization.as_deref())
    };
    let result = match checked {
        Ok(()) => route(req, config, now_ms).await,
        Err(e) => Err(e),
    };
    let mut response = match result {
        Ok(response) => response,
        Err(e) => errors::error_response(e, Some(config))?,
    };
    set_all(&mut response, &limit_headers)?;
    Ok(response)
}

/// Dispatches on method and path.
async fn route(req: Request, config: &Config, now_ms: u64) -> Result<Response, Error> {
    let path = req.path();
    match (req.method(), path.trim_end_matches('/')) {
        (Method::Post, "/v1/chat/completions") => chat::handle(req, config, now_ms).await,
        (Method::Get, "/v1/models") => models::handle(config, now_ms).await,
        (Method::Post, "/v1/images/generations") => media::images(req, config, now_ms).await,
        (Method::Post, "/v1/audio/speech") => media::speech(req, config, now_ms).await,
        (_, p) if p == "/v1/files" || p.starts_with("/v1/files/") => {
            files::handle(req, config, &p["/v1/files".len()..], now_ms).await
        }
        (_, p) if p.starts_with("/v1/x/airforce/") => {
            airforce::handle(req, config, &p["/v1/x/airforce/".len()..], now_ms).await
        }
        (
            _,
            "/v1/chat/completions" | "/v1/models" | "/v1/images/generations" | "/v1/audio/speech",
        ) => Err(Error::invalid(
            format!("method {} is not allowed on {path}", req.method()),
            None,
        )),
        _ => Err(Error::NotFound {
            message: format!("no route for {} {path}", req.method()),
            code: "unknown_url",
        }),
    }
}

fn set_all(response: &mut Response, headers: &[(&'static str, String)]) -> worker::Result<()> {
    for (name, value) in headers {
        response.headers_mut().set(name, value)?;
    }
    Ok(())
}

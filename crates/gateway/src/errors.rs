//! Responses: OpenAI-shaped error bodies, JSON bodies, request ids, key scrubbing.
//!
//! Every error the gateway answers with goes through [`error_response`]: the provider
//! keys are scrubbed from it first ([`Error::redact`]), and it carries `x-request-id`
//! (set by the entry point on every response).

use serde::Serialize;
use switchboard_core::Error;
use worker::{Headers, Response};

use crate::config::Config;

/// Scrubs every configured provider key from an error's text.
pub fn scrub(error: &mut Error, config: Option<&Config>) {
    if let Some(config) = config {
        for secret in config.secrets() {
            error.redact(secret);
        }
    }
}

/// A JSON response with `status`.
pub fn json<T: Serialize>(status: u16, value: &T) -> worker::Result<Response> {
    let body = serde_json::to_vec(value).map_err(|e| worker::Error::RustError(e.to_string()))?;
    let headers = Headers::new();
    headers.set("content-type", "application/json")?;
    Ok(Response::from_bytes(body)?
        .with_status(status)
        .with_headers(headers))
}

/// The OpenAI error response for `error`, keys scrubbed, `Retry-After` when known.
pub fn error_response(mut error: Error, config: Option<&Config>) -> worker::Result<Response> {
    scrub(&mut error, config);
    let mut response = json(error.status(), &error.to_body())?;
    if let Some(secs) = error.retry_after() {
        response
            .headers_mut()
            .set("retry-after", &secs.to_string())?;
    }
    Ok(response)
}

/// A request id: Cloudflare's `cf-ray` when present, else random hex.
pub fn request_id(cf_ray: Option<String>) -> String {
    if let Some(ray) = cf_ray.filter(|r| !r.is_empty() && r.len() <= 64) {
        return format!("req_{ray}");
    }
    let mut id = String::from("req_");
    for _ in 0..2 {
        // Math.random has 52 bits of mantissa; two draws give plenty for a log key.
        let n = (random() * 4_294_967_296.0) as u64;
        id.push_str(&format!("{n:08x}"));
    }
    id
}

#[cfg(target_arch = "wasm32")]
fn random() -> f64 {
    worker::js_sys::Math::random()
}

/// Native builds (unit tests) have no JS; a clock-derived value stands in.
#[cfg(not(target_arch = "wasm32"))]
fn random() -> f64 {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    f64::from(nanos) / 1e9
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn request_ids() {
        assert_eq!(request_id(Some("abc".into())), "req_abc");
        let id = request_id(None);
        assert!(id.starts_with("req_") && id.len() == 20, "{id}");
    }
}

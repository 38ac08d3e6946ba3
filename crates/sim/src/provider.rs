//! The five simulated providers and the error body each one answers with.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::json;

use crate::config::Keys;

/// One simulated provider.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Provider {
    /// SECRY AI, under `/secry/v1`.
    Secry,
    /// Secton, under `/secton/v1`.
    Secton,
    /// api.airforce, under `/airforce` and `/airforce/v1`.
    Airforce,
    /// Siraya AI, under `/siraya/v1`.
    Siraya,
    /// The Gemini proxy, under `/gemini-proxy/api/v1`.
    Gemini,
}

impl Provider {
    /// The provider whose prefix starts `path`, if any.
    pub fn from_path(path: &str) -> Option<Self> {
        let first = path.trim_start_matches('/').split('/').next()?;
        Some(match first {
            "secry" => Self::Secry,
            "secton" => Self::Secton,
            "airforce" => Self::Airforce,
            "siraya" => Self::Siraya,
            "gemini-proxy" => Self::Gemini,
            _ => return None,
        })
    }

    /// Lower-case name, as used in prefixes and the docs.
    pub fn name(self) -> &'static str {
        match self {
            Self::Secry => "secry",
            Self::Secton => "secton",
            Self::Airforce => "airforce",
            Self::Siraya => "siraya",
            Self::Gemini => "gemini-proxy",
        }
    }

    /// The key this provider accepts.
    pub fn key(self, keys: &Keys) -> &str {
        match self {
            Self::Secry => &keys.secry,
            Self::Secton => &keys.secton,
            Self::Airforce => &keys.airforce,
            Self::Siraya => &keys.siraya,
            Self::Gemini => &keys.gemini,
        }
    }

    /// An error response in this provider's shape.
    ///
    /// SECRY documents `{"error":{"message","type","param","code"}}`; the others show no error
    /// body, and Siraya and the Gemini proxy say they are OpenAI compatible, so all use that
    /// shape. The Gemini proxy documents only 400/401/429/500, so a too-large body is a 400.
    pub fn error(self, status: StatusCode, detail: &str) -> Response {
        let status = match (self, status.as_u16()) {
            (Self::Gemini, 413) => StatusCode::BAD_REQUEST,
            _ => status,
        };
        let (kind, code) = kind_and_code(status);
        let message = match (self, status.as_u16()) {
            (Self::Secry, 401) => "Incorrect API key provided. Contact Admin/Owner.".to_string(),
            (Self::Gemini, 400) => format!("Bad Request: Invalid request parameters. {detail}"),
            (Self::Gemini, 401) => "Unauthorized: Invalid or missing API key".to_string(),
            (Self::Gemini, 429) => {
                "Rate Limited: API limit exceeded, upgrade your plan".to_string()
            }
            (Self::Gemini, 500) => {
                "Server Error: Internal server error, try again later".to_string()
            }
            _ => detail.to_string(),
        };
        let body = json!({
            "error": { "message": message, "type": kind, "param": null, "code": code }
        });
        json_response(status, &body)
    }
}

/// The `type` and `code` of an error body for a status.
fn kind_and_code(status: StatusCode) -> (&'static str, &'static str) {
    match status.as_u16() {
        401 => ("invalid_request_error", "invalid_api_key"),
        404 => ("invalid_request_error", "not_found"),
        405 => ("invalid_request_error", "method_not_allowed"),
        413 => ("invalid_request_error", "request_too_large"),
        429 => ("rate_limit_error", "rate_limit_exceeded"),
        503 => ("server_error", "service_unavailable"),
        s if s >= 500 => ("server_error", "server_error"),
        _ => ("invalid_request_error", "invalid_request"),
    }
}

/// A JSON response with a serialized body.
pub fn json_response(status: StatusCode, body: &serde_json::Value) -> Response {
    json_bytes_response(status, serde_json::to_vec(body).unwrap_or_default())
}

/// A JSON response from bytes already serialized.
pub fn json_bytes_response(status: StatusCode, bytes: Vec<u8>) -> Response {
    (
        status,
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        )],
        bytes,
    )
        .into_response()
}

/// An error response outside any provider prefix.
pub fn plain_error(status: StatusCode, detail: &str) -> Response {
    let (kind, code) = kind_and_code(status);
    json_response(
        status,
        &json!({"error": {"message": detail, "type": kind, "param": null, "code": code}}),
    )
}

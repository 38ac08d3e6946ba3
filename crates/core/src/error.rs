//! The one error type of the project.
//!
//! Every failure, whether the caller's request was bad, the provider said no, the
//! provider's bytes made no sense or a stream was cut, is an [`Error`]. Each variant
//! knows its HTTP status, whether a retry can help, its retry-after, and how it
//! renders as an OpenAI error body.

use crate::types::{ErrorBody, ErrorObject, Extra};
use alloc::boxed::Box;
use alloc::format;
use alloc::string::{String, ToString};
use core::fmt;
use serde_json::Value;

/// Everything that can go wrong between a caller and a provider.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum Error {
    /// The caller's request is malformed or asks for something the target cannot do. 400.
    InvalidRequest {
        /// What is wrong.
        message: String,
        /// The request field at fault.
        param: Option<String>,
        /// Machine-readable code, e.g. `unsupported_parameter`.
        code: &'static str,
    },
    /// The caller is not authenticated (missing or unknown token). 401.
    Unauthorized {
        /// What is wrong.
        message: String,
    },
    /// The model, provider, file or route does not exist here. 404.
    NotFound {
        /// What was not found.
        message: String,
        /// Machine-readable code, e.g. `model_not_found`.
        code: &'static str,
    },
    /// A configured size limit was crossed: 413 for the caller's request (`what` is
    /// `request body` or `file upload`), 502 for an upstream answer (any other `what`:
    /// `response body`, `stream`, `stream event`, ...).
    TooLarge {
        /// What was too large (`request body`, `stream`, ...).
        what: &'static str,
        /// The limit, in the unit of `what`.
        limit: u64,
    },
    /// A local rate limit said no. 429.
    RateLimited {
        /// Seconds until a retry can succeed.
        retry_after: u64,
        /// Requests allowed per window.
        limit: u64,
    },
    /// The provider answered with an error status.
    Api(Box<ApiError>),
    /// The provider sent an error event inside a stream that had started.
    InStream(Box<ApiError>),
    /// The provider answered success with bytes that are not what its dialect promises. 502.
    BadResponse {
        /// What was wrong with the bytes.
        message: String,
        /// The provider at fault.
        provider: Option<String>,
    },
    /// A stream ended with neither `[DONE]` nor a finish reason: the answer is cut. 502.
    StreamInterrupted {
        /// How it ended.
        message: String,
    },
    /// The provider could not be reached or the connection broke before an answer. 502.
    Connection {
        /// What failed.
        message: String,
    },
    /// The provider did not answer in time. 504.
    Timeout {
        /// The limit that was crossed, in milliseconds.
        after_ms: u64,
    },
    /// The provider is known but has no key or base URL configured. 503.
    NotConfigured {
        /// The provider id.
        provider: String,
    },
}

/// An error reported by a provider (or by a gateway in front of one).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ApiError {
    /// HTTP status of the answer (for in-stream errors, the status the error implies).
    pub status: u16,
    /// The provider's message.
    pub message: String,
    /// The provider's error class (`type`).
    pub kind: Option<String>,
    /// The request field at fault.
    pub param: Option<String>,
    /// The provider's machine-readable code.
    pub code: Option<String>,
    /// Seconds to wait before retrying, from `Retry-After`, capped.
    pub retry_after: Option<u64>,
    /// Which provider answered.
    pub provider: Option<String>,
    /// The request id the provider gave (`x-request-id` and friends).
    pub request_id: Option<String>,
    /// The start of the raw body, for diagnosis.
    pub raw: Option<String>,
}

impl Error {
    /// A 400 for a field the caller got wrong.
    pub fn invalid(message: impl Into<String>, param: Option<&str>) -> Self {
        Error::InvalidRequest {
            message: message.into(),
            param: param.map(ToString::to_string),
            code: "invalid_request",
        }
    }

    /// A 400 for a parameter the target provider does not take.
    pub fn unsupported(provider: &str, param: &str) -> Self {
        Error::InvalidRequest {
            message: format!("provider '{provider}' does not support the parameter '{param}'"),
            param: Some(param.to_string()),
            code: "unsupported_parameter",
        }
    }

    /// The HTTP status this error answers with.
    pub fn status(&self) -> u16 {
        match self {
            Error::InvalidRequest { .. } => 400,
            Error::Unauthorized { .. } => 401,
            Error::NotFound { .. } => 404,
            Error::TooLarge { what, .. } if is_request(what) => 413,
            Error::RateLimited { .. } => 429,
            Error::Api(e) | Error::InStream(e) => {
                if (400..=599).contains(&e.status) {
                    e.status
                } else {
                    502
                }
            }
            Error::BadResponse { .. }
            | Error::TooLarge { .. }
            | Error::StreamInterrupted { .. }
            | Error::Connection { .. } => 502,
            Error::NotConfigured { .. } => 503,
            Error::Timeout { .. } => 504,
        }
    }

    /// Whether sending the same request again may succeed.
    pub fn is_retryable(&self) -> bool {
        match self {
            Error::RateLimited { .. }
            | Error::Connection { .. }
            | Error::Timeout { .. }
            | Error::StreamInterrupted { .. }
            | Error::BadResponse { .. } => true,
            Error::Api(e) | Error::InStream(e) => matches!(e.status, 408 | 409 | 429 | 500..=599),
            _ => false,
        }
    }

    /// Seconds to wait before retrying, when the error says.
    pub fn retry_after(&self) -> Option<u64> {
        match self {
            Error::RateLimited { retry_after, .. } => Some(*retry_after),
            Error::Api(e) | Error::InStream(e) => e.retry_after,
            _ => None,
        }
    }

    /// The OpenAI error class (`type`) for this error.
    pub fn kind(&self) -> &str {
        match self {
            Error::TooLarge { what, .. } if !is_request(what) => "upstream_error",
            Error::InvalidRequest { .. } | Error::TooLarge { .. } | Error::NotFound { .. } => {
                "invalid_request_error"
            }
            Error::Unauthorized { .. } => "authentication_error",
            Error::RateLimited { .. } => "rate_limit_error",
            Error::Api(e) | Error::InStream(e) => match &e.kind {
                Some(k) => k,
                None => kind_for_status(e.status),
            },
            Error::BadResponse { .. } | Error::StreamInterrupted { .. } => "upstream_error",
            Error::Connection { .. } | Error::Timeout { .. } | Error::NotConfigured { .. } => {
                "api_error"
            }
        }
    }

    /// The machine-readable code.
    pub fn code(&self) -> Option<&str> {
        Some(match self {
            Error::InvalidRequest { code, .. } | Error::NotFound { code, .. } => code,
            Error::Unauthorized { .. } => "invalid_api_key",
            Error::TooLarge { what, .. } if is_request(what) => "too_large",
            Error::TooLarge { .. } => "upstream_too_large",
            Error::RateLimited { .. } => "rate_limit_exceeded",
            Error::Api(e) | Error::InStream(e) => return e.code.as_deref(),
            Error::BadResponse { .. } => "bad_upstream_response",
            Error::StreamInterrupted { .. } => "stream_interrupted",
            Error::Connection { .. } => "upstream_unreachable",
            Error::Timeout { .. } => "upstream_timeout",
            Error::NotConfigured { .. } => "provider_not_configured",
        })
    }

    /// The provider involved, when known.
    pub fn provider(&self) -> Option<&str> {
        match self {
            Error::Api(e) | Error::InStream(e) => e.provider.as_deref(),
            Error::BadResponse { provider, .. } => provider.as_deref(),
            Error::NotConfigured { provider } => Some(provider),
            _ => None,
        }
    }

    /// The human-readable message.
    pub fn message(&self) -> String {
        match self {
            Error::InvalidRequest { message, .. }
            | Error::Unauthorized { message }
            | Error::NotFound { message, .. }
            | Error::BadResponse { message, .. }
            | Error::StreamInterrupted { message }
            | Error::Connection { message } => message.clone(),
            Error::TooLarge { what, limit } if is_request(what) => {
                format!("{what} exceeds the limit of {limit}")
            }
            Error::TooLarge {
                what: what @ ("choices" | "tool calls"),
                limit,
            } => format!("the provider's answer is too large: more than {limit} {what}"),
            Error::TooLarge { what, limit } => {
                format!("the provider's answer is too large: {what} exceeds {limit} bytes")
            }
            Error::RateLimited { retry_after, limit } => {
                format!("rate limit of {limit} requests exceeded; retry after {retry_after} s")
            }
            Error::Api(e) | Error::InStream(e) => e.message.clone(),
            Error::Timeout { after_ms } => {
                format!("the provider did not answer within {after_ms} ms")
            }
            Error::NotConfigured { provider } => {
                format!("provider '{provider}' is not configured on this server")
            }
        }
    }

    /// Whether this error arrived inside a stream that had already started.
    pub fn is_in_stream(&self) -> bool {
        matches!(self, Error::InStream(_) | Error::StreamInterrupted { .. })
    }

    /// Renders the OpenAI error body. Switchboard adds `provider`, `retry_after`
    /// and `status` to the error object when known.
    pub fn to_body(&self) -> ErrorBody {
        let mut extra = Extra::new();
        if let Some(p) = self.provider() {
            extra.insert("provider".into(), Value::String(p.into()));
        }
        if let Some(s) = self.retry_after() {
            extra.insert("retry_after".into(), Value::from(s));
        }
        if let Error::Api(e) | Error::InStream(e) = self
            && let Some(id) = &e.request_id
        {
            extra.insert("request_id".into(), Value::String(id.clone()));
        }
        let param = match self {
            Error::InvalidRequest { param, .. } => param.clone(),
            Error::Api(e) | Error::InStream(e) => e.param.clone(),
            _ => None,
        };
        ErrorBody {
            error: ErrorObject {
                message: self.message(),
                kind: Some(self.kind().into()),
                param,
                code: self.code().map(Into::into),
                extra,
            },
        }
    }

    /// Replaces every occurrence of `secret` in the message and raw body with
    /// `[redacted]`, so a provider that echoes a key cannot leak it.
    pub fn redact(&mut self, secret: &str) {
        if secret.len() < 4 {
            return;
        }
        let scrub = |s: &mut String| {
            if s.contains(secret) {
                *s = s.replace(secret, "[redacted]");
            }
        };
        match self {
            Error::InvalidRequest { message, .. }
            | Error::Unauthorized { message }
            | Error::NotFound { message, .. }
            | Error::BadResponse { message, .. }
            | Error::StreamInterrupted { message }
            | Error::Connection { message } => scrub(message),
            Error::Api(e) | Error::InStream(e) => {
                scrub(&mut e.message);
                if let Some(raw) = &mut e.raw {
                    scrub(raw);
                }
                for field in [&mut e.kind, &mut e.code, &mut e.param]
                    .into_iter()
                    .flatten()
                {
                    scrub(field);
                }
            }
            _ => {}
        }
    }
}

/// Whether a [`Error::TooLarge`] `what` names the caller's request (else an upstream answer).
fn is_request(what: &str) -> bool {
    matches!(what, "request body" | "file upload")
}

/// The OpenAI error class for an HTTP status.
pub fn kind_for_status(status: u16) -> &'static str {
    match status {
        401 => "authentication_error",
        403 => "permission_error",
        404 => "not_found_error",
        429 => "rate_limit_error",
        400..=499 => "invalid_request_error",
        _ => "api_error",
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ({})", self.message(), self.status())
    }
}

impl core::error::Error for Error {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn too_large_request_is_413_too_large_answer_is_502() {
        for what in ["request body", "file upload"] {
            let e = Error::TooLarge { what, limit: 8 };
            assert_eq!((e.status(), e.code()), (413, Some("too_large")), "{what}");
            assert_eq!(e.kind(), "invalid_request_error");
        }
        for what in [
            "response body",
            "provider response body",
            "stream",
            "stream event",
        ] {
            let e = Error::TooLarge { what, limit: 8 };
            assert_eq!(e.status(), 502, "{what}");
            assert_eq!(e.code(), Some("upstream_too_large"));
            assert_eq!(e.kind(), "upstream_error");
            assert!(
                e.message()
                    .starts_with("the provider's answer is too large")
            );
            assert!(!e.is_retryable());
        }
    }
}

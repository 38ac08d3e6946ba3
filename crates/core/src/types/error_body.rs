//! The OpenAI error body: `{"error": {"message", "type", "param", "code"}}`.

use super::Extra;
use super::lenient::{opt_string_or_number, string_or_null};
use alloc::string::String;
use serde::{Deserialize, Serialize};

/// An error response body.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ErrorBody {
    /// The error.
    pub error: ErrorObject,
}

/// The error inside an [`ErrorBody`].
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct ErrorObject {
    /// Human-readable message.
    #[serde(default, deserialize_with = "string_or_null")]
    pub message: String,
    /// Error class, e.g. `invalid_request_error`.
    #[serde(rename = "type", default, deserialize_with = "opt_string_or_number")]
    pub kind: Option<String>,
    /// The request field at fault.
    #[serde(default, deserialize_with = "opt_string_or_number")]
    pub param: Option<String>,
    /// Machine-readable code, e.g. `invalid_api_key`.
    #[serde(default, deserialize_with = "opt_string_or_number")]
    pub code: Option<String>,
    /// Fields this version does not model (Switchboard adds `provider`, `retry_after`).
    #[serde(flatten)]
    pub extra: Extra,
}

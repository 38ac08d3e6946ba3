//! The OpenAI error body: `{"error": {"message", "type", "param", "code"}}`.

use super::Extra;
use super::lenient::{StringOrNull, StringOrNumber, lossless};
use alloc::string::String;
use serde::{Deserialize, Serialize};

/// An error response body.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ErrorBody {
    /// The error.
    pub error: ErrorObject,
}

/// The error inside an [`ErrorBody`].
#[derive(Debug, Clone, PartialEq, Default, Serialize)]
pub struct ErrorObject {
    /// Human-readable message.
    pub message: String,
    /// Error class, e.g. `invalid_request_error`.
    #[serde(rename = "type")]
    pub kind: Option<String>,
    /// The request field at fault.
    pub param: Option<String>,
    /// Machine-readable code, e.g. `invalid_api_key`.
    pub code: Option<String>,
    /// Fields this version does not model (Switchboard adds `provider`, `retry_after`).
    #[serde(flatten)]
    pub extra: Extra,
}

lossless! {
    ErrorObject {
        message | StringOrNull = Default::default(),
        kind("type") | StringOrNumber = None,
        param | StringOrNumber = None,
        code | StringOrNumber = None,
    }
}

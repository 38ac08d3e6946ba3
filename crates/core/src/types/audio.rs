//! `/audio/speech` shapes.

use super::Extra;
use alloc::string::String;
use serde::{Deserialize, Serialize};

/// A text-to-speech request (OpenAI shape).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct SpeechRequest {
    /// `provider/model` or an alias.
    #[serde(default)]
    pub model: String,
    /// The text to speak.
    pub input: String,
    /// Voice name (OpenAI's, or the provider's own).
    #[serde(default)]
    pub voice: String,
    /// Audio format; providers that only make MP3 reject others.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub response_format: Option<String>,
    /// Fields this version does not model (e.g. `speed`).
    #[serde(flatten)]
    pub extra: Extra,
}

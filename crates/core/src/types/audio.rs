//! `/audio/speech` shapes.

use super::Extra;
use super::lenient::lossless;
use alloc::string::String;
use serde::Serialize;

/// A text-to-speech request (OpenAI shape).
#[derive(Debug, Clone, PartialEq, Default, Serialize)]
pub struct SpeechRequest {
    /// `provider/model` or an alias.
    pub model: String,
    /// The text to speak.
    pub input: String,
    /// Voice name (OpenAI's, or the provider's own).
    pub voice: String,
    /// Audio format; providers that only make MP3 reject others.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub response_format: Option<String>,
    /// Fields this version does not model (e.g. `speed`).
    #[serde(flatten)]
    pub extra: Extra,
}

lossless! {
    SpeechRequest {
        model = Default::default(),
        input,
        voice = Default::default(),
        response_format = None,
    }
}

//! `/images/generations` shapes.

use super::Extra;
use alloc::string::String;
use alloc::vec::Vec;
use serde::{Deserialize, Serialize};

/// An image generation request (OpenAI shape; provider extensions such as
/// `width`, `height`, `seed` or `negative_prompt` ride in `extra`).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct ImageRequest {
    /// `provider/model`, an alias, or the provider's model id.
    #[serde(default)]
    pub model: String,
    /// What to draw.
    pub prompt: String,
    /// How many images.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub n: Option<u32>,
    /// `WIDTHxHEIGHT`, e.g. `1024x1024`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub size: Option<String>,
    /// `b64_json` or `url`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub response_format: Option<String>,
    /// Fields this version does not model.
    #[serde(flatten)]
    pub extra: Extra,
}

/// Generated images.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct ImageResponse {
    /// Unix seconds.
    #[serde(default)]
    pub created: u64,
    /// The images.
    #[serde(default)]
    pub data: Vec<ImageData>,
    /// Fields this version does not model.
    #[serde(flatten)]
    pub extra: Extra,
}

/// One generated image.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct ImageData {
    /// The image, base64.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub b64_json: Option<String>,
    /// Or a URL to it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    /// The prompt as the provider rewrote it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub revised_prompt: Option<String>,
    /// Fields this version does not model.
    #[serde(flatten)]
    pub extra: Extra,
}

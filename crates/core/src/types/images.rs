//! `/images/generations` shapes.

use super::Extra;
use super::lenient::lossless;
use alloc::string::String;
use alloc::vec::Vec;
use serde::Serialize;

/// An image generation request (OpenAI shape; provider extensions such as
/// `width`, `height`, `seed` or `negative_prompt` ride in `extra`).
#[derive(Debug, Clone, PartialEq, Default, Serialize)]
pub struct ImageRequest {
    /// `provider/model`, an alias, or the provider's model id.
    pub model: String,
    /// What to draw.
    pub prompt: String,
    /// How many images.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub n: Option<u32>,
    /// `WIDTHxHEIGHT`, e.g. `1024x1024`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub size: Option<String>,
    /// `b64_json` or `url`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub response_format: Option<String>,
    /// Fields this version does not model.
    #[serde(flatten)]
    pub extra: Extra,
}

lossless! {
    ImageRequest {
        model = Default::default(),
        prompt,
        n = None,
        size = None,
        response_format = None,
    }
}

/// Generated images.
#[derive(Debug, Clone, PartialEq, Default, Serialize)]
pub struct ImageResponse {
    /// Unix seconds.
    pub created: u64,
    /// The images.
    pub data: Vec<ImageData>,
    /// Fields this version does not model.
    #[serde(flatten)]
    pub extra: Extra,
}

lossless! {
    ImageResponse {
        created = Default::default(),
        data = Default::default(),
    }
}

/// One generated image.
#[derive(Debug, Clone, PartialEq, Default, Serialize)]
pub struct ImageData {
    /// The image, base64.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub b64_json: Option<String>,
    /// Or a URL to it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    /// The prompt as the provider rewrote it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub revised_prompt: Option<String>,
    /// Fields this version does not model.
    #[serde(flatten)]
    pub extra: Extra,
}

lossless! {
    ImageData {
        b64_json = None,
        url = None,
        revised_prompt = None,
    }
}

//! api.airforce (`https://api.airforce`): OpenAI-ish chat on `/v1/chat/completions`
//! that takes `top_k` and one system message, first, once; no tools, no JSON mode,
//! one choice. Also images (`/v1/imagine`, PNG bytes), speech (`/get-audio`), web
//! search (`/v1/ask`, JSON lines), vision, Suno music and key checks.

use super::{Action, ImageApi, ModelsSource, Params, ProviderSpec, Streaming, SystemRule, Wire};

/// The airforce dialect.
pub const SPEC: ProviderSpec = ProviderSpec {
    id: "airforce",
    base_url: Some("https://api.airforce"),
    base_url_var: "AIRFORCE_BASE_URL",
    key_var: "AIRFORCE_API_KEY",
    chat_path: "/v1/chat/completions",
    wire: Wire::OpenAi,
    streaming: Streaming::Native,
    params: Params {
        max_tokens: Action::Send,
        temperature: Action::Send,
        top_p: Action::Send,
        top_k: Action::Send,
        stop: Action::Drop,
        seed: Action::Drop,
        n: Action::Reject,
        penalties: Action::Drop,
        response_format: Action::Reject,
        tools: Action::Reject,
        stream_options: Action::Drop,
        unknown: Action::Drop,
    },
    legacy_names: true,
    system: SystemRule::MergeLeading,
    tool_choice_required: false,
    vision: false,
    default_model: None,
    models: ModelsSource::Listed {
        path: "/v1/models",
        fallback: &[
            "llama-3.1-70b-chat",
            "llama-3.1-8b-chat",
            "gpt-4o-mini",
            "gpt-4o",
        ],
    },
    files: false,
    images: Some(ImageApi::AirforceImagine),
    speech: true,
};

/// Image models `/v1/imagine` accepts.
pub const IMAGE_MODELS: &[&str] = &[
    "flux",
    "flux-realism",
    "flux-4o",
    "flux-pixel",
    "flux-3d",
    "flux-anime",
    "flux-disney",
    "any-dark",
    "stable-diffusion-xl-lightning",
    "stable-diffusion-xl-base",
];

/// Aspect ratios `/v1/imagine` accepts, as `(width, height)`.
pub const IMAGE_RATIOS: &[(u32, u32)] =
    &[(1, 1), (16, 9), (9, 16), (21, 9), (9, 21), (1, 2), (2, 1)];

/// Vision models `/v1/images/vision` accepts.
pub const VISION_MODELS: &[&str] = &["gpt-4o", "gpt-4o-mini", "gemini-pro-vision"];

/// Suno models.
pub const SUNO_MODELS: &[&str] = &["chirp-v2-xxl-alpha", "chirp-v3-5", "chirp-v3-0"];

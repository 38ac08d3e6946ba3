//! The Gemini proxy (self-hosted, base URL `https://<host>/api/v1`): chat on `POST
//! /chat` (not `/chat/completions`), model optional (default `gemini-2.5-flash`),
//! documented defaults `temperature` 1 and `max_tokens` 4096, no models endpoint.

use super::{ModelsSource, ProviderSpec, openai};

/// The models the proxy documents.
pub const MODELS: &[&str] = &["gemini-2.5-flash", "gemini-2.0-flash", "gpt-4o-mini"];

/// The Gemini-proxy dialect.
pub const SPEC: ProviderSpec = ProviderSpec {
    id: "gemini-proxy",
    base_url: None,
    base_url_var: "GEMINI_PROXY_BASE_URL",
    key_var: "GEMINI_PROXY_API_KEY",
    chat_path: "/chat",
    default_model: Some("gemini-2.5-flash"),
    models: ModelsSource::Static(MODELS),
    legacy_names: true,
    ..openai::SPEC
};

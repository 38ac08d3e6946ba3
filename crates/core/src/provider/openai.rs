//! A generic OpenAI-compatible provider (`https://api.openai.com/v1` unless
//! configured): the baseline the compatible providers build on with struct update.

use super::{ModelsSource, Params, ProviderSpec, Streaming, SystemRule, Wire};

/// The OpenAI dialect.
pub const SPEC: ProviderSpec = ProviderSpec {
    id: "openai",
    base_url: Some("https://api.openai.com/v1"),
    base_url_var: "OPENAI_BASE_URL",
    key_var: "OPENAI_API_KEY",
    chat_path: "/chat/completions",
    wire: Wire::OpenAi,
    streaming: Streaming::Native,
    params: Params::OPENAI,
    system: SystemRule::Any,
    legacy_names: false,
    tool_choice_required: true,
    vision: true,
    default_model: None,
    models: ModelsSource::Listed {
        path: "/models",
        fallback: &[],
    },
    files: false,
    images: None,
    speech: false,
};

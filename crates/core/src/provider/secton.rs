//! Secton (`https://api.secton.org/v1`): takes `model`, `messages` and `temperature`,
//! answers with the whole conversation in `messages` plus `organization_id` and no
//! `choices`, does not stream, and filters its model list by GET query parameters.

use super::{Action, ModelsSource, Params, ProviderSpec, Streaming, SystemRule, Wire};

/// The Secton dialect.
pub const SPEC: ProviderSpec = ProviderSpec {
    id: "secton",
    base_url: Some("https://api.secton.org/v1"),
    base_url_var: "SECTON_BASE_URL",
    key_var: "SECTON_API_KEY",
    chat_path: "/chat/completions",
    wire: Wire::Secton,
    streaming: Streaming::Fake,
    params: Params {
        max_tokens: Action::Drop,
        temperature: Action::Send,
        top_p: Action::Drop,
        top_k: Action::Drop,
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
    system: SystemRule::Any,
    tool_choice_required: false,
    vision: false,
    default_model: None,
    models: ModelsSource::Listed {
        path: "/models?category=chat&sort=name",
        fallback: &["copilot-zero"],
    },
    files: false,
    images: None,
    speech: false,
};

//! Siraya AI (`https://llm.siraya.pro/v1`): OpenAI-compatible router; a trailing
//! assistant message is continued (prefill); finish reasons normalized to the five
//! OpenAI values; usage on non-stream answers.

use super::{ModelsSource, ProviderSpec, openai};

/// The Siraya dialect.
pub const SPEC: ProviderSpec = ProviderSpec {
    id: "siraya",
    base_url: Some("https://llm.siraya.pro/v1"),
    base_url_var: "SIRAYA_BASE_URL",
    key_var: "SIRAYA_API_KEY",
    models: ModelsSource::Listed {
        path: "/models",
        fallback: &["claude-3-5-sonnet@20240620"],
    },
    legacy_names: true,
    ..openai::SPEC
};

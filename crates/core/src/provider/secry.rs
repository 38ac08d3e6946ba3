//! SECRY AI (`https://api-ai2.secry.me/v1`): OpenAI-compatible chat with tools and
//! vision, files, and JSON image generation. `tool_choice` documents `auto`, `none`
//! and a named function, not `required`.

use super::{ImageApi, ModelsSource, ProviderSpec, openai};

/// The SECRY dialect.
pub const SPEC: ProviderSpec = ProviderSpec {
    id: "secry",
    base_url: Some("https://api-ai2.secry.me/v1"),
    base_url_var: "SECRY_BASE_URL",
    key_var: "SECRY_API_KEY",
    tool_choice_required: false,
    models: ModelsSource::Listed {
        path: "/models",
        fallback: &[
            "meta-llama/Llama-3.3-70B-Instruct",
            "gemma-3-27b-it",
            "Qwen/Qwen3-32B",
            "deepseek-ai/DeepSeek-V3.2",
            "openai/gpt-oss-120b",
        ],
    },
    files: true,
    images: Some(ImageApi::SecryJson),
    legacy_names: true,
    ..openai::SPEC
};

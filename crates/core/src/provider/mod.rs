//! The five provider dialects, as data.
//!
//! Each provider is one [`ProviderSpec`] constant: where it lives, which paths it
//! serves, which request parameters it takes, drops or refuses, how it wants system
//! messages, and whether it streams. The codecs read these tables; the only code
//! that branches on a provider's wire shape is the one `match` on [`Wire`].

pub mod airforce;
pub mod gemini_proxy;
pub mod openai;
pub mod secry;
pub mod secton;
pub mod siraya;

use crate::error::Error;
use alloc::format;

/// A provider Switchboard speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ProviderId {
    /// SECRY AI: OpenAI-compatible chat, files and image generation.
    Secry,
    /// Secton: chat answered as a `messages` array, no streaming.
    Secton,
    /// api.airforce: OpenAI-ish chat plus image, speech, search and music endpoints.
    Airforce,
    /// Siraya AI: OpenAI-compatible router with assistant prefill.
    Siraya,
    /// A self-hosted Gemini proxy: chat on `/chat`, no fixed base URL.
    GeminiProxy,
    /// Any OpenAI-compatible endpoint (OpenAI itself by default).
    OpenAi,
}

impl ProviderId {
    /// Every provider, in a stable order.
    pub const ALL: [ProviderId; 6] = [
        ProviderId::Secry,
        ProviderId::Secton,
        ProviderId::Airforce,
        ProviderId::Siraya,
        ProviderId::GeminiProxy,
        ProviderId::OpenAi,
    ];

    /// The id used in `provider/model` names and configuration.
    pub fn as_str(self) -> &'static str {
        self.spec().id
    }

    /// Parses an id (`secry`, `gemini-proxy`, ...), ASCII case-insensitively.
    pub fn parse(s: &str) -> Option<ProviderId> {
        ProviderId::ALL
            .into_iter()
            .find(|p| p.as_str().eq_ignore_ascii_case(s))
    }

    /// Parses an id, or fails with a 404 naming the known ones.
    pub fn parse_or_404(s: &str) -> Result<ProviderId, Error> {
        ProviderId::parse(s).ok_or_else(|| Error::NotFound {
            message: format!(
                "unknown provider '{s}'; known providers: secry, secton, airforce, siraya, gemini-proxy, openai"
            ),
            code: "provider_not_found",
        })
    }

    /// The provider's dialect table.
    pub fn spec(self) -> &'static ProviderSpec {
        match self {
            ProviderId::Secry => &secry::SPEC,
            ProviderId::Secton => &secton::SPEC,
            ProviderId::Airforce => &airforce::SPEC,
            ProviderId::Siraya => &siraya::SPEC,
            ProviderId::GeminiProxy => &gemini_proxy::SPEC,
            ProviderId::OpenAi => &openai::SPEC,
        }
    }
}

impl core::fmt::Display for ProviderId {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One provider's dialect.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ProviderSpec {
    /// Id used in model names and configuration (`secry`).
    pub id: &'static str,
    /// The documented base URL, if the provider has one (the Gemini proxy is self-hosted).
    pub base_url: Option<&'static str>,
    /// Environment/secret name of the base-URL override (`SECRY_BASE_URL`).
    pub base_url_var: &'static str,
    /// Environment/secret name of the API key (`SECRY_API_KEY`).
    pub key_var: &'static str,
    /// Chat path, appended to the base URL.
    pub chat_path: &'static str,
    /// How chat requests and answers are shaped.
    pub wire: Wire,
    /// Whether the provider streams natively.
    pub streaming: Streaming,
    /// What happens to each optional request parameter.
    pub params: Params,
    /// How system messages must be arranged.
    pub system: SystemRule,
    /// Whether newer OpenAI names are spelled the old way (`developer` sent as
    /// `system`, `max_completion_tokens` as `max_tokens`), for backends that predate them.
    pub legacy_names: bool,
    /// Whether `tool_choice: "required"` is accepted.
    pub tool_choice_required: bool,
    /// Whether image parts in messages are accepted.
    pub vision: bool,
    /// The model used when the caller names none (only where the provider has a default).
    pub default_model: Option<&'static str>,
    /// Where the model list comes from.
    pub models: ModelsSource,
    /// Whether the provider serves the OpenAI files API.
    pub files: bool,
    /// How images are generated, if at all.
    pub images: Option<ImageApi>,
    /// Whether text-to-speech is available (airforce `/get-audio`).
    pub speech: bool,
}

impl ProviderSpec {
    /// The provider's typed id.
    pub fn provider(&self) -> ProviderId {
        ProviderId::ALL
            .into_iter()
            .find(|p| p.as_str() == self.id)
            .unwrap_or(ProviderId::Secry)
    }
}

/// The shape of chat requests and answers on the wire.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Wire {
    /// OpenAI chat completions (possibly with quirks described by the other fields).
    OpenAi,
    /// Secton: OpenAI-like request, answered with the whole `messages` array and no `choices`.
    Secton,
}

/// Whether a provider streams.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Streaming {
    /// Server-sent `chat.completion.chunk` events ending in `[DONE]`.
    Native,
    /// No streaming: a stream request is sent as non-stream and the answer replayed as chunks.
    Fake,
}

/// What happens to one optional request parameter.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// Sent as is.
    Send,
    /// Removed silently: the provider ignores or rejects it, and it only tunes sampling.
    Drop,
    /// Refused with a 400: dropping it would change the meaning of the answer.
    Reject,
}

/// The parameter rule table of one provider.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Params {
    /// `max_tokens` (and `max_completion_tokens`, which is sent as `max_tokens`).
    pub max_tokens: Action,
    /// `temperature`.
    pub temperature: Action,
    /// `top_p`.
    pub top_p: Action,
    /// `top_k`.
    pub top_k: Action,
    /// `stop`.
    pub stop: Action,
    /// `seed`.
    pub seed: Action,
    /// `n` greater than 1 (`n: 1` is always accepted and not sent).
    pub n: Action,
    /// `presence_penalty` and `frequency_penalty`.
    pub penalties: Action,
    /// `response_format`.
    pub response_format: Action,
    /// `tools` and `tool_choice`.
    pub tools: Action,
    /// `stream_options`.
    pub stream_options: Action,
    /// Fields Switchboard does not model (`logprobs`, `user`, vendor extensions).
    pub unknown: Action,
}

impl Params {
    /// An OpenAI-compatible provider: everything OpenAI has is sent, `top_k` is dropped.
    pub const OPENAI: Params = Params {
        max_tokens: Action::Send,
        temperature: Action::Send,
        top_p: Action::Send,
        top_k: Action::Drop,
        stop: Action::Send,
        seed: Action::Send,
        n: Action::Send,
        penalties: Action::Send,
        response_format: Action::Send,
        tools: Action::Send,
        stream_options: Action::Send,
        unknown: Action::Send,
    };
}

/// How a provider wants system messages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SystemRule {
    /// Anywhere, any number (`developer` is sent as `system`).
    Any,
    /// At most one, first: all system/developer messages are merged, in order, into one
    /// leading system message.
    MergeLeading,
}

/// Where a provider's model list comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ModelsSource {
    /// `GET <path>` returning an OpenAI model list; `fallback` is served if it fails.
    Listed {
        /// Path and query, appended to the base URL.
        path: &'static str,
        /// The documented models, used when the endpoint fails.
        fallback: &'static [&'static str],
    },
    /// No endpoint: the documented list.
    Static(&'static [&'static str]),
}

/// How a provider generates images.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ImageApi {
    /// OpenAI-like `POST /images/generations` with `width`/`height`/`response_extension`,
    /// answering `b64_json` (SECRY).
    SecryJson,
    /// `GET /v1/imagine?prompt&size=W:H&seed&model` answering PNG bytes (airforce).
    AirforceImagine,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_round_trip() {
        for p in ProviderId::ALL {
            assert_eq!(ProviderId::parse(p.as_str()), Some(p));
            assert_eq!(p.spec().provider(), p);
        }
        assert_eq!(
            ProviderId::parse("GEMINI-PROXY"),
            Some(ProviderId::GeminiProxy)
        );
        assert!(ProviderId::parse("anthropic").is_none());
        assert_eq!(ProviderId::parse_or_404("x").unwrap_err().status(), 404);
    }
}

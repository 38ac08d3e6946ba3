//! The chat completion: a non-streamed answer.

use super::lenient::{StringOrNull, lossless, string_enum};
use super::{Extra, Message};
use alloc::string::String;
use alloc::vec::Vec;
use serde::Serialize;
use serde_json::Value;

string_enum! {
    /// Why generation stopped, normalized. A provider's own spelling is kept in
    /// `native_finish_reason` beside it when it differs.
    FinishReason {
        /// A natural stop or a stop sequence.
        Stop = "stop",
        /// The token limit.
        Length = "length",
        /// The model called tools.
        ToolCalls = "tool_calls",
        /// A content filter removed output.
        ContentFilter = "content_filter",
        /// The provider failed during generation.
        Error = "error",
    }
}

/// A complete answer.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ChatCompletion {
    /// Completion id.
    pub id: String,
    /// Always `chat.completion`.
    pub object: String,
    /// Unix seconds.
    pub created: u64,
    /// The model that answered.
    pub model: String,
    /// The answers (one unless `n` > 1).
    pub choices: Vec<Choice>,
    /// Token counts.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub usage: Option<Usage>,
    /// Backend configuration fingerprint.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub system_fingerprint: Option<String>,
    /// Fields this version does not model.
    #[serde(flatten)]
    pub extra: Extra,
}

lossless! {
    ChatCompletion {
        id | StringOrNull = Default::default(),
        object = completion_object(),
        created = Default::default(),
        model | StringOrNull = Default::default(),
        choices,
        usage = None,
        system_fingerprint = None,
    }
}

fn completion_object() -> String {
    String::from("chat.completion")
}

impl ChatCompletion {
    /// The first choice's text, or `""`.
    pub fn text(&self) -> String {
        self.choices
            .first()
            .map(|c| c.message.text_content())
            .unwrap_or_default()
    }
}

/// One answer of a completion.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Choice {
    /// Position among the choices.
    pub index: u32,
    /// The assistant message.
    pub message: Message,
    /// Why generation stopped.
    pub finish_reason: Option<FinishReason>,
    /// The provider's own finish reason, when it differs from the normalized one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub native_finish_reason: Option<String>,
    /// Log probabilities, passed through.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub logprobs: Option<Value>,
    /// Fields this version does not model.
    #[serde(flatten)]
    pub extra: Extra,
}

lossless! {
    Choice {
        index = Default::default(),
        message,
        finish_reason = None,
        native_finish_reason = None,
        logprobs = None,
    }
}

/// Token counts.
#[derive(Debug, Clone, PartialEq, Default, Serialize)]
pub struct Usage {
    /// Tokens in the prompt.
    pub prompt_tokens: u64,
    /// Tokens generated.
    pub completion_tokens: u64,
    /// Their sum.
    pub total_tokens: u64,
    /// Fields this version does not model (e.g. token details).
    #[serde(flatten)]
    pub extra: Extra,
}

lossless! {
    Usage {
        prompt_tokens = Default::default(),
        completion_tokens = Default::default(),
        total_tokens = Default::default(),
    }
}

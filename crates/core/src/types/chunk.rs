//! The streamed chunk: one `chat.completion.chunk` event.

use super::lenient::{StringOrNull, lossless};
use super::{Extra, FinishReason, Role, Usage};
use alloc::string::String;
use alloc::vec::Vec;
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// One event of a streamed answer.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ChatCompletionChunk {
    /// Completion id, the same on every chunk of a stream.
    pub id: String,
    /// Always `chat.completion.chunk`.
    pub object: String,
    /// Unix seconds.
    pub created: u64,
    /// The model that answers.
    pub model: String,
    /// Deltas; empty on the final usage chunk.
    pub choices: Vec<ChunkChoice>,
    /// Token counts, on the final chunk when `include_usage` was asked.
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
    ChatCompletionChunk {
        id | StringOrNull = Default::default(),
        object = chunk_object(),
        created = Default::default(),
        model | StringOrNull = Default::default(),
        choices = Default::default(),
        usage = None,
        system_fingerprint = None,
    }
}

impl ChatCompletionChunk {
    /// A chunk of `choices` with OpenAI's `object` and no usage, fingerprint or other
    /// fields (what the core and the gateway synthesize).
    pub fn new(id: String, created: u64, model: String, choices: Vec<ChunkChoice>) -> Self {
        ChatCompletionChunk {
            id,
            object: chunk_object(),
            created,
            model,
            choices,
            usage: None,
            system_fingerprint: None,
            extra: Extra::new(),
        }
    }
}

pub(crate) fn chunk_object() -> String {
    String::from("chat.completion.chunk")
}

/// The delta of one choice.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ChunkChoice {
    /// Which choice this delta extends.
    pub index: u32,
    /// What was added.
    pub delta: Delta,
    /// Set on the choice's last chunk.
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
    ChunkChoice {
        index = Default::default(),
        delta = Default::default(),
        finish_reason = None,
        native_finish_reason = None,
        logprobs = None,
    }
}

impl ChunkChoice {
    /// Choice `index` adding `delta`, ending with `finish_reason` if given; no native
    /// reason, log probabilities or other fields.
    pub fn new(index: u32, delta: Delta, finish_reason: Option<FinishReason>) -> Self {
        ChunkChoice {
            index,
            delta,
            finish_reason,
            native_finish_reason: None,
            logprobs: None,
            extra: Extra::new(),
        }
    }
}

/// Text and tool-call fragments added by one chunk.
#[derive(Debug, Clone, PartialEq, Default, Serialize)]
pub struct Delta {
    /// Set on the first chunk.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub role: Option<Role>,
    /// Text added.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub content: Option<String>,
    /// Tool-call fragments, merged by `index`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tool_calls: Option<Vec<ToolCallDelta>>,
    /// Fields this version does not model (e.g. `reasoning_content`).
    #[serde(flatten)]
    pub extra: Extra,
}

lossless! {
    Delta {
        role = None,
        content = None,
        tool_calls = None,
    }
}

/// A fragment of one tool call. The first fragment of a call carries its id and name.
#[derive(Debug, Clone, PartialEq, Default, Serialize)]
pub struct ToolCallDelta {
    /// Which call this fragment extends.
    pub index: u32,
    /// Call id (first fragment).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// `function` (first fragment).
    #[serde(rename = "type", skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
    /// Name and argument text.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub function: Option<FunctionCallDelta>,
    /// Fields this version does not model.
    #[serde(flatten)]
    pub extra: Extra,
}

lossless! {
    ToolCallDelta {
        index = Default::default(),
        id = None,
        kind("type") = None,
        function = None,
    }
}

/// A fragment of a function call.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct FunctionCallDelta {
    /// Function name (first fragment).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Argument text to append.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub arguments: Option<String>,
}

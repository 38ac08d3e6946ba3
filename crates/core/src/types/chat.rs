//! The chat request: what a caller sends to `/chat/completions`.

use super::Extra;
use super::lenient::{lossless, string_enum, string_or};
use alloc::string::String;
use alloc::vec::Vec;
use serde::{Deserialize, Serialize};
use serde_json::Value;

string_enum! {
    /// Who wrote a message.
    Role {
        /// Instructions from the application.
        System = "system",
        /// Instructions from the developer (newer OpenAI name for `system`).
        Developer = "developer",
        /// The end user.
        User = "user",
        /// The model.
        Assistant = "assistant",
        /// The result of a tool call.
        Tool = "tool",
    }
}

impl Role {
    /// Whether this role carries instructions (`system` or `developer`).
    pub fn is_instruction(&self) -> bool {
        matches!(self, Role::System | Role::Developer)
    }
}

/// One chat request, in the OpenAI shape, with the common extensions (`top_k`).
#[derive(Debug, Clone, PartialEq, Default, Serialize)]
pub struct ChatRequest {
    /// `provider/model`, an alias, or (towards a provider) the provider's model id.
    pub model: String,
    /// The conversation so far.
    pub messages: Vec<Message>,
    /// Upper bound on generated tokens.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_tokens: Option<u64>,
    /// Newer OpenAI name for `max_tokens`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_completion_tokens: Option<u64>,
    /// Sampling temperature, 0 to 2.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub temperature: Option<f64>,
    /// Nucleus sampling mass, 0 to 1.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub top_p: Option<f64>,
    /// Top-k sampling (not OpenAI; some providers take it).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub top_k: Option<u64>,
    /// Stop sequences.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stop: Option<Stop>,
    /// Sampling seed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub seed: Option<i64>,
    /// Number of choices to generate.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub n: Option<u32>,
    /// Presence penalty, -2 to 2.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub presence_penalty: Option<f64>,
    /// Frequency penalty, -2 to 2.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub frequency_penalty: Option<f64>,
    /// `{"type": "json_object"}` and friends.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub response_format: Option<ResponseFormat>,
    /// Functions the model may call.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tools: Option<Vec<Tool>>,
    /// How the model picks a tool.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tool_choice: Option<ToolChoice>,
    /// Stream the answer as server-sent events.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stream: Option<bool>,
    /// Stream options (`include_usage`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stream_options: Option<StreamOptions>,
    /// Fields this version does not model.
    #[serde(flatten)]
    pub extra: Extra,
}

lossless! {
    ChatRequest {
        model = Default::default(),
        messages,
        max_tokens = None,
        max_completion_tokens = None,
        temperature = None,
        top_p = None,
        top_k = None,
        stop = None,
        seed = None,
        n = None,
        presence_penalty = None,
        frequency_penalty = None,
        response_format = None,
        tools = None,
        tool_choice = None,
        stream = None,
        stream_options = None,
    }
}

impl ChatRequest {
    /// Whether the caller asked for a stream.
    pub fn is_stream(&self) -> bool {
        self.stream == Some(true)
    }

    /// Whether the caller asked for a final usage chunk in the stream.
    pub fn wants_stream_usage(&self) -> bool {
        self.stream_options
            .as_ref()
            .and_then(|o| o.include_usage)
            .unwrap_or(false)
    }
}

/// One message of the conversation. Kept flat (not tagged by role) so that any
/// role, known or not, decodes.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Message {
    /// Who wrote it.
    pub role: Role,
    /// Text or parts; `null` for an assistant turn that only calls tools.
    pub content: Option<Content>,
    /// Optional participant name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Tool calls made by an assistant turn.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tool_calls: Option<Vec<ToolCall>>,
    /// The call a `tool` message answers.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tool_call_id: Option<String>,
    /// Fields this version does not model (e.g. `refusal`, `reasoning_content`).
    #[serde(flatten)]
    pub extra: Extra,
}

lossless! {
    Message {
        role,
        content = None,
        name = None,
        tool_calls = None,
        tool_call_id = None,
    }
}

impl Message {
    /// A message with text content.
    pub fn text(role: Role, text: impl Into<String>) -> Self {
        Message {
            role,
            content: Some(Content::Text(text.into())),
            name: None,
            tool_calls: None,
            tool_call_id: None,
            extra: Extra::new(),
        }
    }

    /// The text of this message: the string, or its text parts joined.
    pub fn text_content(&self) -> String {
        match &self.content {
            None => String::new(),
            Some(c) => c.to_text(),
        }
    }
}

/// Message content: a plain string or a list of parts.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(untagged)]
pub enum Content {
    /// Plain text.
    Text(String),
    /// Text and image parts.
    Parts(Vec<ContentPart>),
}

string_or!(
    Content,
    "a string or an array of parts",
    |s: &str| Content::Text(s.into()),
    seq => Content::Parts
);

impl Content {
    /// The text, with text parts joined by newlines; image parts are skipped.
    pub fn to_text(&self) -> String {
        match self {
            Content::Text(s) => s.clone(),
            Content::Parts(parts) => {
                let mut out = String::new();
                for text in parts.iter().filter_map(|p| p.text.as_deref()) {
                    if !out.is_empty() {
                        out.push('\n');
                    }
                    out.push_str(text);
                }
                out
            }
        }
    }

    /// Whether any part is not plain text (an image, audio, a file...).
    pub fn has_non_text_parts(&self) -> bool {
        match self {
            Content::Text(_) => false,
            Content::Parts(parts) => parts.iter().any(|p| p.kind != "text"),
        }
    }
}

/// One part of a multi-part message. Flat, so unknown part types survive.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ContentPart {
    /// `text`, `image_url`, or a type this version does not know.
    #[serde(rename = "type")]
    pub kind: String,
    /// The text of a `text` part.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
    /// The image of an `image_url` part.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub image_url: Option<ImageUrl>,
    /// Fields this version does not model.
    #[serde(flatten)]
    pub extra: Extra,
}

lossless! {
    ContentPart {
        kind("type"),
        text = None,
        image_url = None,
    }
}

/// An image reference: an `https:` or `data:` URL.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ImageUrl {
    /// The URL.
    pub url: String,
    /// `auto`, `low` or `high`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
    /// Fields this version does not model.
    #[serde(flatten)]
    pub extra: Extra,
}

lossless! {
    ImageUrl {
        url,
        detail = None,
    }
}

/// A tool call made by the model.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ToolCall {
    /// Call id, echoed back in the `tool` message.
    pub id: String,
    /// Always `function` today.
    #[serde(rename = "type")]
    pub kind: String,
    /// The function and its JSON arguments.
    pub function: FunctionCall,
    /// Fields this version does not model.
    #[serde(flatten)]
    pub extra: Extra,
}

lossless! {
    ToolCall {
        id = Default::default(),
        kind("type") = function_kind(),
        function,
    }
}

pub(crate) fn function_kind() -> String {
    String::from("function")
}

/// A function name and its arguments as a JSON string.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct FunctionCall {
    /// Function name.
    #[serde(default)]
    pub name: String,
    /// Arguments, a JSON document as text.
    #[serde(default)]
    pub arguments: String,
}

/// A tool the model may call.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Tool {
    /// Always `function` today.
    #[serde(rename = "type")]
    pub kind: String,
    /// The function's signature.
    pub function: FunctionDef,
    /// Fields this version does not model.
    #[serde(flatten)]
    pub extra: Extra,
}

lossless! {
    Tool {
        kind("type") = function_kind(),
        function,
    }
}

/// A function's name, description and JSON-schema parameters.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FunctionDef {
    /// Function name.
    pub name: String,
    /// What it does.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// JSON schema of its arguments.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub parameters: Option<Value>,
    /// Fields this version does not model (e.g. `strict`).
    #[serde(flatten)]
    pub extra: Extra,
}

lossless! {
    FunctionDef {
        name,
        description = None,
        parameters = None,
    }
}

string_enum! {
    /// `tool_choice` as a string.
    ToolChoiceMode {
        /// The model decides.
        Auto = "auto",
        /// No tool calls.
        None = "none",
        /// At least one tool call.
        Required = "required",
    }
}

/// `tool_choice`: a mode, or one named function.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(untagged)]
pub enum ToolChoice {
    /// `"auto"`, `"none"`, `"required"`.
    Mode(ToolChoiceMode),
    /// `{"type":"function","function":{"name":...}}`.
    Named(NamedToolChoice),
}

string_or!(
    ToolChoice,
    "a mode or a named function",
    |s: &str| ToolChoice::Mode(ToolChoiceMode::parse(s)),
    map => ToolChoice::Named
);

/// A forced call of one named function.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NamedToolChoice {
    /// Always `function` today.
    #[serde(rename = "type", default = "function_kind")]
    pub kind: String,
    /// The function to call.
    pub function: NamedFunction,
}

/// The name of a forced function.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NamedFunction {
    /// Function name.
    pub name: String,
}

/// Stop sequences: one string or several.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(untagged)]
pub enum Stop {
    /// One sequence.
    One(String),
    /// Several sequences.
    Many(Vec<String>),
}

string_or!(
    Stop,
    "a string or an array of strings",
    |s: &str| Stop::One(s.into()),
    seq => Stop::Many
);

/// `response_format`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ResponseFormat {
    /// `text`, `json_object`, `json_schema`.
    #[serde(rename = "type")]
    pub kind: String,
    /// Fields this version does not model (e.g. `json_schema`).
    #[serde(flatten)]
    pub extra: Extra,
}

lossless! {
    ResponseFormat {
        kind("type"),
    }
}

/// `stream_options`.
#[derive(Debug, Clone, PartialEq, Default, Serialize)]
pub struct StreamOptions {
    /// Send a final chunk with token usage.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub include_usage: Option<bool>,
    /// Fields this version does not model.
    #[serde(flatten)]
    pub extra: Extra,
}

lossless! {
    StreamOptions {
        include_usage = None,
    }
}

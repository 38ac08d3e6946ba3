//! The OpenAI wire shapes, lenient and lossless.
//!
//! Every struct keeps the fields it does not know in an `extra` map that is written
//! back on encode, and every enum that a provider may extend has an `Unknown(String)`
//! arm, so a new field or value from a provider never breaks a caller.

mod audio;
mod chat;
mod chunk;
mod completion;
mod error_body;
mod files;
mod images;
pub(crate) mod lenient;
mod models;

pub use audio::SpeechRequest;
pub use chat::{
    ChatRequest, Content, ContentPart, FunctionCall, FunctionDef, ImageUrl, Message, NamedFunction,
    NamedToolChoice, ResponseFormat, Role, Stop, StreamOptions, Tool, ToolCall, ToolChoice,
    ToolChoiceMode,
};
pub use chunk::{ChatCompletionChunk, ChunkChoice, Delta, FunctionCallDelta, ToolCallDelta};
pub use completion::{ChatCompletion, Choice, FinishReason, Usage};
pub use error_body::{ErrorBody, ErrorObject};
pub use files::{FileDeleted, FileList, FileObject};
pub use images::{ImageData, ImageRequest, ImageResponse};
pub use models::{Model, ModelList};

/// Fields a struct does not model, kept verbatim and written back on encode.
pub type Extra = serde_json::Map<alloc::string::String, serde_json::Value>;

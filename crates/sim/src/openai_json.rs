//! Serialized OpenAI `chat.completion` bodies and `chat.completion.chunk` events, written
//! straight from borrowed data (no intermediate `serde_json::Value`: this is the hot path).

use axum::body::Bytes;
use serde::Serialize;
use serde_json::Value;

/// Token counts.
#[derive(Serialize, Clone, Copy)]
pub struct Usage {
    /// Prompt words.
    pub prompt_tokens: usize,
    /// Answer tokens.
    pub completion_tokens: usize,
    /// Their sum.
    pub total_tokens: usize,
}

/// A function call made by the model.
#[derive(Serialize)]
pub struct ToolCall<'a> {
    /// Present in the first stream delta and in full answers.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub index: Option<u32>,
    /// `call_…`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<&'a str>,
    /// Always `function`.
    #[serde(rename = "type", skip_serializing_if = "Option::is_none")]
    pub kind: Option<&'static str>,
    /// Name and arguments.
    pub function: Function<'a>,
}

/// The called function.
#[derive(Serialize)]
pub struct Function<'a> {
    /// Left out of argument-only deltas.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<&'a str>,
    /// JSON text.
    pub arguments: &'a str,
}

#[derive(Serialize)]
struct Message<'a> {
    role: &'static str,
    content: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    tool_calls: Option<[ToolCall<'a>; 1]>,
}

#[derive(Serialize)]
struct Choice<'a> {
    index: u32,
    message: Message<'a>,
    /// `Some(None)` writes `"logprobs": null`; `None` leaves it out.
    #[serde(skip_serializing_if = "Option::is_none")]
    logprobs: Option<Option<()>>,
    finish_reason: &'a str,
}

#[derive(Serialize)]
struct Completion<'a> {
    id: &'a str,
    object: &'static str,
    created: u64,
    model: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    system_fingerprint: Option<&'a str>,
    choices: [Choice<'a>; 1],
    usage: Usage,
}

/// What every part of one answer shares.
pub struct Head<'a> {
    /// `chatcmpl-…`.
    pub id: &'a str,
    /// Seconds since the epoch.
    pub created: u64,
    /// The model echoed back.
    pub model: &'a str,
    /// airforce's `system_fingerprint` (also turns on `logprobs: null`).
    pub fingerprint: Option<&'a str>,
}

/// A whole non-stream answer.
pub fn completion(
    head: &Head<'_>,
    content: Option<&str>,
    tool_call: Option<(&str, &str, &str)>,
    finish: &str,
    usage: Usage,
) -> Vec<u8> {
    let body = Completion {
        id: head.id,
        object: "chat.completion",
        created: head.created,
        model: head.model,
        system_fingerprint: head.fingerprint,
        choices: [Choice {
            index: 0,
            message: Message {
                role: "assistant",
                content,
                tool_calls: tool_call.map(|(id, name, arguments)| {
                    [ToolCall {
                        index: None,
                        id: Some(id),
                        kind: Some("function"),
                        function: Function {
                            name: Some(name),
                            arguments,
                        },
                    }]
                }),
            },
            logprobs: head.fingerprint.map(|_| None),
            finish_reason: finish,
        }],
        usage,
    };
    serde_json::to_vec(&body).unwrap_or_default()
}

/// The `delta` of one stream chunk.
#[derive(Serialize, Default)]
pub struct Delta<'a> {
    /// `assistant` in the first chunk.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub role: Option<&'static str>,
    /// A piece of the answer.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub content: Option<&'a str>,
    /// A piece of a tool call.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tool_calls: Option<[ToolCall<'a>; 1]>,
}

#[derive(Serialize)]
struct ChunkChoice<'a> {
    index: u32,
    delta: Delta<'a>,
    finish_reason: Option<&'a str>,
}

#[derive(Serialize)]
struct Chunk<'a> {
    id: &'a str,
    object: &'static str,
    created: u64,
    model: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    system_fingerprint: Option<&'a str>,
    choices: Vec<ChunkChoice<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    usage: Option<Usage>,
}

/// `data: <json>\n\n` for any serializable value.
pub fn sse_event<T: Serialize + ?Sized>(value: &T) -> Bytes {
    let mut out = Vec::with_capacity(192);
    out.extend_from_slice(b"data: ");
    // Serializing these types cannot fail; an empty event would show it if it did.
    let _ = serde_json::to_writer(&mut out, value);
    out.extend_from_slice(b"\n\n");
    Bytes::from(out)
}

/// One `chat.completion.chunk` event with a delta (or, with `usage`, the usage-only chunk).
pub fn chunk(
    head: &Head<'_>,
    delta: Option<Delta<'_>>,
    finish: Option<&str>,
    usage: Option<Usage>,
) -> Bytes {
    let choices = match delta {
        Some(delta) => vec![ChunkChoice {
            index: 0,
            delta,
            finish_reason: finish,
        }],
        None => Vec::new(),
    };
    sse_event(&Chunk {
        id: head.id,
        object: "chat.completion.chunk",
        created: head.created,
        model: head.model,
        system_fingerprint: head.fingerprint,
        choices,
        usage,
    })
}

/// The in-stream error event.
pub fn error_event() -> Bytes {
    sse_event(&serde_json::json!({"error": {
        "message": "Simulated error mid-stream", "type": "server_error", "param": Value::Null,
        "code": "server_error"
    }}))
}

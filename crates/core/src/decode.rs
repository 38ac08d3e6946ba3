//! Provider answers in, OpenAI shape out: completions, model lists and errors.
//!
//! Every decoder takes the response head and the whole body and returns either the
//! normalized value or an [`Error`]: an error status becomes [`Error::Api`] whatever
//! the body looks like (OpenAI JSON, `{"error": "text"}`, plain text, an HTML page),
//! and a success status with bytes the dialect does not promise is
//! [`Error::BadResponse`].

use crate::error::{ApiError, Error};
use crate::http::ResponseHead;
use crate::limits::MAX_RAW_ERROR_BYTES;
use crate::provider::{ModelsSource, ProviderId, Wire};
use crate::types::lenient::lossless;
use crate::types::{
    ChatCompletion, Choice, ErrorBody, ErrorObject, Extra, FinishReason, Message, Model, ModelList,
    Role, Usage,
};
use alloc::boxed::Box;
use alloc::format;
use alloc::string::{String, ToString};
use alloc::vec::Vec;
use serde_json::Value;

/// Decodes a chat answer (status, then body in the provider's dialect).
pub fn decode_chat(
    provider: ProviderId,
    head: &ResponseHead,
    body: &[u8],
) -> Result<ChatCompletion, Error> {
    if !head.is_success() {
        return Err(decode_error(provider, head, body));
    }
    let mut completion = match provider.spec().wire {
        Wire::OpenAi => parse_openai(provider, head, body)?,
        Wire::Secton => parse_secton(provider, head, body)?,
    };
    for choice in &mut completion.choices {
        if let Some(reason) = choice.finish_reason.take() {
            let (normalized, native) = normalize_finish(reason);
            choice.finish_reason = Some(normalized);
            if choice.native_finish_reason.is_none() {
                choice.native_finish_reason = native;
            }
        }
    }
    Ok(completion)
}

fn parse_openai(
    provider: ProviderId,
    head: &ResponseHead,
    body: &[u8],
) -> Result<ChatCompletion, Error> {
    match serde_json::from_slice::<ChatCompletion>(body) {
        Ok(c) => Ok(c),
        Err(e) => Err(in_body_error(provider, head, body)
            .unwrap_or_else(|| bad_response(provider, head, body, &e))),
    }
}

/// Secton's answer: the conversation with the reply appended, no `choices`.
struct SectonAnswer {
    model: String,
    messages: Vec<Message>,
    usage: Option<Usage>,
    extra: Extra,
}

lossless! {
    SectonAnswer {
        model = Default::default(),
        messages,
        usage = None,
    }
}

fn parse_secton(
    provider: ProviderId,
    head: &ResponseHead,
    body: &[u8],
) -> Result<ChatCompletion, Error> {
    let answer = match serde_json::from_slice::<SectonAnswer>(body) {
        Ok(a) => a,
        // A Secton that learned `choices` is welcome too.
        Err(e) => {
            return serde_json::from_slice::<ChatCompletion>(body).map_err(|_| {
                in_body_error(provider, head, body)
                    .unwrap_or_else(|| bad_response(provider, head, body, &e))
            });
        }
    };
    let Some(reply) = answer
        .messages
        .into_iter()
        .next_back()
        .filter(|m| m.role == Role::Assistant)
    else {
        return Err(Error::BadResponse {
            message: String::from("answer's 'messages' does not end with an assistant message"),
            provider: Some(provider.to_string()),
        });
    };
    let mut extra = answer.extra;
    // Keys the completion sets itself must not come back from `extra` a second time.
    for key in ["object", "id", "created", "choices", "system_fingerprint"] {
        extra.remove(key);
    }
    Ok(ChatCompletion {
        id: format!("chatcmpl-secton-{:016x}", fnv1a(body)),
        object: String::from("chat.completion"),
        created: head.now,
        model: answer.model,
        choices: alloc::vec![Choice {
            index: 0,
            message: reply,
            finish_reason: Some(FinishReason::Stop),
            native_finish_reason: None,
            logprobs: None,
            extra: Extra::new(),
        }],
        usage: answer.usage,
        system_fingerprint: None,
        extra,
    })
}

/// A stable id from the answer's bytes (Secton gives none).
fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |h, &b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    })
}

/// Maps a provider's finish reason to the five OpenAI values; the provider's own
/// spelling is returned beside it when it differs.
pub fn normalize_finish(reason: FinishReason) -> (FinishReason, Option<String>) {
    let FinishReason::Unknown(raw) = reason else {
        return (reason, None);
    };
    let normalized = match raw.to_ascii_lowercase().as_str() {
        "end_turn" | "stop_sequence" | "eos" | "eos_token" | "complete" | "finished" => {
            FinishReason::Stop
        }
        "max_tokens" | "max_output_tokens" | "token_limit" | "model_length" => FinishReason::Length,
        "tool_use" | "function_call" | "tool_call" => FinishReason::ToolCalls,
        "safety" | "recitation" | "blocklist" | "prohibited_content" | "spii"
        | "content_filtered" => FinishReason::ContentFilter,
        "stop" => FinishReason::Stop,
        "length" => FinishReason::Length,
        _ => FinishReason::Error,
    };
    (normalized, Some(raw))
}

/// A success status whose body is an error object (some providers answer 200 with one).
fn in_body_error(provider: ProviderId, head: &ResponseHead, body: &[u8]) -> Option<Error> {
    let parsed: ErrorBody = serde_json::from_slice(body).ok()?;
    let api = embedded_error(parsed.error, api_error(provider, head, body, 502));
    Some(Error::Api(Box::new(api)))
}

/// An error object sent with a success status (in a body or a stream event) onto
/// `api`: its code is the HTTP status when it is one (400-599), else 502.
pub(crate) fn embedded_error(obj: ErrorObject, mut api: ApiError) -> ApiError {
    api.status = obj
        .code
        .as_deref()
        .and_then(|c| c.parse::<u16>().ok())
        .filter(|s| (400..600).contains(s))
        .unwrap_or(502);
    fill_from_object(&mut api, obj);
    if api.message.is_empty() {
        let provider = api.provider.as_deref().unwrap_or("upstream");
        api.message = format!("provider '{provider}' sent an error object with no message");
    }
    api
}

fn bad_response(
    provider: ProviderId,
    head: &ResponseHead,
    body: &[u8],
    e: &serde_json::Error,
) -> Error {
    let what = if head.is_html() || looks_like_html(body) {
        String::from("an HTML page instead of JSON")
    } else if body.is_empty() {
        String::from("an empty body")
    } else {
        format!("a body that is not a valid answer ({e})")
    };
    Error::BadResponse {
        message: format!("provider '{provider}' returned {what}"),
        provider: Some(provider.to_string()),
    }
}

fn looks_like_html(body: &[u8]) -> bool {
    let start = body
        .iter()
        .position(|b| !b.is_ascii_whitespace())
        .unwrap_or(0);
    body.get(start..start.saturating_add(15)).is_some_and(|s| {
        let s = s.to_ascii_lowercase();
        s.starts_with(b"<!doctype html") || s.starts_with(b"<html")
    })
}

/// Decodes an error answer, whatever its body.
pub fn decode_error(provider: ProviderId, head: &ResponseHead, body: &[u8]) -> Error {
    let status = if head.is_success() { 502 } else { head.status };
    let mut api = api_error(provider, head, body, status);
    if let Ok(parsed) = serde_json::from_slice::<Value>(body) {
        match parsed {
            Value::Object(mut map) => match map.remove("error") {
                Some(Value::Object(obj)) => {
                    if let Some(obj) = ErrorObject::of_map(obj) {
                        fill_from_object(&mut api, obj);
                    }
                }
                Some(Value::String(s)) => api.message = s,
                _ => {
                    for key in ["message", "detail", "error_message", "msg"] {
                        if let Some(Value::String(s)) = map.remove(key) {
                            api.message = s;
                            break;
                        }
                    }
                }
            },
            Value::String(s) => api.message = s,
            _ => {}
        }
    } else if head.is_html() || looks_like_html(body) {
        api.message = format!("provider '{provider}' returned an HTML error page");
    } else if let Ok(text) = core::str::from_utf8(body) {
        api.message = String::from(truncate(text.trim(), 500));
    }
    if api.message.is_empty() {
        api.message = format!("provider '{provider}' answered with status {status}");
    }
    Error::Api(Box::new(api))
}

fn api_error(provider: ProviderId, head: &ResponseHead, body: &[u8], status: u16) -> ApiError {
    ApiError {
        status,
        retry_after: head.retry_after_secs(),
        provider: Some(provider.to_string()),
        request_id: head.request_id.clone(),
        raw: (!body.is_empty()).then(|| {
            let cut = body.len().min(MAX_RAW_ERROR_BYTES);
            String::from_utf8_lossy(body.get(..cut).unwrap_or_default()).into_owned()
        }),
        ..ApiError::default()
    }
}

fn fill_from_object(api: &mut ApiError, obj: ErrorObject) {
    api.message = obj.message;
    api.kind = obj.kind;
    api.param = obj.param;
    api.code = obj.code;
}

/// Cuts a string to at most `max` bytes at a character boundary.
pub(crate) fn truncate(s: &str, max: usize) -> &str {
    if s.len() <= max {
        return s;
    }
    let mut end = max;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    s.get(..end).unwrap_or_default()
}

/// Decodes a model list; ids are left as the provider spells them.
pub fn decode_models(
    provider: ProviderId,
    head: &ResponseHead,
    body: &[u8],
) -> Result<ModelList, Error> {
    if !head.is_success() {
        return Err(decode_error(provider, head, body));
    }
    // Some providers answer a bare array.
    match serde_json::from_slice::<ModelList>(body) {
        Ok(list) => Ok(list),
        Err(e) => match serde_json::from_slice::<Vec<Model>>(body) {
            Ok(data) => Ok(ModelList {
                data,
                ..ModelList::default()
            }),
            Err(_) => Err(bad_response(provider, head, body, &e)),
        },
    }
}

/// The documented models of a provider: its static list, or the fallback served when
/// its models endpoint fails.
pub fn documented_models(provider: ProviderId) -> ModelList {
    let ids = match provider.spec().models {
        ModelsSource::Static(ids) => ids,
        ModelsSource::Listed { fallback, .. } => fallback,
    };
    ModelList {
        data: ids
            .iter()
            .map(|id| Model::new(*id, provider.as_str()))
            .collect(),
        ..ModelList::default()
    }
}

/// Renames every model `provider/id`, as the gateway lists them.
pub fn prefix_models(provider: ProviderId, list: &mut ModelList) {
    for m in &mut list.data {
        m.id = format!("{provider}/{}", m.id);
        if m.owned_by.is_empty() {
            m.owned_by = provider.to_string();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn documented_models_are_a_prefixed_list() {
        let mut list = documented_models(ProviderId::GeminiProxy);
        prefix_models(ProviderId::GeminiProxy, &mut list);
        assert_eq!(list.object, "list");
        assert_eq!(list.data[0].id, "gemini-proxy/gemini-2.5-flash");
        assert_eq!(list.data.len(), 3);
    }

    #[test]
    fn truncate_respects_char_boundaries() {
        assert_eq!(truncate("h\u{e9}llo", 2), "h");
        assert_eq!(truncate("abc", 5), "abc");
    }
}

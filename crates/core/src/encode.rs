//! Chat requests, OpenAI shape in, provider dialect out.
//!
//! [`encode_chat`] validates the caller's request, applies the target provider's
//! parameter table (send, drop or refuse each field), arranges messages the way the
//! provider wants them, and returns the HTTP request to send. The caller adds the key.

use crate::error::Error;
use crate::http::{HttpRequest, ResponseKind};
use crate::limits::Limits;
use crate::provider::{Action, ProviderSpec, Streaming, SystemRule};
use crate::route::Target;
use crate::types::{ChatRequest, Content, Message, Role, ToolChoice, ToolChoiceMode};
use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;

/// Builds the provider request for a chat completion.
pub fn encode_chat(
    target: &Target,
    req: &ChatRequest,
    limits: &Limits,
) -> Result<HttpRequest, Error> {
    validate(req, limits)?;
    let spec = target.provider.spec();
    let stream = req.is_stream();
    let mut out = ChatRequest {
        model: if target.model.is_empty() {
            String::from(spec.default_model.unwrap_or_default())
        } else {
            target.model.clone()
        },
        messages: arrange_messages(spec, &req.messages)?,
        ..ChatRequest::default()
    };
    apply_params(spec, req, &mut out)?;
    let response = match (stream, spec.streaming) {
        (false, _) => ResponseKind::Json,
        (true, Streaming::Native) => {
            out.stream = Some(true);
            ResponseKind::Sse
        }
        (true, Streaming::Fake) => ResponseKind::FakeStream,
    };
    if response != ResponseKind::Sse {
        out.stream_options = None;
    }
    let body = serde_json::to_vec(&out)
        .map_err(|e| Error::invalid(format!("request cannot be encoded: {e}"), None))?;
    if body.len() > limits.max_request_bytes {
        return Err(Error::TooLarge {
            what: "request body",
            limit: limits.max_request_bytes as u64,
        });
    }
    Ok(HttpRequest::post_json(
        String::from(spec.chat_path),
        body,
        response,
    ))
}

/// Checks what every provider requires: messages present, numbers in range, roles known.
pub fn validate(req: &ChatRequest, limits: &Limits) -> Result<(), Error> {
    if req.messages.is_empty() {
        return Err(Error::invalid(
            "'messages' must not be empty",
            Some("messages"),
        ));
    }
    if req.messages.len() > limits.max_messages {
        return Err(Error::invalid(
            format!(
                "'messages' holds more than {} messages",
                limits.max_messages
            ),
            Some("messages"),
        ));
    }
    range(req.temperature, 0.0, 2.0, "temperature")?;
    range(req.top_p, 0.0, 1.0, "top_p")?;
    range(req.presence_penalty, -2.0, 2.0, "presence_penalty")?;
    range(req.frequency_penalty, -2.0, 2.0, "frequency_penalty")?;
    if req.n.is_some_and(|n| !(1..=128).contains(&n)) {
        return Err(Error::invalid("'n' must be between 1 and 128", Some("n")));
    }
    for (field, value) in [
        ("max_tokens", req.max_tokens),
        ("max_completion_tokens", req.max_completion_tokens),
    ] {
        if value == Some(0) {
            return Err(Error::invalid(
                format!("'{field}' must be at least 1"),
                Some(field),
            ));
        }
    }
    for (i, m) in req.messages.iter().enumerate() {
        let param = || Some(format!("messages[{i}]"));
        let fail = |what: &str| Error::InvalidRequest {
            message: format!("messages[{i}]: {what}"),
            param: param(),
            code: "invalid_request",
        };
        match &m.role {
            Role::Unknown(r) => return Err(fail(&format!("unknown role '{r}'"))),
            Role::Tool if m.tool_call_id.as_deref().unwrap_or_default().is_empty() => {
                return Err(fail("a 'tool' message needs 'tool_call_id'"));
            }
            Role::Assistant => {}
            _ if m.content.is_none() => return Err(fail("'content' is required")),
            _ => {}
        }
        if m.role == Role::Assistant && m.content.is_none() && m.tool_calls.is_none() {
            return Err(fail("an assistant message needs 'content' or 'tool_calls'"));
        }
    }
    Ok(())
}

fn range(value: Option<f64>, lo: f64, hi: f64, field: &str) -> Result<(), Error> {
    match value {
        Some(v) if !(lo..=hi).contains(&v) => Err(Error::invalid(
            format!("'{field}' must be between {lo} and {hi}"),
            Some(field),
        )),
        _ => Ok(()),
    }
}

/// Applies the provider's message rules: `developer` becomes `system`, system
/// messages are merged where the provider wants one, and content the provider cannot
/// take (images, tool turns) is refused rather than silently lost.
fn arrange_messages(spec: &ProviderSpec, messages: &[Message]) -> Result<Vec<Message>, Error> {
    let mut out = Vec::with_capacity(messages.len());
    let mut system: Option<String> = None;
    for m in messages {
        let mut m = m.clone();
        if m.role == Role::Developer && spec.legacy_names {
            m.role = Role::System;
        }
        if let Some(content) = &m.content {
            if content.has_non_text_parts() && !spec.vision {
                return Err(Error::unsupported(
                    spec.id,
                    "messages[].content[].image_url",
                ));
            }
            if !spec.vision {
                // Text parts only: send the plain string every provider understands.
                m.content = Some(Content::Text(content.to_text()));
            }
        }
        if spec.params.tools == Action::Reject && (m.role == Role::Tool || m.tool_calls.is_some()) {
            return Err(Error::unsupported(spec.id, "tool messages"));
        }
        if spec.system == SystemRule::MergeLeading && m.role == Role::System {
            let text = m.text_content();
            match &mut system {
                Some(s) => {
                    s.push_str("\n\n");
                    s.push_str(&text);
                }
                None => system = Some(text),
            }
            continue;
        }
        out.push(m);
    }
    if let Some(text) = system {
        out.insert(0, Message::text(Role::System, text));
    }
    if out.is_empty() {
        return Err(Error::invalid(
            "'messages' holds only system messages",
            Some("messages"),
        ));
    }
    Ok(out)
}

/// Copies each optional parameter according to the provider's table.
fn apply_params(
    spec: &ProviderSpec,
    req: &ChatRequest,
    out: &mut ChatRequest,
) -> Result<(), Error> {
    let p = &spec.params;
    let keep = |action: Action, present: bool, name: &str| -> Result<bool, Error> {
        match (action, present) {
            (_, false) | (Action::Drop, true) => Ok(false),
            (Action::Send, true) => Ok(true),
            (Action::Reject, true) => Err(Error::unsupported(spec.id, name)),
        }
    };
    if spec.legacy_names {
        let max_tokens = req.max_tokens.or(req.max_completion_tokens);
        if keep(p.max_tokens, max_tokens.is_some(), "max_tokens")? {
            out.max_tokens = max_tokens;
        }
    } else if keep(p.max_tokens, true, "max_tokens")? {
        out.max_tokens = req.max_tokens;
        out.max_completion_tokens = req.max_completion_tokens;
    }
    if keep(p.temperature, req.temperature.is_some(), "temperature")? {
        out.temperature = req.temperature;
    }
    if keep(p.top_p, req.top_p.is_some(), "top_p")? {
        out.top_p = req.top_p;
    }
    if keep(p.top_k, req.top_k.is_some(), "top_k")? {
        out.top_k = req.top_k;
    }
    if keep(p.stop, req.stop.is_some(), "stop")? {
        out.stop = req.stop.clone();
    }
    if keep(p.seed, req.seed.is_some(), "seed")? {
        out.seed = req.seed;
    }
    if keep(p.n, req.n.is_some_and(|n| n > 1), "n")? {
        out.n = req.n;
    }
    let penalties = req.presence_penalty.is_some() || req.frequency_penalty.is_some();
    if keep(p.penalties, penalties, "presence_penalty")? {
        out.presence_penalty = req.presence_penalty;
        out.frequency_penalty = req.frequency_penalty;
    }
    if keep(
        p.response_format,
        req.response_format.is_some(),
        "response_format",
    )? {
        out.response_format = req.response_format.clone();
    }
    let tools = req.tools.as_ref().is_some_and(|t| !t.is_empty());
    if keep(p.tools, tools || req.tool_choice.is_some(), "tools")? {
        out.tools = req.tools.clone().filter(|t| !t.is_empty());
        out.tool_choice = req.tool_choice.clone();
        let required = matches!(
            req.tool_choice,
            Some(ToolChoice::Mode(ToolChoiceMode::Required))
        );
        if required && !spec.tool_choice_required {
            return Err(Error::InvalidRequest {
                message: format!(
                    "provider '{}' does not support tool_choice 'required'",
                    spec.id
                ),
                param: Some(String::from("tool_choice")),
                code: "unsupported_parameter",
            });
        }
    }
    if keep(
        p.stream_options,
        req.stream_options.is_some(),
        "stream_options",
    )? {
        out.stream_options = req.stream_options.clone();
    }
    if let Some(name) = req.extra.keys().next()
        && keep(p.unknown, true, name)?
    {
        out.extra = req.extra.clone();
    }
    Ok(())
}

//! The OpenAI-shaped chat engine shared by SECRY, airforce, Siraya and the Gemini proxy:
//! request checks, the deterministic reply rules, and the JSON and SSE bodies.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use axum::body::Bytes;
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use serde_json::{Map, Value};

use crate::faults::{Faults, sse_response, stream_plan};
use crate::hash::fnv1a64;
use crate::openai_json::{self, Delta, Function, Head, ToolCall, Usage, chunk, error_event};
use crate::provider::{Provider, json_bytes_response};
use crate::state::AppState;

/// Header that sets the number of content chunks of one stream.
pub const CHUNKS_HEADER: &str = "x-sim-stream-chunks";
/// Header that sets the delay between stream events of one request, in milliseconds.
pub const DELAY_HEADER: &str = "x-sim-chunk-delay-ms";
/// Largest N of a `count to N` message.
const MAX_COUNT: u64 = 100_000;

/// One message, reduced to what the reply rules need.
#[derive(Debug)]
pub struct Message {
    /// `system`, `developer`, `user`, `assistant`, `tool` or `function`.
    pub role: String,
    /// Text parts joined by spaces, `[image]` for each image part.
    pub text: String,
}

/// How the caller steers tool use.
#[derive(Debug, PartialEq, Eq)]
pub enum ToolChoice {
    /// Call a tool named in the last user message (the default).
    Auto,
    /// Never call a tool.
    None,
    /// Always call a tool.
    Required,
    /// Always call this tool.
    Named(String),
}

/// A checked chat request.
#[derive(Debug)]
pub struct ChatRequest {
    /// The whole JSON object.
    pub raw: Map<String, Value>,
    /// `model`, or the provider's default.
    pub model: String,
    /// The messages.
    pub messages: Vec<Message>,
    /// `stream`.
    pub stream: bool,
    /// `max_tokens` (or `max_completion_tokens`).
    pub max_tokens: Option<u64>,
    /// Names of the declared function tools.
    pub tools: Vec<String>,
    /// `tool_choice`.
    pub tool_choice: ToolChoice,
    /// `stream_options.include_usage`.
    pub include_usage: bool,
}

/// Per-provider differences in the engine.
#[derive(Clone, Debug)]
pub struct Flavor {
    /// Whose error shape to use.
    pub provider: Provider,
    /// Model used when the request names none; `None` makes `model` required.
    pub default_model: Option<&'static str>,
    /// A trailing assistant message is continued (Siraya).
    pub prefill: bool,
    /// `finish:content_filter` / `finish:error` in the user text pick those finish reasons.
    pub finish_triggers: bool,
    /// Honour `stream_options.include_usage` with a usage chunk.
    pub stream_usage: bool,
    /// `system_fingerprint` and `logprobs: null`, as airforce shows them.
    pub fingerprint: Option<String>,
    /// `max_tokens` when the request gives none.
    pub default_max_tokens: Option<u64>,
}

/// A request-level error: status and message.
pub type Reject = (StatusCode, String);

fn bad(msg: impl Into<String>) -> Reject {
    (StatusCode::BAD_REQUEST, msg.into())
}

/// Parses and checks a chat body.
pub fn parse(body: &[u8], flavor: &Flavor) -> Result<ChatRequest, Reject> {
    let value: Value =
        serde_json::from_slice(body).map_err(|e| bad(format!("Invalid JSON body: {e}")))?;
    let Value::Object(raw) = value else {
        return Err(bad("Request body must be a JSON object"));
    };
    let model = match raw.get("model") {
        Some(Value::String(m)) if !m.is_empty() => m.clone(),
        None | Some(Value::Null) => match flavor.default_model {
            Some(d) => d.to_string(),
            None => return Err(bad("Missing required parameter: 'model'")),
        },
        _ => return Err(bad("'model' must be a non-empty string")),
    };
    let Some(Value::Array(list)) = raw.get("messages") else {
        return Err(bad("Missing required parameter: 'messages' (an array)"));
    };
    if list.is_empty() {
        return Err(bad("'messages' must not be empty"));
    }
    let messages = list
        .iter()
        .enumerate()
        .map(|(i, m)| parse_message(i, m))
        .collect::<Result<Vec<_>, _>>()?;
    let stream = match raw.get("stream") {
        None | Some(Value::Null) => false,
        Some(Value::Bool(b)) => *b,
        _ => return Err(bad("'stream' must be a boolean")),
    };
    let max_tokens = match raw
        .get("max_tokens")
        .or_else(|| raw.get("max_completion_tokens"))
    {
        None | Some(Value::Null) => None,
        Some(v) => match v.as_u64() {
            Some(n) if n >= 1 => Some(n),
            _ => return Err(bad("'max_tokens' must be a positive integer")),
        },
    };
    for name in ["temperature", "top_p"] {
        if let Some(v) = raw.get(name)
            && !v.is_null()
            && !v.is_number()
        {
            return Err(bad(format!("'{name}' must be a number")));
        }
    }
    let tools = parse_tools(raw.get("tools"))?;
    let tool_choice = parse_tool_choice(raw.get("tool_choice"), &tools)?;
    let include_usage = raw
        .get("stream_options")
        .and_then(|o| o.get("include_usage"))
        .and_then(Value::as_bool)
        .unwrap_or(false);
    Ok(ChatRequest {
        model,
        messages,
        stream,
        max_tokens,
        tools,
        tool_choice,
        include_usage,
        raw,
    })
}

fn parse_message(i: usize, m: &Value) -> Result<Message, Reject> {
    let Some(obj) = m.as_object() else {
        return Err(bad(format!("messages[{i}] must be an object")));
    };
    let role = match obj.get("role").and_then(Value::as_str) {
        Some(r @ ("system" | "developer" | "user" | "assistant" | "tool" | "function")) => r,
        Some(r) => return Err(bad(format!("messages[{i}].role {r:?} is not a valid role"))),
        None => return Err(bad(format!("messages[{i}].role is required"))),
    };
    if role == "tool" && !obj.get("tool_call_id").is_some_and(Value::is_string) {
        return Err(bad(format!(
            "messages[{i}]: a tool message needs 'tool_call_id'"
        )));
    }
    let text = match obj.get("content") {
        None | Some(Value::Null) => {
            if role == "assistant" {
                String::new()
            } else {
                return Err(bad(format!("messages[{i}].content is required")));
            }
        }
        Some(Value::String(s)) => s.clone(),
        Some(Value::Array(parts)) => parts_text(i, parts)?,
        Some(_) => {
            return Err(bad(format!(
                "messages[{i}].content must be a string or an array of parts"
            )));
        }
    };
    Ok(Message {
        role: role.to_string(),
        text,
    })
}

fn parts_text(i: usize, parts: &[Value]) -> Result<String, Reject> {
    let mut out: Vec<String> = Vec::with_capacity(parts.len());
    for (j, part) in parts.iter().enumerate() {
        let kind = part.get("type").and_then(Value::as_str);
        match kind {
            Some("text") => match part.get("text").and_then(Value::as_str) {
                Some(t) => out.push(t.to_string()),
                None => return Err(bad(format!("messages[{i}].content[{j}].text is required"))),
            },
            Some("image_url") => {
                let url = part
                    .get("image_url")
                    .and_then(|u| u.get("url").or(Some(u)))
                    .and_then(Value::as_str);
                if url.is_none() {
                    return Err(bad(format!(
                        "messages[{i}].content[{j}].image_url.url is required"
                    )));
                }
                out.push("[image]".to_string());
            }
            Some(other) => out.push(format!("[{other}]")),
            None => return Err(bad(format!("messages[{i}].content[{j}].type is required"))),
        }
    }
    Ok(out.join(" "))
}

fn parse_tools(tools: Option<&Value>) -> Result<Vec<String>, Reject> {
    let list = match tools {
        None | Some(Value::Null) => return Ok(Vec::new()),
        Some(Value::Array(l)) => l,
        Some(_) => return Err(bad("'tools' must be an array")),
    };
    list.iter()
        .enumerate()
        .map(|(i, t)| {
            t.get("function")
                .and_then(|f| f.get("name"))
                .and_then(Value::as_str)
                .map(str::to_string)
                .ok_or_else(|| bad(format!("tools[{i}].function.name is required")))
        })
        .collect()
}

fn parse_tool_choice(choice: Option<&Value>, tools: &[String]) -> Result<ToolChoice, Reject> {
    Ok(match choice {
        None | Some(Value::Null) => ToolChoice::Auto,
        Some(Value::String(s)) => match s.as_str() {
            "auto" => ToolChoice::Auto,
            "none" => ToolChoice::None,
            "required" => ToolChoice::Required,
            other => return Err(bad(format!("tool_choice {other:?} is not valid"))),
        },
        Some(v) => {
            let name = v
                .get("function")
                .and_then(|f| f.get("name"))
                .and_then(Value::as_str)
                .ok_or_else(|| bad("tool_choice.function.name is required"))?;
            if !tools.iter().any(|t| t == name) {
                return Err(bad(format!("tool_choice names unknown tool {name:?}")));
            }
            ToolChoice::Named(name.to_string())
        }
    })
}

/// What the simulated model answers.
#[derive(Debug)]
pub struct Outcome {
    /// Assistant text (`None` when a tool is called).
    pub content: Option<String>,
    /// `(id, name, arguments)` of a tool call.
    pub tool_call: Option<(String, String, String)>,
    /// Normalized finish reason.
    pub finish: &'static str,
    /// Words across all messages.
    pub prompt_tokens: usize,
    /// Tokens of the answer.
    pub completion_tokens: usize,
}

/// Splits text into tokens: each word with the whitespace before it.
pub fn tokens(s: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let (mut start, mut prev_ws, mut seen_word) = (0, false, false);
    for (i, c) in s.char_indices() {
        let ws = c.is_whitespace();
        if ws && !prev_ws && seen_word {
            out.push(&s[start..i]);
            start = i;
        }
        seen_word |= !ws;
        prev_ws = ws;
    }
    if start < s.len() {
        out.push(&s[start..]);
    }
    out
}

/// `count to N` (case-insensitive, at the start of the text) → `"1 2 … N"`.
pub fn count_to(text: &str) -> Option<String> {
    let t = text.trim();
    let head = t.get(..9)?;
    if !head.eq_ignore_ascii_case("count to ") {
        return None;
    }
    let digits: String = t[9..]
        .trim()
        .chars()
        .take_while(char::is_ascii_digit)
        .collect();
    let n = digits.parse::<u64>().ok()?.min(MAX_COUNT);
    let mut out = String::with_capacity(n as usize * 6);
    for k in 1..=n {
        if k > 1 {
            out.push(' ');
        }
        out.push_str(&k.to_string());
    }
    Some(out)
}

/// The reply to `messages`: a tool result is acknowledged, otherwise the last user message
/// is echoed (or counted, for `count to N`).
fn base_reply(messages: &[Message]) -> String {
    if let Some(m) = messages.last().filter(|m| m.role == "tool") {
        return format!("tool result: {}", m.text);
    }
    let user = messages
        .iter()
        .rev()
        .find(|m| m.role == "user")
        .map_or("", |m| m.text.as_str());
    count_to(user).unwrap_or_else(|| user.to_string())
}

fn tool_arguments(text: &str) -> String {
    if let (Some(a), Some(b)) = (text.find('{'), text.rfind('}'))
        && a < b
        && let Ok(v @ Value::Object(_)) = serde_json::from_str::<Value>(&text[a..=b])
    {
        return v.to_string();
    }
    "{}".to_string()
}

/// Applies the reply rules to a request.
pub fn answer(req: &ChatRequest, flavor: &Flavor) -> Outcome {
    let prompt_tokens = req
        .messages
        .iter()
        .map(|m| m.text.split_whitespace().count())
        .sum();
    let last_user = req
        .messages
        .iter()
        .rev()
        .find(|m| m.role == "user")
        .map_or("", |m| m.text.as_str());
    let after_tool = req.messages.last().is_some_and(|m| m.role == "tool");
    if !req.tools.is_empty() {
        let pick = match &req.tool_choice {
            ToolChoice::None => None,
            ToolChoice::Named(n) => Some(n.clone()),
            ToolChoice::Required => Some(
                req.tools
                    .iter()
                    .find(|t| last_user.contains(t.as_str()))
                    .unwrap_or(&req.tools[0])
                    .clone(),
            ),
            ToolChoice::Auto if after_tool => None,
            ToolChoice::Auto => req
                .tools
                .iter()
                .find(|t| last_user.contains(t.as_str()))
                .cloned(),
        };
        if let Some(name) = pick {
            let args = tool_arguments(last_user);
            let id = format!(
                "call_{:08x}",
                fnv1a64(format!("{name}{args}").as_bytes()) as u32
            );
            let completion_tokens = args.split_whitespace().count().max(1);
            return Outcome {
                content: None,
                tool_call: Some((id, name, args)),
                finish: "tool_calls",
                prompt_tokens,
                completion_tokens,
            };
        }
    }
    let trailing_assistant = req.messages.last().filter(|m| m.role == "assistant");
    let mut content = match trailing_assistant {
        Some(prefix) if flavor.prefill => {
            let full = base_reply(&req.messages[..req.messages.len() - 1]);
            match full.strip_prefix(prefix.text.as_str()) {
                Some(rest) => rest.to_string(),
                None => full,
            }
        }
        _ => base_reply(&req.messages),
    };
    let mut finish = "stop";
    if flavor.finish_triggers && last_user.contains("finish:content_filter") {
        content.clear();
        finish = "content_filter";
    } else if flavor.finish_triggers && last_user.contains("finish:error") {
        let first = tokens(&content).first().map_or(0, |t| t.len());
        content.truncate(first);
        finish = "error";
    }
    let toks = tokens(&content);
    let mut completion_tokens = toks.len();
    if let Some(max) = req.max_tokens.or(flavor.default_max_tokens)
        && toks.len() as u64 > max
    {
        let keep: usize = toks[..max as usize].iter().map(|t| t.len()).sum();
        content.truncate(keep);
        completion_tokens = max as usize;
        finish = "length";
    }
    Outcome {
        content: Some(content),
        tool_call: None,
        finish,
        prompt_tokens,
        completion_tokens,
    }
}

fn usage(o: &Outcome) -> Usage {
    Usage {
        prompt_tokens: o.prompt_tokens,
        completion_tokens: o.completion_tokens,
        total_tokens: o.prompt_tokens + o.completion_tokens,
    }
}

/// Seconds since the Unix epoch.
pub fn now_secs() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

fn head<'a>(req: &'a ChatRequest, flavor: &'a Flavor, id: &'a str) -> Head<'a> {
    Head {
        id,
        created: now_secs(),
        model: &req.model,
        fingerprint: flavor.fingerprint.as_deref(),
    }
}

/// The non-stream `chat.completion` body.
pub fn completion_json(req: &ChatRequest, o: &Outcome, flavor: &Flavor, id: &str) -> Vec<u8> {
    let call = o
        .tool_call
        .as_ref()
        .map(|(c, n, a)| (c.as_str(), n.as_str(), a.as_str()));
    openai_json::completion(
        &head(req, flavor, id),
        o.content.as_deref(),
        call,
        o.finish,
        usage(o),
    )
}

/// Splits `s` into exactly `n` pieces of nearly equal character counts.
fn even_pieces(s: &str, n: usize) -> Vec<&str> {
    let bounds: Vec<usize> = s
        .char_indices()
        .map(|(i, _)| i)
        .chain(std::iter::once(s.len()))
        .collect();
    let chars = bounds.len() - 1;
    (0..n)
        .map(|k| &s[bounds[k * chars / n]..bounds[(k + 1) * chars / n]])
        .collect()
}

/// The SSE events of a streamed answer, ending with `data: [DONE]`.
pub fn stream_events(
    req: &ChatRequest,
    o: &Outcome,
    flavor: &Flavor,
    id: &str,
    chunks: Option<usize>,
) -> Vec<Bytes> {
    let head = head(req, flavor, id);
    let delta = |d: Delta<'_>| chunk(&head, Some(d), None, None);
    let mut events = vec![delta(Delta {
        role: Some("assistant"),
        content: Some(""),
        ..Delta::default()
    })];
    if let Some(text) = &o.content {
        let pieces = match chunks {
            Some(n) => even_pieces(text, n.max(1)),
            None => tokens(text),
        };
        events.reserve(pieces.len() + 3);
        for p in pieces {
            events.push(delta(Delta {
                content: Some(p),
                ..Delta::default()
            }));
        }
    }
    if let Some((cid, name, args)) = &o.tool_call {
        let call = |id, name, arguments| ToolCall {
            index: Some(0),
            id,
            kind: id.map(|_| "function"),
            function: Function { name, arguments },
        };
        events.push(delta(Delta {
            tool_calls: Some([call(Some(cid.as_str()), Some(name.as_str()), "")]),
            ..Delta::default()
        }));
        events.push(delta(Delta {
            tool_calls: Some([call(None, None, args.as_str())]),
            ..Delta::default()
        }));
    }
    events.push(chunk(&head, Some(Delta::default()), Some(o.finish), None));
    if flavor.stream_usage && req.include_usage {
        events.push(chunk(&head, None, None, Some(usage(o))));
    }
    events.push(Bytes::from_static(b"data: [DONE]\n\n"));
    events
}

fn header_u64(headers: &HeaderMap, name: &str) -> Option<u64> {
    headers.get(name)?.to_str().ok()?.trim().parse().ok()
}

/// Stream chunk count and delay for this request: headers first, then the config.
pub fn stream_shape(state: &AppState, headers: &HeaderMap) -> (Option<usize>, Duration) {
    let chunks = header_u64(headers, CHUNKS_HEADER)
        .map(|n| n.clamp(1, 100_000) as usize)
        .or(state.config.stream_chunks);
    let delay = header_u64(headers, DELAY_HEADER)
        .map(|ms| Duration::from_millis(ms.min(60_000)))
        .unwrap_or(state.config.chunk_delay);
    (chunks, delay)
}

/// The response to a checked request: JSON, or SSE with stream faults applied.
pub fn respond(
    state: &AppState,
    headers: &HeaderMap,
    faults: Option<&Faults>,
    req: &ChatRequest,
    flavor: &Flavor,
    body: &[u8],
) -> Response {
    let outcome = answer(req, flavor);
    let id = format!("chatcmpl-{:016x}", fnv1a64(body));
    if !req.stream {
        return json_bytes_response(StatusCode::OK, completion_json(req, &outcome, flavor, &id));
    }
    let (chunks, delay) = stream_shape(state, headers);
    let events = stream_events(req, &outcome, flavor, &id, chunks);
    sse_response(stream_plan(events, true, faults, error_event(), delay))
}

/// Parse, check with `extra`, and answer; errors come in the flavor's provider shape.
pub fn handle(
    state: &AppState,
    headers: &HeaderMap,
    faults: Option<&Faults>,
    body: &[u8],
    flavor: &Flavor,
    extra: impl FnOnce(&ChatRequest) -> Result<(), Reject>,
) -> Response {
    match parse(body, flavor).and_then(|r| extra(&r).map(|()| r)) {
        Ok(req) => respond(state, headers, faults, &req, flavor, body),
        Err((status, msg)) => flavor.provider.error(status, &msg),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_keep_whitespace_in_front() {
        assert_eq!(tokens("1 2  3"), ["1", " 2", "  3"]);
        assert_eq!(tokens(" a b "), [" a", " b", " "]);
        assert!(tokens("").is_empty());
        assert_eq!(tokens("é ü").concat(), "é ü");
    }

    #[test]
    fn count_to_is_bounded_and_exact() {
        assert_eq!(count_to("Count to 3.").as_deref(), Some("1 2 3"));
        assert_eq!(count_to("count to 0").as_deref(), Some(""));
        assert_eq!(count_to("please count to 3"), None);
        assert_eq!(count_to("count to x"), None);
        assert_eq!(count_to("ééééé"), None);
        let big = count_to("count to 999999999999").unwrap_or_default();
        assert_eq!(tokens(&big).len(), MAX_COUNT as usize);
    }

    #[test]
    fn even_pieces_cover_the_text_exactly() {
        for n in 1..12 {
            let p = even_pieces("héllo wörld", n);
            assert_eq!(p.len(), n);
            assert_eq!(p.concat(), "héllo wörld");
        }
        assert_eq!(even_pieces("", 3), ["", "", ""]);
    }
}

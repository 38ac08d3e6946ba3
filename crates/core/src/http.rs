//! Plain descriptions of HTTP requests and response heads, so the core can say what
//! to send and read what came back without doing any I/O.

use crate::retry_after;
use alloc::string::String;
use alloc::vec::Vec;

/// An HTTP method.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    /// GET
    Get,
    /// POST
    Post,
    /// DELETE
    Delete,
}

impl Method {
    /// The method's name.
    pub fn as_str(self) -> &'static str {
        match self {
            Method::Get => "GET",
            Method::Post => "POST",
            Method::Delete => "DELETE",
        }
    }
}

/// How the answer to a request must be read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ResponseKind {
    /// One JSON document.
    Json,
    /// Server-sent events of OpenAI chunks.
    Sse,
    /// One JSON completion to be replayed as a stream (the provider cannot stream).
    FakeStream,
    /// Lines of JSON, each a piece of an answer.
    JsonLines,
    /// Binary data (an image, audio).
    Binary,
    /// A plain text string.
    Text,
}

/// A request to send, relative to a provider's base URL. The caller adds the key
/// with [`HttpRequest::authorize`] and does the I/O.
#[derive(Debug, Clone, PartialEq)]
pub struct HttpRequest {
    /// Method.
    pub method: Method,
    /// Path and query after the base URL, starting with `/`.
    pub path: String,
    /// Headers to send (lower-case names).
    pub headers: Vec<(&'static str, String)>,
    /// The body, if any.
    pub body: Option<Vec<u8>>,
    /// How to read the answer.
    pub response: ResponseKind,
}

impl HttpRequest {
    /// A request with no body.
    pub fn get(path: String, response: ResponseKind) -> Self {
        HttpRequest {
            method: Method::Get,
            path,
            headers: Vec::new(),
            body: None,
            response,
        }
    }

    /// A request with a JSON body.
    pub fn post_json(path: String, body: Vec<u8>, response: ResponseKind) -> Self {
        let mut headers = Vec::with_capacity(2);
        headers.push(("content-type", String::from("application/json")));
        if response == ResponseKind::Sse {
            headers.push(("accept", String::from("text/event-stream")));
        }
        HttpRequest {
            method: Method::Post,
            path,
            headers,
            body: Some(body),
            response,
        }
    }

    /// The full URL under `base_url` (a trailing `/` on the base is ignored).
    pub fn url(&self, base_url: &str) -> String {
        let mut url = String::with_capacity(base_url.len() + self.path.len());
        url.push_str(base_url.trim_end_matches('/'));
        url.push_str(&self.path);
        url
    }

    /// Adds `authorization: Bearer <key>`.
    pub fn authorize(&mut self, key: &str) {
        let mut value = String::with_capacity(7 + key.len());
        value.push_str("Bearer ");
        value.push_str(key);
        self.headers.push(("authorization", value));
    }

    /// The value of a header this request carries.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// What the core needs to know of a response besides its body.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ResponseHead {
    /// HTTP status.
    pub status: u16,
    /// `content-type`.
    pub content_type: Option<String>,
    /// `retry-after`, raw.
    pub retry_after: Option<String>,
    /// A request id header (`x-request-id`, `request-id`, `cf-ray`, ...).
    pub request_id: Option<String>,
    /// Unix seconds now, for HTTP-date `Retry-After`.
    pub now: u64,
}

/// Header names that carry a request id, most specific first.
const REQUEST_ID_HEADERS: [&str; 4] = ["x-request-id", "request-id", "x-amzn-requestid", "cf-ray"];

impl ResponseHead {
    /// A head with a status and the current time (unix seconds).
    pub fn new(status: u16, now: u64) -> Self {
        ResponseHead {
            status,
            now,
            ..ResponseHead::default()
        }
    }

    /// Takes in one response header; the ones the core needs are kept.
    pub fn header(&mut self, name: &str, value: &str) -> &mut Self {
        if name.eq_ignore_ascii_case("content-type") {
            self.content_type = Some(value.into());
        } else if name.eq_ignore_ascii_case("retry-after") {
            self.retry_after = Some(value.into());
        } else if let Some(rank) = REQUEST_ID_HEADERS
            .iter()
            .position(|h| name.eq_ignore_ascii_case(h))
        {
            let better = match &self.request_id {
                None => true,
                Some(_) => rank == 0,
            };
            if better {
                self.request_id = Some(value.into());
            }
        }
        self
    }

    /// Builder form of [`ResponseHead::header`].
    pub fn with_header(mut self, name: &str, value: &str) -> Self {
        self.header(name, value);
        self
    }

    /// Whether the status is 2xx.
    pub fn is_success(&self) -> bool {
        (200..300).contains(&self.status)
    }

    /// `Retry-After` in seconds, parsed and capped.
    pub fn retry_after_secs(&self) -> Option<u64> {
        self.retry_after
            .as_deref()
            .and_then(|v| retry_after::parse(v, self.now))
    }

    /// Whether the content type says HTML.
    pub fn is_html(&self) -> bool {
        self.content_type
            .as_deref()
            .is_some_and(|c| c.to_ascii_lowercase().contains("text/html"))
    }
}

/// Appends `key=value` pairs, percent-encoded, to a path (`?` then `&`).
pub fn push_query(path: &mut String, pairs: &[(&str, &str)]) {
    for (i, (k, v)) in pairs.iter().enumerate() {
        path.push(if i == 0 && !path.contains('?') {
            '?'
        } else {
            '&'
        });
        encode_component(path, k);
        path.push('=');
        encode_component(path, v);
    }
}

/// Percent-encodes a query component (everything but unreserved characters).
pub fn encode_component(out: &mut String, s: &str) {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    for &b in s.as_bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(b as char);
        } else {
            out.push('%');
            out.push(HEX[usize::from(b >> 4)] as char);
            out.push(HEX[usize::from(b & 15)] as char);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query_is_percent_encoded() {
        let mut p = String::from("/get-audio");
        push_query(
            &mut p,
            &[("text", "Hello world & more/é"), ("voice", "alex")],
        );
        assert_eq!(
            p,
            "/get-audio?text=Hello%20world%20%26%20more%2F%C3%A9&voice=alex"
        );
        push_query(&mut p, &[("x", "1")]);
        assert!(p.ends_with("&x=1"));
    }

    #[test]
    fn url_joins_without_double_slash() {
        let r = HttpRequest::get("/models".into(), ResponseKind::Json);
        assert_eq!(r.url("http://h/v1/"), "http://h/v1/models");
        assert_eq!(r.url("http://h/v1"), "http://h/v1/models");
    }

    #[test]
    fn head_picks_request_id_by_rank() {
        let h = ResponseHead::new(500, 0)
            .with_header("CF-Ray", "ray")
            .with_header("X-Request-Id", "req_1")
            .with_header("request-id", "other");
        assert_eq!(h.request_id.as_deref(), Some("req_1"));
    }
}

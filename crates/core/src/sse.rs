//! Server-sent events: a push parser and the encoder for the gateway's output.
//!
//! The parser follows the WHATWG event-stream rules: lines end in LF, CR or CRLF
//! (a CRLF split across two pushes is one line end), `field: value` with or without
//! the space, multi-line `data` joined by `\n`, comment lines (`:`) ignored, and an
//! event dispatched at a blank line. Bytes are kept as bytes until an event is
//! complete, so input may be split anywhere, including inside a UTF-8 sequence.

use crate::error::Error;
use crate::types::ChatCompletionChunk;
use alloc::string::String;
use alloc::vec::Vec;

/// Default cap on one event's size (its `data` lines together), in bytes.
pub const DEFAULT_MAX_EVENT_BYTES: usize = 1 << 20;

/// One dispatched event.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SseEvent {
    /// The `event:` field, when one was sent.
    pub event: Option<String>,
    /// The `data:` lines, joined by `\n`.
    pub data: String,
    /// The `id:` field, when one was sent.
    pub id: Option<String>,
}

/// A dispatched event, borrowed from the parser (see [`SseParser::feed_with`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SseEventRef<'a> {
    /// The `event:` field, when one was sent.
    pub event: Option<&'a str>,
    /// The `data:` lines, joined by `\n` (invalid UTF-8 replaced by U+FFFD).
    pub data: &'a str,
    /// The `id:` field, when one was sent.
    pub id: Option<&'a str>,
}

impl SseEventRef<'_> {
    /// An owned copy.
    pub fn to_owned(&self) -> SseEvent {
        SseEvent {
            event: self.event.map(String::from),
            data: String::from(self.data),
            id: self.id.map(String::from),
        }
    }
}

/// A push-based event-stream parser: feed bytes as they arrive, collect events.
#[derive(Debug, Clone)]
pub struct SseParser {
    /// The incomplete line carried over from the previous push.
    line: Vec<u8>,
    /// Data of the event being built.
    data: Vec<u8>,
    has_data: bool,
    /// The `event:` and `id:` fields seen (buffers reused from event to event: a
    /// stream that sends them on every event costs no allocation each).
    event: Field,
    id: Field,
    /// The previous push ended in CR: a leading LF of the next push ends nothing.
    after_cr: bool,
    max_event_bytes: usize,
}

impl Default for SseParser {
    fn default() -> Self {
        Self::new(DEFAULT_MAX_EVENT_BYTES)
    }
}

impl SseParser {
    /// A parser that refuses events (and lines) larger than `max_event_bytes`.
    pub fn new(max_event_bytes: usize) -> Self {
        SseParser {
            line: Vec::new(),
            data: Vec::new(),
            has_data: false,
            event: Field::default(),
            id: Field::default(),
            after_cr: false,
            max_event_bytes,
        }
    }

    /// Pushes bytes, appending every event they complete to `out`.
    ///
    /// Fails with [`Error::TooLarge`] when one event outgrows the cap, or
    /// [`Error::BadResponse`] when an event's data is not valid UTF-8; the parser should
    /// then be dropped.
    pub fn feed(&mut self, bytes: &[u8], out: &mut Vec<SseEvent>) -> Result<(), Error> {
        self.feed_with(bytes, |e| out.push(e.to_owned()))
    }

    /// Pushes bytes, handing every event they complete to `on_event` as borrowed
    /// views of the parser's buffers (no copy, no allocation per event).
    pub fn feed_with<F: FnMut(SseEventRef<'_>)>(
        &mut self,
        mut bytes: &[u8],
        mut on_event: F,
    ) -> Result<(), Error> {
        if self.after_cr && !bytes.is_empty() {
            self.after_cr = false;
            if let [b'\n', rest @ ..] = bytes {
                bytes = rest;
            }
        }
        while let Some(end) = memchr::memchr2(b'\n', b'\r', bytes) {
            let (line, rest) = bytes.split_at(end);
            let cr = rest.first() == Some(&b'\r');
            bytes = rest.get(1..).unwrap_or_default();
            if cr {
                match bytes.first() {
                    Some(b'\n') => bytes = bytes.get(1..).unwrap_or_default(),
                    None => self.after_cr = true,
                    Some(_) => {}
                }
            }
            if self.line.is_empty() {
                // The same cap as a line that arrives in pieces (checked below), so
                // the outcome never depends on where the input was split.
                self.check_size(line.len())?;
                self.process_line(line, &mut on_event)?;
            } else {
                self.check_size(self.line.len() + line.len())?;
                let mut joined = core::mem::take(&mut self.line);
                joined.extend_from_slice(line);
                self.process_line(&joined, &mut on_event)?;
                joined.clear();
                self.line = joined;
            }
        }
        self.check_size(self.line.len() + bytes.len())?;
        self.line.extend_from_slice(bytes);
        Ok(())
    }

    /// Whether bytes of an unfinished event are pending: the stream ended mid-event.
    pub fn has_partial_event(&self) -> bool {
        !self.line.is_empty() || self.has_data
    }

    /// Ends the input. An event not closed by a blank line is dispatched when its last
    /// line was complete (servers often omit the final blank line); an unterminated
    /// line is dropped and reported by [`has_partial_event`](Self::has_partial_event).
    pub fn finish(&mut self, out: &mut Vec<SseEvent>) {
        self.finish_with(|e| out.push(e.to_owned()));
    }

    /// [`finish`](Self::finish), handing the last event to `on_event`.
    pub fn finish_with<F: FnMut(SseEventRef<'_>)>(&mut self, mut on_event: F) {
        if self.line.is_empty() && self.has_data {
            // A last event that is not UTF-8 is dropped: the stream then ends without it,
            // which its decoder reports as a cut.
            let _ = self.dispatch(&mut on_event);
        }
    }

    fn check_size(&self, line_len: usize) -> Result<(), Error> {
        if self.data.len().saturating_add(line_len) > self.max_event_bytes {
            return Err(Error::TooLarge {
                what: "stream event",
                limit: self.max_event_bytes as u64,
            });
        }
        Ok(())
    }

    fn process_line<F: FnMut(SseEventRef<'_>)>(
        &mut self,
        line: &[u8],
        on_event: &mut F,
    ) -> Result<(), Error> {
        if line.is_empty() {
            return self.dispatch(on_event);
        }
        if line.first() == Some(&b':') {
            return Ok(());
        }
        let (field, value) = match memchr::memchr(b':', line) {
            Some(i) => {
                let (f, v) = line.split_at(i);
                let v = v.get(1..).unwrap_or_default();
                (f, v.strip_prefix(b" ").unwrap_or(v))
            }
            None => (line, &[][..]),
        };
        match field {
            b"data" => {
                self.check_size(value.len() + 1)?;
                if self.has_data {
                    self.data.push(b'\n');
                }
                self.data.extend_from_slice(value);
                self.has_data = true;
            }
            b"event" => self.event.set(value),
            b"id" => self.id.set(value),
            _ => {}
        }
        Ok(())
    }

    /// Hands the pending event to `on_event`. Data that is not UTF-8 is an error rather
    /// than replacement characters: JSON must be UTF-8, and a plain answer with such
    /// bytes is refused too, so a stream must not deliver them as content.
    fn dispatch<F: FnMut(SseEventRef<'_>)>(&mut self, on_event: &mut F) -> Result<(), Error> {
        if !self.has_data {
            // An event with no data is not dispatched; its fields are reset.
            self.event.unset();
            return Ok(());
        }
        let result = match core::str::from_utf8(&self.data) {
            Ok(data) => {
                on_event(SseEventRef {
                    event: self.event.get(),
                    data,
                    id: self.id.get(),
                });
                Ok(())
            }
            Err(_) => Err(Error::BadResponse {
                message: String::from("a stream event's data is not valid UTF-8"),
                provider: None,
            }),
        };
        // Keep the buffer's capacity for the next event.
        self.data.clear();
        self.has_data = false;
        self.event.unset();
        result
    }
}

/// A field of the event being built: its value, if one was given.
#[derive(Debug, Clone, Default)]
struct Field {
    value: String,
    set: bool,
}

impl Field {
    /// Sets the value (invalid UTF-8 replaced by U+FFFD), reusing the buffer.
    fn set(&mut self, value: &[u8]) {
        self.value.clear();
        self.value.push_str(&String::from_utf8_lossy(value));
        self.set = true;
    }

    fn unset(&mut self) {
        self.set = false;
    }

    fn get(&self) -> Option<&str> {
        self.set.then_some(self.value.as_str())
    }
}

/// The event that ends an OpenAI stream.
pub const DONE: &[u8] = b"data: [DONE]\n\n";

/// Renders one chunk as an event: `data: {json}\n\n`.
pub fn encode_chunk(chunk: &ChatCompletionChunk) -> Vec<u8> {
    // Serializing a value of our own types cannot fail; `{}` stands in if it ever did.
    frame(serde_json::to_vec(chunk).unwrap_or_else(|_| b"{}".to_vec()))
}

/// Renders an error as an event: `data: {"error":{...}}\n\n`, the shape OpenAI's
/// SDKs raise from inside a stream.
pub fn encode_error(error: &Error) -> Vec<u8> {
    let json = serde_json::to_vec(&error.to_body())
        .unwrap_or_else(|_| br#"{"error":{"message":"error"}}"#.to_vec());
    frame(json)
}

fn frame(json: Vec<u8>) -> Vec<u8> {
    let mut out = Vec::with_capacity(json.len() + 8);
    out.extend_from_slice(b"data: ");
    out.extend_from_slice(&json);
    out.extend_from_slice(b"\n\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::vec;

    fn parse_all(input: &[u8], piece: usize) -> (Vec<SseEvent>, bool) {
        let mut p = SseParser::default();
        let mut out = Vec::new();
        for part in input.chunks(piece.max(1)) {
            p.feed(part, &mut out).unwrap();
        }
        p.finish(&mut out);
        (out, p.has_partial_event())
    }

    fn data(events: &[SseEvent]) -> Vec<&str> {
        events.iter().map(|e| e.data.as_str()).collect()
    }

    #[test]
    fn line_ends_and_fields() {
        let input = "data: a\n\ndata:b\r\n\r\ndata: c\r\rdata: x\ndata: y\n\n: ping\n\nevent: error\ndata: e\n\n";
        for piece in 1..input.len() {
            let (events, partial) = parse_all(input.as_bytes(), piece);
            assert_eq!(data(&events), ["a", "b", "c", "x\ny", "e"], "piece {piece}");
            assert_eq!(events[4].event.as_deref(), Some("error"));
            assert!(!partial);
        }
    }

    #[test]
    fn utf8_split_anywhere() {
        let input = "data: h\u{e9}llo \u{1F600}\n\n".as_bytes();
        for cut in 0..=input.len() {
            let mut p = SseParser::default();
            let mut out = Vec::new();
            p.feed(&input[..cut], &mut out).unwrap();
            p.feed(&input[cut..], &mut out).unwrap();
            assert_eq!(data(&out), ["h\u{e9}llo \u{1F600}"]);
        }
    }

    #[test]
    fn data_that_is_not_utf8_is_an_error_not_replacement_characters() {
        let mut p = SseParser::default();
        let mut out = Vec::new();
        p.feed(b"data: {\"a\":\"ok\"}\n\n", &mut out).unwrap();
        let bad = p.feed(b"data: {\"a\":\"\xc3\x28\"}\n\n", &mut out);
        assert!(matches!(bad, Err(Error::BadResponse { .. })), "{bad:?}");
        assert_eq!(data(&out), ["{\"a\":\"ok\"}"]);
        // A last, unterminated event with such bytes is dropped, never delivered.
        let mut p = SseParser::default();
        p.feed(b"data: \xff\n", &mut out).unwrap();
        p.finish(&mut out);
        assert_eq!(out.len(), 1);
    }

    #[test]
    fn crlf_split_between_pushes_is_one_line_end() {
        let mut p = SseParser::default();
        let mut out = Vec::new();
        p.feed(b"data: a\r", &mut out).unwrap();
        p.feed(b"", &mut out).unwrap();
        p.feed(b"\n\r", &mut out).unwrap();
        p.feed(b"\n", &mut out).unwrap();
        assert_eq!(data(&out), ["a"]);
        // An empty push between CR and LF must not make them two line ends.
        p.feed(b"event: x\r", &mut out).unwrap();
        p.feed(b"", &mut out).unwrap();
        p.feed(b"\ndata: y\n\n", &mut out).unwrap();
        assert_eq!(out[1].event.as_deref(), Some("x"));
    }

    #[test]
    fn final_event_without_blank_line() {
        let (events, partial) = parse_all(b"data: a\n\ndata: b\n", 3);
        assert_eq!(data(&events), ["a", "b"]);
        assert!(!partial);
        let (events, partial) = parse_all(b"data: a\n\ndata: {\"trunc", 3);
        assert_eq!(data(&events), ["a"]);
        assert!(partial);
    }

    #[test]
    fn oversized_event_is_refused() {
        let mut p = SseParser::new(16);
        let mut out = Vec::new();
        let err = p.feed(&[b'x'; 64], &mut out).unwrap_err();
        assert_eq!(err.status(), 502);
        let mut p = SseParser::new(16);
        assert!(
            p.feed(b"data: 0123456789\ndata: 0123456789\n", &mut out)
                .is_err()
        );
    }

    /// Found by the `sse` fuzz target: a long comment line passed when it came whole
    /// and was refused when split.
    #[test]
    fn line_cap_does_not_depend_on_the_split() {
        let input = b": a comment longer than the cap\n\ndata: x\n\n";
        for piece in 1..=input.len() {
            let mut p = SseParser::new(16);
            let mut out = Vec::new();
            let refused = input.chunks(piece).any(|c| p.feed(c, &mut out).is_err());
            assert!(refused, "piece size {piece}");
            assert!(out.is_empty(), "piece size {piece}");
        }
    }

    #[test]
    fn encoder_round_trips() {
        let chunk: ChatCompletionChunk = serde_json::from_str(
            r#"{"id":"c1","object":"chat.completion.chunk","created":1,"model":"m","choices":[{"index":0,"delta":{"content":"hi\n"},"finish_reason":null}]}"#,
        )
        .unwrap();
        let bytes = encode_chunk(&chunk);
        let (events, _) = parse_all(&bytes, 1);
        let back: ChatCompletionChunk = serde_json::from_str(&events[0].data).unwrap();
        assert_eq!(back, chunk);
        let err = encode_error(&Error::invalid("bad", None));
        assert!(err.starts_with(b"data: {\"error\":"));
        assert_eq!(vec![DONE.len()], vec![14]);
    }
}

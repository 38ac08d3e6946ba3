//! The fixed-answer upstream every benchmark target points at: a std-only HTTP/1.1
//! server on loopback, one thread per connection, keep-alive. Any request gets a fixed
//! `chat.completion` (about 700 bytes); a body with `"stream":true` gets an SSE stream of
//! `chat.completion.chunk` events, as the prompt says (the gateway forwards the prompt
//! but not our headers): `bench:chunks=N` content events (default 500), back to back
//! or, with `bench:pace=MS`, one every MS milliseconds on a fixed schedule (event `i`
//! is due at `i × MS` after the first, so a late one does not shift the rest); with
//! `bench:size=B`, each event's content is `B` bytes of text instead of `tok{i} `.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::thread;
use std::time::{Duration, Instant};

use crate::util::Result;

/// Chunks per stream when the body does not say.
const DEFAULT_CHUNKS: usize = 500;

/// The non-stream answer.
const COMPLETION: &str = r#"{"id":"chatcmpl-bench","object":"chat.completion","created":1767225600,"model":"bench","system_fingerprint":"fp_bench","choices":[{"index":0,"message":{"role":"assistant","content":"Hello! This is the fixed answer of the benchmark upstream. It is long enough to look like a short real reply from a model, so that the body copies are realistic.","refusal":null},"logprobs":null,"finish_reason":"stop"}],"usage":{"prompt_tokens":9,"completion_tokens":33,"total_tokens":42,"prompt_tokens_details":{"cached_tokens":0},"completion_tokens_details":{"reasoning_tokens":0}}}"#;

/// Starts the server on a free loopback port; it lives as long as this process.
pub fn start() -> Result<u16> {
    let listener =
        TcpListener::bind("127.0.0.1:0").map_err(|e| format!("upstream: cannot bind: {e}"))?;
    let port = listener
        .local_addr()
        .map_err(|e| format!("upstream: {e}"))?
        .port();
    thread::spawn(move || {
        for stream in listener.incoming().map_while(std::io::Result::ok) {
            thread::spawn(move || {
                let _ = serve(stream);
            });
        }
    });
    Ok(port)
}

/// Answers requests on one connection until the peer closes it.
fn serve(stream: TcpStream) -> std::io::Result<()> {
    stream.set_nodelay(true)?;
    let mut out = stream.try_clone()?;
    let mut reader = BufReader::new(stream);
    loop {
        let mut length = 0usize;
        let mut close = false;
        let mut line = String::new();
        if reader.read_line(&mut line)? == 0 {
            return Ok(());
        }
        loop {
            line.clear();
            if reader.read_line(&mut line)? == 0 {
                return Ok(());
            }
            let header = line.trim_end().to_ascii_lowercase();
            if header.is_empty() {
                break;
            }
            if let Some(v) = header.strip_prefix("content-length:") {
                length = v.trim().parse().unwrap_or(0);
            }
            close |= header == "connection: close";
        }
        let mut body = vec![0u8; length];
        reader.read_exact(&mut body)?;
        let body = String::from_utf8_lossy(&body);
        if body.contains("\"stream\":true") {
            let plan = Plan {
                chunks: param(&body, "bench:chunks=").unwrap_or(DEFAULT_CHUNKS),
                pace: Duration::from_millis(param(&body, "bench:pace=").unwrap_or(0) as u64),
                size: param(&body, "bench:size="),
            };
            stream_answer(&mut out, &plan)?;
        } else {
            let head = format!(
                "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n",
                COMPLETION.len()
            );
            out.write_all(format!("{head}{COMPLETION}").as_bytes())?;
        }
        if close {
            return Ok(());
        }
    }
}

/// The number after `key` in a body (`bench:chunks=1000`), if there is one.
fn param(body: &str, key: &str) -> Option<usize> {
    let rest = body.split(key).nth(1)?;
    let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
    digits.parse().ok()
}

/// What a streamed answer looks like.
struct Plan {
    /// Content events.
    chunks: usize,
    /// Time between content events (zero: back to back).
    pace: Duration,
    /// Bytes of content per event (`None`: `tok{i} `).
    size: Option<usize>,
}

/// Writes a chunked SSE answer: a role event, the content events, a stop event, `[DONE]`.
fn stream_answer(out: &mut TcpStream, plan: &Plan) -> std::io::Result<()> {
    out.write_all(
        b"HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\ntransfer-encoding: chunked\r\n\r\n",
    )?;
    let event = |delta: &str, finish: &str| {
        format!(
            "data: {{\"id\":\"chatcmpl-bench\",\"object\":\"chat.completion.chunk\",\"created\":1767225600,\"model\":\"bench\",\"choices\":[{{\"index\":0,\"delta\":{delta},\"finish_reason\":{finish}}}]}}\n\n"
        )
    };
    let chunk = |out: &mut TcpStream, data: &str| {
        out.write_all(format!("{:x}\r\n{data}\r\n", data.len()).as_bytes())
    };
    chunk(out, &event(r#"{"role":"assistant","content":""}"#, "null"))?;
    let filler = plan.size.map(|n| "x".repeat(n));
    let start = Instant::now();
    for i in 0..plan.chunks {
        let due = plan.pace * i as u32;
        if let Some(wait) = due.checked_sub(start.elapsed()) {
            thread::sleep(wait);
        }
        let content = match &filler {
            Some(f) => f.clone(),
            None => format!("tok{i} "),
        };
        chunk(
            out,
            &event(&format!(r#"{{"content":"{content}"}}"#), "null"),
        )?;
    }
    chunk(out, &event("{}", "\"stop\""))?;
    chunk(out, "data: [DONE]\n\n")?;
    out.write_all(b"0\r\n\r\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_chunk_count() {
        assert_eq!(
            param(r#"{"content":"bench:chunks=1000 go"}"#, "bench:chunks="),
            Some(1000)
        );
        assert_eq!(
            param("bench:chunks=5 bench:pace=20", "bench:pace="),
            Some(20)
        );
        assert_eq!(param("{}", "bench:chunks="), None);
    }
}

//! Each configurable limit crossed end to end (issue 11, "Limits"; the list is
//! `docs/limits.md`): request body (with and without `content-length`), header size,
//! message count, tool count, stream length, and the idle limit once a stream has
//! started. Each answer is a clear OpenAI error: a 4xx before anything went upstream,
//! or an SSE error event plus `finish_reason: "error"` after the first byte. (The
//! file cap and the first-byte, idle-before-start and total time limits are crossed in
//! `endpoints/` of `e2e.rs`.)
//!
//! `#[ignore]`d like `e2e.rs`: `cargo xtask test` builds the Worker and runs it.

#[allow(dead_code)] // each test binary uses part of the shared harness
mod support;

use std::time::Duration;

use serde_json::{Value, json};
use support::{Gateway, ONE_GATEWAY, TestResult, arm, sim_log, sim_vars};
use switchboard_sim::providers::secry;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

const MAX_REQUEST_BYTES: usize = 4096;
const MAX_HEADER_BYTES: usize = 4096;

fn model() -> String {
    format!("secry/{}", secry::MODELS[0])
}

fn chat(messages: usize, tools: usize, stream: bool) -> Value {
    let tool =
        json!({"type": "function", "function": {"name": "f", "parameters": {"type": "object"}}});
    let mut body = json!({
        "model": model(),
        "stream": stream,
        "messages": vec![json!({"role": "user", "content": "hi"}); messages],
    });
    if tools > 0 {
        body["tools"] = json!(vec![tool; tools]);
    }
    body
}

/// Checks an OpenAI error answer: its status, and the error's `param` or `code`.
async fn expect_error(r: reqwest::Response, status: u16, field: &str, want: &str) -> TestResult {
    assert_eq!(r.status().as_u16(), status);
    assert!(r.headers().contains_key("x-request-id"));
    let body: Value = r.json().await?;
    assert_eq!(body["error"][field], want, "{body}");
    assert!(body["error"]["message"].is_string(), "{body}");
    Ok(())
}

/// The last two SSE events of a failed stream: an error event, then a chunk with
/// `finish_reason: "error"`; never `[DONE]`. Returns the error's message.
fn failed_stream(body: &str) -> Result<String, Box<dyn std::error::Error>> {
    assert!(!body.contains("[DONE]"), "{body}");
    let events: Vec<&str> = body.split("\n\n").filter(|e| !e.is_empty()).collect();
    let n = events.len();
    assert!(n >= 3, "{body}");
    let error: Value = serde_json::from_str(events[n - 2].trim_start_matches("data: "))?;
    let last: Value = serde_json::from_str(events[n - 1].trim_start_matches("data: "))?;
    assert_eq!(last["choices"][0]["finish_reason"], "error", "{body}");
    Ok(error["error"]["message"]
        .as_str()
        .unwrap_or_default()
        .to_owned())
}

/// A chat request with a chunked body (no `content-length`) of `size` bytes, over raw
/// HTTP/1.1; returns the status line and body.
async fn chunked_post(base: &str, size: usize) -> Result<String, Box<dyn std::error::Error>> {
    let addr = base.trim_start_matches("http://");
    let mut tcp = tokio::net::TcpStream::connect(addr).await?;
    let head = format!(
        "POST /v1/chat/completions HTTP/1.1\r\nhost: {addr}\r\ncontent-type: application/json\r\n\
         transfer-encoding: chunked\r\nconnection: close\r\n\r\n"
    );
    tcp.write_all(head.as_bytes()).await?;
    let piece = vec![b' '; 1024];
    let mut sent = 0;
    while sent < size {
        let write = async {
            tcp.write_all(format!("{:x}\r\n", piece.len()).as_bytes())
                .await?;
            tcp.write_all(&piece).await?;
            tcp.write_all(b"\r\n").await
        };
        // The gateway may answer and close as soon as the cap is passed.
        if write.await.is_err() {
            break;
        }
        sent += piece.len();
    }
    let _ = tcp.write_all(b"0\r\n\r\n").await;
    let mut answer = Vec::new();
    tokio::time::timeout(Duration::from_secs(20), tcp.read_to_end(&mut answer)).await??;
    Ok(String::from_utf8_lossy(&answer).into_owned())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs worker-build output and wrangler; `cargo xtask test` runs it"]
async fn limits_end_to_end() -> TestResult {
    let _one = ONE_GATEWAY.lock().await;
    // Stream events 1.2 s apart: past the 0.8 s idle limit once a stream has started.
    let sim = switchboard_sim::serve(switchboard_sim::Config {
        stream_chunks: Some(3),
        chunk_delay: Duration::from_millis(1200),
        keys: support::keys(),
        ..switchboard_sim::Config::default()
    })
    .await?;
    let s = sim.base_url();
    let mut vars = sim_vars(&s, &support::keys());
    vars.extend([
        ("RATE_LIMIT_PER_MINUTE", "0".to_owned()),
        ("MAX_REQUEST_BYTES", MAX_REQUEST_BYTES.to_string()),
        ("MAX_HEADER_BYTES", MAX_HEADER_BYTES.to_string()),
        ("MAX_MESSAGES", "4".to_owned()),
        ("MAX_TOOLS", "2".to_owned()),
        ("MAX_STREAM_BYTES", "4096".to_owned()),
        ("STREAM_IDLE_MS", "800".to_owned()),
        ("STREAM_TOTAL_MS", "20000".to_owned()),
    ]);
    let gw = Gateway::start(&vars).await?;
    let g = &gw.base;
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(30))
        .build()?;
    let post = |body: &Value| {
        client
            .post(format!("{g}/v1/chat/completions"))
            .json(body)
            .send()
    };
    client.delete(format!("{s}/__sim/requests")).send().await?;

    // Body size: 413 with a content-length, and without one (chunked) too.
    let mut big = chat(1, 0, false);
    big["messages"][0]["content"] = json!("x".repeat(MAX_REQUEST_BYTES));
    expect_error(post(&big).await?, 413, "code", "too_large").await?;
    let answer = chunked_post(g, 4 * MAX_REQUEST_BYTES).await?;
    assert!(answer.starts_with("HTTP/1.1 413"), "{answer}");
    assert!(answer.contains("\"too_large\""), "{answer}");

    // Header size: 431.
    let r = client
        .post(format!("{g}/v1/chat/completions"))
        .header("x-padding", "p".repeat(MAX_HEADER_BYTES))
        .json(&chat(1, 0, false))
        .send()
        .await?;
    expect_error(r, 431, "code", "headers_too_large").await?;

    // Message and tool counts: 400 naming the field.
    expect_error(post(&chat(5, 0, false)).await?, 400, "param", "messages").await?;
    expect_error(post(&chat(1, 3, false)).await?, 400, "param", "tools").await?;
    // Nothing above reached upstream; at the limits, requests go through.
    assert_eq!(sim_log(&client, &s).await?.len(), 0);
    let r = post(&chat(4, 2, false)).await?;
    assert_eq!(r.status().as_u16(), 200, "{}", r.text().await?);

    // Stream length: an endless stream is cut at MAX_STREAM_BYTES with an error event.
    arm(&client, &s, "endless", "/secry").await?;
    let body = post(&chat(1, 0, true)).await?.text().await?;
    let message = failed_stream(&body)?;
    assert!(message.contains("4096"), "{message}");

    // Idle after the first byte: an error event, not a clean end.
    let body = post(&chat(1, 0, true)).await?.text().await?;
    let message = failed_stream(&body)?;
    assert!(message.contains("800"), "{message}");

    drop(gw);
    sim.handle.abort();
    Ok(())
}

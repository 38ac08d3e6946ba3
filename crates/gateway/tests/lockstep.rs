//! Each streamed chunk reaches the caller as soon as its upstream event arrives: a
//! loopback upstream sends one content event, then waits until the caller has read that
//! event through the gateway before it sends the next. A gateway that held any chunk back
//! (buffering, batching its writes, waiting for the next upstream read) would leave the
//! caller waiting for an event the upstream will not send until the caller saw the
//! previous one; the upstream's wait is bounded, and an event sent because the bound ran
//! out instead of because the caller saw the previous one fails the test. So the test
//! asserts on order (caller saw `i` before upstream sent `i + 1`), not on timings.
//!
//! `#[ignore]`d like `e2e.rs`: `cargo xtask test` builds the Worker and runs it.

#[allow(dead_code)] // each test binary uses part of the shared harness
mod support;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::mpsc::{Receiver, RecvTimeoutError, Sender, channel};
use std::thread;
use std::time::Duration;

use serde_json::json;
use support::{Gateway, ONE_GATEWAY, TOKEN, TestResult};

/// Content events of the stream.
const EVENTS: usize = 20;
/// How long the upstream waits for the caller to report an event before sending the
/// next one anyway (a bound on the test, not a speed assertion: a held chunk waits
/// forever without it).
const BOUND: Duration = Duration::from_secs(20);
/// The provider key the gateway sends upstream.
const KEY: &str = "sk-lockstep-upstream";

/// What the upstream did with one content event.
#[derive(Debug, PartialEq)]
enum Sent {
    /// Sent after the caller reported the previous event (or first).
    InStep(usize),
    /// Sent because the caller had not reported the previous one within [`BOUND`].
    Forced(usize),
}

/// One SSE event of an OpenAI chunk with `delta`.
fn event(delta: &serde_json::Value, finish: Option<&str>) -> String {
    let chunk = json!({
        "id": "chatcmpl-lockstep", "object": "chat.completion.chunk", "created": 1_767_225_600,
        "model": "lockstep", "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
    });
    format!("data: {chunk}\n\n")
}

/// Writes one HTTP chunk.
fn chunk(out: &mut TcpStream, data: &str) -> std::io::Result<()> {
    out.write_all(format!("{:x}\r\n{data}\r\n", data.len()).as_bytes())?;
    out.flush()
}

/// Serves one streamed chat answer on `stream`: content event `i + 1` only once `seen`
/// says the caller read event `i` (or [`BOUND`] passed). Reports each send on `sent`.
fn serve(stream: TcpStream, seen: &Receiver<usize>, sent: &Sender<Sent>) -> std::io::Result<()> {
    stream.set_nodelay(true)?;
    let mut out = stream.try_clone()?;
    let mut reader = BufReader::new(stream);
    let mut length = 0usize;
    let mut line = String::new();
    reader.read_line(&mut line)?;
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
    }
    let mut body = vec![0u8; length.min(1 << 20)];
    reader.read_exact(&mut body)?;
    out.write_all(
        b"HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\ntransfer-encoding: chunked\r\n\r\n",
    )?;
    chunk(
        &mut out,
        &event(&json!({"role": "assistant", "content": ""}), None),
    )?;
    for i in 0..EVENTS {
        let in_step = i == 0 || wait_for(seen, i - 1);
        let _ = sent.send(if in_step {
            Sent::InStep(i)
        } else {
            Sent::Forced(i)
        });
        chunk(
            &mut out,
            &event(&json!({"content": format!("tok{i} ")}), None),
        )?;
    }
    chunk(&mut out, &event(&json!({}), Some("stop")))?;
    chunk(&mut out, "data: [DONE]\n\n")?;
    out.write_all(b"0\r\n\r\n")?;
    out.flush()
}

/// Whether the caller reports event `i` within [`BOUND`] (reports of earlier events
/// are skipped).
fn wait_for(seen: &Receiver<usize>, i: usize) -> bool {
    loop {
        match seen.recv_timeout(BOUND) {
            Ok(n) if n >= i => return true,
            Ok(_) => {}
            Err(RecvTimeoutError::Timeout | RecvTimeoutError::Disconnected) => return false,
        }
    }
}

/// The numbers of the whole content events (`tok{i} `, the space included, so a number
/// cut by a piece boundary is not read short) in `text`.
fn tokens(text: &str) -> impl Iterator<Item = usize> + '_ {
    text.split("tok").skip(1).filter_map(|rest| {
        let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
        let whole = rest[digits.len()..].starts_with(' ');
        digits.parse().ok().filter(|_| whole)
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs worker-build output and wrangler; `cargo xtask test` runs it"]
async fn each_chunk_reaches_the_caller_before_the_next_upstream_event() -> TestResult {
    let _one = ONE_GATEWAY.lock().await;
    let listener = TcpListener::bind("127.0.0.1:0")?;
    let port = listener.local_addr()?.port();
    let (seen_tx, seen_rx) = channel::<usize>();
    let (sent_tx, sent_rx) = channel::<Sent>();
    // One streamed answer; the readiness probe and anything else get a 404.
    let upstream = thread::spawn(move || {
        for stream in listener.incoming().take(16) {
            let Ok(mut stream) = stream else { continue };
            let _ = stream.set_read_timeout(Some(Duration::from_secs(60)));
            let mut peek = [0u8; 5];
            if stream.peek(&mut peek).is_ok() && &peek == b"POST " {
                let _ = serve(stream, &seen_rx, &sent_tx);
                return;
            }
            let _ = stream.write_all(b"HTTP/1.1 404 Not Found\r\ncontent-length: 0\r\n\r\n");
        }
    });
    let vars = vec![
        ("OPENAI_BASE_URL", format!("http://127.0.0.1:{port}/v1")),
        ("OPENAI_API_KEY", KEY.to_owned()),
        ("GATEWAY_TOKENS", TOKEN.to_owned()),
        ("RATE_LIMIT_PER_MINUTE", "0".to_owned()),
    ];
    let gw = Gateway::start(&vars).await?;
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(120))
        .build()?;
    let mut response = client
        .post(format!("{}/v1/chat/completions", gw.base))
        .bearer_auth(TOKEN)
        .json(&json!({"model": "openai/lockstep", "stream": true,
                      "messages": [{"role": "user", "content": "hi"}]}))
        .send()
        .await?;
    assert_eq!(response.status(), 200);
    let mut text = String::new();
    let mut order = Vec::new();
    // Bounded: the upstream sends EVENTS events and ends, forced or not.
    while let Some(piece) = response.chunk().await? {
        text.push_str(&String::from_utf8_lossy(&piece));
        for i in tokens(&text) {
            if order.last().is_none_or(|&last| i > last) {
                order.push(i);
                let _ = seen_tx.send(i);
            }
        }
    }
    drop(seen_tx);
    let _ = upstream.join();
    let sent: Vec<Sent> = sent_rx.try_iter().collect();
    support::capture("lockstep", text.as_bytes());
    assert_eq!(order, (0..EVENTS).collect::<Vec<_>>(), "caller saw: {text}");
    assert!(text.trim_end().ends_with("data: [DONE]"), "{text}");
    let forced: Vec<&Sent> = sent
        .iter()
        .filter(|s| matches!(s, Sent::Forced(_)))
        .collect();
    assert!(
        forced.is_empty(),
        "the upstream had to send without the caller having seen the previous event: {forced:?}"
    );
    assert_eq!(sent.len(), EVENTS);
    Ok(())
}

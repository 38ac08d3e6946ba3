//! How a response body goes on the wire: segments, pauses between them, one-byte writes,
//! and an abrupt end that makes hyper abort the connection.

use std::collections::VecDeque;
use std::io;
use std::time::Duration;

use axum::body::{Body, Bytes};
use futures_util::stream;

/// How a body ends after its last segment.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum End {
    /// A normal end of body.
    Clean,
    /// An error from the body stream: hyper aborts the connection without finishing it.
    Reset,
}

/// A body to be written as separate segments.
#[derive(Debug)]
pub struct Plan {
    /// The segments, in order (SSE events, or one whole JSON body).
    pub segments: Vec<Bytes>,
    /// Pause before every segment but the first.
    pub delay: Duration,
    /// Write one byte at a time, yielding (and pausing this long) between bytes so each one
    /// is flushed on its own.
    pub one_byte: Option<Duration>,
    /// How the body ends.
    pub end: End,
}

struct Cursor {
    queue: VecDeque<Bytes>,
    delay: Duration,
    one_byte: Option<Duration>,
    end: End,
    started: bool,
    pending: Bytes,
}

impl Plan {
    /// For a one-byte plan that ends cleanly, the exact length to send as `Content-Length`, so
    /// hyper writes bare bytes (no chunk framing) and each write carries one byte.
    pub fn one_byte_length(&self) -> Option<u64> {
        (self.one_byte.is_some() && self.end == End::Clean)
            .then(|| self.segments.iter().map(|s| s.len() as u64).sum())
    }

    /// The body that writes this plan.
    pub fn into_body(self) -> Body {
        let cursor = Cursor {
            queue: self.segments.into(),
            delay: self.delay,
            one_byte: self.one_byte,
            end: self.end,
            started: false,
            pending: Bytes::new(),
        };
        Body::from_stream(stream::unfold(cursor, next_frame))
    }
}

async fn next_frame(mut c: Cursor) -> Option<(Result<Bytes, io::Error>, Cursor)> {
    loop {
        if !c.pending.is_empty() {
            // One byte per frame; yielding returns Pending to hyper, which flushes first.
            match c.one_byte {
                Some(pause) if !pause.is_zero() => tokio::time::sleep(pause).await,
                _ => tokio::task::yield_now().await,
            }
            let byte = c.pending.split_to(1);
            return Some((Ok(byte), c));
        }
        match c.queue.pop_front() {
            Some(seg) => {
                if c.started && !c.delay.is_zero() {
                    tokio::time::sleep(c.delay).await;
                }
                c.started = true;
                if seg.is_empty() {
                    continue;
                }
                if c.one_byte.is_some() {
                    c.pending = seg;
                    continue;
                }
                return Some((Ok(seg), c));
            }
            None => {
                return match c.end {
                    End::Clean => None,
                    End::Reset => {
                        if c.started {
                            // Let hyper flush what was written, so the abort comes after it.
                            tokio::task::yield_now().await;
                            tokio::time::sleep(Duration::from_millis(5)).await;
                        }
                        c.end = End::Clean;
                        Some((
                            Err(io::Error::new(
                                io::ErrorKind::ConnectionReset,
                                "simulated reset",
                            )),
                            c,
                        ))
                    }
                };
            }
        }
    }
}

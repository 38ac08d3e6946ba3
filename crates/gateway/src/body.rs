//! Reading a body piece by piece ([`Pieces`]) straight from its `ReadableStream` reader.
//!
//! workers-rs' `ByteStream` (wasm-streams) calls `releaseLock()` on its reader when it is
//! dropped, even after the stream ended, and workerd answers every `releaseLock()` by
//! building a `TypeError` for the reader's pending reads, capturing a stack trace through
//! the wasm frames: `perf` put that at about 8% of workerd's CPU on non-stream requests
//! (two readers each: the caller's body and the provider's). A reader whose stream ended
//! needs no release: [`Pieces`] just drops it, and cancels the stream only when it is
//! dropped before the end.

use std::future::Future as _;
use std::pin::Pin;
use std::task::{Context, Poll};

use futures_util::Stream;
use worker::js_sys::{Reflect, Uint8Array};
use worker::wasm_bindgen::{JsCast, JsValue};
use worker::wasm_bindgen_futures::JsFuture;
use worker::web_sys::{ReadableStream, ReadableStreamDefaultReader};
use worker::{Request, Response, ResponseBody};

/// The pieces of one body, in order; an error is the JS reason as text.
pub struct Pieces {
    reader: ReadableStreamDefaultReader,
    read: Option<JsFuture>,
    ended: bool,
}

impl Pieces {
    /// The pieces of `stream` (locking it to this reader).
    pub fn new(stream: &ReadableStream) -> Result<Pieces, String> {
        let reader = stream
            .get_reader()
            .dyn_into::<ReadableStreamDefaultReader>()
            .map_err(|_| "the body has no default reader".to_owned())?;
        Ok(Pieces {
            reader,
            read: None,
            ended: false,
        })
    }

    /// A caller's body, `None` when it has none.
    pub fn of_request(req: &Request) -> Result<Option<Pieces>, String> {
        req.inner().body().map(|s| Pieces::new(&s)).transpose()
    }

    /// A provider's body (an empty one has no pieces).
    pub fn of_response(response: &Response) -> Result<Option<Pieces>, String> {
        match response.body() {
            ResponseBody::Stream(s) => Pieces::new(s).map(Some),
            _ => Ok(None),
        }
    }
}

impl Drop for Pieces {
    /// Dropped before its end, the body is not wanted any more: cancel it.
    fn drop(&mut self) {
        if !self.ended {
            let _ = self.reader.cancel();
        }
    }
}

impl Stream for Pieces {
    type Item = Result<Vec<u8>, String>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        loop {
            if self.ended {
                return Poll::Ready(None);
            }
            let this = &mut *self;
            let read = this
                .read
                .get_or_insert_with(|| JsFuture::from(this.reader.read()));
            let result = match Pin::new(read).poll(cx) {
                Poll::Pending => return Poll::Pending,
                Poll::Ready(result) => result,
            };
            self.read = None;
            let chunk = match result {
                Ok(chunk) => chunk,
                Err(e) => {
                    self.ended = true;
                    return Poll::Ready(Some(Err(reason(&e))));
                }
            };
            let done = Reflect::get(&chunk, &JsValue::from_str("done"))
                .map(|d| d.is_truthy())
                .unwrap_or(true);
            if done {
                self.ended = true;
                return Poll::Ready(None);
            }
            let value = Reflect::get(&chunk, &JsValue::from_str("value")).unwrap_or_default();
            match value.dyn_into::<Uint8Array>() {
                Ok(bytes) if bytes.length() == 0 => {} // nothing in it: read on
                Ok(bytes) => return Poll::Ready(Some(Ok(bytes.to_vec()))),
                Err(_) => {
                    self.ended = true;
                    return Poll::Ready(Some(Err("a body piece is not bytes".to_owned())));
                }
            }
        }
    }
}

/// A JS rejection reason as text.
fn reason(e: &JsValue) -> String {
    e.as_string()
        .or_else(|| {
            e.dyn_ref::<worker::js_sys::Error>()
                .map(|e| String::from(e.message()))
        })
        .unwrap_or_else(|| "the body could not be read".to_owned())
}

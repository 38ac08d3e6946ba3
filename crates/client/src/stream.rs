//! Streamed chat completions: an async iterator of normalized chunks.
//!
//! The chunks cross to JavaScript in batches: `nextBatch()` reads one network piece and
//! hands every chunk decoded from it at once, encoded by `batch.rs` (the strings of
//! plain chunks, the JSON text of others); `buildBatch` in `js/glue.js` makes the
//! objects, and `next()` and `for await` walk them.

use std::cell::RefCell;
use std::collections::VecDeque;
use std::rc::Rc;

use js_sys::{Promise, Uint8Array};
use switchboard_core::Error;
use switchboard_core::accumulate::Accumulator;
use switchboard_core::stream::{StreamDecoder, StreamEvent};
use switchboard_core::types::ChatCompletion;
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;
use web_sys::ReadableStreamDefaultReader;

use crate::batch::Batch;
use crate::errors::{self, Fail};
use crate::js::{self, Attempt};
use crate::net::{expired, read_failure};

struct State {
    reader: Option<ReadableStreamDefaultReader>,
    attempt: Attempt,
    decoder: StreamDecoder,
    queue: VecDeque<StreamEvent>,
    /// The bytes of the last network read (reused).
    buf: Vec<u8>,
    acc: Accumulator,
    /// Set once the stream ended; later calls repeat it.
    end: Option<Result<(), JsValue>>,
}

/// A streamed chat completion. Iterate it with `for await (const chunk of stream)`;
/// `finalCompletion()` gives the accumulated completion; `toReadableStream()` gives
/// newline-delimited JSON bytes. `next()` and `cancel()` come from `js/glue.js`.
#[wasm_bindgen]
pub struct Stream {
    state: Rc<RefCell<State>>,
}

impl Stream {
    /// Wraps a 2xx streaming response; returns the JS object, async-iterable.
    pub fn start(
        reader: Option<ReadableStreamDefaultReader>,
        attempt: Attempt,
        decoder: StreamDecoder,
    ) -> JsValue {
        let state = State {
            reader,
            attempt,
            decoder,
            queue: VecDeque::new(),
            buf: Vec::new(),
            acc: Accumulator::new(),
            end: None,
        };
        let stream = Stream {
            state: Rc::new(RefCell::new(state)),
        };
        let obj = JsValue::from(stream);
        js::install_iterator(&js_sys::Object::get_prototype_of(&obj).into());
        obj
    }

    /// Ends the stream with `result`, releasing the reader and the attempt.
    fn end(state: &Rc<RefCell<State>>, result: Result<(), JsValue>) {
        let mut s = state.borrow_mut();
        if s.end.is_some() {
            return;
        }
        if result.is_err()
            && let Some(reader) = s.reader.take()
        {
            js::cancel_reader(&reader);
        }
        s.reader = None;
        s.queue.clear();
        s.attempt.release();
        s.end = Some(result);
    }

    /// Takes the queued chunks up to the first error or end, merging each into the
    /// accumulator; returns them and how the stream ended, if it did.
    fn take(s: &mut State, encode: bool) -> (Batch, Option<Result<(), Fail>>) {
        let mut batch = Batch::default();
        while let Some(event) = s.queue.pop_front() {
            let pushed = match event {
                StreamEvent::Chunk(chunk) if encode => {
                    s.acc.push(&chunk).and_then(|()| batch.push(&chunk))
                }
                StreamEvent::Chunk(chunk) => s.acc.push(&chunk).map(|()| batch.count += 1),
                StreamEvent::Error(e) => Err(e),
                StreamEvent::Done => return (batch, Some(Ok(()))),
            };
            if let Err(e) = pushed {
                return (batch, Some(Err(Fail::Core(e))));
            }
        }
        (batch, None)
    }

    /// Reads until at least one chunk is decoded: the chunks of one network read,
    /// encoded for JavaScript when `encode` (else only counted); `None` at the end. An
    /// error after some chunks is kept for the next call, so those chunks still arrive.
    async fn next_batch(state: Rc<RefCell<State>>, encode: bool) -> Result<Option<Batch>, JsValue> {
        loop {
            let read = {
                let (batch, ended) = Self::take(&mut state.borrow_mut(), encode);
                if let Some(result) = ended {
                    Self::end(&state, result.map_err(errors::to_js));
                }
                if batch.count > 0 {
                    return Ok(Some(batch));
                }
                let mut s = state.borrow_mut();
                if let Some(end) = &s.end {
                    return end.clone().map(|()| None);
                }
                match &s.reader {
                    Some(reader) => s.attempt.read(reader),
                    None => {
                        let events = s.decoder.finish();
                        s.queue.extend(events);
                        if s.queue.is_empty() {
                            drop(s);
                            Self::end(&state, Ok(()));
                        }
                        continue;
                    }
                }
            };
            let result = JsFuture::from(read).await;
            let mut s = state.borrow_mut();
            if s.end.is_some() {
                continue;
            }
            let result = match expired(&s.attempt) {
                Some(fail) => Err(fail),
                None => result.map_err(|e| {
                    read_failure(&s.attempt, &e, |m| Error::StreamInterrupted {
                        message: format!("the connection broke mid-stream: {m}"),
                    })
                }),
            };
            match result {
                Ok(r) if js::get(&r, "done").is_truthy() => {
                    s.reader = None;
                    let events = s.decoder.finish();
                    s.queue.extend(events);
                }
                Ok(r) => {
                    let bytes: Uint8Array = js::get(&r, "value").unchecked_into();
                    // Copied into one buffer kept for the stream, decoded straight
                    // into the queue: no allocation per read.
                    let st = &mut *s;
                    st.buf.resize(bytes.length() as usize, 0);
                    bytes.copy_to(&mut st.buf);
                    st.decoder
                        .feed_with(&st.buf, &mut |event| st.queue.push_back(event));
                }
                Err(fail) => {
                    drop(s);
                    let e = errors::to_js(fail);
                    Self::end(&state, Err(e.clone()));
                    return Err(e);
                }
            }
        }
    }

    fn handle(&self) -> Stream {
        Stream {
            state: self.state.clone(),
        }
    }

    fn completion(&self) -> ChatCompletion {
        self.state.borrow().acc.snapshot()
    }
}

#[wasm_bindgen]
impl Stream {
    /// The chunks of the next network read as `[text, ops]` (see `batch.rs`),
    /// `undefined` at the end; rejects with the stream's error. Used by `next()` in
    /// `js/glue.js`, which builds the chunks with `buildBatch`.
    #[wasm_bindgen(js_name = nextBatch, skip_typescript)]
    pub fn next_batch_js(&self) -> Promise {
        let state = self.state.clone();
        js::spawn(async move {
            Ok(Stream::next_batch(state, true)
                .await?
                .map_or(JsValue::UNDEFINED, |batch| {
                    let ops = js_sys::Float64Array::from(batch.ops.as_slice());
                    js_sys::Array::of2(&JsValue::from_str(&batch.text), &ops).into()
                }))
        })
    }

    /// Stops reading and aborts the request. Called by `cancel()` in `js/glue.js`.
    #[wasm_bindgen(js_name = cancelRead, skip_typescript)]
    pub fn cancel_read(&self) {
        let running = self.state.borrow().end.is_none();
        if running {
            self.state.borrow().attempt.abort();
            Stream::end(&self.state, Ok(()));
        }
    }

    /// Reads the rest of the stream and resolves with the accumulated completion
    /// (content joined, tool calls merged); rejects with the stream's error.
    #[wasm_bindgen(js_name = finalCompletion)]
    #[wasm_bindgen(unchecked_return_type = "Promise<ChatCompletion>")]
    pub fn final_completion(&self) -> Promise {
        let this = self.handle();
        js::spawn(async move {
            while Stream::next_batch(this.state.clone(), false)
                .await?
                .is_some()
            {}
            Ok(js::to_js(&this.completion()))
        })
    }

    /// A `ReadableStream` of newline-delimited JSON chunks (as openai-node's).
    #[wasm_bindgen(js_name = toReadableStream)]
    pub fn to_readable_stream(&self) -> web_sys::ReadableStream {
        js::to_readable(JsValue::from(self.handle()))
    }
}

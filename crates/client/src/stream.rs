//! Streamed chat completions: an async iterator of normalized chunks.
//!
//! JavaScript drives the body (`nextBatch` in `js/glue.js`): it calls `pull()` for
//! what is decoded and, when that needs bytes, `read()` and then `fed()` (or `failed()`)
//! with the result; every call into wasm is synchronous, so no future or closure is
//! made per read. The chunks of one network read cross at once, encoded by `batch.rs`
//! (the strings of plain chunks, the JSON text of others); `buildBatch` makes the
//! objects, and `next()` and `for await` walk them.

use std::cell::RefCell;
use std::collections::VecDeque;
use std::rc::Rc;

use js_sys::{Promise, Uint8Array};
use switchboard_core::Error;
use switchboard_core::accumulate::Accumulator;
use switchboard_core::stream::{StreamDecoder, StreamEvent};
use wasm_bindgen::prelude::*;
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
    /// The chunks taken by the last `pull` (reused; JavaScript reads its `ops` in place).
    batch: Batch,
    acc: Accumulator,
    /// Set once the stream ended; later calls repeat it.
    end: Option<Result<(), JsValue>>,
}

/// What `pull_batch` found.
enum Pulled {
    /// Chunks, in `State::batch` (encoded only if asked).
    Chunks,
    /// Nothing yet: the body must be read.
    NeedBytes,
    /// The stream ended well.
    End,
}

/// A streamed chat completion. Iterate it with `for await (const chunk of stream)`;
/// `finalCompletion()` gives the accumulated completion; `toReadableStream()` gives
/// newline-delimited JSON bytes. `next()`, `cancel()` and `toReadableStream()` come
/// from `js/glue.js`.
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
            batch: Batch::default(),
            acc: Accumulator::new(),
            end: None,
        };
        let stream = Stream {
            state: Rc::new(RefCell::new(state)),
        };
        let obj = JsValue::from(stream);
        js::install_iterator(
            &js_sys::Object::get_prototype_of(&obj).into(),
            &wasm_bindgen::memory(),
        );
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

    /// Takes the queued chunks up to the first error or end into `s.batch` (emptied
    /// first), merging each into the accumulator; returns how the stream ended, if it did.
    fn take(s: &mut State, encode: bool) -> Option<Result<(), Fail>> {
        s.batch.clear();
        while let Some(event) = s.queue.pop_front() {
            let pushed = match event {
                StreamEvent::Chunk(chunk) if encode => {
                    s.acc.push(&chunk).and_then(|()| s.batch.push(&chunk))
                }
                StreamEvent::Chunk(chunk) => s.acc.push(&chunk).map(|()| s.batch.count += 1),
                StreamEvent::Error(e) => Err(e),
                StreamEvent::Done => return Some(Ok(())),
            };
            if let Err(e) = pushed {
                return Some(Err(Fail::Core(e)));
            }
        }
        None
    }

    /// Takes what is decoded: the chunks (encoded for JavaScript when `encode`, else
    /// only counted), else whether more bytes are needed or the stream ended. An error
    /// after some chunks is kept for the next call, so those chunks still arrive.
    fn pull_batch(state: &Rc<RefCell<State>>, encode: bool) -> Result<Pulled, JsValue> {
        loop {
            let ended = Self::take(&mut state.borrow_mut(), encode);
            if let Some(result) = ended {
                Self::end(state, result.map_err(errors::to_js));
            }
            if state.borrow().batch.count > 0 {
                return Ok(Pulled::Chunks);
            }
            let mut s = state.borrow_mut();
            if let Some(end) = &s.end {
                return end.clone().map(|()| Pulled::End);
            }
            if s.reader.is_some() {
                return Ok(Pulled::NeedBytes);
            }
            let events = s.decoder.finish();
            s.queue.extend(events);
            if s.queue.is_empty() {
                drop(s);
                Self::end(state, Ok(()));
            }
        }
    }

    fn handle(&self) -> Stream {
        Stream {
            state: self.state.clone(),
        }
    }
}

#[wasm_bindgen]
impl Stream {
    /// What is decoded (see `pull_batch`): the batch's text (see `batch.rs`; its ops
    /// at `opsAt()`) when `encode`, `true` for chunks only counted, `null` when the body
    /// must be read (`read()`), `undefined` at the end; throws the stream's error. Used
    /// by `nextBatch` in `js/glue.js`, which reads the body and builds the chunks.
    #[wasm_bindgen(skip_typescript)]
    pub fn pull(&self, encode: bool) -> Result<JsValue, JsValue> {
        Ok(match Stream::pull_batch(&self.state, encode)? {
            Pulled::NeedBytes => JsValue::NULL,
            Pulled::End => JsValue::UNDEFINED,
            Pulled::Chunks if !encode => JsValue::TRUE,
            Pulled::Chunks => JsValue::from_str(&self.state.borrow().batch.text),
        })
    }

    /// Where the last batch's ops are in wasm memory, in `f64` units (valid until the
    /// next call into the stream).
    #[wasm_bindgen(js_name = opsAt, skip_typescript)]
    pub fn ops_at(&self) -> usize {
        self.state.borrow().batch.ops.as_ptr() as usize / size_of::<f64>()
    }

    /// How many ops the last batch has.
    #[wasm_bindgen(js_name = opsLen, skip_typescript)]
    pub fn ops_len(&self) -> usize {
        self.state.borrow().batch.ops.len()
    }

    /// The next read of the body, under the attempt's bounds: a promise of
    /// `{done, value}` for `fed`, its rejection for `failed` (each tells the attempt the
    /// read settled).
    #[wasm_bindgen(skip_typescript)]
    pub fn read(&self) -> Promise {
        let s = self.state.borrow();
        match &s.reader {
            Some(reader) => s.attempt.read(reader),
            None => Promise::resolve(&JsValue::UNDEFINED),
        }
    }

    /// Decodes one read's `{done, value}` into the queue.
    #[wasm_bindgen(skip_typescript)]
    pub fn fed(&self, read: JsValue) {
        let mut s = self.state.borrow_mut();
        s.attempt.settled();
        if s.end.is_some() {
            return;
        }
        if let Some(fail) = expired(&s.attempt) {
            drop(s);
            Stream::end(&self.state, Err(errors::to_js(fail)));
            return;
        }
        if js::get(&read, "done").is_truthy() {
            s.reader = None;
            let events = s.decoder.finish();
            s.queue.extend(events);
            return;
        }
        let bytes: Uint8Array = js::get(&read, "value").unchecked_into();
        // Copied into one buffer kept for the stream, decoded straight into the
        // queue: no allocation per read.
        let st = &mut *s;
        st.buf.resize(bytes.length() as usize, 0);
        bytes.copy_to(&mut st.buf);
        st.decoder
            .feed_with(&st.buf, &mut |event| st.queue.push_back(event));
    }

    /// Ends the stream with the failure a rejected `read()` means.
    #[wasm_bindgen(skip_typescript)]
    pub fn failed(&self, e: JsValue) {
        let fail = {
            let s = self.state.borrow();
            s.attempt.settled();
            if s.end.is_some() {
                return;
            }
            read_failure(&s.attempt, &e, |m| Error::StreamInterrupted {
                message: format!("the connection broke mid-stream: {m}"),
            })
        };
        Stream::end(&self.state, Err(errors::to_js(fail)));
    }

    /// The completion accumulated so far. Used by `finalCompletion()`.
    #[wasm_bindgen(skip_typescript)]
    pub fn completion(&self) -> JsValue {
        js::to_js(&self.state.borrow().acc.snapshot())
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
        js::final_completion(JsValue::from(self.handle()))
    }
}

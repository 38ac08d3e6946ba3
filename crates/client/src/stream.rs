//! Streamed chat completions: an async iterator of normalized chunks.

use std::cell::RefCell;
use std::collections::VecDeque;
use std::rc::Rc;

use js_sys::{Object, Promise, Uint8Array};
use switchboard_core::Error;
use switchboard_core::accumulate::Accumulator;
use switchboard_core::stream::{StreamDecoder, StreamEvent};
use switchboard_core::types::ChatCompletion;
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::{JsFuture, future_to_promise};
use web_sys::ReadableStreamDefaultReader;

use crate::errors::{self, Fail};
use crate::js::{self, Attempt};
use crate::net::{expired, read_failure};

struct State {
    reader: Option<ReadableStreamDefaultReader>,
    attempt: Attempt,
    decoder: StreamDecoder,
    queue: VecDeque<StreamEvent>,
    acc: Accumulator,
    /// Set once the stream ended; later `next()` calls repeat it.
    end: Option<Result<(), JsValue>>,
}

/// A streamed chat completion. Iterate it with `for await (const chunk of stream)`;
/// `finalCompletion()` gives the accumulated completion; `toReadableStream()` gives
/// newline-delimited JSON bytes.
#[wasm_bindgen]
pub struct Stream {
    state: Rc<RefCell<State>>,
}

/// `{value, done}`.
fn step(value: &JsValue, done: bool) -> JsValue {
    let out = Object::new();
    js::set(&out, "value", value);
    js::set(&out, "done", &JsValue::from_bool(done));
    out.into()
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
        s.attempt.release();
        s.end = Some(result);
    }

    /// The next chunk as JSON, `None` at the end.
    async fn next_chunk(state: Rc<RefCell<State>>) -> Result<Option<JsValue>, JsValue> {
        loop {
            let read = {
                let mut s = state.borrow_mut();
                if let Some(event) = s.queue.pop_front() {
                    drop(s);
                    match event {
                        StreamEvent::Chunk(chunk) => {
                            let pushed = state.borrow_mut().acc.push(&chunk);
                            if let Err(e) = pushed {
                                let e = errors::to_js(Fail::Core(e));
                                Self::end(&state, Err(e.clone()));
                                return Err(e);
                            }
                            return Ok(Some(js::to_js(&chunk)));
                        }
                        StreamEvent::Error(e) => {
                            let e = errors::to_js(Fail::Core(e));
                            Self::end(&state, Err(e.clone()));
                            return Err(e);
                        }
                        StreamEvent::Done => {
                            Self::end(&state, Ok(()));
                            return Ok(None);
                        }
                    }
                }
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
                Ok(r) => {
                    if js::get(&r, "done").is_truthy() {
                        s.reader = None;
                        let events = s.decoder.finish();
                        s.queue.extend(events);
                    } else {
                        let bytes: Uint8Array = js::get(&r, "value").unchecked_into();
                        let events = s.decoder.feed(&bytes.to_vec());
                        s.queue.extend(events);
                    }
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
    /// The next `{value, done}`; rejects with the stream's error.
    #[wasm_bindgen(
        unchecked_return_type = "Promise<IteratorResult<ChatCompletionChunk, undefined>>"
    )]
    pub fn next(&self) -> Promise {
        let state = self.state.clone();
        future_to_promise(async move {
            match Stream::next_chunk(state).await? {
                Some(chunk) => Ok(step(&chunk, false)),
                None => Ok(step(&JsValue::UNDEFINED, true)),
            }
        })
    }

    /// Stops reading and aborts the request.
    pub fn cancel(&self) {
        let attempt_abort = {
            let s = self.state.borrow();
            s.end.is_none()
        };
        if attempt_abort {
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
        future_to_promise(async move {
            while Stream::next_chunk(this.state.clone()).await?.is_some() {}
            Ok(js::to_js(&this.completion()))
        })
    }

    /// A `ReadableStream` of newline-delimited JSON chunks (as openai-node's).
    #[wasm_bindgen(js_name = toReadableStream)]
    pub fn to_readable_stream(&self) -> web_sys::ReadableStream {
        js::to_readable(JsValue::from(self.handle()))
    }
}

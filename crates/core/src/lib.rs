//! switchboard-core: OpenAI-shaped types and the codecs that translate them to and
//! from five LLM provider dialects. `no_std` + `alloc`, sans-IO: bytes and values in,
//! bytes and values out; time is passed in.
//!
//! ```
//! use switchboard_core::encode::encode_chat;
//! use switchboard_core::http::ResponseHead;
//! use switchboard_core::limits::Limits;
//! use switchboard_core::route::Target;
//! use switchboard_core::stream::{StreamContext, StreamDecoder, StreamEvent};
//! use switchboard_core::types::ChatRequest;
//!
//! let req: ChatRequest = serde_json::from_str(
//!     r#"{"model": "airforce/llama-3.1-70b-chat", "stream": true, "top_k": 40,
//!         "messages": [{"role": "user", "content": "Hi"}, {"role": "system", "content": "Be brief."}]}"#,
//! ).unwrap();
//! let target = Target::parse(&req.model).unwrap();
//! let mut http = encode_chat(&target, &req, &Limits::DEFAULT).unwrap();
//! http.authorize("the-provider-key"); // the caller adds the key and does the I/O
//! assert_eq!(http.url("https://api.airforce"), "https://api.airforce/v1/chat/completions");
//!
//! // Feed the response body as it arrives, in pieces of any size.
//! let head = ResponseHead::new(200, 1_700_000_000).with_header("content-type", "text/event-stream");
//! let mut decoder = StreamDecoder::new(target.provider, http.response, &head, StreamContext::default(), Limits::DEFAULT);
//! let mut text = String::new();
//! for piece in [&b"data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"Hel"[..], b"lo\"}}]}\n\ndata: [DONE]\n\n"] {
//!     for event in decoder.feed(piece) {
//!         match event {
//!             StreamEvent::Chunk(c) => text += c.choices[0].delta.content.as_deref().unwrap_or(""),
//!             StreamEvent::Error(e) => panic!("{e}"),
//!             StreamEvent::Done => {}
//!         }
//!     }
//! }
//! assert_eq!(text, "Hello");
//! ```
#![no_std]
extern crate alloc;

pub mod accumulate;
pub mod decode;
pub mod encode;
pub mod endpoints;
pub mod error;
pub mod http;
pub mod limits;
pub mod provider;
pub mod ratelimit;
pub mod retry_after;
pub mod route;
pub mod sse;
pub mod stream;
pub mod types;

pub use accumulate::Accumulator;
pub use error::{ApiError, Error};
pub use provider::ProviderId;
pub use ratelimit::{Decision, Quota, RateState};
pub use stream::{StreamDecoder, StreamEvent};

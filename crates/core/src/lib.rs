//! switchboard-core: OpenAI-shaped types and the codecs that translate them to and
//! from five LLM provider dialects. `no_std` + `alloc`, sans-IO: bytes and values in,
//! bytes and values out; time is passed in.
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

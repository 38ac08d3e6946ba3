//! switchboard-core: OpenAI-shaped types and the codecs that translate them to and
//! from five LLM provider dialects. `no_std` + `alloc`, sans-IO: bytes and values in,
//! bytes and values out; time is passed in.
#![no_std]
extern crate alloc;

//! switchboard-client: the Switchboard core compiled to WebAssembly, with an
//! openai-node-shaped API for web pages.
//!
//! ```js
//! import init, { Switchboard } from "switchboard-client";
//! await init();
//! const sb = new Switchboard({ baseURL: "https://gw.example.com/v1", apiKey: TOKEN });
//! const r = await sb.chat.completions.create({ model: "secry/gemma-3-27b-it", messages });
//! ```
//!
//! Two modes: **gateway** (only `baseURL`: models are `provider/model` and the client
//! speaks OpenAI to a Switchboard gateway) and **direct** (`provider` given and
//! `dangerouslyAllowBrowser: true`: the core encodes the provider's dialect in the page,
//! with the same normalization the gateway applies).
//!
//! Everything here is for `wasm32-unknown-unknown`; on other targets the crate is empty.

#[doc(hidden)]
pub mod batch;
#[cfg(target_arch = "wasm32")]
mod client;
#[cfg(target_arch = "wasm32")]
mod endpoints;
#[cfg(target_arch = "wasm32")]
mod errors;
#[cfg(target_arch = "wasm32")]
mod js;
#[cfg(target_arch = "wasm32")]
mod net;
#[cfg(target_arch = "wasm32")]
mod stream;
#[cfg(target_arch = "wasm32")]
mod types;

#[cfg(target_arch = "wasm32")]
pub use client::{Chat, Completions, Models, Switchboard};
#[cfg(target_arch = "wasm32")]
pub use endpoints::{Airforce, Audio, Files, Images, Speech};
#[cfg(target_arch = "wasm32")]
pub use stream::Stream;

//! Shared helpers: an in-process simulator per test and a bounded reqwest client.
#![allow(dead_code)]

use std::time::Duration;

use serde_json::Value;
use switchboard_sim::{Config, Server, serve};

/// A running simulator and a client for it.
pub struct Sim {
    /// The server (aborted on drop).
    pub server: Server,
    /// A client with a 15 s timeout.
    pub client: reqwest::Client,
}

impl Drop for Sim {
    fn drop(&mut self) {
        self.server.handle.abort();
    }
}

impl Sim {
    /// Starts a simulator with default settings.
    pub async fn start() -> Self {
        Self::with(Config::default()).await
    }

    /// Starts a simulator with `config` (always on 127.0.0.1, any port).
    pub async fn with(mut config: Config) -> Self {
        config.host = "127.0.0.1".into();
        config.port = 0;
        let server = serve(config).await.expect("bind loopback");
        let client = reqwest::Client::builder()
            .timeout(Duration::from_secs(15))
            .build()
            .expect("client");
        Self { server, client }
    }

    /// `http://127.0.0.1:PORT{path}`.
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.server.base_url())
    }

    /// POST JSON with a bearer key.
    pub async fn post(&self, path: &str, key: &str, body: &Value) -> reqwest::Response {
        self.client
            .post(self.url(path))
            .bearer_auth(key)
            .json(body)
            .send()
            .await
            .expect("send")
    }

    /// POST JSON with a bearer key and extra headers.
    pub async fn post_with(
        &self,
        path: &str,
        key: &str,
        body: &Value,
        headers: &[(&str, &str)],
    ) -> reqwest::Response {
        let mut req = self.client.post(self.url(path)).bearer_auth(key).json(body);
        for (k, v) in headers {
            req = req.header(*k, *v);
        }
        req.send().await.expect("send")
    }

    /// The request log (`GET /__sim/requests`) as JSON.
    pub async fn requests(&self) -> Value {
        self.client
            .get(self.url("/__sim/requests"))
            .send()
            .await
            .expect("send")
            .json()
            .await
            .expect("the request log is JSON")
    }

    /// Arms a fault (`POST /__sim/faults` with `body`); the simulator's answer.
    pub async fn arm(&self, body: &Value) -> reqwest::Response {
        self.client
            .post(self.url("/__sim/faults"))
            .json(body)
            .send()
            .await
            .expect("send")
    }

    /// `DELETE {path}` (no key); the simulator's answer.
    pub async fn delete(&self, path: &str) -> reqwest::Response {
        self.client
            .delete(self.url(path))
            .send()
            .await
            .expect("send")
    }

    /// GET with a bearer key.
    pub async fn get(&self, path: &str, key: &str) -> reqwest::Response {
        self.client
            .get(self.url(path))
            .bearer_auth(key)
            .send()
            .await
            .expect("send")
    }
}

/// Default keys.
pub const SECRY: &str = "sk-sim-secry";
/// Default key.
pub const SECTON: &str = "sk-sim-secton";
/// Default key.
pub const AIRFORCE: &str = "sk-sim-airforce";
/// Default key.
pub const SIRAYA: &str = "sk-sim-siraya";
/// Default key.
pub const GEMINI: &str = "sk-sim-gemini";

/// A chat body with one user message.
pub fn user(model: &str, text: &str) -> Value {
    serde_json::json!({"model": model, "messages": [{"role": "user", "content": text}]})
}

/// The `data:` payloads of an SSE body, in order.
pub fn sse_data(body: &str) -> Vec<String> {
    body.split("\n\n")
        .filter_map(|e| e.strip_prefix("data: "))
        .map(str::to_string)
        .collect()
}

/// Concatenated `delta.content` of OpenAI-style chunks.
pub fn stream_text(data: &[String]) -> String {
    data.iter()
        .filter(|d| *d != "[DONE]")
        .filter_map(|d| serde_json::from_str::<Value>(d).ok())
        .filter_map(|v| {
            v["choices"][0]["delta"]["content"]
                .as_str()
                .map(str::to_string)
        })
        .collect()
}

/// Asserts an OpenAI-shaped error body with this status.
pub async fn assert_error(resp: reqwest::Response, status: u16) -> Value {
    assert_eq!(resp.status().as_u16(), status);
    let v: Value = resp.json().await.expect("error body is JSON");
    assert!(v["error"]["message"].is_string(), "error shape: {v}");
    assert!(v["error"]["type"].is_string(), "error shape: {v}");
    v
}

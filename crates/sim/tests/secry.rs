//! SECRY: chat, tools, streams, models, files, images, errors and its rate limit.
#![allow(clippy::unwrap_used)] // Tests fail loudly by design.

mod common;

use common::*;
use serde_json::{Value, json};
use switchboard_sim::Config;

const CHAT: &str = "/secry/v1/chat/completions";
const MODEL: &str = "meta-llama/Meta-Llama-3.1-8B-Instruct-fast";

#[tokio::test]
async fn chat_echoes_the_last_user_message() {
    let sim = Sim::start().await;
    let body = json!({"model": MODEL, "messages": [
        {"role": "system", "content": "You are a helpful AI assistant."},
        {"role": "user", "content": "Tell me a short joke!"}
    ], "max_tokens": 50, "temperature": 0.7, "stream": false});
    let resp = sim.post(CHAT, SECRY, &body).await;
    assert_eq!(resp.status(), 200);
    let v: Value = resp.json().await.unwrap();
    assert_eq!(v["object"], "chat.completion");
    assert_eq!(v["model"], MODEL);
    assert_eq!(v["choices"][0]["message"]["role"], "assistant");
    assert_eq!(
        v["choices"][0]["message"]["content"],
        "Tell me a short joke!"
    );
    assert_eq!(v["choices"][0]["finish_reason"], "stop");
    assert_eq!(v["usage"]["completion_tokens"], 5);
    assert_eq!(v["usage"]["prompt_tokens"], 11);
    assert_eq!(v["usage"]["total_tokens"], 16);
    assert!(v["id"].as_str().unwrap().starts_with("chatcmpl-"));
}

#[tokio::test]
async fn count_to_n_and_max_tokens_gives_length() {
    let sim = Sim::start().await;
    let v: Value = sim
        .post(CHAT, SECRY, &user(MODEL, "count to 7"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(v["choices"][0]["message"]["content"], "1 2 3 4 5 6 7");
    assert_eq!(v["usage"]["completion_tokens"], 7);
    let mut body = user(MODEL, "count to 7");
    body["max_tokens"] = json!(3);
    let v: Value = sim.post(CHAT, SECRY, &body).await.json().await.unwrap();
    assert_eq!(v["choices"][0]["message"]["content"], "1 2 3");
    assert_eq!(v["choices"][0]["finish_reason"], "length");
}

#[tokio::test]
async fn stream_sends_one_chunk_per_token_then_done() {
    let sim = Sim::start().await;
    let mut body = user(MODEL, "count to 4");
    body["stream"] = json!(true);
    body["stream_options"] = json!({"include_usage": true});
    let resp = sim.post(CHAT, SECRY, &body).await;
    assert_eq!(resp.status(), 200);
    assert_eq!(resp.headers()["content-type"], "text/event-stream");
    let data = sse_data(&resp.text().await.unwrap());
    // role chunk, 4 tokens, finish chunk, usage chunk, [DONE]
    assert_eq!(data.len(), 8, "{data:?}");
    assert_eq!(data.last().unwrap(), "[DONE]");
    assert_eq!(stream_text(&data), "1 2 3 4");
    let first: Value = serde_json::from_str(&data[0]).unwrap();
    assert_eq!(first["object"], "chat.completion.chunk");
    assert_eq!(first["choices"][0]["delta"]["role"], "assistant");
    let fin: Value = serde_json::from_str(&data[5]).unwrap();
    assert_eq!(fin["choices"][0]["finish_reason"], "stop");
    let usage: Value = serde_json::from_str(&data[6]).unwrap();
    assert_eq!(usage["usage"]["completion_tokens"], 4);
}

#[tokio::test]
async fn stream_chunk_count_and_delay_follow_headers_and_config() {
    let sim = Sim::start().await;
    let mut body = user(MODEL, "abcdefghij");
    body["stream"] = json!(true);
    let t = std::time::Instant::now();
    let resp = sim
        .post_with(
            CHAT,
            SECRY,
            &body,
            &[("x-sim-stream-chunks", "5"), ("x-sim-chunk-delay-ms", "20")],
        )
        .await;
    let data = sse_data(&resp.text().await.unwrap());
    assert_eq!(data.len(), 1 + 5 + 1 + 1);
    assert_eq!(stream_text(&data), "abcdefghij");
    assert!(t.elapsed() >= std::time::Duration::from_millis(7 * 20));

    let sim = Sim::with(Config {
        stream_chunks: Some(3),
        ..Config::default()
    })
    .await;
    let data = sse_data(&sim.post(CHAT, SECRY, &body).await.text().await.unwrap());
    assert_eq!(data.len(), 1 + 3 + 1 + 1);
}

fn weather_tools() -> Value {
    json!([{"type": "function", "function": {"name": "get_current_weather",
        "description": "Get the weather", "parameters": {"type": "object", "properties": {
            "city": {"type": "string"}, "unit": {"type": "string"}}}}}])
}

#[tokio::test]
async fn tools_produce_tool_calls_and_tool_results_are_answered() {
    let sim = Sim::start().await;
    let mut body = user(
        MODEL,
        r#"get_current_weather {"city": "Bandung", "unit": "celsius"}"#,
    );
    body["tools"] = weather_tools();
    body["tool_choice"] = json!("auto");
    let v: Value = sim.post(CHAT, SECRY, &body).await.json().await.unwrap();
    let msg = &v["choices"][0]["message"];
    assert_eq!(v["choices"][0]["finish_reason"], "tool_calls");
    assert!(msg["content"].is_null());
    let call = &msg["tool_calls"][0];
    assert_eq!(call["type"], "function");
    assert_eq!(call["function"]["name"], "get_current_weather");
    let args: Value =
        serde_json::from_str(call["function"]["arguments"].as_str().unwrap()).unwrap();
    assert_eq!(args, json!({"city": "Bandung", "unit": "celsius"}));

    // The tool result goes back with role "tool"; the model answers in text.
    let follow = json!({"model": MODEL, "tools": weather_tools(), "messages": [
        {"role": "user", "content": "What's the temperature in Bandung? get_current_weather"},
        {"role": "assistant", "content": null, "tool_calls": [call]},
        {"role": "tool", "tool_call_id": call["id"], "name": "get_current_weather", "content": "22 C"}
    ]});
    let v: Value = sim.post(CHAT, SECRY, &follow).await.json().await.unwrap();
    assert_eq!(v["choices"][0]["message"]["content"], "tool result: 22 C");
    assert_eq!(v["choices"][0]["finish_reason"], "stop");

    // none: never a call; forced: always that one.
    body["tool_choice"] = json!("none");
    let v: Value = sim.post(CHAT, SECRY, &body).await.json().await.unwrap();
    assert_eq!(v["choices"][0]["finish_reason"], "stop");
    let mut forced = user(MODEL, "hello");
    forced["tools"] = weather_tools();
    forced["tool_choice"] =
        json!({"type": "function", "function": {"name": "get_current_weather"}});
    let v: Value = sim.post(CHAT, SECRY, &forced).await.json().await.unwrap();
    assert_eq!(
        v["choices"][0]["message"]["tool_calls"][0]["function"]["arguments"],
        "{}"
    );
    // auto without the tool's name: plain text
    forced["tool_choice"] = json!("auto");
    let v: Value = sim.post(CHAT, SECRY, &forced).await.json().await.unwrap();
    assert_eq!(v["choices"][0]["message"]["content"], "hello");
    // unknown forced tool: 400
    forced["tool_choice"] = json!({"type": "function", "function": {"name": "nope"}});
    assert_error(sim.post(CHAT, SECRY, &forced).await, 400).await;
}

#[tokio::test]
async fn streamed_tool_call_arrives_in_deltas() {
    let sim = Sim::start().await;
    let mut body = user(MODEL, "hi");
    body["tools"] = weather_tools();
    body["tool_choice"] = json!("required");
    body["stream"] = json!(true);
    let data = sse_data(&sim.post(CHAT, SECRY, &body).await.text().await.unwrap());
    let joined = data.join("\n");
    assert!(joined.contains("\"name\":\"get_current_weather\""));
    assert!(joined.contains("\"finish_reason\":\"tool_calls\""));
    assert_eq!(data.last().unwrap(), "[DONE]");
}

#[tokio::test]
async fn image_parts_are_accepted() {
    let sim = Sim::start().await;
    let body = json!({"model": "Qwen/Qwen2.5-VL-72B-Instruct", "messages": [{"role": "user", "content": [
        {"type": "text", "text": "what is this"},
        {"type": "image_url", "image_url": {"url": "data:image/png;base64,iVBORw0KGgo="}}
    ]}]});
    let v: Value = sim.post(CHAT, SECRY, &body).await.json().await.unwrap();
    assert_eq!(
        v["choices"][0]["message"]["content"],
        "what is this [image]"
    );
}

#[tokio::test]
async fn bad_input_gets_secry_errors() {
    let sim = Sim::start().await;
    let raw = sim
        .client
        .post(sim.url(CHAT))
        .bearer_auth(SECRY)
        .body("{not json")
        .send()
        .await
        .unwrap();
    let v = assert_error(raw, 400).await;
    assert_eq!(v["error"]["type"], "invalid_request_error");
    assert!(v["error"].get("param").is_some());
    assert_error(sim.post(CHAT, SECRY, &json!({"model": MODEL})).await, 400).await;
    assert_error(sim.post(CHAT, SECRY, &json!({"messages": []})).await, 400).await;
    assert_error(
        sim.post(
            CHAT,
            SECRY,
            &json!({"model": MODEL, "messages": [{"role": "wizard", "content": "x"}]}),
        )
        .await,
        400,
    )
    .await;
    assert_error(
        sim.post(
            CHAT,
            SECRY,
            &json!({"model": MODEL, "messages": [{"role": "tool", "content": "x"}]}),
        )
        .await,
        400,
    )
    .await;
    let mut b = user(MODEL, "x");
    b["max_tokens"] = json!(-1);
    assert_error(sim.post(CHAT, SECRY, &b).await, 400).await;
    assert_error(sim.get("/secry/v1/nope", SECRY).await, 404).await;
    assert_error(sim.get(CHAT, SECRY).await, 405).await;
    // The document marks MiniMax-M2.5 as under maintenance.
    assert_error(
        sim.post(CHAT, SECRY, &user("MiniMaxAI/MiniMax-M2.5", "x"))
            .await,
        503,
    )
    .await;
}

#[tokio::test]
async fn wrong_or_missing_key_gets_the_documented_401() {
    let sim = Sim::start().await;
    let v = assert_error(sim.post(CHAT, "sk-wrong", &user(MODEL, "x")).await, 401).await;
    assert_eq!(
        v["error"]["message"],
        "Incorrect API key provided. Contact Admin/Owner."
    );
    assert_eq!(v["error"]["code"], "invalid_api_key");
    let resp = sim
        .client
        .get(sim.url("/secry/v1/models"))
        .send()
        .await
        .unwrap();
    assert_error(resp, 401).await;
}

#[tokio::test]
async fn keys_are_configurable() {
    let mut config = Config::default();
    config.keys.secry = "custom".into();
    let sim = Sim::with(config).await;
    assert_eq!(
        sim.post(CHAT, "custom", &user(MODEL, "x")).await.status(),
        200
    );
    assert_eq!(sim.post(CHAT, SECRY, &user(MODEL, "x")).await.status(), 401);
}

#[tokio::test]
async fn per_key_rate_limit_gives_429() {
    let sim = Sim::with(Config {
        rate_limit_rpm: 2,
        ..Config::default()
    })
    .await;
    for _ in 0..2 {
        assert_eq!(sim.post(CHAT, SECRY, &user(MODEL, "x")).await.status(), 200);
    }
    let resp = sim.post(CHAT, SECRY, &user(MODEL, "x")).await;
    assert!(resp.headers().get("retry-after").is_none());
    let v = assert_error(resp, 429).await;
    assert_eq!(v["error"]["code"], "rate_limit_exceeded");
}

#[tokio::test]
async fn models_lists_the_documented_ids() {
    let sim = Sim::start().await;
    let v: Value = sim
        .get("/secry/v1/models", SECRY)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(v["object"], "list");
    let data = v["data"].as_array().unwrap();
    assert!(data.iter().any(|m| m["id"] == "deepseek-ai/DeepSeek-V3.2"));
    assert!(
        data.iter()
            .all(|m| m["object"] == "model" && m["owned_by"] == "SECRY AI")
    );
}

#[tokio::test]
async fn files_crud_round_trip() {
    let sim = Sim::start().await;
    let form = reqwest::multipart::Form::new()
        .text("purpose", "batch")
        .part(
            "file",
            reqwest::multipart::Part::bytes(b"{\"a\":1}\n".to_vec())
                .file_name("batch-requests.jsonl"),
        );
    let resp = sim
        .client
        .post(sim.url("/secry/v1/files"))
        .bearer_auth(SECRY)
        .multipart(form)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    let f: Value = resp.json().await.unwrap();
    assert_eq!(f["object"], "file");
    assert_eq!(f["bytes"], 8);
    assert_eq!(f["filename"], "batch-requests.jsonl");
    assert_eq!(f["purpose"], "batch");
    let id = f["id"].as_str().unwrap().to_string();
    assert!(id.starts_with("file-"));

    let info: Value = sim
        .get(&format!("/secry/v1/files/{id}"), SECRY)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(info, f);
    let content = sim
        .get(&format!("/secry/v1/files/{id}/content"), SECRY)
        .await
        .bytes()
        .await
        .unwrap();
    assert_eq!(&content[..], b"{\"a\":1}\n");
    let list: Value = sim
        .get("/secry/v1/files", SECRY)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(list["object"], "list");
    assert_eq!(list["data"][0]["id"], id.as_str());

    let del = sim
        .client
        .delete(sim.url(&format!("/secry/v1/files/{id}")))
        .bearer_auth(SECRY)
        .send()
        .await
        .unwrap();
    let d: Value = del.json().await.unwrap();
    assert_eq!(d, json!({"id": id, "object": "file", "deleted": true}));
    assert_error(sim.get(&format!("/secry/v1/files/{id}"), SECRY).await, 404).await;
    assert_error(
        sim.get(&format!("/secry/v1/files/{id}/content"), SECRY)
            .await,
        404,
    )
    .await;
}

#[tokio::test]
async fn file_upload_errors() {
    let sim = Sim::with(Config {
        max_file_bytes: 10,
        ..Config::default()
    })
    .await;
    let upload = |form: reqwest::multipart::Form| {
        sim.client
            .post(sim.url("/secry/v1/files"))
            .bearer_auth(SECRY)
            .multipart(form)
            .send()
    };
    let no_purpose = reqwest::multipart::Form::new().part(
        "file",
        reqwest::multipart::Part::bytes(b"x".to_vec()).file_name("a"),
    );
    assert_error(upload(no_purpose).await.unwrap(), 400).await;
    let no_file = reqwest::multipart::Form::new().text("purpose", "batch");
    assert_error(upload(no_file).await.unwrap(), 400).await;
    let big = reqwest::multipart::Form::new()
        .text("purpose", "batch")
        .part(
            "file",
            reqwest::multipart::Part::bytes(vec![b'x'; 11]).file_name("a"),
        );
    assert_error(upload(big).await.unwrap(), 413).await;
    let not_multipart = sim.post("/secry/v1/files", SECRY, &json!({})).await;
    assert_error(not_multipart, 400).await;
}

fn b64(s: &str) -> Vec<u8> {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD
        .decode(s)
        .expect("base64")
}

/// Secry's answer to an image generation request with `body`.
async fn generate(sim: &Sim, body: &Value) -> reqwest::Response {
    sim.post("/secry/v1/images/generations", SECRY, body).await
}

/// A successful image generation's JSON.
async fn image(sim: &Sim, body: &Value) -> Value {
    generate(sim, body).await.json().await.unwrap()
}

#[tokio::test]
async fn image_generation_returns_real_images() {
    let sim = Sim::start().await;
    let gen_image = |ext: &str, w: u32, h: u32, seed: i64| {
        json!({"model": "stability-ai/sdxl", "prompt": "An elephant playing chess",
               "response_format": "b64_json", "response_extension": ext,
               "width": w, "height": h, "num_inference_steps": 30, "seed": seed,
               "negative_prompt": "cartoon"})
    };
    let v: Value = image(&sim, &gen_image("png", 40, 24, 7)).await;
    assert!(v["id"].as_str().unwrap().starts_with("text2img-"));
    assert_eq!(v["data"][0]["revised_prompt"], "An elephant playing chess");
    let png = b64(v["data"][0]["b64_json"].as_str().unwrap());
    assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n");
    assert_eq!(u32::from_be_bytes(png[16..20].try_into().unwrap()), 40);
    assert_eq!(u32::from_be_bytes(png[20..24].try_into().unwrap()), 24);

    // Same seed, same bytes; another seed, other bytes.
    let again: Value = image(&sim, &gen_image("png", 40, 24, 7)).await;
    assert_eq!(again["data"][0]["b64_json"], v["data"][0]["b64_json"]);
    let other: Value = image(&sim, &gen_image("png", 40, 24, 8)).await;
    assert_ne!(other["data"][0]["b64_json"], v["data"][0]["b64_json"]);

    let webp: Value = image(&sim, &gen_image("webp", 16, 16, -1)).await;
    let webp = b64(webp["data"][0]["b64_json"].as_str().unwrap());
    assert_eq!(&webp[..4], b"RIFF");
    assert_eq!(&webp[8..12], b"WEBP");
    let jpeg: Value = image(&sim, &gen_image("jpeg", 16, 16, 1)).await;
    let jpeg = b64(jpeg["data"][0]["b64_json"].as_str().unwrap());
    assert_eq!(&jpeg[..2], b"\xff\xd8");

    assert_error(generate(&sim, &gen_image("gif", 16, 16, 1)).await, 400).await;
    assert_error(generate(&sim, &gen_image("png", 0, 16, 1)).await, 400).await;
    assert_error(generate(&sim, &json!({"width": 16})).await, 400).await;
}

//! The client against the real simulator, in headless Chromium: chat, streams, models,
//! direct-mode options (gateway mode is `gateway.rs`).
//!
//! `cargo xtask test` starts the simulator and builds these tests with its URL in
//! `SWITCHBOARD_SIM_URL`; by hand: start `switchboard-sim --port 0`, then
//! `SWITCHBOARD_SIM_URL=http://127.0.0.1:PORT wasm-pack test --headless --chrome crates/client`.
#![cfg(target_arch = "wasm32")]

mod common;

use common::*;
use switchboard_client::Switchboard;
use wasm_bindgen_futures::JsFuture;
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

#[wasm_bindgen_test]
async fn chat_every_provider_direct() {
    for (provider, ..) in PROVIDERS {
        let sb = direct(provider);
        let r = create(&sb, chat_params(provider, "count to 5", false), None)
            .await
            .unwrap_or_else(|e| panic!("{provider}: {:?}", get(&e, "message")));
        assert_eq!(
            get(&r, "choices.0.message.content").as_string().as_deref(),
            Some("1 2 3 4 5"),
            "{provider}"
        );
        assert_eq!(
            get(&r, "choices.0.finish_reason").as_string().as_deref(),
            Some("stop"),
            "{provider}"
        );
        assert_eq!(
            get(&r, "object").as_string().as_deref(),
            Some("chat.completion"),
            "{provider}"
        );
    }
}

#[wasm_bindgen_test]
async fn stream_every_provider_chunk_by_chunk() {
    for (provider, ..) in PROVIDERS {
        let sb = direct(provider);
        let stream = create(&sb, chat_params(provider, "count to 5", true), None)
            .await
            .unwrap_or_else(|e| panic!("{provider}: {:?}", get(&e, "message")));
        let parts = JsFuture::from(collect(&stream)).await.expect("iteration");
        let parts: Vec<String> = js_sys::Array::from(&parts)
            .iter()
            .filter_map(|v| v.as_string())
            .collect();
        if provider == "secton" {
            // No native streaming: the whole answer is replayed as one content chunk.
            assert_eq!(parts.concat(), "1 2 3 4 5", "{provider}");
        } else {
            assert_eq!(parts, ["1", " 2", " 3", " 4", " 5"], "{provider}");
        }
        let done = call(&stream, "finalCompletion").await.expect("final");
        assert_eq!(
            get(&done, "choices.0.message.content")
                .as_string()
                .as_deref(),
            Some("1 2 3 4 5"),
            "{provider}"
        );
        assert_eq!(
            get(&done, "choices.0.finish_reason").as_string().as_deref(),
            Some("stop"),
            "{provider}"
        );
    }
}

#[wasm_bindgen_test]
async fn final_completion_without_iterating_and_readable_stream() {
    let sb = direct("secry");
    let stream = create(&sb, chat_params("secry", "count to 3", true), None)
        .await
        .expect("stream");
    let done = call(&stream, "finalCompletion").await.expect("final");
    assert_eq!(
        get(&done, "choices.0.message.content")
            .as_string()
            .as_deref(),
        Some("1 2 3")
    );

    let stream = create(&sb, chat_params("secry", "count to 3", true), None)
        .await
        .expect("stream");
    // One chunk through the iterator first: the readable stream goes on from there.
    let first = call(&stream, "next").await.expect("next");
    let mut text = get(&first, "value.choices.0.delta.content")
        .as_string()
        .unwrap_or_default();
    let rs = call_sync(&stream, "toReadableStream");
    let lines = js_sys::Array::from(&JsFuture::from(read_all_lines(&rs)).await.expect("lines"));
    assert!(
        lines.length() >= 3,
        "{} lines after the first chunk",
        lines.length()
    );
    text.extend(
        lines
            .iter()
            .filter_map(|c| get(&c, "choices.0.delta.content").as_string()),
    );
    assert_eq!(text, "1 2 3");
}

#[wasm_bindgen_test]
async fn tool_call_merged_in_final_completion() {
    let sb = direct("secry");
    let params = json(
        r#"{"model":"gemma-3-27b-it","stream":true,"messages":[{"role":"user","content":"call get_weather {\"city\":\"Paris\"}"}],
            "tools":[{"type":"function","function":{"name":"get_weather","parameters":{"type":"object"}}}]}"#,
    );
    let stream = create(&sb, params, None).await.expect("stream");
    let done = call(&stream, "finalCompletion").await.expect("final");
    assert_weather_call(&done, r#"{"city":"Paris"}"#);
}

#[wasm_bindgen_test]
async fn tools_vision_and_prefill_non_stream() {
    let sb = direct("secry");
    let params = json(
        r#"{"model":"gemma-3-27b-it","messages":[{"role":"user","content":"use lookup {\"q\":1}"}],
            "tools":[{"type":"function","function":{"name":"lookup","parameters":{"type":"object"}}}]}"#,
    );
    let r = create(&sb, params, None).await.expect("tool call");
    assert_eq!(
        get(&r, "choices.0.finish_reason").as_string().as_deref(),
        Some("tool_calls")
    );
    assert_eq!(
        get(&r, "choices.0.message.tool_calls.0.function.arguments")
            .as_string()
            .as_deref(),
        Some(r#"{"q":1}"#)
    );
    let id = get(&r, "choices.0.message.tool_calls.0.id")
        .as_string()
        .expect("call id");

    // The tool result goes back; the reply names it.
    let params = json(&format!(
        r#"{{"model":"gemma-3-27b-it","messages":[
            {{"role":"user","content":"use lookup"}},
            {{"role":"assistant","content":null,"tool_calls":[{{"id":"{id}","type":"function","function":{{"name":"lookup","arguments":"{{}}"}}}}]}},
            {{"role":"tool","tool_call_id":"{id}","content":"42"}}],
            "tools":[{{"type":"function","function":{{"name":"lookup","parameters":{{"type":"object"}}}}}}]}}"#
    ));
    let r = create(&sb, params, None).await.expect("tool result");
    assert_eq!(
        get(&r, "choices.0.message.content").as_string().as_deref(),
        Some("tool result: 42")
    );

    let params = json(
        r#"{"model":"gemma-3-27b-it","messages":[{"role":"user","content":[
            {"type":"text","text":"what is this"},
            {"type":"image_url","image_url":{"url":"data:image/png;base64,iVBORw0KGgo="}}]}]}"#,
    );
    let r = create(&sb, params, None).await.expect("vision");
    assert_eq!(
        get(&r, "choices.0.message.content").as_string().as_deref(),
        Some("what is this [image]")
    );

    let params = json(
        r#"{"model":"m","messages":[{"role":"user","content":"count to 5"},{"role":"assistant","content":"1 2 3"}]}"#,
    );
    let r = create(&direct("siraya"), params, None)
        .await
        .expect("prefill");
    assert_eq!(
        get(&r, "choices.0.message.content").as_string().as_deref(),
        Some(" 4 5")
    );
}

#[wasm_bindgen_test]
async fn models_list() {
    let sb = direct("secton");
    let list = JsFuture::from(sb.models().list(None))
        .await
        .expect("models");
    let ids: Vec<String> = js_sys::Array::from(&get(&list, "data"))
        .iter()
        .filter_map(|m| get(&m, "id").as_string())
        .collect();
    assert!(ids.contains(&"copilot-zero".to_owned()), "{ids:?}");
    assert!(
        !ids.contains(&"secton-embed-1".to_owned()),
        "chat category only: {ids:?}"
    );
}

#[wasm_bindgen_test]
async fn models_list_falls_back_to_the_documented_models() {
    // Siraya documents no models endpoint (the simulator answers 404 there).
    let sb = direct("siraya");
    let list = JsFuture::from(sb.models().list(None))
        .await
        .expect("documented models");
    let ids: Vec<String> = js_sys::Array::from(&get(&list, "data"))
        .iter()
        .filter_map(|m| get(&m, "id").as_string())
        .collect();
    assert_eq!(ids, ["claude-3-5-sonnet@20240620"]);
}

#[wasm_bindgen_test]
async fn invalid_request_refused_before_sending() {
    let sb = direct("secry");
    let err = create(&sb, json(r#"{"model":"m","messages":[]}"#), None)
        .await
        .expect_err("empty messages");
    assert_eq!(name(&err), "BadRequestError");
    assert_eq!(get(&err, "param").as_string().as_deref(), Some("messages"));
}

#[wasm_bindgen_test]
fn direct_mode_needs_consent_and_base_url() {
    let err = Switchboard::new(json(r#"{"provider":"secry","apiKey":"k"}"#))
        .err()
        .expect("refused");
    assert_eq!(name(&err), "SwitchboardError");
    let err = Switchboard::new(json(
        r#"{"provider":"gemini-proxy","apiKey":"k","dangerouslyAllowBrowser":true}"#,
    ))
    .err()
    .expect("no base URL");
    assert!(
        get(&err, "message")
            .as_string()
            .unwrap_or_default()
            .contains("baseURL")
    );
    let sb = Switchboard::new(json(
        r#"{"provider":"secry","apiKey":"k","dangerouslyAllowBrowser":true}"#,
    ))
    .expect("documented base URL");
    assert!(sb.base_url().starts_with("https://"));
    assert!(Switchboard::new(json(r#"{"apiKey":"k"}"#)).is_err());
    let err = Switchboard::new(json(
        r#"{"provider":"nope","apiKey":"k","dangerouslyAllowBrowser":true}"#,
    ))
    .err()
    .expect("unknown provider");
    assert_eq!(name(&err), "SwitchboardError");
    assert!(
        get(&err, "message")
            .as_string()
            .unwrap_or_default()
            .contains("secry")
    );
}

//! The client in gateway mode against the real gateway (the built Worker under `wrangler
//! dev`, wired to the real simulator), in headless Chromium: chat and streams for every
//! provider, tools, models, error classes, retries, aborts, cut streams, images, speech.
//!
//! `cargo xtask client-tests` starts both and builds these tests with
//! `SWITCHBOARD_SIM_URL`, `SWITCHBOARD_GATEWAY_URL` (`…/v1`) and
//! `SWITCHBOARD_GATEWAY_TOKEN` set. The gateway passes no `x-sim-*` header upstream (and
//! CORS would refuse them), so faults are armed on the simulator (`/__sim/faults`).
#![cfg(target_arch = "wasm32")]

mod common;

use common::*;
use js_sys::{Object, Reflect};
use switchboard_client::Switchboard;
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

/// Gateway-mode chat params for `provider`'s model.
fn params(provider: &str, text: &str, stream: bool) -> JsValue {
    json(&format!(
        r#"{{"model":"{provider}/{}","stream":{stream},"messages":[{{"role":"user","content":"{text}"}}]}}"#,
        model(provider)
    ))
}

async fn parts_of(stream: &JsValue) -> Result<Vec<String>, JsValue> {
    let parts = JsFuture::from(collect(stream)).await?;
    Ok(js_sys::Array::from(&parts)
        .iter()
        .filter_map(|v| v.as_string())
        .collect())
}

#[wasm_bindgen_test]
async fn chat_and_stream_every_provider_chunk_by_chunk() {
    let sb = gateway();
    assert_eq!(sb.provider(), None);
    for (provider, ..) in PROVIDERS {
        let r = create(&sb, params(provider, "count to 4", false), None)
            .await
            .unwrap_or_else(|e| panic!("{provider}: {:?}", get(&e, "message")));
        assert_eq!(
            get(&r, "choices.0.message.content").as_string().as_deref(),
            Some("1 2 3 4"),
            "{provider}"
        );
        let stream = create(&sb, params(provider, "count to 4", true), None)
            .await
            .unwrap_or_else(|e| panic!("{provider}: {:?}", get(&e, "message")));
        let parts = parts_of(&stream)
            .await
            .unwrap_or_else(|e| panic!("{provider}: {:?}", get(&e, "message")));
        if provider == "secton" {
            // No native streaming: the whole answer comes as one content chunk.
            assert_eq!(parts.concat(), "1 2 3 4", "{provider}");
        } else {
            assert_eq!(parts, ["1", " 2", " 3", " 4"], "{provider}");
        }
        let done = call(&stream, "finalCompletion").await.expect("final");
        assert_eq!(
            get(&done, "choices.0.finish_reason").as_string().as_deref(),
            Some("stop"),
            "{provider}"
        );
    }
}

#[wasm_bindgen_test]
async fn streamed_tool_call_merged() {
    let params = json(
        r#"{"model":"secry/gemma-3-27b-it","stream":true,"messages":[{"role":"user","content":"call get_weather {\"city\":\"Oslo\"}"}],
            "tools":[{"type":"function","function":{"name":"get_weather","parameters":{"type":"object"}}}]}"#,
    );
    let stream = create(&gateway(), params, None).await.expect("stream");
    let done = call(&stream, "finalCompletion").await.expect("final");
    assert_weather_call(&done, r#"{"city":"Oslo"}"#);
}

#[wasm_bindgen_test]
async fn models_are_provider_prefixed() {
    let list = JsFuture::from(gateway().models().list(None))
        .await
        .expect("models");
    let ids: Vec<String> = js_sys::Array::from(&get(&list, "data"))
        .iter()
        .filter_map(|m| get(&m, "id").as_string())
        .collect();
    for wanted in ["secry/gemma-3-27b-it", "secton/copilot-zero"] {
        assert!(ids.iter().any(|i| i == wanted), "{wanted} in {ids:?}");
    }
    assert!(ids.iter().all(|i| i.contains('/')), "{ids:?}");
}

#[wasm_bindgen_test]
async fn wrong_or_missing_token_is_authentication_error() {
    for sb in [gateway_with("sk-wrong", ""), gateway_with("", "")] {
        let err = create(&sb, params("secry", "hi", false), None)
            .await
            .expect_err("401");
        assert!(is_instance(&err, &Switchboard::authentication_error()));
        assert_eq!(name(&err), "AuthenticationError");
        assert_eq!(get(&err, "status").as_f64(), Some(401.0));
        assert!(
            get(&err, "requestId")
                .as_string()
                .is_some_and(|id| !id.is_empty())
        );
        assert!(
            get(&err, "message")
                .as_string()
                .is_some_and(|m| !m.is_empty())
        );
    }
}

#[wasm_bindgen_test]
async fn upstream_429_with_retry_after_is_rate_limit_error() {
    // Longer than the gateway waits (RETRY_MAX_WAIT_MS), so it hands the 429 back.
    arm("retry-after=30", 3, "/siraya/").await;
    let sb = gateway_with(gateway_token(), r#","maxRetries":0"#);
    let err = create(&sb, params("siraya", "hi", false), None)
        .await
        .expect_err("429");
    disarm().await;
    assert!(is_instance(&err, &Switchboard::rate_limit_error()));
    assert_eq!(name(&err), "RateLimitError");
    assert_eq!(get(&err, "status").as_f64(), Some(429.0));
    assert_eq!(get(&err, "retryAfter").as_f64(), Some(30.0));
}

#[wasm_bindgen_test]
async fn oversized_upstream_answer_is_502_not_413() {
    // Every attempt the gateway makes gets 9 MiB of padding, over its 8 MiB cap.
    arm("oversize=9437184", 5, "/siraya/").await;
    let sb = gateway_with(gateway_token(), r#","maxRetries":0"#);
    let err = create(&sb, params("siraya", "hi", false), None)
        .await
        .expect_err("too large");
    disarm().await;
    assert_upstream_too_large(&err);
}

#[wasm_bindgen_test]
async fn client_retries_after_the_gateway_gives_up() {
    // Every attempt the gateway makes (1 + RETRY_MAX = 3) gets a 429 with
    // `Retry-After: 1`; the client waits a second and retries, and that one succeeds.
    arm("retry-after=1", 3, "/airforce/").await;
    let counting = counting_fetch();
    let opts = json(&format!(
        r#"{{"baseURL":"{}","apiKey":"{}"}}"#,
        gateway_url(),
        gateway_token()
    ));
    Reflect::set(&opts, &"fetch".into(), &counting).expect("set");
    let sb = Switchboard::new(opts).expect("client");
    let r = create(&sb, params("airforce", "count to 2", false), None).await;
    disarm().await;
    let r = r.unwrap_or_else(|e| panic!("{}: {:?}", name(&e), get(&e, "message")));
    assert_eq!(
        get(&r, "choices.0.message.content").as_string().as_deref(),
        Some("1 2")
    );
    assert_eq!(
        get(&counting, "calls").as_f64(),
        Some(2.0),
        "one 429, one retry"
    );
}

#[wasm_bindgen_test]
async fn cut_stream_is_an_error_never_a_quiet_end() {
    arm("reset-after=3", 1, "/siraya/").await;
    let stream = create(&gateway(), params("siraya", "count to 20", true), None)
        .await
        .expect("stream");
    let err = parts_of(&stream).await.expect_err("cut stream");
    disarm().await;
    assert!(
        is_instance(&err, &Switchboard::api_error()),
        "{}",
        name(&err)
    );
    assert!(
        name(&err) == "StreamInterruptedError" || get(&err, "inStream").as_bool() == Some(true),
        "{}: {:?}",
        name(&err),
        get(&err, "message")
    );
}

#[wasm_bindgen_test]
async fn abort_mid_stream_cancels_the_upstream_request() {
    let marker = unique("gw-abort");
    let ctl = web_sys::AbortController::new().expect("controller");
    let opts = Object::new();
    Reflect::set(&opts, &"signal".into(), &ctl.signal()).expect("set");
    // The system message marks the upstream request in the simulator's log.
    let params = json(&format!(
        r#"{{"model":"secry/gemma-3-27b-it","stream":true,"messages":[
            {{"role":"system","content":"{marker}"}},{{"role":"user","content":"count to 3000"}}]}}"#
    ));
    let stream = create(&gateway(), params, JsValue::from(opts))
        .await
        .expect("stream");
    let first = call(&stream, "next").await.expect("first chunk");
    assert_eq!(get(&first, "done").as_bool(), Some(false));
    ctl.abort();
    let err = loop {
        match call(&stream, "next").await {
            Ok(step) if get(&step, "done").as_bool() == Some(true) => panic!("ended quietly"),
            Ok(_) => {}
            Err(e) => break e,
        }
    };
    assert_eq!(name(&err), "APIUserAbortError");
    let outcome = settled_outcome(|e| {
        get(e, "body.preview")
            .as_string()
            .is_some_and(|p| p.contains(&marker))
    })
    .await;
    assert_eq!(outcome, "cancelled", "the gateway kept reading upstream");
}

#[wasm_bindgen_test]
async fn images_and_speech() {
    let sb = gateway();
    for model in ["secry/flux-1-schnell", "airforce/flux"] {
        let r = JsFuture::from(sb.images().generate(
            json(&format!(
                r#"{{"model":"{model}","prompt":"a red fox","size":"256x256"}}"#
            )),
            None,
        ))
        .await
        .unwrap_or_else(|e| panic!("{model}: {:?}", get(&e, "message")));
        let b64 = get(&r, "data.0.b64_json").as_string().expect("b64_json");
        assert_eq!(b64_prefix(&b64), "iVBORw0K", "{model}: a PNG");
    }
    let r = JsFuture::from(sb.audio().speech().create(
        json(r#"{"model":"airforce/tts","input":"hi","voice":"nova"}"#),
        None,
    ))
    .await
    .unwrap_or_else(|e| panic!("{:?}", get(&e, "message")));
    let kind = call_get_header(&r, "content-type");
    assert_eq!(kind.as_deref(), Some("audio/mpeg"));
    let bytes = bytes_of(&r).await;
    assert!(bytes.len() > 100);
    assert_eq!((bytes[0], bytes[1] & 0xE0), (0xFF, 0xE0), "an MPEG frame");
}

#[wasm_bindgen_test]
async fn airforce_ask_streams() {
    let stream = JsFuture::from(gateway().airforce().ask("what is wasm", None))
        .await
        .unwrap_or_else(|e| panic!("{:?}", get(&e, "message")));
    let parts = parts_of(&stream).await.expect("ask stream");
    assert_eq!(parts, ["what", " is", " wasm"]);
}

/// `response.headers.get(name)`.
fn call_get_header(response: &JsValue, name: &str) -> Option<String> {
    let headers = get(response, "headers");
    let f: js_sys::Function = Reflect::get(&headers, &"get".into())
        .expect("get")
        .dyn_into()
        .expect("function");
    f.call1(&headers, &name.into()).ok()?.as_string()
}

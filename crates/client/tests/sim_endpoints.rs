//! The client against the real simulator, in headless Chromium: images, speech, files, airforce extras.
//!
//! `cargo xtask test` starts the simulator and builds these tests with its URL in
//! `SWITCHBOARD_SIM_URL`; by hand: start `switchboard-sim --port 0`, then
//! `SWITCHBOARD_SIM_URL=http://127.0.0.1:PORT wasm-pack test --headless --chrome crates/client`.
#![cfg(target_arch = "wasm32")]

mod common;

use common::*;
use js_sys::{Function, Object, Reflect};
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

/// `images.generate(params)` on `provider` direct; the error's message fails the test.
async fn generated(provider: &str, params: &str) -> JsValue {
    JsFuture::from(direct(provider).images().generate(json(params), None))
        .await
        .unwrap_or_else(|e| panic!("{:?}", get(&e, "message")))
}

#[wasm_bindgen_test]
async fn images_generate_secry_and_airforce() {
    let r = generated(
        "secry",
        r#"{"model":"flux","prompt":"a red fox","size":"128x64"}"#,
    )
    .await;
    let b64 = get(&r, "data.0.b64_json").as_string().expect("b64_json");
    // base64 of the PNG signature.
    assert_eq!(b64_prefix(&b64), "iVBORw0K");
    assert_eq!(
        get(&r, "data.0.revised_prompt").as_string().as_deref(),
        Some("a red fox")
    );

    let r = generated(
        "airforce",
        r#"{"model":"flux","prompt":"a red fox","size":"1024x1024"}"#,
    )
    .await;
    let b64 = get(&r, "data.0.b64_json").as_string().expect("b64_json");
    assert_eq!(b64_prefix(&b64), "iVBORw0K");

    let err = JsFuture::from(
        direct("siraya")
            .images()
            .generate(json(r#"{"model":"x","prompt":"p"}"#), None),
    )
    .await
    .expect_err("siraya has no images");
    assert_eq!(name(&err), "BadRequestError");
}

#[wasm_bindgen_test]
async fn speech_is_an_mp3_response() {
    let sb = direct("airforce");
    let r = JsFuture::from(sb.audio().speech().create(
        json(r#"{"model":"tts-1","input":"hi","voice":"nova"}"#),
        None,
    ))
    .await
    .unwrap_or_else(|e| panic!("{:?}", get(&e, "message")));
    let headers = get(&r, "headers");
    let get_header: Function = Reflect::get(&headers, &"get".into())
        .expect("get")
        .dyn_into()
        .expect("function");
    let kind = get_header
        .call1(&headers, &"content-type".into())
        .expect("header");
    assert_eq!(kind.as_string().as_deref(), Some("audio/mpeg"));
    let bytes = bytes_of(&r).await;
    // Two MPEG frames per character; a frame starts with the 0xFFF sync word.
    assert!(bytes.len() > 100);
    assert_eq!(bytes[0], 0xFF);
    assert_eq!(bytes[1] & 0xE0, 0xE0);
}

#[wasm_bindgen_test]
async fn files_round_trip() {
    let sb = direct("secry");
    let files = sb.files();
    let params = Object::new();
    Reflect::set(&params, &"purpose".into(), &"batch".into()).expect("set");
    Reflect::set(&params, &"file".into(), &make_blob("hello files")).expect("set");
    Reflect::set(&params, &"filename".into(), &"hello.txt".into()).expect("set");
    let created = JsFuture::from(files.create(params.into(), None))
        .await
        .unwrap_or_else(|e| panic!("{:?}", get(&e, "message")));
    let id = get(&created, "id").as_string().expect("id");
    assert!(id.starts_with("file-"), "{id}");
    assert_eq!(get(&created, "bytes").as_f64(), Some(11.0));
    assert_eq!(
        get(&created, "filename").as_string().as_deref(),
        Some("hello.txt")
    );

    let got = JsFuture::from(files.retrieve(&id, None))
        .await
        .expect("retrieve");
    assert_eq!(get(&got, "purpose").as_string().as_deref(), Some("batch"));
    let list = JsFuture::from(files.list(None)).await.expect("list");
    assert!(
        js_sys::Array::from(&get(&list, "data"))
            .iter()
            .any(|f| get(&f, "id").as_string().as_deref() == Some(id.as_str()))
    );
    let content = JsFuture::from(files.content(&id, None))
        .await
        .expect("content");
    assert_eq!(bytes_of(&content).await, b"hello files");
    let deleted = JsFuture::from(files.del(&id, None)).await.expect("delete");
    assert_eq!(get(&deleted, "deleted").as_bool(), Some(true));
    let err = JsFuture::from(files.retrieve(&id, None))
        .await
        .expect_err("gone");
    assert_eq!(name(&err), "NotFoundError");
}

#[wasm_bindgen_test]
async fn airforce_ask_vision_and_suno() {
    let sb = direct("airforce");
    let af = sb.airforce();
    let stream = JsFuture::from(af.ask("what is rust", None))
        .await
        .unwrap_or_else(|e| panic!("{:?}", get(&e, "message")));
    let done = call(&stream, "finalCompletion").await.expect("ask answer");
    assert_eq!(
        get(&done, "choices.0.message.content")
            .as_string()
            .as_deref(),
        Some("what is rust")
    );

    let text = JsFuture::from(af.vision("https://example.com/cat.png", None, None))
        .await
        .unwrap_or_else(|e| panic!("{:?}", get(&e, "message")))
        .as_string()
        .expect("text");
    assert!(text.contains("https://example.com/cat.png"), "{text}");

    let created = JsFuture::from(af.suno_create(
        json(r#"{"prompt":"a song about wasm","style":"pop"}"#),
        None,
    ))
    .await
    .unwrap_or_else(|e| panic!("{:?}", get(&e, "message")));
    let clip = get(&created, "clips.0").as_string().expect("clip id");
    let first = JsFuture::from(af.suno_poll(&clip, None))
        .await
        .expect("poll");
    assert_eq!(
        get(&first, "status").as_string().as_deref(),
        Some("generating")
    );
    let second = JsFuture::from(af.suno_poll(&clip, None))
        .await
        .expect("poll");
    assert_eq!(
        get(&second, "status").as_string().as_deref(),
        Some("finished")
    );
    assert!(
        get(&second, "audio_url")
            .as_string()
            .unwrap_or_default()
            .contains("/get-audio")
    );
}

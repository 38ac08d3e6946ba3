//! The client's body bounds against the real simulator, in headless Chromium: a stream
//! or a body that goes silent (`idleTimeout`) or never ends (`streamTimeout`) ends with
//! `APIConnectionTimeoutError` and the upstream request is cancelled.
//!
//! Built and run by `cargo xtask client-tests` (see `sim_errors.rs` for running by hand).
#![cfg(target_arch = "wasm32")]

mod common;

use common::*;
use switchboard_client::Switchboard;
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

/// Call options: `bounds` (`"idleTimeout":300`) and an `x-test-id` header, plus `headers`.
fn tagged(id: &str, bounds: &str, headers: &str) -> JsValue {
    json(&format!(
        r#"{{{bounds}"headers":{{"x-test-id":"{id}"{headers}}}}}"#
    ))
}

/// Checks a crossed bound: the class, the code, and that the simulator saw the request
/// `cancelled` (the reader was cancelled, not left running).
async fn assert_bound(err: &JsValue, code: &str, id: &str) {
    assert_eq!(
        name(err),
        "APIConnectionTimeoutError",
        "{:?}",
        get(err, "message")
    );
    assert!(is_instance(err, &Switchboard::api_connection_error()));
    assert_eq!(get(err, "code").as_string().as_deref(), Some(code));
    let outcome =
        settled_outcome(|e| get(e, "headers.x-test-id").as_string().as_deref() == Some(id)).await;
    assert_eq!(outcome, "cancelled");
}

#[wasm_bindgen_test]
async fn silent_stream_ends_at_idle_timeout() {
    let sb = direct("secry");
    let id = unique("idle");
    let opts = tagged(
        &id,
        r#""idleTimeout":300,"#,
        r#","x-sim-chunk-delay-ms":"2000""#,
    );
    let stream = create(&sb, chat_params("secry", "count to 20", true), opts)
        .await
        .expect("stream");
    let err = JsFuture::from(collect(&stream))
        .await
        .expect_err("idle timeout");
    assert_bound(&err, "stream_idle_timeout", &id).await;
    // The end repeats: the stream does not resume or end quietly afterwards.
    let again = call(&stream, "next").await.expect_err("still failed");
    assert_eq!(
        get(&again, "code").as_string().as_deref(),
        Some("stream_idle_timeout")
    );
}

#[wasm_bindgen_test]
async fn endless_stream_ends_at_stream_timeout() {
    // Set on the client; the endless stream's chunks (every 20 ms) keep the idle bound happy.
    let sb = direct_with("secry", None, r#","streamTimeout":600"#);
    let id = unique("total");
    let stream = create(
        &sb,
        chat_params("secry", "hi", true),
        tagged(&id, "", r#","x-sim-fault":"endless""#),
    )
    .await
    .expect("stream");
    let mut chunks = 0;
    let err = loop {
        match call(&stream, "next").await {
            Ok(step) if get(&step, "done").as_bool() == Some(true) => panic!("ended quietly"),
            Ok(_) => chunks += 1,
            Err(e) => break e,
        }
        assert!(chunks < 100_000, "the stream was never bounded");
    };
    assert!(chunks > 0, "chunks arrive before the bound");
    assert_bound(&err, "stream_timeout", &id).await;
}

#[wasm_bindgen_test]
async fn endless_plain_body_ends_at_stream_timeout() {
    let sb = direct_with("secry", None, r#","maxRetries":0"#);
    let id = unique("plain");
    let err = create(
        &sb,
        chat_params("secry", "hi", false),
        tagged(
            &id,
            r#""streamTimeout":600,"#,
            r#","x-sim-fault":"endless""#,
        ),
    )
    .await
    .expect_err("bounded");
    assert_bound(&err, "stream_timeout", &id).await;
}

#[wasm_bindgen_test]
async fn bounds_off_with_zero() {
    // 0 turns a bound off: a slow but finite stream completes.
    let sb = direct_with("secry", None, r#","idleTimeout":0,"streamTimeout":0"#);
    let stream = create(
        &sb,
        chat_params("secry", "count to 3", true),
        options(r#""x-sim-chunk-delay-ms":"50""#),
    )
    .await
    .expect("stream");
    let parts = JsFuture::from(collect(&stream)).await.expect("complete");
    assert!(js_sys::Array::from(&parts).length() > 0);
}

#[wasm_bindgen_test]
async fn oversized_answer_is_502_upstream_too_large() {
    let sb = direct_with("secry", None, r#","maxRetries":0"#);
    let err = create(
        &sb,
        chat_params("secry", "hi", false),
        sim_fault("oversize=9437184"),
    )
    .await
    .expect_err("too large");
    assert_upstream_too_large(&err);
}

#[wasm_bindgen_test]
async fn oversized_request_is_413_and_not_sent() {
    let sb = direct("secry");
    let id = unique("big-request");
    let big = "x".repeat(9 << 20);
    let err = create(&sb, chat_params("secry", &big, false), tagged(&id, "", ""))
        .await
        .expect_err("too large");
    assert_eq!(get(&err, "status").as_f64(), Some(413.0));
    assert_eq!(get(&err, "code").as_string().as_deref(), Some("too_large"));
    assert_eq!(attempts(&id).await, 0);
}

//! The client against the real simulator, in headless Chromium: errors, retries, aborts, timeouts, cut streams.
//!
//! `cargo xtask test` starts the simulator and builds these tests with its URL in
//! `SWITCHBOARD_SIM_URL`; by hand: start `switchboard-sim --port 0`, then
//! `SWITCHBOARD_SIM_URL=http://127.0.0.1:PORT wasm-pack test --headless --chrome crates/client`.
#![cfg(target_arch = "wasm32")]

mod common;

use common::*;
use js_sys::Reflect;
use switchboard_client::Switchboard;
use wasm_bindgen_futures::JsFuture;
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

#[wasm_bindgen_test]
async fn wrong_key_is_authentication_error() {
    let sb = direct_with("secry", Some("sk-wrong"), "");
    let err = create(&sb, chat_params("secry", "hi", false), None)
        .await
        .expect_err("401");
    assert!(is_instance(&err, &Switchboard::authentication_error()));
    assert!(is_instance(&err, &Switchboard::api_error()));
    assert!(is_instance(
        &err,
        &js_sys::Error::new("").constructor().into()
    ));
    assert_eq!(name(&err), "AuthenticationError");
    assert_eq!(get(&err, "status").as_f64(), Some(401.0));
    assert_eq!(
        get(&err, "code").as_string().as_deref(),
        Some("invalid_api_key")
    );
    assert_eq!(get(&err, "provider").as_string().as_deref(), Some("secry"));
    assert_eq!(
        get(&err, "message").as_string().as_deref(),
        Some("Incorrect API key provided. Contact Admin/Owner.")
    );
    assert!(
        get(&err, "body")
            .as_string()
            .unwrap_or_default()
            .contains("invalid_api_key")
    );
}

#[wasm_bindgen_test]
async fn statuses_map_to_classes() {
    let sb = direct("siraya");
    for (fault, class, status) in [
        ("status=400", "BadRequestError", 400.0),
        ("status=403", "PermissionDeniedError", 403.0),
        ("status=404", "NotFoundError", 404.0),
        ("status=422", "BadRequestError", 422.0),
    ] {
        let err = create(&sb, chat_params("siraya", "hi", false), sim_fault(fault))
            .await
            .expect_err(fault);
        assert_eq!(name(&err), class, "{fault}");
        assert_eq!(get(&err, "status").as_f64(), Some(status), "{fault}");
    }
}

#[wasm_bindgen_test]
async fn retry_after_429_then_success() {
    let id = unique("retry");
    // The injected fetch asks the simulator for a 429 with `Retry-After: 1` once.
    let opts = json(&format!(
        r#"{{"provider":"airforce","baseURL":"{}/airforce","apiKey":"sk-sim-airforce","dangerouslyAllowBrowser":true}}"#,
        sim()
    ));
    Reflect::set(&opts, &"fetch".into(), &fault_once("retry-after=1")).expect("set");
    let sb = Switchboard::new(opts).expect("client");
    let started = js_sys::Date::now();
    let r = create(
        &sb,
        chat_params("airforce", "count to 2", false),
        options(&format!(r#""x-test-id":"{id}""#)),
    )
    .await
    .unwrap_or_else(|e| panic!("{:?}", get(&e, "message")));
    assert_eq!(
        get(&r, "choices.0.message.content").as_string().as_deref(),
        Some("1 2")
    );
    assert_eq!(attempts(&id).await, 2, "one 429, then the retry");
    assert!(
        js_sys::Date::now() - started >= 950.0,
        "Retry-After: 1 was honoured"
    );
}

#[wasm_bindgen_test]
async fn retries_exhausted_and_disabled() {
    let sb = direct_with("siraya", None, r#","maxRetries":1"#);
    let id = unique("exhaust");
    let err = create(
        &sb,
        chat_params("siraya", "hi", false),
        options(&format!(r#""x-sim-fault":"500","x-test-id":"{id}""#)),
    )
    .await
    .expect_err("500");
    assert_eq!(name(&err), "InternalServerError");
    assert_eq!(attempts(&id).await, 2);

    let id = unique("noretry");
    let opts = json(&format!(
        r#"{{"maxRetries":0,"headers":{{"x-sim-fault":"retry-after=7","x-test-id":"{id}"}}}}"#
    ));
    let err = create(&sb, chat_params("siraya", "hi", false), opts)
        .await
        .expect_err("429");
    assert_eq!(name(&err), "RateLimitError");
    assert_eq!(get(&err, "retryAfter").as_f64(), Some(7.0));
    assert_eq!(get(&err, "status").as_f64(), Some(429.0));
    assert_eq!(attempts(&id).await, 1);
}

#[wasm_bindgen_test]
async fn abort_mid_stream_cancels_the_upstream_request() {
    let sb = direct("secry");
    let id = unique("abort");
    let ctl = web_sys::AbortController::new().expect("controller");
    let opts = abortable(
        &ctl,
        &format!(r#""x-sim-chunk-delay-ms":"100","x-test-id":"{id}""#),
    );
    let stream = create(&sb, chat_params("secry", "count to 100", true), opts)
        .await
        .expect("stream");
    let first = call(&stream, "next").await.expect("first chunk");
    assert_eq!(get(&first, "done").as_bool(), Some(false));
    ctl.abort();
    let mut err = None;
    for _ in 0..200 {
        match call(&stream, "next").await {
            Ok(step) if get(&step, "done").as_bool() == Some(true) => panic!("ended quietly"),
            Ok(_) => {}
            Err(e) => {
                err = Some(e);
                break;
            }
        }
    }
    let err = err.expect("an abort error");
    assert_eq!(name(&err), "APIUserAbortError");
    assert!(is_instance(&err, &Switchboard::api_user_abort_error()));
    // The simulator saw the connection go away mid-answer.
    let outcome =
        settled_outcome(|e| get(e, "headers.x-test-id").as_string().as_deref() == Some(&id)).await;
    assert_eq!(outcome, "cancelled");
}

#[wasm_bindgen_test]
async fn abort_before_answer() {
    let sb = direct("secry");
    let ctl = web_sys::AbortController::new().expect("controller");
    let opts = abortable(&ctl, r#""x-sim-fault":"latency=2000""#);
    let pending = create(&sb, chat_params("secry", "hi", false), opts);
    ctl.abort();
    let err = pending.await.expect_err("aborted");
    assert_eq!(name(&err), "APIUserAbortError");
}

#[wasm_bindgen_test]
async fn cut_streams_throw_stream_interrupted() {
    let sb = direct("siraya");
    for fault in ["reset-after=3", "truncate", "reset-after=1"] {
        let stream = create(
            &sb,
            chat_params("siraya", "count to 20", true),
            sim_fault(fault),
        )
        .await
        .expect(fault);
        let err = JsFuture::from(collect(&stream)).await.expect_err(fault);
        assert_eq!(
            name(&err),
            "StreamInterruptedError",
            "{fault}: {:?}",
            get(&err, "message")
        );
        assert!(
            is_instance(&err, &Switchboard::stream_interrupted_error()),
            "{fault}"
        );
    }
}

#[wasm_bindgen_test]
async fn error_event_mid_stream_throws_api_error() {
    let sb = direct("secry");
    let stream = create(
        &sb,
        chat_params("secry", "count to 20", true),
        sim_fault("error-mid-stream=2"),
    )
    .await
    .expect("stream");
    let err = JsFuture::from(collect(&stream))
        .await
        .expect_err("in-stream error");
    assert!(is_instance(&err, &Switchboard::api_error()));
    assert_ne!(name(&err), "StreamInterruptedError");
    assert_eq!(get(&err, "inStream").as_bool(), Some(true));
}

#[wasm_bindgen_test]
async fn timeout_is_connection_timeout_error() {
    let sb = direct_with("secry", None, r#","timeout":300,"maxRetries":0"#);
    let err = create(
        &sb,
        chat_params("secry", "hi", false),
        sim_fault("latency=3000"),
    )
    .await
    .expect_err("timeout");
    assert_eq!(name(&err), "APIConnectionTimeoutError");
    assert!(
        get(&err, "message")
            .as_string()
            .unwrap_or_default()
            .contains("300 ms"),
        "{:?}",
        get(&err, "message")
    );
    assert!(is_instance(&err, &Switchboard::api_connection_error()));
}

#[wasm_bindgen_test]
async fn connection_reset_is_connection_error() {
    let sb = direct_with("secry", None, r#","maxRetries":0"#);
    let err = create(&sb, chat_params("secry", "hi", false), sim_fault("reset"))
        .await
        .expect_err("reset");
    assert_eq!(name(&err), "APIConnectionError");
}

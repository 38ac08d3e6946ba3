//! The client against the real simulator, in headless Chromium.
//!
//! `cargo xtask test` starts the simulator and builds these tests with its URL in
//! `SWITCHBOARD_SIM_URL`; by hand: start `switchboard-sim --port 0`, then
//! `SWITCHBOARD_SIM_URL=http://127.0.0.1:PORT wasm-pack test --headless --chrome crates/client`.
#![cfg(target_arch = "wasm32")]

use js_sys::{Function, Object, Reflect};
use switchboard_client::Switchboard;
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

#[wasm_bindgen(inline_js = r#"
export function isInstance(v, c) { return v instanceof c; }
export async function collect(stream) {
  const out = [];
  for await (const c of stream) {
    const t = c.choices[0]?.delta?.content;
    if (t) out.push(t);
  }
  return out;
}
export function faultOnce(fault) {
  let calls = 0;
  return (url, init) => {
    const headers = new Headers(init.headers);
    if (calls++ === 0) headers.set("x-sim-fault", fault);
    return fetch(url, { ...init, headers });
  };
}
export function makeBlob(text) { return new Blob([text], { type: "text/plain" }); }
export async function responseBytes(r) { return new Uint8Array(await r.arrayBuffer()); }
export async function readAllLines(rs) {
  const text = await new Response(rs).text();
  return text.split("\n").filter(Boolean).map((l) => JSON.parse(l));
}
"#)]
extern "C" {
    #[wasm_bindgen(js_name = isInstance)]
    fn is_instance(v: &JsValue, class: &JsValue) -> bool;
    /// The non-empty content deltas of a stream, through `for await`.
    fn collect(stream: &JsValue) -> js_sys::Promise;
    /// A `fetch` that adds `x-sim-fault: fault` to its first request only.
    #[wasm_bindgen(js_name = faultOnce)]
    fn fault_once(fault: &str) -> JsValue;
    #[wasm_bindgen(js_name = makeBlob)]
    fn make_blob(text: &str) -> JsValue;
    #[wasm_bindgen(js_name = responseBytes)]
    fn response_bytes(r: &JsValue) -> js_sys::Promise;
    #[wasm_bindgen(js_name = readAllLines)]
    fn read_all_lines(rs: &JsValue) -> js_sys::Promise;
}

fn sim() -> &'static str {
    match option_env!("SWITCHBOARD_SIM_URL") {
        Some(url) => url,
        None => panic!(
            "SWITCHBOARD_SIM_URL must be set when the tests are built (cargo xtask test does it)"
        ),
    }
}

/// (provider, prefix, key, model)
const PROVIDERS: [(&str, &str, &str, &str); 5] = [
    ("secry", "/secry/v1", "sk-sim-secry", "gemma-3-27b-it"),
    ("secton", "/secton/v1", "sk-sim-secton", "copilot-zero"),
    (
        "airforce",
        "/airforce",
        "sk-sim-airforce",
        "llama-3.1-70b-chat",
    ),
    ("siraya", "/siraya/v1", "sk-sim-siraya", "siraya-1"),
    (
        "gemini-proxy",
        "/gemini-proxy/api/v1",
        "sk-sim-gemini",
        "gemini-2.5-flash",
    ),
];

fn json(text: &str) -> JsValue {
    js_sys::JSON::parse(text).expect("test JSON")
}

fn get(v: &JsValue, path: &str) -> JsValue {
    let mut cur = v.clone();
    for key in path.split('.') {
        let k = match key.parse::<u32>() {
            Ok(i) => JsValue::from(i),
            Err(_) => JsValue::from_str(key),
        };
        cur = Reflect::get(&cur, &k).unwrap_or(JsValue::UNDEFINED);
    }
    cur
}

fn direct(provider: &str) -> Switchboard {
    direct_with(provider, None, "")
}

fn direct_with(provider: &str, key: Option<&str>, extra: &str) -> Switchboard {
    let (_, prefix, default_key, _) = PROVIDERS
        .iter()
        .find(|p| p.0 == provider)
        .expect("known provider");
    let opts = json(&format!(
        r#"{{"provider":"{provider}","baseURL":"{}{prefix}","apiKey":"{}","dangerouslyAllowBrowser":true{extra}}}"#,
        sim(),
        key.unwrap_or(default_key)
    ));
    Switchboard::new(opts).expect("client")
}

fn model(provider: &str) -> &'static str {
    PROVIDERS.iter().find(|p| p.0 == provider).expect("known").3
}

fn chat_params(provider: &str, text: &str, stream: bool) -> JsValue {
    json(&format!(
        r#"{{"model":"{}","stream":{stream},"messages":[{{"role":"user","content":"{text}"}}]}}"#,
        model(provider)
    ))
}

fn options(headers: &str) -> JsValue {
    json(&format!(r#"{{"headers":{{{headers}}}}}"#))
}

async fn create(
    sb: &Switchboard,
    params: JsValue,
    opts: impl Into<Option<JsValue>>,
) -> Result<JsValue, JsValue> {
    JsFuture::from(sb.chat().completions().create(params, opts.into())).await
}

async fn call(obj: &JsValue, method: &str) -> Result<JsValue, JsValue> {
    let f: Function = Reflect::get(obj, &JsValue::from_str(method))
        .expect("method")
        .dyn_into()
        .expect("a function");
    let promise: js_sys::Promise = f.call0(obj).expect("call").dyn_into().expect("a promise");
    JsFuture::from(promise).await
}

fn call_sync(obj: &JsValue, method: &str) -> JsValue {
    let f: Function = Reflect::get(obj, &JsValue::from_str(method))
        .expect("method")
        .dyn_into()
        .expect("a function");
    f.call0(obj).expect("call")
}

fn name(err: &JsValue) -> String {
    get(err, "name").as_string().unwrap_or_default()
}

async fn sim_json(method: &str, path: &str, body: Option<&str>) -> JsValue {
    let init = Object::new();
    Reflect::set(&init, &"method".into(), &method.into()).expect("set");
    if let Some(b) = body {
        Reflect::set(&init, &"body".into(), &b.into()).expect("set");
    }
    let fetch: Function = Reflect::get(&js_sys::global(), &"fetch".into())
        .expect("fetch")
        .dyn_into()
        .expect("function");
    let url = format!("{}{path}", sim());
    let p: js_sys::Promise = fetch
        .call2(&JsValue::NULL, &url.into(), &init)
        .expect("fetch call")
        .dyn_into()
        .expect("promise");
    let resp = JsFuture::from(p).await.expect("sim answers");
    if get(&resp, "status").as_f64() == Some(204.0) {
        return JsValue::NULL;
    }
    call(&resp, "json").await.unwrap_or(JsValue::NULL)
}

/// How many logged requests carry `x-test-id: id`.
async fn attempts(id: &str) -> usize {
    let log: js_sys::Array = sim_json("GET", "/__sim/requests", None)
        .await
        .dyn_into()
        .expect("an array");
    log.iter()
        .filter(|e| get(e, "headers.x-test-id").as_string().as_deref() == Some(id))
        .count()
}

fn unique(what: &str) -> String {
    format!("{what}-{}", (js_sys::Math::random() * 1e12) as u64)
}

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
    let rs = call_sync(&stream, "toReadableStream");
    let lines = js_sys::Array::from(&JsFuture::from(read_all_lines(&rs)).await.expect("lines"));
    let text: String = lines
        .iter()
        .filter_map(|c| get(&c, "choices.0.delta.content").as_string())
        .collect();
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
    assert_eq!(
        get(&done, "choices.0.finish_reason").as_string().as_deref(),
        Some("tool_calls")
    );
    assert_eq!(
        get(&done, "choices.0.message.tool_calls.0.function.name")
            .as_string()
            .as_deref(),
        Some("get_weather")
    );
    assert_eq!(
        get(&done, "choices.0.message.tool_calls.0.function.arguments")
            .as_string()
            .as_deref(),
        Some(r#"{"city":"Paris"}"#)
    );
}

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
        let err = create(
            &sb,
            chat_params("siraya", "hi", false),
            options(&format!(r#""x-sim-fault":"{fault}""#)),
        )
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
async fn abort_mid_stream() {
    let sb = direct("secry");
    let ctl = web_sys::AbortController::new().expect("controller");
    let opts = Object::new();
    Reflect::set(&opts, &"signal".into(), &ctl.signal()).expect("set");
    Reflect::set(
        &opts,
        &"headers".into(),
        &json(r#"{"x-sim-chunk-delay-ms":"100"}"#),
    )
    .expect("set");
    let stream = create(
        &sb,
        chat_params("secry", "count to 100", true),
        JsValue::from(opts),
    )
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
}

#[wasm_bindgen_test]
async fn abort_before_answer() {
    let sb = direct("secry");
    let ctl = web_sys::AbortController::new().expect("controller");
    let opts = Object::new();
    Reflect::set(&opts, &"signal".into(), &ctl.signal()).expect("set");
    Reflect::set(
        &opts,
        &"headers".into(),
        &json(r#"{"x-sim-fault":"latency=2000"}"#),
    )
    .expect("set");
    let pending = create(&sb, chat_params("secry", "hi", false), JsValue::from(opts));
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
            options(&format!(r#""x-sim-fault":"{fault}""#)),
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
        options(r#""x-sim-fault":"error-mid-stream=2""#),
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
        options(r#""x-sim-fault":"latency=3000""#),
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
    let err = create(
        &sb,
        chat_params("secry", "hi", false),
        options(r#""x-sim-fault":"reset""#),
    )
    .await
    .expect_err("reset");
    assert_eq!(name(&err), "APIConnectionError");
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
async fn invalid_request_refused_before_sending() {
    let sb = direct("secry");
    let err = create(&sb, json(r#"{"model":"m","messages":[]}"#), None)
        .await
        .expect_err("empty messages");
    assert_eq!(name(&err), "BadRequestError");
    assert_eq!(get(&err, "param").as_string().as_deref(), Some("messages"));
}

async fn bytes_of(response: &JsValue) -> Vec<u8> {
    let v = JsFuture::from(response_bytes(response))
        .await
        .expect("bytes");
    js_sys::Uint8Array::new(&v).to_vec()
}

fn b64_prefix(b64: &str) -> String {
    b64.chars().take(8).collect()
}

#[wasm_bindgen_test]
async fn images_generate_secry_and_airforce() {
    let sb = direct("secry");
    let r = JsFuture::from(sb.images().generate(
        json(r#"{"model":"flux","prompt":"a red fox","size":"128x64"}"#),
        None,
    ))
    .await
    .unwrap_or_else(|e| panic!("{:?}", get(&e, "message")));
    let b64 = get(&r, "data.0.b64_json").as_string().expect("b64_json");
    // base64 of the PNG signature.
    assert_eq!(b64_prefix(&b64), "iVBORw0K");
    assert_eq!(
        get(&r, "data.0.revised_prompt").as_string().as_deref(),
        Some("a red fox")
    );

    let sb = direct("airforce");
    let r = JsFuture::from(sb.images().generate(
        json(r#"{"model":"flux","prompt":"a red fox","size":"1024x1024"}"#),
        None,
    ))
    .await
    .unwrap_or_else(|e| panic!("{:?}", get(&e, "message")));
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

/// Gateway mode speaks plain OpenAI to `baseURL`; SECRY's prefix on the simulator is an
/// OpenAI-shaped server, so it stands in for a gateway here.
fn gateway(key: &str) -> Switchboard {
    Switchboard::new(json(&format!(
        r#"{{"baseURL":"{}/secry/v1","apiKey":"{key}"}}"#,
        sim()
    )))
    .expect("gateway client")
}

#[wasm_bindgen_test]
async fn gateway_mode_chat_stream_models_and_errors() {
    let sb = gateway("sk-sim-secry");
    assert_eq!(sb.provider(), None);
    let params = json(
        r#"{"model":"secry/gemma-3-27b-it","messages":[{"role":"user","content":"count to 3"}]}"#,
    );
    let r = create(&sb, params, None)
        .await
        .unwrap_or_else(|e| panic!("{:?}", get(&e, "message")));
    assert_eq!(
        get(&r, "choices.0.message.content").as_string().as_deref(),
        Some("1 2 3")
    );

    let params = json(
        r#"{"model":"secry/gemma-3-27b-it","stream":true,"messages":[{"role":"user","content":"count to 3"}]}"#,
    );
    let stream = create(&sb, params, None).await.expect("stream");
    let parts = JsFuture::from(collect(&stream)).await.expect("iteration");
    let parts: Vec<String> = js_sys::Array::from(&parts)
        .iter()
        .filter_map(|v| v.as_string())
        .collect();
    assert_eq!(parts, ["1", " 2", " 3"]);

    let list = JsFuture::from(sb.models().list(None))
        .await
        .expect("models");
    assert!(js_sys::Array::from(&get(&list, "data")).length() > 0);

    let err = create(
        &gateway("sk-wrong"),
        chat_params("secry", "hi", false),
        None,
    )
    .await
    .expect_err("401");
    assert_eq!(name(&err), "AuthenticationError");
    // A gateway's error names its provider in the body; this one does not.
    assert!(get(&err, "provider").is_undefined());
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

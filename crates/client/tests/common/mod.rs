//! Helpers shared by the simulator and gateway tests (`sim_*.rs`, `gateway.rs`): the
//! simulator's and the gateway's URLs, clients, JSON and property access, calls into
//! returned JS objects, the simulator's request log and faults.
// Each test binary uses a different subset of these helpers.
#![allow(dead_code)]

use js_sys::{Function, Object, Reflect};
use switchboard_client::Switchboard;
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;

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
export function countingFetch() {
  const f = (url, init) => { f.calls++; return fetch(url, init); };
  f.calls = 0;
  return f;
}
export function sleep(ms) { return new Promise((r) => setTimeout(r, ms)); }
export function makeBlob(text) { return new Blob([text], { type: "text/plain" }); }
export async function responseBytes(r) { return new Uint8Array(await r.arrayBuffer()); }
export async function readAllLines(rs) {
  const text = await new Response(rs).text();
  return text.split("\n").filter(Boolean).map((l) => JSON.parse(l));
}
"#)]
extern "C" {
    #[wasm_bindgen(js_name = isInstance)]
    pub fn is_instance(v: &JsValue, class: &JsValue) -> bool;
    /// The non-empty content deltas of a stream, through `for await`.
    pub fn collect(stream: &JsValue) -> js_sys::Promise;
    /// A `fetch` that adds `x-sim-fault: fault` to its first request only.
    #[wasm_bindgen(js_name = faultOnce)]
    pub fn fault_once(fault: &str) -> JsValue;
    /// A `fetch` that counts its calls in its `calls` property.
    #[wasm_bindgen(js_name = countingFetch)]
    pub fn counting_fetch() -> JsValue;
    pub fn sleep(ms: u32) -> js_sys::Promise;
    #[wasm_bindgen(js_name = makeBlob)]
    pub fn make_blob(text: &str) -> JsValue;
    #[wasm_bindgen(js_name = responseBytes)]
    pub fn response_bytes(r: &JsValue) -> js_sys::Promise;
    #[wasm_bindgen(js_name = readAllLines)]
    pub fn read_all_lines(rs: &JsValue) -> js_sys::Promise;
}

pub fn sim() -> &'static str {
    match option_env!("SWITCHBOARD_SIM_URL") {
        Some(url) => url,
        None => panic!(
            "SWITCHBOARD_SIM_URL must be set when the tests are built (cargo xtask test does it)"
        ),
    }
}

/// (provider, prefix, key, model)
pub const PROVIDERS: [(&str, &str, &str, &str); 5] = [
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

pub fn json(text: &str) -> JsValue {
    js_sys::JSON::parse(text).expect("test JSON")
}

pub fn get(v: &JsValue, path: &str) -> JsValue {
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

pub fn direct(provider: &str) -> Switchboard {
    direct_with(provider, None, "")
}

pub fn direct_with(provider: &str, key: Option<&str>, extra: &str) -> Switchboard {
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

pub fn model(provider: &str) -> &'static str {
    PROVIDERS.iter().find(|p| p.0 == provider).expect("known").3
}

pub fn chat_params(provider: &str, text: &str, stream: bool) -> JsValue {
    json(&format!(
        r#"{{"model":"{}","stream":{stream},"messages":[{{"role":"user","content":"{text}"}}]}}"#,
        model(provider)
    ))
}

pub fn options(headers: &str) -> JsValue {
    json(&format!(r#"{{"headers":{{{headers}}}}}"#))
}

/// Request options with `ctl`'s signal and `headers` (`"name":"value",...`).
pub fn abortable(ctl: &web_sys::AbortController, headers: &str) -> JsValue {
    let opts = options(headers);
    Reflect::set(&opts, &"signal".into(), &ctl.signal()).expect("set");
    opts
}

/// Request options that send `x-sim-fault: fault` (direct mode).
pub fn sim_fault(fault: &str) -> JsValue {
    options(&format!(r#""x-sim-fault":"{fault}""#))
}

pub async fn create(
    sb: &Switchboard,
    params: JsValue,
    opts: impl Into<Option<JsValue>>,
) -> Result<JsValue, JsValue> {
    JsFuture::from(sb.chat().completions().create(params, opts.into())).await
}

pub async fn call(obj: &JsValue, method: &str) -> Result<JsValue, JsValue> {
    let f: Function = Reflect::get(obj, &JsValue::from_str(method))
        .expect("method")
        .dyn_into()
        .expect("a function");
    let promise: js_sys::Promise = f.call0(obj).expect("call").dyn_into().expect("a promise");
    JsFuture::from(promise).await
}

pub fn call_sync(obj: &JsValue, method: &str) -> JsValue {
    let f: Function = Reflect::get(obj, &JsValue::from_str(method))
        .expect("method")
        .dyn_into()
        .expect("a function");
    f.call0(obj).expect("call")
}

pub fn name(err: &JsValue) -> String {
    get(err, "name").as_string().unwrap_or_default()
}

pub async fn sim_json(method: &str, path: &str, body: Option<&str>) -> JsValue {
    let init = Object::new();
    Reflect::set(&init, &"method".into(), &method.into()).expect("set");
    if let Some(b) = body {
        Reflect::set(&init, &"body".into(), &b.into()).expect("set");
        let headers = json(r#"{"content-type":"application/json"}"#);
        Reflect::set(&init, &"headers".into(), &headers).expect("set");
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
pub async fn attempts(id: &str) -> usize {
    let log: js_sys::Array = sim_json("GET", "/__sim/requests", None)
        .await
        .dyn_into()
        .expect("an array");
    log.iter()
        .filter(|e| get(e, "headers.x-test-id").as_string().as_deref() == Some(id))
        .count()
}

pub fn unique(what: &str) -> String {
    format!("{what}-{}", (js_sys::Math::random() * 1e12) as u64)
}

pub async fn bytes_of(response: &JsValue) -> Vec<u8> {
    let v = JsFuture::from(response_bytes(response))
        .await
        .expect("bytes");
    js_sys::Uint8Array::new(&v).to_vec()
}

pub fn b64_prefix(b64: &str) -> String {
    b64.chars().take(8).collect()
}

/// Asserts that a final completion ended in one `get_weather` call with `arguments`.
pub fn assert_weather_call(done: &JsValue, arguments: &str) {
    assert_eq!(
        get(done, "choices.0.finish_reason").as_string().as_deref(),
        Some("tool_calls")
    );
    assert_eq!(
        get(done, "choices.0.message.tool_calls.0.function.name")
            .as_string()
            .as_deref(),
        Some("get_weather")
    );
    assert_eq!(
        get(done, "choices.0.message.tool_calls.0.function.arguments")
            .as_string()
            .as_deref(),
        Some(arguments)
    );
}

/// Asserts that `err` is the 502 `upstream_too_large` of a provider answer over the cap.
pub fn assert_upstream_too_large(err: &JsValue) {
    assert_eq!(
        name(err),
        "InternalServerError",
        "{:?}",
        get(err, "message")
    );
    assert_eq!(get(err, "status").as_f64(), Some(502.0));
    assert_eq!(
        get(err, "code").as_string().as_deref(),
        Some("upstream_too_large")
    );
    let message = get(err, "message").as_string().unwrap_or_default();
    assert!(
        message.contains("provider's answer is too large"),
        "{message}"
    );
}

/// The simulator's request log, oldest first.
pub async fn sim_log() -> js_sys::Array {
    sim_json("GET", "/__sim/requests", None)
        .await
        .dyn_into()
        .expect("an array")
}

/// The `response.outcome` of the last logged request `matches` accepts, polled (at most
/// 100 times, 100 ms apart) until it is no longer `open`.
pub async fn settled_outcome(matches: impl Fn(&JsValue) -> bool) -> String {
    let mut outcome = String::from("(not logged)");
    for _ in 0..100 {
        let log = sim_log().await;
        if let Some(entry) = log.iter().rev().find(|e| matches(e)) {
            outcome = get(&entry, "response.outcome")
                .as_string()
                .unwrap_or_default();
            if outcome != "open" {
                break;
            }
        }
        JsFuture::from(sleep(100)).await.expect("sleep");
    }
    outcome
}

/// Arms the simulator fault `fault` for the next `times` requests under `prefix`.
pub async fn arm(fault: &str, times: u32, prefix: &str) {
    let body = format!(r#"{{"fault":"{fault}","times":{times},"path_prefix":"{prefix}"}}"#);
    sim_json("POST", "/__sim/faults", Some(&body)).await;
}

/// Disarms every simulator fault.
pub async fn disarm() {
    sim_json("DELETE", "/__sim/faults", None).await;
}

/// The real gateway's `/v1` URL (`SWITCHBOARD_GATEWAY_URL`, set at build time by
/// `cargo xtask client-tests`, which starts the built Worker wired to the simulator).
pub fn gateway_url() -> &'static str {
    match option_env!("SWITCHBOARD_GATEWAY_URL") {
        Some(url) => url,
        None => panic!("SWITCHBOARD_GATEWAY_URL must be set when the tests are built"),
    }
}

/// The token that gateway accepts (`SWITCHBOARD_GATEWAY_TOKEN`).
pub fn gateway_token() -> &'static str {
    option_env!("SWITCHBOARD_GATEWAY_TOKEN").unwrap_or("")
}

/// A gateway-mode client sending `key` as its token, with `extra` client options
/// (`,"maxRetries":0`).
pub fn gateway_with(key: &str, extra: &str) -> Switchboard {
    Switchboard::new(json(&format!(
        r#"{{"baseURL":"{}","apiKey":"{key}"{extra}}}"#,
        gateway_url()
    )))
    .expect("gateway client")
}

/// A gateway-mode client with the right token.
pub fn gateway() -> Switchboard {
    gateway_with(gateway_token(), "")
}

//! api.airforce: chat (top_k, one leading system message), models, key check, images,
//! GlobalAsk, vision, suno and text-to-speech. Every path is served bare and under `/v1`.

use std::collections::HashMap;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::middleware::from_fn_with_state;
use axum::response::{IntoResponse, Response};
use axum::routing::{MethodRouter, get, post};
use serde_json::{Value, json};

use super::{MaybeFaults, faults, json_object, not_found, wrong_method};
use crate::chat::{self, Flavor, tokens};
use crate::faults::{sse_response, stream_plan};
use crate::hash::{fnv1a64, mix};
use crate::media::image::{self, Format};
use crate::media::mp3::{self, Voice};
use crate::provider::{Provider, json_response};
use crate::state::AppState;

const P: Provider = Provider::Airforce;

/// Chat models from the document.
pub const MODELS: &[&str] = &[
    "openchat-3.5-0106",
    "deepseek-coder-6.7b-base",
    "deepseek-coder-6.7b-instruct",
    "deepseek-math-7b-instruct",
    "Nous-Hermes-2-Mixtral-8x7B-DPO",
    "hermes-2-pro-mistral-7b",
    "openhermes-2.5-mistral-7b",
    "lfm-40b-moe",
    "discolm-german-7b-v1",
    "falcon-7b-instruct",
    "llama-2-7b-chat-int8",
    "llama-2-7b-chat-fp16",
    "neural-chat-7b-v3-1",
    "phi-2",
    "sqlcoder-7b-2",
    "tinyllama-1.1b-chat",
    "zephyr-7b-beta",
    "any-uncensored",
    "llama-3.1-70b-chat",
    "llama-3.1-8b-chat",
    "llama-3.1-70b-turbo",
    "llama-3.1-8b-turbo",
    "gpt-4o-mini",
    "gpt-4o",
    "gpt-4-turbo",
];

/// Image models accepted by `/imagine` and `/imagine2`.
pub const IMAGE_MODELS: &[&str] = &[
    "flux",
    "flux-realism",
    "flux-4o",
    "flux-pixel",
    "flux-3d",
    "flux-anime",
    "flux-disney",
    "any-dark",
    "stable-diffusion-xl-lightning",
    "stable-diffusion-xl-base",
];

/// Size ratios accepted by `/imagine`, as `(name, width units, height units)`.
pub const SIZES: &[(&str, u32, u32)] = &[
    ("1:1", 1, 1),
    ("16:9", 16, 9),
    ("9:16", 9, 16),
    ("21:9", 21, 9),
    ("9:21", 9, 21),
    ("1:2", 1, 2),
    ("2:1", 2, 1),
];

/// Pixels per ratio unit: `16:9` is 512×288.
pub const SIZE_UNIT: u32 = 32;

/// Vision models; the first is the default.
pub const VISION_MODELS: &[&str] = &["gemini-pro-vision", "gpt-4o", "gpt-4o-mini"];

/// Suno models; `chirp-v3-5` is the default.
pub const SUNO_MODELS: &[&str] = &["chirp-v3-5", "chirp-v2-xxl-alpha", "chirp-v3-0"];

/// Routes under `/airforce`.
pub fn router(state: AppState) -> Router<AppState> {
    let routes: [(&str, MethodRouter<AppState>); 9] = [
        ("/chat/completions", post(chat)),
        ("/models", get(models)),
        ("/imagine", get(imagine)),
        ("/imagine2", get(imagine)),
        ("/ask", get(ask)),
        ("/images/vision", get(vision)),
        ("/suno", post(suno_create)),
        ("/suno/{id}", get(suno_status)),
        ("/get-audio", get(get_audio)),
    ];
    let mut r = Router::new();
    for (path, method) in routes {
        r = r
            .route(path, method.clone())
            .route(&format!("/v1{path}"), method);
    }
    r.route_layer(from_fn_with_state(state, crate::auth::airforce))
        .route("/check", get(check))
        .route("/v1/check", get(check))
        .fallback(|| async { not_found(P) })
        .method_not_allowed_fallback(|| async { wrong_method(P) })
}

type Params = Query<HashMap<String, String>>;

fn missing(name: &str) -> Response {
    P.error(
        StatusCode::BAD_REQUEST,
        &format!("Missing required parameter: '{name}'"),
    )
}

async fn chat(
    State(state): State<AppState>,
    headers: HeaderMap,
    f: MaybeFaults,
    body: Bytes,
) -> Response {
    // top_k is checked before the shared parse so the fingerprint can report it.
    let top_k = match serde_json::from_slice::<Value>(&body)
        .ok()
        .and_then(|v| v.get("top_k").cloned())
    {
        None | Some(Value::Null) => None,
        Some(v) => match v.as_u64() {
            Some(k) => Some(k),
            None => {
                return P.error(
                    StatusCode::BAD_REQUEST,
                    "'top_k' must be a non-negative integer",
                );
            }
        },
    };
    let flavor = Flavor {
        provider: P,
        default_model: None,
        prefill: false,
        finish_triggers: false,
        stream_usage: true,
        fingerprint: Some(match top_k {
            Some(k) => format!("fp_sim_topk_{k}"),
            None => "fp_sim".to_string(),
        }),
        default_max_tokens: None,
    };
    chat::handle(&state, &headers, faults(&f), &body, &flavor, |req| {
        let systems: Vec<usize> = req
            .messages
            .iter()
            .enumerate()
            .filter(|(_, m)| m.role == "system")
            .map(|(i, _)| i)
            .collect();
        if systems.iter().any(|&i| i != 0) {
            return Err((
                StatusCode::BAD_REQUEST,
                "The system prompt must be the first message, once".into(),
            ));
        }
        Ok(())
    })
}

async fn models() -> Response {
    let data: Vec<Value> = MODELS
        .iter()
        .map(|id| json!({"id": id, "object": "model", "created": 1_686_935_002u64, "owned_by": "airforce"}))
        .collect();
    json_response(StatusCode::OK, &json!({"object": "list", "data": data}))
}

async fn check(State(state): State<AppState>, Query(q): Params) -> Response {
    match q.get("key") {
        Some(k) if *k == state.config.keys.airforce => json_response(
            StatusCode::OK,
            &json!({"key": k, "valid": true, "plan": "premium", "rpm": state.config.rate_limit_rpm}),
        ),
        Some(_) => P.error(StatusCode::UNAUTHORIZED, "Invalid API key"),
        None => missing("key"),
    }
}

async fn imagine(Query(q): Params) -> Response {
    let Some(prompt) = q.get("prompt").filter(|p| !p.is_empty()) else {
        return missing("prompt");
    };
    let size = q.get("size").map_or("1:1", String::as_str);
    let Some(&(_, wu, hu)) = SIZES.iter().find(|s| s.0 == size) else {
        return P.error(StatusCode::BAD_REQUEST, &format!("Invalid size {size:?}"));
    };
    let model = q.get("model").map_or("flux", String::as_str);
    if !IMAGE_MODELS.contains(&model) {
        return P.error(StatusCode::BAD_REQUEST, &format!("Invalid model {model:?}"));
    }
    let seed = match q.get("seed") {
        Some(s) => match s.parse::<u64>() {
            Ok(n) => n,
            Err(_) => return P.error(StatusCode::BAD_REQUEST, "'seed' must be an integer"),
        },
        None => fnv1a64(prompt.as_bytes()),
    };
    let seed = mix(seed ^ fnv1a64(model.as_bytes()));
    match image::picture(Format::Png, wu * SIZE_UNIT, hu * SIZE_UNIT, seed) {
        Ok(png) => (
            [(header::CONTENT_TYPE, HeaderValue::from_static("image/png"))],
            png,
        )
            .into_response(),
        Err(e) => P.error(StatusCode::INTERNAL_SERVER_ERROR, &e),
    }
}

async fn ask(
    State(state): State<AppState>,
    headers: HeaderMap,
    f: MaybeFaults,
    Query(q): Params,
) -> Response {
    let Some(prompt) = q.get("prompt").filter(|p| !p.is_empty()) else {
        return missing("prompt");
    };
    // One bare JSON object per line, as the document shows (no `data:` prefix).
    let line = |message: &str, url: &str| {
        let mut l = json!({"message": message, "url": url})
            .to_string()
            .into_bytes();
        l.push(b'\n');
        Bytes::from(l)
    };
    let mut events: Vec<Bytes> = tokens(prompt).into_iter().map(|t| line(t, "")).collect();
    events.push(line(
        "",
        &format!(
            "https://globalask.invalid/search?id={:016x}",
            fnv1a64(prompt.as_bytes())
        ),
    ));
    let (_, delay) = chat::stream_shape(&state, &headers);
    let error = line("error: simulated failure", "");
    sse_response(stream_plan(events, false, faults(&f), error, delay))
}

async fn vision(Query(q): Params) -> Response {
    let Some(url) = q.get("url").filter(|u| !u.is_empty()) else {
        return missing("url");
    };
    let model = q.get("model").map_or(VISION_MODELS[0], String::as_str);
    if !VISION_MODELS.contains(&model) {
        return P.error(StatusCode::BAD_REQUEST, &format!("Invalid model {model:?}"));
    }
    let text = format!("The image at {url} (described by {model}).");
    (
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("text/plain; charset=utf-8"),
        )],
        text,
    )
        .into_response()
}

fn flag(v: Option<&Value>) -> Option<bool> {
    match v {
        None | Some(Value::Null) => Some(false),
        Some(Value::Bool(b)) => Some(*b),
        Some(Value::String(s)) if s == "true" => Some(true),
        Some(Value::String(s)) if s == "false" => Some(false),
        _ => None,
    }
}

fn uuid(n: u64, salt: u64) -> String {
    let a = mix(n ^ salt);
    let b = mix(a);
    format!(
        "{:08x}-{:04x}-4{:03x}-{:04x}-{:012x}",
        a >> 32,
        (a >> 16) & 0xffff,
        a & 0xfff,
        0x8000 | (b >> 48) & 0x3fff,
        b & 0xffff_ffff_ffff
    )
}

async fn suno_create(State(state): State<AppState>, body: Bytes) -> Response {
    let req = match json_object(&body) {
        Ok(m) => m,
        Err(e) => return P.error(StatusCode::BAD_REQUEST, &e),
    };
    let model = match req.get("model") {
        None | Some(Value::Null) => "chirp-v3-5",
        Some(Value::String(m)) if SUNO_MODELS.contains(&m.as_str()) => m.as_str(),
        Some(_) => {
            return P.error(
                StatusCode::BAD_REQUEST,
                &format!("'model' must be one of {SUNO_MODELS:?}"),
            );
        }
    };
    let (Some(_instrumental), Some(custom)) =
        (flag(req.get("instrumental")), flag(req.get("custom")))
    else {
        return P.error(
            StatusCode::BAD_REQUEST,
            "'instrumental' and 'custom' must be \"true\" or \"false\"",
        );
    };
    let Some(prompt) = req.get("prompt").and_then(Value::as_str) else {
        return missing("prompt");
    };
    let max = match (custom, model) {
        (false, _) => 200,
        (true, "chirp-v3-5") => 3000,
        (true, _) => 1250,
    };
    let len = prompt.chars().count();
    if len == 0 || len > max {
        return P.error(
            StatusCode::BAD_REQUEST,
            &format!("'prompt' must be 1 to {max} characters"),
        );
    }
    if let Some(style) = req.get("style") {
        let ok = style
            .as_str()
            .is_some_and(|s| (1..=120).contains(&s.chars().count()));
        if !ok {
            return P.error(
                StatusCode::BAD_REQUEST,
                "'style' must be 1 to 120 characters",
            );
        }
    }
    let salt = fnv1a64(prompt.as_bytes());
    let clips: Vec<String> = (0..2).map(|_| uuid(state.next_id(), salt)).collect();
    for id in &clips {
        state.suno.insert(id.clone(), prompt.to_string());
    }
    json_response(
        StatusCode::OK,
        &json!({"status": "success", "clips": clips}),
    )
}

fn percent_encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                out.push(b as char)
            }
            b' ' => out.push('+'),
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

async fn suno_status(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    let Some(clip) = state.suno.poll(&id) else {
        return P.error(StatusCode::NOT_FOUND, &format!("No such clip: {id}"));
    };
    if clip.polls < state.config.suno_generating_polls {
        return json_response(
            StatusCode::OK,
            &json!({"status": "generating", "image_url": "", "audio_url": "", "video_url": ""}),
        );
    }
    let host = headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .unwrap_or("127.0.0.1");
    let base = format!("http://{host}/airforce");
    let text = percent_encode(&clip.prompt);
    json_response(
        StatusCode::OK,
        &json!({
            "status": "finished",
            "image_url": format!("{base}/imagine?prompt={text}&size=1:1"),
            "audio_url": format!("{base}/get-audio?text={text}&voice=alex"),
            "video_url": format!("{base}/suno/{id}.mp4"),
        }),
    )
}

async fn get_audio(Query(q): Params) -> Response {
    let Some(text) = q.get("text").filter(|t| !t.is_empty()) else {
        return missing("text");
    };
    let voice_name = q.get("voice").map_or("alex", String::as_str);
    let Some(voice) = Voice::parse(voice_name) else {
        return P.error(
            StatusCode::BAD_REQUEST,
            &format!("Unknown voice {voice_name:?}: use alex or sophia"),
        );
    };
    (
        [(header::CONTENT_TYPE, HeaderValue::from_static("audio/mpeg"))],
        mp3::speech(text, voice),
    )
        .into_response()
}

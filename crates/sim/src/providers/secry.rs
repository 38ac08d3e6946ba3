//! SECRY AI: chat (with tools and image parts), models, files, image generation.

use axum::Router;
use axum::body::Bytes;
use axum::extract::{FromRequest, Multipart, Path, Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::middleware::from_fn_with_state;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use base64::Engine;
use serde_json::{Value, json};

use super::{MaybeFaults, faults, json_object, not_found, wrong_method};
use crate::chat::{self, Flavor, now_secs};
use crate::hash::fnv1a64;
use crate::media::image::{self, Format};
use crate::provider::{Provider, json_response};
use crate::state::AppState;
use crate::stores::StoredFile;

const P: Provider = Provider::Secry;

/// Model ids from the document (chat, embedding, vision and the deprecated image models).
pub const MODELS: &[&str] = &[
    "meta-llama/Meta-Llama-3.1-8B-Instruct-fast",
    "meta-llama/Meta-Llama-3.1-8B-Instruct",
    "meta-llama/Llama-Guard-3-8B",
    "meta-llama/Llama-3.3-70B-Instruct",
    "meta-llama/Llama-3.3-70B-Instruct-fast",
    "gemma-4-31b-it",
    "gemma-4-26b-a4b-it",
    "gemma-3-27b-it",
    "gemma-3-12b-it",
    "Qwen/Qwen2.5-Coder-7B-fast",
    "Qwen/Qwen3-235B-A22B-Instruct-2507",
    "Qwen/Qwen3-235B-A22B-Thinking-2507",
    "Qwen/Qwen3-32B",
    "Qwen/Qwen3-32B-fast",
    "Qwen/Qwen3-30B-A3B-Thinking-2507",
    "Qwen/Qwen3-30B-A3B-Instruct-2507",
    "Qwen/Qwen3-Coder-30B-A3B-Instruct",
    "Qwen/Qwen3-Coder-480B-A35B-Instruct",
    "Qwen/Qwen3-Next-80B-A3B-Thinking",
    "deepseek-ai/DeepSeek-V3.1",
    "deepseek-ai/DeepSeek-V3.2",
    "nvidia/Llama-3_1-Nemotron-Ultra-253B-v1",
    "nvidia/Nemotron-Nano-V2-12b",
    "nvidia/NVIDIA-Nemotron-3-Nano-30B-A3B",
    "openai/gpt-oss-120b",
    "openai/gpt-oss-20b",
    "PrimeIntellect/INTELLECT-3",
    "NousResearch/Hermes-4-70B",
    "NousResearch/Hermes-4-405B",
    "moonshotai/Kimi-K2.5",
    "moonshotai/Kimi-K2-Thinking",
    "zai-org/GLM-5",
    "zai-org/GLM-4.7-FP8",
    "MiniMaxAI/MiniMax-M2.5",
    "MiniMaxAI/MiniMax-M2.7",
    "BAAI/bge-en-icl",
    "BAAI/bge-multilingual-gemma2",
    "intfloat/e5-mistral-7b-instruct",
    "Qwen/Qwen3-Embedding-8B",
    "Qwen/Qwen2.5-VL-72B-Instruct",
    "black-forest-labs/flux-dev",
    "black-forest-labs/flux-schnell",
];

/// The document marks this model "Temp Maintenance": chat with it answers 503.
pub const MAINTENANCE_MODEL: &str = "MiniMaxAI/MiniMax-M2.5";

/// Largest image side generated.
const MAX_SIDE: u64 = 2048;

/// Routes under `/secry/v1`.
pub fn router(state: AppState) -> Router<AppState> {
    Router::new()
        .route("/chat/completions", post(chat))
        .route("/models", get(models))
        .route("/files", post(upload).get(list_files))
        .route("/files/{id}", get(file_info).delete(delete_file))
        .route("/files/{id}/content", get(file_content))
        .route("/images/generations", post(generate_image))
        .route_layer(from_fn_with_state(state, crate::auth::secry))
        .fallback(|| async { not_found(P) })
        .method_not_allowed_fallback(|| async { wrong_method(P) })
}

fn flavor() -> Flavor {
    Flavor {
        provider: P,
        default_model: None,
        prefill: false,
        finish_triggers: false,
        stream_usage: true,
        fingerprint: None,
        default_max_tokens: None,
    }
}

async fn chat(
    State(state): State<AppState>,
    headers: HeaderMap,
    f: MaybeFaults,
    body: Bytes,
) -> Response {
    chat::handle(&state, &headers, faults(&f), &body, &flavor(), |req| {
        if req.model == MAINTENANCE_MODEL {
            return Err((
                StatusCode::SERVICE_UNAVAILABLE,
                format!("Model {MAINTENANCE_MODEL} is under temporary maintenance"),
            ));
        }
        Ok(())
    })
}

async fn models() -> Response {
    let data: Vec<Value> = MODELS
        .iter()
        .enumerate()
        .map(|(i, id)| {
            json!({"id": id, "object": "model", "created": 1_740_000_000 + i as u64,
                   "owned_by": "SECRY AI"})
        })
        .collect();
    json_response(StatusCode::OK, &json!({"object": "list", "data": data}))
}

fn file_json(f: &StoredFile) -> Value {
    json!({
        "id": f.id, "object": "file", "bytes": f.content.len(), "created_at": f.created_at,
        "filename": f.filename, "purpose": f.purpose,
    })
}

async fn upload(State(state): State<AppState>, req: Request) -> Response {
    let mut form = match Multipart::from_request(req, &()).await {
        Ok(m) => m,
        Err(e) => {
            return P.error(
                StatusCode::BAD_REQUEST,
                &format!("Expected multipart/form-data: {}", e.body_text()),
            );
        }
    };
    let (mut purpose, mut file) = (None, None);
    loop {
        let field = match form.next_field().await {
            Ok(Some(f)) => f,
            Ok(None) => break,
            Err(e) => return P.error(StatusCode::BAD_REQUEST, &format!("Bad multipart body: {e}")),
        };
        match field.name() {
            Some("purpose") => match field.text().await {
                Ok(t) => purpose = Some(t),
                Err(e) => return P.error(StatusCode::BAD_REQUEST, &e.to_string()),
            },
            Some("file") => {
                let name = field.file_name().unwrap_or("upload.bin").to_string();
                match field.bytes().await {
                    Ok(b) => file = Some((name, b)),
                    Err(e) => return P.error(StatusCode::BAD_REQUEST, &e.to_string()),
                }
            }
            _ => {}
        }
    }
    let Some(purpose) = purpose.filter(|p| !p.is_empty()) else {
        return P.error(
            StatusCode::BAD_REQUEST,
            "Missing required parameter: 'purpose'",
        );
    };
    let Some((filename, content)) = file else {
        return P.error(
            StatusCode::BAD_REQUEST,
            "Missing required parameter: 'file'",
        );
    };
    let cap = state.config.max_file_bytes;
    if content.len() > cap {
        return P.error(
            StatusCode::PAYLOAD_TOO_LARGE,
            &format!("File too large: {} bytes (limit {cap})", content.len()),
        );
    }
    let n = state.next_id();
    let stored = StoredFile {
        id: format!("file-{n:06}{:08x}", fnv1a64(&content) as u32),
        filename,
        purpose,
        created_at: now_secs(),
        content,
    };
    let body = file_json(&stored);
    if !state.files.insert(stored, state.config.max_files) {
        return P.error(
            StatusCode::BAD_REQUEST,
            "File storage limit reached; delete files first",
        );
    }
    json_response(StatusCode::OK, &body)
}

async fn list_files(State(state): State<AppState>) -> Response {
    let data: Vec<Value> = state.files.list().iter().map(file_json).collect();
    json_response(StatusCode::OK, &json!({"object": "list", "data": data}))
}

fn no_such_file(id: &str) -> Response {
    P.error(StatusCode::NOT_FOUND, &format!("No such file: {id}"))
}

async fn file_info(State(state): State<AppState>, Path(id): Path<String>) -> Response {
    match state.files.get(&id) {
        Some(f) => json_response(StatusCode::OK, &file_json(&f)),
        None => no_such_file(&id),
    }
}

async fn file_content(State(state): State<AppState>, Path(id): Path<String>) -> Response {
    match state.files.get(&id) {
        Some(f) => (
            [(
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/octet-stream"),
            )],
            f.content,
        )
            .into_response(),
        None => no_such_file(&id),
    }
}

async fn delete_file(State(state): State<AppState>, Path(id): Path<String>) -> Response {
    if state.files.remove(&id) {
        json_response(
            StatusCode::OK,
            &json!({"id": id, "object": "file", "deleted": true}),
        )
    } else {
        no_such_file(&id)
    }
}

fn side(v: Option<&Value>, name: &str) -> Result<u32, String> {
    match v {
        None | Some(Value::Null) => Ok(1024),
        Some(v) => match v.as_u64() {
            Some(n) if (1..=MAX_SIDE).contains(&n) => Ok(n as u32),
            _ => Err(format!("'{name}' must be an integer in 1..={MAX_SIDE}")),
        },
    }
}

async fn generate_image(body: Bytes) -> Response {
    let req = match json_object(&body) {
        Ok(m) => m,
        Err(e) => return P.error(StatusCode::BAD_REQUEST, &e),
    };
    let Some(prompt) = req
        .get("prompt")
        .and_then(Value::as_str)
        .filter(|p| !p.is_empty())
    else {
        return P.error(
            StatusCode::BAD_REQUEST,
            "Missing required parameter: 'prompt'",
        );
    };
    let (width, height) = match (
        side(req.get("width"), "width"),
        side(req.get("height"), "height"),
    ) {
        (Ok(w), Ok(h)) => (w, h),
        (Err(e), _) | (_, Err(e)) => return P.error(StatusCode::BAD_REQUEST, &e),
    };
    let ext = req
        .get("response_extension")
        .and_then(Value::as_str)
        .unwrap_or("png");
    let Some(format) = Format::from_extension(ext) else {
        return P.error(
            StatusCode::BAD_REQUEST,
            "'response_extension' must be one of png, jpeg, jpg, webp",
        );
    };
    let as_url = match req.get("response_format").and_then(Value::as_str) {
        None | Some("b64_json") => false,
        Some("url") => true,
        Some(_) => {
            return P.error(
                StatusCode::BAD_REQUEST,
                "'response_format' must be b64_json or url",
            );
        }
    };
    // seed -1 (or none) means "random"; here it is derived from the prompt, to stay repeatable.
    let seed = match req.get("seed").and_then(Value::as_i64) {
        Some(s) if s >= 0 => s as u64,
        _ => fnv1a64(prompt.as_bytes()),
    };
    let bytes = match image::picture(format, width, height, seed) {
        Ok(b) => b,
        Err(e) => return P.error(StatusCode::INTERNAL_SERVER_ERROR, &e),
    };
    let b64 = base64::engine::general_purpose::STANDARD.encode(&bytes);
    let item = if as_url {
        json!({"url": format!("data:{};base64,{b64}", format.mime()), "revised_prompt": prompt})
    } else {
        json!({"b64_json": b64, "revised_prompt": prompt})
    };
    json_response(
        StatusCode::OK,
        &json!({
            "created": now_secs(),
            "data": [item],
            "id": format!("text2img-{:016x}", fnv1a64(&body)),
        }),
    )
}

//! Secton: chat that answers with the whole `messages` array and an `organization_id`
//! (no `choices`), and models filtered by GET query parameters.

use axum::Router;
use axum::body::Bytes;
use axum::extract::Query;
use axum::http::{HeaderMap, StatusCode};
use axum::middleware::from_fn_with_state;
use axum::response::Response;
use axum::routing::{get, post};
use serde_json::{Value, json};
use std::collections::HashMap;

use super::{not_found, wrong_method};
use crate::auth::bearer;
use crate::chat::{self, Flavor};
use crate::hash::fnv1a64;
use crate::provider::{Provider, json_response};
use crate::state::AppState;

const P: Provider = Provider::Secton;

/// `(id, category, created)` of the simulated catalogue; `copilot-zero` is the document's.
pub const MODELS: &[(&str, &str, u64)] = &[
    ("copilot-zero", "chat", 1_730_000_000),
    ("copilot-zero-mini", "chat", 1_731_000_000),
    ("copilot-vision", "chat", 1_732_000_000),
    ("secton-embed-1", "embedding", 1_729_000_000),
    ("secton-image-1", "image", 1_733_000_000),
];

/// Routes under `/secton/v1`.
pub fn router(state: AppState) -> Router<AppState> {
    Router::new()
        .route("/chat/completions", post(chat))
        .route("/models", get(models))
        .route_layer(from_fn_with_state(state, crate::auth::secton))
        .fallback(|| async { not_found(P) })
        .method_not_allowed_fallback(|| async { wrong_method(P) })
}

/// `org_` and eight digits derived from the key, like the document's `org_12345678`.
fn organization_id(key: &str) -> String {
    format!("org_{:08}", fnv1a64(key.as_bytes()) % 100_000_000)
}

async fn chat(headers: HeaderMap, body: Bytes) -> Response {
    answer(bearer(&headers).unwrap_or_default(), &body)
}

fn answer(key: &str, body: &Bytes) -> Response {
    let flavor = Flavor {
        provider: P,
        default_model: None,
        prefill: false,
        finish_triggers: false,
        stream_usage: false,
        fingerprint: None,
        default_max_tokens: None,
    };
    let mut req = match chat::parse(body, &flavor) {
        Ok(r) => r,
        Err((status, msg)) => return P.error(status, &msg),
    };
    // Secton documents no tools and no streaming: every answer is one JSON body.
    req.tools.clear();
    let outcome = chat::answer(&req, &flavor);
    let mut messages: Vec<Value> = req
        .raw
        .get("messages")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    messages.push(json!({"role": "assistant", "content": outcome.content}));
    json_response(
        StatusCode::OK,
        &json!({
            "object": "chat.completion",
            "model": req.model,
            "organization_id": organization_id(key),
            "messages": messages,
            "usage": {
                "prompt_tokens": outcome.prompt_tokens,
                "completion_tokens": outcome.completion_tokens,
                "total_tokens": outcome.prompt_tokens + outcome.completion_tokens,
            },
        }),
    )
}

async fn models(Query(q): Query<HashMap<String, String>>) -> Response {
    let category = q.get("category").map(String::as_str);
    if let Some(c) = category
        && !MODELS.iter().any(|m| m.1 == c)
    {
        return P.error(
            StatusCode::BAD_REQUEST,
            &format!("Unknown category {c:?}: use chat, embedding or image"),
        );
    }
    let mut list: Vec<_> = MODELS
        .iter()
        .filter(|m| category.is_none_or(|c| m.1 == c))
        .collect();
    match q.get("sort").map(String::as_str) {
        None | Some("created") => list.sort_by_key(|m| m.2),
        Some("name") => list.sort_by_key(|m| m.0),
        Some(s) => {
            return P.error(
                StatusCode::BAD_REQUEST,
                &format!("Unknown sort {s:?}: use name or created"),
            );
        }
    }
    let data: Vec<Value> = list
        .iter()
        .map(|(id, cat, created)| {
            json!({"id": id, "object": "model", "category": cat, "created": created,
                   "owned_by": "secton"})
        })
        .collect();
    json_response(StatusCode::OK, &json!({"object": "list", "data": data}))
}

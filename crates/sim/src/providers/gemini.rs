//! The Gemini proxy: `POST /api/v1/chat` only, model optional, documented defaults and
//! the documented 400/401/429/500 errors.

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::middleware::from_fn_with_state;
use axum::response::Response;
use axum::routing::post;
use serde_json::Value;

use super::{MaybeFaults, faults, not_found, wrong_method};
use crate::chat::{self, Flavor};
use crate::provider::Provider;
use crate::state::AppState;

const P: Provider = Provider::Gemini;

/// The documented models.
pub const MODELS: &[&str] = &["gemini-2.5-flash", "gemini-2.0-flash", "gpt-4o-mini"];
/// The documented default model.
pub const DEFAULT_MODEL: &str = "gemini-2.5-flash";

/// Routes under `/gemini-proxy/api/v1`.
pub fn router(state: AppState) -> Router<AppState> {
    Router::new()
        .route("/chat", post(chat))
        .route_layer(from_fn_with_state(state, crate::auth::gemini))
        .fallback(|| async { not_found(P) })
        .method_not_allowed_fallback(|| async { wrong_method(P) })
}

async fn chat(
    State(state): State<AppState>,
    headers: HeaderMap,
    f: MaybeFaults,
    body: Bytes,
) -> Response {
    let flavor = Flavor {
        provider: P,
        default_model: Some(DEFAULT_MODEL),
        prefill: false,
        finish_triggers: false,
        stream_usage: true,
        fingerprint: None,
        default_max_tokens: Some(4096),
    };
    chat::handle(&state, &headers, faults(&f), &body, &flavor, |req| {
        let bad = |m: String| Err((StatusCode::BAD_REQUEST, m));
        if !MODELS.contains(&req.model.as_str()) {
            return bad(format!(
                "Unknown model {:?}; use one of {MODELS:?}",
                req.model
            ));
        }
        if let Some(t) = req.raw.get("temperature").and_then(Value::as_f64)
            && !(0.0..=2.0).contains(&t)
        {
            return bad("'temperature' must be between 0 and 2".into());
        }
        Ok(())
    })
}

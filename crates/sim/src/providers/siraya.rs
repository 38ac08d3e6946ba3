//! Siraya AI: OpenAI-compatible chat with assistant prefill, all five normalized finish
//! reasons, and usage on non-stream answers only.

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::middleware::from_fn_with_state;
use axum::response::Response;
use axum::routing::post;

use super::{MaybeFaults, faults, not_found, wrong_method};
use crate::chat::{self, Flavor};
use crate::provider::Provider;
use crate::state::AppState;

const P: Provider = Provider::Siraya;

/// Routes under `/siraya/v1`.
pub fn router(state: AppState) -> Router<AppState> {
    Router::new()
        .route("/chat/completions", post(chat))
        .route_layer(from_fn_with_state(state, crate::auth::siraya))
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
        default_model: None,
        prefill: true,
        finish_triggers: true,
        stream_usage: false,
        fingerprint: None,
        default_max_tokens: None,
    };
    chat::handle(&state, &headers, faults(&f), &body, &flavor, |_| Ok(()))
}

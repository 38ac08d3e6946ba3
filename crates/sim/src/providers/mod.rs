//! One module per simulated provider, each building its own router.

pub mod airforce;
pub mod gemini;
pub mod secry;
pub mod secton;
pub mod siraya;

use axum::Extension;
use axum::http::StatusCode;
use axum::response::Response;
use serde_json::{Map, Value};

use crate::faults::Faults;
use crate::provider::Provider;

/// The faults the fault middleware handed to a handler, if any.
pub type MaybeFaults = Option<Extension<Faults>>;

/// The faults as a plain reference.
pub fn faults(f: &MaybeFaults) -> Option<&Faults> {
    f.as_ref().map(|Extension(f)| f)
}

/// A JSON object body, or why it is not one.
pub fn json_object(body: &[u8]) -> Result<Map<String, Value>, String> {
    match serde_json::from_slice::<Value>(body) {
        Ok(Value::Object(m)) => Ok(m),
        Ok(_) => Err("Request body must be a JSON object".into()),
        Err(e) => Err(format!("Invalid JSON body: {e}")),
    }
}

/// 404 for a path the provider does not serve.
pub fn not_found(provider: Provider) -> Response {
    provider.error(StatusCode::NOT_FOUND, "Unknown endpoint")
}

/// 405 for a known path with the wrong method.
pub fn wrong_method(provider: Provider) -> Response {
    provider.error(
        StatusCode::METHOD_NOT_ALLOWED,
        "Method not allowed on this endpoint",
    )
}

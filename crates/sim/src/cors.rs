//! CORS for every route, so a browser page can call the simulator directly.

use axum::http::{HeaderName, Method};
use tower_http::cors::{AllowOrigin, Any, CorsLayer};

/// Any origin, method and header; preflights answered; `Retry-After` readable by scripts.
pub fn layer() -> CorsLayer {
    CorsLayer::new()
        .allow_origin(AllowOrigin::any())
        .allow_methods([
            Method::GET,
            Method::POST,
            Method::PUT,
            Method::PATCH,
            Method::DELETE,
            Method::OPTIONS,
        ])
        .allow_headers(Any)
        .expose_headers([
            HeaderName::from_static("retry-after"),
            HeaderName::from_static("content-type"),
            HeaderName::from_static("content-length"),
        ])
        .max_age(std::time::Duration::from_secs(600))
}

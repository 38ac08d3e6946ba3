//! Bearer-key checks and the per-key rate limit, one middleware per provider.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::Response;

use crate::provider::Provider;
use crate::state::AppState;

/// Fixed one-minute windows of request counts per provider and key.
#[derive(Default)]
pub struct RateLimiter {
    windows: Mutex<HashMap<(Provider, String), (Instant, u32)>>,
}

const WINDOW: Duration = Duration::from_secs(60);

impl RateLimiter {
    /// Counts one request; `Err(seconds until the window resets)` when over `rpm`.
    fn hit(&self, provider: Provider, key: &str, rpm: u32) -> Result<(), u64> {
        let now = Instant::now();
        let mut windows = self.windows.lock().unwrap_or_else(|p| p.into_inner());
        let slot = windows
            .entry((provider, key.to_string()))
            .or_insert((now, 0));
        if now.duration_since(slot.0) >= WINDOW {
            *slot = (now, 0);
        }
        slot.1 += 1;
        if slot.1 > rpm {
            let left = WINDOW.saturating_sub(now.duration_since(slot.0));
            Err(left.as_secs().max(1))
        } else {
            Ok(())
        }
    }
}

/// The bearer token in these headers, if there is one.
pub fn bearer(headers: &HeaderMap) -> Option<&str> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then_some(token.trim())
}

async fn check(state: AppState, provider: Provider, req: Request, next: Next) -> Response {
    let expected = provider.key(&state.config.keys);
    let key: &str = match (bearer(req.headers()), provider) {
        (Some(k), _) if k == expected => k,
        // airforce serves anonymous (free-tier) callers; only a wrong key is refused.
        (None, Provider::Airforce) if req.headers().get(header::AUTHORIZATION).is_none() => {
            "anonymous"
        }
        _ => return provider.error(StatusCode::UNAUTHORIZED, "Invalid or missing API key"),
    };
    let rpm = state.config.rate_limit_rpm;
    if rpm > 0
        && let Err(wait) = state.limiter.hit(provider, key, rpm)
    {
        let mut resp = provider.error(
            StatusCode::TOO_MANY_REQUESTS,
            &format!("Rate limit reached: {rpm} requests per minute per key"),
        );
        // Secton documents a cooldown; it says when. The others say only "retry with backoff".
        if provider == Provider::Secton {
            resp.headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(wait));
        }
        return resp;
    }
    next.run(req).await
}

macro_rules! auth_fn {
    ($name:ident, $provider:expr) => {
        /// Key check and rate limit for one provider.
        pub async fn $name(State(state): State<AppState>, req: Request, next: Next) -> Response {
            check(state, $provider, req, next).await
        }
    };
}

auth_fn!(secry, Provider::Secry);
auth_fn!(secton, Provider::Secton);
auth_fn!(airforce, Provider::Airforce);
auth_fn!(siraya, Provider::Siraya);
auth_fn!(gemini, Provider::Gemini);

//! The workers-rs floor for `cargo xtask bench gateway`: a pass-through Worker that
//! sends each request, method, headers and body unchanged, to `UPSTREAM` + its path and
//! returns the answer as it is. Whatever the gateway costs above this is its own.

use worker::{Context, Env, Fetch, Request, RequestInit, Response, event};

/// Forwards the request to the `UPSTREAM` variable's base URL.
#[event(fetch)]
pub async fn fetch(req: Request, env: Env, _ctx: Context) -> worker::Result<Response> {
    let upstream = env.var("UPSTREAM")?.to_string();
    let url = format!("{upstream}{}", req.path());
    let mut init = RequestInit::new();
    init.with_method(req.method())
        .with_headers(req.headers().clone())
        .with_body(req.inner().body().map(Into::into));
    Fetch::Request(Request::new_with_init(&url, &init)?)
        .send()
        .await
}

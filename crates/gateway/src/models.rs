//! `GET /v1/models`: every configured provider's models merged, ids prefixed
//! `provider/`.
//!
//! Providers with a models endpoint are asked concurrently; one that fails (or has no
//! endpoint, like the Gemini proxy) contributes the models its document lists, so one
//! provider down never fails the list. The merged list is cached per isolate for
//! [`TTL_MS`].

use std::cell::RefCell;

use futures_util::future::join_all;
use switchboard_core::decode::{decode_models, documented_models, prefix_models};
use switchboard_core::http::{HttpRequest, ResponseKind};
use switchboard_core::provider::ModelsSource;
use switchboard_core::types::ModelList;
use switchboard_core::{Error, ProviderId};
use worker::Response;

use crate::config::{Config, Upstream};
use crate::{errors, upstream};

/// How long a merged list is served from this isolate's cache.
pub const TTL_MS: u64 = 60_000;

thread_local! {
    static CACHE: RefCell<Option<(u64, ModelList)>> = const { RefCell::new(None) };
}

/// Handles `GET /v1/models`.
pub async fn handle(config: &Config, now_ms: u64) -> Result<Response, Error> {
    let cached = CACHE.with(|c| {
        c.borrow()
            .as_ref()
            .filter(|(at, _)| now_ms.saturating_sub(*at) < TTL_MS)
            .map(|(_, list)| list.clone())
    });
    let list = match cached {
        Some(list) => list,
        None => {
            let lists = join_all(
                config
                    .configured()
                    .map(|(provider, up)| provider_models(provider, up, config, now_ms)),
            )
            .await;
            // Not `..ModelList::default()`: its derived `object` is empty, not "list".
            let merged = ModelList {
                object: "list".to_owned(),
                data: lists.into_iter().flat_map(|l| l.data).collect(),
                ..ModelList::default()
            };
            CACHE.with(|c| *c.borrow_mut() = Some((now_ms, merged.clone())));
            merged
        }
    };
    errors::json(200, &list).map_err(upstream::runtime_error)
}

/// One provider's models, prefixed; its documented list when asking fails.
async fn provider_models(
    provider: ProviderId,
    up: &Upstream,
    config: &Config,
    now_ms: u64,
) -> ModelList {
    let mut list = match provider.spec().models {
        ModelsSource::Listed { path, .. } => fetch_models(provider, path, up, config, now_ms)
            .await
            .unwrap_or_else(|_| documented_models(provider)),
        _ => documented_models(provider),
    };
    prefix_models(provider, &mut list);
    list
}

async fn fetch_models(
    provider: ProviderId,
    path: &str,
    up: &Upstream,
    config: &Config,
    now_ms: u64,
) -> Result<ModelList, Error> {
    let mut http = HttpRequest::get(path.to_owned(), ResponseKind::Json);
    http.authorize(&up.key);
    let (mut response, mut guard) =
        upstream::send(provider, &http, &up.base_url, None, config.timeouts).await?;
    let head = upstream::head(&response, now_ms / 1000);
    let body = upstream::read_body(&mut response, &mut guard, config).await?;
    decode_models(provider, &head, &body)
}

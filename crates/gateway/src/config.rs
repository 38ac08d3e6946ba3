//! Gateway configuration, read from the Worker's environment (vars and secrets).
//!
//! Everything the gateway talks to comes from here, never from the request: the
//! upstream base URLs (`SECRY_BASE_URL`, ..., defaulting to the documented ones) and
//! the provider keys (`SECRY_API_KEY`, ...). A provider without a key, or without a base
//! URL (the self-hosted Gemini proxy has no default), is "not configured": it answers
//! 503 and is left out of `/v1/models`.

use switchboard_core::limits::Limits;
use switchboard_core::ratelimit::Quota;
use switchboard_core::route::Routes;
use switchboard_core::types::ChatRequest;
use switchboard_core::{ApiError, Error, ProviderId};

/// Default requests per minute per client IP (`RATE_LIMIT_PER_MINUTE`; `0` disables).
pub const DEFAULT_RATE_LIMIT_PER_MINUTE: u32 = 60;
/// Default most tools in one chat request (`MAX_TOOLS`; OpenAI's own limit).
pub const DEFAULT_MAX_TOOLS: usize = 128;
/// Default largest request head: every header name and value together
/// (`MAX_HEADER_BYTES`).
pub const DEFAULT_MAX_HEADER_BYTES: usize = 16 << 10;

/// Upstream time limits, in milliseconds (each crossed limit is a 504, or an in-stream
/// error event once a stream has started).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Timeouts {
    /// From sending to the response head (`UPSTREAM_FIRST_BYTE_MS`, default 60 s).
    pub first_byte_ms: u64,
    /// Between two body pieces (`STREAM_IDLE_MS`, default 30 s).
    pub idle_ms: u64,
    /// Whole body, from its head on (`STREAM_TOTAL_MS`, default 300 s).
    pub total_ms: u64,
}

/// Retries before the first byte (see [`crate::upstream::send_retrying`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Retry {
    /// Retries after the first try (`RETRY_MAX`, default 2).
    pub max_retries: u32,
    /// First backoff, doubled per retry (`RETRY_BASE_MS`, default 250).
    pub base_ms: u64,
    /// Longest wait; a longer `Retry-After` is not waited for (`RETRY_MAX_WAIT_MS`,
    /// default 10 000).
    pub max_wait_ms: u64,
}

/// One provider's upstream: where it is and the key it takes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Upstream {
    /// Base URL without a trailing `/`.
    pub base_url: String,
    /// The provider key (a secret).
    pub key: String,
}

/// Everything the gateway is told at start of a request.
#[derive(Debug, Clone)]
pub struct Config {
    /// Per provider, in [`ProviderId::ALL`] order: its upstream, if configured.
    upstreams: [Option<Upstream>; ProviderId::ALL.len()],
    /// Accepted caller tokens (`GATEWAY_TOKENS`, comma-separated); empty means open.
    pub tokens: Vec<String>,
    /// Model aliases and fallbacks (`MODEL_ALIASES`, see [`Routes::parse`]).
    pub routes: Routes,
    /// Allowed browser origins (`CORS_ORIGINS`, comma-separated; `*` allows any).
    pub cors_origins: Vec<String>,
    /// Per-IP quota (`RATE_LIMIT_PER_MINUTE`), `None` when disabled.
    pub rate_limit: Option<Quota>,
    /// Size limits (`MAX_REQUEST_BYTES` overrides the chat body cap, `MAX_FILE_BYTES`
    /// the upload cap, `MAX_MESSAGES` the message count, `MAX_STREAM_BYTES` the
    /// length of one upstream stream).
    pub limits: Limits,
    /// Most tools in one chat request (`MAX_TOOLS`).
    pub max_tools: usize,
    /// Largest request head, names and values together (`MAX_HEADER_BYTES`).
    pub max_header_bytes: usize,
    /// Upstream time limits.
    pub timeouts: Timeouts,
    /// Retries before the first byte.
    pub retry: Retry,
    /// The token for admin routes (`ADMIN_TOKEN` secret); unset = those routes are off.
    pub admin_token: Option<String>,
}

impl Config {
    /// Reads the configuration through `get` (a lookup of vars and secrets by name).
    /// Invalid values are errors, so a typo shows up as a clear 500 rather than a
    /// silently different gateway.
    pub fn from_lookup(get: impl Fn(&str) -> Option<String>) -> Result<Config, Error> {
        let get = |name: &str| {
            get(name)
                .map(|v| v.trim().to_owned())
                .filter(|v| !v.is_empty())
        };
        let mut upstreams: [Option<Upstream>; ProviderId::ALL.len()] =
            std::array::from_fn(|_| None);
        for (slot, provider) in upstreams.iter_mut().zip(ProviderId::ALL) {
            let spec = provider.spec();
            let base_url = get(spec.base_url_var).or_else(|| spec.base_url.map(str::to_owned));
            let (Some(base_url), Some(key)) = (base_url, get(spec.key_var)) else {
                continue;
            };
            if !(base_url.starts_with("https://") || base_url.starts_with("http://")) {
                return Err(config_error(spec.base_url_var, "must be an http(s) URL"));
            }
            *slot = Some(Upstream {
                base_url: base_url.trim_end_matches('/').to_owned(),
                key,
            });
        }
        let routes = match get("MODEL_ALIASES") {
            Some(text) => {
                Routes::parse(&text).map_err(|e| config_error("MODEL_ALIASES", &e.message()))?
            }
            None => Routes::default(),
        };
        let per_minute = match get("RATE_LIMIT_PER_MINUTE") {
            Some(v) => v
                .parse::<u32>()
                .map_err(|_| config_error("RATE_LIMIT_PER_MINUTE", "must be a whole number"))?,
            None => DEFAULT_RATE_LIMIT_PER_MINUTE,
        };
        let rate_limit = (per_minute > 0)
            .then(|| Quota::new(per_minute, 60_000))
            .transpose()
            .map_err(|e| config_error("RATE_LIMIT_PER_MINUTE", &e.message()))?;
        let number = |name: &str, default: u64| -> Result<u64, Error> {
            get(name).map_or(Ok(default), |v| {
                v.parse()
                    .map_err(|_| config_error(name, "must be a whole number"))
            })
        };
        let size = |name: &str, default: usize| -> Result<usize, Error> {
            number(name, default as u64)?
                .try_into()
                .map_err(|_| config_error(name, "is too large"))
        };
        let mut limits = Limits::DEFAULT;
        limits.max_request_bytes = size("MAX_REQUEST_BYTES", limits.max_request_bytes)?;
        limits.max_file_bytes = size("MAX_FILE_BYTES", limits.max_file_bytes)?;
        limits.max_messages = size("MAX_MESSAGES", limits.max_messages)?;
        limits.max_stream_bytes = size("MAX_STREAM_BYTES", limits.max_stream_bytes)?;
        let timeouts = Timeouts {
            first_byte_ms: number("UPSTREAM_FIRST_BYTE_MS", 60_000)?,
            idle_ms: number("STREAM_IDLE_MS", 30_000)?,
            total_ms: number("STREAM_TOTAL_MS", 300_000)?,
        };
        let retry = Retry {
            max_retries: number("RETRY_MAX", 2)?
                .try_into()
                .map_err(|_| config_error("RETRY_MAX", "is too large"))?,
            base_ms: number("RETRY_BASE_MS", 250)?,
            max_wait_ms: number("RETRY_MAX_WAIT_MS", 10_000)?,
        };
        Ok(Config {
            upstreams,
            tokens: list(get("GATEWAY_TOKENS")),
            routes,
            cors_origins: list(get("CORS_ORIGINS")),
            rate_limit,
            limits,
            max_tools: size("MAX_TOOLS", DEFAULT_MAX_TOOLS)?,
            max_header_bytes: size("MAX_HEADER_BYTES", DEFAULT_MAX_HEADER_BYTES)?,
            timeouts,
            retry,
            admin_token: get("ADMIN_TOKEN"),
        })
    }

    /// The provider's upstream, or a 503 naming what is missing.
    pub fn upstream(&self, provider: ProviderId) -> Result<&Upstream, Error> {
        self.upstreams
            .iter()
            .zip(ProviderId::ALL)
            .find(|(_, p)| *p == provider)
            .and_then(|(u, _)| u.as_ref())
            .ok_or_else(|| Error::NotConfigured {
                provider: provider.to_string(),
            })
    }

    /// The configured providers and their upstreams.
    pub fn configured(&self) -> impl Iterator<Item = (ProviderId, &Upstream)> {
        ProviderId::ALL
            .into_iter()
            .zip(&self.upstreams)
            .filter_map(|(p, u)| u.as_ref().map(|u| (p, u)))
    }

    /// A 431 when the request's headers (names and values) pass `max_header_bytes`.
    pub fn check_headers(
        &self,
        headers: impl Iterator<Item = (String, String)>,
    ) -> Result<(), Error> {
        let total: usize = headers.map(|(n, v)| n.len() + v.len()).sum();
        if total <= self.max_header_bytes {
            return Ok(());
        }
        Err(Error::Api(Box::new(ApiError {
            status: 431,
            message: format!(
                "the request headers take {total} bytes, more than the limit of {}",
                self.max_header_bytes
            ),
            kind: Some("invalid_request_error".to_owned()),
            code: Some("headers_too_large".to_owned()),
            ..ApiError::default()
        })))
    }

    /// A 400 when a chat request holds more than `max_tools` tools. (The message count
    /// is the core's check, from [`Limits::max_messages`].)
    pub fn check_chat(&self, chat: &ChatRequest) -> Result<(), Error> {
        let tools = chat.tools.as_ref().map_or(0, Vec::len);
        if tools > self.max_tools {
            return Err(Error::invalid(
                format!("'tools' holds {tools} tools, more than {}", self.max_tools),
                Some("tools"),
            ));
        }
        Ok(())
    }

    /// Every provider key, for scrubbing text before it leaves the gateway.
    pub fn secrets(&self) -> impl Iterator<Item = &str> {
        self.upstreams.iter().flatten().map(|u| u.key.as_str())
    }
}

/// Splits a comma-separated list, dropping empty entries.
fn list(value: Option<String>) -> Vec<String> {
    value
        .unwrap_or_default()
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect()
}

/// A 500 naming the variable at fault (never its value, which may be a secret).
fn config_error(var: &str, what: &str) -> Error {
    Error::Api(Box::new(ApiError {
        status: 500,
        message: format!("gateway misconfigured: {var} {what}"),
        kind: Some("server_error".to_owned()),
        code: Some("gateway_misconfigured".to_owned()),
        ..ApiError::default()
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(pairs: &[(&str, &str)]) -> Result<Config, Error> {
        Config::from_lookup(|name| {
            pairs
                .iter()
                .find(|(k, _)| *k == name)
                .map(|(_, v)| (*v).to_owned())
        })
    }

    #[test]
    fn providers_need_a_key_and_a_base_url() -> Result<(), Error> {
        let c = config(&[
            ("SECRY_API_KEY", "k1"),
            ("GEMINI_PROXY_API_KEY", "k2"),
            ("SIRAYA_BASE_URL", "http://127.0.0.1:1/siraya/v1/"),
        ])?;
        let secry = c.upstream(ProviderId::Secry)?;
        assert_eq!(secry.base_url, "https://api-ai2.secry.me/v1");
        assert_eq!(secry.key, "k1");
        // No base URL by default for the self-hosted proxy; no key for siraya.
        assert_eq!(
            c.upstream(ProviderId::GeminiProxy)
                .map(|_| ())
                .err()
                .map(|e| e.status()),
            Some(503)
        );
        assert!(c.upstream(ProviderId::Siraya).is_err());
        assert_eq!(c.configured().count(), 1);
        Ok(())
    }

    #[test]
    fn base_urls_are_trimmed_and_checked() -> Result<(), Error> {
        let c = config(&[("SIRAYA_BASE_URL", "http://h/x/"), ("SIRAYA_API_KEY", "k")])?;
        assert_eq!(c.upstream(ProviderId::Siraya)?.base_url, "http://h/x");
        assert!(config(&[("SIRAYA_BASE_URL", "file:///etc"), ("SIRAYA_API_KEY", "k")]).is_err());
        Ok(())
    }

    #[test]
    fn lists_limits_and_aliases() -> Result<(), Error> {
        let c = config(&[
            ("GATEWAY_TOKENS", " a, b ,,"),
            ("RATE_LIMIT_PER_MINUTE", "0"),
            ("MODEL_ALIASES", "fast=secry/x|airforce/y"),
        ])?;
        assert_eq!(c.tokens, ["a", "b"]);
        assert!(c.rate_limit.is_none());
        assert_eq!(c.routes.resolve("fast")?.len(), 2);
        assert_eq!(config(&[])?.rate_limit.map(|q| q.limit), Some(60));
        assert!(config(&[("RATE_LIMIT_PER_MINUTE", "lots")]).is_err());
        let d = config(&[("STREAM_IDLE_MS", "5"), ("ADMIN_TOKEN", " adm ")])?;
        assert_eq!(d.timeouts.idle_ms, 5);
        assert_eq!(d.retry.max_retries, 2);
        assert_eq!(d.admin_token.as_deref(), Some("adm"));
        assert!(config(&[("RETRY_MAX", "-1")]).is_err());
        let e = config(&[
            ("MAX_MESSAGES", "3"),
            ("MAX_TOOLS", "1"),
            ("MAX_HEADER_BYTES", "10"),
        ])?;
        assert_eq!(
            (e.limits.max_messages, e.max_tools, e.max_header_bytes),
            (3, 1, 10)
        );
        let head = |v: &str| vec![("a".to_owned(), v.to_owned())].into_iter();
        assert!(e.check_headers(head("123456789")).is_ok());
        assert_eq!(
            e.check_headers(head("1234567890")).map_err(|e| e.status()),
            Err(431)
        );
        Ok(())
    }
}

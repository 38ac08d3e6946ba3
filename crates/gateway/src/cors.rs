//! CORS: an origin allowlist from `CORS_ORIGINS`, preflight answers, and exposing the
//! headers browser code needs (rate limit, request id, retry-after).

/// Headers a browser may read from our responses.
pub const EXPOSE_HEADERS: &str =
    "x-request-id, x-ratelimit-limit, x-ratelimit-remaining, x-ratelimit-reset, retry-after";
/// Methods allowed cross-origin.
pub const ALLOW_METHODS: &str = "GET, POST, DELETE, OPTIONS";
/// Request headers allowed cross-origin (what the OpenAI SDKs send).
pub const ALLOW_HEADERS: &str = "authorization, content-type, x-stainless-arch, x-stainless-lang, x-stainless-os, x-stainless-package-version, x-stainless-runtime, x-stainless-runtime-version, x-stainless-retry-count, x-stainless-timeout, openai-organization, openai-project";

/// The CORS headers for a response to a request from `origin`, empty when the origin is
/// absent or not allowed. `preflight` adds the methods, headers and max-age.
pub fn headers(
    allowed: &[String],
    origin: Option<&str>,
    preflight: bool,
) -> Vec<(&'static str, String)> {
    let Some(origin) = origin else {
        return Vec::new();
    };
    let any = allowed.iter().any(|a| a == "*");
    if !any && !allowed.iter().any(|a| a.eq_ignore_ascii_case(origin)) {
        return Vec::new();
    }
    let mut out = vec![
        (
            "access-control-allow-origin",
            if any {
                "*".to_owned()
            } else {
                origin.to_owned()
            },
        ),
        ("access-control-expose-headers", EXPOSE_HEADERS.to_owned()),
        ("vary", "Origin".to_owned()),
    ];
    if preflight {
        out.push(("access-control-allow-methods", ALLOW_METHODS.to_owned()));
        out.push(("access-control-allow-headers", ALLOW_HEADERS.to_owned()));
        out.push(("access-control-max-age", "86400".to_owned()));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn allowlist() {
        let allowed = ["https://app.example".to_owned()];
        assert!(headers(&allowed, Some("https://evil.example"), false).is_empty());
        assert!(headers(&allowed, None, true).is_empty());
        let h = headers(&allowed, Some("https://app.example"), true);
        assert_eq!(h[0].1, "https://app.example");
        assert_eq!(h.len(), 6);
        let h = headers(&["*".to_owned()], Some("https://x"), false);
        assert_eq!(h[0].1, "*");
    }
}

//! Per-client-IP rate limiting: GCRA from the core, state in KV (`RATE_LIMIT` binding).
//!
//! The client is `CF-Connecting-IP`, which Cloudflare sets and a caller cannot forge at
//! the edge; `wrangler dev` sets it too. Without it (some local setups) every caller
//! shares one bucket named `unknown`. Forwarding headers (`X-Forwarded-For`) are not
//! trusted.
//!
//! KV takes about one write per second per key and is eventually consistent, so each
//! isolate keeps the state of the IPs it has seen and syncs with KV at most once per
//! [`SYNC_MS`] per IP: it reads KV, keeps the later of the two theoretical arrival
//! times, and writes back. Within one isolate the limit is exact. Across isolates (and
//! Cloudflare locations) each may admit up to the full quota between syncs, so the
//! effective limit is up to `limit × isolates` per window in the worst case, converging
//! within a second once traffic is spread; KV's own propagation (up to ~60 s between
//! locations) loosens that further across locations.

use std::cell::RefCell;
use std::collections::HashMap;

use switchboard_core::ratelimit::{self, Decision, Quota, RateState};
use worker::{Env, Request};

/// How often one isolate syncs one IP's state with KV, at most.
pub const SYNC_MS: u64 = 1000;
/// The KV binding name.
pub const BINDING: &str = "RATE_LIMIT";
/// Most IPs one isolate remembers; past it the map is cleared (state then comes from KV).
const MAX_LOCAL_KEYS: usize = 10_000;

/// One IP's state in this isolate.
#[derive(Clone, Copy)]
struct Local {
    state: RateState,
    synced_ms: u64,
}

thread_local! {
    static LOCAL: RefCell<HashMap<String, Local>> = RefCell::new(HashMap::new());
}

/// The caller's IP as the limit sees it.
pub fn client_ip(req: &Request) -> String {
    req.headers()
        .get("cf-connecting-ip")
        .ok()
        .flatten()
        .filter(|ip| !ip.is_empty() && ip.len() <= 64)
        .unwrap_or_else(|| "unknown".to_owned())
}

/// Takes one request from `ip`'s quota. KV failures fail open (the request is let
/// through on the local state alone) so a KV hiccup does not take the gateway down.
pub async fn take(env: &Env, quota: &Quota, ip: &str, now_ms: u64) -> Decision {
    let key = format!("rl:{ip}");
    let local = LOCAL.with(|m| m.borrow().get(&key).copied());
    let due = local.is_none_or(|l| now_ms.saturating_sub(l.synced_ms) >= SYNC_MS);
    let kv = env.kv(BINDING).ok();
    let mut state = local.map(|l| l.state);
    if due && let Some(kv) = &kv {
        let stored = kv.get(&key).json::<RateState>().await.ok().flatten();
        state = later(state, stored);
    }
    let decision = ratelimit::check(quota, state, now_ms);
    let synced_ms = if due {
        // Stored as JSON text (`{"tat_ms":…}`); a `Serialize` value given to `put`
        // directly would become a JS object and be stored as "[object Object]".
        if let Some(kv) = &kv
            && let Ok(text) = serde_json::to_string(&decision.state)
            && let Ok(put) = kv.put(&key, text.as_str())
        {
            let ttl = decision.state.ttl_secs(now_ms, quota);
            // Ignored on failure: the local state still limits this isolate.
            let _ = put.expiration_ttl(ttl).execute().await;
        }
        now_ms
    } else {
        local.map_or(now_ms, |l| l.synced_ms)
    };
    LOCAL.with(|m| {
        let mut m = m.borrow_mut();
        if m.len() >= MAX_LOCAL_KEYS && !m.contains_key(&key) {
            m.clear();
        }
        m.insert(
            key,
            Local {
                state: decision.state,
                synced_ms,
            },
        );
    });
    decision
}

/// The state with the later theoretical arrival time (the more used one).
fn later(a: Option<RateState>, b: Option<RateState>) -> Option<RateState> {
    match (a, b) {
        (Some(a), Some(b)) => Some(if (b.tat_ms, b.tat_frac) > (a.tat_ms, a.tat_frac) {
            b
        } else {
            a
        }),
        (a, b) => a.or(b),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn later_keeps_the_more_used_state() {
        let a = RateState {
            tat_ms: 5,
            tat_frac: 0,
        };
        let b = RateState {
            tat_ms: 7,
            tat_frac: 0,
        };
        assert_eq!(later(Some(a), Some(b)), Some(b));
        assert_eq!(later(Some(b), Some(a)), Some(b));
        assert_eq!(later(None, Some(a)), Some(a));
        assert_eq!(later(None, None), None);
    }
}

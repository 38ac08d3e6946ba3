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
    state: Option<RateState>,
    /// When this isolate last synced (or started syncing) the key with KV.
    synced_ms: Option<u64>,
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

/// What one request did with KV, for the request's log line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KvSync {
    /// Not due: decided on this isolate's state alone.
    Local,
    /// Read KV and wrote the new state back.
    Written,
    /// Due, but KV was missing or failed: decided on this isolate's state alone.
    Failed,
}

impl KvSync {
    /// The log field's value.
    pub fn as_str(self) -> &'static str {
        match self {
            KvSync::Local => "local",
            KvSync::Written => "written",
            KvSync::Failed => "failed",
        }
    }
}

/// Takes one request from `ip`'s quota.
///
/// KV failures fail open to this isolate: the request is decided on the local state
/// alone (still exact within the isolate), never refused because KV is down, so a KV
/// outage loosens the limit across isolates instead of taking the gateway down.
pub async fn take(env: &Env, quota: &Quota, ip: &str, now_ms: u64) -> (Decision, KvSync) {
    let key = format!("rl:{ip}");
    // Claim the sync before any await, so concurrent requests in this isolate do not
    // sync the same key too: at most one KV write per key per `SYNC_MS`.
    let due = LOCAL.with(|m| {
        let mut m = m.borrow_mut();
        if m.len() >= MAX_LOCAL_KEYS && !m.contains_key(&key) {
            m.clear();
        }
        let local = m.entry(key.clone()).or_insert(Local {
            state: None,
            synced_ms: None,
        });
        let due = local
            .synced_ms
            .is_none_or(|at| now_ms.saturating_sub(at) >= SYNC_MS);
        if due {
            local.synced_ms = Some(now_ms);
        }
        due
    });
    let mut sync = KvSync::Local;
    let mut stored = None;
    let kv = if due { env.kv(BINDING).ok() } else { None };
    if due {
        sync = KvSync::Failed;
        if let Some(kv) = &kv
            && let Ok(value) = kv.get(&key).json::<RateState>().await
        {
            stored = value;
            sync = KvSync::Written;
        }
    }
    // Decide on the local state as it is now (other requests may have moved it while
    // KV was read), merged with what KV holds.
    let decision = LOCAL.with(|m| {
        let mut m = m.borrow_mut();
        let local = m.entry(key.clone()).or_insert(Local {
            state: None,
            synced_ms: Some(now_ms),
        });
        let decision = ratelimit::check(quota, later(local.state, stored), now_ms);
        local.state = Some(decision.state);
        decision
    });
    if sync == KvSync::Written {
        // Stored as JSON text (`{"tat_ms":…}`); a `Serialize` value given to `put`
        // directly would become a JS object and be stored as "[object Object]".
        let ttl = decision.state.ttl_secs(now_ms, quota);
        let written = match (&kv, serde_json::to_string(&decision.state)) {
            (Some(kv), Ok(text)) => match kv.put(&key, text.as_str()) {
                Ok(put) => put.expiration_ttl(ttl).execute().await.is_ok(),
                Err(_) => false,
            },
            _ => false,
        };
        if !written {
            sync = KvSync::Failed;
        }
    }
    (decision, sync)
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

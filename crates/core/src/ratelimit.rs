//! Rate-limit arithmetic: a pure function over one small, serializable state.
//!
//! # Algorithm: GCRA
//!
//! The limiter is the generic cell rate algorithm (GCRA), the "virtual scheduling"
//! form of a token bucket. A [`Quota`] of `limit` requests per `window_ms` gives
//!
//! - an *emission interval* `T = window_ms / limit`: the cost of one request, and
//! - a *capacity* of `window_ms`: the bucket holds `limit` requests, so a caller
//!   that has been quiet may burst `limit` requests at once.
//!
//! The whole state is one instant, the *theoretical arrival time* (`tat`): the
//! moment at which the bucket is full (empty of debt) again. A request at `now` is
//! allowed when `tat - now <= window_ms - T` (there is room for one more `T` of
//! debt); it then moves `tat` to `max(tat, now) + T`. A denied request changes
//! nothing, so a caller hammering a closed limit does not push its own reopening
//! further away.
//!
//! Why GCRA rather than counters:
//!
//! - **One number of state** (`{"tat_ms": …}`), read and written once per request:
//!   cheap to keep in Cloudflare KV, no list of timestamps, no second key.
//! - **Smooth**: capacity comes back continuously, one request every `T`, instead
//!   of all at once when a fixed window rolls over.
//! - **No boundary burst**: a fixed window lets `2 × limit` requests through in a
//!   few milliseconds around the window edge; GCRA never lets more than `limit`
//!   through at one instant.
//!
//! # What it guarantees, exactly
//!
//! Over any span of `d` ms (from the first to the last of a group of allowed
//! requests), at most `limit + floor(d × limit / window_ms)` requests are allowed.
//! So at one instant at most `limit`, and the long-run rate is `limit` per
//! `window_ms`. It is a token bucket, not a sliding log: a caller that spends a
//! full burst and then keeps to the refill rate can get up to `2 × limit − 1`
//! requests into one stretch of `window_ms`. (Bounding every window to `limit`
//! exactly needs the timestamps of the last `limit` requests as state.)
//!
//! # Integer arithmetic
//!
//! Everything is integer; no floats. `T = window_ms / limit` is rarely a whole
//! number of milliseconds (1000 ms / 3), so the computation runs in *ticks* of
//! `1 / limit` ms, in which `T` is exactly `window_ms` ticks, in `u128` so nothing
//! can overflow. The state keeps `tat` as whole milliseconds plus the remainder
//! in ticks ([`RateState::tat_frac`], omitted from JSON when 0), so rounding never
//! accumulates: 3 per 1000 ms really is 3 per 1000 ms, and 5000 per 1000 ms
//! really is 5 per ms.
//!
//! # Clocks
//!
//! Time comes in as `now_ms` (unix milliseconds, or any monotone-ish clock); the
//! function never reads a clock and never panics. A `tat` more than one window
//! ahead of `now` cannot come from this algorithm under this quota, only from a
//! clock that jumped backwards, a colo whose clock runs ahead, or a quota that was
//! tightened; such a state is discarded (read as a full bucket), so skew never
//! locks a caller out; at worst it hands out one extra burst. Skew smaller than
//! that simply reads as debt. Results saturate at `u64::MAX` near the end of time
//! (about 585 million years of unix milliseconds), where debt can be lost.
//!
//! # Across colos
//!
//! The gateway keeps the state in Workers KV, which is eventually consistent: a
//! write in one colo can take up to a minute to be seen in another, and two
//! concurrent requests may both read the same state and both be allowed
//! (read-modify-write without compare-and-swap). Limits are therefore exact
//! within one colo's view and approximate across colos; a determined caller
//! spreading requests over many colos can exceed them. That is acceptable for
//! abuse protection, not for billing.

use crate::Error;
use alloc::string::{String, ToString};
use serde::{Deserialize, Serialize};

/// The smallest `expirationTtl` Cloudflare KV accepts, in seconds.
pub const MIN_KV_TTL_SECS: u64 = 60;

/// A rate limit: `limit` requests per `window_ms` milliseconds, with a burst of
/// `limit`.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq)]
pub struct Quota {
    /// Requests allowed per window (and the largest burst). At least 1.
    pub limit: u32,
    /// Window length in milliseconds. At least 1.
    pub window_ms: u64,
}

impl Quota {
    /// A validated quota; `limit` and `window_ms` must both be at least 1.
    pub fn new(limit: u32, window_ms: u64) -> Result<Self, Error> {
        let quota = Quota { limit, window_ms };
        quota.validate()?;
        Ok(quota)
    }

    /// Checks that `limit` and `window_ms` are at least 1. [`check`] fails closed
    /// (denies everything) on a quota that does not pass.
    pub fn validate(&self) -> Result<(), Error> {
        if self.limit == 0 {
            return Err(Error::invalid(
                "a rate-limit quota needs a limit of at least 1 request",
                Some("limit"),
            ));
        }
        if self.window_ms == 0 {
            return Err(Error::invalid(
                "a rate-limit quota needs a window of at least 1 ms",
                Some("window_ms"),
            ));
        }
        Ok(())
    }

    fn is_valid(&self) -> bool {
        self.limit >= 1 && self.window_ms >= 1
    }
}

/// What the limiter stores per key between requests (e.g. one KV entry per client
/// IP). Serializes as `{"tat_ms":…}` (plus `"tat_frac"` when it is not 0).
#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct RateState {
    /// Theoretical arrival time, whole milliseconds: when the bucket is full again.
    pub tat_ms: u64,
    /// The sub-millisecond rest of the theoretical arrival time, in units of
    /// `1 / limit` ms (always below `limit`; larger values, e.g. after the limit
    /// was lowered, are clamped).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub tat_frac: u32,
}

fn is_zero(v: &u32) -> bool {
    *v == 0
}

impl RateState {
    /// How long, in seconds, a KV entry holding this state must live: until the
    /// bucket is full again (after that, a missing entry means the same thing),
    /// rounded up, and never less than [`MIN_KV_TTL_SECS`], KV's minimum
    /// `expirationTtl`.
    pub fn ttl_secs(&self, now_ms: u64, quota: &Quota) -> u64 {
        if !quota.is_valid() {
            return MIN_KV_TTL_SECS;
        }
        let g = Gcra::new(quota, now_ms);
        let wait_ms = ceil_ticks_to_ms(g.debt(g.tat(Some(*self))), g.l);
        wait_ms.div_ceil(1000).max(MIN_KV_TTL_SECS)
    }
}

/// The answer for one request.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Decision {
    /// Whether the request may go ahead.
    pub allowed: bool,
    /// How many more requests would be allowed right now, after this one.
    pub remaining: u32,
    /// Milliseconds until the bucket is full again (all `limit` requests
    /// available).
    pub reset_ms: u64,
    /// Milliseconds until a request can be allowed; 0 when this one was.
    pub retry_after_ms: u64,
    /// The state to store. Unchanged when the request was denied (the caller may
    /// skip the write).
    pub state: RateState,
}

impl Decision {
    /// [`retry_after_ms`](Self::retry_after_ms) in whole seconds, rounded up.
    pub fn retry_after_secs(&self) -> u64 {
        self.retry_after_ms.div_ceil(1000)
    }

    /// [`reset_ms`](Self::reset_ms) in whole seconds, rounded up.
    pub fn reset_secs(&self) -> u64 {
        self.reset_ms.div_ceil(1000)
    }

    /// The 429 error for a denied request: [`Error::RateLimited`] with the
    /// retry-after in seconds (at least 1) and the quota's `limit`.
    pub fn into_error(self, limit: u32) -> Error {
        Error::RateLimited {
            retry_after: self.retry_after_secs().max(1),
            limit: u64::from(limit),
        }
    }

    /// The informational headers, names lowercase: `x-ratelimit-limit` (`limit`),
    /// `x-ratelimit-remaining` and `x-ratelimit-reset` (seconds until the bucket is
    /// full again, rounded up; a delta, not a timestamp). A denied answer also
    /// wants `retry-after`, from [`retry_after_secs`](Self::retry_after_secs).
    pub fn headers(&self, limit: u32) -> [(&'static str, String); 3] {
        [
            ("x-ratelimit-limit", limit.to_string()),
            ("x-ratelimit-remaining", self.remaining.to_string()),
            ("x-ratelimit-reset", self.reset_secs().to_string()),
        ]
    }
}

/// Decides one request at `now_ms` against `quota`, given the stored `state`
/// (`None` when the key has none: a full bucket). Pure and total: never panics,
/// never overflows.
///
/// An invalid quota (limit or window of 0, see [`Quota::validate`]) fails closed:
/// every request is denied, with a retry-after of one window (at least one
/// second).
pub fn check(quota: &Quota, state: Option<RateState>, now_ms: u64) -> Decision {
    if !quota.is_valid() {
        return Decision {
            allowed: false,
            remaining: 0,
            reset_ms: 0,
            retry_after_ms: quota.window_ms.max(1000),
            state: state.unwrap_or_default(),
        };
    }
    let g = Gcra::new(quota, now_ms);
    let tat = g.tat(state);
    let debt = g.debt(tat);
    // Room for one more emission interval of debt?
    let allowed = debt.saturating_add(g.w) <= g.capacity;
    if allowed {
        let debt_after = debt.saturating_add(g.w);
        let new_tat = tat.max(g.now).saturating_add(g.w);
        Decision {
            allowed: true,
            remaining: g.remaining(debt_after, quota.limit),
            reset_ms: ceil_ticks_to_ms(debt_after, g.l),
            retry_after_ms: 0,
            state: g.to_state(new_tat),
        }
    } else {
        // Wait until the debt has shrunk to capacity - T.
        let excess = debt.saturating_add(g.w).saturating_sub(g.capacity);
        Decision {
            allowed: false,
            remaining: 0,
            reset_ms: ceil_ticks_to_ms(debt, g.l),
            retry_after_ms: ceil_ticks_to_ms(excess, g.l).max(1),
            state: state.unwrap_or_default(),
        }
    }
}

/// The quota and the clock in ticks of `1 / limit` ms. Only built from a valid
/// quota, so `l >= 1` and `w >= 1`.
struct Gcra {
    /// `limit`: ticks per millisecond.
    l: u128,
    /// `window_ms`: the emission interval `T`, in ticks.
    w: u128,
    /// `window_ms × limit`: the bucket's capacity, in ticks.
    capacity: u128,
    /// `now_ms`, in ticks.
    now: u128,
}

impl Gcra {
    fn new(quota: &Quota, now_ms: u64) -> Self {
        let l = u128::from(quota.limit.max(1));
        let w = u128::from(quota.window_ms.max(1));
        // Both factors are below 2^64, so neither product can overflow u128.
        Gcra {
            l,
            w,
            capacity: w.saturating_mul(l),
            now: u128::from(now_ms).saturating_mul(l),
        }
    }

    /// The stored arrival time in ticks. No state, or an impossible one (more
    /// than a capacity ahead of `now`: clock skew), reads as `now`: a full bucket.
    fn tat(&self, state: Option<RateState>) -> u128 {
        let Some(s) = state else {
            return self.now;
        };
        let frac = u128::from(s.tat_frac).min(self.l.saturating_sub(1));
        let tat = u128::from(s.tat_ms)
            .saturating_mul(self.l)
            .saturating_add(frac);
        if tat > self.now.saturating_add(self.capacity) {
            self.now
        } else {
            tat
        }
    }

    /// Debt in the bucket, in ticks: how far `tat` is ahead of `now`.
    fn debt(&self, tat: u128) -> u128 {
        tat.saturating_sub(self.now)
    }

    /// Requests that fit in the room left by `debt`.
    fn remaining(&self, debt: u128, limit: u32) -> u32 {
        let room = self.capacity.saturating_sub(debt) / self.w;
        u32::try_from(room).unwrap_or(limit).min(limit)
    }

    fn to_state(&self, tat: u128) -> RateState {
        match u64::try_from(tat / self.l) {
            Ok(tat_ms) => RateState {
                tat_ms,
                // Below `l`, which came from a u32.
                tat_frac: u32::try_from(tat % self.l).unwrap_or(0),
            },
            Err(_) => RateState {
                tat_ms: u64::MAX,
                tat_frac: 0,
            },
        }
    }
}

/// Ticks to whole milliseconds, rounded up, saturated at `u64::MAX`.
fn ceil_ticks_to_ms(ticks: u128, l: u128) -> u64 {
    u64::try_from(ticks.div_ceil(l.max(1))).unwrap_or(u64::MAX)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;
    use alloc::vec::Vec;
    use proptest::prelude::*;

    fn q(limit: u32, window_ms: u64) -> Quota {
        Quota::new(limit, window_ms).unwrap()
    }

    /// Runs a request sequence through `check`, carrying the state like the
    /// gateway does; returns the decisions.
    fn run(quota: &Quota, times: &[u64]) -> Vec<Decision> {
        let mut state = None;
        times
            .iter()
            .map(|&t| {
                let d = check(quota, state, t);
                state = Some(d.state);
                d
            })
            .collect()
    }

    #[test]
    fn quota_validation() {
        assert!(Quota::new(1, 1).is_ok());
        let e = Quota::new(0, 1000).unwrap_err();
        assert_eq!(e.status(), 400);
        assert!(Quota::new(5, 0).is_err());
        assert!(Quota::new(u32::MAX, u64::MAX).is_ok());
    }

    #[test]
    fn three_per_second_exact_sequence() {
        let quota = q(3, 1000);
        let d1 = check(&quota, None, 0);
        assert!(d1.allowed);
        assert_eq!(d1.remaining, 2);
        assert_eq!(d1.retry_after_ms, 0);
        // T = 333⅓ ms: tat = 333 ms + 1 tick of ⅓ ms.
        assert_eq!(
            d1.state,
            RateState {
                tat_ms: 333,
                tat_frac: 1
            }
        );
        assert_eq!(d1.reset_ms, 334);

        let d2 = check(&quota, Some(d1.state), 0);
        assert!(d2.allowed);
        assert_eq!(d2.remaining, 1);
        let d3 = check(&quota, Some(d2.state), 0);
        assert!(d3.allowed);
        assert_eq!(d3.remaining, 0);
        assert_eq!(
            d3.state,
            RateState {
                tat_ms: 1000,
                tat_frac: 0
            }
        );
        assert_eq!(d3.reset_ms, 1000);

        let d4 = check(&quota, Some(d3.state), 0);
        assert!(!d4.allowed);
        assert_eq!(d4.remaining, 0);
        assert_eq!(d4.retry_after_ms, 334); // ceil(333⅓)
        assert_eq!(d4.retry_after_secs(), 1);
        assert_eq!(d4.reset_ms, 1000);
        assert_eq!(d4.state, d3.state, "a denial leaves the state alone");

        // One ms too early is still denied, with 1 ms to go.
        let d5 = check(&quota, Some(d3.state), 333);
        assert!(!d5.allowed);
        assert_eq!(d5.retry_after_ms, 1);
        // At the promised time it is allowed, and only one request fits.
        let d6 = check(&quota, Some(d3.state), 334);
        assert!(d6.allowed);
        assert_eq!(d6.remaining, 0);
        let d7 = check(&quota, Some(d6.state), 334);
        assert!(!d7.allowed);
        assert_eq!(d7.retry_after_ms, 333); // 666⅔ - 334 = 332⅔ → 333

        // After a full window of quiet, the whole burst is back.
        let d8 = check(&quota, Some(d6.state), 1334);
        assert!(d8.allowed);
        assert_eq!(d8.remaining, 2);
    }

    #[test]
    fn steady_rate_and_sliding_refill() {
        // 10 per 1000 ms: T = 100 ms.
        let quota = q(10, 1000);
        let burst = run(&quota, &[0; 11]);
        assert_eq!(burst.iter().filter(|d| d.allowed).count(), 10);
        assert_eq!(burst[10].retry_after_ms, 100);
        // Capacity comes back one request per 100 ms, not all at a window edge.
        let mut state = burst[9].state;
        for k in 1..=5u64 {
            let d = check(&quota, Some(state), k * 100);
            assert!(d.allowed, "request at {} ms", k * 100);
            assert_eq!(d.remaining, 0);
            let again = check(&quota, Some(d.state), k * 100 + 50);
            assert!(!again.allowed);
            assert_eq!(again.retry_after_ms, 50);
            state = d.state;
        }
        // Half a window of quiet gives back half the burst.
        let d = check(&quota, Some(state), 500 + 500);
        assert!(d.allowed);
        assert_eq!(d.remaining, 4);
        assert_eq!(d.reset_ms, 600);
        assert_eq!(d.reset_secs(), 1);
    }

    #[test]
    fn remaining_counts_down_and_reset_grows() {
        let quota = q(5, 60_000);
        let ds = run(&quota, &[1_000_000; 6]);
        let remaining: Vec<u32> = ds.iter().map(|d| d.remaining).collect();
        assert_eq!(remaining, [4, 3, 2, 1, 0, 0]);
        let reset: Vec<u64> = ds.iter().map(|d| d.reset_ms).collect();
        assert_eq!(reset, [12_000, 24_000, 36_000, 48_000, 60_000, 60_000]);
        assert_eq!(ds[5].retry_after_ms, 12_000);
    }

    #[test]
    fn limit_one() {
        let quota = q(1, 1000);
        let ds = run(&quota, &[0, 999, 1000, 1000, 2500]);
        let allowed: Vec<bool> = ds.iter().map(|d| d.allowed).collect();
        assert_eq!(allowed, [true, false, true, false, true]);
        assert_eq!(ds[1].retry_after_ms, 1);
        assert_eq!(ds[3].retry_after_ms, 1000);
    }

    #[test]
    fn sub_millisecond_interval_is_exact() {
        // 5000 per second: 5 per ms, and a burst of 5000.
        let quota = q(5000, 1000);
        let ds = run(&quota, &[7; 5001]);
        assert_eq!(ds.iter().filter(|d| d.allowed).count(), 5000);
        let last = ds[4999].state;
        let d = check(&quota, Some(last), 8);
        assert!(d.allowed);
        assert_eq!(d.remaining, 4);
        // A limit above the window in ms, with rounding: 3 per 2 ms.
        let quota = q(3, 2);
        let allowed = run(&quota, &[0, 0, 0, 0, 1, 1, 2])
            .iter()
            .map(|d| d.allowed)
            .collect::<Vec<_>>();
        assert_eq!(allowed, [true, true, true, false, true, false, true]);
    }

    #[test]
    fn window_can_hold_up_to_twice_the_limit_minus_one() {
        // A token bucket, not a sliding log: burst, then ride the refill.
        let quota = q(3, 900);
        let times = [0, 0, 0, 300, 600];
        assert!(run(&quota, &times).iter().all(|d| d.allowed));
    }

    #[test]
    fn clock_skew_never_locks_out() {
        let quota = q(3, 1000);
        // A colo whose clock ran an hour ahead wrote this: discarded.
        let ahead = check(&quota, None, 3_600_000).state;
        let d = check(&quota, Some(ahead), 1_000);
        assert!(d.allowed);
        assert_eq!(d.remaining, 2);
        assert_eq!(d.state.tat_ms, 1_333);
        // Skew that leaves the state within one window reads as debt: one
        // request at 500 ms (tat 833⅓ ms), then a clock 500 ms behind.
        let ahead = check(&quota, None, 500).state;
        let d = check(&quota, Some(ahead), 0);
        assert!(!d.allowed);
        assert_eq!(d.reset_ms, 834);
        assert_eq!(d.retry_after_ms, 167);
        assert_eq!(d.state, ahead);
        assert!(check(&quota, Some(ahead), 167).allowed);
        // now = 0 and a stale past state are both fine.
        let d = check(&quota, Some(RateState::default()), 0);
        assert!(d.allowed);
        assert_eq!(d.remaining, 2);
        let d = check(
            &quota,
            Some(RateState {
                tat_ms: 5,
                ..Default::default()
            }),
            10_000,
        );
        assert!(d.allowed);
        assert_eq!(d.remaining, 2);
    }

    #[test]
    fn out_of_range_frac_is_clamped() {
        let quota = q(2, 1000);
        let s = RateState {
            tat_ms: 100,
            tat_frac: u32::MAX,
        };
        let d = check(&quota, Some(s), 0);
        assert!(d.allowed);
        assert!(d.state.tat_frac < 2);
    }

    #[test]
    fn overflow_edges_saturate() {
        let huge = q(u32::MAX, u64::MAX);
        let d = check(&huge, None, u64::MAX);
        assert!(d.allowed);
        assert_eq!(d.state.tat_ms, u64::MAX);
        assert_eq!(d.remaining, u32::MAX - 1);
        let d = check(&huge, Some(d.state), u64::MAX);
        assert!(d.allowed);

        let quota = q(1, u64::MAX);
        let d = check(&quota, None, u64::MAX);
        assert!(d.allowed);
        assert_eq!(d.state.tat_ms, u64::MAX);
        assert_eq!(d.reset_ms, u64::MAX);
        let d = check(&quota, None, 0);
        assert!(d.allowed);
        assert_eq!(d.state.tat_ms, u64::MAX);
        let d = check(&quota, Some(d.state), 0);
        assert!(!d.allowed);
        assert_eq!(d.retry_after_ms, u64::MAX);
        assert_eq!(d.retry_after_secs(), u64::MAX.div_ceil(1000));

        // An impossible state (far beyond one window) is discarded.
        let far = RateState {
            tat_ms: u64::MAX,
            tat_frac: 0,
        };
        let d = check(&q(1, 1000), Some(far), 0);
        assert!(d.allowed);
        assert_eq!(d.state.tat_ms, 1000);
        let d = check(&q(1, 1000), Some(far), u64::MAX - 1000);
        assert!(!d.allowed);
        assert_eq!(d.retry_after_ms, 1000);
    }

    #[test]
    fn invalid_quota_fails_closed() {
        for bad in [
            Quota {
                limit: 0,
                window_ms: 1000,
            },
            Quota {
                limit: 10,
                window_ms: 0,
            },
        ] {
            let d = check(&bad, None, 42);
            assert!(!d.allowed);
            assert_eq!(d.remaining, 0);
            assert!(d.retry_after_ms >= 1000);
            assert_eq!(RateState::default().ttl_secs(0, &bad), MIN_KV_TTL_SECS);
        }
    }

    #[test]
    fn error_and_headers() {
        let quota = q(3, 1000);
        let ds = run(&quota, &[0, 0, 0, 0]);
        let e = ds[3].into_error(quota.limit);
        assert_eq!(
            e,
            Error::RateLimited {
                retry_after: 1,
                limit: 3
            }
        );
        assert_eq!(e.status(), 429);
        assert_eq!(e.retry_after(), Some(1));
        let h = ds[1].headers(quota.limit);
        assert_eq!(h[0], ("x-ratelimit-limit", String::from("3")));
        assert_eq!(h[1], ("x-ratelimit-remaining", String::from("1")));
        assert_eq!(h[2], ("x-ratelimit-reset", String::from("1")));
    }

    #[test]
    fn ttl_covers_the_debt_and_respects_kv_minimum() {
        let quota = q(10, 3_600_000);
        let ds = run(&quota, &[0; 10]);
        assert_eq!(ds[9].state.ttl_secs(0, &quota), 3600);
        assert_eq!(ds[0].state.ttl_secs(0, &quota), 360);
        assert_eq!(ds[0].state.ttl_secs(359_500, &quota), MIN_KV_TTL_SECS);
        assert_eq!(ds[0].state.ttl_secs(10_000_000, &quota), MIN_KV_TTL_SECS);
        // An impossible (skewed) state needs no keeping.
        let far = RateState {
            tat_ms: u64::MAX,
            tat_frac: 0,
        };
        assert_eq!(far.ttl_secs(0, &quota), MIN_KV_TTL_SECS);
    }

    #[test]
    fn serde_round_trip() {
        let s = RateState {
            tat_ms: 1_700_000_000_333,
            tat_frac: 0,
        };
        let json = serde_json::to_string(&s).unwrap();
        assert_eq!(json, r#"{"tat_ms":1700000000333}"#);
        assert_eq!(serde_json::from_str::<RateState>(&json).unwrap(), s);
        let s = RateState {
            tat_ms: 333,
            tat_frac: 1,
        };
        let json = serde_json::to_string(&s).unwrap();
        assert_eq!(json, r#"{"tat_ms":333,"tat_frac":1}"#);
        assert_eq!(serde_json::from_str::<RateState>(&json).unwrap(), s);
        let max = RateState {
            tat_ms: u64::MAX,
            tat_frac: u32::MAX,
        };
        let json = serde_json::to_string(&max).unwrap();
        assert_eq!(serde_json::from_str::<RateState>(&json).unwrap(), max);
        let quota = q(60, 60_000);
        let json = serde_json::to_string(&quota).unwrap();
        assert_eq!(json, r#"{"limit":60,"window_ms":60000}"#);
        assert_eq!(serde_json::from_str::<Quota>(&json).unwrap(), quota);
    }

    fn quota_strategy() -> impl Strategy<Value = Quota> {
        (1u32..=20, 1u64..=5_000).prop_map(|(limit, window_ms)| Quota { limit, window_ms })
    }

    /// Non-decreasing times: a start plus increments, with repeats.
    fn times_strategy() -> impl Strategy<Value = Vec<u64>> {
        (
            0u64..1_000_000_000,
            proptest::collection::vec(prop_oneof![Just(0u64), 0u64..50, 0u64..3_000], 1..200),
        )
            .prop_map(|(start, steps)| {
                let mut t = start;
                steps
                    .into_iter()
                    .map(|s| {
                        t += s;
                        t
                    })
                    .collect()
            })
    }

    proptest! {
        /// The GCRA bound: between the first and last of any group of allowed
        /// requests spanning d ms, at most limit + floor(d × limit / window)
        /// are allowed. Hence at most `limit` at one instant and at most
        /// 2 × limit − 1 in any window.
        #[test]
        fn allowed_never_exceed_the_bucket(quota in quota_strategy(), times in times_strategy()) {
            let ds = run(&quota, &times);
            let allowed: Vec<u64> = times
                .iter()
                .zip(&ds)
                .filter(|(_, d)| d.allowed)
                .map(|(&t, _)| t)
                .collect();
            let l = u64::from(quota.limit);
            for i in 0..allowed.len() {
                for j in i..allowed.len() {
                    let n = (j - i + 1) as u64;
                    let span = allowed[j] - allowed[i];
                    prop_assert!(n <= l + span * l / quota.window_ms,
                        "{n} allowed within {span} ms under {quota:?}");
                    if span < quota.window_ms {
                        prop_assert!(n < 2 * l);
                    }
                }
            }
        }

        /// Retry-after is exact: waiting it out gets in, one ms less does not;
        /// remaining is exact: that many more requests pass at the same instant.
        #[test]
        fn retry_after_and_remaining_are_exact(quota in quota_strategy(), times in times_strategy()) {
            let mut state = None;
            for &t in &times {
                let d = check(&quota, state, t);
                if d.allowed {
                    prop_assert_eq!(d.retry_after_ms, 0);
                    let mut s = d.state;
                    for _ in 0..d.remaining {
                        let next = check(&quota, Some(s), t);
                        prop_assert!(next.allowed);
                        s = next.state;
                    }
                    prop_assert!(!check(&quota, Some(s), t).allowed);
                    state = Some(d.state);
                } else {
                    prop_assert_eq!(d.remaining, 0);
                    prop_assert!(d.retry_after_ms >= 1);
                    prop_assert!(check(&quota, state, t + d.retry_after_ms).allowed);
                    prop_assert!(!check(&quota, state, t + d.retry_after_ms - 1).allowed);
                    // Waiting until reset gives back the whole burst.
                    let full = check(&quota, state, t + d.reset_ms);
                    prop_assert_eq!(full.remaining, quota.limit - 1);
                }
            }
        }

        /// Total on arbitrary inputs: no panic, no overflow, sane outputs.
        #[test]
        fn never_panics(
            limit in any::<u32>(),
            window_ms in any::<u64>(),
            tat_ms in any::<u64>(),
            tat_frac in any::<u32>(),
            has_state in any::<bool>(),
            now_ms in any::<u64>(),
        ) {
            let quota = Quota { limit, window_ms };
            let state = has_state.then_some(RateState { tat_ms, tat_frac });
            let d = check(&quota, state, now_ms);
            prop_assert!(d.remaining <= limit);
            prop_assert_eq!(d.allowed, d.retry_after_ms == 0);
            if !d.allowed {
                prop_assert_eq!(d.state, state.unwrap_or_default());
            }
            let _ = d.retry_after_secs();
            let _ = d.reset_secs();
            let _ = d.headers(limit);
            let _ = d.into_error(limit);
            prop_assert!(d.state.ttl_secs(now_ms, &quota) >= MIN_KV_TTL_SECS);
            let _ = check(&quota, Some(d.state), now_ms);
        }
    }
}

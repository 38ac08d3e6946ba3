//! The idle and total time limits of a body being read ([`Clock`]), at one timer per
//! limit period rather than one per piece.
//!
//! Arming a `setTimeout` costs a JS closure, a timer and a `clearTimeout` on every
//! piece, which on a stream of small events was most of the gateway's CPU. Instead the
//! clock keeps one timer armed for the earliest deadline it knows, moves the idle
//! deadline forward with `Date.now()` as pieces arrive, and when the timer fires checks
//! the deadlines again: only a deadline that really passed ends the read; otherwise the
//! timer is armed once more for what is left.

use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, Wake, Waker};
use std::time::Duration;

use futures_util::Stream;
use futures_util::future::poll_fn;
use switchboard_core::Error;
use worker::{Date, Delay};

use crate::config::Timeouts;

/// Wakes whichever task polled last. A [`Delay`] keeps the waker of its first poll,
/// but a streamed body is polled by a new task per pull of the outgoing stream.
#[derive(Default)]
struct Forward(Mutex<Option<Waker>>);

impl Wake for Forward {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        let waker = self.0.lock().ok().and_then(|mut w| w.take());
        if let Some(waker) = waker {
            waker.wake();
        }
    }
}

/// One armed timer: when it fires, and the delay behind it.
struct Timer {
    due_ms: u64,
    delay: Delay,
}

/// The idle and total time limits of one body being read.
pub struct Clock {
    timeouts: Timeouts,
    started_ms: u64,
    timer: Option<Timer>,
    forward: Arc<Forward>,
    waker: Waker,
}

impl Clock {
    /// Starts the total-time clock now.
    pub fn start(timeouts: Timeouts) -> Clock {
        let forward = Arc::new(Forward::default());
        Clock {
            timeouts,
            started_ms: Date::now().as_millis(),
            timer: None,
            waker: Waker::from(forward.clone()),
            forward,
        }
    }

    /// The next piece of `body`, `None` at its end, or a 504 [`Error::Timeout`] when
    /// nothing came within the idle limit or the total limit passed.
    pub async fn next<S, E>(&mut self, body: &mut S) -> Result<Option<Vec<u8>>, Error>
    where
        S: Stream<Item = Result<Vec<u8>, E>> + Unpin,
        E: std::fmt::Display,
    {
        let Timeouts {
            idle_ms, total_ms, ..
        } = self.timeouts;
        let total_due = self.started_ms.saturating_add(total_ms);
        let now = Date::now().as_millis();
        if now >= total_due {
            return Err(Error::Timeout { after_ms: total_ms });
        }
        let idle_due = now.saturating_add(idle_ms);
        let piece = poll_fn(|cx| {
            if let Poll::Ready(piece) = Pin::new(&mut *body).poll_next(cx) {
                return Poll::Ready(Ok(piece));
            }
            self.poll_deadline(cx, idle_due, total_due).map(|total| {
                Err(Error::Timeout {
                    after_ms: if total { total_ms } else { idle_ms },
                })
            })
        })
        .await?;
        match piece {
            Some(Ok(bytes)) => Ok(Some(bytes)),
            Some(Err(e)) => Err(Error::StreamInterrupted {
                message: format!("the provider's answer broke off: {e}"),
            }),
            None => Ok(None),
        }
    }

    /// Ready (`true` for the total limit, `false` for idle) once a deadline has passed;
    /// else pending with a timer armed for the earlier one.
    fn poll_deadline(&mut self, cx: &mut Context<'_>, idle_due: u64, total_due: u64) -> Poll<bool> {
        if let Ok(mut w) = self.forward.0.lock() {
            *w = Some(cx.waker().clone());
        }
        let mut fired = match &mut self.timer {
            Some(t) => Pin::new(&mut t.delay)
                .poll(&mut Context::from_waker(&self.waker))
                .is_ready(),
            None => true,
        };
        loop {
            let due = idle_due.min(total_due);
            if fired || self.timer.as_ref().is_some_and(|t| t.due_ms > due) {
                let now = Date::now().as_millis();
                if now >= total_due {
                    return Poll::Ready(true);
                }
                if now >= idle_due {
                    return Poll::Ready(false);
                }
                let mut delay = Delay::from(Duration::from_millis(due - now));
                fired = Pin::new(&mut delay)
                    .poll(&mut Context::from_waker(&self.waker))
                    .is_ready();
                self.timer = Some(Timer { due_ms: due, delay });
                if fired {
                    continue;
                }
            }
            return Poll::Pending;
        }
    }
}

//! State shared by every handler.

use std::ops::Deref;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use crate::auth::RateLimiter;
use crate::config::Config;
use crate::faults::ArmedFaults;
use crate::log::RequestLog;
use crate::stores::{FileStore, SunoStore};

/// Cheap-to-clone handle to the shared state.
#[derive(Clone)]
pub struct AppState(Arc<Shared>);

/// What the handle points at.
pub struct Shared {
    /// Start-up settings.
    pub config: Config,
    /// Recent requests.
    pub log: RequestLog,
    /// SECRY's uploaded files.
    pub files: FileStore,
    /// airforce's suno clips.
    pub suno: SunoStore,
    /// Per-key request counters.
    pub limiter: RateLimiter,
    /// Faults armed for later requests.
    pub armed: ArmedFaults,
    counter: AtomicU64,
}

impl AppState {
    /// Fresh state for `config`.
    pub fn new(config: Config) -> Self {
        Self(Arc::new(Shared {
            log: RequestLog::new(config.log_capacity),
            files: FileStore::default(),
            suno: SunoStore::default(),
            limiter: RateLimiter::default(),
            armed: ArmedFaults::default(),
            counter: AtomicU64::new(1),
            config,
        }))
    }
}

impl Shared {
    /// A number never handed out before by this server.
    pub fn next_id(&self) -> u64 {
        self.counter.fetch_add(1, Ordering::Relaxed)
    }
}

impl Deref for AppState {
    type Target = Shared;
    fn deref(&self) -> &Shared {
        &self.0
    }
}

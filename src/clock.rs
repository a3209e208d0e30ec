//! The one place the app reads the time from, so tests can move it instead of sleeping.

use crate::domain::Timestamp;
use chrono::Utc;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;

pub trait Clock: Send + Sync + 'static {
    fn now(&self) -> Timestamp;
}

pub type SharedClock = Arc<dyn Clock>;

/// The real wall clock.
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> Timestamp {
        Utc::now().into()
    }
}

/// A clock that starts at the real time and moves only when told to; for tests.
pub struct ManualClock {
    ms: AtomicI64,
}

impl ManualClock {
    pub fn new() -> Self {
        ManualClock {
            ms: AtomicI64::new(Utc::now().timestamp_millis()),
        }
    }

    pub fn advance(&self, by: chrono::Duration) {
        self.ms.fetch_add(by.num_milliseconds(), Ordering::SeqCst);
    }
}

impl Default for ManualClock {
    fn default() -> Self {
        Self::new()
    }
}

impl Clock for ManualClock {
    fn now(&self) -> Timestamp {
        Timestamp::from_ms(self.ms.load(Ordering::SeqCst))
    }
}

//! The one place the app reads the time from, so tests can move it instead of sleeping.

use chrono::{DateTime, TimeZone, Utc};
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;

pub trait Clock: Send + Sync + 'static {
    fn now(&self) -> DateTime<Utc>;

    /// Now, in Unix milliseconds: the unit the database stores.
    fn now_ms(&self) -> i64 {
        self.now().timestamp_millis()
    }
}

pub type SharedClock = Arc<dyn Clock>;

/// The real wall clock.
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> DateTime<Utc> {
        Utc::now()
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
    fn now(&self) -> DateTime<Utc> {
        from_ms(self.ms.load(Ordering::SeqCst))
    }
}

/// A database time (Unix milliseconds) as a UTC date-time.
pub fn from_ms(ms: i64) -> DateTime<Utc> {
    Utc.timestamp_millis_opt(ms)
        .single()
        .unwrap_or(DateTime::<Utc>::MIN_UTC)
}

/// RFC 3339 in UTC with a `Z` and whole seconds, as the API writes times.
pub fn rfc3339(ms: i64) -> String {
    from_ms(ms).to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

//! Instants as the service stores them: Unix milliseconds, in one type so they cannot be mixed up with
//! lifetimes (`Ttl`, whole seconds) or with other numbers.

use crate::domain::Ttl;
use chrono::{DateTime, TimeZone, Utc};
use diesel::deserialize::FromSqlRow;
use diesel::expression::AsExpression;
use diesel::sql_types::BigInt;
use std::fmt;

/// A moment in UTC, to the millisecond.
#[derive(Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash, AsExpression, FromSqlRow)]
#[diesel(sql_type = BigInt)]
pub struct Timestamp(i64);

impl Timestamp {
    pub const fn from_ms(ms: i64) -> Self {
        Timestamp(ms)
    }

    pub const fn as_ms(self) -> i64 {
        self.0
    }

    /// Unix milliseconds, as the database stores them (`db::types`).
    pub(crate) fn ms_ref(&self) -> &i64 {
        &self.0
    }

    /// `ttl` later (saturating: no lifetime overflows into the past).
    pub fn after(self, ttl: Ttl) -> Self {
        let secs = i64::try_from(ttl.as_secs()).unwrap_or(i64::MAX);
        Timestamp(self.0.saturating_add(secs.saturating_mul(1000)))
    }

    /// `ms` milliseconds later (or earlier, when negative), saturating.
    pub fn plus_ms(self, ms: i64) -> Self {
        Timestamp(self.0.saturating_add(ms))
    }

    /// Milliseconds from `earlier` to `self` (negative when `earlier` is later), saturating.
    pub fn ms_since(self, earlier: Timestamp) -> i64 {
        self.0.saturating_sub(earlier.0)
    }

    pub fn to_datetime(self) -> DateTime<Utc> {
        Utc.timestamp_millis_opt(self.0)
            .single()
            .unwrap_or(DateTime::<Utc>::MIN_UTC)
    }

    /// RFC 3339 in UTC with a `Z` and whole seconds, as the API writes times.
    pub fn rfc3339(self) -> String {
        self.to_datetime()
            .to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
    }
}

impl From<DateTime<Utc>> for Timestamp {
    fn from(at: DateTime<Utc>) -> Self {
        Timestamp(at.timestamp_millis())
    }
}

impl fmt::Debug for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Timestamp({})", self.rfc3339())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lifetimes_add_whole_seconds_and_never_wrap() {
        let t = Timestamp::from_ms(1_000);
        assert_eq!(t.after(Ttl::from_secs(90).unwrap()).as_ms(), 91_000);
        let far = Timestamp::from_ms(i64::MAX - 5);
        assert_eq!(far.after(Ttl::from_secs(10).unwrap()).as_ms(), i64::MAX);
        assert_eq!(Timestamp::from_ms(5).ms_since(Timestamp::from_ms(8)), -3);
    }

    #[test]
    fn written_as_the_api_writes_times() {
        // 2025-11-22 14:03:00 UTC
        let t = Timestamp::from_ms(1_763_820_180_999);
        assert_eq!(t.rfc3339(), "2025-11-22T14:03:00Z");
        assert_eq!(Timestamp::from(t.to_datetime()), t);
    }
}

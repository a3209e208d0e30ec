//! How the console writes times: calendar dates, exact UTC times for tooltips, "3 hours ago", "Expires in 2 days".

use crate::clock::{from_ms, rfc3339};
use chrono::{Datelike, Timelike};

const MINUTE_MS: i64 = 60 * 1000;
const HOUR_MS: i64 = 60 * MINUTE_MS;
const DAY_MS: i64 = 24 * HOUR_MS;

/// Tokens expiring closer than this are marked on the list.
pub const EXPIRY_WARNING_MS: i64 = 7 * DAY_MS;

/// A moment as the templates show it: short text, the exact time for a tooltip, and `<time datetime>`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Moment {
    /// What the cell shows, e.g. `Nov 22, 2025` or `3 hours ago`.
    pub text: String,
    /// The exact time in words, e.g. `2025-11-22 14:03 UTC`.
    pub exact: String,
    /// RFC 3339, for `<time datetime>`.
    pub datetime: String,
}

impl Moment {
    /// A calendar date, with the exact time in the tooltip.
    pub fn date(ms: i64) -> Self {
        Moment {
            text: date(ms),
            exact: exact(ms),
            datetime: rfc3339(ms),
        }
    }

    /// A time relative to `now_ms`, with the exact time in the tooltip.
    pub fn relative(ms: i64, now_ms: i64) -> Self {
        Moment {
            text: relative(ms, now_ms),
            exact: exact(ms),
            datetime: rfc3339(ms),
        }
    }
}

// The three formats below are written field by field: chrono's `format("%…")` parses its pattern on every
// call, and a 50-row Tokens page formats ~150 times (a tenth of the page's CPU went there).

const MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];

/// `Nov 22, 2025` (UTC): unambiguous in every English locale.
pub fn date(ms: i64) -> String {
    let t = from_ms(ms);
    format!("{} {}, {}", MONTHS[t.month0() as usize], t.day(), t.year())
}

/// `2025-11-22 14:03 UTC`.
pub fn exact(ms: i64) -> String {
    let t = from_ms(ms);
    format!(
        "{:04}-{:02}-{:02} {:02}:{:02} UTC",
        t.year(),
        t.month(),
        t.day(),
        t.hour(),
        t.minute()
    )
}

/// `2025-11-22 14:03:07 UTC`: to the second, where the minute is not precise enough (a token's last use).
pub fn exact_seconds(ms: i64) -> String {
    let t = from_ms(ms);
    format!(
        "{:04}-{:02}-{:02} {:02}:{:02}:{:02} UTC",
        t.year(),
        t.month(),
        t.day(),
        t.hour(),
        t.minute(),
        t.second()
    )
}

fn plural(n: i64, unit: &str) -> String {
    if n == 1 {
        format!("1 {unit}")
    } else {
        format!("{n} {unit}s")
    }
}

/// How long ago `ms` was, in the largest whole unit: `just now`, `5 minutes ago`, `3 hours ago`, `2 days ago`,
/// `4 months ago`, `1 year ago`. A time slightly in the future (clock skew) counts as `just now`.
pub fn relative(ms: i64, now_ms: i64) -> String {
    let ago = now_ms.saturating_sub(ms);
    if ago < MINUTE_MS {
        return "just now".to_owned();
    }
    let (n, unit) = if ago < HOUR_MS {
        (ago / MINUTE_MS, "minute")
    } else if ago < DAY_MS {
        (ago / HOUR_MS, "hour")
    } else if ago < 30 * DAY_MS {
        (ago / DAY_MS, "day")
    } else if ago < 365 * DAY_MS {
        (ago / (30 * DAY_MS), "month")
    } else {
        (ago / (365 * DAY_MS), "year")
    };
    format!("{} ago", plural(n, unit))
}

/// The mark for a token that expires within 7 days (`Expires in 3 days`, `Expires in 5 hours`),
/// or `None` when it expires later or has expired already.
pub fn expires_soon(expires_at_ms: i64, now_ms: i64) -> Option<String> {
    let left = expires_at_ms.saturating_sub(now_ms);
    if left <= 0 || left > EXPIRY_WARNING_MS {
        return None;
    }
    let minutes = (left + MINUTE_MS - 1) / MINUTE_MS;
    Some(if minutes < 60 {
        format!("Expires in {}", plural(minutes, "minute"))
    } else if left < DAY_MS {
        format!("Expires in {}", plural((left / HOUR_MS).max(1), "hour"))
    } else {
        format!("Expires in {}", plural((left + DAY_MS - 1) / DAY_MS, "day"))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    // 2025-11-22 14:03:00 UTC
    const T: i64 = 1_763_820_180_000;

    #[test]
    fn dates_are_written_in_utc() {
        assert_eq!(date(T), "Nov 22, 2025");
        assert_eq!(exact(T), "2025-11-22 14:03 UTC");
        assert_eq!(exact_seconds(T + 7_900), "2025-11-22 14:03:07 UTC");
        assert_eq!(date(0), "Jan 1, 1970");
        assert_eq!(exact_seconds(T + 5_999), "2025-11-22 14:03:05 UTC");
        let m = Moment::date(T);
        assert_eq!(m.datetime, "2025-11-22T14:03:00Z");
    }

    #[test]
    fn dates_read_as_chrono_writes_them() {
        // Every day of a few years, at a time of day that moves with it, including leap days.
        let mut ms: i64 = 946_684_800_000; // 2000-01-01
        for i in 0..(366 * 4) {
            ms += DAY_MS + (i % 97) * 61_007;
            let t = from_ms(ms);
            assert_eq!(date(ms), t.format("%b %-d, %Y").to_string());
            assert_eq!(exact(ms), t.format("%Y-%m-%d %H:%M UTC").to_string());
            assert_eq!(
                exact_seconds(ms),
                t.format("%Y-%m-%d %H:%M:%S UTC").to_string()
            );
        }
    }

    #[test]
    fn relative_times_use_the_largest_whole_unit() {
        let cases = [
            (0, "just now"),
            (59 * 1000, "just now"),
            (MINUTE_MS, "1 minute ago"),
            (5 * MINUTE_MS + 59_000, "5 minutes ago"),
            (HOUR_MS, "1 hour ago"),
            (3 * HOUR_MS + 10 * MINUTE_MS, "3 hours ago"),
            (DAY_MS, "1 day ago"),
            (29 * DAY_MS, "29 days ago"),
            (30 * DAY_MS, "1 month ago"),
            (364 * DAY_MS, "12 months ago"),
            (365 * DAY_MS, "1 year ago"),
            (3 * 365 * DAY_MS, "3 years ago"),
        ];
        for (ago, want) in cases {
            assert_eq!(relative(T - ago, T), want, "{ago} ms ago");
        }
    }

    #[test]
    fn future_times_are_just_now() {
        assert_eq!(relative(T + 5 * MINUTE_MS, T), "just now");
    }

    #[test]
    fn relative_moment_keeps_the_exact_time() {
        let m = Moment::relative(T - 3 * HOUR_MS, T);
        assert_eq!(m.text, "3 hours ago");
        assert_eq!(m.exact, "2025-11-22 11:03 UTC");
        assert_eq!(m.datetime, "2025-11-22T11:03:00Z");
    }

    #[test]
    fn only_tokens_expiring_within_seven_days_are_marked() {
        assert_eq!(expires_soon(T + 8 * DAY_MS, T), None);
        assert_eq!(expires_soon(T + 7 * DAY_MS + 1, T), None);
        assert_eq!(
            expires_soon(T + 7 * DAY_MS, T).as_deref(),
            Some("Expires in 7 days")
        );
        assert_eq!(
            expires_soon(T + 2 * DAY_MS + HOUR_MS, T).as_deref(),
            Some("Expires in 3 days")
        );
        assert_eq!(
            expires_soon(T + DAY_MS, T).as_deref(),
            Some("Expires in 1 day")
        );
        assert_eq!(
            expires_soon(T + 5 * HOUR_MS + 1, T).as_deref(),
            Some("Expires in 5 hours")
        );
        assert_eq!(
            expires_soon(T + HOUR_MS, T).as_deref(),
            Some("Expires in 1 hour")
        );
        assert_eq!(
            expires_soon(T + HOUR_MS - 30_000, T).as_deref(),
            Some("Expires in 1 hour"),
            "not \"60 minutes\""
        );
        assert_eq!(
            expires_soon(T + 90_000, T).as_deref(),
            Some("Expires in 2 minutes")
        );
        assert_eq!(expires_soon(T, T), None, "expired, not expiring");
        assert_eq!(expires_soon(T - DAY_MS, T), None);
    }
}

//! How the console writes times: calendar dates, exact UTC times for tooltips, "3 hours ago", "Expires in 2 days".

use crate::domain::Timestamp;
use chrono::{Datelike, Timelike};
use std::fmt;

const MINUTE_MS: i64 = 60 * 1000;
const HOUR_MS: i64 = 60 * MINUTE_MS;
const DAY_MS: i64 = 24 * HOUR_MS;

/// Tokens expiring closer than this are marked on the list.
pub const EXPIRY_WARNING_MS: i64 = 7 * DAY_MS;

/// A moment as the templates show it: short text, the exact time for a tooltip, and `<time datetime>`.
///
/// It holds the time (converted to a UTC calendar time once), not its texts: each text is written
/// straight into the page when the template asks for it, with no string of its own, and holds only
/// digits, letters, spaces and `-:,`, so askama writes it without escaping. A 50-row Tokens page has
/// about 300 of them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Moment {
    at: Civil,
    style: Style,
}

/// How a moment's short text and tooltip are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Style {
    /// `Nov 22, 2025`; tooltip to the minute.
    Date,
    /// `3 hours ago`, `ago_ms` before the page was made; tooltip to the minute.
    Relative { ago_ms: i64 },
    /// `Nov 22, 2025, 14:03 UTC`; tooltip to the second.
    Exact,
}

impl Moment {
    /// A calendar date, with the exact time in the tooltip.
    pub fn date(at: Timestamp) -> Self {
        Moment {
            at: Civil::of(at),
            style: Style::Date,
        }
    }

    /// A time relative to `now`, with the exact time in the tooltip.
    pub fn relative(at: Timestamp, now: Timestamp) -> Self {
        Moment {
            at: Civil::of(at),
            style: Style::Relative {
                ago_ms: now.ms_since(at),
            },
        }
    }

    /// The exact time to the minute, with the seconds in the tooltip.
    pub fn exact(at: Timestamp) -> Self {
        Moment {
            at: Civil::of(at),
            style: Style::Exact,
        }
    }

    /// What the cell shows, e.g. `Nov 22, 2025` or `3 hours ago`.
    pub fn text(&self) -> Text {
        Text(*self)
    }

    /// The exact time in words for the tooltip, e.g. `Nov 22, 2025, 14:03 UTC`.
    pub fn tooltip(&self) -> Exact {
        Exact {
            at: self.at,
            seconds: self.style == Style::Exact,
        }
    }

    /// RFC 3339, for `<time datetime>`.
    pub fn datetime(&self) -> Rfc3339 {
        Rfc3339(self.at)
    }
}

/// A moment's short text (see [`Moment::text`]).
#[derive(Debug, Clone, Copy)]
pub struct Text(Moment);

impl fmt::Display for Text {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let Moment { at, style } = self.0;
        match style {
            Style::Date => Date(at).fmt(f),
            Style::Relative { ago_ms } => Ago(ago_ms).fmt(f),
            Style::Exact => Exact { at, seconds: false }.fmt(f),
        }
    }
}

/// A database time (Unix milliseconds) as a UTC calendar time, read once and written many ways.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Civil {
    ms: i64,
    year: i32,
    month0: u32,
    day: u32,
    hour: u32,
    minute: u32,
    second: u32,
}

impl Civil {
    pub fn of(at: Timestamp) -> Self {
        let t = at.to_datetime();
        Civil {
            ms: at.as_ms(),
            year: t.year(),
            month0: t.month0(),
            day: t.day(),
            hour: t.hour(),
            minute: t.minute(),
            second: t.second(),
        }
    }

    /// Years RFC 3339 can write in four digits (every time this service stores); others are left to chrono.
    fn four_digit_year(&self) -> Option<u32> {
        u32::try_from(self.year).ok().filter(|&y| y <= 9999)
    }
}

// The formats below are written field by field into a small buffer and handed to the page in one piece:
// chrono's `format("%…")` parses its pattern on every call, and `write!` with padded numbers costs a call
// per piece, while a 50-row Tokens page writes ~300 of these.

const MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];

/// A text of at most 32 ASCII bytes, built on the stack.
struct Line {
    bytes: [u8; 32],
    len: usize,
}

impl Line {
    fn new() -> Self {
        Line {
            bytes: [0; 32],
            len: 0,
        }
    }

    fn text(&mut self, s: &str) -> &mut Self {
        self.bytes[self.len..self.len + s.len()].copy_from_slice(s.as_bytes());
        self.len += s.len();
        self
    }

    /// `n` in decimal, zero-padded to `width` digits (more digits when it needs them).
    fn num(&mut self, mut n: u32, width: usize) -> &mut Self {
        let mut digits = [0u8; 10];
        let mut count = 0;
        while n > 0 || count < width.max(1) {
            digits[count] = b'0' + (n % 10) as u8;
            n /= 10;
            count += 1;
        }
        for &digit in digits[..count].iter().rev() {
            self.bytes[self.len] = digit;
            self.len += 1;
        }
        self
    }

    fn write_to(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Only ASCII went in.
        f.write_str(std::str::from_utf8(&self.bytes[..self.len]).map_err(|_| fmt::Error)?)
    }
}

/// `Nov 22, 2025` (UTC): unambiguous in every English locale.
#[derive(Debug, Clone, Copy)]
pub struct Date(pub Civil);

impl fmt::Display for Date {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let t = &self.0;
        let Some(year) = t.four_digit_year() else {
            return write!(
                f,
                "{}",
                Timestamp::from_ms(t.ms).to_datetime().format("%b %-d, %Y")
            );
        };
        Line::new()
            .text(MONTHS[t.month0 as usize])
            .text(" ")
            .num(t.day, 1)
            .text(", ")
            .num(year, 4)
            .write_to(f)
    }
}

/// `Nov 22, 2025, 14:03 UTC`, or with `seconds` `Nov 22, 2025, 14:03:07 UTC`: the date as [`Date`]
/// writes it and the time of day, so a date reads the same everywhere, exact or not.
#[derive(Debug, Clone, Copy)]
pub struct Exact {
    pub at: Civil,
    pub seconds: bool,
}

impl fmt::Display for Exact {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let t = &self.at;
        let Some(year) = t.four_digit_year() else {
            let pattern = match self.seconds {
                true => "%b %-d, %Y, %H:%M:%S UTC",
                false => "%b %-d, %Y, %H:%M UTC",
            };
            return write!(
                f,
                "{}",
                Timestamp::from_ms(t.ms).to_datetime().format(pattern)
            );
        };
        let mut line = Line::new();
        line.text(MONTHS[t.month0 as usize])
            .text(" ")
            .num(t.day, 1)
            .text(", ")
            .num(year, 4)
            .text(", ")
            .num(t.hour, 2)
            .text(":")
            .num(t.minute, 2);
        if self.seconds {
            line.text(":").num(t.second, 2);
        }
        line.text(" UTC").write_to(f)
    }
}

/// RFC 3339 in UTC with a `Z` and whole seconds (`2025-11-22T14:03:00Z`), as the API writes times.
#[derive(Debug, Clone, Copy)]
pub struct Rfc3339(pub Civil);

impl fmt::Display for Rfc3339 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let t = &self.0;
        let Some(year) = t.four_digit_year() else {
            return f.write_str(&Timestamp::from_ms(t.ms).rfc3339());
        };
        Line::new()
            .num(year, 4)
            .text("-")
            .num(t.month0 + 1, 2)
            .text("-")
            .num(t.day, 2)
            .text("T")
            .num(t.hour, 2)
            .text(":")
            .num(t.minute, 2)
            .text(":")
            .num(t.second, 2)
            .text("Z")
            .write_to(f)
    }
}

/// How long ago something was, given how many milliseconds ago (see [`relative`]).
#[derive(Debug, Clone, Copy)]
pub struct Ago(pub i64);

impl fmt::Display for Ago {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let ago = self.0;
        if ago < MINUTE_MS {
            return f.write_str("just now");
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
        if n == 1 {
            write!(f, "1 {unit} ago")
        } else {
            write!(f, "{n} {unit}s ago")
        }
    }
}

// Digits, month names, spaces and `-:,TZ` only: nothing HTML needs escaped.
impl askama::filters::HtmlSafe for Text {}
impl askama::filters::HtmlSafe for Date {}
impl askama::filters::HtmlSafe for Exact {}
impl askama::filters::HtmlSafe for Rfc3339 {}
impl askama::filters::HtmlSafe for Ago {}

/// `Nov 22, 2025` (UTC).
pub fn date(at: Timestamp) -> String {
    Date(Civil::of(at)).to_string()
}

/// `Nov 22, 2025, 14:03 UTC`.
pub fn exact(at: Timestamp) -> String {
    Exact {
        at: Civil::of(at),
        seconds: false,
    }
    .to_string()
}

/// `Nov 22, 2025, 14:03:07 UTC`: to the second, where the minute is not precise enough (a token's last use).
pub fn exact_seconds(at: Timestamp) -> String {
    Exact {
        at: Civil::of(at),
        seconds: true,
    }
    .to_string()
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
pub fn relative(at: Timestamp, now: Timestamp) -> String {
    Ago(now.ms_since(at)).to_string()
}

/// The mark for a token that expires within 7 days (`Expires in 3 days`, `Expires in 5 hours`),
/// or `None` when it expires later or has expired already.
pub fn expires_soon(expires_at: Timestamp, now: Timestamp) -> Option<String> {
    let left = expires_at.ms_since(now);
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

    // The tests speak in Unix milliseconds.
    fn at(ms: i64) -> Timestamp {
        Timestamp::from_ms(ms)
    }
    fn date(ms: i64) -> String {
        super::date(at(ms))
    }
    fn exact(ms: i64) -> String {
        super::exact(at(ms))
    }
    fn exact_seconds(ms: i64) -> String {
        super::exact_seconds(at(ms))
    }
    fn relative(ms: i64, now: i64) -> String {
        super::relative(at(ms), at(now))
    }
    fn expires_soon(ms: i64, now: i64) -> Option<String> {
        super::expires_soon(at(ms), at(now))
    }

    #[test]
    fn dates_are_written_in_utc() {
        assert_eq!(date(T), "Nov 22, 2025");
        assert_eq!(exact(T), "Nov 22, 2025, 14:03 UTC");
        assert_eq!(exact_seconds(T + 7_900), "Nov 22, 2025, 14:03:07 UTC");
        assert_eq!(date(0), "Jan 1, 1970");
        assert_eq!(exact_seconds(T + 5_999), "Nov 22, 2025, 14:03:05 UTC");
        let m = Moment::date(at(T));
        assert_eq!(m.text().to_string(), "Nov 22, 2025");
        assert_eq!(m.tooltip().to_string(), "Nov 22, 2025, 14:03 UTC");
        assert_eq!(m.datetime().to_string(), "2025-11-22T14:03:00Z");
        let m = Moment::exact(at(T + 7_900));
        assert_eq!(m.text().to_string(), "Nov 22, 2025, 14:03 UTC");
        assert_eq!(m.tooltip().to_string(), "Nov 22, 2025, 14:03:07 UTC");
    }

    #[test]
    fn dates_read_as_chrono_writes_them() {
        // Every day of a few years, at a time of day that moves with it, including leap days.
        let mut ms: i64 = 946_684_800_000; // 2000-01-01
        for i in 0..(366 * 4) {
            ms += DAY_MS + (i % 97) * 61_007;
            assert_written_as_chrono_writes(ms);
        }
    }

    fn assert_written_as_chrono_writes(ms: i64) {
        let t = at(ms).to_datetime();
        assert_eq!(date(ms), t.format("%b %-d, %Y").to_string());
        assert_eq!(exact(ms), t.format("%b %-d, %Y, %H:%M UTC").to_string());
        assert_eq!(
            exact_seconds(ms),
            t.format("%b %-d, %Y, %H:%M:%S UTC").to_string()
        );
        assert_eq!(Rfc3339(Civil::of(at(ms))).to_string(), at(ms).rfc3339());
    }

    #[test]
    fn years_outside_four_digits_are_written_as_chrono_writes_them() {
        // 10000-01-01 and 0001-12-31 BCE: never stored, but written sensibly rather than garbled.
        for ms in [253_402_300_800_000, -62_135_596_800_001 - 400 * DAY_MS] {
            assert_written_as_chrono_writes(ms);
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
        let m = Moment::relative(at(T - 3 * HOUR_MS), at(T));
        assert_eq!(m.text().to_string(), "3 hours ago");
        assert_eq!(m.tooltip().to_string(), "Nov 22, 2025, 11:03 UTC");
        assert_eq!(m.datetime().to_string(), "2025-11-22T11:03:00Z");
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

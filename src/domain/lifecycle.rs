//! Rules of a token's life after creation: how it was deleted, and the expiry a renewal gives it.

use crate::domain::{Timestamp, Ttl};
use diesel::deserialize::FromSqlRow;
use diesel::expression::AsExpression;
use diesel::sql_types::Text;

/// How a token came to be deleted, shown in the deleted-tokens list (stored as `console`, `api`, `cli`,
/// `leak report`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, AsExpression, FromSqlRow)]
#[diesel(sql_type = Text)]
pub enum DeletedVia {
    Console,
    Api,
    /// The admin command line (SPEC §13).
    Cli,
    LeakReport,
}

impl DeletedVia {
    pub const ALL: [DeletedVia; 4] = [
        DeletedVia::Console,
        DeletedVia::Api,
        DeletedVia::Cli,
        DeletedVia::LeakReport,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            DeletedVia::Console => "console",
            DeletedVia::Api => "api",
            DeletedVia::Cli => "cli",
            DeletedVia::LeakReport => "leak report",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|via| via.as_str() == text)
    }
}

/// The expiry a renewal at `now` gives a token created at `created_at` with expiry `expires_at` and
/// recorded lifetime `lifetime`: `None` stays `None` (never expires); an expiring token gets its lifetime
/// again from now, whether or not it has expired meanwhile. The lifetime is the one chosen at creation
/// (which the console, the API and the CLI always record); a token with an expiry but no recorded lifetime
/// (written outside the app) keeps the length it had, `expires_at - created_at`. Returns the expiry and
/// the lifetime to record.
pub fn renewed_expiry(
    created_at: Timestamp,
    expires_at: Option<Timestamp>,
    lifetime: Option<Ttl>,
    now: Timestamp,
) -> (Option<Timestamp>, Option<Ttl>) {
    let Some(expires_at) = expires_at else {
        return (None, None);
    };
    let lifetime = lifetime.or_else(|| {
        let secs = expires_at.ms_since(created_at).max(0) / 1000;
        Ttl::from_secs(u64::try_from(secs).unwrap_or(0))
    });
    match lifetime {
        Some(lifetime) => (Some(now.after(lifetime)), Some(lifetime)),
        // An expiry at its creation instant: it gets the same nothing again.
        None => (Some(now), None),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const DAY_MS: i64 = 86_400_000;

    fn at(ms: i64) -> Timestamp {
        Timestamp::from_ms(ms)
    }

    fn days(n: u64) -> Ttl {
        Ttl::from_secs(n * 86_400).unwrap()
    }

    #[test]
    fn a_non_expiring_token_stays_non_expiring() {
        assert_eq!(
            renewed_expiry(at(0), None, None, at(5 * DAY_MS)),
            (None, None)
        );
    }

    #[test]
    fn an_expiring_token_gets_its_lifetime_again_from_now() {
        let renew = |now| renewed_expiry(at(0), Some(at(30 * DAY_MS)), Some(days(30)), at(now));
        assert_eq!(renew(10 * DAY_MS), (Some(at(40 * DAY_MS)), Some(days(30))));
        // Expired meanwhile: it comes back with a fresh expiry too.
        assert_eq!(renew(45 * DAY_MS).0, Some(at(75 * DAY_MS)));
    }

    #[test]
    fn without_a_recorded_lifetime_the_length_it_had_is_kept() {
        assert_eq!(
            renewed_expiry(at(DAY_MS), Some(at(8 * DAY_MS)), None, at(20 * DAY_MS)),
            (Some(at(27 * DAY_MS)), Some(days(7)))
        );
    }

    #[test]
    fn causes_round_trip_through_text() {
        for via in DeletedVia::ALL {
            assert_eq!(DeletedVia::parse(via.as_str()), Some(via));
        }
        assert_eq!(DeletedVia::parse("magic"), None);
    }
}

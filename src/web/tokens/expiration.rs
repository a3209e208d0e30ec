//! The create form's Expiration choices (No expiration, 7, 30, 90 days, a custom date) as a lifetime.

use crate::domain::{Timestamp, Ttl};
use chrono::{Months, NaiveDate};

/// The custom expiry date must lie in this range: from tomorrow to ten years from today.
pub(super) fn custom_date_bounds(today: NaiveDate) -> (NaiveDate, NaiveDate) {
    let min = today.succ_opt().unwrap_or(today);
    let max = today.checked_add_months(Months::new(120)).unwrap_or(today);
    (min, max)
}

/// Which field of the create form an expiration error belongs to.
#[derive(Debug, PartialEq, Eq)]
pub enum ExpirationField {
    Expiration,
    ExpiresOn,
}

/// The token's lifetime (`None`: never expires) from the form's `expiration` choice
/// (`never|7|30|90|custom`) and, for `custom`, the date `expires_on` (YYYY-MM-DD, UTC): the token
/// then works until the end of that day.
pub fn parse_expiration(
    choice: &str,
    expires_on: &str,
    now: Timestamp,
) -> Result<Option<Ttl>, (ExpirationField, &'static str)> {
    const DAY_SECS: u64 = 24 * 60 * 60;
    match choice {
        "" | "never" => Ok(None),
        "7" => Ok(Ttl::from_secs(7 * DAY_SECS)),
        "30" => Ok(Ttl::from_secs(30 * DAY_SECS)),
        "90" => Ok(Ttl::from_secs(90 * DAY_SECS)),
        "custom" => {
            let text = expires_on.trim();
            if text.is_empty() {
                return Err((ExpirationField::ExpiresOn, "Enter a date."));
            }
            let date = NaiveDate::parse_from_str(text, "%Y-%m-%d")
                .map_err(|_| (ExpirationField::ExpiresOn, "Enter a date as YYYY-MM-DD."))?;
            let today = now.to_datetime().date_naive();
            let (min, max) = custom_date_bounds(today);
            if date < min {
                return Err((ExpirationField::ExpiresOn, "Choose a date after today."));
            }
            if date > max {
                return Err((
                    ExpirationField::ExpiresOn,
                    "Choose a date at most 10 years from today.",
                ));
            }
            let end_of_day = date
                .succ_opt()
                .and_then(|d| d.and_hms_opt(0, 0, 0))
                .map(|dt| dt.and_utc().timestamp_millis())
                .ok_or((ExpirationField::ExpiresOn, "Choose an earlier date."))?;
            // Whole seconds, rounded so that the expiry falls on the chosen day, not at midnight after it.
            Ok(Ttl::from_secs(
                u64::try_from((end_of_day - 1 - now.as_ms()) / 1000).unwrap_or(0),
            ))
        }
        _ => Err((ExpirationField::Expiration, "Choose an expiration.")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::web::format;

    // 2025-11-22 14:03:00 UTC
    const NOW: Timestamp = Timestamp::from_ms(1_763_820_180_000);

    #[test]
    fn fixed_expirations_are_whole_days() {
        assert_eq!(parse_expiration("never", "", NOW), Ok(None));
        assert_eq!(parse_expiration("", "2030-01-01", NOW), Ok(None));
        assert_eq!(
            parse_expiration("7", "", NOW),
            Ok(Ttl::from_secs(7 * 86_400))
        );
        assert_eq!(
            parse_expiration("30", "", NOW),
            Ok(Ttl::from_secs(30 * 86_400))
        );
        assert_eq!(
            parse_expiration("90", "", NOW),
            Ok(Ttl::from_secs(90 * 86_400))
        );
        assert_eq!(
            parse_expiration("365", "", NOW),
            Err((ExpirationField::Expiration, "Choose an expiration."))
        );
    }

    #[test]
    fn a_custom_date_lasts_until_the_end_of_that_day() {
        let lifetime = parse_expiration("custom", "2025-11-23", NOW)
            .unwrap()
            .unwrap();
        let expires_at = NOW.after(lifetime);
        assert_eq!(format::exact(expires_at), "Nov 23, 2025, 23:59 UTC");
        assert_eq!(format::date(expires_at), "Nov 23, 2025");
    }

    #[test]
    fn a_custom_date_must_be_in_the_next_ten_years() {
        let err = |date: &str| parse_expiration("custom", date, NOW).unwrap_err();
        assert_eq!(err(""), (ExpirationField::ExpiresOn, "Enter a date."));
        assert_eq!(
            err("23.11.2025"),
            (ExpirationField::ExpiresOn, "Enter a date as YYYY-MM-DD.")
        );
        assert_eq!(
            err("2025-11-22"),
            (ExpirationField::ExpiresOn, "Choose a date after today.")
        );
        assert_eq!(
            err("2024-01-01"),
            (ExpirationField::ExpiresOn, "Choose a date after today.")
        );
        assert_eq!(
            err("2035-11-23"),
            (
                ExpirationField::ExpiresOn,
                "Choose a date at most 10 years from today."
            )
        );
        assert!(parse_expiration("custom", "2035-11-22", NOW).is_ok());
    }
}

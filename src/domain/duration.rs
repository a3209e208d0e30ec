//! Lifetimes written like `2h45m30s` (SPEC §6): units d, h, m, s, each at most once, in that order.

use diesel::deserialize::FromSqlRow;
use diesel::expression::AsExpression;
use diesel::sql_types::BigInt;
use std::fmt;

/// A positive lifetime in whole seconds: the one type for lifetimes, stored as seconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, AsExpression, FromSqlRow)]
#[diesel(sql_type = BigInt)]
pub struct Ttl(i64);

/// Upper bound of a registration token's lifetime (`access_ttl`).
pub const MAX_ACCESS_TTL: Ttl = Ttl(720 * 3600);
/// Upper bound of an access token's lifetime (`refresh_ttl`).
pub const MAX_REFRESH_TTL: Ttl = Ttl(87_600 * 3600);

/// Spellings under 100 hours that fit both limits: `2h45m30s`, `90m`, `3600s`, …
macro_rules! short_spellings {
    () => {
        "[1-9][0-9]?h[1-5]?[0-9]m(?:[1-5]?[0-9]s)?|[1-9][0-9]?h[1-5]?[0-9]s\
         |[1-9][0-9]{0,3}m(?:[1-5]?[0-9]s)?|[1-9][0-9]{0,5}s"
    };
}

/// The OpenAPI `pattern` of `access_ttl`: the usual spellings of a positive duration up to `720h` (`30d`).
/// A regular expression cannot add units up, so it lists a subset: every string it matches is accepted,
/// and the server also takes other spellings within the limit (such as `0d2h`).
pub const ACCESS_TTL_PATTERN: &str = concat!(
    "^(?:(?:[1-9]|[12][0-9]|30)d|(?:[1-9]|[12][0-9])d(?:[1-9]|1[0-9]|2[0-3])h\
     |(?:[1-9][0-9]?|[1-6][0-9]{2}|7[01][0-9]|720)h|",
    short_spellings!(),
    ")$"
);

/// The OpenAPI `pattern` of `refresh_ttl`, up to `87600h` (`3650d`), in the same way.
pub const REFRESH_TTL_PATTERN: &str = concat!(
    "^(?:(?:[1-9][0-9]{0,2}|[12][0-9]{3}|3[0-5][0-9]{2}|36[0-4][0-9]|3650)d\
     |[1-9][0-9]{0,2}d(?:[1-9]|1[0-9]|2[0-3])h\
     |(?:[1-9][0-9]{0,3}|[1-7][0-9]{4}|8[0-6][0-9]{3}|87[0-5][0-9]{2}|87600)h|",
    short_spellings!(),
    ")$"
);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TtlError {
    #[error("is empty")]
    Empty,
    #[error("must be a duration like 2h45m30s (units d, h, m, s, each once, in that order)")]
    Syntax,
    #[error("must be greater than zero")]
    Zero,
    #[error("must be at most {0}")]
    TooLong(Ttl),
}

const UNITS: [(char, u64); 4] = [('d', 86_400), ('h', 3_600), ('m', 60), ('s', 1)];

impl Ttl {
    pub fn from_secs(secs: u64) -> Option<Self> {
        // Positive and within i64, as the database stores it; far beyond any limit of the product.
        i64::try_from(secs).ok().filter(|&s| s > 0).map(Ttl)
    }

    pub fn as_secs(self) -> u64 {
        self.0.unsigned_abs()
    }

    /// Whole seconds, as the database stores them (`db::types`).
    pub(crate) fn secs_ref(&self) -> &i64 {
        &self.0
    }

    /// Parses `input` and checks it against `max`.
    pub fn parse(input: &str, max: Ttl) -> Result<Self, TtlError> {
        if input.is_empty() {
            return Err(TtlError::Empty);
        }
        // Saturates: a number too large for any limit still reads as a duration, one that is too long.
        let mut total: u64 = 0;
        let mut next_unit = 0;
        let mut rest = input;
        while !rest.is_empty() {
            let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
            if digits == 0 {
                return Err(TtlError::Syntax);
            }
            let number = rest[..digits].parse::<u64>().unwrap_or(u64::MAX);
            let unit = rest[digits..].chars().next().ok_or(TtlError::Syntax)?;
            let position = UNITS[next_unit..]
                .iter()
                .position(|&(u, _)| u == unit)
                .ok_or(TtlError::Syntax)?;
            let (_, factor) = UNITS[next_unit + position];
            next_unit += position + 1;
            total = total.saturating_add(number.saturating_mul(factor));
            rest = &rest[digits + unit.len_utf8()..];
        }
        if total == 0 {
            return Err(TtlError::Zero);
        }
        if total > max.as_secs() {
            return Err(TtlError::TooLong(max));
        }
        Ttl::from_secs(total).ok_or(TtlError::TooLong(max))
    }
}

impl fmt::Display for Ttl {
    /// The canonical form: every non-zero unit, largest first (`1d2h`, `90m` prints as `1h30m`).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut rest = self.as_secs();
        for (unit, factor) in UNITS {
            let n = rest / factor;
            rest %= factor;
            if n > 0 {
                write!(f, "{n}{unit}")?;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const BIG: Ttl = MAX_REFRESH_TTL;

    #[test]
    fn good_inputs() {
        for (input, secs) in [
            ("2h45m30s", 9930),
            ("2h", 7200),
            ("90m", 5400),
            ("30s", 30),
            ("1d", 86_400),
            ("1d2h3m4s", 93_784),
            ("0h1s", 1),
            ("720h", 2_592_000),
        ] {
            assert_eq!(
                Ttl::parse(input, BIG).map(Ttl::as_secs),
                Ok(secs),
                "{input}"
            );
        }
    }

    #[test]
    fn bad_inputs() {
        for (input, err) in [
            ("", TtlError::Empty),
            ("2", TtlError::Syntax),
            ("h", TtlError::Syntax),
            ("2x", TtlError::Syntax),
            ("30m2h", TtlError::Syntax),
            ("1h1h", TtlError::Syntax),
            ("-1h", TtlError::Syntax),
            (" 1h", TtlError::Syntax),
            ("1h ", TtlError::Syntax),
            ("1.5h", TtlError::Syntax),
            ("1H", TtlError::Syntax),
            ("0s", TtlError::Zero),
            ("0d0h", TtlError::Zero),
            ("9999999999999d", TtlError::TooLong(BIG)),
            ("9223372036854775807s", TtlError::TooLong(BIG)),
            (
                "99999999999999999999999999999999999999d1s",
                TtlError::TooLong(BIG),
            ),
            ("00000000000000000000000000000s", TtlError::Zero),
            ("99999999999999999999999x", TtlError::Syntax),
        ] {
            assert_eq!(Ttl::parse(input, BIG), Err(err), "{input:?}");
        }
        assert_eq!(
            Ttl::parse("0000000000000000000001s", BIG).map(Ttl::as_secs),
            Ok(1)
        );
    }

    /// The pattern without its anchors, which proptest's generator does not take.
    fn core(pattern: &str) -> &str {
        &pattern[4..pattern.len() - 2]
    }

    #[test]
    fn patterns_hold_the_documented_examples() {
        let access = regex::Regex::new(ACCESS_TTL_PATTERN).unwrap();
        let refresh = regex::Regex::new(REFRESH_TTL_PATTERN).unwrap();
        for example in [
            "2h45m30s", "90m", "1d", "1h", "30d", "720h", "29d23h", "59s",
        ] {
            assert!(access.is_match(example), "{example}");
            assert!(refresh.is_match(example), "{example}");
        }
        for example in ["3650d", "87600h", "999d23h"] {
            assert!(refresh.is_match(example), "{example}");
        }
        for outside in ["", "0s", "0m", "721h", "31d", "30d1h", "1h ", "1H", "2x"] {
            assert!(!access.is_match(outside), "{outside:?}");
        }
        for outside in ["3651d", "87601h", "0d"] {
            assert!(!refresh.is_match(outside), "{outside:?}");
        }
    }

    #[test]
    fn limits() {
        assert!(Ttl::parse("720h", MAX_ACCESS_TTL).is_ok());
        assert!(Ttl::parse("30d", MAX_ACCESS_TTL).is_ok());
        assert_eq!(
            Ttl::parse("720h1s", MAX_ACCESS_TTL),
            Err(TtlError::TooLong(MAX_ACCESS_TTL))
        );
        assert!(Ttl::parse("87600h", MAX_REFRESH_TTL).is_ok());
        assert!(Ttl::parse("87601h", MAX_REFRESH_TTL).is_err());
        assert_eq!(MAX_ACCESS_TTL.to_string(), "30d");
    }

    proptest! {
        #[test]
        fn format_then_parse_round_trips(secs in 1u64..=MAX_REFRESH_TTL.as_secs()) {
            let ttl = Ttl::from_secs(secs).unwrap();
            prop_assert_eq!(Ttl::parse(&ttl.to_string(), MAX_REFRESH_TTL), Ok(ttl));
        }

        /// What the OpenAPI document allows, the server accepts (schemathesis' positive data check).
        #[test]
        fn what_the_access_pattern_matches_is_accepted(input in core(ACCESS_TTL_PATTERN)) {
            prop_assert!(Ttl::parse(&input, MAX_ACCESS_TTL).is_ok(), "{}", input);
        }

        #[test]
        fn what_the_refresh_pattern_matches_is_accepted(input in core(REFRESH_TTL_PATTERN)) {
            prop_assert!(Ttl::parse(&input, MAX_REFRESH_TTL).is_ok(), "{}", input);
        }

        #[test]
        fn parse_never_panics(input in "\\PC{0,20}") {
            let _ = Ttl::parse(&input, MAX_REFRESH_TTL);
        }
    }
}

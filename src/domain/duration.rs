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
        let mut total: u64 = 0;
        let mut next_unit = 0;
        let mut rest = input;
        while !rest.is_empty() {
            let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
            // More than 12 digits cannot be under any limit and would risk overflow.
            if digits == 0 || digits > 12 {
                return Err(TtlError::Syntax);
            }
            let number: u64 = rest[..digits].parse().map_err(|_| TtlError::Syntax)?;
            let unit = rest[digits..].chars().next().ok_or(TtlError::Syntax)?;
            let position = UNITS[next_unit..]
                .iter()
                .position(|&(u, _)| u == unit)
                .ok_or(TtlError::Syntax)?;
            let (_, factor) = UNITS[next_unit + position];
            next_unit += position + 1;
            total = total
                .checked_add(number.checked_mul(factor).ok_or(TtlError::TooLong(max))?)
                .ok_or(TtlError::TooLong(max))?;
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
            ("9999999999999d", TtlError::Syntax),
        ] {
            assert_eq!(Ttl::parse(input, BIG), Err(err), "{input:?}");
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

        #[test]
        fn parse_never_panics(input in "\\PC{0,20}") {
            let _ = Ttl::parse(&input, MAX_REFRESH_TTL);
        }
    }
}

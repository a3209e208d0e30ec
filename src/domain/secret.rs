//! The format of token secrets (SPEC §3): prefix, 43 base62 random characters, 6-character CRC-32 checksum.

use diesel::deserialize::FromSqlRow;
use diesel::expression::AsExpression;
use diesel::sql_types::Binary;
use secrecy::{ExposeSecret, SecretString};
use sha2::{Digest as _, Sha256};
use std::fmt;

const ALPHABET: &[u8; 62] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
const PREFIX_LEN: usize = 6;
const RANDOM_LEN: usize = 43;
const CHECKSUM_LEN: usize = 6;
/// Length of every secret value: prefix + random part + checksum.
pub const SECRET_LEN: usize = PREFIX_LEN + RANDOM_LEN + CHECKSUM_LEN;
/// How many random characters the stored hint keeps after the prefix.
const HINT_RANDOM_CHARS: usize = 4;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SecretKind {
    Access,
    Registration,
    /// An invitation to a project (SPEC §11), handed over as a link.
    Invitation,
}

impl SecretKind {
    pub fn prefix(self) -> &'static str {
        match self {
            SecretKind::Access => "mlpat_",
            SecretKind::Registration => "mlprg_",
            SecretKind::Invitation => "mlpiv_",
        }
    }
}

/// A secret token value. `Debug` and `Display` never print it; read it with `expose()`.
#[derive(Clone)]
pub struct SecretValue {
    kind: SecretKind,
    value: SecretString,
}

impl fmt::Debug for SecretValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SecretValue({:?}, [redacted])", self.kind)
    }
}

/// SHA-256 of a full secret value: what the database stores (as a blob) and looks up.
#[derive(Clone, Copy, PartialEq, Eq, Hash, AsExpression, FromSqlRow)]
#[diesel(sql_type = Binary)]
pub struct Digest(pub [u8; 32]);

impl fmt::Debug for Digest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Digest([redacted])")
    }
}

impl Digest {
    pub fn as_bytes(&self) -> &[u8] {
        &self.0
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum SecretError {
    #[error("the value has the wrong length")]
    Length,
    #[error("the value has an unknown prefix")]
    Prefix,
    #[error("the value has characters outside the base62 alphabet")]
    Alphabet,
    #[error("the value's checksum does not match")]
    Checksum,
}

impl SecretValue {
    /// A fresh secret of the given kind, drawn from the OS CSPRNG.
    pub fn generate(kind: SecretKind) -> Self {
        let mut value = String::with_capacity(SECRET_LEN);
        value.push_str(kind.prefix());
        let mut filled = 0;
        let mut buf = [0u8; 64];
        while filled < RANDOM_LEN {
            getrandom::fill(&mut buf).expect("the OS random number generator failed");
            // Rejection sampling keeps every character equally likely: 248 = 4 × 62.
            for &byte in buf.iter().filter(|&&b| b < 248) {
                if filled == RANDOM_LEN {
                    break;
                }
                value.push(ALPHABET[(byte % 62) as usize] as char);
                filled += 1;
            }
        }
        let checksum = checksum(value.as_bytes());
        value.push_str(&checksum);
        SecretValue {
            kind,
            value: SecretString::from(value),
        }
    }

    /// Checks the format and checksum of a presented value, without any database.
    pub fn parse(kind: SecretKind, candidate: &str) -> Result<Self, SecretError> {
        let found = parse_kind(candidate)?;
        if found != kind {
            return Err(SecretError::Prefix);
        }
        Ok(SecretValue {
            kind,
            value: SecretString::from(candidate.to_owned()),
        })
    }

    pub fn kind(&self) -> SecretKind {
        self.kind
    }

    pub fn expose(&self) -> &str {
        self.value.expose_secret()
    }

    pub fn digest(&self) -> Digest {
        digest_of(self.expose())
    }

    /// The non-secret hint kept in the database: prefix and the first 4 random characters.
    pub fn hint(&self) -> String {
        self.expose()[..PREFIX_LEN + HINT_RANDOM_CHARS].to_owned()
    }
}

/// SHA-256 of a value, whatever its format.
pub fn digest_of(value: &str) -> Digest {
    Digest(Sha256::digest(value.as_bytes()).into())
}

/// Which kind of secret a well-formed value with a valid checksum is.
pub fn parse_kind(candidate: &str) -> Result<SecretKind, SecretError> {
    if candidate.len() != SECRET_LEN {
        return Err(SecretError::Length);
    }
    let kind = if candidate.starts_with(SecretKind::Access.prefix()) {
        SecretKind::Access
    } else if candidate.starts_with(SecretKind::Registration.prefix()) {
        SecretKind::Registration
    } else if candidate.starts_with(SecretKind::Invitation.prefix()) {
        SecretKind::Invitation
    } else {
        return Err(SecretError::Prefix);
    };
    let body = &candidate.as_bytes()[PREFIX_LEN..];
    if !body.iter().all(|b| b.is_ascii_alphanumeric()) {
        return Err(SecretError::Alphabet);
    }
    let (head, tail) = candidate.split_at(SECRET_LEN - CHECKSUM_LEN);
    if checksum(head.as_bytes()) != tail {
        return Err(SecretError::Checksum);
    }
    Ok(kind)
}

/// CRC-32 (IEEE) of `bytes`, in base62, most significant digit first, padded to 6 characters.
pub fn checksum(bytes: &[u8]) -> String {
    let mut n = crc32fast::hash(bytes) as u64;
    let mut out = [b'0'; CHECKSUM_LEN];
    for slot in out.iter_mut().rev() {
        *slot = ALPHABET[(n % 62) as usize];
        n /= 62;
    }
    String::from_utf8(out.to_vec()).expect("base62 digits are ASCII")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_values_have_the_documented_shape() {
        for kind in [SecretKind::Access, SecretKind::Registration] {
            let secret = SecretValue::generate(kind);
            let value = secret.expose();
            assert_eq!(value.len(), 55);
            assert!(value.starts_with(kind.prefix()));
            assert!(!value[1..].contains('-'));
            assert!(value[6..].bytes().all(|b| b.is_ascii_alphanumeric()));
            assert_eq!(parse_kind(value), Ok(kind));
            assert_eq!(secret.hint(), &value[..10]);
        }
    }

    #[test]
    fn checksum_matches_zlib_crc32_in_base62() {
        // 0xCBF43926 is the published CRC-32 check value of "123456789"; its base62 form is derived here independently.
        let mut n: u64 = 0xCBF4_3926;
        let mut digits = Vec::new();
        while n > 0 {
            digits.push(ALPHABET[(n % 62) as usize]);
            n /= 62;
        }
        while digits.len() < 6 {
            digits.push(b'0');
        }
        digits.reverse();
        assert_eq!(checksum(b"123456789"), String::from_utf8(digits).unwrap());
        assert_eq!(checksum(b""), "000000");
    }

    #[test]
    fn a_changed_character_fails_the_checksum() {
        let secret = SecretValue::generate(SecretKind::Access);
        let mut bytes = secret.expose().as_bytes().to_vec();
        bytes[10] = if bytes[10] == b'a' { b'b' } else { b'a' };
        let tampered = String::from_utf8(bytes).unwrap();
        assert_eq!(parse_kind(&tampered), Err(SecretError::Checksum));
    }

    #[test]
    fn malformed_values_are_rejected() {
        let good = SecretValue::generate(SecretKind::Access);
        assert_eq!(parse_kind("mlpat_short"), Err(SecretError::Length));
        let other_prefix = format!("ghp_xx{}", &good.expose()[6..]);
        assert_eq!(parse_kind(&other_prefix), Err(SecretError::Prefix));
        let with_dash = format!("{}-{}", &good.expose()[..20], &good.expose()[21..]);
        assert_eq!(parse_kind(&with_dash), Err(SecretError::Alphabet));
        assert_eq!(
            SecretValue::parse(SecretKind::Registration, good.expose()).map(|s| s.kind()),
            Err(SecretError::Prefix)
        );
    }

    #[test]
    fn debug_never_prints_the_value() {
        let secret = SecretValue::generate(SecretKind::Access);
        let printed = format!("{secret:?} {:?}", secret.digest());
        assert!(!printed.contains(&secret.expose()[6..]));
    }
}

//! argon2id password hashes (default parameters = OWASP's 19 MiB, t=2, p=1). Call only from a blocking thread.

use argon2::password_hash::{phc::PasswordHash, PasswordHasher, PasswordVerifier};
use argon2::Argon2;
use secrecy::{ExposeSecret, SecretString};
use std::sync::LazyLock;

/// A hash of a random password, verified against when the email is unknown so that
/// an unknown email costs the same time as a wrong password.
static DUMMY_HASH: LazyLock<String> = LazyLock::new(|| {
    let mut random = [0u8; 32];
    getrandom::fill(&mut random).expect("the OS random number generator failed");
    hash(&SecretString::from(hex(&random))).expect("hashing a random password cannot fail")
});

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

pub fn hash(password: &SecretString) -> anyhow::Result<String> {
    Argon2::default()
        .hash_password(password.expose_secret().as_bytes())
        .map(|h| h.to_string())
        .map_err(|e| anyhow::anyhow!("failed to hash a password: {e}"))
}

/// Checks `password` against `stored`, or against a dummy hash when there is no account.
pub fn verify(password: &SecretString, stored: Option<&str>) -> bool {
    let (hash, real) = match stored {
        Some(h) => (h, true),
        None => (DUMMY_HASH.as_str(), false),
    };
    let matches = PasswordHash::new(hash)
        .map(|parsed| {
            Argon2::default()
                .verify_password(password.expose_secret().as_bytes(), &parsed)
                .is_ok()
        })
        .unwrap_or(false);
    real && matches
}

/// A random password for the bootstrap account: 24 base62 characters.
pub fn generate() -> SecretString {
    let value = crate::domain::SecretValue::generate(crate::domain::SecretKind::Access);
    SecretString::from(value.expose()[6..30].to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_hash_verifies_only_its_password() {
        let password = SecretString::from("correct horse".to_owned());
        let stored = hash(&password).unwrap();
        assert!(stored.starts_with("$argon2id$"));
        assert!(verify(&password, Some(&stored)));
        assert!(!verify(
            &SecretString::from("wrong".to_owned()),
            Some(&stored)
        ));
        assert!(!verify(&password, None));
        assert!(!verify(&password, Some("not a hash")));
    }
}

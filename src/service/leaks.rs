//! Leaked values (SPEC §9): the public revocation of whatever valid token a report names, and a project
//! admin's search for the token a pasted value belongs to.

use crate::auth::ratelimit::ClientLimiter;
use crate::db::audit::event;
use crate::db::invitations;
use crate::db::registration_tokens;
use crate::db::tokens::{self, TokenRecord};
use crate::domain::secret::{digest_of, parse_kind};
use crate::domain::{Authority, Digest, SecretKind};
use crate::error::AppError;
use crate::service::tokens::record;
use crate::service::{Actor, TokenStore};
use std::collections::HashSet;
use std::net::IpAddr;
use std::time::Duration;

/// Most values one report may carry.
pub const MAX_VALUES: usize = 100;
/// Reports accepted per client address in `WINDOW`.
pub const REQUESTS_PER_WINDOW: usize = 60;
pub const WINDOW: Duration = Duration::from_secs(60);

/// The limit of `REQUESTS_PER_WINDOW` reports a minute per client address, checked before any work.
pub fn report_limiter() -> ClientLimiter {
    ClientLimiter::new("leak-report", REQUESTS_PER_WINDOW, WINDOW)
}

/// The actor the audit log and the deleted-tokens list name for a reported token: the reporter is anonymous.
pub const REPORTER: &str = "leak report";

/// What the audit log's `detail` says of a leak-revoked registration token (an access token's says
/// `leak report`, its deletion route).
pub const LEAKED_REGISTRATION_DETAIL: &str = "registration token";

/// The digests of the well-formed values (checksum included), each once. Anything else cannot be a token
/// and costs no lookup.
pub fn presented(values: &[String]) -> Vec<(SecretKind, Digest)> {
    let mut seen = HashSet::new();
    values
        .iter()
        .map(|value| value.trim())
        .filter_map(|value| parse_kind(value).ok().map(|kind| (kind, digest_of(value))))
        .filter(|(_, digest)| seen.insert(*digest))
        .collect()
}

impl TokenStore {
    /// Ends every valid token among `presented`, reported from `ip`: an access token is deleted (listed as
    /// deleted by a leak report, its cached verification ended); an unused registration token is deleted,
    /// so its exchange answers 401 like any deleted token's.
    pub fn revoke_leaked(
        &self,
        presented: &[(SecretKind, Digest)],
        ip: IpAddr,
    ) -> Result<(), AppError> {
        let reporter = Actor {
            account_id: None,
            name: REPORTER.to_owned(),
            issuer_email: String::new(),
            client_ip: Some(ip.to_string()),
            authority: Authority::None,
        };
        for (kind, digest) in presented {
            match kind {
                SecretKind::Access => {
                    self.delete_leaked(digest, &reporter)?;
                }
                SecretKind::Registration => self.revoke_leaked_registration(digest, &reporter)?,
                SecretKind::Invitation => self.revoke_leaked_invitation(digest, &reporter)?,
            }
        }
        Ok(())
    }

    /// Ends an unused registration token whose value was reported leaked (a used one made its access token
    /// already, which has a value of its own).
    fn revoke_leaked_registration(
        &self,
        digest: &Digest,
        reporter: &Actor,
    ) -> Result<(), AppError> {
        let now = self.now();
        self.db().write(|tx| {
            let Some(registration) = registration_tokens::find_by_digest(tx, digest)? else {
                return Ok(());
            };
            if registration_tokens::delete_unused(tx, &registration.id, now)? {
                let detail = Some(LEAKED_REGISTRATION_DETAIL);
                let (project, name) = (&registration.project_id, &registration.client_name);
                // No account is behind a report.
                record(
                    tx,
                    project,
                    reporter,
                    event::TOKEN_LEAK_REVOKED,
                    name,
                    detail,
                    now,
                )?;
            }
            Ok(())
        })
    }

    /// Revokes a pending invitation whose value was reported leaked (`invitation.revoked`, by the report).
    fn revoke_leaked_invitation(&self, digest: &Digest, reporter: &Actor) -> Result<(), AppError> {
        let now = self.now();
        self.db().write(|tx| {
            let Some(invitation) = invitations::find_by_digest(tx, digest)? else {
                return Ok(());
            };
            if invitations::revoke(tx, &invitation.project_id, &invitation.id, now)?.is_some() {
                let detail = Some("value reported leaked");
                let (project, email) = (&invitation.project_id, &invitation.email);
                record(
                    tx,
                    project,
                    reporter,
                    event::INVITATION_REVOKED,
                    email,
                    detail,
                    now,
                )?;
            }
            Ok(())
        })
    }

    /// The active access token of `project_id` whose value is `value`; `None` for anything else (malformed,
    /// a failed checksum, another project's, a registration token, deleted, unknown), all alike.
    pub fn find_by_value(
        &self,
        project_id: &str,
        value: &str,
    ) -> Result<Option<TokenRecord>, AppError> {
        let value = value.trim();
        // A registration token or a mistyped value cannot be an active access token; no lookup needed.
        if !matches!(parse_kind(value), Ok(SecretKind::Access)) {
            return Ok(None);
        }
        let digest = digest_of(value);
        let found = tokens::find_active_by_digest(&mut *self.db().conn()?, &digest)?;
        Ok(found.filter(|token| token.project_id == project_id))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::SecretValue;

    #[test]
    fn only_well_formed_values_are_looked_up_once_each() {
        let access = SecretValue::generate(SecretKind::Access);
        let registration = SecretValue::generate(SecretKind::Registration);
        let mut tampered = access.expose().to_owned();
        tampered.replace_range(10..11, if &tampered[10..11] == "a" { "b" } else { "a" });
        let values = [
            format!(" {}\n", access.expose()),
            access.expose().to_owned(),
            registration.expose().to_owned(),
            tampered,
            "mlpat_short".to_owned(),
            String::new(),
        ];
        let found = presented(&values);
        assert_eq!(
            found,
            [
                (SecretKind::Access, access.digest()),
                (SecretKind::Registration, registration.digest())
            ]
        );
    }
}

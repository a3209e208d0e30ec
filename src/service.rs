//! Use cases shared by the console, the API and the CLI: each runs in one transaction and writes its audit event.

use crate::db::audit::{self, event, NewAuditEvent};
use crate::db::registration_tokens::{self, RegistrationRecord};
use crate::db::tokens::{self, DeletedVia, NewToken, TokenRecord};
use crate::domain::{Description, Digest, SecretKind, SecretValue, TokenName, TokenRole};
use crate::error::{is_unique_violation, AppError};
use diesel::sqlite::SqliteConnection;

/// Who does something, for `created_by`, `issuer_name` and the audit log.
#[derive(Debug, Clone)]
pub struct Actor {
    /// The account behind the action (directly, or behind the admin token used).
    pub account_id: Option<String>,
    /// What the audit log shows: an email, or a token name.
    pub name: String,
    /// The email recorded as a new token's issuer.
    pub issuer_email: String,
    pub client_ip: Option<String>,
}

#[derive(Debug, Clone)]
pub struct NewTokenSpec {
    pub project_id: String,
    pub name: TokenName,
    pub role: TokenRole,
    pub description: Description,
    /// Lifetime in seconds; `None` never expires.
    pub lifetime_secs: Option<i64>,
}

/// Creates an access token and returns its value, which exists nowhere else from now on.
pub fn create_token(
    conn: &mut SqliteConnection,
    now_ms: i64,
    spec: &NewTokenSpec,
    actor: &Actor,
) -> Result<(SecretValue, TokenRecord), AppError> {
    crate::db::pool::immediate(conn, |conn| insert_token(conn, now_ms, spec, actor))
}

/// The body of `create_token`, for callers that already hold a transaction.
pub fn insert_token(
    conn: &mut SqliteConnection,
    now_ms: i64,
    spec: &NewTokenSpec,
    actor: &Actor,
) -> Result<(SecretValue, TokenRecord), AppError> {
    if tokens::name_taken(conn, &spec.project_id, spec.name.as_str())? {
        return Err(AppError::Conflict { field: "name" });
    }
    let secret = SecretValue::generate(SecretKind::Access);
    let digest = secret.digest();
    let hint = secret.hint();
    let id = uuid::Uuid::new_v4().to_string();
    let expires_at = spec.lifetime_secs.map(|secs| now_ms + secs * 1000);
    tokens::insert(
        conn,
        &NewToken {
            id: &id,
            project_id: &spec.project_id,
            name: spec.name.as_str(),
            role: spec.role.as_str(),
            digest: digest.as_bytes(),
            hint: &hint,
            description: spec.description.as_deref(),
            created_at: now_ms,
            created_by_account_id: actor.account_id.as_deref(),
            issuer_name: &actor.issuer_email,
            expires_at,
            lifetime_secs: spec.lifetime_secs,
        },
    )
    .map_err(|e| {
        if is_unique_violation(&e) {
            AppError::Conflict { field: "name" }
        } else {
            AppError::Db(e)
        }
    })?;
    audit::record(
        conn,
        &NewAuditEvent {
            project_id: Some(&spec.project_id),
            account_id: actor.account_id.as_deref(),
            event: event::TOKEN_CREATED,
            actor: &actor.name,
            target: Some(spec.name.as_str()),
            client_ip: actor.client_ip.as_deref(),
            detail: Some(spec.role.as_str()),
            created_at: now_ms,
        },
    )?;
    let record = tokens::find_active(conn, &spec.project_id, &id)?.ok_or(AppError::NotFound)?;
    Ok((secret, record))
}

/// How a caller names a token of a project: the console by id, the API by name.
#[derive(Debug, Clone)]
pub enum TokenKey {
    Id(String),
    Name(String),
}

/// Deletes an active token of the project, and ends the unused registration tokens it issued;
/// `NotFound` when there is none with that key.
/// Callers on the request path use `AppState::delete_token`, which also ends the value's cached verification.
pub fn delete_token(
    conn: &mut SqliteConnection,
    now_ms: i64,
    project_id: &str,
    key: &TokenKey,
    actor: &Actor,
    via: DeletedVia,
) -> Result<TokenRecord, AppError> {
    crate::db::pool::immediate(conn, |conn| {
        let token = match key {
            TokenKey::Id(id) => tokens::find_active(conn, project_id, id)?,
            TokenKey::Name(name) => tokens::find_active_by_name(conn, project_id, name)?,
        }
        .ok_or(AppError::NotFound)?;
        if !tokens::soft_delete(conn, project_id, &token.id, &actor.name, via, now_ms)? {
            return Err(AppError::NotFound);
        }
        registration_tokens::delete_unused_issued_by(conn, &token.id, now_ms)?;
        let event = match via {
            DeletedVia::LeakReport => event::TOKEN_LEAK_REVOKED,
            DeletedVia::Console | DeletedVia::Api => event::TOKEN_DELETED,
        };
        audit::record(
            conn,
            &NewAuditEvent {
                project_id: Some(project_id),
                account_id: actor.account_id.as_deref(),
                event,
                actor: &actor.name,
                target: Some(&token.name),
                client_ip: actor.client_ip.as_deref(),
                detail: Some(via.as_str()),
                created_at: now_ms,
            },
        )?;
        Ok(token)
    })
}

/// What the audit log's `detail` says of a leak-revoked registration token (an access token's says
/// `leak report`, its deletion route).
pub const LEAKED_REGISTRATION_DETAIL: &str = "registration token";

/// Ends an unused registration token whose value was reported leaked: it is deleted, so its exchange
/// answers 401 like any deleted token's (a used one made its access token already, which has a value of
/// its own).
/// Returns the registration when it was ended.
pub fn revoke_leaked_registration(
    conn: &mut SqliteConnection,
    now_ms: i64,
    digest: &Digest,
    actor: &Actor,
) -> Result<Option<RegistrationRecord>, AppError> {
    crate::db::pool::immediate(conn, |conn| {
        let Some(registration) = registration_tokens::find_by_digest(conn, digest)? else {
            return Ok(None);
        };
        if !registration_tokens::delete_unused(conn, &registration.id, now_ms)? {
            return Ok(None);
        }
        audit::record(
            conn,
            &NewAuditEvent {
                project_id: Some(&registration.project_id),
                account_id: None,
                event: event::TOKEN_LEAK_REVOKED,
                actor: &actor.name,
                target: Some(&registration.client_name),
                client_ip: actor.client_ip.as_deref(),
                detail: Some(LEAKED_REGISTRATION_DETAIL),
                created_at: now_ms,
            },
        )?;
        Ok(Some(registration))
    })
}

fn find_by_key(
    conn: &mut SqliteConnection,
    project_id: &str,
    key: &TokenKey,
) -> Result<TokenRecord, AppError> {
    match key {
        TokenKey::Id(id) => tokens::find_active(conn, project_id, id)?,
        TokenKey::Name(name) => tokens::find_active_by_name(conn, project_id, name)?,
    }
    .ok_or(AppError::NotFound)
}

/// The expiry a renewal at `now_ms` gives `token`: `None` stays `None` (never expires); an expiring token
/// gets its lifetime again from now, whether or not it has expired meanwhile. The lifetime is the one
/// chosen at creation (`lifetime_secs`, which the console, the API and the CLI always record); a token
/// with an expiry but no recorded lifetime (written outside the app) keeps the length it had,
/// `expires_at - created_at`. Returns the expiry and the lifetime to record.
pub fn renewed_expiry(token: &TokenRecord, now_ms: i64) -> (Option<i64>, Option<i64>) {
    let Some(expires_at) = token.expires_at else {
        return (None, None);
    };
    let lifetime_secs = token
        .lifetime_secs
        .filter(|&secs| secs > 0)
        .unwrap_or_else(|| (expires_at - token.created_at).max(0) / 1000);
    (
        Some(now_ms.saturating_add(lifetime_secs.saturating_mul(1000))),
        Some(lifetime_secs),
    )
}

/// Gives the token a new value (GitHub's "regenerate"): the same row keeps its id, name, role,
/// description and creator; the old value stops matching at once; an expiring token gets a fresh expiry
/// of the same length (`renewed_expiry`). Expired tokens may be renewed and work again. The unused
/// registration tokens minted with the old value end with it.
/// Of two simultaneous renewals of one token the immediate transaction makes one wait: both return a
/// value, and only the one committed last works.
/// Callers on the request path use `AppState::renew_token`, which also ends the old value's cached verification.
pub fn renew_token(
    conn: &mut SqliteConnection,
    now_ms: i64,
    project_id: &str,
    key: &TokenKey,
    actor: &Actor,
) -> Result<(SecretValue, TokenRecord), AppError> {
    crate::db::pool::immediate(conn, |conn| {
        let token = find_by_key(conn, project_id, key)?;
        let secret = SecretValue::generate(SecretKind::Access);
        let (expires_at, lifetime_secs) = renewed_expiry(&token, now_ms);
        let replaced = tokens::replace_secret(
            conn,
            project_id,
            &token.id,
            &secret.digest(),
            &secret.hint(),
            expires_at,
            lifetime_secs,
        )?;
        if !replaced {
            return Err(AppError::NotFound);
        }
        // The old value may be why it is renewed: what it minted goes with it.
        registration_tokens::delete_unused_issued_by(conn, &token.id, now_ms)?;
        audit::record(
            conn,
            &NewAuditEvent {
                project_id: Some(project_id),
                account_id: actor.account_id.as_deref(),
                event: event::TOKEN_RENEWED,
                actor: &actor.name,
                target: Some(&token.name),
                client_ip: actor.client_ip.as_deref(),
                detail: None,
                created_at: now_ms,
            },
        )?;
        let record = tokens::find_active(conn, project_id, &token.id)?.ok_or(AppError::NotFound)?;
        Ok((secret, record))
    })
}

/// Sets or removes (blank) an active token's description and returns the token as it now is.
/// Setting the description it already has changes nothing and writes no audit event.
pub fn set_description(
    conn: &mut SqliteConnection,
    now_ms: i64,
    project_id: &str,
    key: &TokenKey,
    description: Description,
    actor: &Actor,
) -> Result<TokenRecord, AppError> {
    crate::db::pool::immediate(conn, |conn| {
        let token = find_by_key(conn, project_id, key)?;
        if token.description.as_deref() == description.as_deref() {
            return Ok(token);
        }
        if !tokens::set_description(conn, project_id, &token.id, description.as_deref())? {
            return Err(AppError::NotFound);
        }
        // The audit log says what happened, not the text: it stays short and free of pasted content.
        let detail = match (
            token.description.is_some(),
            description.as_deref().is_some(),
        ) {
            (false, _) => "added",
            (true, true) => "changed",
            (true, false) => "removed",
        };
        audit::record(
            conn,
            &NewAuditEvent {
                project_id: Some(project_id),
                account_id: actor.account_id.as_deref(),
                event: event::TOKEN_DESCRIPTION_CHANGED,
                actor: &actor.name,
                target: Some(&token.name),
                client_ip: actor.client_ip.as_deref(),
                detail: Some(detail),
                created_at: now_ms,
            },
        )?;
        tokens::find_active(conn, project_id, &token.id)?.ok_or(AppError::NotFound)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const DAY_MS: i64 = 86_400_000;

    fn token(created_at: i64, expires_at: Option<i64>, lifetime_secs: Option<i64>) -> TokenRecord {
        TokenRecord {
            id: "t".into(),
            project_id: "p".into(),
            name: "n".into(),
            role: "USER".into(),
            hint: "mlpat_abcd".into(),
            description: None,
            created_at,
            created_by_account_id: None,
            issuer_name: "a@b".into(),
            expires_at,
            lifetime_secs,
            last_used_at: None,
            last_used_ips: String::new(),
            deleted_at: None,
            deleted_by: None,
            deleted_via: None,
        }
    }

    #[test]
    fn a_non_expiring_token_stays_non_expiring() {
        assert_eq!(
            renewed_expiry(&token(0, None, None), 5 * DAY_MS),
            (None, None)
        );
    }

    #[test]
    fn an_expiring_token_gets_its_lifetime_again_from_now() {
        let t = token(0, Some(30 * DAY_MS), Some(30 * 86_400));
        let now = 10 * DAY_MS;
        assert_eq!(
            renewed_expiry(&t, now),
            (Some(40 * DAY_MS), Some(30 * 86_400))
        );
        // Expired meanwhile: it comes back with a fresh expiry too.
        let later = 45 * DAY_MS;
        assert_eq!(renewed_expiry(&t, later).0, Some(75 * DAY_MS));
    }

    #[test]
    fn without_a_recorded_lifetime_the_length_it_had_is_kept() {
        let t = token(DAY_MS, Some(8 * DAY_MS), None);
        assert_eq!(
            renewed_expiry(&t, 20 * DAY_MS),
            (Some(27 * DAY_MS), Some(7 * 86_400))
        );
    }
}

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
    conn.immediate_transaction(|conn| insert_token(conn, now_ms, spec, actor))
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

/// Deletes an active token of the project; `NotFound` when there is none with that key.
/// Callers on the request path use `AppState::delete_token`, which also ends the value's cached verification.
pub fn delete_token(
    conn: &mut SqliteConnection,
    now_ms: i64,
    project_id: &str,
    key: &TokenKey,
    actor: &Actor,
    via: DeletedVia,
) -> Result<TokenRecord, AppError> {
    conn.immediate_transaction(|conn| {
        let token = match key {
            TokenKey::Id(id) => tokens::find_active(conn, project_id, id)?,
            TokenKey::Name(name) => tokens::find_active_by_name(conn, project_id, name)?,
        }
        .ok_or(AppError::NotFound)?;
        if !tokens::soft_delete(conn, project_id, &token.id, &actor.name, via, now_ms)? {
            return Err(AppError::NotFound);
        }
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

/// Ends an unused registration token whose value was reported leaked: it expires now, so its exchange
/// answers "expired" (a used one made its access token already, which has a value of its own).
/// Returns the registration when it was ended.
pub fn revoke_leaked_registration(
    conn: &mut SqliteConnection,
    now_ms: i64,
    digest: &Digest,
    actor: &Actor,
) -> Result<Option<RegistrationRecord>, AppError> {
    conn.immediate_transaction(|conn| {
        let Some(registration) = registration_tokens::find_by_digest(conn, digest)? else {
            return Ok(None);
        };
        if !registration_tokens::expire_unused(conn, &registration.id, now_ms)? {
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

//! Registration tokens (SPEC §6): an `ADMIN` token makes a one-time secret, which a program exchanges once
//! for an access token whose name, role and lifetime the registration fixed.

use crate::auth::token_cache::VerifiedToken;
use crate::db::audit::event;
use crate::db::tokens::TokenRecord;
use crate::db::{registration_tokens, tokens};
use crate::domain::{
    Authority, Description, Digest, LabelSelector, SecretKind, SecretValue, Timestamp, TokenName,
    TokenRole, Ttl,
};
use crate::error::AppError;
use crate::service::tokens::{insert, record};
use crate::service::{Actor, NewTokenSpec, TokenStore};

/// What the access token made by the exchange will be, and how long the registration lasts.
#[derive(Debug, Clone)]
pub struct RegistrationSpec {
    pub client_name: TokenName,
    pub token_type: TokenRole,
    /// Lifetime of the registration token.
    pub access_ttl: Ttl,
    /// Lifetime of the access token it makes; `None`: never expires.
    pub refresh_ttl: Option<Ttl>,
    /// The selector the access token it makes gets (SPEC §13); `None`: unscoped.
    pub label_selector: Option<LabelSelector>,
}

impl TokenStore {
    /// Makes a registration token for `issuer`'s project, issued by `issuer` (an `ADMIN` token; any other
    /// is `Forbidden`). Returns its value, shown once, and when it stops working.
    pub fn create_registration(
        &self,
        issuer: &VerifiedToken,
        spec: &RegistrationSpec,
        actor: &Actor,
    ) -> Result<(SecretValue, Timestamp), AppError> {
        if !Authority::Token(issuer.role).may_create(spec.token_type) {
            return Err(AppError::Forbidden);
        }
        let now = self.now();
        let expires_at = now.after(spec.access_ttl);
        let name = spec.client_name.as_str();
        self.db().write(|tx| {
            if tokens::name_taken(tx, &issuer.project_id, name)? {
                return Err(AppError::Conflict {
                    field: "client_name",
                });
            }
            let secret = SecretValue::generate(SecretKind::Registration);
            registration_tokens::insert(
                tx,
                &registration_tokens::NewRegistration {
                    id: &uuid::Uuid::new_v4().to_string(),
                    project_id: &issuer.project_id,
                    digest: &secret.digest(),
                    client_name: name,
                    token_type: spec.token_type,
                    refresh_ttl: spec.refresh_ttl,
                    expires_at,
                    created_at: now,
                    created_by_token_id: Some(&issuer.id),
                    issuer_account_id: issuer.created_by_account_id.as_deref(),
                    issuer_name: &issuer.issuer_name,
                    label_selector: spec.label_selector.as_ref(),
                },
            )?;
            let detail = Some(spec.token_type.as_str());
            let created = event::REGISTER_TOKEN_CREATED;
            record(tx, &issuer.project_id, actor, created, name, detail, now)?;
            Ok((secret, expires_at))
        })
    }

    /// Exchanges the registration token with this digest, once, for an access token. In one write
    /// transaction: of simultaneous exchanges exactly one marks the registration used; a failure after
    /// that (a name taken meanwhile: `Conflict` on `client_name`) rolls the mark back.
    /// Unknown or deleted: `UnknownCredential`; used: `AlreadyUsed`; expired: `Expired`.
    pub fn exchange(
        &self,
        digest: &Digest,
        client_ip: Option<String>,
    ) -> Result<(SecretValue, TokenRecord), AppError> {
        let now = self.now();
        self.db().write(|tx| {
            let registration = registration_tokens::find_by_digest(tx, digest)?
                .ok_or(AppError::UnknownCredential)?;
            if registration.used_at.is_some() {
                return Err(AppError::AlreadyUsed);
            }
            if registration.expires_at <= now {
                return Err(AppError::Expired);
            }
            if !registration_tokens::mark_used(tx, &registration.id, now)? {
                return Err(AppError::AlreadyUsed);
            }
            let name = TokenName::parse(&registration.client_name)
                .map_err(|e| AppError::Internal(anyhow::anyhow!("registration token name: {e}")))?;
            let spec = NewTokenSpec {
                project_id: registration.project_id.clone(),
                name,
                role: registration.token_type,
                description: Description::none(),
                lifetime: registration.refresh_ttl,
                label_selector: registration.label_selector.clone(),
            };
            // The program that exchanged is known only by the name it receives; the registration was
            // authorised when it was made.
            let actor = Actor {
                account_id: registration.issuer_account_id.clone(),
                name: registration.client_name.clone(),
                issuer_email: registration.issuer_name.clone(),
                client_ip: client_ip.clone(),
                authority: Authority::None,
            };
            let (secret, token) = insert(tx, now, &spec, &actor).map_err(|err| match err {
                AppError::Conflict { .. } => AppError::Conflict {
                    field: "client_name",
                },
                other => other,
            })?;
            registration_tokens::set_used_token(tx, &registration.id, &token.id)?;
            let detail = Some(registration.token_type.as_str());
            let exchanged = event::REGISTER_TOKEN_EXCHANGED;
            let project = &registration.project_id;
            record(
                tx,
                project,
                &actor,
                exchanged,
                &registration.client_name,
                detail,
                now,
            )?;
            Ok((secret, token))
        })
    }
}

//! Invitations (SPEC §11): an owner invites an email that has no account; the value, shown once as a link,
//! is exchanged exactly once within 7 days for a membership, with a new account or, if the email has an
//! account by then, that account's password.

use crate::auth::CurrentUser;
use crate::clock::SharedClock;
use crate::db::audit::event;
use crate::db::invitations::{self, Invitation, NewInvitation};
use crate::db::{self, accounts, projects, Conn, Database};
use crate::domain::{DisplayName, Email, MemberRole, SecretKind, SecretValue, Timestamp};
use crate::error::AppError;
use crate::service::accounts::{Checked, NewPassword};
use crate::service::tokens::record;
use crate::service::{Accounts, Actor};
use secrecy::SecretString;
use std::net::IpAddr;
use std::sync::Arc;
use std::time::Duration;

/// How long an invitation can be accepted.
pub const VALID_FOR_MS: i64 = 7 * 24 * 60 * 60 * 1000;

/// An open invitation as its page shows it.
#[derive(Debug, Clone)]
pub struct Opened {
    pub invitation: Invitation,
    pub project_name: String,
    /// The invited email has an account by now: it accepts with that account's password.
    pub has_account: bool,
}

/// How an acceptance ended.
#[derive(Debug)]
pub enum Acceptance {
    /// A member now, signed in as `user`, of `project_id`.
    Accepted {
        user: CurrentUser,
        project_id: String,
    },
    /// Another acceptance won, or the invitation was revoked or expired meanwhile.
    Gone,
    /// The email has an account (now): its password is asked instead (or was wrong).
    PasswordNeeded { wrong: bool },
    /// Over a login limit: try again after this long.
    TooManyAttempts(Duration),
}

pub struct Invitations {
    db: Database,
    clock: SharedClock,
    accounts: Arc<Accounts>,
}

impl Invitations {
    pub fn new(db: Database, clock: SharedClock, accounts: Arc<Accounts>) -> Self {
        Invitations {
            db,
            clock,
            accounts,
        }
    }

    /// Invites `email` into `project_id` with `role`, `actor` acting (an owner: `Forbidden` otherwise).
    /// Returns the value, which is never stored, and the invitation. Blocking.
    pub fn invite(
        &self,
        project_id: &str,
        email: &Email,
        role: MemberRole,
        actor: &Actor,
    ) -> Result<(SecretValue, Invitation), AppError> {
        if !actor.authority.may_manage_members() {
            return Err(AppError::Forbidden);
        }
        let value = SecretValue::generate(SecretKind::Invitation);
        let id = uuid::Uuid::new_v4().to_string();
        let now = self.clock.now();
        let new = NewInvitation {
            id: &id,
            project_id,
            email: email.as_str(),
            role,
            digest: value.digest(),
            invited_by: &actor.name,
            invited_by_account_id: actor.account_id.as_deref(),
            created_at: now,
            expires_at: Timestamp::from_ms(now.as_ms() + VALID_FOR_MS),
        };
        self.db.write(|tx| -> Result<(), AppError> {
            invitations::insert(tx, &new)?;
            let detail = format!("role: {role}");
            record(
                tx,
                project_id,
                actor,
                event::INVITATION_CREATED,
                email.as_str(),
                Some(&detail),
                now,
            )
        })?;
        let invitation = invitations::find_by_digest(&mut *self.db.conn()?, &value.digest())?
            .ok_or(AppError::NotFound)?;
        Ok((value, invitation))
    }

    /// The project's pending invitations, oldest first. Blocking.
    pub fn pending(&self, project_id: &str) -> Result<Vec<Invitation>, AppError> {
        Ok(invitations::pending(
            &mut *self.db.conn()?,
            project_id,
            self.clock.now(),
        )?)
    }

    /// Revokes the project's pending invitation `id`, `actor` acting (an owner); `NotFound` when there is no
    /// such pending invitation. Blocking.
    pub fn revoke(&self, project_id: &str, id: &str, actor: &Actor) -> Result<(), AppError> {
        if !actor.authority.may_manage_members() {
            return Err(AppError::Forbidden);
        }
        let now = self.clock.now();
        self.db.write(|tx| -> Result<(), AppError> {
            let invitation =
                invitations::revoke(tx, project_id, id, now)?.ok_or(AppError::NotFound)?;
            record(
                tx,
                project_id,
                actor,
                event::INVITATION_REVOKED,
                &invitation.email,
                None,
                now,
            )
        })
    }

    /// The open invitation whose value is `value`; `NotFound` for anything else (malformed, unknown, used,
    /// revoked, expired), all alike. Blocking.
    pub fn open(&self, value: &str) -> Result<Opened, AppError> {
        let value =
            SecretValue::parse(SecretKind::Invitation, value).map_err(|_| AppError::NotFound)?;
        let mut conn = self.db.conn()?;
        let invitation = invitations::find_by_digest(&mut conn, &value.digest())?
            .filter(|inv| inv.is_open(self.clock.now()))
            .ok_or(AppError::NotFound)?;
        let project = projects::find_by_id_or_name(&mut conn, &invitation.project_id)?
            .ok_or(AppError::NotFound)?;
        let has_account = accounts::find_by_email(&mut conn, &invitation.email)?.is_some();
        Ok(Opened {
            invitation,
            project_name: project.name,
            has_account,
        })
    }

    /// Accepts the invitation `value` from `ip` with a new account named `name` with password `new`; when
    /// the email has an account by now, `PasswordNeeded` (and nothing is made). Exactly one of any number
    /// of simultaneous acceptances wins.
    pub async fn accept_new(
        self: &Arc<Self>,
        value: String,
        name: DisplayName,
        new: NewPassword,
        ip: IpAddr,
    ) -> Result<Acceptance, AppError> {
        let opened = crate::service::blocking(self, move |inv| inv.open(&value)).await?;
        if opened.has_account {
            return Ok(Acceptance::PasswordNeeded { wrong: false });
        }
        let hash = self.accounts.hash_password(new).await?;
        crate::service::blocking(self, move |inv| {
            let invitation = &opened.invitation;
            let now = inv.clock.now();
            let account_id = uuid::Uuid::new_v4().to_string();
            let account = accounts::NewAccount {
                id: &account_id,
                email: &invitation.email,
                display_name: name.as_str(),
                password_hash: &hash,
                created_at: now,
            };
            let made = inv.db.write(|tx| -> Result<bool, AppError> {
                if invitations::claim(tx, &invitation.id, &account_id, now)? == 0 {
                    return Ok(false);
                }
                accounts::insert(tx, &account).map_err(|e| match db::is_unique_violation(&e) {
                    true => AppError::Conflict { field: "email" },
                    false => e.into(),
                })?;
                join(tx, invitation, (&account_id, &invitation.email), ip, now)?;
                Ok(true)
            });
            match made {
                Ok(true) => Ok(Acceptance::Accepted {
                    user: CurrentUser {
                        account_id: account_id.clone(),
                        email: invitation.email.clone(),
                        generation: 0,
                    },
                    project_id: invitation.project_id.clone(),
                }),
                Ok(false) => Ok(Acceptance::Gone),
                // The email got an account between opening and accepting: nothing was written.
                Err(AppError::Conflict { .. }) => Ok(Acceptance::PasswordNeeded { wrong: false }),
                Err(err) => Err(err),
            }
        })
        .await
    }

    /// Accepts the invitation `value` from `ip` as the existing account of its email, whose `password` is
    /// checked through the login limits.
    pub async fn accept_existing(
        self: &Arc<Self>,
        value: String,
        password: SecretString,
        ip: IpAddr,
    ) -> Result<Acceptance, AppError> {
        let opened = crate::service::blocking(self, move |inv| inv.open(&value)).await?;
        let email = opened.invitation.email.clone();
        let account = match self
            .accounts
            .check_password_limited(&email, password, ip)
            .await?
        {
            Checked::Right(account) => account,
            Checked::Wrong => return Ok(Acceptance::PasswordNeeded { wrong: true }),
            Checked::TooManyAttempts(wait) => return Ok(Acceptance::TooManyAttempts(wait)),
        };
        crate::service::blocking(self, move |inv| {
            let invitation = &opened.invitation;
            let now = inv.clock.now();
            let won = inv.db.write(|tx| -> Result<bool, AppError> {
                if invitations::claim(tx, &invitation.id, &account.id, now)? == 0 {
                    return Ok(false);
                }
                join(tx, invitation, (&account.id, &account.email), ip, now)?;
                Ok(true)
            })?;
            Ok(match won {
                true => Acceptance::Accepted {
                    user: CurrentUser {
                        account_id: account.id.clone(),
                        email: account.email.clone(),
                        generation: account.session_generation,
                    },
                    project_id: invitation.project_id.clone(),
                },
                false => Acceptance::Gone,
            })
        })
        .await
    }
}

/// Makes the accepting account a member with the invitation's role (an existing member keeps the higher of
/// its role and the invited one) and records the acceptance.
fn join(
    tx: &mut Conn,
    invitation: &Invitation,
    (account_id, email): (&str, &str),
    ip: IpAddr,
    now: Timestamp,
) -> Result<(), AppError> {
    let project = &invitation.project_id;
    let role = match projects::member_role(tx, project, account_id)? {
        Some(current) => current.min(invitation.role),
        None => invitation.role,
    };
    projects::upsert_member(tx, project, account_id, role, now)?;
    let actor = Actor {
        account_id: Some(account_id.to_owned()),
        name: email.to_owned(),
        issuer_email: email.to_owned(),
        client_ip: Some(ip.to_string()),
        authority: crate::domain::Authority::None,
    };
    let detail = format!("role: {role}; invited by {}", invitation.invited_by);
    record(
        tx,
        project,
        &actor,
        event::INVITATION_ACCEPTED,
        email,
        Some(&detail),
        now,
    )
}

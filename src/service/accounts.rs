//! Accounts: signing in (rate-limited before any hashing, audited), Log out for every copy of a session's
//! cookie, creating accounts, and the first account of an empty database.

use crate::auth::ended_sessions::EndedSessions;
use crate::auth::password;
use crate::auth::ratelimit::LoginLimiter;
use crate::auth::CurrentUser;
use crate::clock::SharedClock;
use crate::db::audit::{self, event, NewAuditEvent};
use crate::db::projects::ProjectAccess;
use crate::db::{self, accounts, projects, Database};
use crate::domain::{DisplayName, Email, MemberRole, Timestamp};
use crate::error::AppError;
use anyhow::Context;
use secrecy::{ExposeSecret, SecretString};
use std::net::IpAddr;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::Semaphore;

/// Password hashes computed at once. An argon2id hash takes 19 MiB and a core for ~30 ms: one at a time
/// bounds both, whatever a login flood from many addresses does, and leaves the other core to everyone
/// else. Logins beyond it wait their turn without holding a thread.
pub const PASSWORD_HASHES_AT_ONCE: usize = 1;
/// Admitted logins that may wait for (or hold) a hashing permit: about half a second of hashing. Beyond
/// it a login is turned away at once, so a flood from many addresses, each under its rate limit, cannot
/// pile up waiting requests without bound.
pub const LOGINS_WAITING_AT_MOST: usize = 16;
/// How long a refused login attempt waits for its answer (see `Accounts::log_in`).
pub const REFUSED_ATTEMPT_PAUSE: Duration = Duration::from_secs(1);

/// How a sign-in ended.
pub enum Login {
    /// Signed in, with the account's projects (SPEC §5: it lands on the last or first one).
    SignedIn {
        user: CurrentUser,
        projects: Vec<ProjectAccess>,
    },
    /// Wrong email or password (never which).
    Refused,
    /// Over a login limit: try again after this long.
    TooManyAttempts(Duration),
    /// Too many sign-ins wait for the password hasher: try again in a moment.
    Busy,
}

/// A new password as typed twice: 12 to 128 characters, both the same (SPEC §11).
pub struct NewPassword(SecretString);

/// Why a new password was refused before anything was checked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NewPasswordError {
    TooShort,
    TooLong,
    Mismatch,
}

impl NewPasswordError {
    pub fn message(self) -> &'static str {
        match self {
            NewPasswordError::TooShort => "The new password must have at least 12 characters.",
            NewPasswordError::TooLong => "The new password must have at most 128 characters.",
            NewPasswordError::Mismatch => "The two new passwords differ. Type the same one twice.",
        }
    }
}

impl NewPassword {
    pub const MIN_CHARS: usize = 12;
    pub const MAX_CHARS: usize = 128;

    pub fn parse(new: SecretString, confirm: &SecretString) -> Result<Self, NewPasswordError> {
        let chars = new.expose_secret().chars().count();
        if chars < Self::MIN_CHARS {
            return Err(NewPasswordError::TooShort);
        }
        if chars > Self::MAX_CHARS {
            return Err(NewPasswordError::TooLong);
        }
        if new.expose_secret() != confirm.expose_secret() {
            return Err(NewPasswordError::Mismatch);
        }
        Ok(NewPassword(new))
    }
}

/// How a rate-limited password check ended (`Accounts::check_password_limited`).
#[derive(Debug)]
pub enum Checked {
    Right(accounts::Account),
    Wrong,
    TooManyAttempts(Duration),
}

/// How a password change ended.
#[derive(Debug)]
pub enum PasswordChange {
    /// Changed: the current session moves to this generation, every other one is over.
    Changed { generation: i64 },
    /// The current password was wrong (it counts toward the login limits).
    WrongCurrent,
    /// The new password is the current one.
    Unchanged,
    /// Over a login limit: try again after this long.
    TooManyAttempts(Duration),
}

pub struct Accounts {
    db: Database,
    clock: SharedClock,
    limiter: LoginLimiter,
    /// Permits to hash a password (see `PASSWORD_HASHES_AT_ONCE`); public so a test can hold the only one.
    pub hashing: Arc<Semaphore>,
    /// Places for logins waiting for a hashing permit (see `LOGINS_WAITING_AT_MOST`).
    waiting: Arc<Semaphore>,
    /// Console sessions ended by Log out, refused even from a copy of their cookie.
    ended: EndedSessions,
}

impl Accounts {
    /// Blocking: reads the ended sessions.
    pub fn open(db: Database, clock: SharedClock) -> anyhow::Result<Self> {
        let ended =
            EndedSessions::load(&db, clock.now()).context("failed to read the ended sessions")?;
        Ok(Accounts {
            db,
            clock,
            limiter: LoginLimiter::default(),
            hashing: Arc::new(Semaphore::new(PASSWORD_HASHES_AT_ONCE)),
            waiting: Arc::new(Semaphore::new(LOGINS_WAITING_AT_MOST)),
            ended,
        })
    }

    /// Signs in with `email` and `password` from `ip`; every attempt on a known account is audited.
    ///
    /// Limits come before any hashing: an admitted attempt counts as a failure at once (the limiter gives
    /// it back on success), a refused one is answered after `REFUSED_ATTEMPT_PAUSE` (a script hammering
    /// the form drops to one attempt a second per connection, and the pause costs a timer, not a thread),
    /// and beyond `LOGINS_WAITING_AT_MOST` waiting logins one is turned away at once, uncounted.
    pub async fn log_in(
        self: &Arc<Self>,
        email: &str,
        password: SecretString,
        ip: IpAddr,
    ) -> Result<Login, AppError> {
        let email = email.trim().to_owned();
        let now = self.clock.now();
        let checked_email = email.clone();
        let admitted = crate::service::blocking(self, move |accounts| {
            Ok(accounts
                .limiter
                .begin(&accounts.db, ip, &checked_email, now)?)
        })
        .await?;
        let attempt = match admitted {
            Ok(attempt) => attempt,
            Err(wait) => {
                tokio::time::sleep(REFUSED_ATTEMPT_PAUSE).await;
                return Ok(Login::TooManyAttempts(wait));
            }
        };
        let Ok(waiting) = self.waiting.clone().try_acquire_owned() else {
            crate::service::blocking(self, move |accounts| {
                Ok(accounts.limiter.give_back(&accounts.db, attempt)?)
            })
            .await?;
            return Ok(Login::Busy);
        };
        // The permit moves into the blocking task, so a client that hangs up cannot free it before its
        // hash is done.
        let permit = self
            .hashing
            .clone()
            .acquire_owned()
            .await
            .map_err(|e| AppError::Internal(e.into()))?;
        crate::service::blocking(self, move |accounts| {
            let checked = accounts.check_password(&email, &password, ip, now);
            drop((permit, waiting));
            if let Ok(Login::SignedIn { .. }) = checked {
                accounts.limiter.give_back(&accounts.db, attempt)?;
            }
            checked
        })
        .await
    }

    /// The password check of `log_in` and its audit event. Blocking (argon2).
    fn check_password(
        &self,
        email: &str,
        password: &SecretString,
        ip: IpAddr,
        now: Timestamp,
    ) -> Result<Login, AppError> {
        // Over-long or malformed emails are checked like unknown ones, so timing says nothing.
        let account = match Email::parse(email) {
            Ok(email) => accounts::find_by_email(&mut *self.db.conn()?, email.as_str())?,
            Err(_) => None,
        };
        // No pooled connection is held while hashing: verification's cache misses and page views keep them.
        let ok = password::verify(password, account.as_ref().map(|a| a.password_hash.as_str()));
        // Failed attempts for unknown emails belong to no project and no account: not recorded.
        let Some(account) = account else {
            return Ok(Login::Refused);
        };
        let ip = ip.to_string();
        let event = NewAuditEvent {
            account_id: Some(&account.id),
            event: if ok {
                event::LOGIN_SUCCEEDED
            } else {
                event::LOGIN_FAILED
            },
            actor: &account.email,
            client_ip: Some(&ip),
            created_at: now,
            ..NewAuditEvent::default()
        };
        self.db
            .write(|tx| -> Result<(), AppError> { Ok(audit::record(tx, &event)?) })?;
        if !ok {
            return Ok(Login::Refused);
        }
        let projects = projects::for_account(&mut *self.db.conn()?, &account.id)?;
        Ok(Login::SignedIn {
            user: CurrentUser {
                account_id: account.id,
                email: account.email,
                generation: account.session_generation,
            },
            projects,
        })
    }

    /// Whether the session of `user` (id `sid`, if it has one) still holds: not ended by Log out (perhaps in
    /// another browser, perhaps through another instance) and signed in under the account's current
    /// session generation (a password change ends every other session). Blocking: reads the account.
    pub fn session_holds(&self, user: &CurrentUser, sid: Option<&str>) -> Result<bool, AppError> {
        if let Some(sid) = sid {
            if self.ended.is_ended(&self.db, sid, self.clock.now())? {
                return Ok(false);
            }
        }
        let generation = accounts::session_generation(&mut *self.db.conn()?, &user.account_id)?;
        Ok(generation == Some(user.generation))
    }

    /// Ends the session with id `sid` for every copy of its cookie, also after a restart. Blocking.
    pub fn end_session(&self, sid: &str) -> Result<(), AppError> {
        Ok(self.ended.end(&self.db, sid, self.clock.now())?)
    }

    /// The signed-in account as stored (for the Account page). Blocking.
    pub fn get(&self, account_id: &str) -> Result<accounts::Account, AppError> {
        accounts::find_by_id(&mut *self.db.conn()?, account_id)?.ok_or(AppError::NotFound)
    }

    /// Changes the account's display name (SPEC §11). Blocking.
    pub fn change_name(&self, account_id: &str, name: &DisplayName) -> Result<(), AppError> {
        self.db.write(|tx| -> Result<(), AppError> {
            match accounts::set_display_name(tx, account_id, name.as_str())? {
                0 => Err(AppError::NotFound),
                _ => Ok(()),
            }
        })
    }

    /// Checks `password` for the account with `email`, asked from `ip`, through the login limiter and the
    /// hashing permits exactly as a sign-in does (the Account page and invitations guess no faster than
    /// the login form): a wrong password counts as a failed login. Not audited (the caller records what
    /// the check was for).
    pub async fn check_password_limited(
        self: &Arc<Self>,
        email: &str,
        password: SecretString,
        ip: IpAddr,
    ) -> Result<Checked, AppError> {
        let now = self.clock.now();
        let email = email.to_owned();
        let checked_email = email.clone();
        let admitted = crate::service::blocking(self, move |accounts| {
            Ok(accounts
                .limiter
                .begin(&accounts.db, ip, &checked_email, now)?)
        })
        .await?;
        let attempt = match admitted {
            Ok(attempt) => attempt,
            Err(wait) => {
                tokio::time::sleep(REFUSED_ATTEMPT_PAUSE).await;
                return Ok(Checked::TooManyAttempts(wait));
            }
        };
        let permit = self.hashing_permit().await?;
        crate::service::blocking(self, move |accounts| {
            let account = match Email::parse(&email) {
                Ok(email) => accounts::find_by_email(&mut *accounts.db.conn()?, email.as_str())?,
                Err(_) => None,
            };
            let ok = password::verify(
                &password,
                account.as_ref().map(|a| a.password_hash.as_str()),
            );
            drop(permit);
            match account {
                Some(account) if ok => {
                    accounts.limiter.give_back(&accounts.db, attempt)?;
                    Ok(Checked::Right(account))
                }
                _ => Ok(Checked::Wrong),
            }
        })
        .await
    }

    /// One of the permits to hash a password (`PASSWORD_HASHES_AT_ONCE`).
    async fn hashing_permit(&self) -> Result<tokio::sync::OwnedSemaphorePermit, AppError> {
        self.hashing
            .clone()
            .acquire_owned()
            .await
            .map_err(|e| AppError::Internal(e.into()))
    }

    /// The stored form of a new password, hashed under a hashing permit.
    pub async fn hash_password(self: &Arc<Self>, new: NewPassword) -> Result<String, AppError> {
        let permit = self.hashing_permit().await?;
        crate::service::blocking(self, move |_| {
            let hash = password::hash(&new.0)?;
            drop(permit);
            Ok(hash)
        })
        .await
    }

    /// Changes the password of `user` from `current` to `new` (already checked by `NewPassword`), asked
    /// from `ip`; `current` is checked by `check_password_limited`. On success every other session of the
    /// account ends (the account's next session generation, returned for the current session to move to)
    /// and `account.password_changed` is recorded in each of its projects.
    pub async fn change_password(
        self: &Arc<Self>,
        user: &CurrentUser,
        current: SecretString,
        new: NewPassword,
        ip: IpAddr,
    ) -> Result<PasswordChange, AppError> {
        let unchanged = current.expose_secret() == new.0.expose_secret();
        let account = match self
            .check_password_limited(&user.email, current, ip)
            .await?
        {
            Checked::Right(account) if account.id == user.account_id => account,
            Checked::Right(_) | Checked::Wrong => return Ok(PasswordChange::WrongCurrent),
            Checked::TooManyAttempts(wait) => return Ok(PasswordChange::TooManyAttempts(wait)),
        };
        if unchanged {
            return Ok(PasswordChange::Unchanged);
        }
        let hash = self.hash_password(new).await?;
        let now = self.clock.now();
        crate::service::blocking(self, move |accounts| {
            let ip = ip.to_string();
            let generation =
                accounts.store_password(&account, &hash, &account.email, Some(&ip), now)?;
            Ok(PasswordChange::Changed { generation })
        })
        .await
    }

    /// Sets the password of the account with `email` without knowing the current one (the admin command
    /// line, SPEC §13: `actor` is `cli`). As a change from the Account page, it ends every session of the
    /// account and records `account.password_changed` in each of its projects. `NotFound`: no such
    /// account. Blocking (argon2).
    pub fn set_password(
        &self,
        email: &Email,
        new: NewPassword,
        actor: &str,
    ) -> Result<(), AppError> {
        let account = accounts::find_by_email(&mut *self.db.conn()?, email.as_str())?
            .ok_or(AppError::NotFound)?;
        let hash = password::hash(&new.0)?;
        self.store_password(&account, &hash, actor, None, self.clock.now())
            .map(drop)
    }

    /// Stores `hash` as the account's password, moving it to its next session generation (returned), and
    /// records the change in each of its projects (once, in none, for an account of no project).
    fn store_password(
        &self,
        account: &accounts::Account,
        hash: &str,
        actor: &str,
        ip: Option<&str>,
        now: Timestamp,
    ) -> Result<i64, AppError> {
        self.db.write(|tx| -> Result<i64, AppError> {
            let generation = accounts::set_password(tx, &account.id, hash)?;
            let projects = projects::for_account(tx, &account.id)?;
            let in_projects = projects
                .iter()
                .map(|access| Some(access.project.id.as_str()));
            // An account of no project still leaves its record (in no project's log).
            let no_project = projects.is_empty().then_some(None);
            for project_id in in_projects.chain(no_project) {
                let event = NewAuditEvent {
                    project_id,
                    account_id: Some(&account.id),
                    event: event::ACCOUNT_PASSWORD_CHANGED,
                    actor,
                    client_ip: ip,
                    created_at: now,
                    ..NewAuditEvent::default()
                };
                audit::record(tx, &event)?;
            }
            Ok(generation)
        })
    }

    /// Creates an account and returns its id; `Conflict` on `email` when one has that email. Blocking
    /// (argon2).
    pub fn create_user(
        &self,
        email: &Email,
        name: Option<&str>,
        password: &SecretString,
    ) -> Result<String, AppError> {
        let display_name = name
            .map(str::trim)
            .filter(|n| !n.is_empty())
            .unwrap_or(email.as_str());
        let hash = password::hash(password)?;
        let id = uuid::Uuid::new_v4().to_string();
        let account = accounts::NewAccount {
            id: &id,
            email: email.as_str(),
            display_name,
            password_hash: &hash,
            created_at: self.clock.now(),
        };
        self.db.write(|tx| {
            accounts::insert(tx, &account).map_err(|e| match db::is_unique_violation(&e) {
                true => AppError::Conflict { field: "email" },
                false => e.into(),
            })
        })?;
        Ok(id)
    }
}

/// On an empty database: the account `admin@localhost`, owner of project `default`.
/// Its password comes from `MLP_BOOTSTRAP_PASSWORD`, or is generated and printed once.
pub fn bootstrap(db: &Database, now: Timestamp) -> anyhow::Result<()> {
    if accounts::count(&mut *db.conn()?)? > 0 {
        return Ok(());
    }
    let (password, generated) = match std::env::var("MLP_BOOTSTRAP_PASSWORD") {
        Ok(p) if !p.is_empty() => (SecretString::from(p), false),
        _ => (password::generate(), true),
    };
    let hash = password::hash(&password)?;
    let account_id = uuid::Uuid::new_v4().to_string();
    let project_id = uuid::Uuid::new_v4().to_string();
    // Checked again under the lock: of instances starting together on an empty database, one creates the
    // account and the others find it.
    let created = db.write(|tx| -> Result<bool, AppError> {
        accounts::lock_bootstrap(tx)?;
        if accounts::count(tx)? > 0 {
            return Ok(false);
        }
        accounts::insert(
            tx,
            &accounts::NewAccount {
                id: &account_id,
                email: "admin@localhost",
                display_name: "Administrator",
                password_hash: &hash,
                created_at: now,
            },
        )?;
        projects::insert(tx, &project_id, "default", now)?;
        projects::upsert_member(tx, &project_id, &account_id, MemberRole::Owner, now)?;
        Ok(true)
    })?;
    if !created {
        return Ok(());
    }
    if generated {
        use secrecy::ExposeSecret;
        // The one deliberate exception to "never log a secret" (SPEC §8): shown once, at first start.
        tracing::warn!(
            "created account admin@localhost (owner of project \"default\") with password: {}",
            password.expose_secret()
        );
    } else {
        tracing::info!("created account admin@localhost (owner of project \"default\") with the password from MLP_BOOTSTRAP_PASSWORD");
    }
    Ok(())
}

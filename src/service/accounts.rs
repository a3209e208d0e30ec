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
use crate::domain::{Email, MemberRole, Timestamp};
use crate::error::AppError;
use anyhow::Context;
use secrecy::SecretString;
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
            },
            projects,
        })
    }

    /// Whether the session with id `sid` was ended by Log out (perhaps in another browser, perhaps through
    /// another instance). Blocking when the database is shared (see `EndedSessions::is_ended`).
    pub fn session_ended(&self, sid: &str) -> Result<bool, AppError> {
        Ok(self.ended.is_ended(&self.db, sid, self.clock.now())?)
    }

    /// Whether `session_ended` must ask the database (it answers from memory otherwise).
    pub fn session_check_is_blocking(&self) -> bool {
        self.db.is_shared()
    }

    /// Ends the session with id `sid` for every copy of its cookie, also after a restart. Blocking.
    pub fn end_session(&self, sid: &str) -> Result<(), AppError> {
        Ok(self.ended.end(&self.db, sid, self.clock.now())?)
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

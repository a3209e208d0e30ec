//! `AppState`: what the handlers of both edges share. Built by `startup`, read by `web` and `api`.

use crate::clock::SharedClock;
use crate::db::Database;
use crate::service::{Accounts, Invitations, Projects, TokenStore};
use std::sync::Arc;

pub struct AppState {
    pub clock: SharedClock,
    /// For readiness checks only; every use case goes through the services below.
    pub db: Database,
    /// Access and registration tokens: verification, last use, every change (see `service::tokens`).
    pub tokens: Arc<TokenStore>,
    /// Sign-in, Log out, accounts.
    pub accounts: Arc<Accounts>,
    /// Projects, members, audit log.
    pub projects: Arc<Projects>,
    /// Invitations to projects, and their acceptance.
    pub invitations: Arc<Invitations>,
}

impl AppState {
    /// The services of one app on `db`. Blocking: reads the ended sessions.
    pub fn open(db: Database, clock: SharedClock) -> anyhow::Result<Self> {
        let accounts = Arc::new(Accounts::open(db.clone(), clock.clone())?);
        Ok(AppState {
            tokens: Arc::new(TokenStore::new(db.clone(), clock.clone())),
            invitations: Arc::new(Invitations::new(
                db.clone(),
                clock.clone(),
                accounts.clone(),
            )),
            accounts,
            projects: Arc::new(Projects::new(db.clone(), clock.clone())),
            db,
            clock,
        })
    }
}

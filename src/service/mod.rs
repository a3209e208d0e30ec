//! Every use case of the product, shared by the console, the API and the CLI: each write runs in one
//! transaction, checks its permission rule (`domain::Authority`) and writes its audit event.
//!
//! Services are blocking (diesel, argon2). The edges call them through [`blocking`], which runs the work
//! on the blocking pool; the CLI and tests call them directly.

pub mod accounts;
pub mod invitations;
pub mod leaks;
pub mod paging;
pub mod projects;
pub mod registration;
pub mod tokens;
pub mod verifier;

pub use accounts::{Accounts, Login};
pub use invitations::Invitations;
pub use paging::{Page, PageNumber};
pub use projects::Projects;
pub use tokens::{NewTokenSpec, TokenKey, TokenStore};

use crate::auth::token_cache::VerifiedToken;
use crate::domain::{Authority, MemberRole};
use crate::error::AppError;
use std::net::IpAddr;
use std::sync::Arc;

/// Who does something: for `created_by`, `issuer_name`, the audit log and the permission rules.
#[derive(Debug, Clone)]
pub struct Actor {
    /// The account behind the action (directly, or behind the admin token used).
    pub account_id: Option<String>,
    /// What the audit log shows: an email, a token name, `cli`-style names, or `leak report`.
    pub name: String,
    /// The email recorded as a new token's issuer.
    pub issuer_email: String,
    pub client_ip: Option<String>,
    /// What the actor may do (SPEC §4).
    pub authority: Authority,
}

impl Actor {
    /// A signed-in account with its role in the project acted on.
    pub fn member(account_id: &str, email: &str, role: MemberRole, ip: Option<IpAddr>) -> Self {
        Actor {
            account_id: Some(account_id.to_owned()),
            name: email.to_owned(),
            issuer_email: email.to_owned(),
            client_ip: ip.map(|ip| ip.to_string()),
            authority: Authority::Member(role),
        }
    }

    /// The admin command line, run by whoever has the server's shell: an owner's rights in every project,
    /// `cli` in the audit log.
    pub fn operator() -> Self {
        Actor {
            account_id: None,
            name: "cli".to_owned(),
            issuer_email: "cli".to_owned(),
            client_ip: None,
            authority: Authority::Member(MemberRole::Owner),
        }
    }

    /// A program calling the API with `token`: its name in the audit log, the account behind it as issuer.
    pub fn token(token: &VerifiedToken, ip: IpAddr) -> Self {
        Actor {
            account_id: token.created_by_account_id.clone(),
            name: token.name.clone(),
            issuer_email: token.issuer_name.clone(),
            client_ip: Some(ip.to_string()),
            authority: Authority::Token(token.role),
        }
    }
}

/// Runs blocking service work on the blocking pool, never on an async worker.
pub async fn blocking<S, T, F>(service: &Arc<S>, work: F) -> Result<T, AppError>
where
    S: Send + Sync + 'static,
    T: Send + 'static,
    F: FnOnce(&S) -> Result<T, AppError> + Send + 'static,
{
    let service = Arc::clone(service);
    tokio::task::spawn_blocking(move || work(&service)).await?
}

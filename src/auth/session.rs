//! The console session: an encrypted cookie holding the account, a session id, the CSRF token and when it was last used.

use crate::domain::Timestamp;
use actix_session::{Session, SessionExt};
use actix_web::dev::Payload;
use actix_web::{FromRequest, HttpRequest};
use base64::Engine as _;
use std::future::{ready, Ready};

/// Sessions end after this long without a request.
pub const INACTIVITY_LIMIT_MS: i64 = 12 * 60 * 60 * 1000;
/// How stale the "last seen" mark may get before it is rewritten (avoids a new cookie on every request).
const SEEN_REFRESH_MS: i64 = 5 * 60 * 1000;

const ACCOUNT_ID: &str = "account_id";
const EMAIL: &str = "email";
const SESSION_ID: &str = "sid";
const CSRF: &str = "csrf";
const SEEN: &str = "seen";
const LAST_PROJECT: &str = "project";
const GENERATION: &str = "gen";

pub struct TypedSession(Session);

/// The signed-in account, as the session records it.
#[derive(Debug, Clone)]
pub struct CurrentUser {
    pub account_id: String,
    pub email: String,
    /// The account's session generation at sign-in (`db::accounts::Account::session_generation`).
    pub generation: i64,
}

pub fn random_token() -> String {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).expect("the OS random number generator failed");
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

impl TypedSession {
    /// Starts a fresh session for `user`: new cookie, new session id, new CSRF token (no fixation).
    pub fn log_in(
        &self,
        user: &CurrentUser,
        now: Timestamp,
    ) -> Result<(), actix_session::SessionInsertError> {
        let last_project: Option<String> = self.last_project();
        // `purge` would be final for this response; clear + renew gives a fresh cookie with new state.
        self.0.clear();
        self.0.renew();
        self.0.insert(ACCOUNT_ID, &user.account_id)?;
        self.0.insert(EMAIL, &user.email)?;
        self.0.insert(GENERATION, user.generation)?;
        self.0.insert(SESSION_ID, random_token())?;
        self.0.insert(CSRF, random_token())?;
        self.0.insert(SEEN, now.as_ms())?;
        if let Some(project) = last_project {
            self.0.insert(LAST_PROJECT, project)?;
        }
        Ok(())
    }

    pub fn log_out(&self) {
        self.0.purge();
    }

    /// The signed-in account, if the session has one that is not past its inactivity limit.
    pub fn user(&self, now: Timestamp) -> Option<CurrentUser> {
        let now_ms = now.as_ms();
        let account_id: String = self.0.get(ACCOUNT_ID).ok()??;
        let email: String = self.0.get(EMAIL).ok()??;
        let seen: i64 = self.0.get(SEEN).ok()??;
        if now_ms - seen > INACTIVITY_LIMIT_MS {
            self.0.purge();
            return None;
        }
        if now_ms - seen > SEEN_REFRESH_MS {
            // Failing to refresh only shortens the session; never fail the request for it.
            let _ = self.0.insert(SEEN, now_ms);
        }
        // Cookies from before generations existed belong to the first one.
        let generation: i64 = self.0.get(GENERATION).ok().flatten().unwrap_or(0);
        Some(CurrentUser {
            account_id,
            email,
            generation,
        })
    }

    /// The session's CSRF token, created on first use (the login form needs one before sign-in).
    pub fn csrf_token(&self) -> String {
        if let Ok(Some(token)) = self.0.get::<String>(CSRF) {
            return token;
        }
        let token = random_token();
        let _ = self.0.insert(CSRF, &token);
        token
    }

    /// Whether `presented` is this session's CSRF token (constant-time comparison).
    pub fn csrf_matches(&self, presented: Option<&str>) -> bool {
        use subtle::ConstantTimeEq;
        match (self.0.get::<String>(CSRF).ok().flatten(), presented) {
            (Some(expected), Some(given)) => expected.as_bytes().ct_eq(given.as_bytes()).into(),
            _ => false,
        }
    }

    /// The session's id, set at login: Log out ends it for every copy of the cookie
    /// (`auth::ended_sessions`).
    pub fn session_id(&self) -> Option<String> {
        self.0.get(SESSION_ID).ok().flatten()
    }

    /// Moves this session to the account's new generation (after its own password change), so that it
    /// stays signed in while every other session ends.
    pub fn set_generation(&self, generation: i64) -> Result<(), actix_session::SessionInsertError> {
        self.0.insert(GENERATION, generation)
    }

    pub fn last_project(&self) -> Option<String> {
        self.0.get(LAST_PROJECT).ok().flatten()
    }

    pub fn remember_project(&self, project_id: &str) {
        if self.last_project().as_deref() != Some(project_id) {
            let _ = self.0.insert(LAST_PROJECT, project_id);
        }
    }
}

impl FromRequest for TypedSession {
    type Error = actix_web::Error;
    type Future = Ready<Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, _payload: &mut Payload) -> Self::Future {
        ready(Ok(TypedSession(req.get_session())))
    }
}

//! The console: server-rendered pages that htmx makes partial, each working without JavaScript too.

pub mod assets;
pub mod audit;
pub mod error;
pub mod format;
pub mod health;
pub mod login;
pub mod middleware;
pub mod projects;
pub mod render;
pub mod token_actions;
pub mod token_triage;
pub mod tokens;

use crate::auth::{CurrentUser, TypedSession};
use crate::db::projects::ProjectAccess;
use crate::startup::AppState;
use actix_web::dev::Payload;
use actix_web::{web, FromRequest, HttpRequest};
use error::HtmlError;
use std::future::Future;
use std::net::{IpAddr, Ipv4Addr};
use std::pin::Pin;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/", web::get().to(projects::home))
        .route("/login", web::get().to(login::form))
        .route("/login", web::post().to(login::submit))
        .route("/logout", web::post().to(login::logout))
        .route("/projects", web::get().to(projects::list))
        .route("/projects/go", web::get().to(projects::go))
        .route("/projects/{project_id}/tokens", web::get().to(tokens::list))
        .route(
            "/projects/{project_id}/tokens",
            web::post().to(tokens::create),
        )
        .route(
            "/projects/{project_id}/tokens/new",
            web::get().to(tokens::new_form),
        )
        .route(
            "/projects/{project_id}/tokens/find",
            web::get().to(token_triage::find_form),
        )
        .route(
            "/projects/{project_id}/tokens/find",
            web::post().to(token_triage::find),
        )
        .route(
            "/projects/{project_id}/tokens/{token_id}",
            web::delete().to(tokens::delete),
        )
        .route(
            "/projects/{project_id}/tokens/{token_id}/delete",
            web::get().to(tokens::confirm_delete),
        )
        .route(
            "/projects/{project_id}/tokens/{token_id}/delete",
            web::post().to(tokens::delete_form),
        )
        .route("/projects/{project_id}/audit", web::get().to(audit::page))
        .route(
            "/projects/{project_id}/tokens/{token_id}/renew",
            web::get().to(token_actions::confirm_renew),
        )
        .route(
            "/projects/{project_id}/tokens/{token_id}/renew",
            web::post().to(token_actions::renew),
        )
        .route(
            "/projects/{project_id}/tokens/{token_id}/description",
            web::get().to(token_actions::edit_description),
        )
        .route(
            "/projects/{project_id}/tokens/{token_id}/description",
            web::post().to(token_actions::save_description),
        )
        .route(
            "/projects/{project_id}/tokens/{token_id}/row",
            web::get().to(token_actions::row),
        )
        .route("/healthz", web::get().to(health::healthz))
        .route("/livez", web::get().to(health::livez))
        .route("/favicon.ico", web::get().to(assets::favicon))
        .route("/static/{name}", web::get().to(assets::serve));
}

/// The client's address as the socket sees it (proxies' headers are not trusted for rate limits).
pub fn client_ip(req: &HttpRequest) -> IpAddr {
    req.peer_addr()
        .map(|a| a.ip())
        .unwrap_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED))
}

pub fn is_htmx(req: &HttpRequest) -> bool {
    req.headers().contains_key("HX-Request")
}

/// A console request from a signed-in account; anything else is sent to the login page.
pub struct SignedIn {
    pub user: CurrentUser,
    pub session: TypedSession,
    pub htmx: bool,
}

impl SignedIn {
    /// Refuses a state-changing request that does not carry the session's CSRF token.
    pub fn require_csrf(
        &self,
        req: &HttpRequest,
        form_field: Option<&str>,
    ) -> Result<(), HtmlError> {
        if crate::auth::csrf::is_valid(req, &self.session, form_field) {
            Ok(())
        } else {
            Err(HtmlError::Csrf)
        }
    }

    pub fn csrf_token(&self) -> String {
        self.session.csrf_token()
    }

    /// This account as the actor of a change: creator, issuer and audit-log name.
    pub fn actor(&self, req: &HttpRequest) -> crate::service::Actor {
        crate::service::Actor {
            account_id: Some(self.user.account_id.clone()),
            name: self.user.email.clone(),
            issuer_email: self.user.email.clone(),
            client_ip: Some(client_ip(req).to_string()),
        }
    }
}

impl FromRequest for SignedIn {
    type Error = HtmlError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, Self::Error>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let session = TypedSession::from_request(req, payload).into_inner();
        let htmx = is_htmx(req);
        let state = req.app_data::<web::Data<AppState>>().cloned();
        Box::pin(async move {
            let session = session.map_err(|_| HtmlError::LoginRequired { htmx })?;
            let state = state.ok_or(HtmlError::LoginRequired { htmx })?;
            let user = signed_in_user(&state, &session).ok_or(HtmlError::LoginRequired { htmx })?;
            Ok(SignedIn {
                user,
                session,
                htmx,
            })
        })
    }
}

/// The account `session` is signed in as, unless the session is past its inactivity limit or was
/// ended by Log out (perhaps in another browser holding a copy of the cookie).
pub fn signed_in_user(state: &AppState, session: &TypedSession) -> Option<CurrentUser> {
    let now = state.clock.now_ms();
    let user = session.user(now)?;
    if session
        .session_id()
        .is_some_and(|sid| state.ended_sessions.is_ended(&sid, now))
    {
        session.log_out();
        return None;
    }
    Some(user)
}

/// A link in the project switcher.
#[derive(Debug, Clone)]
pub struct ProjectLink {
    pub id: String,
    pub name: String,
}

/// What the shared layout (`base.html`) shows: page title, CSRF token, the signed-in account and its projects.
#[derive(Debug, Clone, Default)]
pub struct Layout {
    pub title: String,
    pub csrf: String,
    pub email: Option<String>,
    pub projects: Vec<ProjectLink>,
    pub current_project: Option<ProjectLink>,
}

impl Layout {
    pub fn signed_in(
        title: String,
        who: &SignedIn,
        projects: &[ProjectAccess],
        current: Option<&ProjectAccess>,
    ) -> Self {
        let link = |p: &ProjectAccess| ProjectLink {
            id: p.project.id.clone(),
            name: p.project.name.clone(),
        };
        Layout {
            title,
            csrf: who.csrf_token(),
            email: Some(who.user.email.clone()),
            projects: projects.iter().map(link).collect(),
            current_project: current.map(link),
        }
    }

    pub fn is_current(&self, project_id: &str) -> bool {
        self.current_project
            .as_ref()
            .is_some_and(|p| p.id == project_id)
    }
}

/// The account's projects and its access to `project_id`; 404 when it is not a member (never 403).
pub async fn project_access(
    state: &web::Data<AppState>,
    who: &SignedIn,
    project_id: &str,
) -> Result<(Vec<ProjectAccess>, ProjectAccess), HtmlError> {
    let pool = state.pool.clone();
    let account_id = who.user.account_id.clone();
    let projects = web::block(move || -> Result<_, crate::error::AppError> {
        let mut conn = pool.get()?;
        Ok(crate::db::projects::for_account(&mut conn, &account_id)?)
    })
    .await??;
    let current = projects
        .iter()
        .find(|p| p.project.id == project_id)
        .cloned()
        .ok_or(HtmlError::NotFound)?;
    Ok((projects, current))
}

//! The console: server-rendered pages that htmx makes partial, each working without JavaScript too.

pub mod account;
pub mod assets;
pub mod audit;
pub mod error;
pub mod format;
pub mod health;
pub mod invitations;
pub mod login;
pub mod members;
pub mod middleware;
pub mod pager;
pub mod projects;
pub mod render;
pub mod tokens;

use crate::auth::{client_ip, CurrentUser, TypedSession};
use crate::db::projects::ProjectAccess;
use crate::db::tokens::TokenRecord;
use crate::service::{self, Actor};
use crate::state::AppState;
use actix_web::dev::Payload;
use actix_web::{web, FromRequest, HttpRequest};
use error::HtmlError;
use std::future::Future;
use std::pin::Pin;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/", web::get().to(projects::home))
        .route("/login", web::get().to(login::form))
        .route("/login", web::post().to(login::submit))
        .route("/logout", web::post().to(login::logout))
        .configure(account::routes)
        .configure(invitations::routes)
        .route("/projects", web::get().to(projects::list))
        .route("/projects", web::post().to(projects::create))
        .route("/projects/go", web::get().to(projects::go))
        .configure(tokens::routes)
        .route("/projects/{project_id}/audit", web::get().to(audit::page))
        .configure(members::routes)
        .route("/healthz", web::get().to(health::healthz))
        .route("/livez", web::get().to(health::livez))
        .route("/favicon.ico", web::get().to(assets::favicon))
        .route("/static/{name}", web::get().to(assets::serve))
        // Any other path (the API's scope answers its own in JSON): the styled Not found page.
        .default_service(web::to(not_found));
}

async fn not_found() -> Result<actix_web::HttpResponse, HtmlError> {
    Err(HtmlError::NotFound)
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
            let user = signed_in_user(&state, &session)
                .await?
                .ok_or(HtmlError::LoginRequired { htmx })?;
            Ok(SignedIn {
                user,
                session,
                htmx,
            })
        })
    }
}

/// The account `session` is signed in as, unless the session is past its inactivity limit, was ended by
/// Log out (perhaps in another browser holding a copy of the cookie, perhaps through another instance) or
/// predates the account's last password change. The last two are read on the blocking pool.
pub async fn signed_in_user(
    state: &AppState,
    session: &TypedSession,
) -> Result<Option<CurrentUser>, HtmlError> {
    let Some(user) = session.user(state.clock.now()) else {
        return Ok(None);
    };
    let (checked, sid) = (user.clone(), session.session_id());
    let holds = crate::service::blocking(&state.accounts, move |accounts| {
        accounts.session_holds(&checked, sid.as_deref())
    })
    .await?;
    if !holds {
        session.log_out();
        return Ok(None);
    }
    Ok(Some(user))
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
    /// Which page of the project's navigation (Tokens, Members) this is: `tokens` or `members`.
    pub section: &'static str,
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
            section: "tokens",
        }
    }

    pub fn is_current(&self, project_id: &str) -> bool {
        self.current_project
            .as_ref()
            .is_some_and(|p| p.id == project_id)
    }
}

/// The opening of every handler on one project: the signed-in account, its projects (for the switcher) and
/// its access to this one. Opening it answers 404 when the account is not a member (never 403).
pub struct ProjectPage {
    pub who: SignedIn,
    pub projects: Vec<ProjectAccess>,
    pub access: ProjectAccess,
}

impl ProjectPage {
    pub async fn open(
        state: &AppState,
        who: SignedIn,
        project_id: &str,
    ) -> Result<Self, HtmlError> {
        let projects = account_projects(state, &who).await?;
        let access = projects
            .iter()
            .find(|p| p.project.id == project_id)
            .cloned()
            .ok_or(HtmlError::NotFound)?;
        Ok(ProjectPage {
            who,
            projects,
            access,
        })
    }

    /// `open`, for a state-changing request: refused first unless it carries the session's CSRF token.
    pub async fn open_for_change(
        state: &AppState,
        req: &HttpRequest,
        who: SignedIn,
        project_id: &str,
        csrf_field: Option<&str>,
    ) -> Result<Self, HtmlError> {
        who.require_csrf(req, csrf_field)?;
        Self::open(state, who, project_id).await
    }

    pub fn id(&self) -> &str {
        &self.access.project.id
    }

    pub fn name(&self) -> &str {
        &self.access.project.name
    }

    /// The layout of a page of this project titled `title · project name`.
    pub fn layout(&self, title: &str) -> Layout {
        Layout::signed_in(
            format!("{title} · {}", self.name()),
            &self.who,
            &self.projects,
            Some(&self.access),
        )
    }

    /// The layout of a page of the project's Members section.
    pub fn members_layout(&self, title: &str) -> Layout {
        Layout {
            section: "members",
            ..self.layout(title)
        }
    }

    /// This account, with its role here, as the actor of a change from `req`.
    pub fn actor(&self, req: &HttpRequest) -> Actor {
        let user = &self.who.user;
        Actor::member(
            &user.account_id,
            &user.email,
            self.access.role,
            Some(client_ip(req)),
        )
    }

    /// The active token `token_id` of this project, if this account may delete, renew or describe it
    /// (SPEC §4: 403 otherwise, 404 when there is none).
    pub async fn manageable_token(
        &self,
        state: &AppState,
        token_id: &str,
    ) -> Result<TokenRecord, HtmlError> {
        let (project_id, token_id) = (self.id().to_owned(), token_id.to_owned());
        let actor = Actor::member(
            &self.who.user.account_id,
            &self.who.user.email,
            self.access.role,
            None,
        );
        Ok(service::blocking(&state.tokens, move |tokens| {
            tokens.manageable(&project_id, &token_id, &actor)
        })
        .await?)
    }
}

/// The signed-in account's projects, with its role in each.
pub async fn account_projects(
    state: &AppState,
    who: &SignedIn,
) -> Result<Vec<ProjectAccess>, HtmlError> {
    let account_id = who.user.account_id.clone();
    Ok(service::blocking(&state.projects, move |projects| {
        projects.for_account(&account_id)
    })
    .await?)
}

/// A form whose only field is the CSRF token (Log out, Renew, the no-JS Delete).
#[derive(serde::Deserialize)]
pub struct CsrfForm {
    pub csrf_token: Option<String>,
}

/// A request on one token of a project (`/projects/{project_id}/tokens/{token_id}/…`), opened as every
/// such handler begins: signed in, a member of the project (404 otherwise), the token's id from the path.
pub struct TokenRoute {
    pub page: ProjectPage,
    pub token_id: String,
}

/// A `TokenRoute` that changes state: refused with 403 first unless it carries the session's CSRF token,
/// in the `X-CSRF-Token` header (htmx) or the body's `csrf_token` field (a plain form, whose body holds
/// nothing else).
pub struct TokenChange(pub TokenRoute);

/// A future that gives the CSRF token a request presented in its body, if any.
type PresentedCsrf = Pin<Box<dyn Future<Output = Result<Option<String>, actix_web::Error>>>>;

impl TokenRoute {
    async fn open(
        req: HttpRequest,
        who: Pin<Box<dyn Future<Output = Result<SignedIn, HtmlError>>>>,
        csrf: Option<PresentedCsrf>,
    ) -> Result<Self, actix_web::Error> {
        let who = who.await?;
        if let Some(csrf) = csrf {
            who.require_csrf(&req, csrf.await?.as_deref())?;
        }
        let state = req
            .app_data::<web::Data<AppState>>()
            .ok_or(HtmlError::LoginRequired { htmx: who.htmx })?;
        let param = |name| req.match_info().get(name).unwrap_or_default().to_owned();
        let (project_id, token_id) = (param("project_id"), param("token_id"));
        let page = ProjectPage::open(state, who, &project_id).await?;
        Ok(TokenRoute { page, token_id })
    }
}

impl FromRequest for TokenRoute {
    type Error = actix_web::Error;
    type Future = Pin<Box<dyn Future<Output = Result<Self, Self::Error>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let who = SignedIn::from_request(req, payload);
        Box::pin(TokenRoute::open(req.clone(), who, None))
    }
}

impl FromRequest for TokenChange {
    type Error = actix_web::Error;
    type Future = Pin<Box<dyn Future<Output = Result<Self, Self::Error>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let who = SignedIn::from_request(req, payload);
        // With the header the body is not needed (`hx-delete` sends none, so a DELETE never has one to
        // read); otherwise a plain form's body is read, and a body that is no form is refused as actix
        // refuses it, before the CSRF check.
        let form = (!req.headers().contains_key(crate::auth::csrf::HEADER)
            && req.method() != actix_web::http::Method::DELETE)
            .then(|| web::Form::<CsrfForm>::from_request(req, payload));
        let csrf: PresentedCsrf = Box::pin(async move {
            match form {
                Some(form) => Ok(form.await?.into_inner().csrf_token),
                None => Ok(None),
            }
        });
        let req = req.clone();
        Box::pin(async move { Ok(TokenChange(TokenRoute::open(req, who, Some(csrf)).await?)) })
    }
}

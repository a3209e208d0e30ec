//! The invitee's page (SPEC §11): `/invitations/{value}` shows the project, the role and who invited, and
//! accepts with a new account (Name, Password, Confirm password) or, when the email has an account by now,
//! that account's password; then the invitee is signed in on the project's Tokens page. The value sits in
//! the URL (the link is what is handed over): the page is never cached and the request log writes the path
//! as `/invitations/…`.

use crate::auth::{client_ip, TypedSession};
use crate::domain::DisplayName;
use crate::error::AppError;
use crate::service::accounts::NewPassword;
use crate::service::invitations::{Acceptance, Opened};
use crate::service::{self};
use crate::state::AppState;
use crate::web::error::HtmlError;
use crate::web::login::too_many_attempts_message;
use crate::web::tokens::tokens_url;
use crate::web::{render, Layout};
use actix_web::http::{header, StatusCode};
use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;
use secrecy::SecretString;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/invitations/{value}", web::get().to(page))
        .route("/invitations/{value}", web::post().to(accept));
}

#[derive(Template)]
#[template(path = "invitation.html")]
struct InvitationPage {
    layout: Layout,
    action: String,
    project_name: String,
    email: String,
    role_label: &'static str,
    invited_by: String,
    has_account: bool,
    name: String,
    name_error: Option<String>,
    password_error: Option<String>,
    error: Option<String>,
}

/// What the page says besides the invitation itself.
#[derive(Default)]
struct Said {
    name: String,
    name_error: Option<String>,
    password_error: Option<String>,
    error: Option<String>,
}

fn render_page(
    session: &TypedSession,
    value: &str,
    opened: Opened,
    said: Said,
    status: StatusCode,
) -> HttpResponse {
    let invitation = opened.invitation;
    let page = InvitationPage {
        layout: Layout {
            title: format!("Join project {}", opened.project_name),
            csrf: session.csrf_token(),
            ..Layout::default()
        },
        action: format!("/invitations/{value}"),
        project_name: opened.project_name,
        email: invitation.email,
        role_label: invitation.role.label(),
        invited_by: invitation.invited_by,
        has_account: opened.has_account,
        name: said.name,
        name_error: said.name_error,
        password_error: said.password_error,
        error: said.error,
    };
    render::secret_page_with_status(status, &page)
}

/// Invalid, used, revoked and expired invitations all answer this (never which).
fn gone() -> HtmlError {
    HtmlError::InvitationInvalid
}

async fn open(state: &AppState, value: &str) -> Result<Opened, HtmlError> {
    let value = value.to_owned();
    match service::blocking(&state.invitations, move |inv| inv.open(&value)).await {
        Ok(opened) => Ok(opened),
        Err(AppError::NotFound) => Err(gone()),
        Err(err) => Err(err.into()),
    }
}

/// `GET /invitations/{value}`.
async fn page(
    state: web::Data<AppState>,
    session: TypedSession,
    path: web::Path<String>,
) -> Result<HttpResponse, HtmlError> {
    let opened = open(&state, &path).await?;
    Ok(render_page(
        &session,
        &path,
        opened,
        Said::default(),
        StatusCode::OK,
    ))
}

#[derive(serde::Deserialize)]
struct AcceptFields {
    csrf_token: Option<String>,
    #[serde(default)]
    name: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    confirm_password: String,
}

/// `POST /invitations/{value}`: **Accept invitation**.
async fn accept(
    state: web::Data<AppState>,
    req: HttpRequest,
    session: TypedSession,
    path: web::Path<String>,
    fields: web::Form<AcceptFields>,
) -> Result<HttpResponse, HtmlError> {
    if !crate::auth::csrf::is_valid(&req, &session, fields.csrf_token.as_deref()) {
        return Err(HtmlError::Csrf);
    }
    let value = path.into_inner();
    let fields = fields.into_inner();
    let opened = open(&state, &value).await?;
    let ip = client_ip(&req);
    let refuse = |opened: Opened, said: Said, status: StatusCode| {
        Ok(render_page(&session, &value, opened, said, status))
    };
    let accepted = if opened.has_account {
        let password = SecretString::from(fields.password);
        state
            .invitations
            .accept_existing(value.clone(), password, ip)
            .await?
    } else {
        let mut said = Said {
            name: fields.name.trim().to_owned(),
            ..Said::default()
        };
        let name = DisplayName::parse(&fields.name)
            .map_err(|e| said.name_error = Some(e.to_string()))
            .ok();
        let confirm = SecretString::from(fields.confirm_password);
        let new = NewPassword::parse(SecretString::from(fields.password), &confirm)
            .map_err(|e| {
                said.password_error = Some(e.message().replace("new password", "password"))
            })
            .ok();
        let (Some(name), Some(new)) = (name, new) else {
            return refuse(opened, said, StatusCode::UNPROCESSABLE_ENTITY);
        };
        state
            .invitations
            .accept_new(value.clone(), name, new, ip)
            .await?
    };
    match accepted {
        Acceptance::Accepted { user, project_id } => {
            session.log_in(&user, state.clock.now()).map_err(|e| {
                HtmlError::Internal(AppError::Internal(anyhow::anyhow!("session: {e}")))
            })?;
            Ok(render::see_other(&tokens_url(&project_id)))
        }
        Acceptance::Gone => Err(gone()),
        Acceptance::PasswordNeeded { wrong } => {
            // Perhaps the account was made meanwhile: the page now asks for its password.
            let opened = open(&state, &value).await?;
            let said = Said {
                error: wrong.then(|| "Wrong password for this account.".to_owned()),
                ..Said::default()
            };
            refuse(opened, said, StatusCode::UNPROCESSABLE_ENTITY)
        }
        Acceptance::TooManyAttempts(wait) => {
            let said = Said {
                error: Some(too_many_attempts_message(wait)),
                ..Said::default()
            };
            let mut response = render_page(
                &session,
                &value,
                opened,
                said,
                StatusCode::TOO_MANY_REQUESTS,
            );
            response.headers_mut().insert(
                header::RETRY_AFTER,
                header::HeaderValue::from(wait.as_secs().max(1)),
            );
            Ok(response)
        }
    }
}

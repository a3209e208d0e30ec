//! Logging in and out: the form and its answers; the rules (limits, hashing, audit) are `service::accounts`'.

use crate::auth::{client_ip, TypedSession};
use crate::error::AppError;
use crate::service::{self, Login};
use crate::state::AppState;
use crate::web::error::HtmlError;
use crate::web::projects::home_url;
use crate::web::{render, CsrfForm, Layout, SignedIn};
use actix_web::http::{header, StatusCode};
use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;
use secrecy::SecretString;
use std::time::Duration;

#[derive(Template)]
#[template(path = "login.html")]
struct LoginPage {
    layout: Layout,
    email: String,
    error: Option<String>,
}

#[derive(serde::Deserialize)]
pub struct LoginForm {
    #[serde(default)]
    email: String,
    #[serde(default)]
    password: String,
    csrf_token: Option<String>,
}

fn login_page(session: &TypedSession, email: String, error: Option<String>) -> LoginPage {
    LoginPage {
        layout: Layout {
            title: "Log in".into(),
            csrf: session.csrf_token(),
            ..Layout::default()
        },
        email,
        error,
    }
}

pub async fn form(state: web::Data<AppState>, session: TypedSession) -> HttpResponse {
    if crate::web::signed_in_user(&state, &session)
        .await
        .is_ok_and(|user| user.is_some())
    {
        return render::see_other("/");
    }
    render::page(&login_page(&session, String::new(), None))
}

#[tracing::instrument(name = "login", skip_all)]
pub async fn submit(
    req: HttpRequest,
    state: web::Data<AppState>,
    session: TypedSession,
    form: web::Form<LoginForm>,
) -> Result<HttpResponse, HtmlError> {
    let LoginForm {
        email,
        password,
        csrf_token,
    } = form.into_inner();
    if !crate::auth::csrf::is_valid(&req, &session, csrf_token.as_deref()) {
        return Err(HtmlError::Csrf);
    }
    let password = SecretString::from(password);
    let login = state
        .accounts
        .log_in(&email, password, client_ip(&req))
        .await?;
    let email = email.trim().to_owned();
    Ok(match login {
        Login::SignedIn { user, projects } => {
            let home = home_url(&projects, session.last_project().as_deref());
            session.log_in(&user, state.clock.now()).map_err(|e| {
                HtmlError::Internal(AppError::Internal(anyhow::anyhow!("session: {e}")))
            })?;
            render::see_other(&home)
        }
        Login::Refused => render::page(&login_page(
            &session,
            email,
            Some("Invalid email or password".into()),
        )),
        Login::TooManyAttempts(wait) => too_many_attempts(&session, email, wait),
        Login::Busy => busy(&session, email),
    })
}

/// 503 with `Retry-After`: too many logins are waiting for a password check.
fn busy(session: &TypedSession, email: String) -> HttpResponse {
    let mut response = render::page_with_status(
        StatusCode::SERVICE_UNAVAILABLE,
        &login_page(session, email, Some(BUSY.into())),
    );
    response
        .headers_mut()
        .insert(header::RETRY_AFTER, header::HeaderValue::from_static("1"));
    response
}

/// What a login turned away for lack of room says.
pub const BUSY: &str = "Too many sign-ins at once. Try again in a moment.";

/// 429 with `Retry-After`, and the form again saying when to try.
/// What a refused password check says about the login limits (the login form, the Account page).
pub fn too_many_attempts_message(wait: Duration) -> String {
    let minutes = wait.as_secs().div_ceil(60);
    format!(
        "Too many failed attempts. Try again in {minutes} minute{}.",
        if minutes == 1 { "" } else { "s" }
    )
}

fn too_many_attempts(session: &TypedSession, email: String, wait: Duration) -> HttpResponse {
    let message = too_many_attempts_message(wait);
    let mut response = render::page_with_status(
        StatusCode::TOO_MANY_REQUESTS,
        &login_page(session, email, Some(message)),
    );
    response.headers_mut().insert(
        header::RETRY_AFTER,
        header::HeaderValue::from(wait.as_secs().max(1)),
    );
    response
}

pub async fn logout(
    req: HttpRequest,
    state: web::Data<AppState>,
    who: SignedIn,
    form: web::Form<CsrfForm>,
) -> Result<HttpResponse, HtmlError> {
    who.require_csrf(&req, form.csrf_token.as_deref())?;
    // Ended on the server too, so a copy of the cookie taken elsewhere stops working as well.
    if let Some(sid) = who.session.session_id() {
        service::blocking(&state.accounts, move |accounts| accounts.end_session(&sid)).await?;
    }
    who.session.log_out();
    Ok(render::see_other("/login"))
}

//! Logging in and out: argon2id on the blocking pool, failures limited before any hashing.

use crate::auth::{password, CurrentUser, TypedSession};
use crate::db::{self, audit::event, audit::NewAuditEvent};
use crate::error::AppError;
use crate::startup::AppState;
use crate::web::error::HtmlError;
use crate::web::{client_ip, render, Layout, SignedIn};
use actix_web::http::{header, StatusCode};
use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;
use secrecy::SecretString;
use std::time::Duration;

/// How long a refused login attempt waits for its 429 (see `submit`).
pub const REFUSED_ATTEMPT_PAUSE: Duration = Duration::from_secs(1);

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
    if crate::web::signed_in_user(&state, &session).is_some() {
        return render::see_other("/");
    }
    render::page(&login_page(&session, String::new(), None))
}

enum Outcome {
    /// Signed in; where to go (SPEC §5: the tokens page of the last or first project).
    Success(CurrentUser, String),
    Failure,
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
    let ip = client_ip(&req);
    let email = email.trim().to_owned();
    let attempt = match state.login_limiter.begin(ip, &email) {
        Ok(attempt) => attempt,
        Err(wait) => {
            // A client told to wait that keeps trying gets each refusal after a pause: a script hammering
            // the form drops to one attempt a second per connection instead of taking a share of the
            // core from everyone else, and the pause costs a timer, not a thread.
            actix_web::rt::time::sleep(REFUSED_ATTEMPT_PAUSE).await;
            return Ok(too_many_attempts(&session, email, wait));
        }
    };

    // A bounded number of admitted logins wait for hashing; beyond it, turned away now rather than queued.
    let Ok(waiting) = state.login_waiting.clone().try_acquire_owned() else {
        state.login_limiter.withdraw(attempt);
        return Ok(busy(&session, email));
    };
    // At most `PASSWORD_HASHES_AT_ONCE` hashes run at a time (each takes ~19 MiB and a core for ~30 ms);
    // the others wait here without holding a thread. The permit moves into the blocking task, so a client
    // that hangs up cannot free it before its hash is done.
    let permit = state
        .password_hashing
        .clone()
        .acquire_owned()
        .await
        .map_err(|e| HtmlError::Internal(AppError::Internal(e.into())))?;
    let pool = state.pool.clone();
    let now = state.clock.now_ms();
    let password = SecretString::from(password);
    let typed_email = email.clone();
    let last_project = session.last_project();
    let outcome = web::block(move || -> Result<Outcome, AppError> {
        // Over-long or malformed emails are checked like unknown ones, so timing says nothing.
        let account = match crate::domain::Email::parse(&typed_email) {
            Ok(email) => db::accounts::find_by_email(&mut *pool.get()?, email.as_str())?,
            Err(_) => None,
        };
        // No pooled connection is held while hashing: verification's cache misses and page views keep them.
        let ok = password::verify(
            &password,
            account.as_ref().map(|a| a.password_hash.as_str()),
        );
        drop(permit);
        drop(waiting);
        let ip = ip.to_string();
        let event = NewAuditEvent {
            account_id: account.as_ref().map(|a| a.id.as_str()),
            event: if ok {
                event::LOGIN_SUCCEEDED
            } else {
                event::LOGIN_FAILED
            },
            actor: account
                .as_ref()
                .map_or(typed_email.as_str(), |a| a.email.as_str()),
            client_ip: Some(&ip),
            created_at: now,
            ..NewAuditEvent::default()
        };
        // Failed attempts for unknown emails belong to no project and no account: not recorded.
        if account.is_some() {
            db::pool::immediate(&mut *pool.get()?, |conn| db::audit::record(conn, &event))?;
        }
        Ok(match account {
            Some(a) if ok => {
                let projects = db::projects::for_account(&mut *pool.get()?, &a.id)?;
                Outcome::Success(
                    CurrentUser {
                        account_id: a.id,
                        email: a.email,
                    },
                    crate::web::projects::home_url(&projects, last_project.as_deref()),
                )
            }
            _ => Outcome::Failure,
        })
    })
    .await??;

    match outcome {
        // The attempt was counted as a failure when it was admitted.
        Outcome::Failure => Ok(render::page(&login_page(
            &session,
            email,
            Some("Invalid email or password".into()),
        ))),
        Outcome::Success(user, home) => {
            state.login_limiter.succeeded(attempt);
            session.log_in(&user, now).map_err(|e| {
                HtmlError::Internal(AppError::Internal(anyhow::anyhow!("session: {e}")))
            })?;
            Ok(render::see_other(&home))
        }
    }
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
fn too_many_attempts(session: &TypedSession, email: String, wait: Duration) -> HttpResponse {
    let minutes = wait.as_secs().div_ceil(60);
    let message = format!(
        "Too many failed attempts. Try again in {minutes} minute{}.",
        if minutes == 1 { "" } else { "s" }
    );
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

#[derive(serde::Deserialize)]
pub struct LogoutForm {
    csrf_token: Option<String>,
}

pub async fn logout(
    req: HttpRequest,
    state: web::Data<AppState>,
    who: SignedIn,
    form: web::Form<LogoutForm>,
) -> Result<HttpResponse, HtmlError> {
    who.require_csrf(&req, form.csrf_token.as_deref())?;
    // Ended on the server too, so a copy of the cookie taken elsewhere stops working as well.
    if let Some(sid) = who.session.session_id() {
        let now = state.clock.now_ms();
        let state = state.clone();
        web::block(move || -> Result<(), AppError> {
            Ok(state
                .ended_sessions
                .end(&mut *state.pool.get()?, &sid, now)?)
        })
        .await??;
    }
    who.session.log_out();
    Ok(render::see_other("/login"))
}

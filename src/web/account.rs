//! The Account page (SPEC §11): the signed-in account's display name and password. Changing the password
//! ends every other session of the account at once; the one that changed it stays signed in.

use crate::auth::client_ip;
use crate::domain::DisplayName;
use crate::error::AppError;
use crate::service;
use crate::service::accounts::{NewPassword, PasswordChange};
use crate::state::AppState;
use crate::web::error::HtmlError;
use crate::web::login::too_many_attempts_message;
use crate::web::{account_projects, render, Layout, SignedIn};
use actix_web::http::{header, StatusCode};
use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;
use secrecy::SecretString;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/account", web::get().to(page))
        .route("/account/name", web::post().to(change_name))
        .route("/account/password", web::post().to(change_password));
}

/// What the page says and which field is wrong.
#[derive(Default)]
pub struct Messages {
    /// A confirmation at the top ("Your password was changed.").
    pub done: Option<&'static str>,
    pub name_error: Option<String>,
    pub current_error: Option<String>,
    pub new_error: Option<String>,
}

#[derive(Template)]
#[template(path = "account.html")]
struct AccountPage {
    layout: Layout,
    email: String,
    name: String,
    messages: Messages,
    min_chars: usize,
}

async fn render_page(
    state: &AppState,
    who: &SignedIn,
    name: Option<String>,
    messages: Messages,
    status: StatusCode,
) -> Result<HttpResponse, HtmlError> {
    let projects = account_projects(state, who).await?;
    let account_id = who.user.account_id.clone();
    let account =
        service::blocking(&state.accounts, move |accounts| accounts.get(&account_id)).await?;
    let page = AccountPage {
        layout: Layout::signed_in("Account".into(), who, &projects, None),
        email: account.email,
        name: name.unwrap_or(account.display_name),
        messages,
        min_chars: NewPassword::MIN_CHARS,
    };
    Ok(render::page_with_status(status, &page))
}

#[derive(serde::Deserialize)]
struct Done {
    changed: Option<String>,
}

/// `GET /account` (`?changed=name|password` after a change).
async fn page(
    state: web::Data<AppState>,
    who: SignedIn,
    query: web::Query<Done>,
) -> Result<HttpResponse, HtmlError> {
    let done = match query.changed.as_deref() {
        Some("name") => Some("Your name was changed."),
        Some("password") => {
            Some("Your password was changed. Every other session of your account has ended.")
        }
        _ => None,
    };
    let messages = Messages {
        done,
        ..Messages::default()
    };
    render_page(&state, &who, None, messages, StatusCode::OK).await
}

#[derive(serde::Deserialize)]
struct NameFields {
    csrf_token: Option<String>,
    #[serde(default)]
    name: String,
}

/// `POST /account/name`.
async fn change_name(
    state: web::Data<AppState>,
    req: HttpRequest,
    who: SignedIn,
    fields: web::Form<NameFields>,
) -> Result<HttpResponse, HtmlError> {
    who.require_csrf(&req, fields.csrf_token.as_deref())?;
    let name = match DisplayName::parse(&fields.name) {
        Ok(name) => name,
        Err(err) => {
            let messages = Messages {
                name_error: Some(err.to_string()),
                ..Messages::default()
            };
            let typed = Some(fields.name.clone());
            return render_page(
                &state,
                &who,
                typed,
                messages,
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await;
        }
    };
    let account_id = who.user.account_id.clone();
    service::blocking(&state.accounts, move |accounts| {
        accounts.change_name(&account_id, &name)
    })
    .await?;
    Ok(render::see_other("/account?changed=name"))
}

#[derive(serde::Deserialize)]
struct PasswordFields {
    csrf_token: Option<String>,
    #[serde(default)]
    current_password: String,
    #[serde(default)]
    new_password: String,
    #[serde(default)]
    confirm_password: String,
}

/// `POST /account/password`: current, new and confirmed new password.
async fn change_password(
    state: web::Data<AppState>,
    req: HttpRequest,
    who: SignedIn,
    fields: web::Form<PasswordFields>,
) -> Result<HttpResponse, HtmlError> {
    who.require_csrf(&req, fields.csrf_token.as_deref())?;
    let fields = fields.into_inner();
    let refuse = |messages: Messages, status: StatusCode| {
        let (state, who) = (&state, &who);
        async move { render_page(state, who, None, messages, status).await }
    };
    if fields.current_password.is_empty() {
        let messages = Messages {
            current_error: Some("Enter your current password.".into()),
            ..Messages::default()
        };
        return refuse(messages, StatusCode::UNPROCESSABLE_ENTITY).await;
    }
    let confirm = SecretString::from(fields.confirm_password);
    let new = match NewPassword::parse(SecretString::from(fields.new_password), &confirm) {
        Ok(new) => new,
        Err(err) => {
            let messages = Messages {
                new_error: Some(err.message().into()),
                ..Messages::default()
            };
            return refuse(messages, StatusCode::UNPROCESSABLE_ENTITY).await;
        }
    };
    let current = SecretString::from(fields.current_password);
    let changed = state
        .accounts
        .change_password(&who.user, current, new, client_ip(&req))
        .await?;
    match changed {
        PasswordChange::Changed { generation } => {
            who.session.set_generation(generation).map_err(|e| {
                HtmlError::Internal(AppError::Internal(anyhow::anyhow!("session: {e}")))
            })?;
            Ok(render::see_other("/account?changed=password"))
        }
        PasswordChange::WrongCurrent => {
            let messages = Messages {
                current_error: Some("This is not your current password.".into()),
                ..Messages::default()
            };
            refuse(messages, StatusCode::UNPROCESSABLE_ENTITY).await
        }
        PasswordChange::Unchanged => {
            let messages = Messages {
                new_error: Some("The new password must differ from the current one.".into()),
                ..Messages::default()
            };
            refuse(messages, StatusCode::UNPROCESSABLE_ENTITY).await
        }
        PasswordChange::TooManyAttempts(wait) => {
            let messages = Messages {
                current_error: Some(too_many_attempts_message(wait)),
                ..Messages::default()
            };
            let mut response = refuse(messages, StatusCode::TOO_MANY_REQUESTS).await?;
            response.headers_mut().insert(
                header::RETRY_AFTER,
                header::HeaderValue::from(wait.as_secs().max(1)),
            );
            Ok(response)
        }
    }
}

//! The console's error type: a styled page inside the layout (or a small fragment for htmx), never a cause chain.

use crate::error::AppError;
use crate::web::render;
use actix_web::http::{header, StatusCode};
use actix_web::{HttpResponse, ResponseError};
use askama::Template;

#[derive(Debug, thiserror::Error)]
pub enum HtmlError {
    /// Not signed in: redirect to the login page (htmx gets `HX-Redirect`, which it follows with a full load).
    #[error("login required")]
    LoginRequired { htmx: bool },
    #[error("not found")]
    NotFound,
    #[error("forbidden")]
    Forbidden,
    #[error("the request did not carry a valid CSRF token")]
    Csrf,
    #[error("changed by another request meanwhile")]
    ChangedMeanwhile,
    #[error("a project keeps at least one owner")]
    LastOwner,
    /// An invitation link that is malformed, unknown, used, revoked or expired (never which).
    #[error("invitation not valid")]
    InvitationInvalid,
    /// A form field holds something no form of the console sends: the one sentence to show.
    #[error("bad request: {0}")]
    BadRequest(&'static str),
    /// The database cannot be reached now (PostgreSQL down or restarting): 503, try again shortly.
    #[error("database unavailable")]
    Unavailable(#[source] AppError),
    #[error("internal error")]
    Internal(#[source] AppError),
}

impl From<AppError> for HtmlError {
    fn from(err: AppError) -> Self {
        match err {
            AppError::NotFound => HtmlError::NotFound,
            AppError::Forbidden => HtmlError::Forbidden,
            AppError::ChangedMeanwhile => HtmlError::ChangedMeanwhile,
            AppError::LastOwner => HtmlError::LastOwner,
            other if other.is_unavailable() => HtmlError::Unavailable(other),
            other => HtmlError::Internal(other),
        }
    }
}

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage<'a> {
    title: &'a str,
    message: &'a str,
}

#[derive(Template)]
#[template(path = "partials/error_dialog.html")]
struct ErrorDialog<'a> {
    title: &'a str,
    message: &'a str,
}

/// To the login page; htmx gets `HX-Redirect`, which it follows with a full page load.
fn login_redirect(htmx: bool) -> HttpResponse {
    if htmx {
        HttpResponse::Unauthorized()
            .insert_header(("HX-Redirect", "/login"))
            .finish()
    } else {
        HttpResponse::SeeOther()
            .insert_header((header::LOCATION, "/login"))
            .finish()
    }
}

impl HtmlError {
    /// What the user reads: a title and one sentence. `None` for a redirect to the login page.
    fn title_and_message(&self) -> Option<(&'static str, &'static str)> {
        Some(match self {
            HtmlError::LoginRequired { .. } => return None,
            HtmlError::NotFound => ("Not found", "There is nothing here, or you do not have access to it."),
            HtmlError::Forbidden => ("Not allowed", "Your role in this project does not allow this."),
            HtmlError::Csrf => (
                "Request refused",
                "This form has expired or did not come from this site. Reload the page and try again.",
            ),
            HtmlError::ChangedMeanwhile => (
                "Renewed meanwhile",
                "This token was renewed by another request at the same moment, so no new value is shown here. Renew it again to get a working value.",
            ),
            HtmlError::BadRequest(message) => ("Not understood", message),
            HtmlError::InvitationInvalid => (
                "Invitation not valid",
                "This invitation link does not work: it was used already, revoked or has expired. Ask the project's owner for a new one.",
            ),
            HtmlError::LastOwner => (
                "The last owner stays",
                "A project keeps at least one owner. Make another member an owner first; nothing was changed.",
            ),
            HtmlError::Unavailable(_) => (
                "Temporarily unavailable",
                "The console cannot reach its database right now. Nothing was changed; try again in a moment.",
            ),
            HtmlError::Internal(_) => {
                ("Something went wrong", "The request could not be completed. Try again in a moment.")
            }
        })
    }

    /// The answer to a failed htmx request: instead of a whole page swapped into whatever the request
    /// targeted, a dialog appended to `<body>` (`HX-Retarget`/`HX-Reswap`, which htmx 4 applies to any
    /// status) that also removes an open delete confirmation, since its action can no longer succeed.
    /// `None` where the normal answer already suits htmx (the login redirect).
    pub fn htmx_response(&self) -> Option<HttpResponse> {
        let (title, message) = self.title_and_message()?;
        let mut response =
            render::page_with_status(self.status_code(), &ErrorDialog { title, message });
        let headers = response.headers_mut();
        headers.insert(
            header::HeaderName::from_static("hx-retarget"),
            header::HeaderValue::from_static("body"),
        );
        headers.insert(
            header::HeaderName::from_static("hx-reswap"),
            header::HeaderValue::from_static("beforeend"),
        );
        Some(response)
    }
}

impl ResponseError for HtmlError {
    fn status_code(&self) -> StatusCode {
        match self {
            HtmlError::LoginRequired { .. } => StatusCode::SEE_OTHER,
            HtmlError::NotFound | HtmlError::InvitationInvalid => StatusCode::NOT_FOUND,
            HtmlError::BadRequest(_) => StatusCode::BAD_REQUEST,
            HtmlError::Forbidden | HtmlError::Csrf => StatusCode::FORBIDDEN,
            HtmlError::ChangedMeanwhile | HtmlError::LastOwner => StatusCode::CONFLICT,
            HtmlError::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            HtmlError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// The full error page. htmx requests get `htmx_response` instead, swapped in by
    /// `web::middleware::htmx_errors`, which knows the request.
    fn error_response(&self) -> HttpResponse {
        match self {
            HtmlError::Internal(cause) => tracing::error!(error = ?cause, "request failed"),
            HtmlError::Unavailable(cause) => tracing::warn!(error = %cause, "database unavailable"),
            _ => {}
        }
        match self.title_and_message() {
            Some((title, message)) => {
                render::page_with_status(self.status_code(), &ErrorPage { title, message })
            }
            None => login_redirect(matches!(self, HtmlError::LoginRequired { htmx: true })),
        }
    }
}

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
    #[error("internal error")]
    Internal(#[source] AppError),
}

impl From<AppError> for HtmlError {
    fn from(err: AppError) -> Self {
        match err {
            AppError::NotFound => HtmlError::NotFound,
            AppError::Forbidden => HtmlError::Forbidden,
            other => HtmlError::Internal(other),
        }
    }
}

impl From<actix_web::error::BlockingError> for HtmlError {
    fn from(err: actix_web::error::BlockingError) -> Self {
        HtmlError::Internal(AppError::Internal(anyhow::anyhow!(
            "blocking task failed: {err}"
        )))
    }
}

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage<'a> {
    title: &'a str,
    message: &'a str,
}

impl ResponseError for HtmlError {
    fn status_code(&self) -> StatusCode {
        match self {
            HtmlError::LoginRequired { .. } => StatusCode::SEE_OTHER,
            HtmlError::NotFound => StatusCode::NOT_FOUND,
            HtmlError::Forbidden | HtmlError::Csrf => StatusCode::FORBIDDEN,
            HtmlError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn error_response(&self) -> HttpResponse {
        let (title, message) = match self {
            HtmlError::LoginRequired { htmx: true } => {
                return HttpResponse::Unauthorized()
                    .insert_header(("HX-Redirect", "/login"))
                    .finish();
            }
            HtmlError::LoginRequired { htmx: false } => {
                return HttpResponse::SeeOther()
                    .insert_header((header::LOCATION, "/login"))
                    .finish();
            }
            HtmlError::NotFound => ("Not found", "There is nothing here, or you do not have access to it."),
            HtmlError::Forbidden => ("Not allowed", "Your role in this project does not allow this."),
            HtmlError::Csrf => (
                "Request refused",
                "This form has expired or did not come from this site. Reload the page and try again.",
            ),
            HtmlError::Internal(cause) => {
                tracing::error!(error = ?cause, "request failed");
                ("Something went wrong", "The request could not be completed. Try again in a moment.")
            }
        };
        render::page_with_status(self.status_code(), &ErrorPage { title, message })
    }
}

//! The API's error type: SPEC §6's `{"status", "errorCode", "errorParams": {"field"}}` for every failure.

use crate::domain::roles::SCOPE_MANAGE;
use crate::error::AppError;
use actix_web::http::{header, StatusCode};
use actix_web::{HttpResponse, ResponseError};
use serde::Serialize;
use std::borrow::Cow;
use utoipa::ToSchema;

/// `field` of an unknown, deleted or bad-checksum token.
pub const UNAUTHORIZED: &str = "Unauthorized";
/// `field` of an expired token.
pub const FORBIDDEN: &str = "Forbidden";
pub const ALREADY_USED: &str = "register token already used";
/// `field` of the later of two simultaneous renewals of one token.
pub const RENEWED_MEANWHILE: &str =
    "token: was renewed by another request at the same moment; renew again to get a working value";

/// Largest JSON body accepted.
pub const BODY_LIMIT: usize = 64 * 1024;

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("unauthorized: {0}")]
    Unauthorized(Cow<'static, str>),
    #[error("forbidden: {0}")]
    Forbidden(Cow<'static, str>),
    #[error("bad request: {0}")]
    BadRequest(String),
    #[error("not found: {0}")]
    NotFound(&'static str),
    /// A known path with another method; carries the methods it allows.
    #[error("method not allowed")]
    MethodNotAllowed { allow: &'static str },
    #[error("conflict: {0}")]
    Conflict(&'static str),
    #[error("payload too large")]
    PayloadTooLarge,
    /// Over a per-client limit; `field` names what was limited, `retry_after` goes to `Retry-After`.
    #[error("too many requests")]
    TooManyRequests {
        field: &'static str,
        retry_after: std::time::Duration,
    },
    /// The database cannot be reached now: 503, and the same call may succeed in a moment.
    #[error("service unavailable")]
    Unavailable(#[source] AppError),
    #[error("internal error")]
    Internal(#[source] AppError),
}

impl ApiError {
    pub fn unauthorized() -> Self {
        ApiError::Unauthorized(Cow::Borrowed(UNAUTHORIZED))
    }

    pub fn expired() -> Self {
        ApiError::Forbidden(Cow::Borrowed(FORBIDDEN))
    }

    pub fn missing_scope(scope: &str) -> Self {
        ApiError::Forbidden(Cow::Owned(format!(
            "token does not contain the following scopes: ['{scope}']"
        )))
    }

    pub fn missing_manage_scope() -> Self {
        Self::missing_scope(SCOPE_MANAGE)
    }

    pub fn bad_request(field: &str, why: impl std::fmt::Display) -> Self {
        ApiError::BadRequest(format!("{field}: {why}"))
    }

    fn error_code(&self) -> &'static str {
        match self {
            ApiError::Unauthorized(_) => "UnauthorizedException",
            ApiError::Forbidden(_) => "ForbiddenException",
            ApiError::BadRequest(_) => "BadRequestException",
            ApiError::NotFound(_) => "NotFoundException",
            ApiError::MethodNotAllowed { .. } => "MethodNotAllowedException",
            ApiError::Conflict(_) => "ConflictException",
            ApiError::PayloadTooLarge => "PayloadTooLargeException",
            ApiError::TooManyRequests { .. } => "TooManyRequestsException",
            ApiError::Unavailable(_) => "ServiceUnavailableException",
            ApiError::Internal(_) => "InternalServerErrorException",
        }
    }

    fn field(&self) -> &str {
        match self {
            ApiError::Unauthorized(field) | ApiError::Forbidden(field) => field,
            ApiError::BadRequest(field) => field,
            ApiError::NotFound(field) | ApiError::Conflict(field) => field,
            ApiError::MethodNotAllowed { .. } => "method",
            ApiError::PayloadTooLarge => "body",
            ApiError::TooManyRequests { field, .. } => field,
            ApiError::Unavailable(_) => "database unavailable",
            ApiError::Internal(_) => "internal error",
        }
    }
}

/// The body of every error answer.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
#[schema(example = json!({
    "status": 403,
    "errorCode": "ForbiddenException",
    "errorParams": {"field": "token does not contain the following scopes: ['ml-platform:Manage']"}
}))]
pub struct ErrorBody<'a> {
    /// The HTTP status, repeated.
    pub status: u16,
    /// The exception the client library raises: `UnauthorizedException`, `ForbiddenException`,
    /// `BadRequestException`, `NotFoundException`, `ConflictException`, `PayloadTooLargeException`,
    /// `MethodNotAllowedException`, `TooManyRequestsException`, `InternalServerErrorException` or
    /// `ServiceUnavailableException` (the database is unreachable for a moment; try again).
    pub error_code: &'a str,
    pub error_params: ErrorParams<'a>,
}

/// The refusal every call made with a bearer token may get (documented once, for each such call).
#[derive(utoipa::IntoResponses)]
#[response(status = 401, description = "No, malformed or unknown token")]
pub struct Unauthenticated(#[allow(dead_code)] ErrorBody<'static>);

/// The answer any call may get while the database is unreachable (documented once, for each call).
#[derive(utoipa::IntoResponses)]
#[response(
    status = 503,
    description = "The database is unreachable for a moment (`ServiceUnavailableException`, `field`: \
        `database unavailable`); nothing was changed, try again after `Retry-After` seconds",
    headers(("Retry-After" = u64, description = "Seconds to wait before trying again"))
)]
pub struct Unavailable(#[allow(dead_code)] ErrorBody<'static>);

#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorParams<'a> {
    /// What is wrong: a field name and why, or a fixed word such as `Unauthorized` or `Forbidden`.
    pub field: &'a str,
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        match self {
            ApiError::Unauthorized(_) => StatusCode::UNAUTHORIZED,
            ApiError::Forbidden(_) => StatusCode::FORBIDDEN,
            ApiError::BadRequest(_) => StatusCode::BAD_REQUEST,
            ApiError::NotFound(_) => StatusCode::NOT_FOUND,
            ApiError::MethodNotAllowed { .. } => StatusCode::METHOD_NOT_ALLOWED,
            ApiError::Conflict(_) => StatusCode::CONFLICT,
            ApiError::PayloadTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            ApiError::TooManyRequests { .. } => StatusCode::TOO_MANY_REQUESTS,
            ApiError::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            ApiError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn error_response(&self) -> HttpResponse {
        match self {
            ApiError::Internal(cause) => tracing::error!(error = ?cause, "API request failed"),
            ApiError::Unavailable(cause) => tracing::warn!(error = %cause, "database unavailable"),
            _ => {}
        }
        let status = self.status_code();
        let body = ErrorBody {
            status: status.as_u16(),
            error_code: self.error_code(),
            error_params: ErrorParams {
                field: self.field(),
            },
        };
        let mut response = HttpResponse::build(status);
        match self {
            ApiError::Unauthorized(_) => {
                response.insert_header((header::WWW_AUTHENTICATE, "Bearer realm=\"mlp-console\""));
            }
            ApiError::MethodNotAllowed { allow } => {
                response.insert_header((header::ALLOW, *allow));
            }
            ApiError::Unavailable(_) => {
                response.insert_header((header::RETRY_AFTER, "5"));
            }
            ApiError::TooManyRequests { retry_after, .. } => {
                // Whole seconds, rounded up, so a client that waits exactly this long is let in.
                let secs = retry_after.as_millis().div_ceil(1000).max(1);
                response.insert_header((header::RETRY_AFTER, secs.to_string()));
            }
            _ => {}
        }
        match serde_json::to_vec(&body) {
            Ok(json) => response
                .insert_header((header::CONTENT_TYPE, "application/json"))
                .body(json),
            Err(_) => response.finish(),
        }
    }
}

impl From<AppError> for ApiError {
    fn from(err: AppError) -> Self {
        match err {
            // The API names tokens by name: the only thing it does not find is a token name.
            AppError::NotFound => ApiError::NotFound("token_name"),
            // A token's only permission is its role's scopes.
            AppError::Forbidden => ApiError::missing_manage_scope(),
            // The API's only unique name is a token's, which it calls `client_name`.
            AppError::Conflict { .. } => ApiError::Conflict("client_name"),
            AppError::UnknownCredential => ApiError::unauthorized(),
            AppError::Expired => ApiError::expired(),
            AppError::AlreadyUsed => ApiError::Forbidden(Cow::Borrowed(ALREADY_USED)),
            AppError::ChangedMeanwhile => ApiError::Conflict(RENEWED_MEANWHILE),
            other if other.is_unavailable() => ApiError::Unavailable(other),
            // The API changes no memberships.
            other @ (AppError::LastOwner | AppError::Db(_) | AppError::Internal(_)) => {
                ApiError::Internal(other)
            }
        }
    }
}

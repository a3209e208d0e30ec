//! The JSON API under `/api/v1` (SPEC §6), for the platform's client library and other programs.

pub mod bearer;
pub mod error;
pub mod json;
pub mod leaks;
pub mod openapi;
pub mod register;
pub mod tokens;

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{self, HeaderName, HeaderValue};
use actix_web::http::StatusCode;
use actix_web::middleware::{from_fn, Next};
use actix_web::{web, HttpMessage, HttpResponse};
use bearer::TokenExpiration;
use error::ApiError;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

pub const BASE: &str = "/api/v1";
pub const EXPIRATION_HEADER: &str = "mlp-token-expiration";

/// Mounts the API scope; every answer under it, including unknown routes and methods, is JSON.
pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::scope(BASE)
            .wrap(from_fn(expiration_header))
            .service(resource("/register-tokens", "POST").route(web::post().to(register::create)))
            .service(resource("/refresh-tokens", "POST").route(web::post().to(register::exchange)))
            // `GET /tokens/me` is who_am_i; a token named "me" is still updated and deleted through the same path.
            .service(
                resource("/tokens/me", "GET, PATCH, DELETE")
                    .route(web::get().to(tokens::who_am_i))
                    .route(web::patch().to(tokens::update_me))
                    .route(web::delete().to(tokens::delete_me)),
            )
            .service(resource("/tokens", "GET").route(web::get().to(tokens::list)))
            // Before `/tokens/{name}`, which would capture it; a token named "revoke-leaked" is still
            // deleted through the same path.
            .service(
                resource("/tokens/revoke-leaked", "POST, DELETE")
                    .route(web::post().to(leaks::revoke_leaked))
                    .route(web::delete().to(leaks::delete_named)),
            )
            .service(
                resource("/tokens/{name}", "PATCH, DELETE")
                    .route(web::patch().to(tokens::update))
                    .route(web::delete().to(tokens::delete)),
            )
            .service(resource("/tokens/{name}/renew", "POST").route(web::post().to(tokens::renew)))
            .service(resource("/openapi.json", "GET").route(web::get().to(openapi::serve)))
            .default_service(web::to(unknown_route)),
    );
}

fn resource(path: &str, allow: &'static str) -> actix_web::Resource {
    web::resource(path)
        .app_data(
            web::PathConfig::default().error_handler(|_, _| ApiError::NotFound("path").into()),
        )
        .default_service(web::to(move || async move {
            Err::<HttpResponse, _>(ApiError::MethodNotAllowed { allow })
        }))
}

async fn unknown_route() -> Result<HttpResponse, ApiError> {
    Err(ApiError::NotFound("path"))
}

/// Adds `MLP-Token-Expiration` to every answer to a request made with an expiring token.
async fn expiration_header(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let mut response = next.call(req).await?;
    let looked_up = response
        .request()
        .extensions()
        .get::<TokenExpiration>()
        .map(|expiration| expiration.0);
    let expiration = match looked_up {
        Some(at) => at,
        // The handler did not verify the token (an unknown route, a call that needs none): the answer
        // still says when it expires.
        None if response
            .request()
            .headers()
            .contains_key(header::AUTHORIZATION) =>
        {
            bearer::presented_expiry(response.request()).await
        }
        None => None,
    };
    if let Some(at) = expiration {
        if let Ok(value) = HeaderValue::from_str(&at.rfc3339()) {
            response
                .headers_mut()
                .insert(HeaderName::from_static(EXPIRATION_HEADER), value);
        }
    }
    Ok(response)
}

/// A JSON answer.
pub fn json<T: Serialize>(status: StatusCode, body: &T) -> Result<HttpResponse, ApiError> {
    let bytes = serde_json::to_vec(body)
        .map_err(|e| ApiError::Internal(crate::error::AppError::Internal(e.into())))?;
    Ok(HttpResponse::build(status)
        .insert_header((header::CONTENT_TYPE, "application/json"))
        .body(bytes))
}

/// A JSON answer carrying a secret value: never stored by a cache.
pub fn secret_json<T: Serialize>(status: StatusCode, body: &T) -> Result<HttpResponse, ApiError> {
    let mut response = json(status, body)?;
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    Ok(response)
}

/// The role of a token, spelled as the API spells it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "UPPERCASE")]
pub enum TokenType {
    User,
    Admin,
}

impl From<TokenType> for crate::domain::TokenRole {
    fn from(t: TokenType) -> Self {
        match t {
            TokenType::User => crate::domain::TokenRole::User,
            TokenType::Admin => crate::domain::TokenRole::Admin,
        }
    }
}

impl From<crate::domain::TokenRole> for TokenType {
    fn from(role: crate::domain::TokenRole) -> Self {
        match role {
            crate::domain::TokenRole::User => TokenType::User,
            crate::domain::TokenRole::Admin => TokenType::Admin,
        }
    }
}

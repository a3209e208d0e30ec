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
use actix_web::http::{Method, StatusCode};
use actix_web::middleware::{from_fn, Next};
use actix_web::{web, HttpMessage, HttpResponse};
use bearer::TokenExpiration;
use error::ApiError;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

pub const BASE: &str = "/api/v1";
pub const EXPIRATION_HEADER: &str = "mlp-token-expiration";

/// Mounts the API scope; every answer under it, including unknown routes and methods, is JSON.
///
/// `me` and `revoke-leaked` are never token names (`domain::names::RESERVED_NAMES`), so `/tokens/me` and
/// `/tokens/revoke-leaked` are only the routes below, and every `/tokens/{name}` route means a token.
/// Every route answers `HEAD` where it answers `GET`, and `OPTIONS` with `204` and its `Allow` list.
pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::scope(BASE)
            .wrap(from_fn(expiration_header))
            .service(
                resource("/register-tokens", "POST, OPTIONS")
                    .route(web::post().to(register::create)),
            )
            .service(
                resource("/refresh-tokens", "POST, OPTIONS")
                    .route(web::post().to(register::exchange)),
            )
            .service(readable(
                resource("/tokens/me", "GET, HEAD, OPTIONS"),
                web::to(tokens::who_am_i),
            ))
            .service(readable(
                resource("/tokens", "GET, HEAD, OPTIONS"),
                web::to(tokens::list),
            ))
            .service(
                resource("/tokens/revoke-leaked", "POST, OPTIONS")
                    .route(web::post().to(leaks::revoke_leaked)),
            )
            .service(
                resource("/tokens/{name}", "PATCH, DELETE, OPTIONS")
                    .route(web::patch().to(tokens::update))
                    .route(web::delete().to(tokens::delete)),
            )
            .service(
                resource("/tokens/{name}/renew", "POST, OPTIONS")
                    .route(web::post().to(tokens::renew)),
            )
            .service(readable(
                resource("/openapi.json", "GET, HEAD, OPTIONS"),
                web::to(openapi::serve),
            ))
            .default_service(web::to(unknown_route)),
    );
}

/// A resource whose methods are `allow` (as the `Allow` header lists them, `OPTIONS` included): `OPTIONS`
/// answers `204` with that list, a method not on it `405` with it.
fn resource(path: &str, allow: &'static str) -> actix_web::Resource {
    web::resource(path)
        .app_data(
            web::PathConfig::default().error_handler(|_, _| ApiError::NotFound("path").into()),
        )
        .route(web::method(Method::OPTIONS).to(move || async move {
            HttpResponse::NoContent()
                .insert_header((header::ALLOW, allow))
                .finish()
        }))
        .default_service(web::to(move || async move {
            Err::<HttpResponse, _>(ApiError::MethodNotAllowed { allow })
        }))
}

/// `GET` and `HEAD` to one handler; actix sends no body to a `HEAD`, with the headers a `GET` gets.
fn readable(resource: actix_web::Resource, handler: actix_web::Route) -> actix_web::Resource {
    resource.route(
        handler.guard(actix_web::guard::Any(actix_web::guard::Get()).or(actix_web::guard::Head())),
    )
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
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "UPPERCASE")]
pub enum TokenType {
    User,
    Admin,
}

/// A string, and only a string: serde's derived enum would also take `{"ADMIN": null}`, and would call a
/// number "not valid JSON" without naming the field.
impl<'de> Deserialize<'de> for TokenType {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Spelling;
        impl serde::de::Visitor<'_> for Spelling {
            type Value = TokenType;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("\"USER\" or \"ADMIN\"")
            }
            fn visit_str<E: serde::de::Error>(self, value: &str) -> Result<TokenType, E> {
                match value {
                    "USER" => Ok(TokenType::User),
                    "ADMIN" => Ok(TokenType::Admin),
                    other => Err(E::unknown_variant(other, &["USER", "ADMIN"])),
                }
            }
        }
        deserializer.deserialize_str(Spelling)
    }
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

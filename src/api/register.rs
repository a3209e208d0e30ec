//! Registration tokens: an `ADMIN` token makes a one-time secret, which a program exchanges once for an access token.

use crate::api::bearer::BearerToken;
use crate::api::error::{ApiError, ErrorBody, Unauthenticated, Unavailable};
use crate::api::json::{self, ApiJson};
use crate::api::{secret_json, TokenType};
use crate::auth::client_ip;
use crate::domain::duration::{MAX_ACCESS_TTL, MAX_REFRESH_TTL};
use crate::domain::roles::SCOPE_MANAGE;
use crate::domain::{LabelSelector, SecretKind, SecretValue, TokenName, Ttl};
use crate::service::registration::RegistrationSpec;
use crate::service::{self, Actor};
use crate::state::AppState;
use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// What the access token made by the exchange will be.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RegisterTokenRequest {
    /// The name of the access token the exchange makes: 1–100 characters, unique among the project's active
    /// tokens, not `me` or `revoke-leaked` (routes), starting and ending with a visible character; stored in NFC.
    #[schema(example = "spark-gateway")]
    pub client_name: String,
    /// Lifetime of the registration token: a duration like `2h45m30s`, `90m` or `1d` (units d, h, m, s), at most `720h`.
    #[schema(example = "1h")]
    pub access_ttl: String,
    /// Lifetime of the access token the exchange makes, at most `87600h`; absent or `null`: it never expires.
    #[serde(default)]
    #[schema(example = "30d")]
    pub refresh_ttl: Option<String>,
    pub token_type: TokenType,
    /// Fixes the access token the exchange makes to the jobs carrying this label, `NAME=VALUE` (Kubernetes
    /// label rules: NAME 1–63 of `A-Z a-z 0-9 . _ -` with an optional DNS-subdomain prefix and `/`, VALUE 0–63
    /// of the same); absent or `null`: unscoped. It cannot be changed afterwards.
    #[serde(default)]
    #[schema(example = "model=base")]
    pub label_selector: Option<String>,
}

/// A registration token, shown this once.
#[derive(Serialize, ToSchema)]
pub struct RegisterTokenResponse {
    /// The one-time secret (`mlprg_…`).
    pub register_token: String,
    pub client_name: String,
    pub token_type: TokenType,
    /// When the registration token stops working (RFC 3339, UTC).
    pub expires_at: String,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RefreshTokenRequest {
    /// A registration token (`mlprg_…`).
    pub register_token: String,
}

/// A new access token, shown this once.
#[derive(Serialize, ToSchema)]
pub struct RefreshTokenResponse {
    /// The access token (`mlpat_…`), for `Authorization: Bearer`.
    pub refresh_token: String,
    /// The token's id, as the console shows it.
    pub id: String,
    pub name: String,
    #[serde(rename = "type")]
    pub token_type: TokenType,
    /// When it stops working (RFC 3339, UTC); `null`: never.
    #[schema(required = true)]
    pub expires_at: Option<String>,
}

impl RefreshTokenResponse {
    /// The answer carrying `secret`, the value `token` has just been given (an exchange or a renewal).
    pub fn new(secret: &SecretValue, token: crate::db::tokens::TokenRecord) -> Self {
        RefreshTokenResponse {
            refresh_token: secret.expose().to_owned(),
            token_type: token.role.into(),
            expires_at: token.expires_at.map(|at| at.rfc3339()),
            id: token.id,
            name: token.name,
        }
    }
}

/// create_register_token: makes a one-time registration token for the caller's project.
#[utoipa::path(
    post,
    path = "/api/v1/register-tokens",
    operation_id = "create_register_token",
    tag = "tokens",
    request_body = RegisterTokenRequest,
    security(("bearer" = [])),
    responses(
        (status = 201, description = "Created; the value is shown this once (`Cache-Control: no-store`)", body = RegisterTokenResponse,
            headers(("MLP-Token-Expiration" = String, description = "When the calling token expires (RFC 3339), if it does"))),
        (status = 400, description = "Bad JSON, duration, name or token type; `field` says which and why", body = ErrorBody),
        Unauthenticated,
        Unavailable,
        (status = 403, description = "Expired token, or a token without `ml-platform:Manage`", body = ErrorBody),
        (status = 409, description = "An active token already has this name (`field`: `client_name`)", body = ErrorBody),
        (status = 413, description = "Body over 64 KiB", body = ErrorBody),
    )
)]
pub async fn create(
    state: web::Data<AppState>,
    req: HttpRequest,
    bearer: BearerToken,
    payload: web::Payload,
) -> Result<HttpResponse, ApiError> {
    // Who may call it is answered before anything about the body.
    bearer.require_scope(SCOPE_MANAGE)?;
    let body: RegisterTokenRequest = json::read(&req, payload).await?;
    let spec = RegistrationSpec {
        client_name: TokenName::parse(&body.client_name)
            .map_err(|e| ApiError::bad_request("client_name", e))?,
        access_ttl: Ttl::parse(&body.access_ttl, MAX_ACCESS_TTL)
            .map_err(|e| ApiError::bad_request("access_ttl", e))?,
        refresh_ttl: body
            .refresh_ttl
            .as_deref()
            .map(|ttl| Ttl::parse(ttl, MAX_REFRESH_TTL))
            .transpose()
            .map_err(|e| ApiError::bad_request("refresh_ttl", e))?,
        token_type: body.token_type.into(),
        label_selector: body
            .label_selector
            .as_deref()
            .map(LabelSelector::parse)
            .transpose()
            .map_err(|e| ApiError::bad_request("label_selector", e))?,
    };
    let actor = Actor::token(bearer.token(), client_ip(&req));
    let issuer = bearer.0.clone();
    let client_name = spec.client_name.as_str().to_owned();
    let (secret, expires_at) = service::blocking(&state.tokens, move |tokens| {
        tokens.create_registration(&issuer, &spec, &actor)
    })
    .await?;
    secret_json(
        StatusCode::CREATED,
        &RegisterTokenResponse {
            register_token: secret.expose().to_owned(),
            client_name,
            token_type: body.token_type,
            expires_at: expires_at.rfc3339(),
        },
    )
}

/// create_refresh_token: exchanges a registration token, once, for an access token.
#[utoipa::path(
    post,
    path = "/api/v1/refresh-tokens",
    operation_id = "create_refresh_token",
    tag = "tokens",
    request_body = RefreshTokenRequest,
    responses(
        (status = 201, description = "Created; the value is shown this once (`Cache-Control: no-store`)", body = RefreshTokenResponse),
        (status = 400, description = "Bad JSON or unknown field", body = ErrorBody),
        (status = 401, description = "Unknown or mistyped registration token (`field`: `Unauthorized`)", body = ErrorBody),
        (status = 403, description = "Expired (`Forbidden`) or already used (`register token already used`)", body = ErrorBody),
        (status = 409, description = "An active token already has the registration's name (`field`: `client_name`)", body = ErrorBody),
        (status = 413, description = "Body over 64 KiB", body = ErrorBody),
        Unavailable,
    )
)]
pub async fn exchange(
    state: web::Data<AppState>,
    req: HttpRequest,
    body: ApiJson<RefreshTokenRequest>,
) -> Result<HttpResponse, ApiError> {
    let presented = SecretValue::parse(SecretKind::Registration, body.0.register_token.trim())
        .map_err(|_| ApiError::unauthorized())?;
    let digest = presented.digest();
    drop(presented);
    let ip = client_ip(&req).to_string();
    let (secret, token) = service::blocking(&state.tokens, move |tokens| {
        tokens.exchange(&digest, Some(ip))
    })
    .await?;
    secret_json(
        StatusCode::CREATED,
        &RefreshTokenResponse::new(&secret, token),
    )
}

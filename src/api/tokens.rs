//! Access tokens seen from a program: who am I, the project's tokens, delete, renew and describe by name.

use crate::api::bearer::BearerToken;
use crate::api::error::{ApiError, ErrorBody, Unauthenticated, Unavailable};
use crate::api::register::RefreshTokenResponse;
use crate::api::{json, secret_json, TokenType};
use crate::auth::client_ip;
use crate::db::tokens::TokenRecord;
use crate::domain::roles::SCOPE_MANAGE;
use crate::domain::{DeletedVia, Description, LabelSelector, Timestamp};
use crate::service::{self, Actor, TokenKey, TokenStore};
use crate::state::AppState;
use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// The token that made the call.
#[derive(Debug, Serialize, ToSchema)]
pub struct WhoAmI<'a> {
    pub id: &'a str,
    pub name: &'a str,
    #[serde(rename = "type")]
    pub token_type: TokenType,
    /// Email of the account that created the token.
    pub issuer_name: &'a str,
    pub project_id: &'a str,
    /// When the token stops working (RFC 3339, UTC); `null`: never.
    #[schema(required = true)]
    pub exp: Option<String>,
    /// The jobs the token is fixed to, `NAME=VALUE` (SPEC §13); `null`: unscoped, it reaches every job.
    #[schema(required = true, example = "model=base")]
    pub label_selector: Option<&'a str>,
}

/// One active token of the project; never its value.
#[derive(Debug, Serialize, ToSchema)]
pub struct TokenInfo {
    /// The same id the console uses.
    pub id: String,
    pub name: String,
    #[serde(rename = "type")]
    pub token_type: TokenType,
    pub issuer_name: String,
    pub created_at: String,
    /// `null`: never expires.
    #[schema(required = true)]
    pub exp: Option<String>,
    /// `null`: never used.
    #[schema(required = true)]
    pub last_used_at: Option<String>,
    #[schema(required = true)]
    pub description: Option<String>,
    /// The jobs the token is fixed to, `NAME=VALUE` (SPEC §13); `null`: unscoped. Fixed at creation.
    #[schema(required = true, example = "model=base")]
    pub label_selector: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TokenList {
    /// The project's active tokens, newest first.
    pub tokens: Vec<TokenInfo>,
}

/// who_am_i: the calling token.
#[utoipa::path(
    get,
    path = "/api/v1/tokens/me",
    operation_id = "who_am_i",
    tag = "tokens",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The calling token", body = WhoAmI, headers(("MLP-Token-Expiration" = String, description = "When the calling token expires (RFC 3339), if it does"))),
        Unauthenticated,
        Unavailable,
        (status = 403, description = "Expired token", body = ErrorBody),
    )
)]
pub async fn who_am_i(bearer: BearerToken) -> Result<HttpResponse, ApiError> {
    let token = bearer.token();
    json(
        StatusCode::OK,
        &WhoAmI {
            id: &token.id,
            name: &token.name,
            token_type: token.role.into(),
            issuer_name: &token.issuer_name,
            project_id: &token.project_id,
            exp: token.expires_at.map(|at| at.rfc3339()),
            label_selector: token.label_selector.as_ref().map(LabelSelector::as_str),
        },
    )
}

/// get_project_tokens_info: the active tokens of the calling token's project.
#[utoipa::path(
    get,
    path = "/api/v1/tokens",
    operation_id = "get_project_tokens_info",
    tag = "tokens",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The project's active tokens, newest first", body = TokenList, headers(("MLP-Token-Expiration" = String, description = "When the calling token expires (RFC 3339), if it does"))),
        Unauthenticated,
        Unavailable,
        (status = 403, description = "Expired token, or a token without `ml-platform:Manage`", body = ErrorBody),
    )
)]
pub async fn list(
    state: web::Data<AppState>,
    bearer: BearerToken,
) -> Result<HttpResponse, ApiError> {
    bearer.require_scope(SCOPE_MANAGE)?;
    let project_id = bearer.token().project_id.clone();
    let records =
        service::blocking(&state.tokens, move |tokens| tokens.all_active(&project_id)).await?;
    let tokens = records
        .into_iter()
        .map(|record| token_info(&state.tokens, record))
        .collect();
    json(StatusCode::OK, &TokenList { tokens })
}

/// delete_token: deletes the project's active token with this name; it stops working at once.
#[utoipa::path(
    delete,
    path = "/api/v1/tokens/{name}",
    operation_id = "delete_token",
    tag = "tokens",
    security(("bearer" = [])),
    params(("name" = String, Path, description = "The token's name (never `me` or `revoke-leaked`: those are routes)")),
    responses(
        (status = 204, description = "Deleted", headers(("MLP-Token-Expiration" = String, description = "When the calling token expires (RFC 3339), if it does"))),
        Unauthenticated,
        Unavailable,
        (status = 403, description = "Expired token, or a token without `ml-platform:Manage`", body = ErrorBody),
        (status = 404, description = "No active token has this name (`field`: `token_name`)", body = ErrorBody),
    )
)]
pub async fn delete(
    state: web::Data<AppState>,
    req: HttpRequest,
    bearer: BearerToken,
    name: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    bearer.require_scope(SCOPE_MANAGE)?;
    let actor = Actor::token(bearer.token(), client_ip(&req));
    let project_id = bearer.token().project_id.clone();
    let key = TokenKey::Name(name.into_inner());
    service::blocking(&state.tokens, move |tokens| {
        tokens.delete(&project_id, &key, &actor, DeletedVia::Api)
    })
    .await?;
    Ok(HttpResponse::NoContent().finish())
}

/// A token as the API lists it; uses noted in memory and not yet written are newer than the database's.
fn token_info(tokens: &TokenStore, record: TokenRecord) -> TokenInfo {
    let noted = tokens.unwritten_use(&record.id).map(|(at, _)| at);
    TokenInfo::new(record, noted)
}

impl TokenInfo {
    /// The API's view of `record`, whose last use may be newer in memory (`noted`) than in the database.
    pub fn new(record: TokenRecord, noted: Option<Timestamp>) -> Self {
        TokenInfo {
            token_type: record.role.into(),
            created_at: record.created_at.rfc3339(),
            exp: record.expires_at.map(|at| at.rfc3339()),
            last_used_at: record.last_used_at.max(noted).map(|at| at.rfc3339()),
            id: record.id,
            name: record.name,
            issuer_name: record.issuer_name,
            description: record.description,
            label_selector: record.label_selector.map(|s| s.as_str().to_owned()),
        }
    }
}

/// renew_token: a new value for the project's active token with this name; the old one stops working at once.
///
/// Name, type and description stay; an expiring token (also an expired one) gets a fresh expiry of the
/// lifetime it was created with.
#[utoipa::path(
    post,
    path = "/api/v1/tokens/{name}/renew",
    operation_id = "renew_token",
    tag = "tokens",
    security(("bearer" = [])),
    params(("name" = String, Path, description = "The token's name (never `me` or `revoke-leaked`: those are routes)")),
    responses(
        (status = 200, description = "Renewed; the new value is shown this once (`Cache-Control: no-store`)", body = RefreshTokenResponse, headers(("MLP-Token-Expiration" = String, description = "When the calling token expires (RFC 3339), if it does"))),
        Unauthenticated,
        Unavailable,
        (status = 403, description = "Expired token, or a token without `ml-platform:Manage`", body = ErrorBody),
        (status = 404, description = "No active token has this name (`field`: `token_name`)", body = ErrorBody),
        (status = 409, description = "Another renewal of this token won at the same moment; renew again to get a working value", body = ErrorBody),
    )
)]
pub async fn renew(
    state: web::Data<AppState>,
    req: HttpRequest,
    bearer: BearerToken,
    name: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let arrived = state.tokens.renewal_ticket();
    bearer.require_scope(SCOPE_MANAGE)?;
    let actor = Actor::token(bearer.token(), client_ip(&req));
    let project_id = bearer.token().project_id.clone();
    let key = TokenKey::Name(name.into_inner());
    let (secret, record) = service::blocking(&state.tokens, move |tokens| {
        tokens.renew(&project_id, &key, &actor, arrived)
    })
    .await?;
    secret_json(StatusCode::OK, &RefreshTokenResponse::new(&secret, record))
}

/// The changes a `PATCH` makes to a token.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TokenPatch {
    /// The new description: at most 500 characters, no control characters; `null` or blank removes it.
    #[serde(default, deserialize_with = "json::present")]
    #[schema(value_type = Option<String>, required = true, example = "nightly training on the GPU pool")]
    pub description: Option<Option<String>>,
}

/// update_token: sets or removes the description of the project's active token with this name.
#[utoipa::path(
    patch,
    path = "/api/v1/tokens/{name}",
    operation_id = "update_token",
    tag = "tokens",
    security(("bearer" = [])),
    params(("name" = String, Path, description = "The token's name (never `me` or `revoke-leaked`: those are routes)")),
    request_body = TokenPatch,
    responses(
        (status = 200, description = "The token as it now is", body = TokenInfo, headers(("MLP-Token-Expiration" = String, description = "When the calling token expires (RFC 3339), if it does"))),
        (status = 400, description = "Bad JSON, unknown field, or a description that is too long or has control characters", body = ErrorBody),
        Unauthenticated,
        Unavailable,
        (status = 403, description = "Expired token, or a token without `ml-platform:Manage`", body = ErrorBody),
        (status = 404, description = "No active token has this name (`field`: `token_name`)", body = ErrorBody),
        (status = 413, description = "Body over 64 KiB", body = ErrorBody),
    )
)]
pub async fn update(
    state: web::Data<AppState>,
    req: HttpRequest,
    bearer: BearerToken,
    name: web::Path<String>,
    payload: web::Payload,
) -> Result<HttpResponse, ApiError> {
    // Who may call it is answered before anything about the body.
    bearer.require_scope(SCOPE_MANAGE)?;
    let patch: TokenPatch = json::read(&req, payload).await?;
    let text = patch
        .description
        .ok_or_else(|| ApiError::bad_request("description", "is required"))?;
    let description = Description::parse(text.as_deref().unwrap_or(""))
        .map_err(|e| ApiError::bad_request("description", e))?;
    let actor = Actor::token(bearer.token(), client_ip(&req));
    let project_id = bearer.token().project_id.clone();
    let key = TokenKey::Name(name.into_inner());
    let record = service::blocking(&state.tokens, move |tokens| {
        tokens.set_description(&project_id, &key, &description, &actor)
    })
    .await?;
    json(StatusCode::OK, &token_info(&state.tokens, record))
}

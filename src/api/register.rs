//! Registration tokens: an `ADMIN` token makes a one-time secret, which a program exchanges once for an access token.

use crate::api::error::{ApiError, ErrorBody, ALREADY_USED};
use crate::api::json::{self, ApiJson};
use crate::api::{actor_of, secret_json, TokenType};
use crate::auth::bearer::BearerToken;
use crate::clock::rfc3339;
use crate::db::audit::{self, event, NewAuditEvent};
use crate::db::{registration_tokens, tokens};
use crate::domain::duration::{MAX_ACCESS_TTL, MAX_REFRESH_TTL};
use crate::domain::roles::SCOPE_MANAGE;
use crate::domain::{Description, SecretKind, SecretValue, TokenName, TokenRole, Ttl};
use crate::error::AppError;
use crate::service::{self, Actor, NewTokenSpec};
use crate::startup::AppState;
use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use diesel::sqlite::SqliteConnection;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// What the access token made by the exchange will be.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RegisterTokenRequest {
    /// The name of the access token the exchange makes (1–100 characters, unique among the project's active tokens).
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
        (status = 401, description = "No, malformed or unknown token", body = ErrorBody),
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
    let client_name =
        TokenName::parse(&body.client_name).map_err(|e| ApiError::bad_request("client_name", e))?;
    let access_ttl = Ttl::parse(&body.access_ttl, MAX_ACCESS_TTL)
        .map_err(|e| ApiError::bad_request("access_ttl", e))?;
    let refresh_ttl = body
        .refresh_ttl
        .as_deref()
        .map(|ttl| Ttl::parse(ttl, MAX_REFRESH_TTL))
        .transpose()
        .map_err(|e| ApiError::bad_request("refresh_ttl", e))?;
    let token_type = body.token_type;
    let now = state.clock.now_ms();
    let expires_at = now + access_ttl.as_secs() as i64 * 1000;
    let actor = actor_of(bearer.token(), &req);
    let admin = bearer.0.clone();
    let pool = state.pool.clone();
    let name = client_name.clone();
    let secret = web::block(move || -> Result<SecretValue, ApiError> {
        let mut conn = pool.get().map_err(AppError::from)?;
        crate::db::pool::immediate(&mut conn, |conn| {
            if tokens::name_taken(conn, &admin.project_id, name.as_str())? {
                return Err(ApiError::Conflict("client_name"));
            }
            let secret = SecretValue::generate(SecretKind::Registration);
            let role = TokenRole::from(token_type);
            registration_tokens::insert(
                conn,
                &registration_tokens::NewRegistration {
                    id: &uuid::Uuid::new_v4().to_string(),
                    project_id: &admin.project_id,
                    digest: secret.digest().as_bytes(),
                    client_name: name.as_str(),
                    token_type: role.as_str(),
                    refresh_ttl_secs: refresh_ttl.map(|t| t.as_secs() as i64),
                    expires_at,
                    created_at: now,
                    created_by_token_id: Some(&admin.id),
                    issuer_account_id: admin.created_by_account_id.as_deref(),
                    issuer_name: &admin.issuer_name,
                },
            )
            .map_err(AppError::from)?;
            record_event(
                conn,
                &admin.project_id,
                &actor,
                event::REGISTER_TOKEN_CREATED,
                name.as_str(),
                role,
                now,
            )?;
            Ok(secret)
        })
    })
    .await??;
    secret_json(
        StatusCode::CREATED,
        &RegisterTokenResponse {
            register_token: secret.expose().to_owned(),
            client_name: client_name.into_inner(),
            token_type,
            expires_at: rfc3339(expires_at),
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
    let now = state.clock.now_ms();
    let client_ip = crate::web::client_ip(&req).to_string();
    let pool = state.pool.clone();
    let (secret, record) = web::block(move || -> Result<_, ApiError> {
        let mut conn = pool.get().map_err(AppError::from)?;
        crate::db::pool::immediate(&mut conn, |conn| exchange_in(conn, &digest, now, client_ip))
    })
    .await??;
    secret_json(
        StatusCode::CREATED,
        &RefreshTokenResponse {
            refresh_token: secret.expose().to_owned(),
            id: record.id.clone(),
            name: record.name.clone(),
            token_type: record.role().into(),
            expires_at: record.expires_at.map(rfc3339),
        },
    )
}

/// The exchange, inside one immediate transaction: of simultaneous exchanges exactly one marks the
/// registration used; a failure after that (a name taken meanwhile) rolls the mark back.
fn exchange_in(
    conn: &mut SqliteConnection,
    digest: &crate::domain::Digest,
    now: i64,
    client_ip: String,
) -> Result<(SecretValue, tokens::TokenRecord), ApiError> {
    let registration = registration_tokens::find_by_digest(conn, digest)
        .map_err(AppError::from)?
        .ok_or_else(ApiError::unauthorized)?;
    if registration.used_at.is_some() {
        return Err(ApiError::Forbidden(ALREADY_USED.into()));
    }
    if registration.expires_at <= now {
        return Err(ApiError::expired());
    }
    if !registration_tokens::mark_used(conn, &registration.id, now).map_err(AppError::from)? {
        return Err(ApiError::Forbidden(ALREADY_USED.into()));
    }
    let role: TokenRole = registration
        .token_type
        .parse()
        .map_err(|e| AppError::Internal(anyhow::anyhow!("registration token: {e}")))?;
    let name = TokenName::parse(&registration.client_name)
        .map_err(|e| AppError::Internal(anyhow::anyhow!("registration token name: {e}")))?;
    let spec = NewTokenSpec {
        project_id: registration.project_id.clone(),
        name,
        role,
        description: Description::none(),
        lifetime_secs: registration.refresh_ttl_secs,
    };
    // The program that exchanged is known only by the name it receives.
    let actor = Actor {
        account_id: registration.issuer_account_id.clone(),
        name: registration.client_name.clone(),
        issuer_email: registration.issuer_name.clone(),
        client_ip: Some(client_ip),
    };
    let (secret, record) =
        service::insert_token(conn, now, &spec, &actor).map_err(|err| match err {
            AppError::Conflict { .. } => ApiError::Conflict("client_name"),
            other => ApiError::from(other),
        })?;
    registration_tokens::set_used_token(conn, &registration.id, &record.id)
        .map_err(AppError::from)?;
    record_event(
        conn,
        &registration.project_id,
        &actor,
        event::REGISTER_TOKEN_EXCHANGED,
        &registration.client_name,
        role,
        now,
    )?;
    Ok((secret, record))
}

fn record_event(
    conn: &mut SqliteConnection,
    project_id: &str,
    actor: &Actor,
    name: &'static str,
    target: &str,
    role: TokenRole,
    now: i64,
) -> Result<(), ApiError> {
    audit::record(
        conn,
        &NewAuditEvent {
            project_id: Some(project_id),
            account_id: actor.account_id.as_deref(),
            event: name,
            actor: &actor.name,
            target: Some(target),
            client_ip: actor.client_ip.as_deref(),
            detail: Some(role.as_str()),
            created_at: now,
        },
    )
    .map_err(|e| AppError::from(e).into())
}

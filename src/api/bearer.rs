//! `Authorization: Bearer <access token>` verification for the API (SPEC §3, §6).
//!
//! The common case is a cache hit: checksum, SHA-256, one hash-map read, the expiry against the
//! app's clock, and a note for "last used", all on the worker thread, with no SQL and no thread hop.
//! A miss does one indexed digest lookup on the blocking pool and fills the cache (`TokenStore::look_up`).

use crate::api::error::ApiError;
use crate::auth::client_ip;
use crate::auth::token_cache::VerifiedToken;
use crate::domain::secret::{digest_of, parse_kind};
use crate::domain::{Digest, SecretKind, Timestamp};
use crate::error::AppError;
use crate::state::AppState;
use actix_web::dev::Payload;
use actix_web::http::header;
use actix_web::{web, FromRequest, HttpMessage, HttpRequest};
use futures_util::future::Either;
use std::borrow::Cow;
use std::future::{ready, Future, Ready};
use std::pin::Pin;
use std::sync::Arc;

/// A verified, unexpired access token.
#[derive(Debug, Clone)]
pub struct BearerToken(pub Arc<VerifiedToken>);

/// Set once the token a request presented was looked up: its expiry (valid or expired; `None` when it
/// never expires or is unknown), for the `MLP-Token-Expiration` header.
#[derive(Debug, Clone, Copy)]
pub struct TokenExpiration(pub Option<Timestamp>);

impl BearerToken {
    pub fn token(&self) -> &VerifiedToken {
        &self.0
    }

    /// Refuses with SPEC §6's scope message unless the token's role carries `scope`. Asked before a
    /// body is read, so that answer comes first; the service checks its own rule again.
    pub fn require_scope(&self, scope: &str) -> Result<(), ApiError> {
        if self.0.role.has_scope(scope) {
            Ok(())
        } else {
            Err(ApiError::missing_scope(scope))
        }
    }
}

type Pending = Pin<Box<dyn Future<Output = Result<BearerToken, ApiError>>>>;

impl FromRequest for BearerToken {
    type Error = ApiError;
    type Future = Either<Ready<Result<BearerToken, ApiError>>, Pending>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let Some(state) = req.app_data::<web::Data<AppState>>() else {
            return Either::Left(ready(Err(ApiError::Internal(AppError::Internal(
                anyhow::anyhow!("the app state is missing"),
            )))));
        };
        let digest = match presented_digest(req) {
            Ok(digest) => digest,
            Err(err) => return Either::Left(ready(Err(err))),
        };
        if let Some(token) = state.tokens.cached(&digest) {
            return Either::Left(ready(accept(req, state, token)));
        }
        let state = state.clone();
        let req = req.clone();
        Either::Right(Box::pin(async move {
            let Some(token) = state.tokens.look_up(digest).await? else {
                req.extensions_mut().insert(TokenExpiration(None));
                return Err(ApiError::unauthorized());
            };
            accept(&req, &state, token)
        }))
    }
}

/// When the access token a request presents expires, for answers whose handler did not verify it (an
/// unknown route, a call that needs no token): `None` when it presents none, an unknown one, or one that
/// never expires. Notes no use.
pub async fn presented_expiry(req: &HttpRequest) -> Option<Timestamp> {
    let state = req.app_data::<web::Data<AppState>>()?;
    let digest = presented_digest(req).ok()?;
    let token = match state.tokens.cached(&digest) {
        Some(token) => token,
        None => state.tokens.look_up(digest).await.ok()??,
    };
    token.expires_at
}

/// The digest of a well-formed access token from the `Authorization` header.
fn presented_digest(req: &HttpRequest) -> Result<Digest, ApiError> {
    let missing = |what: &'static str| ApiError::Unauthorized(Cow::Borrowed(what));
    let mut values = req.headers().get_all(header::AUTHORIZATION);
    let value = values
        .next()
        .ok_or_else(|| missing("Authorization header is missing"))?;
    // Two credentials: refused rather than guessing which one the caller meant.
    if values.next().is_some() {
        return Err(missing("Authorization header is given more than once"));
    }
    let value = value
        .to_str()
        .map_err(|_| missing("Authorization header is malformed"))?;
    let value = value.trim();
    if value.eq_ignore_ascii_case("bearer") {
        return Err(missing("bearer token is missing"));
    }
    let (scheme, credentials) = value
        .split_once(' ')
        .ok_or_else(|| missing("Authorization header must be 'Bearer <token>'"))?;
    if !scheme.eq_ignore_ascii_case("bearer") {
        return Err(missing("Authorization header must be 'Bearer <token>'"));
    }
    let credentials = credentials.trim();
    if credentials.is_empty() {
        return Err(missing("bearer token is missing"));
    }
    // A registration token, a mistyped or a made-up value is unknown; the checksum says so without SQL.
    match parse_kind(credentials) {
        Ok(SecretKind::Access) => Ok(digest_of(credentials)),
        _ => Err(ApiError::unauthorized()),
    }
}

/// The checks after the lookup: expiry against the app's clock, then the use is noted.
fn accept(
    req: &HttpRequest,
    state: &AppState,
    token: Arc<VerifiedToken>,
) -> Result<BearerToken, ApiError> {
    let now = state.clock.now();
    req.extensions_mut()
        .insert(TokenExpiration(token.expires_at));
    if token.is_expired(now) {
        return Err(ApiError::expired());
    }
    state.tokens.note_use(&token.id, now, client_ip(req));
    Ok(BearerToken(token))
}

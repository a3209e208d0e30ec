//! Wiring: open the database, build the shared state, bind the listener, serve.

use crate::auth::last_used::LastUsedRecorder;
use crate::auth::ratelimit::{ClientLimiter, LoginLimiter};
use crate::auth::token_cache::TokenCache;
use crate::clock::{SharedClock, SystemClock};
use crate::config::Settings;
use crate::db::tokens::{DeletedVia, TokenRecord};
use crate::db::{self, Pool};
use crate::domain::SecretValue;
use crate::service::{self, Actor, TokenKey};
use crate::web;
use actix_session::config::{PersistentSession, TtlExtensionPolicy};
use actix_session::storage::CookieSessionStore;
use actix_session::SessionMiddleware;
use actix_web::cookie::{time::Duration as CookieDuration, SameSite};
use actix_web::dev::Server;
use actix_web::middleware::{from_fn, Compress};
use actix_web::{web as aweb, App, HttpServer};
use anyhow::Context;
use std::net::TcpListener;
use std::sync::Arc;

/// Everything the handlers share.
pub struct AppState {
    pub pool: Pool,
    pub clock: SharedClock,
    pub login_limiter: LoginLimiter,
    /// Verified access tokens, so the API's common case needs no SQL (see `auth::token_cache`).
    pub token_cache: TokenCache,
    /// Last use of each token, written off the request path (see `auth::last_used`).
    pub last_used: Arc<LastUsedRecorder>,
    /// Requests per client address to the public leak-report endpoint (see `api::leaks`).
    pub leak_limiter: ClientLimiter,
}

impl AppState {
    /// Deletes a token and makes its value fail on its very next use: the one way tokens are deleted.
    pub async fn delete_token(
        &self,
        project_id: String,
        key: TokenKey,
        actor: Actor,
        via: DeletedVia,
    ) -> Result<TokenRecord, crate::error::AppError> {
        let (pool, now) = (self.pool.clone(), self.clock.now_ms());
        let deleted = aweb::block(move || {
            let mut conn = pool.get()?;
            service::delete_token(&mut conn, now, &project_id, &key, &actor, via)
        })
        .await
        .map_err(|e| anyhow::anyhow!("blocking task failed: {e}"))??;
        self.token_revoked(&deleted.id);
        Ok(deleted)
    }

    /// Gives a token a new value and makes the old one fail on its very next use: the one way tokens are renewed.
    pub async fn renew_token(
        &self,
        project_id: String,
        key: TokenKey,
        actor: Actor,
    ) -> Result<(SecretValue, TokenRecord), crate::error::AppError> {
        let (pool, now) = (self.pool.clone(), self.clock.now_ms());
        let (secret, renewed) = aweb::block(move || {
            let mut conn = pool.get()?;
            service::renew_token(&mut conn, now, &project_id, &key, &actor)
        })
        .await
        .map_err(|e| anyhow::anyhow!("blocking task failed: {e}"))??;
        self.token_revoked(&renewed.id);
        Ok((secret, renewed))
    }

    /// Every path that deletes or renews a token MUST call this with the token's id once its
    /// transaction has committed, or the old value keeps working from the verification cache.
    pub fn token_revoked(&self, token_id: &str) {
        self.token_cache.invalidate(token_id);
    }

    /// Writes every noted token use now (the background task does it at most once a minute per token).
    pub async fn flush_last_used(&self) -> Result<usize, crate::error::AppError> {
        let (recorder, pool) = (self.last_used.clone(), self.pool.clone());
        aweb::block(move || recorder.flush(&pool, true))
            .await
            .map_err(|e| anyhow::anyhow!("blocking task failed: {e}"))?
    }
}

pub struct Application {
    port: u16,
    server: Server,
    state: aweb::Data<AppState>,
    last_used_writer: tokio::task::JoinHandle<()>,
}

impl Application {
    pub async fn build(settings: Settings) -> anyhow::Result<Self> {
        Self::build_with_clock(settings, Arc::new(SystemClock)).await
    }

    /// Builds the app on `settings.bind` (port 0 picks a free port) reading time from `clock`.
    pub async fn build_with_clock(settings: Settings, clock: SharedClock) -> anyhow::Result<Self> {
        let pool = db::pool::open(&settings.database_path(), 16)?;
        bootstrap(&pool, clock.as_ref())?;
        let key = settings.session_key()?;
        let state = aweb::Data::new(AppState {
            pool,
            clock,
            login_limiter: LoginLimiter::default(),
            token_cache: TokenCache::default(),
            last_used: Arc::default(),
            leak_limiter: crate::api::leaks::limiter(),
        });
        let listener = TcpListener::bind(&settings.bind)
            .with_context(|| format!("failed to listen on {}", settings.bind))?;
        let port = listener.local_addr()?.port();
        let cookie_secure = settings.cookie_secure;
        let server_state = state.clone();
        let server = HttpServer::new(move || {
            let sessions = SessionMiddleware::builder(CookieSessionStore::default(), key.clone())
                .cookie_name("mlp_session".into())
                .cookie_secure(cookie_secure)
                .cookie_http_only(true)
                .cookie_same_site(SameSite::Strict)
                .session_lifecycle(
                    PersistentSession::default()
                        .session_ttl(CookieDuration::hours(12))
                        .session_ttl_extension_policy(TtlExtensionPolicy::OnStateChanges),
                )
                .build();
            App::new()
                .app_data(server_state.clone())
                .wrap(from_fn(web::middleware::htmx_errors))
                .wrap(sessions)
                .wrap(web::middleware::security_headers())
                .wrap(Compress::default())
                .wrap(from_fn(web::middleware::log_request))
                .configure(crate::api::routes)
                .configure(web::routes)
        })
        .listen(listener)?;
        let server = if settings.handle_signals {
            server
        } else {
            server.disable_signals()
        };
        let server = server.run();
        tracing::info!(port, "mlp-console listening");
        let last_used_writer = tokio::spawn(crate::auth::last_used::run_flusher(state.clone()));
        Ok(Application {
            port,
            server,
            state,
            last_used_writer,
        })
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    pub fn state(&self) -> aweb::Data<AppState> {
        self.state.clone()
    }

    /// Stops the server from elsewhere (tests of graceful shutdown).
    pub fn handle(&self) -> actix_web::dev::ServerHandle {
        self.server.handle()
    }

    /// Serves until the server is stopped (e.g. SIGTERM), then writes the token uses still in memory.
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        let served = self.server.await;
        self.last_used_writer.abort();
        if let Err(err) = self.state.flush_last_used().await {
            tracing::error!(error = %err, "could not record the last token uses at shutdown");
        }
        served
    }
}

/// On an empty database: the account `admin@localhost`, owner of project `default`.
/// Its password comes from `MLP_BOOTSTRAP_PASSWORD`, or is generated and printed once.
fn bootstrap(pool: &Pool, clock: &dyn crate::clock::Clock) -> anyhow::Result<()> {
    let mut conn = pool.get()?;
    if db::accounts::count(&mut conn)? > 0 {
        return Ok(());
    }
    let (password, generated) = match std::env::var("MLP_BOOTSTRAP_PASSWORD") {
        Ok(p) if !p.is_empty() => (secrecy::SecretString::from(p), false),
        _ => (crate::auth::password::generate(), true),
    };
    let hash = crate::auth::password::hash(&password)?;
    let now = clock.now_ms();
    let account_id = uuid::Uuid::new_v4().to_string();
    let project_id = uuid::Uuid::new_v4().to_string();
    conn.immediate_transaction(|conn| -> diesel::QueryResult<()> {
        db::accounts::insert(
            conn,
            &db::accounts::NewAccount {
                id: &account_id,
                email: "admin@localhost",
                display_name: "Administrator",
                password_hash: &hash,
                created_at: now,
            },
        )?;
        db::projects::insert(conn, &project_id, "default", now)?;
        db::projects::upsert_member(
            conn,
            &project_id,
            &account_id,
            crate::domain::MemberRole::Owner,
            now,
        )
    })?;
    if generated {
        use secrecy::ExposeSecret;
        // The one deliberate exception to "never log a secret" (SPEC §8): shown once, at first start.
        tracing::warn!(
            "created account admin@localhost (owner of project \"default\") with password: {}",
            password.expose_secret()
        );
    } else {
        tracing::info!("created account admin@localhost (owner of project \"default\") with the password from MLP_BOOTSTRAP_PASSWORD");
    }
    Ok(())
}

//! Wiring: open the database, build the shared state, bind the listener, serve.

use crate::auth::ended_sessions::EndedSessions;
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

/// SQLite connections. Writes take turns anyway (`db::pool::immediate`) and reads are short and CPU-bound,
/// so a few connections keep two cores busy; each one may cache up to 2 MiB of pages (measured: 16
/// connections held ~5 MiB more than 4 after the benchmark's load, with no gain in throughput).
pub const POOL_SIZE: u32 = 4;
/// Password hashes computed at once. An argon2id hash takes 19 MiB and a core for ~30 ms: one at a time
/// bounds both, whatever a login flood from many addresses does, and leaves the other core to everyone
/// else. Logins beyond it wait their turn without holding a thread.
pub const PASSWORD_HASHES_AT_ONCE: usize = 1;
/// Admitted logins that may wait for (or hold) a hashing permit: about half a second of hashing. Beyond
/// it a login is turned away at once with a 503 and `Retry-After`, so a flood from many addresses, each
/// under its rate limit, cannot pile up waiting requests without bound.
pub const LOGINS_WAITING_AT_MOST: usize = 16;
/// Blocking threads per server worker (actix's default is 512 divided among the workers): one per pooled
/// connection, one for password hashing, one spare. More threads would only wait for a connection, each
/// with its own stack and malloc arena; a burst of cache misses queues for these instead.
pub const BLOCKING_THREADS_PER_WORKER: usize = POOL_SIZE as usize + PASSWORD_HASHES_AT_ONCE + 1;

/// glibc raises its mmap threshold to the size of any large block freed, and from then on keeps blocks that
/// size in the freeing thread's arena: each argon2 hash (19 MiB) stayed resident in whichever blocking
/// thread ran it, and five hashes took the server from 30 to 123 MiB. Fixed thresholds make blocks of a
/// MiB or more plain mmaps, returned to the OS when freed, while smaller ones (a gzip encoder's ~300 KiB
/// per compressed answer) stay in the arena instead of being trimmed and faulted in again each time.
pub fn tune_allocator() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    {
        use std::os::raw::c_int;
        const M_TRIM_THRESHOLD: c_int = -1;
        const M_MMAP_THRESHOLD: c_int = -3;
        extern "C" {
            fn mallopt(param: c_int, value: c_int) -> c_int;
        }
        // SAFETY: mallopt only changes allocator settings; it runs before the server's threads start.
        unsafe {
            mallopt(M_MMAP_THRESHOLD, 1 << 20);
            mallopt(M_TRIM_THRESHOLD, 1 << 20);
        }
    }
}

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
    /// Permits to hash a password (see `PASSWORD_HASHES_AT_ONCE`).
    pub password_hashing: Arc<tokio::sync::Semaphore>,
    /// Places for logins waiting for a hashing permit (see `LOGINS_WAITING_AT_MOST`).
    pub login_waiting: Arc<tokio::sync::Semaphore>,
    /// Console sessions ended by Log out, refused even from a copy of their cookie.
    pub ended_sessions: EndedSessions,
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
        let pool = db::pool::open(&settings.database_path(), POOL_SIZE)?;
        bootstrap(&pool, clock.as_ref())?;
        let ended_sessions = EndedSessions::load(&mut *pool.get()?, clock.now_ms())
            .context("failed to read the ended sessions")?;
        let key = settings.session_key()?;
        let state = aweb::Data::new(AppState {
            pool,
            clock,
            login_limiter: LoginLimiter::default(),
            token_cache: TokenCache::default(),
            last_used: Arc::default(),
            leak_limiter: crate::api::leaks::limiter(),
            password_hashing: Arc::new(tokio::sync::Semaphore::new(PASSWORD_HASHES_AT_ONCE)),
            login_waiting: Arc::new(tokio::sync::Semaphore::new(LOGINS_WAITING_AT_MOST)),
            ended_sessions,
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
        .worker_max_blocking_threads(BLOCKING_THREADS_PER_WORKER)
        // A compressed page goes out in several writes; with Nagle's algorithm on, the last one waited for
        // the client's delayed ACK (p99 of a gzip page view: 48 ms instead of ~6).
        .tcp_nodelay(true)
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

//! Wiring: open the database, build the shared state, bind the listener, serve.

use crate::api;
use crate::clock::{SharedClock, SystemClock};
use crate::config::Settings;
use crate::db::Database;
use crate::service::accounts::{self, PASSWORD_HASHES_AT_ONCE};
use crate::state::AppState;
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

/// SQLite connections. Writes take turns anyway (`Database::write`) and reads are short and CPU-bound,
/// so a few connections keep two cores busy. Each caches pages of its own (`db::pool`): 16 connections
/// held ~5 MiB more than 4 after the benchmark's load, with no gain in throughput.
pub const POOL_SIZE: u32 = 4;
/// Blocking threads per server worker (actix's default is 512 divided among the workers): one per pooled
/// connection, one for password hashing, one spare. More threads would only wait for a connection, each
/// with its own stack and malloc arena; a burst of cache misses queues for these instead.
pub const BLOCKING_THREADS_PER_WORKER: usize = POOL_SIZE as usize + PASSWORD_HASHES_AT_ONCE + 1;

pub struct Application {
    port: u16,
    server: Server,
    state: aweb::Data<AppState>,
    background: tokio::task::JoinHandle<()>,
}

impl Application {
    pub async fn build(settings: Settings) -> anyhow::Result<Self> {
        Self::build_with_clock(settings, Arc::new(SystemClock)).await
    }

    /// Builds the app on `settings.bind` (port 0 picks a free port) reading time from `clock`.
    pub async fn build_with_clock(settings: Settings, clock: SharedClock) -> anyhow::Result<Self> {
        // Checked first: on PostgreSQL a missing key is refused before anything is written.
        let key = settings.session_key()?;
        let db = Database::open(&settings.location(), POOL_SIZE)?;
        accounts::bootstrap(&db, clock.now())?;
        let state = aweb::Data::new(AppState::open(db, clock)?);
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
                .configure(api::routes)
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
        let tokens = state.tokens.clone();
        let background = tokio::spawn(tokens.run_background());
        Ok(Application {
            port,
            server,
            state,
            background,
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
        self.background.abort();
        let written =
            crate::service::blocking(&self.state.tokens, |tokens| tokens.flush_last_used());
        if let Err(err) = written.await {
            tracing::error!(error = %err, "could not record the last token uses at shutdown");
        }
        served
    }
}

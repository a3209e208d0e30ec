//! Wiring: open the database, build the shared state, bind the listener, serve.

use crate::auth::ratelimit::LoginLimiter;
use crate::clock::{SharedClock, SystemClock};
use crate::config::Settings;
use crate::db::{self, Pool};
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
}

pub struct Application {
    port: u16,
    server: Server,
    state: aweb::Data<AppState>,
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
                .configure(web::routes)
        })
        .listen(listener)?
        .run();
        tracing::info!(port, "mlp-console listening");
        Ok(Application {
            port,
            server,
            state,
        })
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    pub fn state(&self) -> aweb::Data<AppState> {
        self.state.clone()
    }

    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        self.server.await
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

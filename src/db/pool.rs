//! Opening the SQLite database: migrations on one plain connection first, then the r2d2 pool.

use anyhow::Context;
use diesel::connection::SimpleConnection;
use diesel::r2d2::{ConnectionManager, CustomizeConnection};
use diesel::sqlite::SqliteConnection;
use diesel::Connection;
use diesel_migrations::{embed_migrations, EmbeddedMigrations, MigrationHarness};
use std::path::Path;

pub type Pool = diesel::r2d2::Pool<ConnectionManager<SqliteConnection>>;
pub type PooledConn = diesel::r2d2::PooledConnection<ConnectionManager<SqliteConnection>>;

pub const MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations");

/// Per-connection settings; WAL itself is persistent and set once before the pool opens.
const CONNECTION_PRAGMAS: &str = "PRAGMA busy_timeout = 10000; \
     PRAGMA foreign_keys = ON; \
     PRAGMA synchronous = NORMAL;";

#[derive(Debug)]
struct Pragmas;

impl CustomizeConnection<SqliteConnection, diesel::r2d2::Error> for Pragmas {
    fn on_acquire(&self, conn: &mut SqliteConnection) -> Result<(), diesel::r2d2::Error> {
        conn.batch_execute(CONNECTION_PRAGMAS)
            .map_err(diesel::r2d2::Error::QueryError)
    }
}

/// Creates the file if needed, switches it to WAL, runs pending migrations and opens the pool.
pub fn open(path: &Path, max_size: u32) -> anyhow::Result<Pool> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir)
            .with_context(|| format!("failed to create {}", dir.display()))?;
    }
    let url = path
        .to_str()
        .context("the database path is not valid UTF-8")?;
    {
        let mut conn = SqliteConnection::establish(url)
            .with_context(|| format!("failed to open the database {url}"))?;
        conn.batch_execute(CONNECTION_PRAGMAS)?;
        conn.batch_execute("PRAGMA journal_mode = WAL;")?;
        conn.run_pending_migrations(MIGRATIONS)
            .map_err(|e| anyhow::anyhow!("failed to run database migrations: {e}"))?;
    }
    diesel::r2d2::Pool::builder()
        .max_size(max_size)
        .connection_customizer(Box::new(Pragmas))
        .build(ConnectionManager::<SqliteConnection>::new(url))
        .context("failed to open the database pool")
}

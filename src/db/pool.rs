//! Opening the SQLite database: migrations on one plain connection first, then the r2d2 pool.

use anyhow::Context;
use diesel::connection::SimpleConnection;
use diesel::r2d2::{ConnectionManager, CustomizeConnection};
use diesel::sqlite::SqliteConnection;
use diesel::Connection;
use diesel_migrations::{embed_migrations, EmbeddedMigrations, MigrationHarness};
use std::path::Path;
use std::sync::{Mutex, PoisonError};

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

/// The turn to write: one writer of this process at a time asks SQLite for its write lock.
static WRITER: Mutex<()> = Mutex::new(());

/// Runs `f` in an immediate (write) transaction, after the other writers of this process are done.
///
/// SQLite admits one writer at a time and makes the others poll with growing sleeps (up to 100 ms each,
/// until the busy timeout): under 32 concurrent API writers one creation waited 4.3 s while the others
/// took 1 ms, and a longer burst ends in "database is locked". Queueing on a mutex first hands the turn
/// over the moment it is free; SQLite's busy handler is left for other processes (the CLI).
/// Not reentrant: `f` must not start another write transaction.
pub fn immediate<T, E, F>(conn: &mut SqliteConnection, f: F) -> Result<T, E>
where
    F: FnOnce(&mut SqliteConnection) -> Result<T, E>,
    E: From<diesel::result::Error>,
{
    let _turn = WRITER.lock().unwrap_or_else(PoisonError::into_inner);
    conn.immediate_transaction(f)
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

#[cfg(test)]
mod tests {
    use super::*;
    use diesel::RunQueryDsl;

    #[test]
    fn sqlite_is_built_with_the_options_of_cargo_config() {
        // `.cargo/config.toml` builds SQLite with QPSG (without it every query with a bound LIMIT is
        // re-parsed on each execution), in multi-thread mode and without memory statistics (no mutex
        // per call or per allocation); see the comments there.
        let mut conn = SqliteConnection::establish(":memory:").unwrap();
        for option in ["ENABLE_QPSG", "THREADSAFE=2", "DEFAULT_MEMSTATUS=0"] {
            let used: i32 = diesel::select(diesel::dsl::sql::<diesel::sql_types::Integer>(
                &format!("sqlite_compileoption_used('{option}')"),
            ))
            .get_result(&mut conn)
            .unwrap();
            assert_eq!(used, 1, "the bundled SQLite lacks SQLITE_{option}");
        }
    }
}

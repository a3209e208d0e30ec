//! Opening the SQLite database (migrations on one plain connection first, then the r2d2 pool), and the
//! [`Database`] handle that every layer above uses: reads on pooled connections, writes in turn.

use anyhow::Context;
use diesel::connection::SimpleConnection;
use diesel::r2d2::{ConnectionManager, CustomizeConnection};
use diesel::sqlite::SqliteConnection;
use diesel::Connection;
use diesel_migrations::{embed_migrations, EmbeddedMigrations, MigrationHarness};
use std::cell::Cell;
use std::path::Path;
use std::sync::{Arc, Mutex, PoisonError};

pub type Conn = SqliteConnection;
pub type Pool = diesel::r2d2::Pool<ConnectionManager<Conn>>;
pub type PooledConn = diesel::r2d2::PooledConnection<ConnectionManager<Conn>>;

pub const MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations");

/// Per-connection settings; WAL itself is persistent and set once before the pool opens.
const CONNECTION_PRAGMAS: &str = "PRAGMA busy_timeout = 10000; \
     PRAGMA foreign_keys = ON; \
     PRAGMA synchronous = NORMAL;";

#[derive(Debug)]
struct Pragmas;

impl CustomizeConnection<Conn, diesel::r2d2::Error> for Pragmas {
    fn on_acquire(&self, conn: &mut Conn) -> Result<(), diesel::r2d2::Error> {
        conn.batch_execute(CONNECTION_PRAGMAS)
            .map_err(diesel::r2d2::Error::QueryError)
    }
}

/// Failures of the database: a query, or no connection to run it on.
#[derive(Debug, thiserror::Error)]
pub enum DbError {
    #[error("database error")]
    Query(#[from] diesel::result::Error),
    #[error("database pool error")]
    Pool(#[from] diesel::r2d2::PoolError),
}

thread_local! {
    /// Whether this thread is inside `Database::write`: a nested write would wait for itself.
    static WRITING: Cell<bool> = const { Cell::new(false) };
}

/// The database of one app: its connection pool and its turn to write. Cheap to clone; clones share both.
///
/// Blocking: call it from the blocking pool (`service::blocking`), a CLI command or a test, never from an
/// async worker.
#[derive(Clone)]
pub struct Database {
    pool: Pool,
    /// The turn to write: one writer of this app at a time asks SQLite for its write lock.
    writer: Arc<Mutex<()>>,
}

impl Database {
    /// Creates the file if needed, switches it to WAL, runs pending migrations and opens the pool.
    pub fn open(path: &Path, max_size: u32) -> anyhow::Result<Self> {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir)
                .with_context(|| format!("failed to create {}", dir.display()))?;
        }
        let url = path
            .to_str()
            .context("the database path is not valid UTF-8")?;
        {
            let mut conn = Conn::establish(url)
                .with_context(|| format!("failed to open the database {url}"))?;
            conn.batch_execute(CONNECTION_PRAGMAS)?;
            conn.batch_execute("PRAGMA journal_mode = WAL;")?;
            conn.run_pending_migrations(MIGRATIONS)
                .map_err(|e| anyhow::anyhow!("failed to run database migrations: {e}"))?;
        }
        let pool = diesel::r2d2::Pool::builder()
            .max_size(max_size)
            .connection_customizer(Box::new(Pragmas))
            .build(ConnectionManager::<Conn>::new(url))
            .context("failed to open the database pool")?;
        Ok(Database {
            pool,
            writer: Arc::default(),
        })
    }

    /// A pooled connection for reads (and for writes of one statement that need no turn, such as the
    /// last-use flush's own transaction, which takes the turn through `write` anyway).
    pub fn conn(&self) -> Result<PooledConn, DbError> {
        Ok(self.pool.get()?)
    }

    /// Whether the database answers a query now (readiness).
    pub fn is_ready(&self) -> bool {
        self.conn()
            .is_ok_and(|mut conn| conn.batch_execute("SELECT 1").is_ok())
    }

    /// Runs `f` in an immediate (write) transaction, after the other writers of this app are done.
    ///
    /// SQLite admits one writer at a time and makes the others poll with growing sleeps (up to 100 ms each,
    /// until the busy timeout): under 32 concurrent API writers one creation waited 4.3 s while the others
    /// took 1 ms, and a longer burst ends in "database is locked". Queueing on a mutex first hands the turn
    /// over the moment it is free; SQLite's busy handler is left for other processes (the CLI).
    ///
    /// Cannot nest: `f` gets the transaction's connection, so whatever it writes joins this transaction;
    /// calling `write` again from inside `f` fails at once with `AlreadyInTransaction` instead of waiting
    /// for itself.
    pub fn write<T, E, F>(&self, f: F) -> Result<T, E>
    where
        F: FnOnce(&mut Conn) -> Result<T, E>,
        E: From<DbError> + From<diesel::result::Error>,
    {
        self.write_on(&mut *self.conn()?, f)
    }

    /// `write` on a connection the caller already holds (the last-use flush, which sets its own busy
    /// timeout on it first).
    pub fn write_on<T, E, F>(&self, conn: &mut Conn, f: F) -> Result<T, E>
    where
        F: FnOnce(&mut Conn) -> Result<T, E>,
        E: From<DbError> + From<diesel::result::Error>,
    {
        if WRITING.with(Cell::get) {
            return Err(DbError::Query(diesel::result::Error::AlreadyInTransaction).into());
        }
        let _turn = self.writer.lock().unwrap_or_else(PoisonError::into_inner);
        WRITING.with(|w| w.set(true));
        let _reset = ResetOnDrop;
        conn.immediate_transaction(f)
    }
}

/// Clears the "inside a write" mark however the write ends, panics included.
struct ResetOnDrop;

impl Drop for ResetOnDrop {
    fn drop(&mut self) {
        WRITING.with(|w| w.set(false));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use diesel::{QueryDsl, RunQueryDsl};

    #[test]
    fn sqlite_is_built_with_the_options_of_cargo_config() {
        // `.cargo/config.toml` builds SQLite with QPSG (without it every query with a bound LIMIT is
        // re-parsed on each execution), in multi-thread mode and without memory statistics (no mutex
        // per call or per allocation); see the comments there.
        let mut conn = Conn::establish(":memory:").unwrap();
        for option in ["ENABLE_QPSG", "THREADSAFE=2", "DEFAULT_MEMSTATUS=0"] {
            let used: i32 = diesel::select(diesel::dsl::sql::<diesel::sql_types::Integer>(
                &format!("sqlite_compileoption_used('{option}')"),
            ))
            .get_result(&mut conn)
            .unwrap();
            assert_eq!(used, 1, "the bundled SQLite lacks SQLITE_{option}");
        }
    }

    #[test]
    fn a_write_inside_a_write_fails_at_once_and_the_outer_one_rolls_back() {
        let dir = tempfile::tempdir().unwrap();
        let db = Database::open(&dir.path().join("t.db"), 2).unwrap();
        let outer = db.write(|conn| -> Result<(), DbError> {
            conn.batch_execute("INSERT INTO projects (id, name, created_at) VALUES ('p', 'p', 0)")?;
            let inner = db.write(|_| Ok::<_, DbError>(()));
            assert!(matches!(
                inner,
                Err(DbError::Query(diesel::result::Error::AlreadyInTransaction))
            ));
            inner
        });
        assert!(outer.is_err());
        let count: i64 = crate::db::schema::projects::table
            .count()
            .get_result(&mut *db.conn().unwrap())
            .unwrap();
        assert_eq!(count, 0, "the outer transaction rolled back");
        // The mark is gone: the next write works.
        db.write(|conn| -> Result<(), DbError> { Ok(conn.batch_execute("SELECT 1")?) })
            .unwrap();
    }
}

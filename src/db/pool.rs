//! Opening the database — an embedded SQLite file, or a PostgreSQL server shared by many instances
//! (SPEC §12) — and the [`Database`] handle that every layer above uses: reads on pooled connections,
//! writes in one transaction each, taking turns on SQLite and retried on contention on PostgreSQL.

use anyhow::Context;
use diesel::connection::SimpleConnection;
use diesel::pg::PgConnection;
use diesel::r2d2::R2D2Connection;
use diesel::result::{DatabaseErrorKind, Error as QueryError};
use diesel::sqlite::SqliteConnection;
use diesel::Connection;
use diesel_migrations::{embed_migrations, EmbeddedMigrations, MigrationHarness};
use std::cell::Cell;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

/// A connection to either backend. Queries written once against it run on both; the few statements that
/// must differ match on the variant (see `db::backend`).
#[derive(diesel::MultiConnection)]
pub enum Conn {
    Postgres(PgConnection),
    Sqlite(SqliteConnection),
}

pub type Pool = r2d2::Pool<Manager>;
pub type PooledConn = r2d2::PooledConnection<Manager>;

pub const SQLITE_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/sqlite");
pub const POSTGRES_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/postgres");

/// Per-connection settings; WAL itself is persistent and set once before the pool opens. Each connection
/// caches up to 1 MiB of pages (SQLite's default is 2 MiB): a stream of lookups of distinct tokens filled
/// every connection's cache, 4 MiB more at the peak, for no measurable gain; a page not cached is read
/// from the operating system's file cache.
const CONNECTION_PRAGMAS: &str = "PRAGMA busy_timeout = 10000; \
     PRAGMA foreign_keys = ON; \
     PRAGMA synchronous = NORMAL; \
     PRAGMA cache_size = -1024;";

/// The key of the session-level advisory lock that instances starting together take around their
/// migrations, so one migrates and the others find nothing left to do.
const MIGRATION_LOCK: i64 = 0x6d6c_7063_6d69_6772; // "mlpcmigr"
/// How long a request waits for a pooled connection before answering 503: short on PostgreSQL, where an
/// unreachable server must not hold requests for r2d2's default 30 s.
const POSTGRES_CONNECT_TIMEOUT: Duration = Duration::from_secs(3);
/// How often a write on PostgreSQL is tried when it loses to another transaction (a serialization failure
/// or a deadlock); the retries are immediate, the losing transaction having rolled back.
pub const WRITE_ATTEMPTS: usize = 8;

/// Where the data lives, from `MLP_DATABASE_URL` (SPEC §8, §12).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Location {
    Sqlite(PathBuf),
    Postgres(String),
}

impl Location {
    /// `postgres://…` or `postgresql://…` is a PostgreSQL server; anything else a SQLite path, with or
    /// without `sqlite://`.
    pub fn parse(url: &str) -> Self {
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            return Location::Postgres(url.to_owned());
        }
        let path = url
            .strip_prefix("sqlite://")
            .or_else(|| url.strip_prefix("sqlite:"))
            .unwrap_or(url);
        Location::Sqlite(PathBuf::from(path))
    }

    pub fn backend(&self) -> Backend {
        match self {
            Location::Sqlite(_) => Backend::Sqlite,
            Location::Postgres(_) => Backend::Postgres,
        }
    }

    /// What a log line or error may say about it: the SQLite path, or the server without its password.
    pub fn describe(&self) -> String {
        match self {
            Location::Sqlite(path) => path.display().to_string(),
            Location::Postgres(url) => redact_password(url),
        }
    }
}

/// `postgres://user:secret@host/db` → `postgres://user:…@host/db`.
fn redact_password(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_owned();
    };
    match rest.split_once('@') {
        Some((userinfo, host)) => match userinfo.split_once(':') {
            Some((user, _)) => format!("{scheme}://{user}:…@{host}"),
            None => url.to_owned(),
        },
        None => url.to_owned(),
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// Opens connections of one backend for the pool, with the real connection error (not a multi-connection's
/// guess), and SQLite's per-connection pragmas.
#[derive(Debug)]
pub struct Manager {
    location: Location,
}

impl Manager {
    fn establish(&self) -> Result<Conn, diesel::ConnectionError> {
        match &self.location {
            Location::Postgres(url) => PgConnection::establish(url).map(Conn::Postgres),
            Location::Sqlite(path) => {
                let url = path.to_str().ok_or_else(|| {
                    diesel::ConnectionError::InvalidConnectionUrl("not valid UTF-8".into())
                })?;
                let mut conn = SqliteConnection::establish(url)?;
                conn.batch_execute(CONNECTION_PRAGMAS)
                    .map_err(diesel::ConnectionError::CouldntSetupConfiguration)?;
                Ok(Conn::Sqlite(conn))
            }
        }
    }
}

impl r2d2::ManageConnection for Manager {
    type Connection = Conn;
    type Error = diesel::r2d2::Error;

    fn connect(&self) -> Result<Conn, Self::Error> {
        self.establish()
            .map_err(diesel::r2d2::Error::ConnectionError)
    }

    fn is_valid(&self, conn: &mut Conn) -> Result<(), Self::Error> {
        conn.ping().map_err(diesel::r2d2::Error::QueryError)
    }

    fn has_broken(&self, conn: &mut Conn) -> bool {
        conn.is_broken()
    }
}

/// Failures of the database: a query, or no connection to run it on.
#[derive(Debug, thiserror::Error)]
pub enum DbError {
    #[error("database error")]
    Query(#[from] QueryError),
    #[error("database pool error")]
    Pool(#[from] r2d2::Error),
    /// A shared lookup's connection was lost (or none could be had); every request waiting for it gets
    /// this copy of the cause.
    #[error("database unreachable: {0}")]
    Unreachable(String),
}

impl DbError {
    /// Whether the database could not be reached (no connection, or one lost mid-query): the request may
    /// succeed once it is back, so the edges answer 503, not 500.
    pub fn is_unavailable(&self) -> bool {
        match self {
            DbError::Pool(_) | DbError::Unreachable(_) => true,
            DbError::Query(err) => is_connection_lost(err),
        }
    }
}

fn is_connection_lost(err: &QueryError) -> bool {
    match err {
        QueryError::DatabaseError(DatabaseErrorKind::ClosedConnection, _) => true,
        QueryError::DatabaseError(DatabaseErrorKind::Unknown, info) => {
            // libpq's words when the server went away under an open connection.
            let message = info.message();
            message.contains("server closed the connection")
                || message.contains("no connection to the server")
                || message.contains("terminating connection")
                || message.contains("could not send data")
        }
        _ => false,
    }
}

/// Whether a write lost to a concurrent transaction and may simply run again.
pub fn is_contention(err: &QueryError) -> bool {
    match err {
        QueryError::DatabaseError(DatabaseErrorKind::SerializationFailure, _) => true,
        QueryError::DatabaseError(DatabaseErrorKind::Unknown, info) => {
            info.message().starts_with("deadlock detected")
        }
        _ => false,
    }
}

/// Lets `Database::write` see the database error inside a caller's error type, to retry contention.
pub trait WriteError: From<DbError> + From<QueryError> {
    fn query_error(&self) -> Option<&QueryError>;
}

impl WriteError for DbError {
    fn query_error(&self) -> Option<&QueryError> {
        match self {
            DbError::Query(err) => Some(err),
            DbError::Pool(_) | DbError::Unreachable(_) => None,
        }
    }
}

thread_local! {
    /// Whether this thread is inside `Database::write`: a nested write would wait for itself.
    static WRITING: Cell<bool> = const { Cell::new(false) };
}

/// The database of one app: its connection pool and, on SQLite, its turn to write. Cheap to clone; clones
/// share both.
///
/// Blocking: call it from the blocking pool (`service::blocking`), a CLI command or a test, never from an
/// async worker.
#[derive(Clone)]
pub struct Database {
    pool: Pool,
    location: Location,
    backend: Backend,
    /// The turn to write on SQLite: one writer of this app at a time asks SQLite for its write lock.
    writer: Arc<Mutex<()>>,
}

/// A pool's settings: on PostgreSQL, a request waits a short while for a connection, then answers 503.
/// Every connection taken from a pool is checked first (r2d2's `test_on_check_out`), so one lost with the
/// server is replaced rather than handed out.
fn pool_builder(location: &Location, max_size: u32) -> r2d2::Builder<Manager> {
    let builder = r2d2::Pool::builder().max_size(max_size);
    match location.backend() {
        Backend::Postgres => builder.connection_timeout(POSTGRES_CONNECT_TIMEOUT),
        Backend::Sqlite => builder,
    }
}

impl Database {
    /// Opens the database at `location` (creating a SQLite file and its directory if needed), runs pending
    /// migrations — on PostgreSQL under an advisory lock, so instances starting together migrate once —
    /// and opens the pool.
    pub fn open(location: &Location, max_size: u32) -> anyhow::Result<Self> {
        let manager = Manager {
            location: location.clone(),
        };
        let described = location.describe();
        match location {
            Location::Sqlite(path) => {
                if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
                    std::fs::create_dir_all(dir)
                        .with_context(|| format!("failed to create {}", dir.display()))?;
                }
                let mut conn = manager
                    .establish()
                    .with_context(|| format!("failed to open the database {described}"))?;
                conn.batch_execute("PRAGMA journal_mode = WAL;")?;
                conn.run_pending_migrations(SQLITE_MIGRATIONS)
                    .map_err(|e| anyhow::anyhow!("failed to run database migrations: {e}"))?;
            }
            Location::Postgres(_) => {
                let mut conn = manager
                    .establish()
                    .with_context(|| format!("failed to connect to {described}"))?;
                conn.batch_execute(&format!("SELECT pg_advisory_lock({MIGRATION_LOCK})"))?;
                let migrated = conn
                    .run_pending_migrations(POSTGRES_MIGRATIONS)
                    .map(|done| done.len())
                    .map_err(|e| anyhow::anyhow!("failed to run database migrations: {e}"));
                // Closing the connection would release the lock too; unlocking says so at once.
                conn.batch_execute(&format!("SELECT pg_advisory_unlock({MIGRATION_LOCK})"))?;
                if migrated? > 0 {
                    tracing::info!(database = %described, "migrated the PostgreSQL schema");
                }
            }
        }
        let pool = pool_builder(location, max_size)
            .build(manager)
            .with_context(|| format!("failed to open the database pool on {described}"))?;
        Ok(Database {
            pool,
            location: location.clone(),
            backend: location.backend(),
            writer: Arc::default(),
        })
    }

    /// The same database through a pool of its own, of up to `size` connections opened when first needed,
    /// for threads that keep a connection from one use to the next (the verifier's lookup thread): they
    /// never hold the shared pool's connections. The turn to write is shared.
    pub fn own_pool(&self, size: u32) -> Self {
        let manager = Manager {
            location: self.location.clone(),
        };
        Database {
            pool: pool_builder(&self.location, size)
                .min_idle(Some(0))
                .build_unchecked(manager),
            location: self.location.clone(),
            backend: self.backend,
            writer: self.writer.clone(),
        }
    }

    /// Whether other processes may serve the same data (PostgreSQL): then nothing held in one process's
    /// memory may decide a request on its own (SPEC §12).
    pub fn is_shared(&self) -> bool {
        self.backend == Backend::Postgres
    }

    /// A pooled connection for reads.
    pub fn conn(&self) -> Result<PooledConn, DbError> {
        Ok(self.pool.get()?)
    }

    /// Whether the database answers a query now (readiness).
    pub fn is_ready(&self) -> bool {
        self.conn()
            .is_ok_and(|mut conn| conn.batch_execute("SELECT 1").is_ok())
    }

    /// Runs `f` in one write transaction and commits it.
    ///
    /// On SQLite, after the other writers of this app are done: SQLite admits one writer at a time and makes
    /// the others poll with growing sleeps (up to 100 ms each, until the busy timeout): under 32 concurrent
    /// API writers one creation waited 4.3 s while the others took 1 ms, and a longer burst ends in
    /// "database is locked". Queueing on a mutex first hands the turn over the moment it is free; SQLite's
    /// busy handler is left for other processes (the CLI). The transaction is `IMMEDIATE`.
    ///
    /// On PostgreSQL, writers run side by side (read committed); a transaction that loses to another (a
    /// serialization failure, a deadlock) is rolled back and `f` runs again, up to `WRITE_ATTEMPTS` times,
    /// so contention is never the caller's error.
    ///
    /// Cannot nest: `f` gets the transaction's connection, so whatever it writes joins this transaction;
    /// calling `write` again from inside `f` fails at once with `AlreadyInTransaction` instead of waiting
    /// for itself.
    pub fn write<T, E, F>(&self, f: F) -> Result<T, E>
    where
        F: FnMut(&mut Conn) -> Result<T, E>,
        E: WriteError,
    {
        self.write_on(&mut *self.conn()?, f)
    }

    /// `write` on a connection the caller already holds (the last-use flush, which sets its own busy
    /// timeout on it first).
    pub fn write_on<T, E, F>(&self, conn: &mut Conn, mut f: F) -> Result<T, E>
    where
        F: FnMut(&mut Conn) -> Result<T, E>,
        E: WriteError,
    {
        if WRITING.with(Cell::get) {
            return Err(DbError::Query(QueryError::AlreadyInTransaction).into());
        }
        let _turn = match conn {
            Conn::Sqlite(_) => Some(self.writer.lock().unwrap_or_else(PoisonError::into_inner)),
            Conn::Postgres(_) => None,
        };
        WRITING.with(|w| w.set(true));
        let _reset = ResetOnDrop;
        let mut attempt = 1;
        loop {
            let result = match conn {
                Conn::Sqlite(_) => immediate_transaction(conn, &mut f),
                Conn::Postgres(_) => conn.transaction(&mut f),
            };
            match result {
                Err(err)
                    if attempt < WRITE_ATTEMPTS
                        && matches!(conn, Conn::Postgres(_))
                        && err.query_error().is_some_and(is_contention) =>
                {
                    attempt += 1;
                }
                result => return result,
            }
        }
    }
}

/// SQLite's `BEGIN IMMEDIATE` transaction around `f`, which takes the multi-connection: the same
/// transaction manager state as `SqliteConnection::immediate_transaction`, which would hand `f` the inner
/// connection instead.
fn immediate_transaction<T, E, F>(conn: &mut Conn, f: &mut F) -> Result<T, E>
where
    F: FnMut(&mut Conn) -> Result<T, E>,
    E: WriteError,
{
    use diesel::connection::{AnsiTransactionManager, TransactionManager};
    fn sqlite(conn: &mut Conn) -> &mut SqliteConnection {
        match conn {
            Conn::Sqlite(sqlite) => sqlite,
            Conn::Postgres(_) => unreachable!("called on SQLite only"),
        }
    }
    AnsiTransactionManager::begin_transaction_sql(sqlite(conn), "BEGIN IMMEDIATE")?;
    match f(conn) {
        Ok(value) => {
            AnsiTransactionManager::commit_transaction(sqlite(conn))?;
            Ok(value)
        }
        Err(err) => match AnsiTransactionManager::rollback_transaction(sqlite(conn)) {
            Ok(()) | Err(QueryError::BrokenTransactionManager) => Err(err),
            Err(rollback) => Err(rollback.into()),
        },
    }
}

/// Clears the "inside a write" mark however the write ends, panics included.
struct ResetOnDrop;

impl Drop for ResetOnDrop {
    fn drop(&mut self) {
        WRITING.with(|w| w.set(false));
    }
}

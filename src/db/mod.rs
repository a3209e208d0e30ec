//! Diesel schema, models and queries, grouped by table, and the database handle. Every query takes a
//! connection and does no async work; `types` says how the domain's values are stored.
//!
//! One code base serves SQLite and PostgreSQL (`pool::Conn` is either). The statements that must differ
//! between them live here and nowhere else, each matching on the connection's variant: the upserts
//! (`ended_sessions`, `projects`), the row lock of the last-use merge (`last_used`), the case-insensitive
//! email lookup (`accounts`), the advisory locks (`limits`, `accounts::lock_bootstrap`, the migrations in
//! `pool`) and the audit log's hand-written query (`audit`).

pub mod accounts;
pub mod audit;
pub mod ended_sessions;
pub mod invitations;
pub mod last_used;
pub mod limits;
pub mod pool;
pub mod projects;
pub mod registration_tokens;
pub mod schema;
pub mod testing;
pub mod tokens;
pub mod types;

pub use pool::{Backend, Conn, Database, DbError, Location, PooledConn, WriteError};

/// Whether a diesel error is a unique-constraint violation.
pub fn is_unique_violation(err: &diesel::result::Error) -> bool {
    matches!(
        err,
        diesel::result::Error::DatabaseError(diesel::result::DatabaseErrorKind::UniqueViolation, _)
    )
}

//! Diesel schema, models and queries, grouped by table, and the database handle. Every query takes a
//! connection and does no async work; `types` says how the domain's values are stored.

pub mod accounts;
pub mod audit;
pub mod ended_sessions;
pub mod last_used;
pub mod pool;
pub mod projects;
pub mod registration_tokens;
pub mod schema;
pub mod tokens;
pub mod types;

pub use pool::{Conn, Database, DbError, PooledConn};

/// Whether a diesel error is a unique-constraint violation.
pub fn is_unique_violation(err: &diesel::result::Error) -> bool {
    matches!(
        err,
        diesel::result::Error::DatabaseError(diesel::result::DatabaseErrorKind::UniqueViolation, _)
    )
}

//! The app's own `Send` error, returned by the service layer and mapped to HTML or JSON at each edge.

use crate::db::DbError;

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    /// Missing, or not visible to the caller (never say which).
    #[error("not found")]
    NotFound,
    /// The caller's role does not allow this (SPEC §4; for an API token: it lacks `ml-platform:Manage`).
    #[error("forbidden")]
    Forbidden,
    /// A field's value clashes with existing data (e.g. a name already taken).
    #[error("{field} is already in use")]
    Conflict { field: &'static str },
    /// A presented credential (a registration token) is unknown, mistyped or deleted.
    #[error("unknown credential")]
    UnknownCredential,
    /// A presented credential has expired.
    #[error("expired credential")]
    Expired,
    /// Another request changed the same thing between this one's reading and writing it (two renewals of
    /// one token at once: the later would hand out a value the other has already replaced).
    #[error("changed by another request meanwhile")]
    ChangedMeanwhile,
    /// Removing or demoting this member would leave the project without an owner (SPEC §11).
    #[error("a project keeps at least one owner")]
    LastOwner,
    /// A one-time registration token was exchanged already.
    #[error("registration token already used")]
    AlreadyUsed,
    #[error(transparent)]
    Db(#[from] DbError),
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

impl From<diesel::result::Error> for AppError {
    fn from(err: diesel::result::Error) -> Self {
        AppError::Db(DbError::Query(err))
    }
}

/// A write that lost to another transaction is retried inside `Database::write` (PostgreSQL).
impl crate::db::WriteError for AppError {
    fn query_error(&self) -> Option<&diesel::result::Error> {
        match self {
            AppError::Db(err) => err.query_error(),
            _ => None,
        }
    }
}

impl AppError {
    /// Whether the database could not be reached: answered 503, and the next request may succeed.
    pub fn is_unavailable(&self) -> bool {
        matches!(self, AppError::Db(err) if err.is_unavailable())
    }
}

impl From<diesel::r2d2::PoolError> for AppError {
    fn from(err: diesel::r2d2::PoolError) -> Self {
        AppError::Db(DbError::Pool(err))
    }
}

/// Blocking work (diesel, argon2) runs on the blocking pool; losing it there (a panic) is an internal error.
impl From<tokio::task::JoinError> for AppError {
    fn from(err: tokio::task::JoinError) -> Self {
        AppError::Internal(anyhow::anyhow!("blocking task failed: {err}"))
    }
}

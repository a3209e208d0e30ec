//! The app's own `Send` error, returned by queries and business rules and mapped to HTML or JSON at each edge.

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    /// Missing, or not visible to the caller (never say which).
    #[error("not found")]
    NotFound,
    /// The caller may see the thing but not do this to it.
    #[error("forbidden")]
    Forbidden,
    /// A field's value clashes with existing data (e.g. a name already taken).
    #[error("{field} is already in use")]
    Conflict { field: &'static str },
    /// A field's value is invalid; `message` is shown to the user.
    #[error("{field}: {message}")]
    Invalid {
        field: &'static str,
        message: String,
    },
    #[error("database error")]
    Db(#[from] diesel::result::Error),
    #[error("database pool error")]
    Pool(#[from] diesel::r2d2::PoolError),
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

impl AppError {
    pub fn invalid(field: &'static str, message: impl Into<String>) -> Self {
        AppError::Invalid {
            field,
            message: message.into(),
        }
    }
}

/// Whether a diesel error is a unique-constraint violation.
pub fn is_unique_violation(err: &diesel::result::Error) -> bool {
    matches!(
        err,
        diesel::result::Error::DatabaseError(diesel::result::DatabaseErrorKind::UniqueViolation, _)
    )
}

//! Diesel schema, models and queries, grouped by table. Every function takes a connection and does no async work.

pub mod accounts;
pub mod audit;
pub mod last_used;
pub mod pool;
pub mod projects;
pub mod registration_tokens;
pub mod schema;
pub mod tokens;

pub use pool::{Pool, PooledConn};

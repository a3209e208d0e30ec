//! Diesel schema, models and queries, grouped by table. Every function takes a connection and does no async work.

pub mod accounts;
pub mod audit;
pub mod pool;
pub mod projects;
pub mod schema;
pub mod tokens;

pub use pool::{Pool, PooledConn};

//! Who is calling: console sessions with CSRF, account passwords, login rate limits.

pub mod csrf;
pub mod password;
pub mod ratelimit;
pub mod session;

pub use session::{CurrentUser, TypedSession};

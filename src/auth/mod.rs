//! Who is calling: console sessions with CSRF, API bearer tokens (verified through an exact cache), account passwords, login rate limits, last use of tokens.

pub mod bearer;
pub mod csrf;
pub mod ended_sessions;
pub mod last_used;
pub mod password;
pub mod ratelimit;
pub mod session;
pub mod token_cache;

pub use session::{CurrentUser, TypedSession};

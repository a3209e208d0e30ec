//! Who is calling and what they may spend: console sessions with CSRF, the ended-session list, account
//! passwords, the exact verification cache of access tokens, request limits, last use of tokens, the
//! client's address. Mechanisms only: the use cases that combine them live in `service`.

pub mod client;
pub mod csrf;
pub mod ended_sessions;
pub mod last_used;
pub mod password;
pub mod ratelimit;
pub mod session;
pub mod token_cache;

pub use client::client_ip;
pub use session::{CurrentUser, TypedSession};

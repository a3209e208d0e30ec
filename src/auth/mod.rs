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

/// The table capacity below which the in-memory maps (`last_used`, `token_cache`) are never shrunk: a
/// few pages' worth of entries.
pub const SHRINK_ABOVE: usize = 1024;

/// The capacity to shrink a map of `len` entries in a table of `capacity` to, if it should shrink. A map
/// does not give back the table it grew to: after a burst of distinct tokens that memory would stay
/// held beneath every later peak. Shrinking only under a quarter full, to twice the entries (room to grow
/// again), keeps a steady load from shrinking and growing the table by turns.
pub fn shrunk_capacity(len: usize, capacity: usize) -> Option<usize> {
    (capacity > SHRINK_ABOVE && len < capacity / 4).then_some(len * 2)
}
pub use session::{CurrentUser, TypedSession};

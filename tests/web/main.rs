//! Console integration tests against the real app.

#[path = "../common/mod.rs"]
mod common;

mod login;
mod tokens;
mod triage;

//! Console integration tests against the real app.

#[path = "../common/mod.rs"]
mod common;

mod audit;
mod errors;
mod login;
mod tokens;
mod triage;

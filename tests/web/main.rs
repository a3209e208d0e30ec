//! Console integration tests against the real app.

#[path = "../common/mod.rs"]
mod common;

mod account;
mod audit;
mod errors;
mod support;

mod description;
mod invitations;
mod labels;
mod login;
mod members;
mod polish;
mod renew;
mod tokens;
mod triage;

//! JSON API integration tests against the real app (SPEC §6, issue 4).

#[path = "../common/mod.rs"]
mod common;

mod helpers;

mod auth;
mod contract;
mod errors;
mod flow;
mod labels;
mod last_used;
mod leaks;
mod lifecycle;
mod openapi;

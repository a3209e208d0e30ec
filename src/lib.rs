//! mlp-console: the ML Platform → Tokens console and its JSON API.
//!
//! Modules in dependency order, each using only those before it (`docs/architecture.md`):
//! `domain`, `clock`, `config`, `allocator` → `db`, `error` → `auth` → `service` → `state` → `web`, `api` → `cli`
//! → `startup`.

pub mod allocator;
pub mod api;
pub mod auth;
pub mod cli;
pub mod clock;
pub mod config;
pub mod db;
pub mod domain;
pub mod error;
pub mod service;
pub mod startup;
pub mod state;
pub mod telemetry;
pub mod web;

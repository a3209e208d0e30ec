//! mlp-console: the ML Platform → Tokens console and its JSON API.

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
pub mod telemetry;
pub mod web;

//! Browser journeys: the real console driven in headless Chromium through chromedriver, as a person uses it.

#[path = "../common/mod.rs"]
mod common;

mod harness;
mod lifecycle;
mod login;
mod members;
mod nojs;
mod phone;
mod tokens;

//! Many instances on one PostgreSQL database (SPEC §12, issue 12): each rule that used to live in one
//! process's memory, checked across two instances of the app serving one database. These tests run on
//! PostgreSQL whatever the pass (`MLP_TEST_POSTGRES_URL`; `scripts/test` starts a throwaway cluster), and
//! fail rather than skip without it.

#[path = "../common/mod.rs"]
mod common;

#[path = "../api/helpers.rs"]
#[allow(dead_code)]
mod helpers;

mod across_instances;
mod outage;

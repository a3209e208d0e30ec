//! The audit log: one row per event, never a secret.

use crate::db::schema::audit_events as a;
use diesel::prelude::*;
use diesel::sqlite::SqliteConnection;

/// Event names of SPEC §9.
pub mod event {
    pub const LOGIN_SUCCEEDED: &str = "login.succeeded";
    pub const LOGIN_FAILED: &str = "login.failed";
    pub const TOKEN_CREATED: &str = "token.created";
    pub const TOKEN_DELETED: &str = "token.deleted";
    pub const TOKEN_RENEWED: &str = "token.renewed";
    pub const TOKEN_DESCRIPTION_CHANGED: &str = "token.description_changed";
    pub const REGISTER_TOKEN_CREATED: &str = "register_token.created";
    pub const REGISTER_TOKEN_EXCHANGED: &str = "register_token.exchanged";
    pub const TOKEN_LEAK_REVOKED: &str = "token.leak_revoked";
    pub const ALL: [&str; 9] = [
        LOGIN_SUCCEEDED,
        LOGIN_FAILED,
        TOKEN_CREATED,
        TOKEN_DELETED,
        TOKEN_RENEWED,
        TOKEN_DESCRIPTION_CHANGED,
        REGISTER_TOKEN_CREATED,
        REGISTER_TOKEN_EXCHANGED,
        TOKEN_LEAK_REVOKED,
    ];
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = a)]
pub struct AuditEvent {
    pub id: i64,
    pub project_id: Option<String>,
    pub account_id: Option<String>,
    pub event: String,
    pub actor: String,
    pub target: Option<String>,
    pub client_ip: Option<String>,
    pub detail: Option<String>,
    pub created_at: i64,
}

#[derive(Debug, Default, Insertable)]
#[diesel(table_name = a)]
pub struct NewAuditEvent<'a> {
    pub project_id: Option<&'a str>,
    pub account_id: Option<&'a str>,
    pub event: &'a str,
    pub actor: &'a str,
    pub target: Option<&'a str>,
    pub client_ip: Option<&'a str>,
    pub detail: Option<&'a str>,
    pub created_at: i64,
}

pub fn record(conn: &mut SqliteConnection, event: &NewAuditEvent<'_>) -> QueryResult<()> {
    diesel::insert_into(a::table)
        .values(event)
        .execute(conn)
        .map(drop)
}

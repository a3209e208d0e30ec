//! The "last used" columns of access tokens, written in batches by the last-use recorder.

use crate::db::schema::access_tokens as t;
use crate::db::Conn;
use crate::domain::Timestamp;
use diesel::prelude::*;

/// What the database holds about a token's last use: time and addresses (comma-separated, most recent first).
pub fn get(conn: &mut Conn, token_id: &str) -> QueryResult<Option<(Option<Timestamp>, String)>> {
    t::table
        .find(token_id)
        .select((t::last_used_at, t::last_used_ips))
        .first(conn)
        .optional()
}

pub fn set(conn: &mut Conn, token_id: &str, at: Timestamp, ips: &str) -> QueryResult<()> {
    diesel::update(t::table.find(token_id))
        .set((t::last_used_at.eq(at), t::last_used_ips.eq(ips)))
        .execute(conn)
        .map(drop)
}

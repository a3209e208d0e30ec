//! The "last used" columns of access tokens, written in batches by the last-use recorder.

use crate::db::schema::access_tokens as t;
use crate::db::Conn;
use crate::domain::Timestamp;
use diesel::prelude::*;

/// What the database holds about a token's last use: time and addresses (comma-separated, most recent
/// first), read for a merge inside the caller's write transaction. On PostgreSQL the row stays locked until
/// that transaction ends, so two instances flushing one token at once merge one after the other instead of
/// both writing over the same old value (on SQLite the write transaction is exclusive already).
pub fn get_for_merge(
    conn: &mut Conn,
    token_id: &str,
) -> QueryResult<Option<(Option<Timestamp>, String)>> {
    let query = t::table
        .find(token_id)
        .select((t::last_used_at, t::last_used_ips));
    // On each backend's own connection: a flush runs these two statements for every token with news, and
    // there diesel reuses them by type instead of building their SQL each time.
    match conn {
        Conn::Sqlite(sqlite) => query.first(sqlite),
        Conn::Postgres(pg) => query.for_update().first(pg),
    }
    .optional()
}

pub fn set(conn: &mut Conn, token_id: &str, at: Timestamp, ips: &str) -> QueryResult<()> {
    let update = diesel::update(t::table.find(token_id))
        .set((t::last_used_at.eq(at), t::last_used_ips.eq(ips)));
    match conn {
        Conn::Sqlite(sqlite) => update.execute(sqlite),
        Conn::Postgres(pg) => update.execute(pg),
    }
    .map(drop)
}

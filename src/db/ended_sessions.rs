//! Console sessions ended by Log out, kept (as digests of their ids) until their cookie would have lapsed.

use crate::db::schema::ended_sessions as e;
use crate::db::Conn;
use crate::domain::Timestamp;
use diesel::prelude::*;

/// Every ended session not yet lapsed at `now`, after deleting the lapsed ones.
pub fn load(conn: &mut Conn, now: Timestamp) -> QueryResult<Vec<(Vec<u8>, Timestamp)>> {
    delete_lapsed(conn, now)?;
    e::table.select((e::sid_digest, e::until)).load(conn)
}

/// Ends the session whose id has this digest until `until`.
pub fn insert(conn: &mut Conn, sid_digest: &[u8], until: Timestamp) -> QueryResult<()> {
    let upsert = diesel::insert_into(e::table)
        .values((e::sid_digest.eq(sid_digest), e::until.eq(until)))
        .on_conflict(e::sid_digest)
        .do_update()
        .set(e::until.eq(until));
    // An upsert has no multi-backend form: the same statement, run on the connection's own backend.
    match conn {
        Conn::Sqlite(conn) => upsert.execute(conn),
        Conn::Postgres(conn) => upsert.execute(conn),
    }
    .map(drop)
}

/// Whether the session whose id has this digest is ended at `now`: one primary-key read.
pub fn is_ended(conn: &mut Conn, sid_digest: &[u8], now: Timestamp) -> QueryResult<bool> {
    diesel::select(diesel::dsl::exists(
        e::table
            .filter(e::sid_digest.eq(sid_digest))
            .filter(e::until.gt(now)),
    ))
    .get_result(conn)
}

pub fn delete_lapsed(conn: &mut Conn, now: Timestamp) -> QueryResult<usize> {
    diesel::delete(e::table.filter(e::until.le(now))).execute(conn)
}

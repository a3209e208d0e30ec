//! The "last used" columns of access tokens, written in batches by the last-use recorder.
//!
//! A flush writes hundreds of tokens a transaction: one statement reads them all, and on PostgreSQL one
//! statement writes them all. A statement per token cost two round trips each, and on a server sharing
//! its core with the database those round trips took the core from the requests (60,000 tokens used in a
//! minute made 120,000 statements).

use crate::db::schema::access_tokens as t;
use crate::db::Conn;
use crate::domain::Timestamp;
use diesel::prelude::*;
use diesel::sql_types::{Array, BigInt, Text};

/// One token's last use as the database holds it: time and addresses (comma-separated, most recent first).
pub struct Stored {
    pub token_id: String,
    pub at: Option<Timestamp>,
    pub ips: String,
}

/// What the database holds about these tokens' last use, in id order, read for a merge inside the caller's
/// write transaction; tokens whose rows are gone are left out. On PostgreSQL the rows stay locked until that
/// transaction ends (taken in id order, as every instance does), so two instances flushing one token at
/// once merge one after the other instead of both writing over the same old value. On SQLite the write
/// transaction is exclusive already.
pub fn get_for_merge(conn: &mut Conn, token_ids: &[&str]) -> QueryResult<Vec<Stored>> {
    let query = t::table
        .filter(t::id.eq_any(token_ids))
        .order(t::id)
        .select((t::id, t::last_used_at, t::last_used_ips));
    let rows: Vec<(String, Option<Timestamp>, String)> = match conn {
        Conn::Sqlite(sqlite) => query.load(sqlite),
        Conn::Postgres(pg) => query.for_update().load(pg),
    }?;
    Ok(rows
        .into_iter()
        .map(|(token_id, at, ips)| Stored { token_id, at, ips })
        .collect())
}

/// A token's last use to store: the news merged with what the database held.
pub struct Merged<'a> {
    pub token_id: &'a str,
    pub at: Timestamp,
    pub ips: String,
}

/// Writes each token's merged last use. On PostgreSQL one statement for all of them (the rows are already
/// locked by `get_for_merge`); on SQLite, whose statements cost no round trip, one prepared update each.
pub fn set_all(conn: &mut Conn, merged: &[Merged<'_>]) -> QueryResult<()> {
    match conn {
        Conn::Sqlite(sqlite) => {
            for row in merged {
                diesel::update(t::table.find(row.token_id))
                    .set((t::last_used_at.eq(row.at), t::last_used_ips.eq(&row.ips)))
                    .execute(sqlite)?;
            }
            Ok(())
        }
        Conn::Postgres(pg) => {
            let ids: Vec<&str> = merged.iter().map(|row| row.token_id).collect();
            let ats: Vec<i64> = merged.iter().map(|row| row.at.as_ms()).collect();
            let ips: Vec<&str> = merged.iter().map(|row| row.ips.as_str()).collect();
            diesel::sql_query(
                "UPDATE access_tokens AS t SET last_used_at = v.at, last_used_ips = v.ips \
                 FROM unnest($1::text[], $2::bigint[], $3::text[]) AS v(id, at, ips) \
                 WHERE t.id = v.id",
            )
            .bind::<Array<Text>, _>(ids)
            .bind::<Array<BigInt>, _>(ats)
            .bind::<Array<Text>, _>(ips)
            .execute(pg)
            .map(drop)
        }
    }
}

//! The counted attempts of the request limits, per key, in the database: every instance on one PostgreSQL
//! database counts the attempts of all (SPEC §12). A check and its count are one write transaction, taken
//! under an advisory lock per key on PostgreSQL (on SQLite the write transaction is exclusive already), so
//! attempts made at the same moment on any instances cannot all pass before the first is counted.

use crate::db::schema::limit_events as l;
use crate::db::Conn;
use crate::domain::Timestamp;
use diesel::prelude::*;

/// One limit on one key: at most `limit` events in any `period_ms`.
#[derive(Debug, Clone)]
pub struct Window {
    pub key: String,
    pub limit: usize,
    pub period_ms: i64,
}

/// Events older than this are deleted whatever their key (longer than any window).
const KEEP_MS: i64 = 60 * 60 * 1000;

/// Counts one event on every window, or none when any of them is full: then `Err` says how many
/// milliseconds until it has room. `Ok` holds the ids of the events counted, for [`forget`].
/// Call inside a write transaction.
pub fn admit(
    conn: &mut Conn,
    windows: &[Window],
    now: Timestamp,
) -> QueryResult<Result<Vec<i64>, i64>> {
    lock(conn, windows)?;
    let mut wait = None;
    for window in windows {
        let since = now.as_ms() - window.period_ms;
        diesel::delete(
            l::table
                .filter(l::key.eq(&window.key))
                .filter(l::at.le(since)),
        )
        .execute(conn)?;
        let limit = i64::try_from(window.limit).unwrap_or(i64::MAX);
        let counted: Vec<i64> = l::table
            .filter(l::key.eq(&window.key))
            .order(l::at.desc())
            .select(l::at)
            .limit(limit)
            .load(conn)?;
        if counted.len() >= window.limit {
            // The oldest of the last `limit` events leaves the window first.
            let oldest = counted.last().copied().unwrap_or(now.as_ms());
            let left = (oldest + window.period_ms - now.as_ms()).max(0);
            wait = Some(wait.map_or(left, |w: i64| w.max(left)));
        }
    }
    if let Some(wait) = wait {
        return Ok(Err(wait));
    }
    let mut ids = Vec::with_capacity(windows.len());
    for window in windows {
        let id = diesel::insert_into(l::table)
            .values((l::key.eq(&window.key), l::at.eq(now.as_ms())))
            .returning(l::id)
            .get_result(conn)?;
        ids.push(id);
    }
    if ids.first().is_some_and(|id| id % 256 == 0) {
        // Now and then, the keys nobody tries any more.
        diesel::delete(l::table.filter(l::at.le(now.as_ms() - KEEP_MS))).execute(conn)?;
    }
    Ok(Ok(ids))
}

/// Takes back counted events (a login whose password was right, an attempt turned away unchecked).
pub fn forget(conn: &mut Conn, ids: &[i64]) -> QueryResult<usize> {
    diesel::delete(l::table.filter(l::id.eq_any(ids))).execute(conn)
}

/// On PostgreSQL, one transaction-scoped advisory lock per key, always in the same order.
fn lock(conn: &mut Conn, windows: &[Window]) -> QueryResult<()> {
    let Conn::Postgres(pg) = conn else {
        return Ok(());
    };
    let mut keys: Vec<&str> = windows.iter().map(|w| w.key.as_str()).collect();
    keys.sort_unstable();
    keys.dedup();
    for key in keys {
        diesel::sql_query("SELECT pg_advisory_xact_lock(hashtextextended($1, 0))")
            .bind::<diesel::sql_types::Text, _>(key)
            .execute(pg)?;
    }
    Ok(())
}

//! Console sessions ended by **Log out**.
//!
//! A session lives in an encrypted cookie, so logging out in one browser cannot reach a copy of that
//! cookie taken elsewhere. The server therefore remembers each ended session's id (its SHA-256, never the
//! id itself), in memory for the per-request check and in the database so a restart keeps it, until the
//! cookie would have lapsed anyway: a session ends after `INACTIVITY_LIMIT_MS` without a request, and a
//! refused cookie cannot make one.

use crate::auth::session::INACTIVITY_LIMIT_MS;
use crate::db::schema::ended_sessions as e;
use diesel::prelude::*;
use diesel::sqlite::SqliteConnection;
use sha2::{Digest as _, Sha256};
use std::collections::HashMap;
use std::sync::Mutex;

type SidDigest = [u8; 32];

#[derive(Default)]
pub struct EndedSessions {
    /// Digest of the session id → until when it must be refused (Unix ms).
    ended: Mutex<HashMap<SidDigest, i64>>,
}

fn digest(sid: &str) -> SidDigest {
    Sha256::digest(sid.as_bytes()).into()
}

impl EndedSessions {
    /// The sessions ended and not yet lapsed at `now_ms`, as the database holds them; lapsed ones are
    /// deleted.
    pub fn load(conn: &mut SqliteConnection, now_ms: i64) -> QueryResult<Self> {
        diesel::delete(e::table.filter(e::until.le(now_ms))).execute(conn)?;
        let rows: Vec<(Vec<u8>, i64)> = e::table.select((e::sid_digest, e::until)).load(conn)?;
        let ended = rows
            .into_iter()
            .filter_map(|(bytes, until)| Some((SidDigest::try_from(bytes.as_slice()).ok()?, until)))
            .collect();
        Ok(EndedSessions {
            ended: Mutex::new(ended),
        })
    }

    /// Whether the session with id `sid` was ended.
    pub fn is_ended(&self, sid: &str, now_ms: i64) -> bool {
        let ended = self.ended.lock().unwrap_or_else(|e| e.into_inner());
        ended.get(&digest(sid)).is_some_and(|&until| until > now_ms)
    }

    /// Ends the session with id `sid` for good: written first, then refused in memory. Blocking.
    pub fn end(&self, conn: &mut SqliteConnection, sid: &str, now_ms: i64) -> QueryResult<()> {
        let key = digest(sid);
        let until = now_ms.saturating_add(INACTIVITY_LIMIT_MS);
        crate::db::pool::immediate(conn, |conn| {
            diesel::delete(e::table.filter(e::until.le(now_ms))).execute(conn)?;
            diesel::insert_into(e::table)
                .values((e::sid_digest.eq(key.as_slice()), e::until.eq(until)))
                .on_conflict(e::sid_digest)
                .do_update()
                .set(e::until.eq(until))
                .execute(conn)
        })?;
        let mut ended = self.ended.lock().unwrap_or_else(|e| e.into_inner());
        ended.retain(|_, &mut until| until > now_ms);
        ended.insert(key, until);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use diesel::Connection;
    use diesel_migrations::MigrationHarness;

    fn database() -> SqliteConnection {
        let mut conn = SqliteConnection::establish(":memory:").unwrap();
        conn.run_pending_migrations(crate::db::pool::MIGRATIONS)
            .unwrap();
        conn
    }

    #[test]
    fn an_ended_session_is_refused_until_its_cookie_would_have_lapsed_and_after_a_restart() {
        let mut conn = database();
        let ended = EndedSessions::default();
        ended.end(&mut conn, "sid-1", 1_000).unwrap();
        assert!(ended.is_ended("sid-1", 1_000));
        assert!(!ended.is_ended("sid-2", 1_000));

        let restarted = EndedSessions::load(&mut conn, 2_000).unwrap();
        assert!(restarted.is_ended("sid-1", 2_000));
        assert!(restarted.is_ended("sid-1", 1_000 + INACTIVITY_LIMIT_MS - 1));
        assert!(!restarted.is_ended("sid-1", 1_000 + INACTIVITY_LIMIT_MS));

        // Lapsed entries leave the database at the next start.
        let later = EndedSessions::load(&mut conn, 1_000 + INACTIVITY_LIMIT_MS).unwrap();
        assert!(!later.is_ended("sid-1", 0));
        let stored: i64 = e::table.count().get_result(&mut conn).unwrap();
        assert_eq!(stored, 0);
    }

    #[test]
    fn only_digests_are_stored() {
        let mut conn = database();
        EndedSessions::default()
            .end(&mut conn, "the-session-id", 0)
            .unwrap();
        let stored: Vec<u8> = e::table.select(e::sid_digest).first(&mut conn).unwrap();
        assert_eq!(stored, digest("the-session-id").to_vec());
        assert!(!stored
            .windows(b"the-session-id".len())
            .any(|w| w == b"the-session-id"));
    }
}

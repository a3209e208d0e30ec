//! Console sessions ended by **Log out**.
//!
//! A session lives in an encrypted cookie, so logging out in one browser cannot reach a copy of that
//! cookie taken elsewhere. The server therefore remembers each ended session's id (its SHA-256, never the
//! id itself), in memory for the per-request check and in the database so a restart keeps it, until the
//! cookie would have lapsed anyway: a session ends after `INACTIVITY_LIMIT_MS` without a request, and a
//! refused cookie cannot make one.
//!
//! On one SQLite file this process ends every session there is, so memory answers alone. On a shared
//! PostgreSQL database another instance may have ended it: memory still answers "ended" (an ended session
//! never comes back), and anything else is asked of the database, one primary-key read.

use crate::auth::session::INACTIVITY_LIMIT_MS;
use crate::db::{self, Database, DbError};
use crate::domain::Timestamp;
use sha2::{Digest as _, Sha256};
use std::collections::HashMap;
use std::sync::Mutex;

type SidDigest = [u8; 32];

#[derive(Default)]
pub struct EndedSessions {
    /// Digest of the session id → until when it must be refused.
    ended: Mutex<HashMap<SidDigest, Timestamp>>,
}

fn digest(sid: &str) -> SidDigest {
    Sha256::digest(sid.as_bytes()).into()
}

impl EndedSessions {
    /// The sessions ended and not yet lapsed at `now`, as the database holds them; lapsed ones are
    /// deleted. Blocking.
    pub fn load(db: &Database, now: Timestamp) -> Result<Self, DbError> {
        let rows =
            db.write(|conn| -> Result<_, DbError> { Ok(db::ended_sessions::load(conn, now)?) })?;
        let ended = rows
            .into_iter()
            .filter_map(|(bytes, until)| Some((SidDigest::try_from(bytes.as_slice()).ok()?, until)))
            .collect();
        Ok(EndedSessions {
            ended: Mutex::new(ended),
        })
    }

    /// Whether the session with id `sid` was ended. Blocking when `db` is shared.
    pub fn is_ended(&self, db: &Database, sid: &str, now: Timestamp) -> Result<bool, DbError> {
        let key = digest(sid);
        if self.is_known_ended(&key, now) {
            return Ok(true);
        }
        if !db.is_shared() {
            return Ok(false);
        }
        let ended = db::ended_sessions::is_ended(&mut *db.conn()?, &key, now)?;
        if ended {
            self.remember(key, now.plus_ms(INACTIVITY_LIMIT_MS), now);
        }
        Ok(ended)
    }

    fn is_known_ended(&self, key: &SidDigest, now: Timestamp) -> bool {
        let ended = self.ended.lock().unwrap_or_else(|e| e.into_inner());
        ended.get(key).is_some_and(|&until| until > now)
    }

    fn remember(&self, key: SidDigest, until: Timestamp, now: Timestamp) {
        let mut ended = self.ended.lock().unwrap_or_else(|e| e.into_inner());
        ended.retain(|_, &mut until| until > now);
        ended.insert(key, until);
    }

    /// Ends the session with id `sid` for good: written first, then refused in memory. Blocking.
    pub fn end(&self, db: &Database, sid: &str, now: Timestamp) -> Result<(), DbError> {
        let key = digest(sid);
        let until = now.plus_ms(INACTIVITY_LIMIT_MS);
        db.write(|conn| -> Result<(), DbError> {
            db::ended_sessions::delete_lapsed(conn, now)?;
            Ok(db::ended_sessions::insert(conn, &key, until)?)
        })?;
        self.remember(key, until, now);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::db::schema::ended_sessions as e;
    use crate::db::testing;
    use diesel::prelude::*;

    #[test]
    fn on_a_shared_database_a_session_ended_elsewhere_is_refused_here() {
        if !testing::on_postgres() {
            return; // one SQLite file has one server: nothing ends a session behind its back
        }
        let dir = tempfile::tempdir().unwrap();
        let db = Database::open(&testing::location(dir.path(), "t.db"), 1).unwrap();
        let (here, elsewhere) = (EndedSessions::default(), EndedSessions::default());
        assert!(!here.is_ended(&db, "sid", at(5)).unwrap());
        elsewhere.end(&db, "sid", at(5)).unwrap();
        assert!(here.is_ended(&db, "sid", at(6)).unwrap());
    }

    fn at(ms: i64) -> Timestamp {
        Timestamp::from_ms(ms)
    }

    #[test]
    fn an_ended_session_is_refused_until_its_cookie_would_have_lapsed_and_after_a_restart() {
        let dir = tempfile::tempdir().unwrap();
        let db = Database::open(&testing::location(dir.path(), "t.db"), 1).unwrap();
        let ended = EndedSessions::default();
        ended.end(&db, "sid-1", at(1_000)).unwrap();
        let is_ended =
            |sessions: &EndedSessions, sid, now| sessions.is_ended(&db, sid, now).unwrap();
        assert!(is_ended(&ended, "sid-1", at(1_000)));
        assert!(!is_ended(&ended, "sid-2", at(1_000)));

        let restarted = EndedSessions::load(&db, at(2_000)).unwrap();
        assert!(is_ended(&restarted, "sid-1", at(2_000)));
        assert!(is_ended(
            &restarted,
            "sid-1",
            at(1_000 + INACTIVITY_LIMIT_MS - 1)
        ));
        assert!(!is_ended(
            &restarted,
            "sid-1",
            at(1_000 + INACTIVITY_LIMIT_MS)
        ));

        // Lapsed entries leave the database at the next start.
        let later = EndedSessions::load(&db, at(1_000 + INACTIVITY_LIMIT_MS)).unwrap();
        assert!(!is_ended(&later, "sid-1", at(0)));
        let stored: i64 = e::table
            .count()
            .get_result(&mut *db.conn().unwrap())
            .unwrap();
        assert_eq!(stored, 0);
    }

    #[test]
    fn only_digests_are_stored() {
        let dir = tempfile::tempdir().unwrap();
        let db = Database::open(&testing::location(dir.path(), "t.db"), 1).unwrap();
        EndedSessions::default()
            .end(&db, "the-session-id", at(0))
            .unwrap();
        let stored: Vec<u8> = e::table
            .select(e::sid_digest)
            .first(&mut *db.conn().unwrap())
            .unwrap();
        assert_eq!(stored, digest("the-session-id").to_vec());
        assert!(!stored
            .windows(b"the-session-id".len())
            .any(|w| w == b"the-session-id"));
    }
}

//! When and from where each access token was last used (SPEC §9), without a database write per request.
//!
//! Requests only note the use in memory. A background task writes each token that has news at most
//! once a minute, and the server flushes everything when it stops. A failed write keeps the news for
//! the next attempt; no request ever waits for it.

use crate::auth::shrunk_capacity;
use crate::db::{self, Conn, Database, DbError};
use crate::domain::Timestamp;
use diesel::connection::SimpleConnection;
use std::collections::HashMap;
use std::net::IpAddr;
use std::num::NonZeroU32;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// How many distinct client addresses are kept per token.
pub const MAX_IPS: usize = 5;
/// A token is written at most this often by the background task.
pub const WRITE_INTERVAL: Duration = Duration::from_secs(60);
/// How often the background task looks for tokens to write.
pub const TICK: Duration = Duration::from_secs(5);
/// Entries with nothing new are forgotten after this long; the database has their data. Not sooner than
/// `WRITE_INTERVAL`, which an entry's last write time enforces; no later either (a stream of distinct
/// tokens would otherwise keep each one's entry for longer than it can matter).
const FORGET_AFTER: Duration = WRITE_INTERVAL;
/// Tokens written per transaction: a flush of many tokens holds the write turn in short pieces, and holds
/// only one piece's copy of the news at a time.
const FLUSH_CHUNK: usize = 512;
/// How long a flush waits for a busy database: it yields to user writes and retries on the next tick.
const FLUSH_BUSY_TIMEOUT_MS: u32 = 1_000;
/// What the pool's connections normally use (see `db::pool`), restored after a flush.
const NORMAL_BUSY_TIMEOUT_MS: u32 = 10_000;

/// A token id as the map keeps it: the ids the database makes (lower-case hyphenated UUIDs) in 16 bytes,
/// anything else as text. A stream of distinct tokens (the cold-verification load) keeps one entry per
/// token for a minute, so an entry's size is the server's memory: no allocation of its own for the key.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum Key {
    Uuid(uuid::Uuid),
    Text(Box<str>),
}

impl Key {
    fn of(id: &str) -> Self {
        let canonical = id.len() == 36 && !id.bytes().any(|b| b.is_ascii_uppercase());
        match uuid::Uuid::try_parse(id) {
            Ok(uuid) if canonical => Key::Uuid(uuid),
            _ => Key::Text(id.into()),
        }
    }

    /// The id exactly as it was given.
    fn text(&self) -> String {
        match self {
            Key::Uuid(uuid) => uuid.hyphenated().to_string(),
            Key::Text(text) => text.to_string(),
        }
    }
}

/// A token's last distinct client addresses, most recent first: most tokens are used from one, kept
/// without an allocation.
#[derive(Debug, Clone)]
enum Ips {
    One(IpAddr),
    Many(Box<[IpAddr]>),
}

impl Ips {
    fn as_slice(&self) -> &[IpAddr] {
        match self {
            Ips::One(ip) => std::slice::from_ref(ip),
            Ips::Many(ips) => ips,
        }
    }

    /// `ip` first, the others after it, distinct, at most `MAX_IPS`; in place unless the list grows.
    fn note(&mut self, ip: IpAddr) {
        match self {
            Ips::One(first) if *first == ip => {}
            Ips::One(first) => *self = Ips::Many(Box::new([ip, *first])),
            Ips::Many(ips) => {
                if let Some(at) = ips.iter().position(|known| *known == ip) {
                    ips[..=at].rotate_right(1);
                } else if ips.len() == MAX_IPS {
                    ips.rotate_right(1);
                    ips[0] = ip;
                } else {
                    let mut grown = Vec::with_capacity(ips.len() + 1);
                    grown.push(ip);
                    grown.extend_from_slice(ips);
                    *ips = grown.into_boxed_slice();
                }
            }
        }
    }
}

/// One token's news and when it was last written: 48 bytes, kept for every token used within the last
/// minute or two (60,000 of them under the benchmark's cold figure), so its fields are as small as their
/// ranges allow.
struct Usage {
    at: Timestamp,
    /// Most recent first, distinct.
    ips: Ips,
    /// Bumped (wrapping) by every use, so a write only clears what it actually wrote.
    version: u32,
    written_version: u32,
    /// When its news was last written, on the recorder's clock.
    written_at: Option<Second>,
}

/// Whole seconds since the recorder started, plus one: enough resolution for a one-minute interval, in four
/// bytes (wraps after 136 years).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
struct Second(NonZeroU32);

impl Second {
    fn since(self, earlier: Second) -> Duration {
        Duration::from_secs(u64::from(self.0.get().saturating_sub(earlier.0.get())))
    }
}

impl Usage {
    fn dirty(&self) -> bool {
        self.version != self.written_version
    }
}

/// One token's news, as handed to the database.
struct Pending {
    token_id: String,
    at: Timestamp,
    ips: Vec<IpAddr>,
    version: u32,
}

pub struct LastUsedRecorder {
    usage: Mutex<HashMap<Key, Usage>>,
    /// One flush at a time, so the background task and a shutdown flush never interleave their merges.
    flushing: Mutex<()>,
    /// The start of the recorder's clock (`Second`).
    started: Instant,
}

impl Default for LastUsedRecorder {
    fn default() -> Self {
        LastUsedRecorder {
            usage: Mutex::default(),
            flushing: Mutex::default(),
            started: Instant::now(),
        }
    }
}

impl LastUsedRecorder {
    fn now(&self) -> Second {
        let elapsed = u32::try_from(self.started.elapsed().as_secs()).unwrap_or(u32::MAX - 1);
        Second(NonZeroU32::MIN.saturating_add(elapsed))
    }

    /// Notes a use of `token_id` at `at` from `ip`. Allocation-free for a known token used from its
    /// last address, and for a new token with a database id.
    pub fn record(&self, token_id: &str, at: Timestamp, ip: IpAddr) {
        let key = Key::of(token_id);
        let mut usage = self.usage.lock().unwrap_or_else(|e| e.into_inner());
        match usage.get_mut(&key) {
            Some(entry) => {
                entry.at = entry.at.max(at);
                entry.ips.note(ip);
                entry.version = entry.version.wrapping_add(1);
            }
            None => {
                usage.insert(
                    key,
                    Usage {
                        at,
                        ips: Ips::One(ip),
                        version: 1,
                        written_version: 0,
                        written_at: None,
                    },
                );
            }
        }
    }

    /// The last use noted in memory (possibly not yet written): time and addresses, most recent first.
    pub fn peek(&self, token_id: &str) -> Option<(Timestamp, Vec<IpAddr>)> {
        let usage = self.usage.lock().unwrap_or_else(|e| e.into_inner());
        usage
            .get(&Key::of(token_id))
            .map(|u| (u.at, u.ips.as_slice().to_vec()))
    }

    /// Whether some token has news to write (any age when `all`, else only those not written for a minute).
    #[cfg(test)]
    pub fn has_due(&self, all: bool) -> bool {
        let now = self.now();
        let usage = self.usage.lock().unwrap_or_else(|e| e.into_inner());
        usage.values().any(|u| is_due(u, now, all))
    }

    /// Writes the news of due tokens (every token with news when `all`) and returns how many were written.
    /// Blocking: call it from the blocking pool.
    pub fn flush(&self, db: &Database, all: bool) -> Result<usize, DbError> {
        let _one_at_a_time = self.flushing.lock().unwrap_or_else(|e| e.into_inner());
        // Bounded by what is due now: uses arriving during the flush wait for the next one.
        let due_now = self.count_due(all);
        if due_now == 0 {
            self.forget_idle();
            return Ok(0);
        }
        let started = Instant::now();
        let mut conn = db.conn()?;
        let sqlite = matches!(*conn, Conn::Sqlite(_));
        if sqlite {
            conn.batch_execute(&format!("PRAGMA busy_timeout = {FLUSH_BUSY_TIMEOUT_MS};"))?;
        }
        let mut written = 0;
        let mut result = Ok(());
        while written < due_now {
            let pending = self.due(all, FLUSH_CHUNK.min(due_now - written));
            if pending.is_empty() {
                break;
            }
            result = Self::write(db, &mut conn, &pending);
            if result.is_err() {
                break;
            }
            self.mark_written(&pending);
            written += pending.len();
        }
        if sqlite {
            conn.batch_execute(&format!("PRAGMA busy_timeout = {NORMAL_BUSY_TIMEOUT_MS};"))?;
        }
        result?;
        tracing::debug!(
            tokens = written,
            elapsed_ms = started.elapsed().as_millis(),
            "wrote last uses"
        );
        self.forget_idle();
        Ok(written)
    }

    /// One transaction merging `pending` into the stored rows.
    fn write(db: &Database, conn: &mut Conn, pending: &[Pending]) -> Result<(), DbError> {
        db.write_on(conn, |conn| -> Result<(), DbError> {
            if let Conn::Postgres(pg) = conn {
                // As SQLite's busy timeout: yield to whoever holds the rows, retry on the next tick.
                pg.batch_execute(&format!("SET LOCAL lock_timeout = {FLUSH_BUSY_TIMEOUT_MS}"))?;
            }
            // Read under row locks on PostgreSQL: another instance flushing the same tokens waits, then
            // merges with what this one wrote (max of the times, union of the addresses).
            let ids: Vec<&str> = pending.iter().map(|news| news.token_id.as_str()).collect();
            let stored = db::last_used::get_for_merge(conn, &ids)?;
            // A token whose row is gone has nothing to record.
            let news: HashMap<&str, &Pending> =
                pending.iter().map(|n| (n.token_id.as_str(), n)).collect();
            let merged: Vec<_> = stored
                .iter()
                .filter_map(|row| {
                    let n = news.get(row.token_id.as_str())?;
                    Some(db::last_used::Merged {
                        token_id: &n.token_id,
                        at: row.at.map_or(n.at, |s| s.max(n.at)),
                        ips: merge_ips(&n.ips, &row.ips),
                    })
                })
                .collect();
            db::last_used::set_all(conn, &merged)?;
            Ok(())
        })
    }

    fn count_due(&self, all: bool) -> usize {
        let now = self.now();
        let usage = self.usage.lock().unwrap_or_else(|e| e.into_inner());
        usage.values().filter(|u| is_due(u, now, all)).count()
    }

    /// Up to `limit` tokens with news to write. (The write locks their rows in id order, on every instance,
    /// so two flushes never wait for each other in a circle: `db::last_used::get_for_merge`.)
    fn due(&self, all: bool, limit: usize) -> Vec<Pending> {
        let now = self.now();
        let usage = self.usage.lock().unwrap_or_else(|e| e.into_inner());
        usage
            .iter()
            .filter(|(_, u)| is_due(u, now, all))
            .take(limit)
            .map(|(id, u)| Pending {
                token_id: id.text(),
                at: u.at,
                ips: u.ips.as_slice().to_vec(),
                version: u.version,
            })
            .collect()
    }

    fn mark_written(&self, written: &[Pending]) {
        let now = self.now();
        let mut usage = self.usage.lock().unwrap_or_else(|e| e.into_inner());
        for news in written {
            if let Some(u) = usage.get_mut(&Key::of(&news.token_id)) {
                // Flushes take turns, so this is the latest version written.
                u.written_version = news.version;
                u.written_at = Some(now);
            }
        }
    }

    fn forget_idle(&self) {
        let now = self.now();
        let mut usage = self.usage.lock().unwrap_or_else(|e| e.into_inner());
        usage.retain(|_, u| u.dirty() || u.written_at.is_none_or(|w| now.since(w) < FORGET_AFTER));
        // 60,000 distinct tokens grow a ~9 MiB table.
        if let Some(capacity) = shrunk_capacity(usage.len(), usage.capacity()) {
            usage.shrink_to(capacity);
        }
    }
}

/// Whether `u` has news to write now: any news when `all`, else only if not written within a minute. The
/// clock counts whole seconds, so "a minute" means more than 60 of its ticks: at least a full minute.
fn is_due(u: &Usage, now: Second, all: bool) -> bool {
    u.dirty() && (all || u.written_at.is_none_or(|w| now.since(w) > WRITE_INTERVAL))
}

/// The addresses to store: the recent ones (most recent first), then older stored ones, distinct, at most 5.
fn merge_ips(recent: &[IpAddr], stored: &str) -> String {
    recent_ips(recent, stored).join(",")
}

/// The last distinct client addresses of a token, most recent first, at most 5: those noted in memory
/// (`recent`, most recent first), then those the database holds (`stored`, comma-separated).
pub fn recent_ips(recent: &[IpAddr], stored: &str) -> Vec<String> {
    let mut merged: Vec<String> = Vec::with_capacity(MAX_IPS);
    let recent = recent.iter().map(ToString::to_string);
    let older = stored
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned);
    for ip in recent.chain(older) {
        if merged.len() == MAX_IPS {
            break;
        }
        if !merged.contains(&ip) {
            merged.push(ip);
        }
    }
    merged
}

/// The background writer: wakes every few seconds and writes what is due, off the request path.
pub async fn run_flusher(recorder: std::sync::Arc<LastUsedRecorder>, db: Database) {
    let mut tick = tokio::time::interval(TICK);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        // On the blocking pool even when idle: finding what is due and forgetting what was written a
        // minute ago each walk every note, under the lock every verification takes to note its use.
        let (recorder, db) = (recorder.clone(), db.clone());
        let result = tokio::task::spawn_blocking(move || recorder.flush(&db, false)).await;
        match result {
            Ok(Ok(_)) => {}
            Ok(Err(err)) => {
                tracing::warn!(error = %err, "could not record token last use; will retry")
            }
            Err(err) => tracing::error!(error = %err, "the last-use writer failed"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::auth::SHRINK_ABOVE;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn a_flush_of_more_tokens_than_a_piece_writes_them_all() {
        use crate::db::tokens::{self, NewToken};
        use crate::domain::{secret::digest_of, TokenRole};
        let dir = tempfile::tempdir().unwrap();
        let db = Database::open(&crate::db::testing::location(dir.path(), "t.db"), 2).unwrap();
        let count = FLUSH_CHUNK * 2 + 100;
        let ids: Vec<String> = (0..count).map(|i| format!("token-{i:05}")).collect();
        db.write(|tx| -> Result<(), DbError> {
            db::projects::insert(tx, "p", "p", Timestamp::from_ms(0))?;
            for id in &ids {
                tokens::insert(
                    tx,
                    &NewToken {
                        id,
                        project_id: "p",
                        name: id,
                        role: TokenRole::User,
                        digest: &digest_of(id),
                        hint: "mlpat_xxxx",
                        description: None,
                        created_at: Timestamp::from_ms(0),
                        created_by_account_id: None,
                        issuer_name: "x",
                        expires_at: None,
                        lifetime: None,
                        label_selector: None,
                    },
                )?;
            }
            Ok(())
        })
        .unwrap();
        let rec = LastUsedRecorder::default();
        for id in &ids {
            rec.record(id, Timestamp::from_ms(7), ip("10.0.0.1"));
        }
        assert_eq!(rec.flush(&db, false).unwrap(), count);
        assert!(!rec.has_due(true));
        let mut conn = db.conn().unwrap();
        let all: Vec<&str> = ids.iter().map(String::as_str).collect();
        let stored = db::last_used::get_for_merge(&mut conn, &all).unwrap();
        assert_eq!(stored.len(), count);
        for row in stored {
            assert_eq!(
                (row.at, row.ips.as_str()),
                (Some(Timestamp::from_ms(7)), "10.0.0.1"),
                "{}",
                row.token_id
            );
        }
    }

    #[test]
    fn keeps_five_distinct_addresses_most_recent_first() {
        let rec = LastUsedRecorder::default();
        for (i, a) in [
            "1.1.1.1", "2.2.2.2", "1.1.1.1", "3.3.3.3", "4.4.4.4", "5.5.5.5", "6.6.6.6",
        ]
        .iter()
        .enumerate()
        {
            rec.record("t", Timestamp::from_ms(i as i64), ip(a));
        }
        let (at, ips) = rec.peek("t").unwrap();
        assert_eq!(at.as_ms(), 6);
        let ips: Vec<String> = ips.iter().map(ToString::to_string).collect();
        assert_eq!(ips, ["6.6.6.6", "5.5.5.5", "4.4.4.4", "3.3.3.3", "1.1.1.1"]);
    }

    #[test]
    fn database_ids_are_kept_in_16_bytes_and_given_back_as_they_came() {
        let id = uuid::Uuid::new_v4().hyphenated().to_string();
        assert!(matches!(Key::of(&id), Key::Uuid(_)));
        for other in [
            id.as_str(),
            "t",
            "token-00001",
            &id.to_uppercase(),
            &id.replace('-', ""),
        ] {
            assert_eq!(Key::of(other).text(), other);
        }
        let rec = LastUsedRecorder::default();
        rec.record(&id, Timestamp::from_ms(3), ip("10.0.0.1"));
        rec.record(&id, Timestamp::from_ms(4), ip("10.0.0.2"));
        rec.record(&id, Timestamp::from_ms(5), ip("10.0.0.2"));
        let (at, ips) = rec.peek(&id).unwrap();
        assert_eq!(at.as_ms(), 5);
        assert_eq!(ips, [ip("10.0.0.2"), ip("10.0.0.1")]);
        let pending = rec.due(true, usize::MAX);
        assert_eq!(pending.len(), 1);
        assert_eq!(pending[0].token_id, id);
        rec.mark_written(&pending);
        assert!(!rec.has_due(true), "marked written by its text id");
    }

    #[test]
    fn time_never_goes_back() {
        let rec = LastUsedRecorder::default();
        rec.record("t", Timestamp::from_ms(10), ip("1.1.1.1"));
        rec.record("t", Timestamp::from_ms(5), ip("1.1.1.1"));
        assert_eq!(rec.peek("t").unwrap().0.as_ms(), 10);
    }

    #[test]
    fn merge_puts_recent_first_and_drops_duplicates() {
        assert_eq!(
            merge_ips(
                &[ip("9.9.9.9"), ip("1.1.1.1")],
                "1.1.1.1,2.2.2.2,3.3.3.3,4.4.4.4,5.5.5.5"
            ),
            "9.9.9.9,1.1.1.1,2.2.2.2,3.3.3.3,4.4.4.4"
        );
        assert_eq!(merge_ips(&[ip("::1")], ""), "::1");
    }

    #[test]
    fn a_written_token_is_not_due_again_within_a_minute_unless_all() {
        let rec = LastUsedRecorder::default();
        rec.record("t", Timestamp::from_ms(1), ip("1.1.1.1"));
        assert!(rec.has_due(false));
        let pending = rec.due(false, usize::MAX);
        rec.mark_written(&pending);
        assert!(!rec.has_due(true));
        rec.record("t", Timestamp::from_ms(2), ip("1.1.1.1"));
        assert!(!rec.has_due(false), "written less than a minute ago");
        assert!(rec.has_due(true));
    }

    #[test]
    fn a_written_token_is_due_again_only_after_a_full_minute() {
        let rec = LastUsedRecorder {
            started: Instant::now() - Duration::from_secs(61),
            ..LastUsedRecorder::default()
        };
        assert_eq!(rec.now().0.get(), 62);
        rec.record("t", Timestamp::from_ms(1), ip("1.1.1.1"));
        let pending = rec.due(false, usize::MAX);
        rec.mark_written(&pending);
        rec.record("t", Timestamp::from_ms(2), ip("1.1.1.1"));
        let written_at = |second: u32| {
            let mut usage = rec.usage.lock().unwrap();
            usage.get_mut(&Key::of("t")).unwrap().written_at =
                Some(Second(NonZeroU32::new(second).unwrap()));
        };
        // 60 whole seconds may be as little as 59 s and a bit: not yet.
        written_at(2);
        assert!(!rec.has_due(false));
        written_at(1);
        assert!(rec.has_due(false));
    }

    #[test]
    fn forgetting_a_burst_of_tokens_gives_back_the_table_it_grew() {
        let rec = LastUsedRecorder {
            started: Instant::now() - Duration::from_secs(200),
            ..LastUsedRecorder::default()
        };
        let burst: Vec<String> = (0..20_000).map(|i| format!("burst-{i}")).collect();
        for id in &burst {
            rec.record(id, Timestamp::from_ms(1), ip("1.1.1.1"));
        }
        rec.mark_written(&rec.due(true, usize::MAX));
        for usage in rec.usage.lock().unwrap().values_mut() {
            usage.written_at = Some(Second(NonZeroU32::MIN)); // 200 s ago
        }
        rec.record("burst-7", Timestamp::from_ms(2), ip("1.1.1.1"));
        rec.record("new", Timestamp::from_ms(2), ip("1.1.1.1"));
        let grown = rec.usage.lock().unwrap().capacity();
        assert!(grown >= burst.len());

        rec.forget_idle();
        let usage = rec.usage.lock().unwrap();
        let mut kept: Vec<String> = usage.keys().map(Key::text).collect();
        kept.sort();
        assert_eq!(kept, ["burst-7", "new"], "only the tokens with news stay");
        assert!(
            usage.capacity() <= SHRINK_ABOVE,
            "capacity {} of {grown}",
            usage.capacity()
        );
    }

    #[tokio::test]
    async fn the_idle_writer_forgets_what_was_written_a_minute_ago() {
        let dir = tempfile::tempdir().unwrap();
        let db = Database::open(&crate::db::testing::location(dir.path(), "t.db"), 1).unwrap();
        let rec = std::sync::Arc::new(LastUsedRecorder {
            started: Instant::now() - Duration::from_secs(200),
            ..LastUsedRecorder::default()
        });
        rec.record("written", Timestamp::from_ms(1), ip("1.1.1.1"));
        rec.mark_written(&rec.due(true, usize::MAX));
        rec.usage
            .lock()
            .unwrap()
            .get_mut(&Key::of("written"))
            .unwrap()
            .written_at = Some(Second(NonZeroU32::MIN)); // 200 s ago
        assert!(!rec.has_due(true), "nothing to write: the writer is idle");

        let writer = tokio::spawn(run_flusher(rec.clone(), db));
        let deadline = Instant::now() + Duration::from_secs(5);
        while rec.peek("written").is_some() && Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        writer.abort();
        assert_eq!(
            rec.peek("written"),
            None,
            "forgotten on the writer's first tick"
        );
    }

    #[test]
    fn a_map_still_a_quarter_full_is_not_shrunk() {
        let rec = LastUsedRecorder::default();
        for i in 0..8_000 {
            rec.record(&format!("t-{i}"), Timestamp::from_ms(1), ip("1.1.1.1"));
        }
        let grown = rec.usage.lock().unwrap().capacity();
        rec.forget_idle(); // all dirty: nothing is forgotten
        assert_eq!(rec.usage.lock().unwrap().capacity(), grown);
    }

    #[test]
    fn a_use_during_a_write_stays_dirty() {
        let rec = LastUsedRecorder::default();
        rec.record("t", Timestamp::from_ms(1), ip("1.1.1.1"));
        let pending = rec.due(true, usize::MAX);
        rec.record("t", Timestamp::from_ms(2), ip("2.2.2.2"));
        rec.mark_written(&pending);
        assert!(rec.has_due(true));
    }
}

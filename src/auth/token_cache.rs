//! Verified access tokens kept in memory, so a request with a known token needs neither SQL nor a thread hop.
//!
//! The cache must be exact: a token that is deleted or renewed stops working on its very next request.
//! The cache is owned by `service::TokenStore`, whose delete and renew call [`TokenCache::invalidate`]
//! after their transaction commits; nothing else can change a token. A lookup that missed reads the generation before it queries the
//! database and inserts its result only if no invalidation happened meanwhile, so a row read just
//! before a deletion can never be cached after it.

use crate::auth::shrunk_capacity;
use crate::db::tokens::TokenIdentity;
use crate::domain::Digest;
use std::collections::{HashMap, VecDeque};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

/// Most entries kept. Measured with the map overhead, an entry costs ~0.65 KiB, so a full cache holds
/// ~8 MiB: with the rest of the server, one password hash (19 MiB) and the last-use notes of a stream of
/// distinct tokens (the benchmark's cold figure: 60,000 in a minute, ~10 MiB) it stays inside the 64 MiB
/// budget, which 16,384 entries overran by a few MiB. A working set beyond it costs one indexed read per
/// miss, shared with the other misses of the moment (`service::verifier`).
pub const DEFAULT_CAPACITY: usize = 12_288;
/// An entry is re-read from the database after this long. Invalidation is what makes revocation
/// immediate; this only bounds the damage of a change made behind the app's back (a hand edit of
/// the database, another process).
pub const DEFAULT_MAX_AGE: Duration = Duration::from_secs(60);

/// What verification learned about a token: everything the API needs, nothing secret. It is the row a
/// cache miss reads (`db::tokens::TokenIdentity`), kept as it came.
pub type VerifiedToken = TokenIdentity;

struct Entry {
    token: Arc<VerifiedToken>,
    cached_at: Instant,
}

#[derive(Default)]
struct Maps {
    by_digest: HashMap<Digest, Entry>,
    digest_by_id: HashMap<String, Digest>,
    /// Digests in the order they were cached, oldest first: the next to evict. May still hold digests
    /// invalidated since, which eviction skips.
    order: VecDeque<Digest>,
}

pub struct TokenCache {
    maps: RwLock<Maps>,
    /// Bumped by every invalidation, under the write lock.
    generation: AtomicU64,
    capacity: usize,
    max_age: Duration,
}

/// Read before a database lookup; handed back to [`TokenCache::insert`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Generation(u64);

impl Default for TokenCache {
    fn default() -> Self {
        Self::new(DEFAULT_CAPACITY, DEFAULT_MAX_AGE)
    }
}

impl TokenCache {
    pub fn new(capacity: usize, max_age: Duration) -> Self {
        TokenCache {
            maps: RwLock::new(Maps::default()),
            generation: AtomicU64::new(0),
            capacity: capacity.max(1),
            max_age,
        }
    }

    /// The cached token with this digest, if it is there and fresh.
    pub fn get(&self, digest: &Digest) -> Option<Arc<VerifiedToken>> {
        let maps = self.maps.read().unwrap_or_else(|e| e.into_inner());
        let entry = maps.by_digest.get(digest)?;
        (entry.cached_at.elapsed() < self.max_age).then(|| entry.token.clone())
    }

    /// To be read before the database lookup whose result will be inserted.
    pub fn generation(&self) -> Generation {
        Generation(self.generation.load(Ordering::SeqCst))
    }

    /// Caches a token read from the database, unless an invalidation happened since `seen` was read
    /// (the row may then describe a token that no longer works). Returns whether it was cached.
    pub fn insert(&self, seen: Generation, digest: Digest, token: Arc<VerifiedToken>) -> bool {
        let mut maps = self.maps.write().unwrap_or_else(|e| e.into_inner());
        if self.generation.load(Ordering::SeqCst) != seen.0 {
            return false;
        }
        let new = !maps.by_digest.contains_key(&digest);
        while new && maps.by_digest.len() >= self.capacity {
            // The oldest entry goes (a miss costs one indexed read). Taking "any" key instead walked the
            // map's emptied front buckets on every insert: a tenth of a cache miss's time.
            let Some(victim) = maps.order.pop_front() else {
                break;
            };
            if let Some(old) = maps.by_digest.remove(&victim) {
                maps.digest_by_id.remove(&old.token.id);
            }
        }
        // A renewed token keeps its id under a new digest: the old digest must not linger.
        if let Some(previous) = maps.digest_by_id.insert(token.id.clone(), digest) {
            if previous != digest {
                maps.by_digest.remove(&previous);
            }
        }
        maps.by_digest.insert(
            digest,
            Entry {
                token,
                cached_at: Instant::now(),
            },
        );
        if new {
            maps.order.push_back(digest);
        }
        // Invalidated digests linger in the order until they come up; keep it bounded all the same.
        if maps.order.len() > 2 * self.capacity {
            let Maps {
                by_digest, order, ..
            } = &mut *maps;
            order.retain(|d| by_digest.contains_key(d));
        }
        true
    }

    /// Drops the entries too old to be served (their next lookup reads the database anyway) and returns
    /// how many. After a burst of distinct tokens that is most of a full cache: memory it would otherwise
    /// hold until the next burst. Walks the cache under the write lock (~0.1 ms for a full one).
    pub fn drop_stale(&self) -> usize {
        let mut maps = self.maps.write().unwrap_or_else(|e| e.into_inner());
        let Maps {
            by_digest,
            digest_by_id,
            order,
        } = &mut *maps;
        let now = Instant::now();
        let before = by_digest.len();
        by_digest.retain(|digest, entry| {
            let fresh = now.saturating_duration_since(entry.cached_at) < self.max_age;
            if !fresh && digest_by_id.get(&entry.token.id) == Some(digest) {
                digest_by_id.remove(&entry.token.id);
            }
            fresh
        });
        let dropped = before - by_digest.len();
        if dropped > 0 {
            order.retain(|digest| by_digest.contains_key(digest));
        }
        if let Some(capacity) = shrunk_capacity(by_digest.len(), by_digest.capacity()) {
            by_digest.shrink_to(capacity);
            digest_by_id.shrink_to(capacity);
            order.shrink_to(capacity);
        }
        dropped
    }

    /// Forgets the token with this id and fails every lookup that started before this call.
    pub fn invalidate(&self, token_id: &str) {
        let mut maps = self.maps.write().unwrap_or_else(|e| e.into_inner());
        self.generation.fetch_add(1, Ordering::SeqCst);
        if let Some(digest) = maps.digest_by_id.remove(token_id) {
            maps.by_digest.remove(&digest);
        }
    }

    pub fn len(&self) -> usize {
        self.maps
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .by_digest
            .len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::auth::SHRINK_ABOVE;
    use crate::domain::secret::digest_of;
    use crate::domain::TokenRole;

    fn token(id: &str) -> Arc<VerifiedToken> {
        Arc::new(VerifiedToken {
            id: id.into(),
            project_id: "p".into(),
            name: format!("name-{id}"),
            role: TokenRole::User,
            issuer_name: "a@b".into(),
            created_by_account_id: None,
            expires_at: None,
            label_selector: None,
        })
    }

    #[test]
    fn hit_after_insert_and_miss_after_invalidate() {
        let cache = TokenCache::default();
        let d = digest_of("one");
        assert!(cache.get(&d).is_none());
        assert!(cache.insert(cache.generation(), d, token("1")));
        assert_eq!(cache.get(&d).unwrap().id, "1");
        cache.invalidate("1");
        assert!(cache.get(&d).is_none());
        assert!(cache.is_empty());
    }

    #[test]
    fn a_lookup_that_raced_an_invalidation_is_not_cached() {
        let cache = TokenCache::default();
        let d = digest_of("one");
        let seen = cache.generation();
        // The database read happens here; meanwhile the token is deleted and invalidated.
        cache.invalidate("1");
        assert!(!cache.insert(seen, d, token("1")));
        assert!(cache.get(&d).is_none());
    }

    #[test]
    fn invalidating_another_token_also_refuses_stale_inserts() {
        // Conservative by design: any invalidation fails every lookup in flight.
        let cache = TokenCache::default();
        let seen = cache.generation();
        cache.invalidate("2");
        assert!(!cache.insert(seen, digest_of("one"), token("1")));
    }

    #[test]
    fn stale_entries_are_dropped_and_fresh_ones_kept() {
        let max_age = Duration::from_millis(100);
        let cache = TokenCache::new(DEFAULT_CAPACITY, max_age);
        for i in 0..3000 {
            let id = format!("old-{i}");
            assert!(cache.insert(cache.generation(), digest_of(&id), token(&id)));
        }
        std::thread::sleep(max_age + Duration::from_millis(20));
        assert!(cache.insert(cache.generation(), digest_of("fresh"), token("fresh")));

        assert_eq!(cache.drop_stale(), 3000);
        assert_eq!(cache.len(), 1);
        assert_eq!(cache.get(&digest_of("fresh")).unwrap().id, "fresh");
        assert!(cache.get(&digest_of("old-7")).is_none());
        assert!(cache.maps.read().unwrap().by_digest.capacity() <= SHRINK_ABOVE);
        // What was dropped is cached again on its next lookup, and can still be invalidated.
        assert!(cache.insert(cache.generation(), digest_of("old-7"), token("old-7")));
        assert_eq!(cache.len(), 2);
        cache.invalidate("old-7");
        assert!(cache.get(&digest_of("old-7")).is_none());
        assert_eq!(cache.drop_stale(), 0);
        assert_eq!(cache.len(), 1);
    }

    #[test]
    fn size_is_bounded() {
        let cache = TokenCache::new(3, DEFAULT_MAX_AGE);
        for i in 0..10 {
            let id = i.to_string();
            assert!(cache.insert(cache.generation(), digest_of(&id), token(&id)));
            assert!(cache.len() <= 3);
        }
        assert!(cache.get(&digest_of("9")).is_some());
    }

    #[test]
    fn the_oldest_entry_is_evicted_first_and_invalidated_ones_are_skipped() {
        let cache = TokenCache::new(3, DEFAULT_MAX_AGE);
        let insert = |id: &str| cache.insert(cache.generation(), digest_of(id), token(id));
        for id in ["1", "2", "3"] {
            insert(id);
        }
        cache.invalidate("1");
        insert("4"); // room left by the invalidation: nothing evicted
        assert!(cache.get(&digest_of("2")).is_some());
        insert("5"); // full: "2", now the oldest, goes
        assert!(cache.get(&digest_of("2")).is_none());
        for id in ["3", "4", "5"] {
            assert!(cache.get(&digest_of(id)).is_some(), "{id}");
        }
        assert_eq!(cache.len(), 3);
    }

    #[test]
    fn a_new_digest_for_the_same_id_replaces_the_old_one() {
        let cache = TokenCache::default();
        let (old, new) = (digest_of("old"), digest_of("new"));
        cache.insert(cache.generation(), old, token("1"));
        cache.insert(cache.generation(), new, token("1"));
        assert!(cache.get(&old).is_none());
        assert!(cache.get(&new).is_some());
        assert_eq!(cache.len(), 1);
    }

    #[test]
    fn stale_entries_are_not_served() {
        let cache = TokenCache::new(10, Duration::ZERO);
        let d = digest_of("one");
        cache.insert(cache.generation(), d, token("1"));
        assert!(cache.get(&d).is_none());
    }
}

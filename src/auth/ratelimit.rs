//! Request limits: failed logins (SPEC §5), checked before any password hashing, and the public
//! leak-report endpoint, checked before any work. The counts live in the database (`db::limits`), so every
//! instance on one PostgreSQL database counts the attempts of all (SPEC §12). Blocking: call from the
//! blocking pool.

use crate::db::limits::{self, Window};
use crate::db::{Database, DbError};
use crate::domain::Timestamp;
use std::net::IpAddr;
use std::time::Duration;

/// The shortest wait a refusal names: `Retry-After` counts whole seconds.
const MIN_WAIT: Duration = Duration::from_secs(1);

fn wait(ms: i64) -> Duration {
    Duration::from_millis(u64::try_from(ms).unwrap_or(0)).max(MIN_WAIT)
}

fn period_ms(period: Duration) -> i64 {
    i64::try_from(period.as_millis()).unwrap_or(i64::MAX)
}

/// Requests per client address in a sliding window, for endpoints anyone may call.
pub struct ClientLimiter {
    name: &'static str,
    limit: usize,
    period: Duration,
}

impl ClientLimiter {
    /// `name` keeps this limiter's counts apart from the others'.
    pub fn new(name: &'static str, limit: usize, period: Duration) -> Self {
        ClientLimiter {
            name,
            limit,
            period,
        }
    }

    /// Counts a request from `ip` at `now`, or refuses it with how long to wait. A refused request is not
    /// counted, so a client that keeps hammering is told the true time until the window frees a slot.
    pub fn admit(
        &self,
        db: &Database,
        ip: IpAddr,
        now: Timestamp,
    ) -> Result<Result<(), Duration>, DbError> {
        let window = Window {
            key: format!("{}|{ip}", self.name),
            limit: self.limit,
            period_ms: period_ms(self.period),
        };
        let admitted = db.write(|tx| -> Result<_, DbError> {
            Ok(limits::admit(tx, std::slice::from_ref(&window), now)?)
        })?;
        Ok(admitted.map(drop).map_err(wait))
    }
}

/// 5 failures per email and client address in 15 minutes; 30 per client address in a minute.
pub struct LoginLimiter {
    account_limit: usize,
    account_period: Duration,
    client_limit: usize,
    client_period: Duration,
}

impl Default for LoginLimiter {
    fn default() -> Self {
        Self::new(5, Duration::from_secs(15 * 60), 30, Duration::from_secs(60))
    }
}

impl LoginLimiter {
    pub fn new(
        account_limit: usize,
        account_period: Duration,
        client_limit: usize,
        client_period: Duration,
    ) -> Self {
        LoginLimiter {
            account_limit,
            account_period,
            client_limit,
            client_period,
        }
    }

    fn windows(&self, ip: IpAddr, email: &str) -> [Window; 2] {
        [
            Window {
                key: format!("login|{ip}"),
                limit: self.client_limit,
                period_ms: period_ms(self.client_period),
            },
            Window {
                key: format!("login|{ip}|{}", email.trim().to_lowercase()),
                limit: self.account_limit,
                period_ms: period_ms(self.account_period),
            },
        ]
    }

    /// Admits a login attempt at `now`, or refuses it with how long to wait, before any password hashing.
    ///
    /// An admitted attempt counts as a failure at once, in the same transaction as the check: attempts
    /// made at the same moment, through any instance, cannot all pass the check before the first of them
    /// has failed (16 simultaneous guesses used to reach argon2 where 5 are allowed). A right password
    /// gives the attempt back ([`LoginLimiter::give_back`]).
    pub fn begin(
        &self,
        db: &Database,
        ip: IpAddr,
        email: &str,
        now: Timestamp,
    ) -> Result<Result<Attempt, Duration>, DbError> {
        let windows = self.windows(ip, email);
        let admitted =
            db.write(|tx| -> Result<_, DbError> { Ok(limits::admit(tx, &windows, now)?) })?;
        Ok(admitted.map(|ids| Attempt { ids }).map_err(wait))
    }

    /// The attempt's password was right, or it was turned away before its password was checked (the
    /// server was busy): it no longer counts as a failure.
    pub fn give_back(&self, db: &Database, attempt: Attempt) -> Result<(), DbError> {
        db.write(|tx| -> Result<_, DbError> { Ok(limits::forget(tx, &attempt.ids)?) })
            .map(drop)
    }
}

/// A login attempt admitted by [`LoginLimiter::begin`]; it counts as a failure unless handed back.
#[derive(Debug)]
pub struct Attempt {
    ids: Vec<i64>,
}

#[cfg(test)]
mod tests {
    use super::*;

    const IP: IpAddr = IpAddr::V4(std::net::Ipv4Addr::LOCALHOST);

    struct Fixture {
        _dir: tempfile::TempDir,
        db: Database,
    }

    fn fixture() -> Fixture {
        let dir = tempfile::tempdir().unwrap();
        let db = Database::open(&crate::db::testing::location(dir.path(), "t.db"), 2).unwrap();
        Fixture { _dir: dir, db }
    }

    fn at(ms: i64) -> Timestamp {
        Timestamp::from_ms(ms)
    }

    const T0: i64 = 1_000_000_000;

    #[test]
    fn five_failures_for_one_email_block_that_email_only() {
        let f = fixture();
        let limiter = LoginLimiter::default();
        for _ in 0..5 {
            limiter
                .begin(&f.db, IP, "a@x", at(T0))
                .unwrap()
                .expect("admitted");
        }
        let wait = limiter
            .begin(&f.db, IP, "A@X", at(T0 + 60_000))
            .unwrap()
            .expect_err("blocked");
        assert_eq!(wait, Duration::from_secs(14 * 60));
        assert!(limiter.begin(&f.db, IP, "b@x", at(T0)).unwrap().is_ok());
    }

    #[test]
    fn thirty_failures_from_one_client_block_every_email() {
        let f = fixture();
        let limiter = LoginLimiter::default();
        for i in 0..30 {
            let email = format!("user{i}@x");
            limiter
                .begin(&f.db, IP, &email, at(T0))
                .unwrap()
                .expect("admitted");
        }
        assert!(limiter
            .begin(&f.db, IP, "fresh@x", at(T0))
            .unwrap()
            .is_err());
        let other: IpAddr = "10.0.0.1".parse().unwrap();
        assert!(limiter
            .begin(&f.db, other, "fresh@x", at(T0))
            .unwrap()
            .is_ok());
    }

    #[test]
    fn simultaneous_attempts_count_before_they_fail() {
        // Sixteen attempts at one moment from as many threads: exactly five are admitted.
        let f = fixture();
        let limiter = std::sync::Arc::new(LoginLimiter::default());
        let admitted: usize = std::thread::scope(|s| {
            let handles: Vec<_> = (0..16)
                .map(|_| {
                    let (db, limiter) = (f.db.clone(), limiter.clone());
                    s.spawn(move || limiter.begin(&db, IP, "a@x", at(T0)).unwrap().is_ok())
                })
                .collect();
            handles
                .into_iter()
                .map(|h| usize::from(h.join().unwrap()))
                .sum()
        });
        assert_eq!(admitted, 5);
    }

    #[test]
    fn a_success_gives_its_attempt_back() {
        let f = fixture();
        let limiter = LoginLimiter::default();
        for _ in 0..4 {
            limiter.begin(&f.db, IP, "a@x", at(T0)).unwrap().unwrap();
        }
        let right = limiter.begin(&f.db, IP, "a@x", at(T0)).unwrap().unwrap();
        limiter.give_back(&f.db, right).unwrap();
        // Four failures stand; the fifth slot is free again.
        limiter
            .begin(&f.db, IP, "a@x", at(T0))
            .unwrap()
            .expect("the success did not count");
        assert!(limiter.begin(&f.db, IP, "a@x", at(T0)).unwrap().is_err());
    }

    #[test]
    fn a_client_limit_counts_requests_per_address_and_slides() {
        let f = fixture();
        let limiter = ClientLimiter::new("test", 3, Duration::from_secs(60));
        for ms in [0, 10_000, 20_000] {
            assert_eq!(limiter.admit(&f.db, IP, at(T0 + ms)).unwrap(), Ok(()));
        }
        let wait = limiter
            .admit(&f.db, IP, at(T0 + 30_000))
            .unwrap()
            .expect_err("the fourth is refused");
        assert_eq!(wait, Duration::from_secs(30));
        let other: IpAddr = "10.0.0.1".parse().unwrap();
        assert_eq!(limiter.admit(&f.db, other, at(T0)).unwrap(), Ok(()));
        // The first request leaves the window a minute after it came: one slot again.
        assert_eq!(limiter.admit(&f.db, IP, at(T0 + 60_000)).unwrap(), Ok(()));
        assert!(limiter.admit(&f.db, IP, at(T0 + 60_001)).unwrap().is_err());
    }

    #[test]
    fn limiters_with_different_names_count_apart() {
        let f = fixture();
        let (a, b) = (
            ClientLimiter::new("a", 1, Duration::from_secs(60)),
            ClientLimiter::new("b", 1, Duration::from_secs(60)),
        );
        assert_eq!(a.admit(&f.db, IP, at(T0)).unwrap(), Ok(()));
        assert_eq!(b.admit(&f.db, IP, at(T0)).unwrap(), Ok(()));
        assert!(a.admit(&f.db, IP, at(T0)).unwrap().is_err());
    }

    #[test]
    fn failures_age_out() {
        let f = fixture();
        let limiter = LoginLimiter::new(1, Duration::from_secs(60), 100, Duration::from_secs(60));
        limiter.begin(&f.db, IP, "a@x", at(T0)).unwrap().unwrap();
        assert!(limiter
            .begin(&f.db, IP, "a@x", at(T0 + 59_999))
            .unwrap()
            .is_err());
        assert!(limiter
            .begin(&f.db, IP, "a@x", at(T0 + 60_000))
            .unwrap()
            .is_ok());
    }
}

//! Request limits: failed logins (SPEC §5), checked before any password hashing, and the public
//! leak-report endpoint, checked before any work.

use std::collections::{HashMap, VecDeque};
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// A sliding-window counter of events per key.
struct Window {
    limit: usize,
    period: Duration,
    hits: HashMap<String, VecDeque<Instant>>,
}

impl Window {
    fn new(limit: usize, period: Duration) -> Self {
        Window {
            limit,
            period,
            hits: HashMap::new(),
        }
    }

    /// How long until `key` may try again, if it is over its limit now.
    fn retry_after(&mut self, key: &str, now: Instant) -> Option<Duration> {
        let hits = self.hits.get_mut(key)?;
        while hits
            .front()
            .is_some_and(|&t| now.duration_since(t) >= self.period)
        {
            hits.pop_front();
        }
        if hits.len() < self.limit {
            return None;
        }
        let oldest = *hits.front()?;
        Some(self.period.saturating_sub(now.duration_since(oldest)))
    }

    fn record(&mut self, key: String, now: Instant) {
        // Keep memory bounded under a flood of distinct keys.
        if self.hits.len() > 100_000 {
            let period = self.period;
            self.hits
                .retain(|_, h| h.back().is_some_and(|&t| now.duration_since(t) < period));
        }
        let hits = self.hits.entry(key).or_default();
        hits.push_back(now);
        if hits.len() > self.limit {
            hits.pop_front();
        }
    }

    /// Takes back one event of `key` that happened at `at`.
    fn forget(&mut self, key: &str, at: Instant) {
        if let Some(hits) = self.hits.get_mut(key) {
            if let Some(pos) = hits.iter().rposition(|&t| t == at) {
                hits.remove(pos);
            }
        }
    }
}

/// Requests per client address in a sliding window, for endpoints anyone may call.
pub struct ClientLimiter {
    window: Mutex<Window>,
}

impl ClientLimiter {
    pub fn new(limit: usize, period: Duration) -> Self {
        ClientLimiter {
            window: Mutex::new(Window::new(limit, period)),
        }
    }

    /// Counts a request from `ip`, or refuses it with how long to wait. A refused request is not
    /// counted, so a client that keeps hammering is told the true time until the window frees a slot.
    pub fn admit(&self, ip: IpAddr) -> Result<(), Duration> {
        let now = Instant::now();
        let key = ip.to_string();
        let mut window = lock(&self.window);
        if let Some(wait) = window.retry_after(&key, now) {
            return Err(wait.max(Duration::from_secs(1)));
        }
        window.record(key, now);
        Ok(())
    }
}

/// 5 failures per email and client address in 15 minutes; 30 per client address in a minute.
pub struct LoginLimiter {
    per_account: Mutex<Window>,
    per_client: Mutex<Window>,
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
            per_account: Mutex::new(Window::new(account_limit, account_period)),
            per_client: Mutex::new(Window::new(client_limit, client_period)),
        }
    }

    fn account_key(ip: IpAddr, email: &str) -> String {
        format!("{ip}|{}", email.trim().to_lowercase())
    }

    /// Admits a login attempt, or refuses it with how long to wait, before any password hashing.
    ///
    /// An admitted attempt counts as a failure at once, under the same locks as the check: attempts
    /// made at the same moment cannot all pass the check before the first of them has failed (16
    /// simultaneous guesses used to reach argon2 where 5 are allowed). A right password gives the
    /// attempt back ([`LoginLimiter::succeeded`]).
    pub fn begin(&self, ip: IpAddr, email: &str) -> Result<Attempt, Duration> {
        let now = Instant::now();
        let client_key = ip.to_string();
        let account_key = Self::account_key(ip, email);
        // Always client before account, here and in `succeeded`.
        let mut client = lock(&self.per_client);
        let mut account = lock(&self.per_account);
        let wait = client
            .retry_after(&client_key, now)
            .max(account.retry_after(&account_key, now));
        if let Some(wait) = wait {
            return Err(wait.max(Duration::from_secs(1)));
        }
        client.record(client_key, now);
        account.record(account_key.clone(), now);
        Ok(Attempt {
            ip,
            account_key,
            at: now,
        })
    }

    /// The attempt's password was right: it no longer counts as a failure.
    pub fn succeeded(&self, attempt: Attempt) {
        self.forget(attempt);
    }

    /// The attempt was turned away before its password was checked (the server was busy): it does not
    /// count.
    pub fn withdraw(&self, attempt: Attempt) {
        self.forget(attempt);
    }

    fn forget(&self, attempt: Attempt) {
        let mut client = lock(&self.per_client);
        let mut account = lock(&self.per_account);
        client.forget(&attempt.ip.to_string(), attempt.at);
        account.forget(&attempt.account_key, attempt.at);
    }
}

/// A login attempt admitted by [`LoginLimiter::begin`]; it counts as a failure unless handed back.
#[derive(Debug)]
pub struct Attempt {
    ip: IpAddr,
    account_key: String,
    at: Instant,
}

fn lock(window: &Mutex<Window>) -> std::sync::MutexGuard<'_, Window> {
    // A panic while holding the lock leaves counters that are still usable.
    window
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

#[cfg(test)]
mod tests {
    use super::*;

    const IP: IpAddr = IpAddr::V4(std::net::Ipv4Addr::LOCALHOST);

    #[test]
    fn five_failures_for_one_email_block_that_email_only() {
        let limiter = LoginLimiter::default();
        for _ in 0..5 {
            limiter.begin(IP, "a@x").expect("admitted");
        }
        let wait = limiter.begin(IP, "A@X").expect_err("blocked");
        assert!(wait > Duration::from_secs(14 * 60) && wait <= Duration::from_secs(15 * 60));
        assert!(limiter.begin(IP, "b@x").is_ok());
    }

    #[test]
    fn thirty_failures_from_one_client_block_every_email() {
        let limiter = LoginLimiter::default();
        for i in 0..30 {
            limiter.begin(IP, &format!("user{i}@x")).expect("admitted");
        }
        assert!(limiter.begin(IP, "fresh@x").is_err());
        let other: IpAddr = "10.0.0.1".parse().unwrap();
        assert!(limiter.begin(other, "fresh@x").is_ok());
    }

    #[test]
    fn attempts_in_flight_count_before_they_fail() {
        // Five attempts admitted and not yet answered: the sixth is refused without waiting for them.
        let limiter = LoginLimiter::default();
        let in_flight: Vec<Attempt> = (0..5).map(|_| limiter.begin(IP, "a@x").unwrap()).collect();
        assert!(limiter.begin(IP, "a@x").is_err());
        drop(in_flight);
    }

    #[test]
    fn a_success_gives_its_attempt_back() {
        let limiter = LoginLimiter::default();
        for _ in 0..4 {
            limiter.begin(IP, "a@x").unwrap();
        }
        let right = limiter.begin(IP, "a@x").unwrap();
        limiter.succeeded(right);
        // Four failures stand; the fifth slot is free again.
        limiter.begin(IP, "a@x").expect("the success did not count");
        assert!(limiter.begin(IP, "a@x").is_err());
    }

    #[test]
    fn a_client_limit_counts_requests_per_address() {
        let limiter = ClientLimiter::new(3, Duration::from_secs(60));
        for _ in 0..3 {
            assert_eq!(limiter.admit(IP), Ok(()));
        }
        let wait = limiter.admit(IP).expect_err("the fourth is refused");
        assert!(wait > Duration::from_secs(58) && wait <= Duration::from_secs(60));
        let other: IpAddr = "10.0.0.1".parse().unwrap();
        assert_eq!(limiter.admit(other), Ok(()));
    }

    #[test]
    fn a_client_limit_frees_slots_as_the_window_slides() {
        let limiter = ClientLimiter::new(1, Duration::from_millis(30));
        assert_eq!(limiter.admit(IP), Ok(()));
        assert!(limiter.admit(IP).is_err());
        std::thread::sleep(Duration::from_millis(40));
        assert_eq!(limiter.admit(IP), Ok(()));
    }

    #[test]
    fn failures_age_out() {
        let limiter = LoginLimiter::new(1, Duration::from_millis(30), 100, Duration::from_secs(60));
        limiter.begin(IP, "a@x").unwrap();
        assert!(limiter.begin(IP, "a@x").is_err());
        std::thread::sleep(Duration::from_millis(40));
        assert!(limiter.begin(IP, "a@x").is_ok());
    }
}

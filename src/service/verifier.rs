//! Verification's database lookups, many requests to one statement.
//!
//! A cache miss (on PostgreSQL: every verification) used to cost a hop to the blocking pool and a query of
//! its own: on a two-core machine under load most of the time went to waking threads — the blocking one,
//! the database's backend, the async worker again — once per request. Here the lookups go to one
//! dedicated thread instead, which takes every lookup waiting when it wakes (up to `BATCH`) and answers
//! them all at once (`db::tokens::find_active_by_digests`: one `= ANY($1)` query on PostgreSQL, one
//! prepared `digest = ?` per distinct digest on SQLite). Lookups arriving while a query runs wait for the
//! next one. Alone, a lookup is still one query; under load the wake-ups and round trips are shared.
//!
//! One thread, not two. With a second one collecting while the first waited for its query, each query
//! carried half as many lookups, and a query costs the database about the same however few it carries:
//! with the database on the server's core (`scripts/bench --postgres`), verification fell to 0.31×
//! `/livez` with two threads against 0.52× with one (p99 5.7× against 3.4×). One query at a time still
//! answers up to `BATCH` lookups a round trip, far more than the HTTP side serves, and a lookup waits at
//! most for the query before its own.
//!
//! On PostgreSQL the thread keeps its connection from batch to batch: taking one from a pool checks it
//! with a query of its own (`SELECT 1`), one more round trip per batch. The connection comes from a pool
//! of the verifier's own (`Database::own_pool`), so holding it takes nothing from the other users. A
//! connection that failed goes back to that pool, which checks it before it is used again (and replaces
//! it if the server lost it), and the next batch takes one from there. On SQLite, where that check costs
//! no round trip, each batch borrows a connection of the shared pool: one more connection, with its own
//! page cache, costs more memory than the check costs time.
//!
//! Exactness is unchanged: each lookup reads the database after it was asked, like its own query would,
//! and the cache's generation is read before asking (`TokenStore::look_up`).

use crate::auth::token_cache::VerifiedToken;
use crate::db::tokens::{self, TokenIdentity};
use crate::db::{Database, DbError, PooledConn};
use crate::domain::Digest;
use crate::error::AppError;
use std::collections::HashMap;
use std::panic::{self, AssertUnwindSafe};
use std::sync::mpsc::{self, Receiver, Sender};
use std::sync::Arc;
use tokio::sync::oneshot;

/// Most lookups answered by one query.
pub const BATCH: usize = 128;

/// The token as verification keeps it, shared by every request of the batch that asked for it.
type Answer = Result<Option<Arc<VerifiedToken>>, AppError>;
type Job = (Digest, oneshot::Sender<Answer>);

pub struct Verifier {
    jobs: Sender<Job>,
}

impl Verifier {
    /// Starts the lookup thread on `db` (on PostgreSQL with a pool of its own); it ends when the verifier
    /// is dropped.
    pub fn start(db: &Database) -> Self {
        let keep = db.is_shared();
        let db = if keep { db.own_pool(1) } else { db.clone() };
        let (jobs, queue) = mpsc::channel::<Job>();
        std::thread::Builder::new()
            .name("mlp-verify".into())
            .spawn(move || serve(&db, &queue, keep))
            .expect("the lookup thread starts");
        Verifier { jobs }
    }

    /// The active token whose value has this digest, as the database holds it now.
    pub async fn look_up(&self, digest: Digest) -> Answer {
        let (answer, answered) = oneshot::channel();
        self.jobs
            .send((digest, answer))
            .map_err(|_| AppError::Internal(anyhow::anyhow!("the lookup thread has stopped")))?;
        answered
            .await
            .map_err(|_| AppError::Internal(anyhow::anyhow!("the lookup thread failed")))?
    }
}

/// The active tokens among `digests`, read on the held connection (taking one from the pool if none is).
fn look_up(
    db: &Database,
    held: &mut Option<PooledConn>,
    digests: &[Digest],
) -> Result<Vec<(Digest, TokenIdentity)>, DbError> {
    let conn = match held {
        Some(conn) => conn,
        None => held.insert(db.conn()?),
    };
    Ok(tokens::find_active_by_digests(conn, digests)?)
}

/// Answers lookups until the verifier is dropped; `keep`: hold the connection between batches.
fn serve(db: &Database, queue: &Receiver<Job>, keep: bool) {
    let mut held: Option<PooledConn> = None;
    // Every lookup waiting when the thread wakes, up to BATCH, is one batch.
    while let Ok(first) = queue.recv() {
        let mut batch = Vec::with_capacity(BATCH);
        batch.push(first);
        while batch.len() < BATCH {
            match queue.try_recv() {
                Ok(job) => batch.push(job),
                Err(_) => break,
            }
        }
        // A panic fails this batch's requests (their answers are dropped), not every later one: the thread
        // is the only one, and a dead lookup thread would fail all verification until a restart.
        let answered = panic::catch_unwind(AssertUnwindSafe(|| answer(db, &mut held, batch)));
        if answered.is_err() {
            tracing::error!("a batch of token lookups panicked; its requests failed");
        }
        if answered.is_err() || !keep {
            held = None;
        }
    }
}

/// Answers `batch` from one query on the held connection (taking one from the pool first if none is held).
fn answer(db: &Database, held: &mut Option<PooledConn>, batch: Vec<Job>) {
    let digests: Vec<Digest> = batch.iter().map(|(digest, _)| *digest).collect();
    let reused = held.is_some();
    let mut found = look_up(db, held, &digests);
    if let Err(err) = &found {
        // Back to the pool, which tests it before it is used again (and replaces it if it is dead).
        *held = None;
        // A connection kept since an earlier batch may have died since (the server restarted): the first
        // lookups after the database is back must not fail for it. One more try, on a checked connection.
        if reused && err.is_unavailable() {
            found = look_up(db, held, &digests);
            if found.is_err() {
                *held = None;
            }
        }
    }
    match found {
        Ok(records) => {
            let by_digest: HashMap<Digest, Arc<VerifiedToken>> = records
                .into_iter()
                .map(|(digest, row)| (digest, Arc::new(row)))
                .collect();
            // One token may be asked for by many requests of one batch (a busy token): each gets it.
            for (digest, reply) in batch {
                // A waiter that hung up no longer wants its answer.
                let _ = reply.send(Ok(by_digest.get(&digest).cloned()));
            }
        }
        Err(err) => {
            tracing::warn!(error = %err, lookups = batch.len(), "token lookups failed");
            let unavailable = err.is_unavailable();
            let cause = err.to_string();
            for (_, reply) in batch {
                let err = if unavailable {
                    AppError::Db(DbError::Unreachable(cause.clone()))
                } else {
                    AppError::Internal(anyhow::anyhow!("token lookup failed: {cause}"))
                };
                let _ = reply.send(Err(err));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::db::testing;

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn many_lookups_at_once_each_get_their_own_token_or_none() {
        let dir = tempfile::tempdir().unwrap();
        let db = Database::open(&testing::location(dir.path(), "t.db"), 2).unwrap();
        let clock: crate::clock::SharedClock = Arc::new(crate::clock::ManualClock::new());
        let email = crate::domain::Email::parse("o@example.com").unwrap();
        let accounts = crate::service::Accounts::open(db.clone(), clock.clone()).unwrap();
        let password = secrecy::SecretString::from("a long password".to_owned());
        let account = accounts.create_user(&email, None, &password).unwrap();
        let projects = crate::service::Projects::new(db.clone(), clock.clone());
        let project = projects
            .create(
                &crate::domain::ProjectName::parse("p").unwrap(),
                &email,
                &crate::service::Actor::operator(),
            )
            .unwrap();
        let store = crate::service::TokenStore::new(db.clone(), clock);
        let owner = crate::service::Actor::member(
            &account,
            email.as_str(),
            crate::domain::MemberRole::Owner,
            None,
        );
        let mut made = Vec::new();
        for i in 0..300 {
            let spec = crate::service::NewTokenSpec {
                project_id: project.clone(),
                name: crate::domain::TokenName::parse(&format!("t{i}")).unwrap(),
                role: crate::domain::TokenRole::User,
                description: crate::domain::Description::none(),
                lifetime: None,
                label_selector: None,
            };
            let (value, record) = store.create(&spec, &owner).unwrap();
            made.push((value.digest(), record.id));
        }
        let verifier = Arc::new(Verifier::start(&db));
        let unknown = crate::domain::secret::digest_of("no such token");
        // Each known digest asked for three times and an unknown one 300 times, all at once: far more than
        // one batch, and the same digest many times within one.
        let asks = made.iter().flat_map(|(digest, id)| {
            let known = *digest;
            let mut asks: Vec<_> = (0..3)
                .map(|_| {
                    let (verifier, id) = (verifier.clone(), id.clone());
                    tokio::spawn(async move {
                        let found = verifier.look_up(known).await.unwrap();
                        assert_eq!(found.map(|r| r.id.clone()), Some(id));
                    })
                })
                .collect();
            let again = verifier.clone();
            asks.push(tokio::spawn(async move {
                assert!(again.look_up(unknown).await.unwrap().is_none());
            }));
            asks
        });
        for ask in asks.collect::<Vec<_>>() {
            ask.await.unwrap();
        }
    }
}

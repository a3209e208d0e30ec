//! The token store: the one owner of access tokens. It holds the database, the exact verification cache
//! and the last-use recorder, so every change to a token ends its cached verification by construction:
//! delete and renew invalidate after their transaction commits, and nothing else writes a token's value.

use crate::auth::last_used::{self, LastUsedRecorder};
use crate::auth::ratelimit::ClientLimiter;
use crate::auth::token_cache::{TokenCache, VerifiedToken};
use crate::clock::SharedClock;
use crate::db::audit::{self, event, NewAuditEvent};
pub use crate::db::tokens::TokenKey;
use crate::db::tokens::{self, NewToken, TokenRecord};
use crate::db::{self, registration_tokens, Conn, Database};
use crate::domain::lifecycle::renewed_expiry;
use crate::domain::{
    DeletedVia, Description, Digest, LabelSelector, SecretKind, SecretValue, Timestamp, TokenName,
    TokenRole, Ttl,
};
use crate::error::AppError;
use crate::service::verifier::Verifier;
use crate::service::{Actor, Page, PageNumber};
use std::collections::VecDeque;
use std::net::IpAddr;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

/// What a new access token will be.
#[derive(Debug, Clone)]
pub struct NewTokenSpec {
    pub project_id: String,
    pub name: TokenName,
    pub role: TokenRole,
    pub description: Description,
    /// `None` never expires.
    pub lifetime: Option<Ttl>,
    /// The jobs it is fixed to (SPEC §13); `None`: unscoped.
    pub label_selector: Option<LabelSelector>,
}

pub struct TokenStore {
    db: Database,
    clock: SharedClock,
    cache: TokenCache,
    last_used: Arc<LastUsedRecorder>,
    renewals: Mutex<Renewals>,
    /// Requests per client address to the public leak-report endpoint (see `service::leaks`).
    pub leak_reports: ClientLimiter,
    /// The threads that look verifications up in the database.
    verifier: Verifier,
    /// Whether other instances serve the same database (PostgreSQL): then the cache is not used.
    shared: bool,
}

/// Where the renewals of this process stood when a renewal request arrived: taken before the request
/// waits for a blocking thread and the write turn, so that one renewal queued behind another of the same
/// token learns that it lost the race.
#[derive(Debug, Clone, Copy)]
pub struct RenewalTicket(u64);

/// The most recent renewals, numbered in commit order (enough to cover the requests waiting at once).
#[derive(Default)]
struct Renewals {
    last: u64,
    recent: VecDeque<(String, u64)>,
}

const RECENT_RENEWALS: usize = 1024;

/// How often cached verifications too old to be served are dropped (`TokenCache::drop_stale`).
const CACHE_SWEEP: Duration = Duration::from_secs(30);
/// Dropped entries (~0.65 KiB each) from which the freed memory is handed back to the OS at once: the
/// entries of a burst lie all over the allocator's arenas, where it would otherwise stay resident.
const GIVE_BACK_AFTER: usize = 1024;

impl Renewals {
    fn since(&self, token_id: &str, ticket: RenewalTicket) -> bool {
        self.recent
            .iter()
            .any(|(id, number)| id == token_id && *number > ticket.0)
    }

    fn note(&mut self, token_id: String) {
        self.last += 1;
        if self.recent.len() == RECENT_RENEWALS {
            self.recent.pop_front();
        }
        self.recent.push_back((token_id, self.last));
    }
}

impl TokenStore {
    pub fn new(db: Database, clock: SharedClock) -> Self {
        TokenStore {
            verifier: Verifier::start(&db),
            shared: db.is_shared(),
            db,
            clock,
            cache: TokenCache::default(),
            last_used: Arc::default(),
            renewals: Mutex::default(),
            leak_reports: crate::service::leaks::report_limiter(),
        }
    }

    pub(crate) fn db(&self) -> &Database {
        &self.db
    }

    pub(crate) fn now(&self) -> Timestamp {
        self.clock.now()
    }

    /// Taken when a renewal request arrives, before it waits for anything (see `renew`).
    pub fn renewal_ticket(&self) -> RenewalTicket {
        RenewalTicket(
            self.renewals
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .last,
        )
    }

    // ---------- Verification (SPEC §3) ----------

    /// The verified token with this digest if the cache holds it: no SQL, no thread hop.
    ///
    /// Only on a database this process alone serves (SQLite), where every deletion and renewal passes
    /// through this store and invalidates. On a shared PostgreSQL database another instance may end a token
    /// at any moment, and no message from it could arrive before the token's next request: every
    /// verification there is the indexed lookup (SPEC §12: no window), and this cache stays empty.
    pub fn cached(&self, digest: &Digest) -> Option<Arc<VerifiedToken>> {
        if self.shared {
            return None;
        }
        self.cache.get(digest)
    }

    /// A cache miss: the indexed digest lookup, shared with the lookups of other requests waiting at the
    /// same moment (`service::verifier`); a found token fills the cache unless a deletion or renewal
    /// happened meanwhile (`TokenCache::insert`).
    pub async fn look_up(
        self: &Arc<Self>,
        digest: Digest,
    ) -> Result<Option<Arc<VerifiedToken>>, AppError> {
        let generation = self.cache.generation();
        let found = self.verifier.look_up(digest).await?;
        Ok(found.inspect(|token| {
            if !self.shared {
                self.cache.insert(generation, digest, token.clone());
            }
        }))
    }

    /// Notes a use of the token `token_id` at `at` from `ip`, in memory (written off the request path).
    pub fn note_use(&self, token_id: &str, at: Timestamp, ip: IpAddr) {
        self.last_used.record(token_id, at, ip);
    }

    /// The last use noted in memory and not yet written: time and addresses, most recent first.
    pub fn unwritten_use(&self, token_id: &str) -> Option<(Timestamp, Vec<IpAddr>)> {
        self.last_used.peek(token_id)
    }

    /// Writes every noted token use now (the background writer does it at most once a minute per token).
    pub fn flush_last_used(&self) -> Result<usize, AppError> {
        Ok(self.last_used.flush(&self.db, true)?)
    }

    /// The store's background work, until the server stops: writes last uses, and drops cached
    /// verifications too old to be served.
    pub async fn run_background(self: Arc<Self>) {
        let writer = last_used::run_flusher(self.last_used.clone(), self.db.clone());
        tokio::join!(writer, self.drop_stale_verifications());
    }

    async fn drop_stale_verifications(self: Arc<Self>) {
        if self.shared {
            return; // no cache
        }
        let mut tick = tokio::time::interval(CACHE_SWEEP);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tick.tick().await;
            let swept = crate::service::blocking(&self, |store| {
                if store.cache.drop_stale() >= GIVE_BACK_AFTER {
                    crate::allocator::give_back_freed();
                }
                Ok(())
            });
            if let Err(err) = swept.await {
                tracing::error!(error = %err, "could not drop stale cached verifications");
            }
        }
    }

    /// How many verifications the cache holds (for tests of its bounds).
    pub fn cached_count(&self) -> usize {
        self.cache.len()
    }

    // ---------- Reading ----------

    /// The project's active token with this id (expired ones included).
    pub fn get(&self, project_id: &str, id: &str) -> Result<TokenRecord, AppError> {
        find(
            &mut *self.db.conn()?,
            project_id,
            &TokenKey::Id(id.to_owned()),
        )
    }

    /// The token with this id in any project, deleted ones included (the command line's `ID`).
    pub fn find_by_id(&self, id: &str) -> Result<TokenRecord, AppError> {
        tokens::find_by_id(&mut *self.db.conn()?, id)?.ok_or(AppError::NotFound)
    }

    /// The project's active token with this id, if `actor` may delete, renew or describe it (SPEC §4);
    /// `Forbidden` otherwise.
    pub fn manageable(
        &self,
        project_id: &str,
        id: &str,
        actor: &Actor,
    ) -> Result<TokenRecord, AppError> {
        let token = self.get(project_id, id)?;
        require_manage(&token, actor)?;
        Ok(token)
    }

    /// Whether an active token of the project already has this name.
    pub fn name_taken(&self, project_id: &str, name: &TokenName) -> Result<bool, AppError> {
        Ok(tokens::name_taken(
            &mut *self.db.conn()?,
            project_id,
            name.as_str(),
        )?)
    }

    pub fn count_active(&self, project_id: &str) -> Result<i64, AppError> {
        Ok(tokens::count_active(&mut *self.db.conn()?, project_id)?)
    }

    /// One page of the project's active tokens, newest first.
    pub fn active_page(
        &self,
        project_id: &str,
        page: PageNumber,
    ) -> Result<Page<TokenRecord>, AppError> {
        let mut conn = self.db.conn()?;
        Page::load(page, |offset, limit| {
            Ok(tokens::list_active(&mut conn, project_id, offset, limit)?)
        })
    }

    /// One page of the project's deleted tokens, most recently deleted first.
    pub fn deleted_page(
        &self,
        project_id: &str,
        page: PageNumber,
    ) -> Result<Page<TokenRecord>, AppError> {
        let mut conn = self.db.conn()?;
        Page::load(page, |offset, limit| {
            Ok(tokens::list_deleted(&mut conn, project_id, offset, limit)?)
        })
    }

    /// Every active token of the project, newest first (the API's list).
    pub fn all_active(&self, project_id: &str) -> Result<Vec<TokenRecord>, AppError> {
        Ok(tokens::all_active(&mut *self.db.conn()?, project_id)?)
    }

    /// Every deleted token of the project, most recently deleted first.
    pub fn all_deleted(&self, project_id: &str) -> Result<Vec<TokenRecord>, AppError> {
        Ok(tokens::all_deleted(&mut *self.db.conn()?, project_id)?)
    }

    // ---------- Changing ----------

    /// Creates an access token and returns its value, which exists nowhere else from now on.
    pub fn create(
        &self,
        spec: &NewTokenSpec,
        actor: &Actor,
    ) -> Result<(SecretValue, TokenRecord), AppError> {
        if !actor.authority.may_create(spec.role) {
            return Err(AppError::Forbidden);
        }
        let now = self.now();
        self.db.write(|tx| insert(tx, now, spec, actor))
    }

    /// Deletes an active token of the project, and ends the unused registration tokens it issued; its
    /// value fails on its very next use. `NotFound` when there is none with that key.
    pub fn delete(
        &self,
        project_id: &str,
        key: &TokenKey,
        actor: &Actor,
        via: DeletedVia,
    ) -> Result<TokenRecord, AppError> {
        let now = self.now();
        let deleted = self.db.write(|tx| {
            let token = find(tx, project_id, key)?;
            require_manage(&token, actor)?;
            soft_delete(tx, now, token, actor, via)
        })?;
        self.cache.invalidate(&deleted.id);
        Ok(deleted)
    }

    /// Deletes the active token with this digest, whoever holds it (a leak report: holding the value
    /// proves it leaked). Returns whether there was one.
    pub(crate) fn delete_leaked(&self, digest: &Digest, actor: &Actor) -> Result<bool, AppError> {
        let now = self.now();
        let deleted = self.db.write(|tx| {
            let Some(token) = tokens::find_active_by_digest(tx, digest)? else {
                return Ok(None);
            };
            soft_delete(tx, now, token, actor, DeletedVia::LeakReport).map(Some)
        })?;
        if let Some(token) = &deleted {
            self.cache.invalidate(&token.id);
        }
        Ok(deleted.is_some())
    }

    /// Gives the token a new value (GitHub's "regenerate"): the same row keeps its id, name, role,
    /// description and creator; the old value stops matching at once; an expiring token gets a fresh expiry
    /// of the same length (`domain::lifecycle::renewed_expiry`). Expired tokens may be renewed and work
    /// again. The unused registration tokens minted with the old value end with it.
    ///
    /// Of simultaneous renewals of one token, one wins and the others get `ChangedMeanwhile`, so no caller
    /// is handed a value that another renewal has already replaced: `arrived` is taken when the request
    /// arrives (`renewal_ticket`), and a renewal of the same token committed since then refuses this one.
    /// Between instances on one PostgreSQL database the renewal replaces only the value it read: of two
    /// that overlap, the later finds the value changed and is refused the same way.
    pub fn renew(
        &self,
        project_id: &str,
        key: &TokenKey,
        actor: &Actor,
        arrived: RenewalTicket,
    ) -> Result<(SecretValue, TokenRecord), AppError> {
        let now = self.now();
        let renewed = self.db.write(|tx| {
            let token = find(tx, project_id, key)?;
            require_manage(&token, actor)?;
            let mut renewals = self.renewals.lock().unwrap_or_else(PoisonError::into_inner);
            if renewals.since(&token.id, arrived) {
                return Err(AppError::ChangedMeanwhile);
            }
            // Noted under the write turn, so the next renewal in line sees it.
            renewals.note(token.id.clone());
            drop(renewals);
            let previous =
                tokens::current_digest(tx, project_id, &token.id)?.ok_or(AppError::NotFound)?;
            let secret = SecretValue::generate(SecretKind::Access);
            let (expires_at, lifetime) =
                renewed_expiry(token.created_at, token.expires_at, token.lifetime, now);
            let new = tokens::NewSecret {
                digest: &secret.digest(),
                hint: &secret.hint(),
                expires_at,
                lifetime,
            };
            if !tokens::replace_secret(tx, project_id, &token.id, &previous, &new)? {
                // Another instance's renewal (or deletion) of this token committed first.
                return Err(
                    match tokens::find_active(tx, project_id, &TokenKey::Id(token.id))? {
                        Some(_) => AppError::ChangedMeanwhile,
                        None => AppError::NotFound,
                    },
                );
            }
            // The old value may be why it is renewed: what it minted goes with it.
            registration_tokens::delete_unused_issued_by(tx, &token.id, now)?;
            record(
                tx,
                project_id,
                actor,
                event::TOKEN_RENEWED,
                &token.name,
                None,
                now,
            )?;
            let record = find(tx, project_id, &TokenKey::Id(token.id))?;
            Ok((secret, record))
        })?;
        self.cache.invalidate(&renewed.1.id);
        Ok(renewed)
    }

    /// Sets or removes (blank) an active token's description and returns the token as it now is.
    /// Setting the description it already has changes nothing and writes no audit event.
    pub fn set_description(
        &self,
        project_id: &str,
        key: &TokenKey,
        description: &Description,
        actor: &Actor,
    ) -> Result<TokenRecord, AppError> {
        let now = self.now();
        self.db.write(|tx| {
            let token = find(tx, project_id, key)?;
            require_manage(&token, actor)?;
            if token.description.as_deref() == description.as_deref() {
                return Ok(token);
            }
            if !tokens::set_description(tx, project_id, &token.id, description.as_deref())? {
                return Err(AppError::NotFound);
            }
            // The audit log says what happened, not the text: it stays short and free of pasted content.
            let detail = match (
                token.description.is_some(),
                description.as_deref().is_some(),
            ) {
                (false, _) => "added",
                (true, true) => "changed",
                (true, false) => "removed",
            };
            let name = &token.name;
            record(
                tx,
                project_id,
                actor,
                event::TOKEN_DESCRIPTION_CHANGED,
                name,
                Some(detail),
                now,
            )?;
            find(tx, project_id, &TokenKey::Id(token.id))
        })
    }
}

fn find(conn: &mut Conn, project_id: &str, key: &TokenKey) -> Result<TokenRecord, AppError> {
    tokens::find_active(conn, project_id, key)?.ok_or(AppError::NotFound)
}

fn require_manage(token: &TokenRecord, actor: &Actor) -> Result<(), AppError> {
    let own = token.created_by(actor.account_id.as_deref());
    if actor.authority.may_manage_token(own) {
        Ok(())
    } else {
        Err(AppError::Forbidden)
    }
}

/// Inserts a token inside the caller's write transaction (creation, and a registration's exchange).
pub(crate) fn insert(
    tx: &mut Conn,
    now: Timestamp,
    spec: &NewTokenSpec,
    actor: &Actor,
) -> Result<(SecretValue, TokenRecord), AppError> {
    if tokens::name_taken(tx, &spec.project_id, spec.name.as_str())? {
        return Err(AppError::Conflict { field: "name" });
    }
    let secret = SecretValue::generate(SecretKind::Access);
    let id = uuid::Uuid::new_v4().to_string();
    tokens::insert(
        tx,
        &NewToken {
            id: &id,
            project_id: &spec.project_id,
            name: spec.name.as_str(),
            role: spec.role,
            digest: &secret.digest(),
            hint: &secret.hint(),
            description: spec.description.as_deref(),
            created_at: now,
            created_by_account_id: actor.account_id.as_deref(),
            issuer_name: &actor.issuer_email,
            expires_at: spec.lifetime.map(|ttl| now.after(ttl)),
            lifetime: spec.lifetime,
            label_selector: spec.label_selector.as_ref(),
        },
    )
    .map_err(|e| match db::is_unique_violation(&e) {
        true => AppError::Conflict { field: "name" },
        false => e.into(),
    })?;
    let name = spec.name.as_str();
    let role = Some(spec.role.as_str());
    record(
        tx,
        &spec.project_id,
        actor,
        event::TOKEN_CREATED,
        name,
        role,
        now,
    )?;
    let record = find(tx, &spec.project_id, &TokenKey::Id(id))?;
    Ok((secret, record))
}

/// Marks `token` deleted and ends the unused registration tokens it issued, with the audit event of `via`.
fn soft_delete(
    tx: &mut Conn,
    now: Timestamp,
    token: TokenRecord,
    actor: &Actor,
    via: DeletedVia,
) -> Result<TokenRecord, AppError> {
    if !tokens::soft_delete(tx, &token.project_id, &token.id, &actor.name, via, now)? {
        return Err(AppError::NotFound);
    }
    registration_tokens::delete_unused_issued_by(tx, &token.id, now)?;
    let event = match via {
        DeletedVia::LeakReport => event::TOKEN_LEAK_REVOKED,
        DeletedVia::Console | DeletedVia::Api | DeletedVia::Cli => event::TOKEN_DELETED,
    };
    let detail = Some(via.as_str());
    record(
        tx,
        &token.project_id,
        actor,
        event,
        &token.name,
        detail,
        now,
    )?;
    Ok(token)
}

/// The audit event of a change to a project's token by `actor`.
pub(crate) fn record(
    tx: &mut Conn,
    project_id: &str,
    actor: &Actor,
    event: &'static str,
    target: &str,
    detail: Option<&str>,
    now: Timestamp,
) -> Result<(), AppError> {
    audit::record(
        tx,
        &NewAuditEvent {
            project_id: Some(project_id),
            account_id: actor.account_id.as_deref(),
            event,
            actor: &actor.name,
            target: Some(target),
            client_ip: actor.client_ip.as_deref(),
            detail,
            created_at: now,
        },
    )?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::ManualClock;
    use crate::db::schema::access_tokens as t;
    use crate::domain::{Email, MemberRole, ProjectName};
    use crate::service::Projects;
    use diesel::prelude::*;

    struct Fixture {
        _dir: tempfile::TempDir,
        db: Database,
        clock: Arc<ManualClock>,
        tokens: TokenStore,
        owner: Actor,
        /// Another account, a member of nothing until a test says what it is.
        other: String,
        p: String,
        q: String,
    }

    fn fixture() -> Fixture {
        let dir = tempfile::tempdir().unwrap();
        let db = Database::open(&crate::db::testing::location(dir.path(), "t.db"), 2).unwrap();
        let manual = Arc::new(ManualClock::new());
        let clock: SharedClock = manual.clone();
        let email = Email::parse("o@example.com").unwrap();
        let accounts = crate::service::Accounts::open(db.clone(), clock.clone()).unwrap();
        let password = secrecy::SecretString::from("a long password".to_owned());
        let account_id = accounts.create_user(&email, None, &password).unwrap();
        let other_email = Email::parse("m@example.com").unwrap();
        let other = accounts.create_user(&other_email, None, &password).unwrap();
        let projects = Projects::new(db.clone(), clock.clone());
        let p = projects
            .create(
                &ProjectName::parse("p").unwrap(),
                &email,
                &Actor::operator(),
            )
            .unwrap();
        let q = projects
            .create(
                &ProjectName::parse("q").unwrap(),
                &email,
                &Actor::operator(),
            )
            .unwrap();
        let owner = Actor::member(&account_id, email.as_str(), MemberRole::Owner, None);
        Fixture {
            tokens: TokenStore::new(db.clone(), clock),
            clock: manual,
            _dir: dir,
            db,
            owner,
            other,
            p,
            q,
        }
    }

    fn spec(project: &str, name: &str, role: TokenRole) -> NewTokenSpec {
        NewTokenSpec {
            project_id: project.into(),
            name: TokenName::parse(name).unwrap(),
            role,
            description: Description::none(),
            lifetime: None,
            label_selector: None,
        }
    }

    fn actual_active(conn: &mut Conn, project_id: &str) -> i64 {
        t::table
            .filter(t::project_id.eq(project_id))
            .filter(t::deleted_at.is_null())
            .count()
            .get_result(conn)
            .unwrap()
    }

    #[test]
    fn the_active_counter_follows_every_kind_of_write() {
        let Fixture {
            db,
            clock,
            tokens,
            owner,
            p,
            q,
            ..
        } = fixture();
        let tick = || clock.advance(chrono::Duration::milliseconds(1));
        let user = |project: &str, name: &str| spec(project, name, TokenRole::User);
        assert_eq!(tokens.count_active(&p).unwrap(), 0, "no row yet reads as 0");
        for i in 0..7 {
            tick();
            tokens.create(&user(&p, &format!("t{i}")), &owner).unwrap();
        }
        tokens.create(&user(&q, "other"), &owner).unwrap();
        // A refused insert (name taken) changes nothing.
        assert!(tokens.create(&user(&p, "t0"), &owner).is_err());
        for name in ["t1", "t4"] {
            let key = TokenKey::Name(name.into());
            tokens.delete(&p, &key, &owner, DeletedVia::Api).unwrap();
        }
        tokens
            .renew(
                &p,
                &TokenKey::Name("t2".into()),
                &owner,
                tokens.renewal_ticket(),
            )
            .unwrap();
        let key = TokenKey::Id("x".into());
        let description = Description::parse("no such token").unwrap();
        assert!(tokens
            .set_description(&p, &key, &description, &owner)
            .is_err());
        // A deleted name may be reused.
        tick();
        tokens.create(&user(&p, "t1"), &owner).unwrap();
        let mut conn = db.conn().unwrap();
        for project in [&p, &q] {
            assert_eq!(
                tokens.count_active(project).unwrap(),
                actual_active(&mut conn, project)
            );
        }
        assert_eq!(tokens.count_active(&p).unwrap(), 6);
        let (page, total) = tokens::list_active(&mut conn, &p, 0, 4).unwrap();
        assert_eq!(total, 6);
        let names: Vec<&str> = page.iter().map(|r| r.name.as_str()).collect();
        assert_eq!(names, ["t1", "t6", "t5", "t3"], "newest first");
        // Rows deleted outright (a project's cascade) are uncounted too.
        diesel::delete(t::table.filter(t::name.eq("t6")))
            .execute(&mut conn)
            .unwrap();
        assert_eq!(tokens.count_active(&p).unwrap(), 5);
    }

    fn forbidden<T>(result: Result<T, AppError>) -> bool {
        matches!(result, Err(AppError::Forbidden))
    }

    #[test]
    fn permission_rules_are_the_store_s_own() {
        let f = fixture();
        let member = |role| Actor {
            account_id: Some(f.other.clone()),
            authority: crate::domain::Authority::Member(role),
            ..f.owner.clone()
        };
        // A viewer creates nothing; a member no Administrator token.
        let viewer = member(MemberRole::Viewer);
        assert!(forbidden(
            f.tokens.create(&spec(&f.p, "v", TokenRole::User), &viewer)
        ));
        let colleague = member(MemberRole::Member);
        let admin_spec = spec(&f.p, "a", TokenRole::Admin);
        assert!(forbidden(f.tokens.create(&admin_spec, &colleague)));
        // A member manages its own tokens only.
        f.tokens
            .create(&spec(&f.p, "own", TokenRole::User), &colleague)
            .unwrap();
        f.tokens
            .create(&spec(&f.p, "owner's", TokenRole::User), &f.owner)
            .unwrap();
        let key = |name: &str| TokenKey::Name(name.into());
        let via = DeletedVia::Console;
        assert!(forbidden(f.tokens.delete(
            &f.p,
            &key("owner's"),
            &colleague,
            via
        )));
        assert!(forbidden(f.tokens.renew(
            &f.p,
            &key("owner's"),
            &colleague,
            f.tokens.renewal_ticket()
        )));
        f.tokens
            .renew(&f.p, &key("own"), &colleague, f.tokens.renewal_ticket())
            .unwrap();
        f.tokens.delete(&f.p, &key("own"), &colleague, via).unwrap();
        // A USER token manages nothing; an ADMIN token everything.
        let user_token = Actor {
            authority: crate::domain::Authority::Token(TokenRole::User),
            ..f.owner.clone()
        };
        assert!(forbidden(f.tokens.delete(
            &f.p,
            &key("owner's"),
            &user_token,
            via
        )));
        assert_eq!(
            f.tokens.count_active(&f.p).unwrap(),
            1,
            "refusals changed nothing"
        );
    }

    #[tokio::test]
    async fn on_a_shared_database_nothing_is_served_from_the_cache() {
        let f = fixture();
        let store = Arc::new(f.tokens);
        let (value, _) = store
            .create(&spec(&f.p, "looked-up", TokenRole::User), &f.owner)
            .unwrap();
        let found = store.look_up(value.digest()).await.unwrap();
        assert!(found.is_some());
        // On SQLite the lookup fills the cache; on PostgreSQL every verification is the lookup.
        assert_eq!(store.cached(&value.digest()).is_some(), !f.db.is_shared());
        assert_eq!(store.cached_count(), usize::from(!f.db.is_shared()));
    }

    #[test]
    fn deleting_or_renewing_ends_the_cached_verification() {
        let f = fixture();
        if f.db.is_shared() {
            return; // no cache on a shared database (the test above)
        }
        let (value, _) = f
            .tokens
            .create(&spec(&f.p, "cached", TokenRole::User), &f.owner)
            .unwrap();
        let cache_it = |digest: Digest| {
            let record = tokens::find_active_by_digest(&mut f.db.conn().unwrap(), &digest)
                .unwrap()
                .unwrap();
            let generation = f.tokens.cache.generation();
            f.tokens
                .cache
                .insert(generation, digest, Arc::new(VerifiedToken::from(&record)));
            assert!(f.tokens.cached(&digest).is_some());
        };
        cache_it(value.digest());
        let key = TokenKey::Name("cached".into());
        let (renewed, _) = f
            .tokens
            .renew(&f.p, &key, &f.owner, f.tokens.renewal_ticket())
            .unwrap();
        assert!(
            f.tokens.cached(&value.digest()).is_none(),
            "renew ends the old value"
        );
        cache_it(renewed.digest());
        f.tokens
            .delete(&f.p, &key, &f.owner, DeletedVia::Console)
            .unwrap();
        assert!(
            f.tokens.cached(&renewed.digest()).is_none(),
            "delete ends the value"
        );
    }

    #[test]
    fn of_two_renewals_that_arrived_together_the_later_is_refused() {
        let f = fixture();
        f.tokens
            .create(&spec(&f.p, "contested", TokenRole::User), &f.owner)
            .unwrap();
        f.tokens
            .create(&spec(&f.p, "bystander", TokenRole::User), &f.owner)
            .unwrap();
        let key = TokenKey::Name("contested".into());
        // Both arrive before either writes, as two simultaneous requests do.
        let (first, second) = (f.tokens.renewal_ticket(), f.tokens.renewal_ticket());
        let (winner, _) = f.tokens.renew(&f.p, &key, &f.owner, first).unwrap();
        assert!(matches!(
            f.tokens.renew(&f.p, &key, &f.owner, second),
            Err(AppError::ChangedMeanwhile)
        ));
        let stored =
            tokens::find_active_by_digest(&mut f.db.conn().unwrap(), &winner.digest()).unwrap();
        assert!(stored.is_some(), "the winner's value stays the token's");
        // Another token's renewal is not held up by this one's.
        let other = TokenKey::Name("bystander".into());
        f.tokens.renew(&f.p, &other, &f.owner, second).unwrap();
        // A renewal that arrives afterwards goes through.
        let later = f.tokens.renewal_ticket();
        f.tokens.renew(&f.p, &key, &f.owner, later).unwrap();
    }

    #[test]
    fn a_label_selector_is_kept_by_renewal_verification_and_deletion() {
        let f = fixture();
        let selector = LabelSelector::parse("example.com/model=base").unwrap();
        let scoped = NewTokenSpec {
            label_selector: Some(selector.clone()),
            ..spec(&f.p, "scoped", TokenRole::User)
        };
        let (_, made) = f.tokens.create(&scoped, &f.owner).unwrap();
        assert_eq!(made.label_selector.as_ref(), Some(&selector));
        let key = TokenKey::Id(made.id.clone());
        let ticket = f.tokens.renewal_ticket();
        let (value, renewed) = f.tokens.renew(&f.p, &key, &f.owner, ticket).unwrap();
        assert_eq!(renewed.label_selector.as_ref(), Some(&selector));
        let found = tokens::find_active_by_digest(&mut f.db.conn().unwrap(), &value.digest())
            .unwrap()
            .unwrap();
        let verified = VerifiedToken::from(&found);
        assert_eq!(verified.label_selector.as_ref(), Some(&selector));
        let deleted = f
            .tokens
            .delete(&f.p, &key, &f.owner, DeletedVia::Cli)
            .unwrap();
        assert_eq!(deleted.label_selector.as_ref(), Some(&selector));
        let stored = f.tokens.find_by_id(&made.id).unwrap();
        assert_eq!(stored.deleted_via, Some(DeletedVia::Cli));
        assert_eq!(stored.label_selector, Some(selector));
        // Unscoped stays unscoped.
        let (_, plain) = f
            .tokens
            .create(&spec(&f.p, "plain", TokenRole::User), &f.owner)
            .unwrap();
        assert_eq!(plain.label_selector, None);
    }
}

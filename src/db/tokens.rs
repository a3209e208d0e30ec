//! Access tokens: only digests and hints are stored, never values.

use crate::db::pool::MultiBackend;
use crate::db::schema::access_tokens as t;
use crate::db::Conn;
use crate::domain::{DeletedVia, Digest, LabelSelector, Timestamp, TokenRole, Ttl};
use diesel::connection::DefaultLoadingMode;
use diesel::prelude::*;

/// Everything about a token but its digest.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = t)]
pub struct TokenRecord {
    pub id: String,
    pub project_id: String,
    pub name: String,
    pub role: TokenRole,
    pub hint: String,
    pub description: Option<String>,
    pub created_at: Timestamp,
    pub created_by_account_id: Option<String>,
    pub issuer_name: String,
    pub expires_at: Option<Timestamp>,
    /// The lifetime chosen at creation, which a renewal gives again.
    #[diesel(column_name = lifetime_secs)]
    pub lifetime: Option<Ttl>,
    pub last_used_at: Option<Timestamp>,
    pub last_used_ips: String,
    pub deleted_at: Option<Timestamp>,
    pub deleted_by: Option<String>,
    pub deleted_via: Option<DeletedVia>,
    /// The jobs it is fixed to (SPEC §13); `None`: unscoped. Fixed at creation, kept by renewal.
    pub label_selector: Option<LabelSelector>,
}

/// What verification needs of an active token, and nothing more: a cache miss reads and allocates only
/// these columns, and the cache keeps them as they are (`auth::token_cache::VerifiedToken`).
#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable)]
#[diesel(table_name = t)]
pub struct TokenIdentity {
    pub id: String,
    pub project_id: String,
    pub name: String,
    pub role: TokenRole,
    pub issuer_name: String,
    pub created_by_account_id: Option<String>,
    pub expires_at: Option<Timestamp>,
    pub label_selector: Option<LabelSelector>,
}

impl TokenIdentity {
    pub fn is_expired(&self, now: Timestamp) -> bool {
        self.expires_at.is_some_and(|at| at <= now)
    }
}

#[cfg(test)] // the tests fill the verification cache from a record read in full
impl From<&TokenRecord> for TokenIdentity {
    fn from(record: &TokenRecord) -> Self {
        TokenIdentity {
            id: record.id.clone(),
            project_id: record.project_id.clone(),
            name: record.name.clone(),
            role: record.role,
            issuer_name: record.issuer_name.clone(),
            created_by_account_id: record.created_by_account_id.clone(),
            expires_at: record.expires_at,
            label_selector: record.label_selector.clone(),
        }
    }
}

impl TokenRecord {
    pub fn is_expired(&self, now: Timestamp) -> bool {
        self.expires_at.is_some_and(|at| at <= now)
    }

    /// Whether the account `account_id` created it (SPEC §4: members manage their own tokens).
    pub fn created_by(&self, account_id: Option<&str>) -> bool {
        account_id.is_some() && self.created_by_account_id.as_deref() == account_id
    }

    /// The last client addresses, most recent first.
    pub fn last_ips(&self) -> Vec<&str> {
        self.last_used_ips
            .split(',')
            .filter(|s| !s.is_empty())
            .collect()
    }
}

#[derive(Debug, Insertable)]
#[diesel(table_name = t)]
pub struct NewToken<'a> {
    pub id: &'a str,
    pub project_id: &'a str,
    pub name: &'a str,
    pub role: TokenRole,
    pub digest: &'a Digest,
    pub hint: &'a str,
    pub description: Option<&'a str>,
    pub created_at: Timestamp,
    pub created_by_account_id: Option<&'a str>,
    pub issuer_name: &'a str,
    pub expires_at: Option<Timestamp>,
    #[diesel(column_name = lifetime_secs)]
    pub lifetime: Option<Ttl>,
    pub label_selector: Option<&'a LabelSelector>,
}

/// Inserts a token; a unique violation means the name is taken among active tokens
/// (a digest collision of 256-bit random values does not happen).
pub fn insert(conn: &mut Conn, token: &NewToken<'_>) -> QueryResult<()> {
    diesel::insert_into(t::table)
        .values(token)
        .execute(conn)
        .map(drop)
}

fn active() -> diesel::dsl::IsNull<t::deleted_at> {
    t::deleted_at.is_null()
}

/// The project's active token `id`, as the target of an update: a deleted one is never changed.
#[diesel::dsl::auto_type]
fn active_row<'a>(project_id: &'a str, id: &'a str) -> _ {
    let not_deleted: diesel::dsl::IsNull<t::deleted_at> = t::deleted_at.is_null();
    t::table
        .filter(t::id.eq(id))
        .filter(t::project_id.eq(project_id))
        .filter(not_deleted)
}

/// One page of the project's active tokens, newest first, and the total count. The page is read in order
/// from the partial index `access_tokens_active_order`, so its cost does not grow with the project.
pub fn list_active(
    conn: &mut Conn,
    project_id: &str,
    offset: i64,
    limit: i64,
) -> QueryResult<(Vec<TokenRecord>, i64)> {
    // Collected into a vector sized for the page up front: `load` would grow it (and move every record
    // already read) six times on the way to 50.
    let mut rows = Vec::with_capacity(usize::try_from(limit).unwrap_or(0).min(1000));
    for row in t::table
        .filter(t::project_id.eq(project_id))
        .filter(active())
        .order((t::created_at.desc(), t::id.desc()))
        .offset(offset)
        .limit(limit)
        .select(TokenRecord::as_select())
        .load_iter::<TokenRecord, DefaultLoadingMode>(conn)?
    {
        rows.push(row?);
    }
    Ok((rows, count_active(conn, project_id)?))
}

/// How many active tokens the project has: one row read, however many there are (a counter kept by
/// triggers in the same transaction as every write to `access_tokens`; see the `token_listing` migration).
pub fn count_active(conn: &mut Conn, project_id: &str) -> QueryResult<i64> {
    use crate::db::schema::active_token_counts as c;
    Ok(c::table
        .find(project_id)
        .select(c::active)
        .get_result(conn)
        .optional()?
        .unwrap_or(0))
}

/// Every active token of the project, newest first (for the API list).
pub fn all_active(conn: &mut Conn, project_id: &str) -> QueryResult<Vec<TokenRecord>> {
    t::table
        .filter(t::project_id.eq(project_id))
        .filter(active())
        .order((t::created_at.desc(), t::id.desc()))
        .select(TokenRecord::as_select())
        .load(conn)
}

/// Every deleted token of the project, most recently deleted first (the command line's list).
pub fn all_deleted(conn: &mut Conn, project_id: &str) -> QueryResult<Vec<TokenRecord>> {
    t::table
        .filter(t::project_id.eq(project_id))
        .filter(t::deleted_at.is_not_null())
        .order((t::deleted_at.desc(), t::id.desc()))
        .select(TokenRecord::as_select())
        .load(conn)
}

/// One page of the project's deleted tokens, most recently deleted first.
pub fn list_deleted(
    conn: &mut Conn,
    project_id: &str,
    offset: i64,
    limit: i64,
) -> QueryResult<(Vec<TokenRecord>, i64)> {
    let rows = t::table
        .filter(t::project_id.eq(project_id))
        .filter(t::deleted_at.is_not_null())
        .order((t::deleted_at.desc(), t::id.desc()))
        .offset(offset)
        .limit(limit)
        .select(TokenRecord::as_select())
        .load(conn)?;
    let total = t::table
        .filter(t::project_id.eq(project_id))
        .filter(t::deleted_at.is_not_null())
        .count()
        .get_result(conn)?;
    Ok((rows, total))
}

/// How a caller names a token of a project: the console and the CLI by id, the API by name.
#[derive(Debug, Clone)]
pub enum TokenKey {
    Id(String),
    Name(String),
}

/// The active tokens of a project with this id or name (at most one).
fn active_with_key<'a>(project_id: &'a str, key: &'a TokenKey) -> t::BoxedQuery<'a, MultiBackend> {
    let query = t::table
        .filter(t::project_id.eq(project_id))
        .filter(active())
        .into_boxed();
    match key {
        TokenKey::Id(id) => query.filter(t::id.eq(id)),
        TokenKey::Name(name) => query.filter(t::name.eq(name)),
    }
}

/// The active token of a project with this id or name.
pub fn find_active(
    conn: &mut Conn,
    project_id: &str,
    key: &TokenKey,
) -> QueryResult<Option<TokenRecord>> {
    active_with_key(project_id, key)
        .select(TokenRecord::as_select())
        .first(conn)
        .optional()
}

/// The token with this id, active or deleted, in whichever project (the command line names tokens by id).
pub fn find_by_id(conn: &mut Conn, id: &str) -> QueryResult<Option<TokenRecord>> {
    t::table
        .find(id)
        .select(TokenRecord::as_select())
        .first(conn)
        .optional()
}

/// The active token whose value has this digest: the one indexed lookup of verification.
///
/// Run on the connection's own backend rather than through the multi-connection: there diesel knows the
/// statement by its type and reuses it without building its SQL again (through the multi-connection each
/// call built the SQL text and rewrote it for the backend, a fifth of a cache miss's own work).
pub fn find_active_by_digest(conn: &mut Conn, digest: &Digest) -> QueryResult<Option<TokenRecord>> {
    // `as_select` is typed by its backend, so the query is written out for each.
    macro_rules! lookup {
        ($conn:expr) => {
            t::table
                .filter(t::digest.eq(digest))
                .filter(active())
                .select(TokenRecord::as_select())
                .first($conn)
        };
    }
    match conn {
        Conn::Sqlite(conn) => lookup!(conn),
        Conn::Postgres(conn) => lookup!(conn),
    }
    .optional()
}

/// The active tokens whose values have these digests, each with its digest: verification's lookups of
/// many requests at once (`service::verifier`). On PostgreSQL one statement with one array parameter
/// (`digest = ANY($1)`), so one prepared statement serves every batch size and the batch costs one round
/// trip. On SQLite, which has no round trips, one prepared `digest = ?` per distinct digest: an
/// `IN (?, ?, …)` list is parsed and planned again for each batch, which cost more than the lookups.
pub fn find_active_by_digests(
    conn: &mut Conn,
    digests: &[Digest],
) -> QueryResult<Vec<(Digest, TokenIdentity)>> {
    match conn {
        Conn::Sqlite(conn) => {
            let mut distinct = digests.to_vec();
            distinct.sort_unstable_by_key(|digest| digest.0);
            distinct.dedup();
            let mut found = Vec::with_capacity(distinct.len());
            for digest in distinct {
                let record = t::table
                    .filter(t::digest.eq(digest))
                    .filter(active())
                    .select(TokenIdentity::as_select())
                    .first(conn)
                    .optional()?;
                found.extend(record.map(|record| (digest, record)));
            }
            Ok(found)
        }
        Conn::Postgres(conn) => t::table
            .filter(t::digest.eq_any(digests))
            .filter(active())
            .select((t::digest, TokenIdentity::as_select()))
            .load(conn),
    }
}

/// Whether an active token of the project already has this name.
pub fn name_taken(conn: &mut Conn, project_id: &str, name: &str) -> QueryResult<bool> {
    diesel::select(diesel::dsl::exists(
        t::table
            .filter(t::project_id.eq(project_id))
            .filter(t::name.eq(name))
            .filter(active()),
    ))
    .get_result(conn)
}

/// Marks an active token deleted; returns whether a row changed (false: already gone).
pub fn soft_delete(
    conn: &mut Conn,
    project_id: &str,
    id: &str,
    by: &str,
    via: DeletedVia,
    now: Timestamp,
) -> QueryResult<bool> {
    let changed = diesel::update(active_row(project_id, id))
        .set((
            t::deleted_at.eq(now),
            t::deleted_by.eq(by),
            t::deleted_via.eq(via),
        ))
        .execute(conn)?;
    Ok(changed == 1)
}

/// A token's new value (its digest and hint) and expiry, as a renewal writes them.
pub struct NewSecret<'a> {
    pub digest: &'a Digest,
    pub hint: &'a str,
    pub expires_at: Option<Timestamp>,
    pub lifetime: Option<Ttl>,
}

/// The digest of an active token's value now (read by a renewal, which replaces exactly that value).
pub fn current_digest(conn: &mut Conn, project_id: &str, id: &str) -> QueryResult<Option<Digest>> {
    active_row(project_id, id)
        .select(t::digest)
        .first(conn)
        .optional()
}

/// Gives an active token a new secret and expiry in place, if its value is still `previous`; returns
/// whether a row changed (false: deleted, or renewed by another transaction meanwhile — on PostgreSQL the
/// later of two concurrent renewals waits for the row, then finds the digest changed). The row keeps its
/// id, name, role, description and creator: a renewal is not a deletion.
pub fn replace_secret(
    conn: &mut Conn,
    project_id: &str,
    id: &str,
    previous: &Digest,
    new: &NewSecret<'_>,
) -> QueryResult<bool> {
    let changed = diesel::update(active_row(project_id, id).filter(t::digest.eq(previous)))
        .set((
            t::digest.eq(new.digest),
            t::hint.eq(new.hint),
            t::expires_at.eq(new.expires_at),
            t::lifetime_secs.eq(new.lifetime),
        ))
        .execute(conn)?;
    Ok(changed == 1)
}

/// Sets (or, with `None`, removes) an active token's description; returns whether a row changed.
pub fn set_description(
    conn: &mut Conn,
    project_id: &str,
    id: &str,
    description: Option<&str>,
) -> QueryResult<bool> {
    let changed = diesel::update(active_row(project_id, id))
        .set(t::description.eq(description))
        .execute(conn)?;
    Ok(changed == 1)
}

/// How many active (not deleted) tokens of the project each account created.
pub fn active_by_creator(conn: &mut Conn, project_id: &str) -> QueryResult<Vec<(String, i64)>> {
    t::table
        .filter(t::project_id.eq(project_id))
        .filter(t::deleted_at.is_null())
        .filter(t::created_by_account_id.is_not_null())
        .group_by(t::created_by_account_id)
        .select((
            t::created_by_account_id.assume_not_null(),
            diesel::dsl::count_star(),
        ))
        .load(conn)
}

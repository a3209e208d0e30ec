//! Access tokens: only digests and hints are stored, never values.

use crate::db::schema::access_tokens as t;
use crate::domain::{Digest, TokenRole};
use diesel::prelude::*;
use diesel::sqlite::SqliteConnection;

/// Everything about a token but its digest.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = t)]
pub struct TokenRecord {
    pub id: String,
    pub project_id: String,
    pub name: String,
    pub role: String,
    pub hint: String,
    pub description: Option<String>,
    pub created_at: i64,
    pub created_by_account_id: Option<String>,
    pub issuer_name: String,
    pub expires_at: Option<i64>,
    pub lifetime_secs: Option<i64>,
    pub last_used_at: Option<i64>,
    pub last_used_ips: String,
    pub deleted_at: Option<i64>,
    pub deleted_by: Option<String>,
    pub deleted_via: Option<String>,
}

impl TokenRecord {
    pub fn role(&self) -> TokenRole {
        // The column has a CHECK constraint; anything else is treated as the weaker role.
        self.role.parse().unwrap_or(TokenRole::User)
    }

    pub fn is_expired(&self, now_ms: i64) -> bool {
        self.expires_at.is_some_and(|at| at <= now_ms)
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
    pub role: &'a str,
    pub digest: &'a [u8],
    pub hint: &'a str,
    pub description: Option<&'a str>,
    pub created_at: i64,
    pub created_by_account_id: Option<&'a str>,
    pub issuer_name: &'a str,
    pub expires_at: Option<i64>,
    pub lifetime_secs: Option<i64>,
}

/// How a token came to be deleted, shown in the deleted-tokens list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeletedVia {
    Console,
    Api,
    LeakReport,
}

impl DeletedVia {
    pub fn as_str(self) -> &'static str {
        match self {
            DeletedVia::Console => "console",
            DeletedVia::Api => "api",
            DeletedVia::LeakReport => "leak report",
        }
    }
}

/// Inserts a token; a unique violation means the name is taken among active tokens
/// (a digest collision of 256-bit random values does not happen).
pub fn insert(conn: &mut SqliteConnection, token: &NewToken<'_>) -> QueryResult<()> {
    diesel::insert_into(t::table)
        .values(token)
        .execute(conn)
        .map(drop)
}

fn active() -> diesel::dsl::IsNull<t::deleted_at> {
    t::deleted_at.is_null()
}

/// One page of the project's active tokens, newest first, and the total count.
pub fn list_active(
    conn: &mut SqliteConnection,
    project_id: &str,
    offset: i64,
    limit: i64,
) -> QueryResult<(Vec<TokenRecord>, i64)> {
    let rows = t::table
        .filter(t::project_id.eq(project_id))
        .filter(active())
        .order((t::created_at.desc(), t::id.desc()))
        .offset(offset)
        .limit(limit)
        .select(TokenRecord::as_select())
        .load(conn)?;
    let total = t::table
        .filter(t::project_id.eq(project_id))
        .filter(active())
        .count()
        .get_result(conn)?;
    Ok((rows, total))
}

/// Every active token of the project, newest first (for the API list).
pub fn all_active(conn: &mut SqliteConnection, project_id: &str) -> QueryResult<Vec<TokenRecord>> {
    t::table
        .filter(t::project_id.eq(project_id))
        .filter(active())
        .order((t::created_at.desc(), t::id.desc()))
        .select(TokenRecord::as_select())
        .load(conn)
}

/// One page of the project's deleted tokens, most recently deleted first.
pub fn list_deleted(
    conn: &mut SqliteConnection,
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

/// The active token of a project with this id.
pub fn find_active(
    conn: &mut SqliteConnection,
    project_id: &str,
    id: &str,
) -> QueryResult<Option<TokenRecord>> {
    t::table
        .filter(t::id.eq(id))
        .filter(t::project_id.eq(project_id))
        .filter(active())
        .select(TokenRecord::as_select())
        .first(conn)
        .optional()
}

/// The active token of a project with this name.
pub fn find_active_by_name(
    conn: &mut SqliteConnection,
    project_id: &str,
    name: &str,
) -> QueryResult<Option<TokenRecord>> {
    t::table
        .filter(t::project_id.eq(project_id))
        .filter(t::name.eq(name))
        .filter(active())
        .select(TokenRecord::as_select())
        .first(conn)
        .optional()
}

/// The active token whose value has this digest: the one indexed lookup of verification.
pub fn find_active_by_digest(
    conn: &mut SqliteConnection,
    digest: &Digest,
) -> QueryResult<Option<TokenRecord>> {
    t::table
        .filter(t::digest.eq(digest.as_bytes()))
        .filter(active())
        .select(TokenRecord::as_select())
        .first(conn)
        .optional()
}

/// Whether an active token of the project already has this name.
pub fn name_taken(conn: &mut SqliteConnection, project_id: &str, name: &str) -> QueryResult<bool> {
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
    conn: &mut SqliteConnection,
    project_id: &str,
    id: &str,
    by: &str,
    via: DeletedVia,
    now: i64,
) -> QueryResult<bool> {
    let changed = diesel::update(
        t::table
            .filter(t::id.eq(id))
            .filter(t::project_id.eq(project_id))
            .filter(active()),
    )
    .set((
        t::deleted_at.eq(now),
        t::deleted_by.eq(by),
        t::deleted_via.eq(via.as_str()),
    ))
    .execute(conn)?;
    Ok(changed == 1)
}

/// Gives an active token a new secret (digest and hint) and expiry in place; returns whether a row changed.
/// The row keeps its id, name, role, description and creator: a renewal is not a deletion.
pub fn replace_secret(
    conn: &mut SqliteConnection,
    project_id: &str,
    id: &str,
    digest: &Digest,
    hint: &str,
    expires_at: Option<i64>,
    lifetime_secs: Option<i64>,
) -> QueryResult<bool> {
    let changed = diesel::update(
        t::table
            .filter(t::id.eq(id))
            .filter(t::project_id.eq(project_id))
            .filter(active()),
    )
    .set((
        t::digest.eq(digest.as_bytes()),
        t::hint.eq(hint),
        t::expires_at.eq(expires_at),
        t::lifetime_secs.eq(lifetime_secs),
    ))
    .execute(conn)?;
    Ok(changed == 1)
}

/// Sets (or, with `None`, removes) an active token's description; returns whether a row changed.
pub fn set_description(
    conn: &mut SqliteConnection,
    project_id: &str,
    id: &str,
    description: Option<&str>,
) -> QueryResult<bool> {
    let changed = diesel::update(
        t::table
            .filter(t::id.eq(id))
            .filter(t::project_id.eq(project_id))
            .filter(active()),
    )
    .set(t::description.eq(description))
    .execute(conn)?;
    Ok(changed == 1)
}

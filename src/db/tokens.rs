//! Access tokens: only digests and hints are stored, never values.

use crate::db::schema::access_tokens as t;
use crate::domain::{Digest, TokenRole};
use diesel::connection::DefaultLoadingMode;
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

/// One page of the project's active tokens, newest first, and the total count. The page is read in order
/// from the partial index `access_tokens_active_order`, so its cost does not grow with the project.
pub fn list_active(
    conn: &mut SqliteConnection,
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
pub fn count_active(conn: &mut SqliteConnection, project_id: &str) -> QueryResult<i64> {
    use crate::db::schema::active_token_counts as c;
    Ok(c::table
        .find(project_id)
        .select(c::active)
        .get_result(conn)
        .optional()?
        .unwrap_or(0))
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{Description, TokenName};
    use crate::service::{self, Actor, NewTokenSpec, TokenKey};

    fn actual_active(conn: &mut SqliteConnection, project_id: &str) -> i64 {
        t::table
            .filter(t::project_id.eq(project_id))
            .filter(active())
            .count()
            .get_result(conn)
            .unwrap()
    }

    #[test]
    fn the_active_counter_follows_every_kind_of_write() {
        let dir = tempfile::tempdir().unwrap();
        let pool = crate::db::pool::open(&dir.path().join("t.db"), 2).unwrap();
        let password = secrecy::SecretString::from("a long password".to_owned());
        crate::cli::create_user(&pool, "o@example.com", None, &password).unwrap();
        let p = crate::cli::create_project(&pool, "p", "o@example.com").unwrap();
        let q = crate::cli::create_project(&pool, "q", "o@example.com").unwrap();
        let mut conn = pool.get().unwrap();
        let actor = Actor {
            account_id: None,
            name: "o@example.com".into(),
            issuer_email: "o@example.com".into(),
            client_ip: None,
        };
        let spec = |project: &str, name: &str| NewTokenSpec {
            project_id: project.into(),
            name: TokenName::parse(name).unwrap(),
            role: crate::domain::TokenRole::User,
            description: Description::none(),
            lifetime_secs: None,
        };
        assert_eq!(
            count_active(&mut conn, &p).unwrap(),
            0,
            "no row yet reads as 0"
        );
        for i in 0..7 {
            service::create_token(&mut conn, i, &spec(&p, &format!("t{i}")), &actor).unwrap();
        }
        service::create_token(&mut conn, 9, &spec(&q, "other"), &actor).unwrap();
        // A refused insert (name taken) changes nothing.
        assert!(service::create_token(&mut conn, 10, &spec(&p, "t0"), &actor).is_err());
        for name in ["t1", "t4"] {
            let key = TokenKey::Name(name.into());
            service::delete_token(&mut conn, 11, &p, &key, &actor, DeletedVia::Api).unwrap();
        }
        service::renew_token(&mut conn, 12, &p, &TokenKey::Name("t2".into()), &actor).unwrap();
        set_description(&mut conn, &p, "x", Some("no such token")).unwrap();
        // A deleted name may be reused.
        service::create_token(&mut conn, 13, &spec(&p, "t1"), &actor).unwrap();
        for project in [&p, &q] {
            assert_eq!(
                count_active(&mut conn, project).unwrap(),
                actual_active(&mut conn, project)
            );
        }
        assert_eq!(count_active(&mut conn, &p).unwrap(), 6);
        let (page, total) = list_active(&mut conn, &p, 0, 4).unwrap();
        assert_eq!(total, 6);
        let names: Vec<&str> = page.iter().map(|r| r.name.as_str()).collect();
        assert_eq!(names, ["t1", "t6", "t5", "t3"], "newest first");
        // Rows deleted outright (a project's cascade) are uncounted too.
        diesel::delete(t::table.filter(t::name.eq("t6")))
            .execute(&mut conn)
            .unwrap();
        assert_eq!(count_active(&mut conn, &p).unwrap(), 5);
    }
}

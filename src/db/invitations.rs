//! Invitations to a project: only the digest of a value is stored, never the value.

use crate::db::schema::invitations as i;
use crate::db::Conn;
use crate::domain::{Digest, MemberRole, Timestamp};
use diesel::prelude::*;

/// Everything about an invitation but its digest.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = i)]
pub struct Invitation {
    pub id: String,
    pub project_id: String,
    pub email: String,
    pub role: MemberRole,
    pub invited_by: String,
    pub invited_by_account_id: Option<String>,
    pub created_at: Timestamp,
    pub expires_at: Timestamp,
    pub accepted_at: Option<Timestamp>,
    pub accepted_account_id: Option<String>,
    pub revoked_at: Option<Timestamp>,
}

impl Invitation {
    /// Neither accepted nor revoked, and not past its expiry at `now`.
    pub fn is_open(&self, now: Timestamp) -> bool {
        self.accepted_at.is_none() && self.revoked_at.is_none() && now < self.expires_at
    }
}

#[derive(Insertable)]
#[diesel(table_name = i)]
pub struct NewInvitation<'a> {
    pub id: &'a str,
    pub project_id: &'a str,
    pub email: &'a str,
    pub role: MemberRole,
    pub digest: Digest,
    pub invited_by: &'a str,
    pub invited_by_account_id: Option<&'a str>,
    pub created_at: Timestamp,
    pub expires_at: Timestamp,
}

pub fn insert(conn: &mut Conn, invitation: &NewInvitation<'_>) -> QueryResult<()> {
    diesel::insert_into(i::table)
        .values(invitation)
        .execute(conn)
        .map(drop)
}

/// The project's invitations neither accepted nor revoked nor expired at `now`, oldest first.
pub fn pending(conn: &mut Conn, project_id: &str, now: Timestamp) -> QueryResult<Vec<Invitation>> {
    i::table
        .filter(i::project_id.eq(project_id))
        .filter(i::accepted_at.is_null())
        .filter(i::revoked_at.is_null())
        .filter(i::expires_at.gt(now))
        .order(i::created_at.asc())
        .select(Invitation::as_select())
        .load(conn)
}

pub fn find_by_digest(conn: &mut Conn, digest: &Digest) -> QueryResult<Option<Invitation>> {
    i::table
        .filter(i::digest.eq(digest))
        .select(Invitation::as_select())
        .first(conn)
        .optional()
}

/// Marks the invitation accepted by `account_id` if it is still open at `now`: 1 row for the one
/// acceptance that wins, 0 for every other (used, revoked or expired meanwhile).
pub fn claim(conn: &mut Conn, id: &str, account_id: &str, now: Timestamp) -> QueryResult<usize> {
    diesel::update(
        i::table
            .filter(i::id.eq(id))
            .filter(i::accepted_at.is_null())
            .filter(i::revoked_at.is_null())
            .filter(i::expires_at.gt(now)),
    )
    .set((
        i::accepted_at.eq(now),
        i::accepted_account_id.eq(account_id),
    ))
    .execute(conn)
}

/// Revokes the project's pending invitation `id`; the invitation if it was pending.
pub fn revoke(
    conn: &mut Conn,
    project_id: &str,
    id: &str,
    now: Timestamp,
) -> QueryResult<Option<Invitation>> {
    let found = i::table
        .filter(i::id.eq(id))
        .filter(i::project_id.eq(project_id))
        .select(Invitation::as_select())
        .first(conn)
        .optional()?;
    let Some(invitation) = found.filter(|inv| inv.is_open(now)) else {
        return Ok(None);
    };
    diesel::update(
        i::table
            .filter(i::id.eq(id))
            .filter(i::accepted_at.is_null()),
    )
    .set(i::revoked_at.eq(now))
    .execute(conn)?;
    Ok(Some(invitation))
}

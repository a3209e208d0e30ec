//! Registration tokens: one-time secrets exchanged for an access token. Only digests are stored.

use crate::db::schema::registration_tokens as r;
use crate::db::Conn;
use crate::domain::{Digest, LabelSelector, Timestamp, TokenRole, Ttl};
use diesel::prelude::*;

/// Everything about a registration token but its digest.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = r)]
pub struct RegistrationRecord {
    pub id: String,
    pub project_id: String,
    pub client_name: String,
    pub token_type: TokenRole,
    /// The lifetime of the access token the exchange makes; `None`: it never expires.
    #[diesel(column_name = refresh_ttl_secs)]
    pub refresh_ttl: Option<Ttl>,
    pub expires_at: Timestamp,
    pub created_at: Timestamp,
    pub created_by_token_id: Option<String>,
    pub issuer_account_id: Option<String>,
    pub issuer_name: String,
    pub used_at: Option<Timestamp>,
    pub used_token_id: Option<String>,
    /// The selector the exchanged access token gets (SPEC §13).
    pub label_selector: Option<LabelSelector>,
}

#[derive(Debug, Insertable)]
#[diesel(table_name = r)]
pub struct NewRegistration<'a> {
    pub id: &'a str,
    pub project_id: &'a str,
    pub digest: &'a Digest,
    pub client_name: &'a str,
    pub token_type: TokenRole,
    #[diesel(column_name = refresh_ttl_secs)]
    pub refresh_ttl: Option<Ttl>,
    pub expires_at: Timestamp,
    pub created_at: Timestamp,
    pub created_by_token_id: Option<&'a str>,
    pub issuer_account_id: Option<&'a str>,
    pub issuer_name: &'a str,
    pub label_selector: Option<&'a LabelSelector>,
}

pub fn insert(conn: &mut Conn, new: &NewRegistration<'_>) -> QueryResult<()> {
    diesel::insert_into(r::table)
        .values(new)
        .execute(conn)
        .map(drop)
}

/// The registration token whose value has this digest, used or not.
pub fn find_by_digest(conn: &mut Conn, digest: &Digest) -> QueryResult<Option<RegistrationRecord>> {
    r::table
        .filter(r::digest.eq(digest))
        .select(RegistrationRecord::as_select())
        .first(conn)
        .optional()
}

/// Marks the token used if nobody did yet; false means another exchange got there first.
pub fn mark_used(conn: &mut Conn, id: &str, now: Timestamp) -> QueryResult<bool> {
    let changed = diesel::update(r::table.find(id).filter(r::used_at.is_null()))
        .set(r::used_at.eq(now))
        .execute(conn)?;
    Ok(changed == 1)
}

/// Records which access token the exchange made.
pub fn set_used_token(conn: &mut Conn, id: &str, token_id: &str) -> QueryResult<()> {
    diesel::update(r::table.find(id))
        .set(r::used_token_id.eq(token_id))
        .execute(conn)
        .map(drop)
}

/// Deletes an unused, unexpired registration token (its value was reported leaked): an exchange then
/// finds no such token and answers 401, as for any deleted token (SPEC §6). Returns false when it was
/// used or had expired already: nothing left to end.
pub fn delete_unused(conn: &mut Conn, id: &str, now: Timestamp) -> QueryResult<bool> {
    let deleted = diesel::delete(
        r::table
            .find(id)
            .filter(r::used_at.is_null())
            .filter(r::expires_at.gt(now)),
    )
    .execute(conn)?;
    Ok(deleted == 1)
}

/// Deletes every unused, unexpired registration token that the access token `token_id` issued (that
/// token is being deleted or renewed, and whoever held its value may have minted them). Returns how
/// many were ended.
pub fn delete_unused_issued_by(
    conn: &mut Conn,
    token_id: &str,
    now: Timestamp,
) -> QueryResult<usize> {
    diesel::delete(
        r::table
            .filter(r::created_by_token_id.eq(token_id))
            .filter(r::used_at.is_null())
            .filter(r::expires_at.gt(now)),
    )
    .execute(conn)
}

//! Accounts: people who log in to the console.

use crate::db::schema::accounts;
use crate::db::Conn;
use crate::domain::Timestamp;
use diesel::prelude::*;

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = accounts)]
pub struct Account {
    pub id: String,
    pub email: String,
    pub display_name: String,
    pub password_hash: String,
    pub created_at: Timestamp,
    /// Sessions signed in under another generation are over (a password change moves to the next one).
    pub session_generation: i64,
}

#[derive(Insertable)]
#[diesel(table_name = accounts)]
pub struct NewAccount<'a> {
    pub id: &'a str,
    pub email: &'a str,
    pub display_name: &'a str,
    pub password_hash: &'a str,
    pub created_at: Timestamp,
}

pub fn insert(conn: &mut Conn, account: &NewAccount<'_>) -> QueryResult<()> {
    diesel::insert_into(accounts::table)
        .values(account)
        .execute(conn)
        .map(drop)
}

diesel::define_sql_function!(fn lower(x: diesel::sql_types::Text) -> diesel::sql_types::Text);

/// Looks an account up by email, case-insensitively: on SQLite the column compares so itself (`COLLATE
/// NOCASE`), on PostgreSQL through the unique index on `lower(email)`.
pub fn find_by_email(conn: &mut Conn, email: &str) -> QueryResult<Option<Account>> {
    let query = accounts::table.select(Account::as_select()).into_boxed();
    let query = match conn {
        Conn::Sqlite(_) => query.filter(accounts::email.eq(email)),
        Conn::Postgres(_) => query.filter(lower(accounts::email).eq(lower(email))),
    };
    query.first(conn).optional()
}

/// Held until the caller's transaction ends: the first-start bootstrap of instances starting together on
/// one PostgreSQL database runs once (on SQLite the write transaction is exclusive already).
pub fn lock_bootstrap(conn: &mut Conn) -> QueryResult<()> {
    use diesel::connection::SimpleConnection;
    match conn {
        Conn::Sqlite(_) => Ok(()),
        Conn::Postgres(pg) => pg.batch_execute("SELECT pg_advisory_xact_lock(7815179275170116210)"),
    }
}

pub fn count(conn: &mut Conn) -> QueryResult<i64> {
    accounts::table.count().get_result(conn)
}

pub fn find_by_id(conn: &mut Conn, id: &str) -> QueryResult<Option<Account>> {
    accounts::table
        .find(id)
        .select(Account::as_select())
        .first(conn)
        .optional()
}

/// The account's session generation, or `None` when there is no such account.
pub fn session_generation(conn: &mut Conn, id: &str) -> QueryResult<Option<i64>> {
    accounts::table
        .find(id)
        .select(accounts::session_generation)
        .first(conn)
        .optional()
}

/// Replaces the password hash and moves the account to its next session generation, which it returns.
pub fn set_password(conn: &mut Conn, id: &str, hash: &str) -> QueryResult<i64> {
    diesel::update(accounts::table.find(id))
        .set((
            accounts::password_hash.eq(hash),
            accounts::session_generation.eq(accounts::session_generation + 1),
        ))
        .execute(conn)?;
    accounts::table
        .find(id)
        .select(accounts::session_generation)
        .first(conn)
}

pub fn set_display_name(conn: &mut Conn, id: &str, name: &str) -> QueryResult<usize> {
    diesel::update(accounts::table.find(id))
        .set(accounts::display_name.eq(name))
        .execute(conn)
}

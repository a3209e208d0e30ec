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

/// Looks an account up by email; the column compares case-insensitively.
pub fn find_by_email(conn: &mut Conn, email: &str) -> QueryResult<Option<Account>> {
    accounts::table
        .filter(accounts::email.eq(email))
        .select(Account::as_select())
        .first(conn)
        .optional()
}

pub fn count(conn: &mut Conn) -> QueryResult<i64> {
    accounts::table.count().get_result(conn)
}

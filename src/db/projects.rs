//! Projects and their memberships.

use crate::db::schema::{accounts, memberships, projects};
use crate::db::Conn;
use crate::domain::{MemberRole, Timestamp};
use diesel::prelude::*;

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = projects)]
pub struct Project {
    pub id: String,
    pub name: String,
    pub created_at: Timestamp,
}

/// A project as one account sees it: with that account's role.
#[derive(Debug, Clone)]
pub struct ProjectAccess {
    pub project: Project,
    pub role: MemberRole,
}

pub fn insert(conn: &mut Conn, id: &str, name: &str, now: Timestamp) -> QueryResult<()> {
    diesel::insert_into(projects::table)
        .values((
            projects::id.eq(id),
            projects::name.eq(name),
            projects::created_at.eq(now),
        ))
        .execute(conn)
        .map(drop)
}

/// Every project by name, each with its number of members and of active tokens.
pub fn all_with_counts(conn: &mut Conn) -> QueryResult<Vec<(Project, i64, i64)>> {
    use crate::db::schema::active_token_counts as c;
    let projects: Vec<Project> = projects::table
        .order((projects::name.asc(), projects::id.asc()))
        .select(Project::as_select())
        .load(conn)?;
    let members: std::collections::HashMap<String, i64> = memberships::table
        .group_by(memberships::project_id)
        .select((memberships::project_id, diesel::dsl::count_star()))
        .load(conn)?
        .into_iter()
        .collect();
    let tokens: std::collections::HashMap<String, i64> = c::table
        .select((c::project_id, c::active))
        .load(conn)?
        .into_iter()
        .collect();
    Ok(projects
        .into_iter()
        .map(|p| {
            let counts = (
                members.get(&p.id).copied().unwrap_or(0),
                tokens.get(&p.id).copied().unwrap_or(0),
            );
            (p, counts.0, counts.1)
        })
        .collect())
}

/// Finds a project by id, or else by name (the CLI accepts either).
pub fn find_by_id_or_name(conn: &mut Conn, key: &str) -> QueryResult<Option<Project>> {
    projects::table
        .filter(projects::id.eq(key).or(projects::name.eq(key)))
        .order(projects::id.eq(key).desc())
        .select(Project::as_select())
        .first(conn)
        .optional()
}

/// Adds a member, or changes the role of an existing one.
pub fn upsert_member(
    conn: &mut Conn,
    project_id: &str,
    account_id: &str,
    role: MemberRole,
    now: Timestamp,
) -> QueryResult<()> {
    let upsert = diesel::insert_into(memberships::table)
        .values((
            memberships::project_id.eq(project_id),
            memberships::account_id.eq(account_id),
            memberships::role.eq(role),
            memberships::created_at.eq(now),
        ))
        .on_conflict((memberships::project_id, memberships::account_id))
        .do_update()
        .set(memberships::role.eq(role));
    // An upsert has no multi-backend form: the same statement, run on the connection's own backend.
    match conn {
        Conn::Sqlite(conn) => upsert.execute(conn),
        Conn::Postgres(conn) => upsert.execute(conn),
    }
    .map(drop)
}

/// The account's projects, by name.
pub fn for_account(conn: &mut Conn, account_id: &str) -> QueryResult<Vec<ProjectAccess>> {
    memberships::table
        .inner_join(projects::table)
        .filter(memberships::account_id.eq(account_id))
        .order(projects::name.asc())
        .select((Project::as_select(), memberships::role))
        .load::<(Project, MemberRole)>(conn)
        .map(|rows| {
            rows.into_iter()
                .map(|(project, role)| ProjectAccess { project, role })
                .collect()
        })
}

/// The project with the account's role in it, or `None` when the account is not a member.
pub fn access(
    conn: &mut Conn,
    account_id: &str,
    project_id: &str,
) -> QueryResult<Option<ProjectAccess>> {
    memberships::table
        .inner_join(projects::table)
        .filter(memberships::account_id.eq(account_id))
        .filter(memberships::project_id.eq(project_id))
        .select((Project::as_select(), memberships::role))
        .first::<(Project, MemberRole)>(conn)
        .optional()
        .map(|found| found.map(|(project, role)| ProjectAccess { project, role }))
}

/// The id and email of the project's first owner (the default creator for CLI-made tokens).
pub fn first_owner(conn: &mut Conn, project_id: &str) -> QueryResult<Option<(String, String)>> {
    memberships::table
        .inner_join(accounts::table)
        .filter(memberships::project_id.eq(project_id))
        .filter(memberships::role.eq(MemberRole::Owner))
        .order((memberships::created_at.asc(), accounts::email.asc()))
        .select((accounts::id, accounts::email))
        .first(conn)
        .optional()
}

/// The role of an account in a project, if it is a member.
pub fn member_role(
    conn: &mut Conn,
    project_id: &str,
    account_id: &str,
) -> QueryResult<Option<MemberRole>> {
    memberships::table
        .find((project_id, account_id))
        .select(memberships::role)
        .first(conn)
        .optional()
}

/// A member of a project as the Members page lists it.
#[derive(Debug, Clone, Queryable)]
pub struct MemberRow {
    pub account_id: String,
    pub email: String,
    pub display_name: String,
    pub role: MemberRole,
    pub added_at: Timestamp,
}

/// The project's members, owners first, then by email.
pub fn members(conn: &mut Conn, project_id: &str) -> QueryResult<Vec<MemberRow>> {
    let mut rows: Vec<MemberRow> = memberships::table
        .inner_join(accounts::table)
        .filter(memberships::project_id.eq(project_id))
        .order(accounts::email.asc())
        .select((
            accounts::id,
            accounts::email,
            accounts::display_name,
            memberships::role,
            memberships::created_at,
        ))
        .load(conn)?;
    rows.sort_by_key(|row| row.role);
    Ok(rows)
}

/// One member of the project, if `account_id` is one.
pub fn member(
    conn: &mut Conn,
    project_id: &str,
    account_id: &str,
) -> QueryResult<Option<MemberRow>> {
    memberships::table
        .inner_join(accounts::table)
        .filter(memberships::project_id.eq(project_id))
        .filter(memberships::account_id.eq(account_id))
        .select((
            accounts::id,
            accounts::email,
            accounts::display_name,
            memberships::role,
            memberships::created_at,
        ))
        .first(conn)
        .optional()
}

/// How many owners the project has.
pub fn owner_count(conn: &mut Conn, project_id: &str) -> QueryResult<i64> {
    memberships::table
        .filter(memberships::project_id.eq(project_id))
        .filter(memberships::role.eq(MemberRole::Owner))
        .count()
        .get_result(conn)
}

/// Serializes changes to the project's memberships within the current write transaction, so that two
/// owners demoting each other at once cannot both see another owner left. SQLite's writes already take
/// turns (`BEGIN IMMEDIATE`); PostgreSQL locks the project's row until the transaction ends.
pub fn lock_memberships(conn: &mut Conn, project_id: &str) -> QueryResult<()> {
    match conn {
        Conn::Sqlite(_) => Ok(()),
        Conn::Postgres(conn) => projects::table
            .filter(projects::id.eq(project_id))
            .select(projects::id)
            .for_update()
            .load::<String>(conn)
            .map(drop),
    }
}

/// Changes an existing member's role; the number of rows changed (0: not a member).
pub fn set_role(
    conn: &mut Conn,
    project_id: &str,
    account_id: &str,
    role: MemberRole,
) -> QueryResult<usize> {
    diesel::update(memberships::table.find((project_id, account_id)))
        .set(memberships::role.eq(role))
        .execute(conn)
}

/// Removes a member; the number of rows removed (0: not a member).
pub fn remove_member(conn: &mut Conn, project_id: &str, account_id: &str) -> QueryResult<usize> {
    diesel::delete(memberships::table.find((project_id, account_id))).execute(conn)
}

//! The audit log: one row per event, never a secret.

use crate::db::pool::MultiBackend;
use crate::db::schema::audit_events as a;
use crate::db::Conn;
use crate::domain::Timestamp;
use diesel::prelude::*;
use diesel::query_builder::{BoxedSqlQuery, SqlQuery};
use std::sync::LazyLock;

/// Event names of SPEC §9.
pub mod event {
    pub const LOGIN_SUCCEEDED: &str = "login.succeeded";
    pub const LOGIN_FAILED: &str = "login.failed";
    pub const TOKEN_CREATED: &str = "token.created";
    pub const TOKEN_DELETED: &str = "token.deleted";
    pub const TOKEN_RENEWED: &str = "token.renewed";
    pub const TOKEN_DESCRIPTION_CHANGED: &str = "token.description_changed";
    pub const REGISTER_TOKEN_CREATED: &str = "register_token.created";
    pub const REGISTER_TOKEN_EXCHANGED: &str = "register_token.exchanged";
    pub const TOKEN_LEAK_REVOKED: &str = "token.leak_revoked";
    pub const MEMBER_ADDED: &str = "member.added";
    pub const MEMBER_ROLE_CHANGED: &str = "member.role_changed";
    pub const MEMBER_REMOVED: &str = "member.removed";
    pub const PROJECT_CREATED: &str = "project.created";
    pub const ACCOUNT_PASSWORD_CHANGED: &str = "account.password_changed";
    pub const INVITATION_CREATED: &str = "invitation.created";
    pub const INVITATION_ACCEPTED: &str = "invitation.accepted";
    pub const INVITATION_REVOKED: &str = "invitation.revoked";
    pub const ALL: [&str; 17] = [
        LOGIN_SUCCEEDED,
        LOGIN_FAILED,
        TOKEN_CREATED,
        TOKEN_DELETED,
        TOKEN_RENEWED,
        TOKEN_DESCRIPTION_CHANGED,
        REGISTER_TOKEN_CREATED,
        REGISTER_TOKEN_EXCHANGED,
        TOKEN_LEAK_REVOKED,
        MEMBER_ADDED,
        MEMBER_ROLE_CHANGED,
        MEMBER_REMOVED,
        PROJECT_CREATED,
        ACCOUNT_PASSWORD_CHANGED,
        INVITATION_CREATED,
        INVITATION_ACCEPTED,
        INVITATION_REVOKED,
    ];
}

#[derive(Debug, Clone, Queryable, QueryableByName, Selectable)]
#[diesel(table_name = a)]
pub struct AuditEvent {
    pub id: i64,
    pub project_id: Option<String>,
    pub account_id: Option<String>,
    pub event: String,
    pub actor: String,
    pub target: Option<String>,
    pub client_ip: Option<String>,
    pub detail: Option<String>,
    pub created_at: Timestamp,
}

#[derive(Debug, Default, Insertable)]
#[diesel(table_name = a)]
pub struct NewAuditEvent<'a> {
    pub project_id: Option<&'a str>,
    pub account_id: Option<&'a str>,
    pub event: &'a str,
    pub actor: &'a str,
    pub target: Option<&'a str>,
    pub client_ip: Option<&'a str>,
    pub detail: Option<&'a str>,
    pub created_at: Timestamp,
}

pub fn record(conn: &mut Conn, event: &NewAuditEvent<'_>) -> QueryResult<()> {
    diesel::insert_into(a::table)
        .values(event)
        .execute(conn)
        .map(drop)
}

// A project's log: its own events, and the logins (which carry no project) of its current members.
// Binds: ?1 project id, ?2 event name or NULL for all, ?3 limit, ?4 offset, ?5 and ?6 the login event names.
// Two branches, so each walks its own index in id order; the unary `+` keeps SQLite from walking every login
// of every account through `audit_by_project (project_id IS NULL)` instead of the members' through
// `audit_by_account`.
const PROJECT_LOG_ROWS: &str = "\
    SELECT id, project_id, account_id, event, actor, target, client_ip, detail, created_at
      FROM audit_events
     WHERE project_id = ?1 AND (?2 IS NULL OR event = ?2)
    UNION ALL
    SELECT id, project_id, account_id, event, actor, target, client_ip, detail, created_at
      FROM audit_events
     WHERE +project_id IS NULL AND event IN (?5, ?6) AND (?2 IS NULL OR event = ?2)
       AND account_id IN (SELECT account_id FROM memberships WHERE project_id = ?1)
     ORDER BY id DESC
     LIMIT ?3 OFFSET ?4";

const PROJECT_LOG_COUNT: &str = "\
    SELECT (SELECT count(*) FROM audit_events
             WHERE project_id = ?1 AND (?2 IS NULL OR event = ?2))
         + (SELECT count(*) FROM audit_events
             WHERE +project_id IS NULL AND event IN (?5, ?6) AND (?2 IS NULL OR event = ?2)
               AND account_id IN (SELECT account_id FROM memberships WHERE project_id = ?1))
        AS n";

/// A project-log query as PostgreSQL takes it: `$n` placeholders, and no unary `+` (SQLite's way of keeping
/// a column's index out of a plan; PostgreSQL plans the branches on their own indexes as they are).
fn for_postgres(sql: &str) -> String {
    sql.replace('?', "$").replace("+project_id", "project_id")
}

static PROJECT_LOG_ROWS_PG: LazyLock<String> = LazyLock::new(|| for_postgres(PROJECT_LOG_ROWS));
static PROJECT_LOG_COUNT_PG: LazyLock<String> = LazyLock::new(|| for_postgres(PROJECT_LOG_COUNT));

#[derive(QueryableByName)]
struct Count {
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    n: i64,
}

/// `sql` (one of the project-log queries above) with its binds.
fn project_log_query<'q>(
    sql: &str,
    project_id: &'q str,
    event: Option<&'q str>,
    offset: i64,
    limit: i64,
) -> BoxedSqlQuery<'q, MultiBackend, SqlQuery> {
    use diesel::sql_types::{BigInt, Nullable, Text};
    diesel::sql_query(sql)
        .into_boxed()
        .bind::<Text, _>(project_id)
        .bind::<Nullable<Text>, _>(event)
        .bind::<BigInt, _>(limit)
        .bind::<BigInt, _>(offset)
        .bind::<Text, _>(event::LOGIN_SUCCEEDED)
        .bind::<Text, _>(event::LOGIN_FAILED)
}

/// One page of a project's audit log, newest first, and how many events it holds in all: the project's own
/// events and the logins of its current members (never another project's events); with `event`, only those.
pub fn for_project(
    conn: &mut Conn,
    project_id: &str,
    event: Option<&str>,
    offset: i64,
    limit: i64,
) -> QueryResult<(Vec<AuditEvent>, i64)> {
    // One read transaction: the count and the page describe the same moment.
    conn.transaction(|conn| {
        let (rows_sql, count_sql) = match conn {
            Conn::Sqlite(_) => (PROJECT_LOG_ROWS, PROJECT_LOG_COUNT),
            Conn::Postgres(_) => (PROJECT_LOG_ROWS_PG.as_str(), PROJECT_LOG_COUNT_PG.as_str()),
        };
        let rows = project_log_query(rows_sql, project_id, event, offset, limit)
            .load::<AuditEvent>(conn)?;
        let total = project_log_query(count_sql, project_id, event, 0, 1)
            .get_result::<Count>(conn)?
            .n;
        Ok((rows, total))
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::db::{accounts, projects};
    use crate::domain::MemberRole;
    use diesel::connection::SimpleConnection;
    use diesel_migrations::MigrationHarness;

    fn database() -> Conn {
        let mut conn = Conn::establish(":memory:").unwrap();
        conn.batch_execute("PRAGMA foreign_keys = ON;").unwrap();
        conn.run_pending_migrations(crate::db::pool::SQLITE_MIGRATIONS)
            .unwrap();
        for (id, email) in [("a-member", "m@x"), ("a-outsider", "o@x")] {
            accounts::insert(
                &mut conn,
                &accounts::NewAccount {
                    id,
                    email,
                    display_name: email,
                    password_hash: "-",
                    created_at: Timestamp::from_ms(0),
                },
            )
            .unwrap();
        }
        let zero = Timestamp::from_ms(0);
        projects::insert(&mut conn, "p-a", "a", zero).unwrap();
        projects::insert(&mut conn, "p-b", "b", zero).unwrap();
        projects::upsert_member(&mut conn, "p-a", "a-member", MemberRole::Member, zero).unwrap();
        projects::upsert_member(&mut conn, "p-b", "a-outsider", MemberRole::Owner, zero).unwrap();
        conn
    }

    fn add(conn: &mut Conn, project: Option<&str>, account: &str, name: &str, at: i64) {
        record(
            conn,
            &NewAuditEvent {
                project_id: project,
                account_id: Some(account),
                event: name,
                actor: account,
                created_at: Timestamp::from_ms(at),
                ..NewAuditEvent::default()
            },
        )
        .unwrap();
    }

    fn names(rows: &[AuditEvent]) -> Vec<(&str, i64)> {
        rows.iter()
            .map(|e| (e.event.as_str(), e.created_at.as_ms()))
            .collect()
    }

    #[test]
    fn a_project_log_holds_its_events_and_its_members_logins_newest_first() {
        let mut conn = database();
        add(&mut conn, None, "a-member", event::LOGIN_FAILED, 1);
        add(&mut conn, Some("p-a"), "a-member", event::TOKEN_CREATED, 2);
        add(
            &mut conn,
            Some("p-b"),
            "a-outsider",
            event::TOKEN_CREATED,
            3,
        );
        add(&mut conn, None, "a-outsider", event::LOGIN_FAILED, 4);
        add(&mut conn, None, "a-member", event::LOGIN_SUCCEEDED, 5);
        add(
            &mut conn,
            Some("p-a"),
            "a-outsider",
            event::TOKEN_DELETED,
            6,
        );

        let (rows, total) = for_project(&mut conn, "p-a", None, 0, 50).unwrap();
        assert_eq!(
            names(&rows),
            [
                (event::TOKEN_DELETED, 6),
                (event::LOGIN_SUCCEEDED, 5),
                (event::TOKEN_CREATED, 2),
                (event::LOGIN_FAILED, 1),
            ]
        );
        assert_eq!(total, 4);

        let (rows, total) = for_project(&mut conn, "p-b", None, 0, 50).unwrap();
        assert_eq!(
            names(&rows),
            [(event::LOGIN_FAILED, 4), (event::TOKEN_CREATED, 3)]
        );
        assert_eq!(total, 2);
    }

    #[test]
    fn pages_and_filters_count_what_they_show() {
        let mut conn = database();
        for at in 0..7 {
            add(&mut conn, Some("p-a"), "a-member", event::TOKEN_CREATED, at);
            add(&mut conn, None, "a-member", event::LOGIN_FAILED, at);
        }
        let (rows, total) = for_project(&mut conn, "p-a", None, 10, 5).unwrap();
        assert_eq!(total, 14);
        assert_eq!(rows.len(), 4);
        assert_eq!(
            rows[0].created_at.as_ms(),
            1,
            "ids descend across both branches"
        );

        let (rows, total) = for_project(&mut conn, "p-a", Some(event::LOGIN_FAILED), 0, 5).unwrap();
        assert_eq!(total, 7);
        assert_eq!(rows.len(), 5);
        assert!(rows.iter().all(|e| e.event == event::LOGIN_FAILED));

        let (rows, total) =
            for_project(&mut conn, "p-a", Some(event::TOKEN_CREATED), 0, 50).unwrap();
        assert_eq!(total, 7);
        assert!(rows.iter().all(|e| e.event == event::TOKEN_CREATED));

        let (rows, total) =
            for_project(&mut conn, "p-a", Some(event::TOKEN_RENEWED), 0, 50).unwrap();
        assert_eq!((rows.len(), total), (0, 0));
    }

    #[test]
    fn a_former_member_s_logins_leave_the_log() {
        let mut conn = database();
        add(&mut conn, None, "a-member", event::LOGIN_SUCCEEDED, 1);
        assert_eq!(for_project(&mut conn, "p-a", None, 0, 50).unwrap().1, 1);
        conn.batch_execute("DELETE FROM memberships WHERE account_id = 'a-member'")
            .unwrap();
        assert_eq!(for_project(&mut conn, "p-a", None, 0, 50).unwrap().1, 0);
    }

    #[derive(QueryableByName)]
    struct PlanStep {
        #[diesel(sql_type = diesel::sql_types::Text)]
        detail: String,
    }

    fn plan(conn: &mut Conn, sql: &str, event: Option<&str>) -> String {
        project_log_query(&format!("EXPLAIN QUERY PLAN {sql}"), "p-a", event, 0, 50)
            .load::<PlanStep>(conn)
            .unwrap()
            .into_iter()
            .map(|s| s.detail)
            .collect::<Vec<_>>()
            .join("\n")
    }

    #[test]
    fn the_queries_walk_the_audit_indexes_not_the_table() {
        let mut conn = database();
        // Many events elsewhere and in the project, so the planner has something to choose between.
        conn.batch_execute(
            "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 5000)
             INSERT INTO audit_events (project_id, account_id, event, actor, created_at)
             SELECT CASE i % 3 WHEN 0 THEN NULL WHEN 1 THEN 'p-a' ELSE 'p-b' END,
                    CASE i % 2 WHEN 0 THEN 'a-member' ELSE 'a-outsider' END,
                    CASE i % 3 WHEN 0 THEN 'login.failed' ELSE 'token.created' END,
                    'x', i
               FROM n;",
        )
        .unwrap();
        for event in [None, Some(event::LOGIN_FAILED), Some(event::TOKEN_CREATED)] {
            for sql in [PROJECT_LOG_ROWS, PROJECT_LOG_COUNT] {
                let plan = plan(&mut conn, sql, event);
                assert!(
                    plan.contains("USING INDEX audit_by_project (project_id=?)")
                        || plan.contains("USING COVERING INDEX audit_by_project (project_id=?)"),
                    "{plan}"
                );
                assert!(
                    plan.contains("USING INDEX audit_by_account (account_id=?)"),
                    "{plan}"
                );
                assert!(!plan.contains("SCAN audit_events"), "{plan}");
            }
        }
    }
}

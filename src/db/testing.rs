//! Databases for tests, on the backend the test run is for: `MLP_TEST_BACKEND=postgres` gives each test its
//! own new database (`t_<uuid>`) on the server of `MLP_TEST_POSTGRES_URL` (`scripts/test` starts a
//! throwaway cluster and sets both); otherwise a SQLite file in the test's own directory. Used by the unit
//! tests here and the integration tests under `tests/`; nothing in the app calls it.

use crate::db::Location;
use diesel::connection::SimpleConnection;
use diesel::Connection;
use std::path::Path;

/// Where the PostgreSQL server of a test run is: a URL of its maintenance database.
pub const POSTGRES_URL_VAR: &str = "MLP_TEST_POSTGRES_URL";
/// `postgres` runs the tests on PostgreSQL; anything else (or nothing) on SQLite.
pub const BACKEND_VAR: &str = "MLP_TEST_BACKEND";

/// Whether this test run is for PostgreSQL.
pub fn on_postgres() -> bool {
    std::env::var(BACKEND_VAR).is_ok_and(|b| b == "postgres")
}

/// A new, empty database for one test: on PostgreSQL a new database on the test server, else a SQLite
/// file named `name` in `dir`.
pub fn location(dir: &Path, name: &str) -> Location {
    if on_postgres() {
        Location::Postgres(new_postgres_database())
    } else {
        Location::Sqlite(dir.join(name))
    }
}

/// The URL of the test server's maintenance database. Panics, saying what to do, when it is not set: a
/// PostgreSQL test never skips itself.
pub fn postgres_server_url() -> String {
    std::env::var(POSTGRES_URL_VAR).unwrap_or_else(|_| {
        panic!(
            "{POSTGRES_URL_VAR} is not set: run the tests with scripts/test, which starts a throwaway \
             PostgreSQL cluster, or point it at a server where the tests may create databases"
        )
    })
}

/// Creates a new database `t_<uuid>` on the test server and returns its URL.
pub fn new_postgres_database() -> String {
    let server = postgres_server_url();
    let name = format!("t_{}", uuid::Uuid::new_v4().simple());
    let mut conn = diesel::pg::PgConnection::establish(&server)
        .unwrap_or_else(|e| panic!("cannot reach the test PostgreSQL server: {e}"));
    conn.batch_execute(&format!("CREATE DATABASE {name}"))
        .expect("CREATE DATABASE");
    with_database(&server, &name)
}

/// `server` (a URL ending in a database name, perhaps with `?options`) with the database `name` instead.
pub fn with_database(server: &str, name: &str) -> String {
    let (base, query) = match server.split_once('?') {
        Some((base, query)) => (base, Some(query)),
        None => (server, None),
    };
    let authority_end = base
        .find("://")
        .map(|i| i + 3)
        .and_then(|start| base[start..].find('/').map(|slash| start + slash))
        .unwrap_or(base.len());
    let mut url = format!("{}/{name}", &base[..authority_end]);
    if let Some(query) = query {
        url.push('?');
        url.push_str(query);
    }
    url
}

/// Everything the database holds, as bytes to search for a value that must never be stored: a SQLite
/// file with its write-ahead log, or every row of every table of a PostgreSQL database as text.
pub fn stored_bytes(location: &Location) -> Vec<u8> {
    match location {
        Location::Sqlite(path) => {
            let mut bytes = std::fs::read(path).expect("the SQLite file");
            for suffix in ["-wal", "-shm"] {
                let mut more = path.clone().into_os_string();
                more.push(suffix);
                bytes.extend(std::fs::read(more).unwrap_or_default());
            }
            bytes
        }
        Location::Postgres(url) => {
            use diesel::RunQueryDsl;
            #[derive(diesel::QueryableByName)]
            struct Dump {
                #[diesel(sql_type = diesel::sql_types::Text)]
                text: String,
            }
            let mut conn = diesel::pg::PgConnection::establish(url).expect("the test database");
            let tables: Vec<Dump> = diesel::sql_query(
                "SELECT tablename AS text FROM pg_tables WHERE schemaname = 'public'",
            )
            .load(&mut conn)
            .expect("the table list");
            let mut bytes = Vec::new();
            for table in tables {
                let rows: Vec<Dump> =
                    diesel::sql_query(format!("SELECT x::text AS text FROM \"{}\" x", table.text))
                        .load(&mut conn)
                        .expect("a table's rows");
                for row in rows {
                    bytes.extend(row.text.into_bytes());
                    bytes.push(b'\n');
                }
            }
            bytes
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_database_name_of_a_server_url_is_replaced() {
        assert_eq!(
            with_database("postgres://u@127.0.0.1:5433/postgres", "t_1"),
            "postgres://u@127.0.0.1:5433/t_1"
        );
        assert_eq!(
            with_database("postgresql://u@h:1?sslmode=disable", "t_2"),
            "postgresql://u@h:1/t_2?sslmode=disable"
        );
    }
}

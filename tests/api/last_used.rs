//! Last use (SPEC §9): noted in memory by every authenticated call, written off the request path.

use crate::common::TestApp;
use crate::helpers::*;
use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use mlp_console::clock::Clock;
use mlp_console::db::schema::access_tokens as t;
use mlp_console::db::Location;
use mlp_console::domain::Timestamp;
use serde_json::Value;

fn stored(app: &TestApp, name: &str) -> (Option<i64>, String) {
    let mut conn = app.db().conn().unwrap();
    t::table
        .filter(t::name.eq(name))
        .select((t::last_used_at, t::last_used_ips))
        .first(&mut conn)
        .unwrap()
}

#[tokio::test]
async fn last_use_is_visible_after_a_flush_and_in_the_list() {
    let app = TestApp::spawn().await;
    let admin = app.token("ci-admin", "admin");
    let user = app.token("worker", "user");
    assert_eq!(stored(&app, "worker"), (None, String::new()));
    assert_eq!(get(&app, "/tokens/me", Some(&user)).await.status(), 200);
    app.clock.advance(chrono::Duration::minutes(5));
    assert_eq!(get(&app, "/tokens/me", Some(&user)).await.status(), 200);
    let used_at = app.clock.now().as_ms();
    // Not written by the request itself.
    assert_eq!(stored(&app, "worker").0, None);
    // The list already shows it from memory.
    let list: Value = get(&app, "/tokens", Some(&admin))
        .await
        .json()
        .await
        .unwrap();
    let row = list["tokens"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["name"] == "worker")
        .unwrap()
        .clone();
    assert_eq!(
        row["last_used_at"],
        Timestamp::from_ms(used_at).rfc3339().as_str()
    );

    let written = app.flush_last_used().await.unwrap();
    assert_eq!(written, 2, "worker and ci-admin");
    assert_eq!(
        stored(&app, "worker"),
        (Some(used_at), "127.0.0.1".to_owned())
    );
    assert_eq!(app.flush_last_used().await.unwrap(), 0, "nothing new");
}

#[tokio::test]
async fn stored_addresses_are_merged_most_recent_first_at_most_five() {
    let app = TestApp::spawn().await;
    let user = app.token("worker", "user");
    let id: String = {
        let mut conn = app.db().conn().unwrap();
        diesel::update(t::table.filter(t::name.eq("worker")))
            .set((
                t::last_used_ips.eq("10.0.0.1,127.0.0.1,10.0.0.2,10.0.0.3,10.0.0.4"),
                t::last_used_at.eq(1),
            ))
            .execute(&mut conn)
            .unwrap();
        t::table
            .filter(t::name.eq("worker"))
            .select(t::id)
            .first(&mut conn)
            .unwrap()
    };
    assert_eq!(get(&app, "/tokens/me", Some(&user)).await.status(), 200);
    app.flush_last_used().await.unwrap();
    assert_eq!(
        stored(&app, "worker").1,
        "127.0.0.1,10.0.0.1,10.0.0.2,10.0.0.3,10.0.0.4"
    );
    // Other addresses noted in memory come first, then what was stored.
    let other: std::net::IpAddr = "192.0.2.7".parse().unwrap();
    app.state.tokens.note_use(&id, app.clock.now(), other);
    app.flush_last_used().await.unwrap();
    assert_eq!(
        stored(&app, "worker").1,
        "192.0.2.7,127.0.0.1,10.0.0.1,10.0.0.2,10.0.0.3"
    );
}

#[tokio::test]
async fn no_request_waits_for_the_last_use_write() {
    let app = TestApp::spawn().await;
    let admin = app.token("ci-admin", "admin");
    let user = app.token("worker", "user");
    // Another connection holds the database's write lock (on PostgreSQL: the tokens table's, which still
    // lets reads through), so every write waits and then fails.
    let mut locker: Box<dyn SimpleConnection> = match &app.location {
        Location::Sqlite(path) => {
            let mut sqlite = SqliteConnection::establish(path.to_str().unwrap()).unwrap();
            sqlite.batch_execute("BEGIN IMMEDIATE").unwrap();
            Box::new(sqlite)
        }
        Location::Postgres(url) => {
            let mut pg = diesel::pg::PgConnection::establish(url).unwrap();
            pg.batch_execute("BEGIN; LOCK TABLE access_tokens IN EXCLUSIVE MODE")
                .unwrap();
            Box::new(pg)
        }
    };
    let quick = reqwest::Client::builder()
        .timeout(std::time::Duration::from_secs(5))
        .build()
        .unwrap();
    for _ in 0..3 {
        for (token, path) in [
            (&user, "/tokens/me"),
            (&admin, "/tokens/me"),
            (&admin, "/tokens"),
        ] {
            let res = quick
                .get(url(&app, path))
                .bearer_auth(token)
                .send()
                .await
                .expect("answered while the database refuses writes");
            assert_eq!(res.status(), 200);
        }
    }
    let failed = app.flush_last_used().await;
    assert!(
        failed.is_err(),
        "the write cannot happen while the lock is held"
    );
    // The uses were kept and land once the database takes writes again.
    locker.batch_execute("ROLLBACK").unwrap();
    assert_eq!(app.flush_last_used().await.unwrap(), 2);
    assert_eq!(stored(&app, "worker").1, "127.0.0.1");
    assert!(stored(&app, "ci-admin").0.is_some());
}

#[tokio::test]
async fn uses_still_in_memory_are_written_at_graceful_shutdown() {
    use mlp_console::config::Settings;
    use mlp_console::startup::Application;
    let dir = tempfile::tempdir().unwrap();
    let location = mlp_console::db::testing::location(dir.path(), "shutdown.db");
    let app = Application::build(Settings::for_tests_at(&location))
        .await
        .unwrap();
    let state = app.state();
    let handle = app.handle();
    let port = app.port();
    let server = tokio::spawn(app.run_until_stopped());
    let owner = crate::common::create_user(&state.db, "o@example.com");
    let project = mlp_console::cli::create_project(&state.db, "p", &owner.email).unwrap();
    let value =
        mlp_console::cli::create_token(&state.db, &project, "t", "user", None, None, None).unwrap();
    let res = reqwest::Client::new()
        .get(format!("http://127.0.0.1:{port}/api/v1/tokens/me"))
        .bearer_auth(&value)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    handle.stop(true).await;
    server.await.unwrap().unwrap();
    let mut conn = state.db.conn().unwrap();
    let (at, ips): (Option<i64>, String) = t::table
        .filter(t::name.eq("t"))
        .select((t::last_used_at, t::last_used_ips))
        .first(&mut conn)
        .unwrap();
    assert!(at.is_some());
    assert_eq!(ips, "127.0.0.1");
}

//! Two instances, A and B, behind an imaginary balancer: what one does, the other knows at once.

use crate::common::{self, TestApp, PASSWORD};
use crate::helpers::*;
use diesel::prelude::*;
use mlp_console::db::schema::{access_tokens as t, accounts, audit_events, projects};
use serde_json::{json, Value};
use std::sync::Arc;

async fn status(app: &TestApp, token: &str) -> u16 {
    get(app, "/tokens/me", Some(token)).await.status().as_u16()
}

#[tokio::test]
async fn a_token_deleted_renewed_or_leak_revoked_on_a_fails_on_b_at_once() {
    let (a, b) = TestApp::spawn_pair().await;
    let admin = a.token("admin", "admin");
    let deleted = a.token("deleted", "user");
    let renewed = a.token("renewed", "user");
    let leaked = a.token("leaked", "user");
    // B has just verified each of them: whatever it might keep, it has it now.
    for token in [&admin, &deleted, &renewed, &leaked] {
        assert_eq!(status(&b, token).await, 200);
    }

    let res = delete(&a, "/tokens/deleted", &admin).await;
    assert_eq!(res.status(), 204);
    assert_eq!(
        status(&b, &deleted).await,
        401,
        "deleted on A, refused by B"
    );

    let res = post(&a, "/tokens/renewed/renew", Some(&admin), &json!({})).await;
    assert_eq!(res.status(), 200);
    let body: Value = res.json().await.unwrap();
    let new = body["refresh_token"].as_str().unwrap();
    assert_eq!(status(&b, &renewed).await, 401, "the old value, on B");
    assert_eq!(status(&b, new).await, 200, "the new value, on B");

    let res = post(
        &a,
        "/tokens/revoke-leaked",
        None,
        &json!({ "token": leaked }),
    )
    .await;
    assert_eq!(res.status(), 202);
    assert_eq!(
        status(&b, &leaked).await,
        401,
        "leak-revoked on A, refused by B"
    );
    assert_eq!(status(&b, &admin).await, 200, "the others still work");
}

#[tokio::test]
async fn failed_logins_on_a_and_b_add_up_to_one_limit() {
    let (a, b) = TestApp::spawn_pair().await;
    let (ca, cb) = (common::client(), common::client());
    for (app, c) in [(&a, &ca), (&b, &cb), (&a, &ca), (&b, &cb), (&a, &ca)] {
        let res = app
            .post_login(c, &app.owner.email, "a wrong password")
            .await;
        assert_eq!(res.status(), 200, "refused with the form again");
    }
    // Five failures in all for this email and address: the sixth is refused on either instance, even
    // with the right password.
    for (app, c) in [(&b, &cb), (&a, &ca)] {
        let res = app.post_login(c, &app.owner.email, PASSWORD).await;
        assert_eq!(res.status(), 429);
    }
}

#[tokio::test]
async fn sixteen_simultaneous_wrong_passwords_over_two_instances_reach_argon2_at_most_five_times() {
    let (a, b) = TestApp::spawn_pair().await;
    let statuses = common::wrong_passwords_at_once(&[&a, &b], 16).await;
    let checked = statuses.iter().filter(|&&s| s == 200).count();
    assert_eq!(checked, 5, "{statuses:?}");
    assert_eq!(statuses.iter().filter(|&&s| s == 429).count(), 11);
    // Every password that reached argon2 for a known account wrote its audit event.
    let failed: i64 = audit_events::table
        .filter(audit_events::event.eq("login.failed"))
        .count()
        .get_result(&mut *a.db().conn().unwrap())
        .unwrap();
    assert_eq!(failed, 5);
}

#[tokio::test]
async fn log_out_on_a_and_the_copied_cookie_is_refused_on_b() {
    let (a, b) = TestApp::spawn_pair().await;
    // No cookie store: each request carries exactly the cookie given.
    let (c, cookie) = common::sign_in_by_hand(&a, &a.owner.email).await;
    let page = |app: &TestApp| {
        c.get(app.url(&app.tokens_path()))
            .header("cookie", cookie.clone())
            .send()
    };
    assert_eq!(page(&b).await.unwrap().status(), 200, "B reads A's cookie");
    let res = page(&a).await.unwrap();
    let csrf = common::extract_csrf(&res.text().await.unwrap()).unwrap();
    let res = c
        .post(a.url("/logout"))
        .header("cookie", &cookie)
        .form(&[("csrf_token", csrf.as_str())])
        .send()
        .await
        .unwrap();
    common::assert_is_redirect_to(&res, "/login");

    let res = page(&b).await.unwrap();
    common::assert_is_redirect_to(&res, "/login");
    let res = page(&a).await.unwrap();
    common::assert_is_redirect_to(&res, "/login");
}

#[tokio::test]
async fn uses_through_a_and_b_from_two_addresses_merge_after_both_flush() {
    let (a, b) = TestApp::spawn_pair().await;
    let token = a.token("worker", "user");
    // Two client addresses on the loopback network: 127.0.0.1 through A, 127.0.0.2 through B.
    let from = |ip: [u8; 4]| {
        reqwest::Client::builder()
            .local_address(std::net::IpAddr::from(ip))
            .build()
            .unwrap()
    };
    let res = from([127, 0, 0, 1])
        .get(url(&a, "/tokens/me"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    b.clock.advance(chrono::Duration::seconds(30));
    let res = from([127, 0, 0, 2])
        .get(url(&b, "/tokens/me"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    // Both instances write the same token at the same moment: neither overwrites the other.
    let (written_a, written_b) = tokio::join!(a.flush_last_used(), b.flush_last_used());
    assert_eq!((written_a.unwrap(), written_b.unwrap()), (1, 1));
    let (at, ips): (Option<i64>, String) = t::table
        .filter(t::name.eq("worker"))
        .select((t::last_used_at, t::last_used_ips))
        .first(&mut *a.db().conn().unwrap())
        .unwrap();
    let mut ips: Vec<&str> = ips.split(',').collect();
    ips.sort_unstable();
    assert_eq!(ips, ["127.0.0.1", "127.0.0.2"]);
    use mlp_console::clock::Clock;
    assert_eq!(at, Some(b.clock.now().as_ms()), "the later use's time");
}

#[tokio::test]
async fn twenty_exchanges_of_one_registration_token_over_a_and_b_make_one_token() {
    let (a, b) = TestApp::spawn_pair().await;
    let admin = a.token("admin", "admin");
    let registration = register(&a, &admin, "exchanged-once", None, "USER").await;
    let attempts = (0..20).map(|i| {
        let app = if i % 2 == 0 { &a } else { &b };
        exchange(app, &registration)
    });
    let statuses: Vec<u16> = futures_util::future::join_all(attempts)
        .await
        .into_iter()
        .map(|r| r.status().as_u16())
        .collect();
    assert_eq!(
        statuses.iter().filter(|&&s| s == 201).count(),
        1,
        "{statuses:?}"
    );
    assert_eq!(
        statuses.iter().filter(|&&s| s == 403).count(),
        19,
        "{statuses:?}"
    );
    let made: i64 = t::table
        .filter(t::name.eq("exchanged-once"))
        .count()
        .get_result(&mut *a.db().conn().unwrap())
        .unwrap();
    assert_eq!(made, 1);
}

#[tokio::test]
async fn a_thousand_creations_from_32_clients_over_two_instances_all_succeed() {
    let (a, b) = TestApp::spawn_pair().await;
    let admin = Arc::new(a.token("admin", "admin"));
    let (a, b) = (Arc::new(a), Arc::new(b));
    let clients: Vec<_> = (0..32)
        .map(|client| {
            let (a, b, admin) = (a.clone(), b.clone(), admin.clone());
            tokio::spawn(async move {
                let mut failures = Vec::new();
                let mut i = client;
                while i < 1000 {
                    let app = if i % 2 == 0 { &a } else { &b };
                    let res =
                        create_register_token(app, &admin, &format!("t-{i}"), "1h", None, "USER")
                            .await;
                    if res.status() != 201 {
                        failures.push(format!("register {i}: {}", res.text().await.unwrap()));
                    } else {
                        let body: Value = res.json().await.unwrap();
                        let value = body["register_token"].as_str().unwrap().to_owned();
                        // Exchanged through the other instance.
                        let other = if i % 2 == 0 { &b } else { &a };
                        let res = exchange(other, &value).await;
                        if res.status() != 201 {
                            failures.push(format!("exchange {i}: {}", res.text().await.unwrap()));
                        }
                    }
                    i += 32;
                }
                failures
            })
        })
        .collect();
    let mut failures = Vec::new();
    for client in clients {
        failures.extend(client.await.unwrap());
    }
    assert!(
        failures.is_empty(),
        "{} failed: {:?}",
        failures.len(),
        &failures[..failures.len().min(5)]
    );
    let made: i64 = t::table
        .filter(t::name.like("t-%"))
        .filter(t::deleted_at.is_null())
        .count()
        .get_result(&mut *a.db().conn().unwrap())
        .unwrap();
    assert_eq!(made, 1000);
    let counted = a.state.tokens.count_active(&a.project_id).unwrap();
    assert_eq!(
        counted, 1001,
        "the trigger-kept counter agrees (the admin token too)"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn instances_starting_together_on_an_empty_database_migrate_and_bootstrap_once() {
    let location =
        mlp_console::db::Location::Postgres(mlp_console::db::testing::new_postgres_database());
    let barrier = Arc::new(tokio::sync::Barrier::new(3));
    let starts: Vec<_> = (0..3)
        .map(|_| {
            let (location, barrier) = (location.clone(), barrier.clone());
            tokio::spawn(async move {
                barrier.wait().await;
                let settings = mlp_console::config::Settings::for_tests_at(&location);
                let app = mlp_console::startup::Application::build(settings).await?;
                let state = app.state();
                tokio::spawn(app.run_until_stopped());
                anyhow::Ok(state)
            })
        })
        .collect();
    let mut states = Vec::new();
    for start in starts {
        states.push(start.await.unwrap().expect("every instance starts"));
    }
    let mut conn = states[0].db.conn().unwrap();
    let accounts: Vec<String> = accounts::table
        .select(accounts::email)
        .load(&mut conn)
        .unwrap();
    assert_eq!(accounts, ["admin@localhost"], "one bootstrap account");
    let projects: i64 = projects::table.count().get_result(&mut conn).unwrap();
    assert_eq!(projects, 1);
    #[derive(QueryableByName)]
    struct Migrations {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        n: i64,
    }
    let migrations: Migrations =
        diesel::sql_query("SELECT count(*) AS n FROM __diesel_schema_migrations")
            .get_result(&mut conn)
            .unwrap();
    let embedded = std::fs::read_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/migrations/postgres"))
        .unwrap()
        .count();
    assert_eq!(
        migrations.n,
        i64::try_from(embedded).unwrap(),
        "each migration ran once"
    );
}

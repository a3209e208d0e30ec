//! The audit log page: who may see it, which events it shows, order, pages, the event filter, no secrets.

use crate::common::{self, TestApp};
use crate::support::{count, one, sel, text};
use diesel::prelude::*;
use mlp_console::clock::Clock;
use mlp_console::db::audit::{self, event, NewAuditEvent};
use mlp_console::db::schema::audit_events;
use mlp_console::domain::Timestamp;
use reqwest::{Client, Response};
use scraper::{ElementRef, Html};

// ---------- helpers ----------

/// A row of the audit table, cell by cell.
#[derive(Debug)]
struct Row {
    datetime: String,
    time: String,
    event: String,
    actor: String,
    target: String,
    client_ip: String,
    detail: String,
}

fn rows(doc: &Html) -> Vec<Row> {
    doc.select(&sel("#audit-rows > tr"))
        .map(|tr| {
            let cells: Vec<String> = tr.select(&sel("td")).map(text).collect();
            assert_eq!(cells.len(), 6, "six cells a row");
            let time = tr.select(&sel("td time")).next().expect("a <time>");
            Row {
                datetime: time.value().attr("datetime").expect("datetime=").to_owned(),
                time: cells[0].clone(),
                event: cells[1].clone(),
                actor: cells[2].clone(),
                target: cells[3].clone(),
                client_ip: cells[4].clone(),
                detail: cells[5].clone(),
            }
        })
        .collect()
}

/// Empties the audit log (setting the app up recorded `project.created`), for tests that count rows.
fn clear_log(app: &TestApp) {
    let mut conn = app.db().conn().unwrap();
    diesel::delete(audit_events::table)
        .execute(&mut conn)
        .unwrap();
}

fn audit_path(project_id: &str) -> String {
    format!("/projects/{project_id}/audit")
}

async fn get(c: &Client, app: &TestApp, path: &str) -> Response {
    c.get(app.url(path)).send().await.unwrap()
}

async fn get_html(c: &Client, app: &TestApp, path: &str) -> (String, Html) {
    let res = get(c, app, path).await;
    assert_eq!(res.status(), 200, "GET {path}");
    let body = res.text().await.unwrap();
    let doc = Html::parse_document(&body);
    (body, doc)
}

/// Creates a token through the console's plain form; returns the value the response showed once.
async fn create_token(c: &Client, app: &TestApp, project_id: &str, name: &str) -> String {
    let csrf = app.csrf(c, "/projects").await;
    let res = c
        .post(app.url(&format!("/projects/{project_id}/tokens")))
        .form(&[
            ("name", name),
            ("role", "user"),
            ("expiration", "never"),
            ("csrf_token", &csrf),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200, "create {name}");
    let doc = Html::parse_document(&res.text().await.unwrap());
    one(&doc, "input#token-value")
        .value()
        .attr("value")
        .expect("a value")
        .to_owned()
}

fn targets(rows: &[Row]) -> Vec<&str> {
    rows.iter().map(|r| r.target.as_str()).collect()
}

// ---------- who may see it ----------

#[tokio::test]
async fn owners_and_admins_see_the_audit_log() {
    let app = TestApp::spawn().await;
    let admin = app.member("admin@example.com", "admin");
    for email in [&app.owner.email, &admin.email] {
        let c = app.logged_in(email).await;
        let (_, doc) = get_html(&c, &app, &audit_path(&app.project_id)).await;
        assert_eq!(
            text(one(&doc, "title")),
            "Audit log · alpha · ML Platform",
            "{email}"
        );
        assert_eq!(text(one(&doc, "h1")), "Audit log");
        let crumbs: Vec<String> = doc.select(&sel("nav.breadcrumb li")).map(text).collect();
        assert_eq!(crumbs, ["ML Platform", "Tokens", "Audit log"]);
        let tokens = format!("/projects/{}/tokens", app.project_id);
        assert_eq!(
            one(&doc, "nav.breadcrumb a").value().attr("href"),
            Some(tokens.as_str())
        );
        assert_eq!(
            one(&doc, "a#back-to-tokens").value().attr("href"),
            Some(tokens.as_str())
        );
        assert_eq!(
            text(one(&doc, "nav.breadcrumb [aria-current=page]")),
            "Audit log"
        );
        let headers: Vec<String> = doc.select(&sel("table.audit th")).map(text).collect();
        assert_eq!(
            headers,
            [
                "Time",
                "Event",
                "Actor",
                "Target token",
                "Client IP",
                "Detail"
            ]
        );
        // Its own login is the newest event.
        let rows = rows(&doc);
        assert_eq!(rows[0].event, event::LOGIN_SUCCEEDED);
        assert_eq!(&rows[0].actor, email);
        assert_eq!(rows[0].client_ip, "127.0.0.1");
    }
}

#[tokio::test]
async fn members_viewers_and_outsiders_get_404() {
    let app = TestApp::spawn().await;
    let member = app.member("member@example.com", "member");
    let viewer = app.member("viewer@example.com", "viewer");
    let (beta_id, beta_owner) = app.other_project("beta", "beta-owner@example.com");
    let path = audit_path(&app.project_id);
    for email in [&member.email, &viewer.email, &beta_owner.email] {
        let c = app.logged_in(email).await;
        let res = get(&c, &app, &path).await;
        assert_eq!(res.status(), 404, "{email}");
        let body = res.text().await.unwrap();
        assert!(!body.contains("Audit log"), "{email}: {body}");
    }
    // The outsider does see its own project's log; an unknown project is 404 for everyone.
    let c = app.logged_in(&beta_owner.email).await;
    assert_eq!(get(&c, &app, &audit_path(&beta_id)).await.status(), 200);
    let c = app.logged_in(&app.owner.email).await;
    assert_eq!(get(&c, &app, &audit_path(&beta_id)).await.status(), 404);
    assert_eq!(
        get(&c, &app, &audit_path("no-such-project")).await.status(),
        404
    );
    // Logged out: to the login page.
    let res = get(&common::client(), &app, &path).await;
    common::assert_is_redirect_to(&res, "/login");
}

// ---------- what it shows ----------

#[tokio::test]
async fn events_of_another_project_never_appear() {
    let app = TestApp::spawn().await;
    let (beta_id, beta_owner) = app.other_project("beta", "beta-owner@example.com");
    clear_log(&app);
    let alpha = app.logged_in(&app.owner.email).await;
    let beta = app.logged_in(&beta_owner.email).await;
    create_token(&alpha, &app, &app.project_id, "alpha-token").await;
    create_token(&beta, &app, &beta_id, "beta-token").await;
    mlp_console::cli::create_token(&app.db(), &beta_id, "beta-cli", "user", None, None, None)
        .unwrap();

    let (body, doc) = get_html(&alpha, &app, &audit_path(&app.project_id)).await;
    let alpha_rows = rows(&doc);
    assert_eq!(
        alpha_rows
            .iter()
            .map(|r| (r.event.as_str(), r.actor.as_str(), r.target.as_str()))
            .collect::<Vec<_>>(),
        [
            (
                event::TOKEN_CREATED,
                app.owner.email.as_str(),
                "alpha-token"
            ),
            (event::LOGIN_SUCCEEDED, app.owner.email.as_str(), "—"),
        ]
    );
    assert_eq!(alpha_rows[0].detail, "Role: User");
    assert!(!body.contains("beta-"), "no token of beta");
    assert!(
        !body.contains(&beta_owner.email),
        "no login of beta's owner"
    );

    let (body, doc) = get_html(&beta, &app, &audit_path(&beta_id)).await;
    let beta_rows = rows(&doc);
    assert_eq!(
        targets(&beta_rows),
        ["beta-cli", "beta-token", "—"],
        "beta sees its own events only"
    );
    // The command line's token is the first owner's, made by the operator (SPEC §13: actor `cli`).
    let actors: Vec<&str> = beta_rows.iter().map(|r| r.actor.as_str()).collect();
    assert_eq!(
        actors,
        ["cli", beta_owner.email.as_str(), beta_owner.email.as_str()]
    );
    assert!(!body.contains("alpha-token"));
}

#[tokio::test]
async fn failed_logins_of_members_appear_and_of_outsiders_do_not() {
    let app = TestApp::spawn().await;
    let member = app.member("member@example.com", "member");
    let (_, outsider) = app.other_project("beta", "outsider@example.com");
    let res = app
        .post_login(&common::client(), &member.email, "wrong password")
        .await;
    assert_eq!(res.status(), 200, "the form again");
    app.post_login(&common::client(), &outsider.email, "wrong password")
        .await;
    app.post_login(&common::client(), "nobody@example.com", "wrong password")
        .await;

    let c = app.logged_in(&app.owner.email).await;
    let (body, doc) = get_html(&c, &app, &audit_path(&app.project_id)).await;
    let all = rows(&doc);
    let failed: Vec<&Row> = all
        .iter()
        .filter(|r| r.event == event::LOGIN_FAILED)
        .collect();
    assert_eq!(failed.len(), 1, "{failed:?}");
    assert_eq!(failed[0].actor, member.email);
    assert_eq!(failed[0].client_ip, "127.0.0.1");
    assert!(!body.contains(&outsider.email));
    assert!(!body.contains("nobody@example.com"));
    assert!(!body.contains("wrong password"));

    // Only current members: once removed, the member's logins leave the log.
    let mut conn = app.db().conn().unwrap();
    diesel::delete(
        mlp_console::db::schema::memberships::table
            .filter(mlp_console::db::schema::memberships::account_id.eq(&member.account_id)),
    )
    .execute(&mut conn)
    .unwrap();
    let (_, doc) = get_html(&c, &app, &audit_path(&app.project_id)).await;
    let logins: Vec<Row> = rows(&doc)
        .into_iter()
        .filter(|r| r.event.starts_with("login."))
        .collect();
    assert!(logins.iter().all(|r| r.actor != member.email), "{logins:?}");
}

/// Records `n` token events of the app's project, one second apart, ending a minute before now.
fn record_events(app: &TestApp, n: i64) -> Vec<i64> {
    let mut conn = app.db().conn().unwrap();
    let now = app.clock.now().as_ms();
    (0..n)
        .map(|i| {
            let at = now - 60_000 - (n - i) * 1000;
            audit::record(
                &mut conn,
                &NewAuditEvent {
                    project_id: Some(&app.project_id),
                    account_id: Some(&app.owner.account_id),
                    event: if i % 2 == 0 {
                        event::TOKEN_CREATED
                    } else {
                        event::TOKEN_DELETED
                    },
                    actor: &app.owner.email,
                    target: Some(&format!("t{i}")),
                    client_ip: Some("192.0.2.7"),
                    detail: Some(if i % 2 == 0 { "ADMIN" } else { "api" }),
                    created_at: Timestamp::from_ms(at),
                },
            )
            .unwrap();
            at
        })
        .collect()
}

#[tokio::test]
async fn sixty_events_make_two_pages_newest_first() {
    let app = TestApp::spawn().await;
    clear_log(&app);
    // 59 recorded events and the owner's login: 60.
    let times = record_events(&app, 59);
    let c = app.logged_in(&app.owner.email).await;
    let path = audit_path(&app.project_id);

    let (_, doc) = get_html(&c, &app, &path).await;
    let first = rows(&doc);
    assert_eq!(first.len(), 50);
    assert_eq!(first[0].event, event::LOGIN_SUCCEEDED);
    assert_eq!(first[0].datetime, app.clock.now().rfc3339());
    let want: Vec<String> = (10..59).rev().map(|i| format!("t{i}")).collect();
    assert_eq!(targets(&first[1..]), want);
    // Exact UTC times, to the second.
    assert_eq!(first[1].datetime, Timestamp::from_ms(times[58]).rfc3339());
    assert_eq!(
        first[1].time,
        mlp_console::web::format::exact_seconds(Timestamp::from_ms(times[58])),
        "the date as everywhere, then the time to the second"
    );
    assert!(
        regex::Regex::new(r"^[A-Z][a-z]{2} \d{1,2}, \d{4}, \d{2}:\d{2}:\d{2} UTC$")
            .unwrap()
            .is_match(&first[1].time),
        "{}",
        first[1].time
    );
    assert_eq!(first[1].detail, "Role: Administrator");
    assert_eq!(first[2].detail, "via API");
    assert_eq!(first[1].client_ip, "192.0.2.7");
    let next = one(&doc, "nav.pagination a[rel=next]");
    assert_eq!(text(next), "Next →");
    assert_eq!(
        next.value().attr("href"),
        Some(format!("{path}?page=2").as_str())
    );
    assert_eq!(count(&doc, "nav.pagination a[rel=prev]"), 0);

    let (_, doc) = get_html(&c, &app, &format!("{path}?page=2")).await;
    let second = rows(&doc);
    let want: Vec<String> = (0..10).rev().map(|i| format!("t{i}")).collect();
    assert_eq!(targets(&second), want);
    assert_eq!(
        one(&doc, "nav.pagination a[rel=prev]").value().attr("href"),
        Some(format!("{path}?page=1").as_str())
    );
    assert_eq!(count(&doc, "nav.pagination a[rel=next]"), 0);

    // Past the end: the last page; nonsense: the first.
    let (_, doc) = get_html(&c, &app, &format!("{path}?page=9")).await;
    assert_eq!(rows(&doc).len(), 10);
    let (_, doc) = get_html(&c, &app, &format!("{path}?page=abc")).await;
    assert_eq!(rows(&doc).len(), 50);
}

#[tokio::test]
async fn the_filter_shows_one_event_type_and_ignores_unknown_ones() {
    let app = TestApp::spawn().await;
    clear_log(&app);
    record_events(&app, 6);
    let c = app.logged_in(&app.owner.email).await;
    let path = audit_path(&app.project_id);

    // The form: a labelled select with every event name, submitted by GET with a visible button.
    let (_, doc) = get_html(&c, &app, &path).await;
    let form = one(&doc, "form.audit-filter");
    assert_eq!(form.value().attr("method"), Some("get"));
    assert_eq!(form.value().attr("action"), Some(path.as_str()));
    assert_eq!(text(one(&doc, "label[for=audit-event]")), "Event");
    let options: Vec<(String, String)> = doc
        .select(&sel("select#audit-event[name=event] option"))
        .map(|o| (o.value().attr("value").unwrap().to_owned(), text(o)))
        .collect();
    let mut want = vec![(String::new(), "All events".to_owned())];
    want.extend(event::ALL.iter().map(|e| (e.to_string(), e.to_string())));
    assert_eq!(options, want);
    assert_eq!(
        text(one(&doc, "#audit-event option[selected]")),
        "All events"
    );
    assert_eq!(
        text(one(&doc, "form.audit-filter button[type=submit]")),
        "Filter"
    );
    assert_eq!(rows(&doc).len(), 7);

    let (_, doc) = get_html(&c, &app, &format!("{path}?event=token.deleted")).await;
    let shown = rows(&doc);
    assert_eq!(targets(&shown), ["t5", "t3", "t1"]);
    assert!(shown.iter().all(|r| r.event == event::TOKEN_DELETED));
    assert_eq!(
        text(one(&doc, "#audit-event option[selected]")),
        "token.deleted"
    );
    assert_eq!(count(&doc, "#unknown-event"), 0);

    let (_, doc) = get_html(&c, &app, &format!("{path}?event=login.succeeded")).await;
    let shown = rows(&doc);
    assert_eq!(shown.len(), 1);
    assert_eq!(shown[0].actor, app.owner.email);

    // No such event yet: its own empty state, with a way back.
    let (body, doc) = get_html(&c, &app, &format!("{path}?event=token.renewed")).await;
    assert!(rows(&doc).is_empty());
    assert!(body.contains("No events of this type yet."));

    // An unknown name counts as "All events", and says so.
    let (_, doc) = get_html(&c, &app, &format!("{path}?event=token.exploded")).await;
    assert_eq!(rows(&doc).len(), 7);
    assert_eq!(
        text(one(&doc, "#audit-event option[selected]")),
        "All events"
    );
    assert!(text(one(&doc, "#unknown-event")).contains("Showing all events"));
    // "All events" submits an empty value: no notice.
    let (_, doc) = get_html(&c, &app, &format!("{path}?event=")).await;
    assert_eq!(rows(&doc).len(), 7);
    assert_eq!(count(&doc, "#unknown-event"), 0);
}

#[tokio::test]
async fn an_empty_log_says_so() {
    let app = TestApp::spawn().await;
    let c = app.logged_in(&app.owner.email).await;
    // Forget even the login that just happened.
    let mut conn = app.db().conn().unwrap();
    diesel::delete(audit_events::table)
        .execute(&mut conn)
        .unwrap();
    let (_, doc) = get_html(&c, &app, &audit_path(&app.project_id)).await;
    assert_eq!(text(one(&doc, "#audit-empty h2")), "No events yet.");
    assert_eq!(count(&doc, "table"), 0);
    assert_eq!(count(&doc, "nav.pagination"), 0);
}

#[tokio::test]
async fn the_page_never_shows_a_token_value() {
    let app = TestApp::spawn().await;
    let c = app.logged_in(&app.owner.email).await;
    let value = create_token(&c, &app, &app.project_id, "secretive").await;
    let cli_value = app.token("from-cli", "admin");
    let (body, doc) = get_html(&c, &app, &audit_path(&app.project_id)).await;
    assert_eq!(targets(&rows(&doc))[..2], ["from-cli", "secretive"]);
    for value in [&value, &cli_value] {
        assert_eq!(value.len(), 55);
        assert!(!body.contains(value.as_str()));
        // Not even the random part, or the stored hint's characters after the prefix.
        assert!(!body.contains(&value[6..20]));
        assert!(!body.contains(&value[..10]));
    }
    // No column of the table could hold one: names, emails, addresses, roles and ways of deletion only.
    let mut conn = app.db().conn().unwrap();
    let stored: Vec<audit::AuditEvent> = audit_events::table
        .select(audit::AuditEvent::as_select())
        .load(&mut conn)
        .unwrap();
    assert!(stored.len() >= 3, "the login and both creations");
    for row in &stored {
        let all_columns = format!("{row:?}");
        assert!(!all_columns.contains("mlpat_"), "{all_columns}");
    }
    // A plain page: security headers, no htmx needed, no inline code.
    let res = get(&c, &app, &audit_path(&app.project_id)).await;
    let csp = res.headers()["content-security-policy"].to_str().unwrap();
    assert!(csp.contains("script-src 'self'"));
    let doc = Html::parse_document(&res.text().await.unwrap());
    assert!(doc
        .select(&sel("script"))
        .all(|s| s.value().attr("src").is_some()));
    assert_eq!(count(&doc, "[style], style"), 0);
}

#[tokio::test]
async fn the_tokens_page_links_to_the_audit_log_for_owners_and_admins_only() {
    let app = TestApp::spawn().await;
    let admin = app.member("admin@example.com", "admin");
    let member = app.member("member@example.com", "member");
    let viewer = app.member("viewer@example.com", "viewer");
    let tokens = app.tokens_path();
    let audit = audit_path(&app.project_id);
    for (email, shown) in [
        (&app.owner.email, true),
        (&admin.email, true),
        (&member.email, false),
        (&viewer.email, false),
    ] {
        let c = app.logged_in(email).await;
        let (_, doc) = get_html(&c, &app, &tokens).await;
        let links: Vec<ElementRef> = doc
            .select(&sel(".page-head .actions a"))
            .filter(|a| text(*a) == "Audit log")
            .collect();
        if shown {
            assert_eq!(links.len(), 1, "{email}");
            assert_eq!(links[0].value().attr("href"), Some(audit.as_str()));
        } else {
            assert!(links.is_empty(), "{email}");
            assert_eq!(count(&doc, "a[href$='/audit']"), 0, "{email}");
        }
    }
}

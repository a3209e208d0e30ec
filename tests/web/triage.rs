//! Triage on the Tokens page: Show deleted, last-used details, Find a token by value (SPEC §9, issue 6).

use crate::common::TestApp;
use crate::support::{count, one, one_in, sel, text};
use diesel::prelude::*;
use mlp_console::clock::Clock;
use mlp_console::db::schema::access_tokens as t;
use mlp_console::domain::Timestamp;
use mlp_console::domain::{DeletedVia, MemberRole};
use mlp_console::service::{Actor, TokenKey};
use mlp_console::web::format;
use reqwest::{Client, Response};
use scraper::{ElementRef, Html};
use serde_json::json;

const NOT_A_TOKEN: &str = "This is not an active token of this project.";

// ---------- helpers ----------

async fn page(c: &Client, app: &TestApp, path: &str) -> Html {
    let res = c.get(app.url(path)).send().await.unwrap();
    assert_eq!(res.status(), 200, "GET {path}");
    Html::parse_document(&res.text().await.unwrap())
}

fn token_id(app: &TestApp, name: &str) -> String {
    let mut conn = app.db().conn().unwrap();
    t::table
        .filter(t::name.eq(name))
        .filter(t::deleted_at.is_null())
        .select(t::id)
        .first(&mut conn)
        .unwrap()
}

fn api(app: &TestApp, path: &str) -> String {
    app.url(&format!("/api/v1{path}"))
}

/// Reports leaked values to the public endpoint.
async fn report(app: &TestApp, body: serde_json::Value) -> Response {
    Client::new()
        .post(api(app, "/tokens/revoke-leaked"))
        .json(&body)
        .send()
        .await
        .unwrap()
}

/// Posts the find form as a browser does without JavaScript, or as htmx does.
async fn find(c: &Client, app: &TestApp, project_id: &str, value: &str, htmx: bool) -> Response {
    let csrf = app.csrf(c, "/projects").await;
    let mut req = c
        .post(app.url(&format!("/projects/{project_id}/tokens/find")))
        .form(&[("csrf_token", csrf.as_str()), ("token", value)]);
    if htmx {
        req = req
            .header("HX-Request", "true")
            .header("X-CSRF-Token", csrf.as_str());
    }
    req.send().await.unwrap()
}

/// A token of another project, and that project's id.
fn foreign_token(app: &TestApp) -> (String, String) {
    let (beta, _) = app.other_project("beta", "beta-owner@example.com");
    let value =
        mlp_console::cli::create_token(&app.db(), &beta, "beta-ci", "user", None, None, None)
            .unwrap();
    (beta, value)
}

#[derive(Debug, PartialEq)]
struct DeletedRow {
    name: String,
    role: String,
    deleted: String,
    deleted_by: String,
    how: String,
}

fn deleted_rows(doc: &Html) -> Vec<DeletedRow> {
    doc.select(&sel("#deleted-rows > tr"))
        .map(|tr| {
            assert_eq!(tr.value().attr("class"), Some("deleted"), "greyed");
            assert_eq!(
                tr.select(&sel("a, button, form, input")).count(),
                0,
                "a deleted token has no actions"
            );
            let cells: Vec<ElementRef> = tr.select(&sel("td")).collect();
            assert_eq!(cells.len(), 6);
            DeletedRow {
                name: text(one_in(cells[0], ".deleted-name")),
                role: text(cells[1]),
                deleted: text(cells[3]),
                deleted_by: text(cells[4]),
                how: text(cells[5]),
            }
        })
        .collect()
}

fn switch_state(doc: &Html) -> (String, String) {
    let switch = one(doc, "form.show-deleted button#show-deleted");
    assert_eq!(text(switch), "Show deleted");
    assert_eq!(switch.value().attr("name"), Some("deleted"));
    (
        switch.value().attr("aria-pressed").unwrap().to_owned(),
        switch.value().attr("value").unwrap().to_owned(),
    )
}

fn ms_of(app: &TestApp) -> i64 {
    app.clock.now().as_ms()
}

// ---------- Show deleted ----------

#[tokio::test]
async fn show_deleted_lists_who_when_and_how_for_every_member_without_actions() {
    let app = TestApp::spawn().await;
    let admin = app.token("ci-admin", "admin");
    app.token("by-console", "user");
    app.token("by-api", "user");
    let leaked = app.token("by-leak", "admin");
    app.token("kept", "user");
    let owner = app.logged_in(&app.owner.email).await;

    let console_at = ms_of(&app);
    let csrf = app.csrf(&owner, &app.tokens_path()).await;
    let res = owner
        .post(app.url(&format!(
            "{}/{}/delete",
            app.tokens_path(),
            token_id(&app, "by-console")
        )))
        .form(&[("csrf_token", csrf.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303);

    app.clock.advance(chrono::Duration::minutes(3));
    let api_at = ms_of(&app);
    let res = Client::new()
        .delete(api(&app, "/tokens/by-api"))
        .bearer_auth(&admin)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 204);

    app.clock.advance(chrono::Duration::minutes(3));
    let leak_at = ms_of(&app);
    assert_eq!(report(&app, json!({ "token": leaked })).await.status(), 202);

    app.member("viewer@example.com", "viewer");
    let viewer = app.logged_in("viewer@example.com").await;
    let doc = page(&viewer, &app, &format!("{}?deleted=1", app.tokens_path())).await;
    assert_eq!(
        text(one(&doc, "title")),
        "Deleted tokens · alpha · ML Platform"
    );
    assert_eq!(switch_state(&doc), ("true".into(), "0".into()));
    let headers: Vec<String> = doc
        .select(&sel(".deleted-tokens thead th"))
        .map(text)
        .collect();
    assert_eq!(
        headers,
        ["Name", "Role", "Created", "Deleted", "Deleted by", "How"]
    );
    assert_eq!(
        deleted_rows(&doc),
        [
            DeletedRow {
                name: "by-leak".into(),
                role: "Administrator".into(),
                deleted: format::exact(Timestamp::from_ms(leak_at)),
                deleted_by: "leak report".into(),
                how: "leak report".into(),
            },
            DeletedRow {
                name: "by-api".into(),
                role: "User".into(),
                deleted: format::exact(Timestamp::from_ms(api_at)),
                deleted_by: "ci-admin".into(),
                how: "API".into(),
            },
            DeletedRow {
                name: "by-console".into(),
                role: "User".into(),
                deleted: format::exact(Timestamp::from_ms(console_at)),
                deleted_by: app.owner.email.clone(),
                how: "console".into(),
            },
        ],
        "most recently deleted first"
    );
    assert_eq!(
        count(&doc, "#token-rows"),
        0,
        "the active list is not shown"
    );
    assert_eq!(
        count(&doc, "#find-token-value"),
        0,
        "a viewer does not get the find form"
    );

    // Switched off: the active tokens, without the deleted ones.
    let doc = page(&viewer, &app, &app.tokens_path()).await;
    assert_eq!(switch_state(&doc), ("false".into(), "1".into()));
    let active: Vec<String> = doc
        .select(&sel("#token-rows > tr td.name .token-name"))
        .map(text)
        .collect();
    assert_eq!(active, ["kept", "ci-admin"]);
    assert_eq!(count(&doc, "#deleted-rows"), 0);
}

#[tokio::test]
async fn deleted_tokens_are_paginated_fifty_a_page_with_an_empty_state() {
    let app = TestApp::spawn().await;
    let owner = app.logged_in(&app.owner.email).await;
    let deleted_path = format!("{}?deleted=1", app.tokens_path());
    let doc = page(&owner, &app, &deleted_path).await;
    assert_eq!(text(one(&doc, "#deleted-empty h2")), "No deleted tokens");
    assert_eq!(count(&doc, "#deleted-rows"), 0);

    let owner_actor = Actor::member(
        &app.owner.account_id,
        &app.owner.email,
        MemberRole::Owner,
        None,
    );
    for i in 0..51 {
        app.token(&format!("gone-{i:02}"), "user");
        let key = TokenKey::Name(format!("gone-{i:02}"));
        app.state
            .tokens
            .delete(&app.project_id, &key, &owner_actor, DeletedVia::Console)
            .unwrap();
        app.clock.advance(chrono::Duration::seconds(1));
    }
    let doc = page(&owner, &app, &deleted_path).await;
    let rows = deleted_rows(&doc);
    assert_eq!(rows.len(), 50);
    assert_eq!(rows[0].name, "gone-50");
    assert_eq!(rows[49].name, "gone-01");
    let next = one(&doc, "nav.pagination a[rel=next]");
    let next = next.value().attr("href").unwrap();
    assert_eq!(next, format!("{}?deleted=1&page=2", app.tokens_path()));
    let doc = page(&owner, &app, next).await;
    let rows = deleted_rows(&doc);
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].name, "gone-00");
    assert_eq!(switch_state(&doc).0, "true", "page 2 keeps the switch on");
    // Past the end: the last page.
    let doc = page(&owner, &app, &format!("{deleted_path}&page=9")).await;
    assert_eq!(deleted_rows(&doc)[0].name, "gone-00");
}

// ---------- Last used ----------

/// The Last used cell of `name`'s row: the summary's text, the exact time and the addresses.
fn last_used(doc: &Html, id: &str) -> Option<(String, String, Vec<String>)> {
    let cell = one(doc, &format!("#token-{id} td.last-used"));
    let details = cell.select(&sel("details.last-used-details")).next()?;
    Some((
        text(one_in(details, "summary")),
        text(one_in(details, ".last-used-panel time.exact")),
        details.select(&sel("ol.client-ips li")).map(text).collect(),
    ))
}

#[tokio::test]
async fn last_used_details_show_the_exact_time_and_the_last_five_distinct_addresses() {
    let app = TestApp::spawn().await;
    let value = app.token("worker", "user");
    app.token("idle", "user");
    let id = token_id(&app, "worker");
    let owner = app.logged_in(&app.owner.email).await;

    let doc = page(&owner, &app, &app.tokens_path()).await;
    assert_eq!(last_used(&doc, &id), None);
    let idle = one(
        &doc,
        &format!("#token-{} td.last-used", token_id(&app, "idle")),
    );
    assert_eq!(text(idle), "Never");

    app.clock.advance(chrono::Duration::milliseconds(7_250));
    let used_at = ms_of(&app);
    let res = Client::new()
        .get(api(&app, "/tokens/me"))
        .bearer_auth(&value)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    // Not yet written to the database: the page reads the recorder's fresher news.
    let doc = page(&owner, &app, &app.tokens_path()).await;
    assert_eq!(
        last_used(&doc, &id),
        Some((
            "just now".into(),
            format::exact_seconds(Timestamp::from_ms(used_at)),
            vec!["127.0.0.1".into()]
        ))
    );

    // Older addresses in the database, newer ones in memory: merged, most recent first, at most 5.
    {
        let mut conn = app.db().conn().unwrap();
        diesel::update(t::table.filter(t::id.eq(&id)))
            .set((
                t::last_used_at.eq(used_at - 3_600_000),
                t::last_used_ips.eq("10.0.0.1,127.0.0.1,10.0.0.2,10.0.0.3"),
            ))
            .execute(&mut conn)
            .unwrap();
    }
    app.clock.advance(chrono::Duration::hours(2));
    let later = ms_of(&app);
    let other: std::net::IpAddr = "2001:db8::7".parse().unwrap();
    app.state
        .tokens
        .note_use(&id, Timestamp::from_ms(later), other);
    app.clock.advance(chrono::Duration::minutes(5));
    let doc = page(&owner, &app, &app.tokens_path()).await;
    assert_eq!(
        last_used(&doc, &id),
        Some((
            "5 minutes ago".into(),
            format::exact_seconds(Timestamp::from_ms(later)),
            [
                "2001:db8::7",
                "127.0.0.1",
                "10.0.0.1",
                "10.0.0.2",
                "10.0.0.3"
            ]
            .map(String::from)
            .to_vec()
        ))
    );

    // Once written, the database alone says the same.
    app.flush_last_used().await.unwrap();
    let stored: (Option<i64>, String) = {
        let mut conn = app.db().conn().unwrap();
        t::table
            .filter(t::id.eq(&id))
            .select((t::last_used_at, t::last_used_ips))
            .first(&mut conn)
            .unwrap()
    };
    assert_eq!(
        stored,
        (
            Some(later),
            "2001:db8::7,127.0.0.1,10.0.0.1,10.0.0.2,10.0.0.3".into()
        )
    );
}

// ---------- Find a token by value ----------

fn assert_no_store(res: &Response) {
    assert_eq!(
        res.headers()
            .get("cache-control")
            .and_then(|v| v.to_str().ok()),
        Some("no-store")
    );
}

fn assert_not_echoed(body: &str, value: &str) {
    if value.trim().len() >= 12 {
        assert!(!body.contains(value.trim()), "the value is echoed");
        assert!(!body.contains(&value.trim()[6..]), "the value is echoed");
    }
}

#[tokio::test]
async fn find_by_value_shows_the_token_of_this_project_with_delete_at_hand() {
    let app = TestApp::spawn().await;
    let value = app.token("leaky", "user");
    app.token("other", "user");
    let id = token_id(&app, "leaky");
    let owner = app.logged_in(&app.owner.email).await;

    let doc = page(&owner, &app, &app.tokens_path()).await;
    let input = one(&doc, "#token-find input#find-token-value");
    assert_eq!(input.value().attr("name"), Some("token"));
    assert_eq!(input.value().attr("autocomplete"), Some("off"));
    assert_eq!(input.value().attr("spellcheck"), Some("false"));
    assert_eq!(
        text(one(&doc, "label[for=find-token-value]")),
        "Find a token by value"
    );
    let form = one(&doc, "#token-find form");
    assert_eq!(form.value().attr("method"), Some("post"));
    let find_url = format!("{}/find", app.tokens_path());
    assert_eq!(form.value().attr("action"), Some(find_url.as_str()));

    // Without JavaScript: a page with the row, its Delete, and an empty field.
    let pasted = format!("  {value}\n");
    let res = find(&owner, &app, &app.project_id, &pasted, false).await;
    assert_eq!(res.status(), 200);
    assert_no_store(&res);
    let body = res.text().await.unwrap();
    assert_not_echoed(&body, &value);
    let doc = Html::parse_document(&body);
    assert_eq!(
        text(one(&doc, "title")),
        "Find a token by value · alpha · ML Platform"
    );
    assert_eq!(
        text(one(&doc, "#find-result .find-message")),
        "Found leaky, an active token of this project. Its row is shown below."
    );
    assert_eq!(one(&doc, "#find-token-value").value().attr("value"), None);
    let rows: Vec<ElementRef> = doc.select(&sel("#token-list tbody > tr")).collect();
    assert_eq!(rows.len(), 1);
    assert_eq!(
        rows[0].value().attr("id"),
        Some(format!("token-{id}").as_str())
    );
    let delete = one_in(rows[0], "td.actions form[method=get][action$='/delete']");
    assert_eq!(text(delete), "Delete");
    let delete_url = format!("{}/{id}/delete", app.tokens_path());
    assert_eq!(delete.value().attr("action"), Some(delete_url.as_str()));
    // Boosted: htmx sends the form to its own action, so the URL is written once.
    assert_eq!(delete.value().attr("hx-boost"), Some("true"));

    // htmx: the message into #find-result, the row replacing the list out of band.
    let res = find(&owner, &app, &app.project_id, &value, true).await;
    assert_eq!(res.status(), 200);
    assert_no_store(&res);
    let body = res.text().await.unwrap();
    assert_not_echoed(&body, &value);
    assert!(!body.contains("<html"), "a fragment");
    let doc = Html::parse_fragment(&body);
    assert!(text(one(&doc, "p.find-message")).starts_with("Found leaky"));
    let list = one(&doc, "section#token-list");
    assert_eq!(list.value().attr("hx-swap-oob"), Some("true"));
    assert_eq!(count(&doc, &format!("section#token-list tr#token-{id}")), 1);
    assert_eq!(count(&doc, "section#token-list tbody > tr"), 1);

    // An admin member may use it too; the delete from there works as from the list.
    app.member("admin@example.com", "admin");
    let admin = app.logged_in("admin@example.com").await;
    let res = find(&admin, &app, &app.project_id, &value, false).await;
    let doc = Html::parse_document(&res.text().await.unwrap());
    assert_eq!(
        count(
            &doc,
            &format!("#token-{id} td.actions form[action$='/delete'] > button")
        ),
        1
    );
    let confirm = page(&admin, &app, &format!("{}/{id}/delete", app.tokens_path())).await;
    assert!(text(one(&confirm, "#delete-text")).contains("leaky"));
}

#[tokio::test]
async fn find_by_value_answers_the_same_for_anything_but_an_active_token_of_this_project() {
    let app = TestApp::spawn().await;
    let admin = app.token("ci-admin", "admin");
    let gone = app.token("gone", "user");
    let owner = app.logged_in(&app.owner.email).await;
    let (_, foreign) = foreign_token(&app);

    let res = Client::new()
        .post(api(&app, "/register-tokens"))
        .bearer_auth(&admin)
        .json(&json!({"client_name": "later", "access_ttl": "1h", "token_type": "USER"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201);
    let registration = res.json::<serde_json::Value>().await.unwrap()["register_token"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(report(&app, json!({ "token": gone })).await.status(), 202);
    let mut bad_checksum = admin.clone();
    let last = bad_checksum.pop().unwrap();
    bad_checksum.push(if last == 'a' { 'b' } else { 'a' });
    let unknown =
        mlp_console::domain::SecretValue::generate(mlp_console::domain::SecretKind::Access)
            .expose()
            .to_owned();

    let refused = [
        ("malformed", "hello there".to_owned()),
        ("empty", String::new()),
        ("bad checksum", bad_checksum),
        ("another project's", foreign),
        ("registration", registration),
        ("deleted", gone),
        ("unknown", unknown),
    ];
    for htmx in [true, false] {
        let mut first: Option<String> = None;
        for (what, value) in &refused {
            let res = find(&owner, &app, &app.project_id, value, htmx).await;
            assert_eq!(res.status(), 200, "{what}: an answer, not an error");
            assert_no_store(&res);
            let body = res.text().await.unwrap();
            assert_not_echoed(&body, value);
            assert!(body.contains(NOT_A_TOKEN), "{what}");
            assert!(!body.contains(r#"<tr id="token-"#), "{what}: no row");
            match &first {
                None => first = Some(body),
                Some(first) => assert_eq!(&body, first, "{what} (htmx: {htmx}): identical"),
            }
        }
        if htmx {
            let first = first.expect("an answer");
            assert!(
                first.trim_start().starts_with(
                    format!(r#"<p class="alert alert-error find-message">{NOT_A_TOKEN}</p>"#)
                        .as_str()
                ),
                "{first}"
            );
            // A row found by an earlier search is replaced (only that: the normal list has no .found-list),
            // so that it does not read as the answer to this one.
            let doc = Html::parse_fragment(&first);
            let none = one(&doc, "#token-list");
            assert_eq!(
                none.value().attr("hx-swap-oob"),
                Some("outerHTML:#token-list.found-list")
            );
            assert_eq!(count(&doc, "#token-list tr"), 0);
            assert_eq!(
                one(&doc, "#token-list a").value().attr("href"),
                Some(app.tokens_path().as_str()),
                "Show all tokens"
            );
        }
    }
    // And the valid admin token is still found, so the refusals were not for want of trying.
    let res = find(&owner, &app, &app.project_id, &admin, true).await;
    assert!(res
        .text()
        .await
        .unwrap()
        .contains("Found <strong>ci-admin</strong>"));
}

#[tokio::test]
async fn only_owners_and_admins_may_find_a_token_by_value() {
    let app = TestApp::spawn().await;
    let value = app.token("leaky", "user");
    let find_path = format!("{}/find", app.tokens_path());
    for (email, role) in [
        ("member@example.com", "member"),
        ("viewer@example.com", "viewer"),
    ] {
        app.member(email, role);
        let c = app.logged_in(email).await;
        let doc = page(&c, &app, &app.tokens_path()).await;
        assert_eq!(count(&doc, "#find-token-value"), 0, "{role}: no form");
        assert_eq!(count(&doc, "#token-find"), 0, "{role}: no form");
        for htmx in [false, true] {
            let res = find(&c, &app, &app.project_id, &value, htmx).await;
            assert_eq!(res.status(), 403, "{role}");
            let body = res.text().await.unwrap();
            assert!(!body.contains("leaky") && !body.contains(&value));
        }
        let res = c.get(app.url(&find_path)).send().await.unwrap();
        assert_eq!(res.status(), 403, "{role}");
    }
    // A non-member learns nothing about the project, not even that it exists.
    let (_, stranger) = app.other_project("beta", "stranger@example.com");
    let c = app.logged_in(&stranger.email).await;
    let res = find(&c, &app, &app.project_id, &value, false).await;
    assert_eq!(res.status(), 404);
    assert_eq!(
        c.get(app.url(&find_path)).send().await.unwrap().status(),
        404
    );

    // The owner gets the form on a page of its own too, and a post without CSRF is refused.
    let owner = app.logged_in(&app.owner.email).await;
    let doc = page(&owner, &app, &find_path).await;
    assert_eq!(count(&doc, "#find-token-value"), 1);
    let res = owner
        .post(app.url(&find_path))
        .form(&[("token", value.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 403);
    assert!(!res.text().await.unwrap().contains("leaky"));
}

#[tokio::test]
async fn a_pasted_value_never_reaches_the_logs() {
    let logs = crate::tokens::captured_logs();
    let app = TestApp::spawn().await;
    let value = app.token("logged-find", "user");
    let (_, foreign) = foreign_token(&app);
    let owner = app.logged_in(&app.owner.email).await;
    for htmx in [false, true] {
        for v in [&value, &foreign] {
            assert_eq!(
                find(&owner, &app, &app.project_id, v, htmx).await.status(),
                200
            );
        }
    }
    let logs = String::from_utf8_lossy(&logs.lock().unwrap()).into_owned();
    assert!(
        logs.contains(&format!("path={}/find", app.tokens_path())),
        "the capture works"
    );
    for v in [&value, &foreign] {
        assert!(
            !logs.contains(v.as_str()) && !logs.contains(&v[6..]),
            "a value was logged"
        );
    }
}

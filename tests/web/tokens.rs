//! The Tokens page: list, create (value shown once), delete, permissions, CSRF, headers, pagination.

use crate::common::{self, TestApp};
use crate::support::{count, one, one_in, sel, stored, text};
use diesel::prelude::*;
use mlp_console::clock::Clock;
use mlp_console::db::schema::{access_tokens, audit_events};
use mlp_console::domain::secret::{parse_kind, SecretKind};
use reqwest::{Client, Response, StatusCode};
use scraper::{ElementRef, Html};

// ---------- helpers ----------

/// A form field: name and value.
type Field<'a> = (&'a str, &'a str);

/// A token row as the list shows it.
#[derive(Debug)]
struct Row {
    id: String,
    name: String,
    role: String,
    expires: String,
    last_used: String,
    delete: Option<String>,
}

fn rows(doc: &Html) -> Vec<Row> {
    doc.select(&sel("#token-rows > tr"))
        .map(|tr| {
            let cells: Vec<ElementRef> = tr.select(&sel("td")).collect();
            let name = text(one_in(cells[0], ".token-name"));
            Row {
                id: tr
                    .value()
                    .attr("id")
                    .and_then(|id| id.strip_prefix("token-"))
                    .expect("row id token-…")
                    .to_owned(),
                name,
                role: text(cells[1]),
                expires: text(cells[4]),
                // The relative time; the details under it hold the exact time and addresses.
                last_used: cells[5]
                    .select(&sel("summary"))
                    .next()
                    .map_or_else(|| text(cells[5]), text),
                // Delete is a button alone in a GET form (its no-JS way); the form is boosted, so htmx
                // sends it to the same action.
                delete: cells[6]
                    .select(&sel("form[method=get][action$='/delete']"))
                    .next()
                    .map(|form| {
                        let action = form.value().attr("action").expect("an action");
                        let button = form
                            .select(&sel("button[type=submit]"))
                            .next()
                            .expect("a Delete button");
                        assert_eq!(text(button), "Delete");
                        assert_eq!(form.value().attr("hx-boost"), Some("true"));
                        // No fields: nothing (no CSRF token) goes into the GET URL.
                        assert_eq!(form.select(&sel("input, select, textarea")).count(), 0);
                        action.to_owned()
                    }),
            }
        })
        .collect()
}

async fn get(c: &Client, app: &TestApp, path: &str) -> Response {
    c.get(app.url(path)).send().await.unwrap()
}

async fn get_html(c: &Client, app: &TestApp, path: &str) -> Html {
    let res = get(c, app, path).await;
    assert_eq!(res.status(), 200, "GET {path}");
    Html::parse_document(&res.text().await.unwrap())
}

async fn get_htmx(c: &Client, app: &TestApp, path: &str) -> Response {
    c.get(app.url(path))
        .header("HX-Request", "true")
        .send()
        .await
        .unwrap()
}

async fn csrf(c: &Client, app: &TestApp) -> String {
    app.csrf(c, "/projects").await
}

/// Posts the create form with `csrf_token` added; `htmx` sends it the way htmx does.
async fn post_create(
    c: &Client,
    app: &TestApp,
    project_id: &str,
    fields: &[(&str, &str)],
    htmx: bool,
) -> Response {
    let token = csrf(c, app).await;
    let mut form: Vec<(&str, &str)> = fields.to_vec();
    form.push(("csrf_token", &token));
    let mut req = c
        .post(app.url(&format!("/projects/{project_id}/tokens")))
        .form(&form);
    if htmx {
        req = req
            .header("HX-Request", "true")
            .header("X-CSRF-Token", token.as_str());
    }
    req.send().await.unwrap()
}

async fn create(c: &Client, app: &TestApp, name: &str, role: &str, htmx: bool) -> Response {
    post_create(
        c,
        app,
        &app.project_id,
        &[("name", name), ("role", role), ("expiration", "never")],
        htmx,
    )
    .await
}

/// The value in a show-once response (`#token-value`).
fn shown_value(doc: &Html) -> String {
    one(doc, "input#token-value")
        .value()
        .attr("value")
        .expect("a value")
        .to_owned()
}

/// Every token row ever written for the app's project (active or deleted), and every audit event.
fn written(app: &TestApp) -> (i64, i64) {
    let mut conn = app.db().conn().unwrap();
    let tokens = access_tokens::table
        .filter(access_tokens::project_id.eq(&app.project_id))
        .count()
        .get_result(&mut conn)
        .unwrap();
    let events = audit_events::table
        .filter(audit_events::event.like("token.%"))
        .count()
        .get_result(&mut conn)
        .unwrap();
    (tokens, events)
}

fn active_count(app: &TestApp, project_id: &str) -> i64 {
    let mut conn = app.db().conn().unwrap();
    mlp_console::db::tokens::list_active(&mut conn, project_id, 0, 0)
        .unwrap()
        .1
}

fn assert_valid_value(value: &str) {
    assert_eq!(value.len(), 55, "{value:?} has the wrong length");
    assert!(value.starts_with("mlpat_"));
    assert!(
        value[6..].chars().all(|c| c.is_ascii_alphanumeric()),
        "not base62"
    );
    assert_eq!(parse_kind(value), Ok(SecretKind::Access), "checksum");
}

fn cli_token(app: &TestApp, name: &str, role: &str, expires_in: Option<&str>, by: Option<&str>) {
    mlp_console::cli::create_token(&app.db(), &app.project_id, name, role, expires_in, by, None)
        .expect("a token");
}

// ---------- creating ----------

#[tokio::test]
async fn a_member_creates_a_user_token_without_javascript() {
    let app = TestApp::spawn().await;
    let member = app.member("member@example.com", "member");
    let c = app.logged_in(&member.email).await;

    // The form offers only the role a member may create.
    let form = get_html(&c, &app, &format!("{}/new", app.tokens_path())).await;
    assert_eq!(count(&form, "input[name=role][value=user]"), 1);
    assert_eq!(count(&form, "input[name=role][value=admin]"), 0);

    let res = create(&c, &app, "notebook", "user", false).await;
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["cache-control"], "no-store");
    let html = res.text().await.unwrap();
    assert!(html.starts_with("<!doctype html>"), "a full page");
    let doc = Html::parse_document(&html);
    assert_valid_value(&shown_value(&doc));
    assert!(html.contains("After closing this window, it will be impossible to restore the token value. If it is lost, create a new token."));
    let ready = one(&doc, "#create-dialog .modal-actions a");
    assert_eq!(text(ready), "Ready");
    assert_eq!(ready.value().attr("href"), Some(app.tokens_path().as_str()));

    let list = get_html(&c, &app, &app.tokens_path()).await;
    let rows = rows(&list);
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].name, "notebook");
    assert_eq!(rows[0].role, "User");
    assert_eq!(rows[0].expires, "Never");
    assert_eq!(rows[0].last_used, "Never");
    assert!(text(one(&list, "#token-rows tr")).contains(&member.email));

    let mut conn = app.db().conn().unwrap();
    let token = mlp_console::db::tokens::find_active(
        &mut conn,
        &app.project_id,
        &mlp_console::db::tokens::TokenKey::Name("notebook".into()),
    )
    .unwrap()
    .unwrap();
    assert_eq!(token.role.as_str(), "USER");
    assert_eq!(
        token.created_by_account_id.as_deref(),
        Some(member.account_id.as_str())
    );
    assert_eq!(token.issuer_name, member.email);
}

#[tokio::test]
async fn an_admin_creates_an_administrator_token_with_htmx() {
    let app = TestApp::spawn().await;
    let admin = app.member("admin@example.com", "admin");
    let c = app.logged_in(&admin.email).await;
    cli_token(&app, "existing", "user", None, None);

    let form = get_htmx(&c, &app, &format!("{}/new", app.tokens_path())).await;
    assert_eq!(form.status(), 200);
    let form = form.text().await.unwrap();
    assert!(!form.contains("<html"), "a fragment");
    let form = Html::parse_fragment(&form);
    assert_eq!(count(&form, "dialog#create-dialog[data-modal]"), 1);
    assert_eq!(count(&form, "input[name=role][value=admin]"), 1);
    assert_eq!(
        one(&form, "#create-dialog form").value().attr("hx-post"),
        Some(app.tokens_path().as_str())
    );

    // The CLI dates its token by the wall clock; the app's clock is a test clock.
    app.clock.advance(chrono::Duration::minutes(1));
    let res = create(&c, &app, "deployer", "admin", true).await;
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["cache-control"], "no-store");
    let html = res.text().await.unwrap();
    assert!(!html.contains("<html"), "a fragment");
    let doc = Html::parse_fragment(&html);
    // The same dialog, now showing the value once, with Copy and Ready.
    assert_eq!(count(&doc, "dialog#create-dialog[data-modal]"), 1);
    let value = shown_value(&doc);
    assert_valid_value(&value);
    assert!(one(&doc, "#token-value").value().attr("readonly").is_some());
    assert_eq!(text(one(&doc, "button[data-copy=token-value]")), "Copy");
    assert_eq!(count(&doc, "[data-copy-status][aria-live=polite]"), 1);
    assert_eq!(text(one(&doc, "button[data-close-dialog]")), "Ready");
    assert!(html
        .contains("After closing this window, it will be impossible to restore the token value."));
    // ... and the new row, out of band, at the top of the table.
    let template = one(&doc, "template[hx-swap-oob]");
    assert_eq!(
        template.value().attr("hx-swap-oob"),
        Some("afterbegin:#token-rows")
    );
    let row = one(&doc, "tr[id^=token-]");
    assert!(text(row).contains("deployer"));
    assert!(text(row).contains("Administrator"));
    assert!(html.find("<template").unwrap() < html.find("<tr").unwrap());

    let list = get_html(&c, &app, &app.tokens_path()).await;
    let rows = rows(&list);
    assert_eq!(rows[0].name, "deployer");
    assert_eq!(rows[0].role, "Administrator");
    assert_eq!(rows.len(), 2);
}

#[tokio::test]
async fn the_first_token_replaces_the_empty_state_out_of_band() {
    let app = TestApp::spawn().await;
    let c = app.logged_in(&app.owner.email).await;
    let page = get_html(&c, &app, &app.tokens_path()).await;
    let empty = text(one(&page, "#tokens-empty"));
    assert!(empty.contains("programs"), "{empty}");
    assert!(empty.contains("client library"));
    assert!(empty.contains("CI jobs"));
    let empty_section = one(&page, "section#tokens-empty");
    let title = one(&page, "#tokens-empty h2");
    assert_eq!(
        empty_section.value().attr("aria-labelledby"),
        title.value().attr("id"),
        "the empty state is a region named by its heading"
    );
    assert_eq!(text(title), "No access tokens yet");
    let new_url = format!("{}/new", app.tokens_path());
    let form = one(&page, "#tokens-empty form");
    assert_eq!(form.value().attr("method"), Some("get"));
    assert_eq!(form.value().attr("action"), Some(new_url.as_str()));
    let button = one(&page, "#tokens-empty form button.btn[type=submit]");
    assert_eq!(text(button), "Create access token");
    assert_eq!(button.value().attr("hx-get"), Some(new_url.as_str()));
    // The table is there (hidden) so that rows can be inserted.
    assert_eq!(count(&page, "table tbody#token-rows"), 1);
    assert!(one(&page, ".table-wrap").value().attr("hidden").is_some());

    let res = create(&c, &app, "first", "user", true).await;
    let html = res.text().await.unwrap();
    let doc = Html::parse_fragment(&html);
    let section = one(&doc, "section#token-list");
    assert_eq!(section.value().attr("hx-swap-oob"), Some("true"));
    assert_eq!(count(&doc, "#tokens-empty"), 0);
    assert!(one(&doc, ".table-wrap").value().attr("hidden").is_none());
    assert_eq!(rows(&doc).len(), 1);
}

#[tokio::test]
async fn a_member_may_not_create_an_administrator_token() {
    let app = TestApp::spawn().await;
    let member = app.member("member@example.com", "member");
    let c = app.logged_in(&member.email).await;
    for htmx in [false, true] {
        let res = create(&c, &app, "sneaky", "admin", htmx).await;
        assert_eq!(res.status(), 403);
        assert!(!res.text().await.unwrap().contains("mlpat_"));
    }
    assert_eq!(written(&app), (0, 0), "nothing written");
}

#[tokio::test]
async fn a_viewer_may_not_create_any_token() {
    let app = TestApp::spawn().await;
    let viewer = app.member("viewer@example.com", "viewer");
    let c = app.logged_in(&viewer.email).await;
    let page = get_html(&c, &app, &app.tokens_path()).await;
    assert_eq!(
        count(
            &page,
            "form[action$='/tokens/new'], [hx-get$='/tokens/new']"
        ),
        0,
        "no create button"
    );
    let new = get(&c, &app, &format!("{}/new", app.tokens_path())).await;
    assert_eq!(new.status(), 403);
    for role in ["user", "admin", "bogus"] {
        for htmx in [false, true] {
            let res = create(&c, &app, "viewer-token", role, htmx).await;
            assert_eq!(res.status(), 403, "{role}");
        }
    }
    // Even an invalid form is refused, not re-rendered.
    let res = post_create(&c, &app, &app.project_id, &[("name", "")], false).await;
    assert_eq!(res.status(), 403);
    assert_eq!(written(&app), (0, 0), "nothing written");
}

// ---------- the value ----------

#[tokio::test]
async fn the_value_appears_in_exactly_one_response_and_is_stored_nowhere() {
    let app = TestApp::spawn().await;
    let c = app.logged_in(&app.owner.email).await;
    cli_token(&app, "other", "user", None, None);
    let mut bodies = Vec::new();

    let before = get(&c, &app, &app.tokens_path()).await;
    bodies.push(before.text().await.unwrap());
    let created = create(&c, &app, "secret-holder", "admin", true).await;
    let created = created.text().await.unwrap();
    let value = shown_value(&Html::parse_fragment(&created));
    assert_valid_value(&value);
    bodies.push(created);

    let row_id = rows(&get_html(&c, &app, &app.tokens_path()).await)
        .into_iter()
        .find(|r| r.name == "secret-holder")
        .unwrap()
        .id;
    for path in [
        app.tokens_path(),
        format!("{}?page=1", app.tokens_path()),
        format!("{}?page=2", app.tokens_path()),
        format!("{}/new", app.tokens_path()),
        format!("{}/{row_id}/delete", app.tokens_path()),
        "/projects".to_owned(),
    ] {
        bodies.push(get(&c, &app, &path).await.text().await.unwrap());
        bodies.push(get_htmx(&c, &app, &path).await.text().await.unwrap());
    }
    let carrying = bodies.iter().filter(|b| b.contains(&value)).count();
    assert_eq!(carrying, 1, "the value must be in exactly one response");

    // The database (on SQLite: neither the file nor its write-ahead log) does not hold the value.
    let bytes = mlp_console::db::testing::stored_bytes(&app.location);
    let hint = &value.as_bytes()[..10];
    assert!(
        bytes.windows(hint.len()).any(|w| w == hint),
        "read the token's row (its hint is stored)"
    );
    let needle = value.as_bytes();
    assert!(
        !bytes.windows(needle.len()).any(|w| w == needle),
        "the value is in the database"
    );
    // The stored hint is only the prefix and four characters.
    let hint = &needle[..10];
    assert!(bytes.windows(hint.len()).any(|w| w == hint), "hint stored");
    assert!(!bytes.windows(11).any(|w| w == &needle[..11]));
}

// ---------- names ----------

#[tokio::test]
async fn bad_names_get_a_clear_error_next_to_the_field_and_nothing_is_written() {
    let app = TestApp::spawn().await;
    let c = app.logged_in(&app.owner.email).await;
    cli_token(&app, "taken", "user", None, None);
    let written_before = written(&app);
    let long = "n".repeat(101);
    let cases = [
        (
            "taken",
            "An active token of this project already has this name.",
        ),
        (
            "  taken  ",
            "An active token of this project already has this name.",
        ),
        ("", "Enter a name."),
        ("   ", "Enter a name."),
        (
            long.as_str(),
            "The name must be at most 100 characters (it has 101).",
        ),
        (
            "bad\u{7}name",
            "The name must not contain control characters.",
        ),
        (
            "two\nlines",
            "The name must not contain control characters.",
        ),
        (
            "me",
            "“me” is reserved by the API's routes (/api/v1/tokens/me); choose another name.",
        ),
        (
            "revoke-leaked",
            "“revoke-leaked” is reserved by the API's routes (/api/v1/tokens/revoke-leaked); choose another name.",
        ),
        (
            "\u{200B}",
            "The name must start and end with a visible character.",
        ),
        (
            "gpu\u{202E}txt",
            "The name must not contain bidirectional override or isolate characters (U+202A–U+202E, U+2066–U+2069).",
        ),
    ];
    for htmx in [false, true] {
        for (name, message) in &cases {
            let fields = [
                ("name", *name),
                ("role", "admin"),
                ("expiration", "30"),
                ("description", "kept <as> typed"),
            ];
            let res = post_create(&c, &app, &app.project_id, &fields, htmx).await;
            assert_eq!(res.status(), 200, "{name:?}");
            let html = res.text().await.unwrap();
            assert_eq!(html.starts_with("<!doctype html>"), !htmx);
            assert!(!html.contains("mlpat_"));
            let doc = Html::parse_document(&html);
            assert_eq!(count(&doc, "dialog#create-dialog"), 1);
            let input = one(&doc, "#token-name");
            assert_eq!(input.value().attr("aria-invalid"), Some("true"));
            assert!(input.value().attr("autofocus").is_some());
            assert!(input
                .value()
                .attr("aria-describedby")
                .unwrap()
                .contains("token-name-error"));
            assert_eq!(text(one(&doc, "#token-name-error")), *message, "{name:?}");
            if !name.contains(char::is_control) {
                assert_eq!(input.value().attr("value"), Some(*name), "name kept");
            }
            assert_eq!(
                one(&doc, "input#token-description[type=text]")
                    .value()
                    .attr("value"),
                Some("kept <as> typed"),
                "description kept, on one line like the row's editor"
            );
            assert_eq!(
                one(&doc, "input[name=role][value=admin]")
                    .value()
                    .attr("checked"),
                Some(""),
                "role kept"
            );
            assert_eq!(
                one(&doc, "#token-expiration option[selected]")
                    .value()
                    .attr("value"),
                Some("30"),
                "expiration kept"
            );
        }
    }
    assert_eq!(written(&app), written_before, "nothing written");
}

#[tokio::test]
async fn bad_expiration_and_description_are_reported_next_to_their_fields() {
    let app = TestApp::spawn().await;
    let c = app.logged_in(&app.owner.email).await;
    let long = "d".repeat(501);
    let cases: [(&[Field], &str, &str); 5] = [
        (
            &[("expiration", "custom"), ("expires_on", "2001-01-01")],
            "#token-expires-on-error",
            "Choose a date after today.",
        ),
        (
            &[("expiration", "custom"), ("expires_on", "")],
            "#token-expires-on-error",
            "Enter a date.",
        ),
        (
            &[("expiration", "custom"), ("expires_on", "9999-01-01")],
            "#token-expires-on-error",
            "Choose a date at most 10 years from today.",
        ),
        (
            &[("expiration", "forever")],
            "#token-expiration-error",
            "Choose an expiration.",
        ),
        (
            &[("expiration", "never"), ("description", long.as_str())],
            "#token-description-error",
            "The description must be at most 500 characters (it has 501).",
        ),
    ];
    for (extra, error_id, message) in cases {
        let mut fields = vec![("name", "fine-name"), ("role", "user")];
        fields.extend_from_slice(extra);
        let res = post_create(&c, &app, &app.project_id, &fields, true).await;
        assert_eq!(res.status(), 200);
        let doc = Html::parse_fragment(&res.text().await.unwrap());
        assert_eq!(text(one(&doc, error_id)), message);
        assert_eq!(
            one(&doc, "#token-name").value().attr("value"),
            Some("fine-name")
        );
        assert!(one(&doc, "[aria-invalid=true]")
            .value()
            .attr("autofocus")
            .is_some());
    }
    assert_eq!(written(&app), (0, 0));
}

#[tokio::test]
async fn a_custom_date_and_the_fixed_lifetimes_set_the_expiry() {
    let app = TestApp::spawn().await;
    let c = app.logged_in(&app.owner.email).await;
    let in_ten_days = (app.clock.now().to_datetime() + chrono::Duration::days(10)).date_naive();
    let date = in_ten_days.format("%Y-%m-%d").to_string();
    let res = post_create(
        &c,
        &app,
        &app.project_id,
        &[
            ("name", "custom"),
            ("role", "user"),
            ("expiration", "custom"),
            ("expires_on", &date),
        ],
        false,
    )
    .await;
    assert_eq!(res.status(), 200);
    let res = post_create(
        &c,
        &app,
        &app.project_id,
        &[("name", "weekly"), ("role", "user"), ("expiration", "7")],
        false,
    )
    .await;
    assert_eq!(res.status(), 200);

    let list = rows(&get_html(&c, &app, &app.tokens_path()).await);
    let custom = list.iter().find(|r| r.name == "custom").unwrap();
    assert_eq!(
        custom.expires,
        in_ten_days.format("%b %-d, %Y").to_string(),
        "expires on the chosen day"
    );
    let weekly = list.iter().find(|r| r.name == "weekly").unwrap();
    assert!(
        weekly.expires.contains("Expires in 7 days"),
        "{}",
        weekly.expires
    );
}

// ---------- expiry and last use ----------

#[tokio::test]
async fn expiring_and_expired_tokens_are_marked_and_expired_ones_can_be_deleted() {
    let app = TestApp::spawn().await;
    let c = app.logged_in(&app.owner.email).await;
    for (name, expiration) in [("short", "7"), ("long", "90"), ("forever", "never")] {
        let res = post_create(
            &c,
            &app,
            &app.project_id,
            &[("name", name), ("role", "user"), ("expiration", expiration)],
            false,
        )
        .await;
        assert_eq!(res.status(), 200);
    }
    let list = rows(&get_html(&c, &app, &app.tokens_path()).await);
    let by_name = |rows: &[Row], name: &str| {
        rows.iter()
            .find(|r| r.name == name)
            .map(|r| (r.expires.clone(), r.delete.clone()))
            .unwrap()
    };
    assert!(by_name(&list, "short").0.contains("Expires in 7 days"));
    assert!(!by_name(&list, "long").0.contains("Expires in"));
    assert_eq!(by_name(&list, "forever").0, "Never");

    app.clock.advance(chrono::Duration::days(8));
    // Eight idle days also end the session.
    let c = app.logged_in(&app.owner.email).await;
    let page = get_html(&c, &app, &app.tokens_path()).await;
    let list = rows(&page);
    assert_eq!(by_name(&list, "short").0, "Expired");
    assert_eq!(count(&page, ".badge-danger"), 1);
    assert!(by_name(&list, "long").0.contains(' '), "a date");

    let delete_url = by_name(&list, "short")
        .1
        .expect("expired tokens can be deleted");
    let token = csrf(&c, &app).await;
    let res = c
        .post(app.url(&delete_url))
        .form(&[("csrf_token", token.as_str())])
        .send()
        .await
        .unwrap();
    common::assert_is_redirect_to(&res, &app.tokens_path());
    let list = rows(&get_html(&c, &app, &app.tokens_path()).await);
    assert!(list.iter().all(|r| r.name != "short"));
}

#[tokio::test]
async fn last_use_is_shown_relative_with_the_exact_time_in_a_tooltip() {
    let app = TestApp::spawn().await;
    let c = app.logged_in(&app.owner.email).await;
    cli_token(&app, "used", "user", None, None);
    let three_hours_ago = app.clock.now().as_ms() - 3 * 3600 * 1000;
    {
        let mut conn = app.db().conn().unwrap();
        diesel::update(access_tokens::table.filter(access_tokens::name.eq("used")))
            .set(access_tokens::last_used_at.eq(three_hours_ago))
            .execute(&mut conn)
            .unwrap();
    }
    let page = get_html(&c, &app, &app.tokens_path()).await;
    assert_eq!(rows(&page)[0].last_used, "3 hours ago");
    let time = one(&page, "#token-rows tr td:nth-child(6) time");
    assert_eq!(
        time.value().attr("datetime"),
        Some(
            mlp_console::domain::Timestamp::from_ms(three_hours_ago)
                .rfc3339()
                .as_str()
        )
    );
    assert!(time.value().attr("title").unwrap().ends_with("UTC"));
}

// ---------- deleting ----------

#[tokio::test]
async fn deleting_without_javascript_removes_the_row_and_frees_the_name() {
    let app = TestApp::spawn().await;
    let c = app.logged_in(&app.owner.email).await;
    cli_token(&app, "ci", "user", None, None);
    let list = rows(&get_html(&c, &app, &app.tokens_path()).await);
    let delete_url = list[0].delete.clone().expect("a Delete link");
    assert_eq!(
        delete_url,
        format!("{}/{}/delete", app.tokens_path(), list[0].id)
    );

    let confirm = get_html(&c, &app, &delete_url).await;
    let hint = &stored(&app, &list[0].id).hint;
    assert_eq!(
        text(one(&confirm, "#delete-text")),
        format!("Delete access token “ci” ({hint}…)? Programs using it will stop working at once.")
    );
    assert_eq!(text(one(&confirm, "#delete-usage")), "Never used.");
    assert_eq!(
        one(&confirm, "h1#delete-title").text().collect::<String>(),
        "Delete access token"
    );
    let form = one(&confirm, "#confirm-delete form");
    assert_eq!(form.value().attr("method"), Some("post"));
    assert_eq!(form.value().attr("action"), Some(delete_url.as_str()));
    // SPEC §5's word, named for what it does.
    assert_eq!(
        text(one(&confirm, "#confirm-delete button[type=submit]")),
        "Confirm: delete token"
    );
    assert_eq!(
        one(&confirm, "#confirm-delete .modal-actions a")
            .value()
            .attr("href"),
        Some(app.tokens_path().as_str()),
        "Cancel goes back"
    );

    let token = csrf(&c, &app).await;
    let res = c
        .post(app.url(&delete_url))
        .form(&[("csrf_token", token.as_str())])
        .send()
        .await
        .unwrap();
    common::assert_is_redirect_to(&res, &app.tokens_path());
    assert!(rows(&get_html(&c, &app, &app.tokens_path()).await).is_empty());
    assert_eq!(active_count(&app, &app.project_id), 0);
    // Deleting it again: it is gone.
    let again = c
        .post(app.url(&delete_url))
        .form(&[("csrf_token", token.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), 404);

    let res = create(&c, &app, "ci", "user", false).await;
    assert_eq!(res.status(), 200);
    assert_valid_value(&shown_value(&Html::parse_document(
        &res.text().await.unwrap(),
    )));
    assert_eq!(active_count(&app, &app.project_id), 1);
}

#[tokio::test]
async fn deleting_with_htmx_removes_the_row_in_place() {
    let app = TestApp::spawn().await;
    let c = app.logged_in(&app.owner.email).await;
    cli_token(&app, "keep", "user", None, None);
    cli_token(&app, "drop", "user", None, None);
    let list = rows(&get_html(&c, &app, &app.tokens_path()).await);
    let drop = list.iter().find(|r| r.name == "drop").unwrap();

    let confirm = get_htmx(&c, &app, drop.delete.as_ref().unwrap()).await;
    assert_eq!(confirm.status(), 200);
    let confirm = Html::parse_fragment(&confirm.text().await.unwrap());
    assert_eq!(count(&confirm, "dialog#confirm-delete[data-modal]"), 1);
    let form = one(&confirm, "#confirm-delete form");
    let delete_path = format!("{}/{}", app.tokens_path(), drop.id);
    assert_eq!(form.value().attr("hx-delete"), Some(delete_path.as_str()));
    assert_eq!(
        form.value().attr("hx-target"),
        Some(format!("#token-{}", drop.id).as_str())
    );
    assert_eq!(text(one(&confirm, "button[data-close-dialog]")), "Cancel");

    let token = csrf(&c, &app).await;
    let res = c
        .delete(app.url(&delete_path))
        .header("HX-Request", "true")
        .header("X-CSRF-Token", token.as_str())
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let body = res.text().await.unwrap();
    assert!(body.contains(r#"hx-swap-oob="delete:#confirm-delete""#));
    assert!(!body.contains("token-list"), "other tokens remain");
    let left = rows(&get_html(&c, &app, &app.tokens_path()).await);
    assert_eq!(left.len(), 1);
    assert_eq!(left[0].name, "keep");

    // The last one brings the empty state back.
    let keep_path = format!("{}/{}", app.tokens_path(), left[0].id);
    let res = c
        .delete(app.url(&keep_path))
        .header("HX-Request", "true")
        .header("X-CSRF-Token", token.as_str())
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let doc = Html::parse_fragment(&res.text().await.unwrap());
    assert_eq!(
        one(&doc, "section#token-list").value().attr("hx-swap-oob"),
        Some("true")
    );
    assert_eq!(count(&doc, "#tokens-empty"), 1);
    assert_eq!(active_count(&app, &app.project_id), 0);

    // The audit log has both deletions, by the owner, via the console.
    let mut conn = app.db().conn().unwrap();
    let deleted: Vec<(String, Option<String>)> = audit_events::table
        .filter(audit_events::event.eq("token.deleted"))
        .select((audit_events::actor, audit_events::detail))
        .load(&mut conn)
        .unwrap();
    assert_eq!(deleted.len(), 2);
    assert!(deleted
        .iter()
        .all(|(actor, via)| actor == &app.owner.email && via.as_deref() == Some("console")));
}

#[tokio::test]
async fn a_member_sees_and_may_use_delete_only_on_its_own_tokens() {
    let app = TestApp::spawn().await;
    let member = app.member("member@example.com", "member");
    let viewer = app.member("viewer@example.com", "viewer");
    cli_token(&app, "owners", "user", None, None);
    cli_token(&app, "members", "user", None, Some(&member.email));

    let c = app.logged_in(&member.email).await;
    let list = rows(&get_html(&c, &app, &app.tokens_path()).await);
    let owners = list.iter().find(|r| r.name == "owners").unwrap();
    let members = list.iter().find(|r| r.name == "members").unwrap();
    assert!(members.delete.is_some());
    assert!(owners.delete.is_none());

    // Going around the missing button does not help.
    let token = csrf(&c, &app).await;
    let confirm_url = format!("{}/{}/delete", app.tokens_path(), owners.id);
    assert_eq!(get(&c, &app, &confirm_url).await.status(), 403);
    let res = c
        .post(app.url(&confirm_url))
        .form(&[("csrf_token", token.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 403);
    let res = c
        .delete(app.url(&format!("{}/{}", app.tokens_path(), owners.id)))
        .header("X-CSRF-Token", token.as_str())
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 403);
    assert_eq!(active_count(&app, &app.project_id), 2);

    let v = app.logged_in(&viewer.email).await;
    let list = rows(&get_html(&v, &app, &app.tokens_path()).await);
    assert_eq!(list.len(), 2);
    assert!(
        list.iter().all(|r| r.delete.is_none()),
        "a viewer deletes nothing"
    );
    let vtoken = csrf(&v, &app).await;
    let res = v
        .delete(app.url(&format!("{}/{}", app.tokens_path(), members.id)))
        .header("X-CSRF-Token", vtoken.as_str())
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 403);

    let o = app.logged_in(&app.owner.email).await;
    let list = rows(&get_html(&o, &app, &app.tokens_path()).await);
    assert!(
        list.iter().all(|r| r.delete.is_some()),
        "an owner deletes any"
    );

    // The member deletes its own token.
    let res = c
        .delete(app.url(&format!("{}/{}", app.tokens_path(), members.id)))
        .header("X-CSRF-Token", token.as_str())
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(active_count(&app, &app.project_id), 1);
}

// ---------- isolation, CSRF, headers ----------

#[tokio::test]
async fn a_member_of_another_project_gets_404_for_every_token_route() {
    let app = TestApp::spawn().await;
    let (other_id, other_owner) = app.other_project("beta", "beta-owner@example.com");
    mlp_console::cli::create_token(&app.db(), &other_id, "beta-token", "user", None, None, None)
        .unwrap();
    let o = app.logged_in(&other_owner.email).await;
    let beta_rows = rows(&get_html(&o, &app, &format!("/projects/{other_id}/tokens")).await);
    let tid = beta_rows[0].id.clone();

    // The owner of alpha is not a member of beta.
    let c = app.logged_in(&app.owner.email).await;
    let token = csrf(&c, &app).await;
    let base = format!("/projects/{other_id}/tokens");
    for htmx in [false, true] {
        let with = |r: reqwest::RequestBuilder| {
            let r = r.header("X-CSRF-Token", token.as_str());
            if htmx {
                r.header("HX-Request", "true")
            } else {
                r
            }
        };
        let requests = [
            ("GET page", with(c.get(app.url(&base)))),
            (
                "GET page 2",
                with(c.get(app.url(&format!("{base}?page=2")))),
            ),
            ("GET new", with(c.get(app.url(&format!("{base}/new"))))),
            (
                "POST create",
                with(c.post(app.url(&base)).form(&[
                    ("name", "intruder"),
                    ("role", "user"),
                    ("expiration", "never"),
                    ("csrf_token", token.as_str()),
                ])),
            ),
            (
                "GET delete",
                with(c.get(app.url(&format!("{base}/{tid}/delete")))),
            ),
            (
                "POST delete",
                with(
                    c.post(app.url(&format!("{base}/{tid}/delete")))
                        .form(&[("csrf_token", token.as_str())]),
                ),
            ),
            ("DELETE", with(c.delete(app.url(&format!("{base}/{tid}"))))),
        ];
        for (what, req) in requests {
            let res = req.send().await.unwrap();
            assert_eq!(res.status(), 404, "{what} (htmx: {htmx})");
        }
    }
    assert_eq!(active_count(&app, &other_id), 1, "nothing deleted");
    let mut conn = app.db().conn().unwrap();
    let names: Vec<String> = access_tokens::table
        .filter(access_tokens::project_id.eq(&other_id))
        .select(access_tokens::name)
        .load(&mut conn)
        .unwrap();
    assert_eq!(names, ["beta-token"], "nothing created");
}

#[tokio::test]
async fn bad_ids_answer_404() {
    let app = TestApp::spawn().await;
    let c = app.logged_in(&app.owner.email).await;
    let token = csrf(&c, &app).await;
    for path in [
        "/projects/not-a-uuid/tokens".to_owned(),
        "/projects/00000000-0000-4000-8000-000000000000/tokens".to_owned(),
        format!("{}/not-a-uuid/delete", app.tokens_path()),
        format!(
            "{}/00000000-0000-4000-8000-000000000000/delete",
            app.tokens_path()
        ),
    ] {
        assert_eq!(get(&c, &app, &path).await.status(), 404, "{path}");
    }
    let res = c
        .delete(app.url(&format!("{}/nope", app.tokens_path())))
        .header("X-CSRF-Token", token.as_str())
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 404);
}

#[tokio::test]
async fn state_changing_requests_without_the_csrf_token_are_refused() {
    let app = TestApp::spawn().await;
    let c = app.logged_in(&app.owner.email).await;
    cli_token(&app, "victim", "user", None, None);
    let id = rows(&get_html(&c, &app, &app.tokens_path()).await)[0]
        .id
        .clone();
    let written_before = written(&app);

    for csrf_field in [None, Some("wrong")] {
        let mut form = vec![
            ("name", "forged"),
            ("role", "user"),
            ("expiration", "never"),
        ];
        if let Some(v) = csrf_field {
            form.push(("csrf_token", v));
        }
        let res = c
            .post(app.url(&app.tokens_path()))
            .form(&form)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 403, "create with {csrf_field:?}");
        let res = c
            .post(app.url(&format!("{}/{id}/delete", app.tokens_path())))
            .form(
                &csrf_field
                    .map(|v| vec![("csrf_token", v)])
                    .unwrap_or_default(),
            )
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 403, "delete form with {csrf_field:?}");
        let mut req = c
            .delete(app.url(&format!("{}/{id}", app.tokens_path())))
            .header("HX-Request", "true");
        if let Some(v) = csrf_field {
            req = req.header("X-CSRF-Token", v);
        }
        assert_eq!(
            req.send().await.unwrap().status(),
            403,
            "DELETE with {csrf_field:?}"
        );
    }
    // A token in the query string does not count for DELETE either.
    let token = csrf(&c, &app).await;
    let res = c
        .delete(app.url(&format!("{}/{id}?csrf_token={token}", app.tokens_path())))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 403);
    assert_eq!(written(&app), written_before, "nothing written");
    assert_eq!(active_count(&app, &app.project_id), 1);
}

fn assert_security_headers(res: &Response, what: &str) {
    let h = res.headers();
    let csp = h
        .get("content-security-policy")
        .unwrap_or_else(|| panic!("{what}: no CSP"))
        .to_str()
        .unwrap();
    assert!(csp.contains("script-src 'self'"), "{what}: {csp}");
    assert!(!csp.contains("unsafe-inline"), "{what}: {csp}");
    assert_eq!(h["x-frame-options"], "DENY", "{what}");
    assert_eq!(h["x-content-type-options"], "nosniff", "{what}");
    assert_eq!(h["referrer-policy"], "no-referrer", "{what}");
}

/// No inline script, no inline style, no event-handler attributes: CSP would block them.
fn assert_no_inline_code(html: &str, what: &str) {
    let doc = Html::parse_document(html);
    for script in doc.select(&sel("script")) {
        assert!(
            script.value().attr("src").is_some(),
            "{what}: inline script"
        );
        assert!(text(script).is_empty(), "{what}: script body");
    }
    assert_eq!(count(&doc, "style"), 0, "{what}: <style>");
    assert_eq!(count(&doc, "[style]"), 0, "{what}: style=");
    for el in doc
        .root_element()
        .descendants()
        .filter_map(ElementRef::wrap)
    {
        for (name, value) in el.value().attrs() {
            assert!(!name.starts_with("on"), "{what}: {name}=");
            assert!(!name.starts_with("hx-on"), "{what}: {name}=");
            assert!(!value.trim_start().starts_with("javascript:"), "{what}");
        }
    }
}

#[tokio::test]
async fn every_page_carries_the_security_headers_and_no_inline_code() {
    let app = TestApp::spawn().await;
    let c = app.logged_in(&app.owner.email).await;
    cli_token(&app, "soon", "user", Some("2d"), None);
    cli_token(&app, "plain", "admin", None, None);
    let id = rows(&get_html(&c, &app, &app.tokens_path()).await)[0]
        .id
        .clone();
    let pages = [
        app.tokens_path(),
        format!("{}/new", app.tokens_path()),
        format!("{}/{id}/delete", app.tokens_path()),
        "/projects".to_owned(),
    ];
    for path in &pages {
        for htmx in [false, true] {
            let res = if htmx {
                get_htmx(&c, &app, path).await
            } else {
                get(&c, &app, path).await
            };
            assert_eq!(res.status(), 200, "{path}");
            assert_security_headers(&res, path);
            assert_no_inline_code(&res.text().await.unwrap(), path);
        }
    }
    for htmx in [false, true] {
        let res = create(&c, &app, &format!("made-{htmx}"), "user", htmx).await;
        assert_security_headers(&res, "create");
        assert_no_inline_code(&res.text().await.unwrap(), "create");
        let res = post_create(&c, &app, &app.project_id, &[("name", "")], htmx).await;
        assert_security_headers(&res, "create error");
        assert_no_inline_code(&res.text().await.unwrap(), "create error");
    }
    let login = get(&common::client(), &app, "/login").await;
    assert_security_headers(&login, "login");
    assert_no_inline_code(&login.text().await.unwrap(), "login");
}

// ---------- the page ----------

#[tokio::test]
async fn the_page_names_itself_and_the_project_and_marks_it_in_the_switcher() {
    let app = TestApp::spawn().await;
    let (beta_id, _) = app.other_project("beta", "beta-owner@example.com");
    mlp_console::cli::add_member(&app.db(), &beta_id, &app.owner.email, "viewer").unwrap();
    let c = app.logged_in(&app.owner.email).await;

    let page = get_html(&c, &app, &format!("/projects/{beta_id}/tokens")).await;
    assert!(text(one(&page, "title")).starts_with("Tokens · beta"));
    let crumbs: Vec<String> = page.select(&sel("nav.breadcrumb li")).map(text).collect();
    assert_eq!(crumbs, ["ML Platform", "Tokens"]);
    let selected = one(&page, "#project-switcher option[selected]");
    assert_eq!(selected.value().attr("value"), Some(beta_id.as_str()));
    assert_eq!(count(&page, "#project-switcher option"), 2);
    assert_eq!(
        text(one(&page, "[data-testid=signed-in-email]")),
        app.owner.email
    );
    assert_eq!(text(one(&page, "form.logout button")), "Log out");
    // Fingerprinted: /static/favicon.<hash>.svg.
    assert_eq!(
        count(
            &page,
            "link[rel=icon][href^='/static/favicon.'][href$='.svg']"
        ),
        1
    );
    let heads: Vec<String> = page.select(&sel("thead th")).map(text).collect();
    assert_eq!(
        heads,
        [
            "Name",
            "Role",
            "Created",
            "Created by",
            "Expires",
            "Last used",
            "Actions"
        ]
    );

    // The project is remembered: `/` goes back to it.
    let home = get(&c, &app, "/").await;
    common::assert_is_redirect_to(&home, &format!("/projects/{beta_id}/tokens"));
    let alpha = get_html(&c, &app, &app.tokens_path()).await;
    assert!(text(one(&alpha, "title")).starts_with("Tokens · alpha"));
    let home = get(&c, &app, "/").await;
    common::assert_is_redirect_to(&home, &app.tokens_path());
}

#[tokio::test]
async fn the_create_button_opens_the_dialog_or_a_full_page() {
    let app = TestApp::spawn().await;
    let c = app.logged_in(&app.owner.email).await;
    cli_token(&app, "one", "user", None, None);
    let page = get_html(&c, &app, &app.tokens_path()).await;
    let button = one(&page, "button#create-token");
    let new_url = format!("{}/new", app.tokens_path());
    assert_eq!(text(button), "Create access token");
    assert_eq!(button.value().attr("type"), Some("submit"));
    // Without JS the button submits its GET form, which has no fields: the URL is the dialog's page.
    let form = one(&page, "form:has(> button#create-token)");
    assert_eq!(form.value().attr("method"), Some("get"));
    assert_eq!(form.value().attr("action"), Some(new_url.as_str()));
    assert_eq!(count(&page, "form:has(> button#create-token) input"), 0);
    assert_eq!(button.value().attr("hx-get"), Some(new_url.as_str()));
    assert_eq!(button.value().attr("hx-target"), Some("body"));
    assert_eq!(button.value().attr("hx-swap"), Some("beforeend"));

    let full = get_html(&c, &app, &new_url).await;
    let form = one(&full, "#create-dialog form");
    assert_eq!(form.value().attr("method"), Some("post"));
    assert_eq!(
        form.value().attr("action"),
        Some(app.tokens_path().as_str())
    );
    assert!(form.value().attr("hx-post").is_none(), "a plain form");
    assert_eq!(
        one(&full, "#create-dialog .modal-actions a")
            .value()
            .attr("href"),
        Some(app.tokens_path().as_str()),
        "Cancel is a link back"
    );
    for (field, label) in [
        ("token-name", "Name"),
        ("token-expiration", "Expiration"),
        ("token-expires-on", "Custom date"),
    ] {
        assert_eq!(text(one(&full, &format!("label[for={field}]"))), label);
    }
    assert!(text(one(&full, "label[for=token-description]")).starts_with("Description"));
    assert_eq!(
        one(&full, "#token-name").value().attr("maxlength"),
        Some("100")
    );
    assert_eq!(text(one(&full, "fieldset legend")), "Role");
    let roles = text(one(&full, "fieldset.radio-group"));
    assert!(roles.contains("May use the platform's services."));
    assert!(roles.contains("May also manage this project's tokens through the API."));
    let options: Vec<String> = full
        .select(&sel("#token-expiration option"))
        .map(text)
        .collect();
    assert_eq!(
        options,
        [
            "No expiration",
            "7 days",
            "30 days",
            "90 days",
            "Custom date"
        ]
    );
    // 30 days unless changed, as GitHub; No expiration stays a choice, with its warning.
    assert_eq!(
        one(&full, "#token-expiration option[selected]")
            .value()
            .attr("value"),
        Some("30")
    );
    assert!(
        text(one(&full, "#token-no-expiry-warning")).starts_with("A token without an expiration")
    );
    assert_eq!(
        one(&full, "input[name=role][checked]")
            .value()
            .attr("value"),
        Some("user")
    );
    assert_eq!(
        one(&full, "#token-expires-on").value().attr("type"),
        Some("date")
    );
    assert_eq!(
        text(one(&full, "#create-dialog button[type=submit]")),
        "Create"
    );

    let fragment = get_htmx(&c, &app, &new_url).await.text().await.unwrap();
    let fragment = Html::parse_fragment(&fragment);
    assert_eq!(
        text(one(&fragment, "button[type=button][data-close-dialog]")),
        "Cancel"
    );
}

#[tokio::test]
async fn the_list_is_paginated_fifty_a_page_newest_first() {
    let app = TestApp::spawn().await;
    for i in 0..60 {
        cli_token(&app, &format!("token-{i:02}"), "user", None, None);
    }
    let c = app.logged_in(&app.owner.email).await;
    // A token made after all the others comes first.
    app.clock.advance(chrono::Duration::hours(1));
    let res = create(&c, &app, "newest", "user", false).await;
    assert_eq!(res.status(), 200);

    let first = get_html(&c, &app, &app.tokens_path()).await;
    let first_rows = rows(&first);
    assert_eq!(first_rows.len(), 50);
    assert_eq!(first_rows[0].name, "newest");
    let next = one(&first, ".pagination a[rel=next]");
    assert_eq!(
        next.value().attr("href"),
        Some(format!("{}?page=2", app.tokens_path()).as_str())
    );
    assert_eq!(count(&first, ".pagination a[rel=prev]"), 0);

    let second = get_html(&c, &app, &format!("{}?page=2", app.tokens_path())).await;
    let second_rows = rows(&second);
    assert_eq!(second_rows.len(), 11);
    assert_eq!(count(&second, ".pagination a[rel=next]"), 0);
    assert_eq!(
        one(&second, ".pagination a[rel=prev]").value().attr("href"),
        Some(format!("{}?page=1", app.tokens_path()).as_str())
    );
    let mut names: Vec<String> = first_rows
        .iter()
        .chain(&second_rows)
        .map(|r| r.name.clone())
        .collect();
    names.sort();
    names.dedup();
    assert_eq!(names.len(), 61, "every token once");

    // Past the end: the last page; nonsense: the first.
    let past = rows(&get_html(&c, &app, &format!("{}?page=9", app.tokens_path())).await);
    assert_eq!(past.len(), 11);
    for junk in ["page=0", "page=-1", "page=x", "page=99999999999999999999"] {
        let page = rows(&get_html(&c, &app, &format!("{}?{junk}", app.tokens_path())).await);
        assert_eq!(page.len(), 50, "{junk}");
    }

    // A creation seen from page 2 does not insert its row there.
    let token = csrf(&c, &app).await;
    let res = c
        .post(app.url(&app.tokens_path()))
        .header("HX-Request", "true")
        .header(
            "HX-Current-URL",
            app.url(&format!("{}?page=2", app.tokens_path())),
        )
        .form(&[
            ("name", "from-page-2"),
            ("role", "user"),
            ("csrf_token", token.as_str()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let html = res.text().await.unwrap();
    assert!(html.contains("token-value"));
    assert!(!html.contains("hx-swap-oob"));
}

#[tokio::test]
async fn htmx_requests_of_a_logged_out_browser_are_sent_to_login() {
    let app = TestApp::spawn().await;
    let c = common::client();
    let res = c
        .delete(app.url(&format!(
            "{}/00000000-0000-4000-8000-000000000000",
            app.tokens_path()
        )))
        .header("HX-Request", "true")
        .send()
        .await
        .unwrap();
    assert_eq!(res.headers()["hx-redirect"], "/login");
    assert_ne!(res.status(), StatusCode::OK);
}

// ---------- logs ----------

/// Everything the app logs while the tests of this binary run (one global subscriber per process).
pub(crate) fn captured_logs() -> std::sync::Arc<std::sync::Mutex<Vec<u8>>> {
    use std::sync::{Arc, Mutex, OnceLock};
    static LOGS: OnceLock<Arc<Mutex<Vec<u8>>>> = OnceLock::new();
    LOGS.get_or_init(|| {
        let buffer = Arc::new(Mutex::new(Vec::new()));
        let sink = buffer.clone();
        let subscriber = tracing_subscriber::fmt()
            .with_env_filter(tracing_subscriber::EnvFilter::new(
                "mlp_console=trace,actix_web=debug,actix_http=debug,actix_server=debug",
            ))
            .with_ansi(false)
            .with_writer(move || LogSink(sink.clone()))
            .finish();
        tracing::subscriber::set_global_default(subscriber).expect("no other global subscriber");
        buffer
    })
    .clone()
}

struct LogSink(std::sync::Arc<std::sync::Mutex<Vec<u8>>>);

impl std::io::Write for LogSink {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0
            .lock()
            .map_err(|_| std::io::Error::other("poisoned"))?
            .extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[tokio::test]
async fn the_value_never_reaches_the_logs() {
    let logs = captured_logs();
    let app = TestApp::spawn().await;
    let c = app.logged_in(&app.owner.email).await;
    let mut values = Vec::new();
    for htmx in [false, true] {
        let res = create(&c, &app, &format!("logged-{htmx}"), "admin", htmx).await;
        assert_eq!(res.status(), 200);
        values.push(shown_value(&Html::parse_document(
            &res.text().await.unwrap(),
        )));
    }
    let list = rows(&get_html(&c, &app, &app.tokens_path()).await);
    let token = csrf(&c, &app).await;
    for row in &list {
        let res = c
            .delete(app.url(&format!("{}/{}", app.tokens_path(), row.id)))
            .header("X-CSRF-Token", token.as_str())
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 200);
    }
    let logs = String::from_utf8_lossy(&logs.lock().unwrap()).into_owned();
    assert!(
        logs.contains(&format!("path={}", app.tokens_path())),
        "the capture works: the request lines of this test are there"
    );
    for value in values {
        assert_valid_value(&value);
        assert!(!logs.contains(&value), "a token value was logged");
        assert!(!logs.contains(&value[6..]), "a token value was logged");
    }
    assert!(!logs.contains(&token), "the CSRF token was logged");
}

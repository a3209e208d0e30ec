//! Helpers for the row-action tests (renew, description): tokens made at the app's clock, parsing of row
//! fragments, the API's view of a value, audit rows.

use crate::common::{TestApp, TestUser};
use diesel::prelude::*;
use mlp_console::db::schema::audit_events;
use mlp_console::db::tokens::TokenRecord;
use mlp_console::domain::secret::{parse_kind, SecretKind};
use mlp_console::domain::{Description, MemberRole, TokenName, TokenRole, Ttl};
use mlp_console::service::{Actor, NewTokenSpec};
use reqwest::{Client, Response};
use scraper::{ElementRef, Html, Selector};

pub const DAY_MS: i64 = 86_400_000;

pub fn sel(s: &str) -> Selector {
    Selector::parse(s).expect("a valid selector")
}

pub fn one<'a>(doc: &'a Html, s: &str) -> ElementRef<'a> {
    doc.select(&sel(s))
        .next()
        .unwrap_or_else(|| panic!("no element matches {s:?}"))
}

/// The first element under `el` that matches `s`.
pub fn one_in<'a>(el: ElementRef<'a>, s: &str) -> ElementRef<'a> {
    el.select(&sel(s))
        .next()
        .unwrap_or_else(|| panic!("no element matches {s:?}"))
}

pub fn count(doc: &Html, s: &str) -> usize {
    doc.select(&sel(s)).count()
}

pub fn text(el: ElementRef<'_>) -> String {
    el.text().collect::<String>().trim().to_owned()
}

pub fn attr<'a>(el: ElementRef<'a>, name: &str) -> Option<&'a str> {
    el.value().attr(name)
}

/// A fragment that starts with `<tr>`, parsed in a table as the browser does (a bare `<tr>` would be dropped).
pub fn parse_rows(html: &str) -> Html {
    Html::parse_fragment(&format!("<table><tbody>{html}</tbody></table>"))
}

/// A fragment holding `<hx-partial>` parts, parsed as htmx does: the tag becomes a `<template>`.
pub fn parse_with_partials(html: &str) -> Html {
    Html::parse_fragment(
        &html
            .replace("<hx-partial ", "<template ")
            .replace("</hx-partial>", "</template>"),
    )
}

pub async fn get(c: &Client, app: &TestApp, path: &str, htmx: bool) -> Response {
    let mut req = c.get(app.url(path));
    if htmx {
        req = req.header("HX-Request", "true");
    }
    req.send().await.unwrap()
}

pub async fn get_html(c: &Client, app: &TestApp, path: &str) -> Html {
    let res = get(c, app, path, false).await;
    assert_eq!(res.status(), 200, "GET {path}");
    Html::parse_document(&res.text().await.unwrap())
}

pub async fn csrf(c: &Client, app: &TestApp) -> String {
    app.csrf(c, "/projects").await
}

/// Posts a form with the session's CSRF token added, as a plain form or the way htmx sends it.
pub async fn post_form(
    c: &Client,
    app: &TestApp,
    path: &str,
    fields: &[(&str, &str)],
    htmx: bool,
) -> Response {
    let token = csrf(c, app).await;
    let mut form = fields.to_vec();
    form.push(("csrf_token", &token));
    let mut req = c.post(app.url(path)).form(&form);
    if htmx {
        req = req
            .header("HX-Request", "true")
            .header("X-CSRF-Token", token.as_str());
    }
    req.send().await.unwrap()
}

pub fn token_path(app: &TestApp, id: &str, action: &str) -> String {
    format!("{}/{id}/{action}", app.tokens_path())
}

/// A token created now by the app's clock (so `clock.advance` ages it); returns its value and id.
pub fn make_token(
    app: &TestApp,
    name: &str,
    role: TokenRole,
    lifetime_secs: Option<i64>,
    description: Option<&str>,
    by: Option<&TestUser>,
) -> (String, String) {
    let creator = by.unwrap_or(&app.owner);
    let spec = NewTokenSpec {
        project_id: app.project_id.clone(),
        name: TokenName::parse(name).unwrap(),
        role,
        description: Description::parse(description.unwrap_or("")).unwrap(),
        lifetime: lifetime_secs.and_then(|s| Ttl::from_secs(s as u64)),
        label_selector: None,
    };
    // A fixture: made with an owner's rights, recorded as its creator's.
    let actor = Actor::member(&creator.account_id, &creator.email, MemberRole::Owner, None);
    let (secret, record) = app.state.tokens.create(&spec, &actor).expect("a token");
    (secret.expose().to_owned(), record.id)
}

/// The token row as stored now (active or not).
pub fn stored(app: &TestApp, id: &str) -> TokenRecord {
    use mlp_console::db::schema::access_tokens as t;
    let mut conn = app.db().conn().unwrap();
    t::table
        .filter(t::id.eq(id))
        .select(TokenRecord::as_select())
        .first(&mut conn)
        .expect("the token row")
}

/// What `GET /api/v1/tokens/me` answers to this value (it also puts a working value in the verification cache).
pub async fn api_status(app: &TestApp, value: &str) -> u16 {
    reqwest::Client::new()
        .get(app.url("/api/v1/tokens/me"))
        .bearer_auth(value)
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

/// The id `GET /api/v1/tokens/me` reports for a working value.
pub async fn api_token_id(app: &TestApp, value: &str) -> String {
    let res = reqwest::Client::new()
        .get(app.url("/api/v1/tokens/me"))
        .bearer_auth(value)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let body: serde_json::Value = res.json().await.unwrap();
    body["id"].as_str().unwrap().to_owned()
}

pub fn assert_valid_value(value: &str) {
    assert_eq!(value.len(), 55, "{value:?} has the wrong length");
    assert!(value.starts_with("mlpat_"));
    assert!(
        value[6..].chars().all(|c| c.is_ascii_alphanumeric()),
        "not base62"
    );
    assert_eq!(parse_kind(value), Ok(SecretKind::Access), "checksum");
}

/// The value in a show-once answer.
pub fn shown_value(doc: &Html) -> String {
    attr(one(doc, "input#token-value"), "value")
        .expect("a value")
        .to_owned()
}

/// One audit row: actor, target, account, client IP, detail.
pub type AuditRow = (
    String,
    Option<String>,
    Option<String>,
    Option<String>,
    Option<String>,
);

/// The project's audit rows of one event, oldest first.
pub fn audit(app: &TestApp, event: &str) -> Vec<AuditRow> {
    use audit_events as a;
    let mut conn = app.db().conn().unwrap();
    a::table
        .filter(a::project_id.eq(&app.project_id))
        .filter(a::event.eq(event))
        .order(a::id.asc())
        .select((a::actor, a::target, a::account_id, a::client_ip, a::detail))
        .load(&mut conn)
        .unwrap()
}

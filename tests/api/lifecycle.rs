//! Renew and describe through the API (SPEC §9, issue 6 points 1 and 2):
//! `POST /api/v1/tokens/{name}/renew` and `PATCH /api/v1/tokens/{name}`.

use crate::common::TestApp;
use crate::helpers::*;
use chrono::DateTime;
use diesel::prelude::*;
use mlp_console::api::error::RENEWED_MEANWHILE;
use mlp_console::clock::Clock;
use mlp_console::db::audit::event;
use mlp_console::db::schema::audit_events;
use mlp_console::domain::secret::{parse_kind, SecretKind};
use mlp_console::domain::Timestamp;
use reqwest::Response;
use serde_json::{json, Value};

const DAY_MS: i64 = 86_400_000;

fn rfc3339_ms(s: &str) -> i64 {
    DateTime::parse_from_rfc3339(s).unwrap().timestamp_millis()
}

pub async fn renew(app: &TestApp, admin: &str, name: &str) -> Response {
    post(
        app,
        &format!("/tokens/{name}/renew"),
        Some(admin),
        &json!({}),
    )
    .await
}

pub async fn patch(app: &TestApp, admin: &str, name: &str, body: &str) -> Response {
    reqwest::Client::new()
        .patch(url(app, &format!("/tokens/{name}")))
        .bearer_auth(admin)
        .header("content-type", "application/json")
        .body(body.to_owned())
        .send()
        .await
        .unwrap()
}

async fn status_of(app: &TestApp, token: &str) -> u16 {
    get(app, "/tokens/me", Some(token)).await.status().as_u16()
}

/// The project's active token with this name, as the database holds it.
fn stored(app: &TestApp, name: &str) -> mlp_console::db::tokens::TokenRecord {
    let mut conn = app.db().conn().unwrap();
    mlp_console::db::tokens::find_active(
        &mut conn,
        &app.project_id,
        &mlp_console::db::tokens::TokenKey::Name(name.into()),
    )
    .unwrap()
    .expect("an active token")
}

/// actor, target, detail of the project's audit rows of one event, oldest first.
fn audit(app: &TestApp, name: &str) -> Vec<(String, Option<String>, Option<String>)> {
    use audit_events as a;
    let mut conn = app.db().conn().unwrap();
    a::table
        .filter(a::project_id.eq(&app.project_id))
        .filter(a::event.eq(name))
        .order(a::id.asc())
        .select((a::actor, a::target, a::detail))
        .load(&mut conn)
        .unwrap()
}

fn assert_access_value(value: &str) {
    assert_eq!(value.len(), 55, "{value}");
    assert_eq!(parse_kind(value), Ok(SecretKind::Access));
}

#[tokio::test]
async fn renew_answers_a_new_value_and_the_old_one_fails_on_its_next_request() {
    let app = TestApp::spawn().await;
    let admin = app.token("ci-admin", "admin");
    let made = api_token(&app, &admin, "spark", None, "USER").await;
    let old = made["refresh_token"].as_str().unwrap().to_owned();
    // Verified once, so it sits in the verification cache.
    assert_eq!(status_of(&app, &old).await, 200);
    let description = patch(&app, &admin, "spark", r#"{"description": "gateway"}"#).await;
    assert_eq!(description.status(), 200);

    let res = renew(&app, &admin, "spark").await;
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["cache-control"], "no-store");
    let body: Value = res.json().await.unwrap();
    assert_eq!(body.as_object().unwrap().len(), 5, "{body}");
    let new = body["refresh_token"].as_str().unwrap().to_owned();
    assert_access_value(&new);
    assert_ne!(new, old);
    assert_eq!(body["id"], made["id"], "the same token");
    assert_eq!(body["name"], "spark");
    assert_eq!(body["type"], "USER");
    assert_eq!(body["expires_at"], Value::Null);

    assert_eq!(status_of(&app, &old).await, 401);
    let res = get(&app, "/tokens/me", Some(&old)).await;
    assert_error(res, 401, "UnauthorizedException", "Unauthorized").await;
    let me: Value = get(&app, "/tokens/me", Some(&new))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(me["id"], made["id"]);
    assert_eq!(me["name"], "spark");

    // Still listed once, with its description; a renewal is not a deletion.
    let list: Value = get(&app, "/tokens", Some(&admin))
        .await
        .json()
        .await
        .unwrap();
    let spark: Vec<&Value> = list["tokens"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|t| t["name"] == "spark")
        .collect();
    assert_eq!(spark.len(), 1);
    assert_eq!(spark[0]["description"], "gateway");
    assert_eq!(stored(&app, "spark").deleted_at, None);

    assert_eq!(
        audit(&app, event::TOKEN_RENEWED),
        [("ci-admin".to_owned(), Some("spark".to_owned()), None)]
    );

    // An admin token may renew itself: its own old value dies as well.
    let res = renew(&app, &admin, "ci-admin").await;
    assert_eq!(res.status(), 200);
    let body: Value = res.json().await.unwrap();
    let admin2 = body["refresh_token"].as_str().unwrap();
    assert_eq!(status_of(&app, &admin).await, 401);
    assert_eq!(status_of(&app, admin2).await, 200);
}

#[tokio::test]
async fn renew_keeps_the_lifetime_and_revives_expired_tokens() {
    let app = TestApp::spawn().await;
    let admin = app.token("ci-admin", "admin");
    let made = api_token(&app, &admin, "monthly", Some("30d"), "USER").await;
    let created_at = app.clock.now().as_ms();
    assert_eq!(
        rfc3339_ms(made["expires_at"].as_str().unwrap()) / 1000,
        (created_at + 30 * DAY_MS) / 1000
    );
    app.clock.advance(chrono::Duration::days(10));
    let res = renew(&app, &admin, "monthly").await;
    assert_eq!(res.status(), 200);
    let body: Value = res.json().await.unwrap();
    let now = app.clock.now().as_ms();
    assert_eq!(
        rfc3339_ms(body["expires_at"].as_str().unwrap()) / 1000,
        (now + 30 * DAY_MS) / 1000,
        "a fresh 30 days from now"
    );
    assert_eq!(
        stored(&app, "monthly").expires_at.map(Timestamp::as_ms),
        Some(now + 30 * DAY_MS)
    );

    // Expired: it answers 403, and a renewal brings it back with a fresh expiry.
    let value = body["refresh_token"].as_str().unwrap().to_owned();
    app.clock.advance(chrono::Duration::days(31));
    let res = get(&app, "/tokens/me", Some(&value)).await;
    assert_error(res, 403, "ForbiddenException", "Forbidden").await;
    let res = renew(&app, &admin, "monthly").await;
    assert_eq!(res.status(), 200);
    let body: Value = res.json().await.unwrap();
    let revived = body["refresh_token"].as_str().unwrap();
    assert_eq!(
        status_of(&app, &value).await,
        401,
        "the old value is unknown now"
    );
    assert_eq!(status_of(&app, revived).await, 200);
    assert_eq!(
        stored(&app, "monthly").expires_at.map(Timestamp::as_ms),
        Some(app.clock.now().as_ms() + 30 * DAY_MS)
    );
}

#[tokio::test]
async fn renew_needs_the_manage_scope_and_an_active_token_of_the_project() {
    let app = TestApp::spawn().await;
    let admin = app.token("ci-admin", "admin");
    let user = app.token("notebook", "user");
    let (other_id, _) = app.other_project("beta", "beta-owner@example.com");
    mlp_console::cli::create_token(&app.db(), &other_id, "beta-token", "user", None, None, None)
        .unwrap();
    let gone = api_token(&app, &admin, "gone", None, "USER").await;
    let res = delete(&app, "/tokens/gone", &admin).await;
    assert_eq!(res.status(), 204);

    let res = renew(&app, &user, "notebook").await;
    assert_error(res, 403, "ForbiddenException", MANAGE).await;
    for name in ["nope", "beta-token", "gone"] {
        let res = renew(&app, &admin, name).await;
        assert_error(res, 404, "NotFoundException", "token_name").await;
    }
    let res = post(&app, "/tokens/notebook/renew", None, &json!({})).await;
    assert_eq!(res.status(), 401);
    let res = get(&app, "/tokens/notebook/renew", Some(&admin)).await;
    assert_eq!(res.headers()["allow"], "POST, OPTIONS");
    assert_error(res, 405, "MethodNotAllowedException", "method").await;

    assert_eq!(status_of(&app, &user).await, 200, "unchanged");
    assert_eq!(
        status_of(&app, gone["refresh_token"].as_str().unwrap()).await,
        401,
        "a deleted token stays dead"
    );
    assert!(audit(&app, event::TOKEN_RENEWED).is_empty());
}

#[tokio::test]
async fn simultaneous_api_renewals_never_hand_out_a_value_another_has_replaced() {
    let app = TestApp::spawn().await;
    let admin = app.token("ci-admin", "admin");
    let old = app.token("contested", "user");
    assert_eq!(status_of(&app, &old).await, 200);
    let mut calls = tokio::task::JoinSet::new();
    for _ in 0..20 {
        let request = reqwest::Client::new()
            .post(url(&app, "/tokens/contested/renew"))
            .bearer_auth(&admin);
        calls.spawn(async move { request.send().await.unwrap() });
    }
    let mut values = Vec::new();
    let mut refused = 0;
    while let Some(res) = calls.join_next().await {
        let res = res.unwrap();
        match res.status().as_u16() {
            200 => {
                let body: Value = res.json().await.unwrap();
                values.push(body["refresh_token"].as_str().unwrap().to_owned());
            }
            409 => {
                assert_error(res, 409, "ConflictException", RENEWED_MEANWHILE).await;
                refused += 1;
            }
            other => panic!("a renewal answered {other}"),
        }
    }
    assert!(!values.is_empty(), "one renewal wins");
    assert!(
        refused > 0,
        "the simultaneous ones are refused, not handed dead values"
    );
    // Asked first, while the old value may still sit in the verification cache.
    assert_eq!(status_of(&app, &old).await, 401);
    let mut working = 0;
    for value in &values {
        working += usize::from(status_of(&app, value).await == 200);
    }
    assert_eq!(working, 1, "only the last renewal's value works");
    assert_eq!(audit(&app, event::TOKEN_RENEWED).len(), values.len());
}

#[tokio::test]
async fn patch_sets_and_removes_the_description_and_answers_the_token() {
    let app = TestApp::spawn().await;
    let admin = app.token("ci-admin", "admin");
    let made = api_token(&app, &admin, "spark", Some("7d"), "USER").await;

    let res = patch(
        &app,
        &admin,
        "spark",
        r#"{"description": "  Spark job gateway  "}"#,
    )
    .await;
    assert_eq!(res.status(), 200);
    assert!(
        res.headers().get("cache-control").is_none(),
        "no secret in it"
    );
    let body: Value = res.json().await.unwrap();
    // The same shape as an element of get_project_tokens_info.
    let list: Value = get(&app, "/tokens", Some(&admin))
        .await
        .json()
        .await
        .unwrap();
    let listed = list["tokens"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["name"] == "spark")
        .unwrap()
        .clone();
    let keys = |v: &Value| {
        let mut keys: Vec<String> = v.as_object().unwrap().keys().cloned().collect();
        keys.sort();
        keys
    };
    assert_eq!(keys(&body), keys(&listed));
    assert_eq!(body, listed);
    assert_eq!(body["id"], made["id"]);
    assert_eq!(body["description"], "Spark job gateway");
    assert_eq!(body["type"], "USER");
    assert_eq!(body["exp"], made["expires_at"]);
    assert_eq!(
        stored(&app, "spark").description.as_deref(),
        Some("Spark job gateway")
    );

    // Unchanged text is no event; null and blank remove it.
    let res = patch(
        &app,
        &admin,
        "spark",
        r#"{"description": "Spark job gateway"}"#,
    )
    .await;
    assert_eq!(res.status(), 200);
    let res = patch(&app, &admin, "spark", r#"{"description": null}"#).await;
    assert_eq!(res.status(), 200);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["description"], Value::Null);
    assert_eq!(stored(&app, "spark").description, None);
    let res = patch(&app, &admin, "spark", r#"{"description": "back"}"#).await;
    assert_eq!(res.status(), 200);
    let res = patch(&app, &admin, "spark", r#"{"description": ""}"#).await;
    assert_eq!(res.status(), 200);
    assert_eq!(stored(&app, "spark").description, None);

    let actor = |detail: &str| {
        (
            "ci-admin".to_owned(),
            Some("spark".to_owned()),
            Some(detail.to_owned()),
        )
    };
    assert_eq!(
        audit(&app, event::TOKEN_DESCRIPTION_CHANGED),
        [
            actor("added"),
            actor("removed"),
            actor("added"),
            actor("removed")
        ]
    );

    // Names are path segments, percent-encoded like in delete.
    for (name, encoded) in [
        ("a/b", "a%2Fb"),
        ("with space", "with%20space"),
        ("ünï", "%C3%BCn%C3%AF"),
    ] {
        app.token(name, "user");
        let res = patch(&app, &admin, encoded, r#"{"description": "odd name"}"#).await;
        assert_eq!(res.status(), 200, "{encoded}");
        let res = renew(&app, &admin, encoded).await;
        assert_eq!(res.status(), 200, "{encoded}");
        let body: Value = res.json().await.unwrap();
        assert_eq!(body["name"], name);
        assert_eq!(stored(&app, name).description.as_deref(), Some("odd name"));
    }
}

#[tokio::test]
async fn patch_refuses_bad_descriptions_and_bodies_and_changes_nothing() {
    let app = TestApp::spawn().await;
    let admin = app.token("ci-admin", "admin");
    let user = app.token("notebook", "user");
    mlp_console::cli::create_token(
        &app.db(),
        &app.project_id,
        "spark",
        "user",
        None,
        None,
        Some("kept"),
    )
    .unwrap();

    let long = json!({ "description": "x".repeat(501) }).to_string();
    let res = patch(&app, &admin, "spark", &long).await;
    assert_error(
        res,
        400,
        "BadRequestException",
        "description: The description must be at most 500 characters (it has 501).",
    )
    .await;
    for control in ["a\nb", "bell\u{7}", "nul\u{0}"] {
        let body = json!({ "description": control }).to_string();
        let res = patch(&app, &admin, "spark", &body).await;
        assert_error(
            res,
            400,
            "BadRequestException",
            "description: The description must not contain control characters.",
        )
        .await;
    }
    let res = patch(
        &app,
        &admin,
        "spark",
        r#"{"description": "x", "name": "y"}"#,
    )
    .await;
    let field = error_field(res, 400, "BadRequestException").await;
    assert!(field.starts_with("name: unknown field"), "{field}");
    let res = patch(&app, &admin, "spark", "{}").await;
    assert_error(res, 400, "BadRequestException", "description: is required").await;
    let res = patch(&app, &admin, "spark", r#"{"description": 5}"#).await;
    let field = error_field(res, 400, "BadRequestException").await;
    assert!(field.starts_with("description: invalid type"), "{field}");
    let res = patch(&app, &admin, "spark", "not json").await;
    let field = error_field(res, 400, "BadRequestException").await;
    assert!(field.starts_with("body: "), "{field}");

    let res = patch(&app, &user, "spark", r#"{"description": "mine"}"#).await;
    assert_error(res, 403, "ForbiddenException", MANAGE).await;
    let res = patch(&app, &admin, "nope", r#"{"description": "mine"}"#).await;
    assert_error(res, 404, "NotFoundException", "token_name").await;
    let res = reqwest::Client::new()
        .patch(url(&app, "/tokens/spark"))
        .json(&json!({"description": "anonymous"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 401);

    assert_eq!(stored(&app, "spark").description.as_deref(), Some("kept"));
    assert!(audit(&app, event::TOKEN_DESCRIPTION_CHANGED).is_empty());

    // Exactly 500 characters are accepted.
    let max = json!({ "description": "é".repeat(500) }).to_string();
    assert_eq!(patch(&app, &admin, "spark", &max).await.status(), 200);
}

// ---------- What an ADMIN token minted ends with it ----------

/// An ADMIN token `minter` with one unused registration token and one already exchanged (whose
/// access token is returned), plus an independent ADMIN token `other` with an unused one of its own.
struct Minted {
    minter: String,
    unused: String,
    exchanged_access: String,
    other: String,
    others_unused: String,
}

async fn mint(app: &TestApp) -> Minted {
    let minter = app.token("leaky-admin", "admin");
    let other = app.token("other-admin", "admin");
    let unused = register(app, &minter, "spark", None, "USER").await;
    let used = register(app, &minter, "gateway", None, "USER").await;
    let res = exchange(app, &used).await;
    assert_eq!(res.status(), 201);
    let body: Value = res.json().await.unwrap();
    Minted {
        minter,
        unused,
        exchanged_access: body["refresh_token"].as_str().unwrap().to_owned(),
        other: other.clone(),
        others_unused: register(app, &other, "airflow", None, "USER").await,
    }
}

/// After the minter's deletion or renewal: its unused registration token is refused, the rest works.
async fn assert_only_the_minters_unused_registration_ended(app: &TestApp, m: &Minted) {
    // Ended like a deleted token (SPEC §6: 401), not like an expired one.
    assert_error(
        exchange(app, &m.unused).await,
        401,
        "UnauthorizedException",
        "Unauthorized",
    )
    .await;
    assert_eq!(
        status_of(app, &m.exchanged_access).await,
        200,
        "an exchanged registration's access token has a value of its own"
    );
    assert_eq!(
        exchange(app, &m.others_unused).await.status(),
        201,
        "another token's registration is untouched"
    );
}

#[tokio::test]
async fn deleting_an_admin_token_ends_the_registration_tokens_it_minted() {
    let app = TestApp::spawn().await;
    let m = mint(&app).await;

    assert_eq!(
        delete(&app, "/tokens/leaky-admin", &m.other).await.status(),
        204
    );

    assert_only_the_minters_unused_registration_ended(&app, &m).await;
}

#[tokio::test]
async fn renewing_an_admin_token_ends_what_its_old_value_minted_but_not_the_new_values() {
    let app = TestApp::spawn().await;
    let m = mint(&app).await;

    let res = renew(&app, &m.minter, "leaky-admin").await;
    assert_eq!(res.status(), 200);
    let body: Value = res.json().await.unwrap();
    let new = body["refresh_token"].as_str().unwrap().to_owned();

    assert_only_the_minters_unused_registration_ended(&app, &m).await;
    let fresh = register(&app, &new, "spark-again", None, "USER").await;
    assert_eq!(
        exchange(&app, &fresh).await.status(),
        201,
        "the new value mints working registration tokens"
    );
}

#[tokio::test]
async fn a_leak_report_of_an_admin_token_ends_the_registration_tokens_it_minted() {
    let app = TestApp::spawn().await;
    let m = mint(&app).await;

    let res = post(
        &app,
        "/tokens/revoke-leaked",
        None,
        &json!({ "token": m.minter }),
    )
    .await;
    assert_eq!(res.status(), 202);

    assert_eq!(status_of(&app, &m.minter).await, 401);
    assert_only_the_minters_unused_registration_ended(&app, &m).await;
}

//! Public leak reports, `POST /api/v1/tokens/revoke-leaked` (SPEC §9, issue 6 point 7).

use crate::common::TestApp;
use crate::helpers::*;
use diesel::prelude::*;
use mlp_console::db::schema::{access_tokens as t, audit_events as a};
use reqwest::header::HeaderMap;
use serde_json::{json, Value};

const ACCEPTED: &[u8] = br#"{"status":"accepted"}"#;

/// The whole answer to a report: status, headers, body bytes.
async fn report(app: &TestApp, body: &Value) -> (u16, HeaderMap, Vec<u8>) {
    let res = post(app, "/tokens/revoke-leaked", None, body).await;
    let status = res.status().as_u16();
    let headers = res.headers().clone();
    (status, headers, res.bytes().await.unwrap().to_vec())
}

async fn report_one(app: &TestApp, value: &str) -> (u16, HeaderMap, Vec<u8>) {
    report(app, &json!({ "token": value })).await
}

async fn me(app: &TestApp, value: &str) -> u16 {
    get(app, "/tokens/me", Some(value)).await.status().as_u16()
}

/// `(deleted_by, deleted_via)` of the token `name` of the app's project.
fn deletion(app: &TestApp, name: &str) -> (Option<String>, Option<String>) {
    let mut conn = app.db().conn().unwrap();
    t::table
        .filter(t::project_id.eq(&app.project_id))
        .filter(t::name.eq(name))
        .select((t::deleted_by, t::deleted_via))
        .first(&mut conn)
        .unwrap()
}

/// `(event, actor, target, client_ip, detail)` of the leak revocations, oldest first.
type Event = (
    String,
    String,
    Option<String>,
    Option<String>,
    Option<String>,
);

fn leak_events(app: &TestApp) -> Vec<Event> {
    let mut conn = app.db().conn().unwrap();
    a::table
        .filter(a::event.eq("token.leak_revoked"))
        .order(a::id.asc())
        .select((a::event, a::actor, a::target, a::client_ip, a::detail))
        .load(&mut conn)
        .unwrap()
}

fn bad_checksum(value: &str) -> String {
    let mut v = value.to_owned();
    let last = v.pop().unwrap();
    v.push(if last == 'a' { 'b' } else { 'a' });
    v
}

#[tokio::test]
async fn a_reported_value_stops_working_on_its_very_next_request() {
    let app = TestApp::spawn().await;
    let leaked = app.token("leaked-ci", "admin");
    // Verified once, so the next request would be answered from the cache.
    assert_eq!(me(&app, &leaked).await, 200);
    assert_eq!(me(&app, &leaked).await, 200);

    let (status, headers, body) = report_one(&app, &leaked).await;
    assert_eq!(status, 202);
    assert_eq!(headers["content-type"], "application/json");
    assert_eq!(body, ACCEPTED);

    assert_error(
        get(&app, "/tokens/me", Some(&leaked)).await,
        401,
        "UnauthorizedException",
        "Unauthorized",
    )
    .await;
    assert_eq!(
        deletion(&app, "leaked-ci"),
        (Some("leak report".into()), Some("leak report".into()))
    );
    assert_eq!(
        leak_events(&app),
        [(
            "token.leak_revoked".into(),
            "leak report".into(),
            Some("leaked-ci".into()),
            Some("127.0.0.1".into()),
            Some("leak report".into())
        )]
    );
}

#[tokio::test]
async fn every_report_gets_a_byte_identical_answer() {
    let app = TestApp::spawn().await;
    let admin = app.token("ci-admin", "admin");
    let valid = app.token("valid", "user");
    let registration = register(&app, &admin, "later", None, "USER").await;
    let cases = [
        ("valid", valid.clone()),
        ("already revoked", valid.clone()),
        ("unknown", unknown_access_token()),
        ("bad checksum", bad_checksum(&admin)),
        ("malformed", "not a token at all".to_owned()),
        ("empty", String::new()),
        ("registration", registration),
    ];
    let (_, first_headers, first_body) = report_one(&app, &cases[0].1).await;
    assert_eq!(first_body, ACCEPTED);
    let names = |h: &HeaderMap| {
        let mut names: Vec<String> = h
            .keys()
            .map(|k| k.as_str().to_owned())
            .filter(|k| k != "date")
            .collect();
        names.sort();
        names
    };
    for (what, value) in &cases[1..] {
        let (status, headers, body) = report_one(&app, value).await;
        assert_eq!(status, 202, "{what}");
        assert_eq!(body, first_body, "{what}: the same bytes");
        assert_eq!(
            names(&headers),
            names(&first_headers),
            "{what}: the same headers"
        );
        assert_eq!(headers["content-length"], first_headers["content-length"]);
    }
    assert_eq!(me(&app, &valid).await, 401);
    assert_eq!(
        me(&app, &admin).await,
        200,
        "a bad-checksum copy revokes nothing"
    );
}

#[tokio::test]
async fn a_list_revokes_every_valid_value_and_nothing_else() {
    let app = TestApp::spawn().await;
    let first = app.token("first", "user");
    let second = app.token("second", "admin");
    let kept = app.token("kept", "admin");
    let (beta, _) = app.other_project("beta", "beta@example.com");
    let foreign =
        mlp_console::cli::create_token(&app.db(), &beta, "beta-ci", "user", None, None, None)
            .unwrap();
    for value in [&first, &second, &kept, &foreign] {
        assert_eq!(me(&app, value).await, 200);
    }
    let (status, _, body) = report(
        &app,
        &json!({ "tokens": [
            first,
            format!("  {second}\n"),
            first,
            foreign,
            unknown_access_token(),
            bad_checksum(&kept),
            "garbage",
        ] }),
    )
    .await;
    assert_eq!((status, body.as_slice()), (202, ACCEPTED));
    for value in [&first, &second, &foreign] {
        assert_eq!(me(&app, value).await, 401);
    }
    assert_eq!(me(&app, &kept).await, 200);
    let targets: Vec<Option<String>> = leak_events(&app).into_iter().map(|e| e.2).collect();
    assert_eq!(
        targets,
        [
            Some("first".to_owned()),
            Some("second".to_owned()),
            Some("beta-ci".to_owned())
        ],
        "one event per revoked token, the duplicate included once"
    );
}

#[tokio::test]
async fn malformed_reports_are_refused_and_change_nothing() {
    let app = TestApp::spawn().await;
    let valid = app.token("valid", "user");
    let many: Vec<String> = std::iter::once(valid.clone())
        .chain((0..100).map(|_| unknown_access_token()))
        .collect();
    let cases = [
        (json!({ "token": valid, "tokens": [valid] }), "body: "),
        (json!({}), "token: is required"),
        (json!({ "token": null }), "token: must be a leaked value"),
        (
            json!({ "tokens": null }),
            "tokens: must be a list of 1 to 100 values",
        ),
        (json!({ "tokens": [] }), "tokens: must hold 1 to 100 values"),
        (
            json!({ "tokens": many }),
            "tokens: must hold 1 to 100 values",
        ),
        (
            json!({ "token": valid, "reason": "found on a forum" }),
            "reason: unknown field",
        ),
        (json!({ "token": 5 }), "token: invalid type"),
        (json!({ "tokens": valid }), "tokens: invalid type"),
        (json!([valid]), "body: must be a JSON object"),
    ];
    for (body, field) in cases {
        let res = post(&app, "/tokens/revoke-leaked", None, &body).await;
        let got = error_field(res, 400, "BadRequestException").await;
        assert!(got.starts_with(field), "{body}: {got}");
    }
    let res = reqwest::Client::new()
        .post(url(&app, "/tokens/revoke-leaked"))
        .header("content-type", "text/plain")
        .body(valid.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 400);
    assert_eq!(me(&app, &valid).await, 200, "nothing was revoked");
    assert!(leak_events(&app).is_empty());
}

#[tokio::test]
async fn reports_are_limited_per_client_address_before_any_work() {
    let app = TestApp::spawn().await;
    let valid = app.token("valid", "user");
    let mut sent = Vec::new();
    for _ in 0..60 {
        let app_url = url(&app, "/tokens/revoke-leaked");
        sent.push(tokio::spawn(async move {
            reqwest::Client::new()
                .post(app_url)
                .json(&json!({ "token": "mlpat_unknown" }))
                .send()
                .await
                .unwrap()
                .status()
                .as_u16()
        }));
    }
    for answer in sent {
        assert_eq!(answer.await.unwrap(), 202);
    }
    let res = post(
        &app,
        "/tokens/revoke-leaked",
        None,
        &json!({ "token": valid }),
    )
    .await;
    let retry_after: u64 = res.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=60).contains(&retry_after), "{retry_after}");
    assert_error(res, 429, "TooManyRequestsException", "token").await;
    assert_eq!(
        me(&app, &valid).await,
        200,
        "a refused report revokes nothing"
    );
    // A refused body is not even read: a malformed one gets the same 429.
    let res = post(
        &app,
        "/tokens/revoke-leaked",
        None,
        &json!({ "nonsense": 1 }),
    )
    .await;
    assert_eq!(res.status(), 429);
}

#[tokio::test]
async fn an_unused_registration_token_reported_leaked_can_no_longer_be_exchanged() {
    let app = TestApp::spawn().await;
    let admin = app.token("ci-admin", "admin");
    let unused = register(&app, &admin, "spark", None, "USER").await;
    let used = register(&app, &admin, "gateway", None, "USER").await;
    let made = exchange(&app, &used).await;
    assert_eq!(made.status(), 201);
    let made: Value = made.json().await.unwrap();
    let made = made["refresh_token"].as_str().unwrap().to_owned();

    let (status, _, body) = report(&app, &json!({ "tokens": [unused, used] })).await;
    assert_eq!((status, body.as_slice()), (202, ACCEPTED));
    // Ended like a deleted token (SPEC §6: 401), not like an expired one.
    assert_error(
        exchange(&app, &unused).await,
        401,
        "UnauthorizedException",
        "Unauthorized",
    )
    .await;
    assert_eq!(
        me(&app, &made).await,
        200,
        "a used registration token's access token has a value of its own"
    );
    assert_eq!(
        leak_events(&app),
        [(
            "token.leak_revoked".into(),
            "leak report".into(),
            Some("spark".into()),
            Some("127.0.0.1".into()),
            Some("registration token".into())
        )]
    );
}

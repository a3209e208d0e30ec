//! The API's contract where a property-based fuzzer (schemathesis, `scripts/fuzz-api`) found it loose
//! (issue 11): every error names its field, every name routes, every method answers.

use crate::common::TestApp;
use crate::helpers::*;
use serde_json::{json, Value};

fn registration(client_name: &str) -> Value {
    json!({"client_name": client_name, "access_ttl": "1h", "token_type": "USER"})
}

async fn post_raw(app: &TestApp, path: &str, token: &str, body: &[u8]) -> reqwest::Response {
    reqwest::Client::new()
        .post(url(app, path))
        .bearer_auth(token)
        .header("content-type", "application/json")
        .body(body.to_vec())
        .send()
        .await
        .unwrap()
}

async fn bad_request(res: reqwest::Response) -> String {
    error_field(res, 400, "BadRequestException").await
}

#[tokio::test]
async fn a_token_type_that_is_not_a_string_is_named() {
    let app = TestApp::spawn().await;
    let admin = app.token("ci-admin", "admin");
    for value in [
        json!(null),
        json!(7),
        json!(true),
        json!([]),
        json!({}),
        json!({"ADMIN": null}),
    ] {
        let body = json!({"client_name": "svc", "access_ttl": "1h", "token_type": value});
        let field = bad_request(post(&app, "/register-tokens", Some(&admin), &body).await).await;
        assert!(
            field.starts_with("token_type: invalid type") && field.contains(r#""USER" or "ADMIN""#),
            "{value}: {field}"
        );
    }
    let made: i64 = {
        use diesel::prelude::*;
        mlp_console::db::schema::registration_tokens::table
            .count()
            .get_result(&mut *app.db().conn().unwrap())
            .unwrap()
    };
    assert_eq!(made, 0, "nothing was made");
}

#[tokio::test]
async fn a_repeated_key_and_a_byte_order_mark_say_what_is_wrong() {
    let app = TestApp::spawn().await;
    let admin = app.token("ci-admin", "admin");
    let repeated =
        br#"{"client_name": "a", "client_name": "b", "access_ttl": "1h", "token_type": "USER"}"#;
    let field = bad_request(post_raw(&app, "/register-tokens", &admin, repeated).await).await;
    assert_eq!(field, "client_name: is given more than once");
    let mut with_bom = "\u{FEFF}".as_bytes().to_vec();
    with_bom.extend_from_slice(registration("svc").to_string().as_bytes());
    let field = bad_request(post_raw(&app, "/register-tokens", &admin, &with_bom).await).await;
    assert!(
        field.starts_with("body: starts with a byte-order mark"),
        "{field}"
    );
}

#[tokio::test]
async fn unknown_keys_are_echoed_escaped_and_cut() {
    let app = TestApp::spawn().await;
    let admin = app.token("ci-admin", "admin");
    let long = "k".repeat(500);
    for (key, shown) in [
        ("\u{8f}", r"\u{8f}".to_owned()),
        ("", r#""""#.to_owned()),
        ("a\u{202E}b", r"a\u{202e}b".to_owned()),
        (long.as_str(), format!("{}…", "k".repeat(64))),
    ] {
        let mut body = registration("svc");
        body[key] = json!(1);
        let field = bad_request(post(&app, "/register-tokens", Some(&admin), &body).await).await;
        assert!(
            field.starts_with(&format!("{shown}: unknown field")),
            "{key:?}: {field}"
        );
    }
}

#[tokio::test]
async fn route_words_are_never_token_names_and_their_routes_answer_alike() {
    let app = TestApp::spawn().await;
    let admin = app.token("ci-admin", "admin");
    for word in ["me", "revoke-leaked"] {
        // Not a name anywhere: the API's registration, as the console and the CLI (their own tests).
        let field =
            bad_request(post(&app, "/register-tokens", Some(&admin), &registration(word)).await)
                .await;
        assert!(
            field.starts_with(&format!("client_name: “{word}” is reserved")),
            "{field}"
        );
        let allow = if word == "me" {
            "GET, HEAD, OPTIONS"
        } else {
            "POST, OPTIONS"
        };
        // Each route that takes a name: the word's own route says which methods it has…
        for method in [reqwest::Method::PATCH, reqwest::Method::DELETE] {
            let res = reqwest::Client::new()
                .request(method.clone(), url(&app, &format!("/tokens/{word}")))
                .bearer_auth(&admin)
                .json(&json!({"description": "x"}))
                .send()
                .await
                .unwrap();
            assert_eq!(res.headers()["allow"], allow, "{method} {word}");
            assert_error(res, 405, "MethodNotAllowedException", "method").await;
        }
        // …and renewing it is renewing a token that cannot exist.
        let res = post(
            &app,
            &format!("/tokens/{word}/renew"),
            Some(&admin),
            &json!({}),
        )
        .await;
        assert_error(res, 404, "NotFoundException", "token_name").await;
    }
    // The words' own routes still work.
    assert_eq!(get(&app, "/tokens/me", Some(&admin)).await.status(), 200);
    let res = post(
        &app,
        "/tokens/revoke-leaked",
        None,
        &json!({"token": "mlpat_x"}),
    )
    .await;
    assert_eq!(res.status(), 202);
}

#[tokio::test]
async fn head_answers_wherever_get_does_and_options_lists_the_methods() {
    let app = TestApp::spawn().await;
    let admin = app.token("ci-admin", "admin");
    let client = reqwest::Client::new();
    for path in ["/tokens/me", "/tokens", "/openapi.json"] {
        let get = client
            .get(url(&app, path))
            .bearer_auth(&admin)
            .send()
            .await
            .unwrap();
        let head = client
            .head(url(&app, path))
            .bearer_auth(&admin)
            .send()
            .await
            .unwrap();
        assert_eq!(head.status(), 200, "HEAD {path}");
        assert_eq!(
            head.headers()["content-type"],
            get.headers()["content-type"]
        );
        assert!(
            head.text().await.unwrap().is_empty(),
            "HEAD {path} has no body"
        );
    }
    let res = client.head(url(&app, "/tokens/me")).send().await.unwrap();
    assert_eq!(res.status(), 401, "HEAD needs the token GET needs");
    for (path, allow) in [
        ("/tokens/me", "GET, HEAD, OPTIONS"),
        ("/tokens/some-name", "PATCH, DELETE, OPTIONS"),
        ("/tokens/some-name/renew", "POST, OPTIONS"),
        ("/register-tokens", "POST, OPTIONS"),
        ("/tokens/revoke-leaked", "POST, OPTIONS"),
    ] {
        let res = client
            .request(reqwest::Method::OPTIONS, url(&app, path))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 204, "OPTIONS {path}");
        assert_eq!(res.headers()["allow"], allow, "OPTIONS {path}");
    }
    let res = client
        .request(reqwest::Method::OPTIONS, url(&app, "/nope"))
        .send()
        .await
        .unwrap();
    assert_error(res, 404, "NotFoundException", "path").await;
}

#[tokio::test]
async fn names_that_render_as_nothing_or_as_other_text_are_refused_and_names_are_nfc() {
    let app = TestApp::spawn().await;
    let admin = app.token("ci-admin", "admin");
    for (name, why) in [
        ("\u{200B}", "must start and end with a visible character"),
        ("\u{FEFF}svc", "must start and end with a visible character"),
        ("gpu\u{202E}txt.exe", "must not contain bidirectional"),
    ] {
        let field =
            bad_request(post(&app, "/register-tokens", Some(&admin), &registration(name)).await)
                .await;
        assert!(
            field.starts_with("client_name: ") && field.contains(why),
            "{name:?}: {field}"
        );
    }
    // `é` typed as e + combining accent is the same name as the precomposed one.
    app.token("cafe\u{301}", "user");
    let list: Value = get(&app, "/tokens", Some(&admin))
        .await
        .json()
        .await
        .unwrap();
    assert!(list["tokens"]
        .as_array()
        .unwrap()
        .iter()
        .any(|t| t["name"] == "caf\u{E9}"));
    let res = delete(&app, "/tokens/caf%C3%A9", &admin).await;
    assert_eq!(res.status(), 204);
}

#[tokio::test]
async fn durations_far_beyond_the_limit_say_the_limit() {
    let app = TestApp::spawn().await;
    let admin = app.token("ci-admin", "admin");
    for (field, value, expected) in [
        (
            "access_ttl",
            "9223372036854775807s",
            "access_ttl: must be at most 30d",
        ),
        (
            "access_ttl",
            "99999999999999999999999d",
            "access_ttl: must be at most 30d",
        ),
        (
            "refresh_ttl",
            "9223372036854775807s",
            "refresh_ttl: must be at most 3650d",
        ),
    ] {
        let mut body = registration("svc");
        body[field] = json!(value);
        let got = bad_request(post(&app, "/register-tokens", Some(&admin), &body).await).await;
        assert_eq!(got, expected);
    }
}

#[tokio::test]
async fn two_authorization_headers_are_refused() {
    let app = TestApp::spawn().await;
    let admin = app.token("ci-admin", "admin");
    let user = app.token("ci-user", "user");
    for path in ["/tokens/me", "/tokens"] {
        let res = reqwest::Client::new()
            .get(url(&app, path))
            .header("authorization", format!("Bearer {admin}"))
            .header("authorization", format!("Bearer {user}"))
            .send()
            .await
            .unwrap();
        assert_error(
            res,
            401,
            "UnauthorizedException",
            "Authorization header is given more than once",
        )
        .await;
    }
}

#[tokio::test]
async fn a_long_path_gets_the_json_error() {
    let app = TestApp::spawn().await;
    let admin = app.token("ci-admin", "admin");
    let long = format!("/tokens/{}", "x".repeat(6000));
    let res = delete(&app, &long, &admin).await;
    assert_error(res, 404, "NotFoundException", "token_name").await;
    let res = get(&app, &format!("/{}", "y".repeat(6000)), Some(&admin)).await;
    assert_error(res, 404, "NotFoundException", "path").await;
}

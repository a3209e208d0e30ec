//! Every row of SPEC §6's error table: status, errorCode and field.

use crate::common::TestApp;
use crate::helpers::*;
use mlp_console::domain::{SecretKind, SecretValue};
use serde_json::json;

#[tokio::test]
async fn missing_or_malformed_authorization_is_401_saying_what_is_missing() {
    let app = TestApp::spawn().await;
    let res = get(&app, "/tokens/me", None).await;
    assert!(res.headers().contains_key("www-authenticate"));
    assert_error(
        res,
        401,
        "UnauthorizedException",
        "Authorization header is missing",
    )
    .await;
    let admin = app.token("ci-admin", "admin");
    for (header, field) in [
        (
            format!("Basic {admin}"),
            "Authorization header must be 'Bearer <token>'",
        ),
        (
            admin.clone(),
            "Authorization header must be 'Bearer <token>'",
        ),
        ("Bearer".to_owned(), "bearer token is missing"),
        ("Bearer    ".to_owned(), "bearer token is missing"),
    ] {
        let res = reqwest::Client::new()
            .get(url(&app, "/tokens/me"))
            .header("Authorization", header)
            .send()
            .await
            .unwrap();
        assert_error(res, 401, "UnauthorizedException", field).await;
    }
    // The scheme is case-insensitive (RFC 7235).
    let res = reqwest::Client::new()
        .get(url(&app, "/tokens/me"))
        .header("Authorization", format!("bearer {admin}"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
}

#[tokio::test]
async fn unknown_bad_checksum_or_registration_token_as_bearer_is_401_unauthorized() {
    let app = TestApp::spawn().await;
    let admin = app.token("ci-admin", "admin");
    let mut tampered = admin.clone().into_bytes();
    tampered[20] = if tampered[20] == b'a' { b'b' } else { b'a' };
    let tampered = String::from_utf8(tampered).unwrap();
    let registration = register(&app, &admin, "svc", None, "USER").await;
    for value in [
        unknown_access_token(),
        tampered,
        registration,
        "mlpat_short".to_owned(),
        format!("{admin}x"),
    ] {
        let res = get(&app, "/tokens/me", Some(&value)).await;
        assert_error(res, 401, "UnauthorizedException", "Unauthorized").await;
    }
}

#[tokio::test]
async fn unknown_or_bad_checksum_registration_token_in_an_exchange_is_401_unauthorized() {
    let app = TestApp::spawn().await;
    let admin = app.token("ci-admin", "admin");
    let unknown = SecretValue::generate(SecretKind::Registration);
    let real = register(&app, &admin, "svc", None, "USER").await;
    let mut tampered = real.into_bytes();
    tampered[30] = if tampered[30] == b'Z' { b'Y' } else { b'Z' };
    let tampered = String::from_utf8(tampered).unwrap();
    for value in [
        unknown.expose(),
        tampered.as_str(),
        admin.as_str(),
        "nonsense",
    ] {
        let res = exchange(&app, value).await;
        assert_error(res, 401, "UnauthorizedException", "Unauthorized").await;
    }
}

#[tokio::test]
async fn expired_access_token_is_403_forbidden() {
    let app = TestApp::spawn().await;
    let admin = app.token("ci-admin", "admin");
    let made = api_token(&app, &admin, "short-lived", Some("1h"), "ADMIN").await;
    let value = made["refresh_token"].as_str().unwrap();
    assert_eq!(get(&app, "/tokens/me", Some(value)).await.status(), 200);
    app.clock.advance(chrono::Duration::minutes(61));
    let res = get(&app, "/tokens/me", Some(value)).await;
    assert!(res.headers().contains_key("mlp-token-expiration"));
    assert_error(res, 403, "ForbiddenException", "Forbidden").await;
    let res = get(&app, "/tokens", Some(value)).await;
    assert_error(res, 403, "ForbiddenException", "Forbidden").await;
    // A token made by the CLI with a lifetime expires the same way.
    let cli = mlp_console::cli::create_token(
        &app.db(),
        &app.project_id,
        "cli-expiring",
        "user",
        Some("30m"),
        None,
        None,
    )
    .unwrap();
    app.clock.advance(chrono::Duration::minutes(31));
    let res = get(&app, "/tokens/me", Some(&cli)).await;
    assert_error(res, 403, "ForbiddenException", "Forbidden").await;
}

#[tokio::test]
async fn expired_registration_token_is_403_forbidden() {
    let app = TestApp::spawn().await;
    let admin = app.token("ci-admin", "admin");
    let res = create_register_token(&app, &admin, "late", "10m", None, "USER").await;
    assert_eq!(res.status(), 201);
    let body: serde_json::Value = res.json().await.unwrap();
    let reg = body["register_token"].as_str().unwrap().to_owned();
    app.clock.advance(chrono::Duration::minutes(10));
    assert_error(
        exchange(&app, &reg).await,
        403,
        "ForbiddenException",
        "Forbidden",
    )
    .await;
}

#[tokio::test]
async fn user_token_gets_403_with_the_manage_scope_message_on_every_admin_call() {
    let app = TestApp::spawn().await;
    let user = app.token("ci-user", "user");
    app.token("victim", "user");
    let res = create_register_token(&app, &user, "svc", "1h", None, "USER").await;
    assert_error(res, 403, "ForbiddenException", MANAGE).await;
    assert_error(
        get(&app, "/tokens", Some(&user)).await,
        403,
        "ForbiddenException",
        MANAGE,
    )
    .await;
    let res = delete(&app, "/tokens/victim", &user).await;
    assert_error(res, 403, "ForbiddenException", MANAGE).await;
    // Nothing changed: the victim is still there.
    let admin = app.token("ci-admin", "admin");
    let list: serde_json::Value = get(&app, "/tokens", Some(&admin))
        .await
        .json()
        .await
        .unwrap();
    assert!(list["tokens"]
        .as_array()
        .unwrap()
        .iter()
        .any(|t| t["name"] == "victim"));
    // who_am_i needs no scope beyond Use.
    assert_eq!(get(&app, "/tokens/me", Some(&user)).await.status(), 200);
}

#[tokio::test]
async fn a_user_token_is_refused_for_its_role_before_anything_about_its_body() {
    let app = TestApp::spawn().await;
    let user = app.token("ci-user", "user");
    app.token("victim", "user");
    let send = |method: reqwest::Method, path: &str, content_type: &str, body: &str| {
        reqwest::Client::new()
            .request(method, url(&app, path))
            .bearer_auth(&user)
            .header("content-type", content_type)
            .body(body.to_owned())
            .send()
    };
    for (method, path) in [
        (reqwest::Method::POST, "/register-tokens"),
        (reqwest::Method::PATCH, "/tokens/victim"),
    ] {
        for (content_type, body) in [
            ("application/json", "{not json"),
            ("application/json", r#"{"colour": 1}"#),
            ("text/plain", "hello"),
        ] {
            let res = send(method.clone(), path, content_type, body)
                .await
                .unwrap();
            assert_error(res, 403, "ForbiddenException", MANAGE).await;
        }
        let big = format!(r#"{{"description": "{}"}}"#, "x".repeat(70 * 1024));
        let res = send(method.clone(), path, "application/json", &big)
            .await
            .unwrap();
        assert_error(res, 403, "ForbiddenException", MANAGE).await;
    }
}

#[tokio::test]
async fn registration_token_already_used_is_403() {
    let app = TestApp::spawn().await;
    let admin = app.token("ci-admin", "admin");
    let reg = register(&app, &admin, "once", None, "USER").await;
    assert_eq!(exchange(&app, &reg).await.status(), 201);
    let res = exchange(&app, &reg).await;
    assert_error(
        res,
        403,
        "ForbiddenException",
        "register token already used",
    )
    .await;
}

#[tokio::test]
async fn bad_json_duration_name_type_and_unknown_field_are_400_naming_the_field() {
    let app = TestApp::spawn().await;
    let admin = app.token("ci-admin", "admin");
    let base = json!({"client_name": "svc", "access_ttl": "1h", "token_type": "USER"});
    let with = |key: &str, value: serde_json::Value| {
        let mut body = base.clone();
        body[key] = value;
        body
    };
    let without = |key: &str| {
        let mut body = base.clone();
        body.as_object_mut().unwrap().remove(key);
        body
    };
    let cases = [
        (
            with("access_ttl", json!("2x")),
            "access_ttl: must be a duration",
        ),
        (
            with("access_ttl", json!("721h")),
            "access_ttl: must be at most 30d",
        ),
        (
            with("access_ttl", json!("0s")),
            "access_ttl: must be greater than zero",
        ),
        (with("access_ttl", json!("")), "access_ttl: is empty"),
        (
            with("access_ttl", json!(3600)),
            "access_ttl: invalid type: integer",
        ),
        (
            with("refresh_ttl", json!("87601h")),
            "refresh_ttl: must be at most",
        ),
        (
            with("refresh_ttl", json!("30m2h")),
            "refresh_ttl: must be a duration",
        ),
        (
            with("client_name", json!("   ")),
            "client_name: Enter a name.",
        ),
        (
            with("client_name", json!("a".repeat(101))),
            "client_name: The name must be at most 100",
        ),
        (
            with("client_name", json!("a\u{7}b")),
            "client_name: The name must not contain control",
        ),
        (
            with("token_type", json!("ROOT")),
            "token_type: unknown variant `ROOT`",
        ),
        (
            with("token_type", json!("user")),
            "token_type: unknown variant `user`",
        ),
        (with("colour", json!("blue")), "colour: unknown field"),
        (without("access_ttl"), "access_ttl: is required"),
        (without("token_type"), "token_type: is required"),
        (json!([1, 2]), "body: must be a JSON object"),
    ];
    for (body, expected) in cases {
        let res = post(&app, "/register-tokens", Some(&admin), &body).await;
        let field = error_field(res, 400, "BadRequestException").await;
        assert!(
            field.starts_with(expected),
            "{body}: {field:?} should start with {expected:?}"
        );
    }
    let res = post(
        &app,
        "/refresh-tokens",
        None,
        &json!({"register_token": "x", "extra": 1}),
    )
    .await;
    let field = error_field(res, 400, "BadRequestException").await;
    assert!(field.starts_with("extra: unknown field"), "{field}");
    // Broken JSON and a wrong content type.
    let c = reqwest::Client::new();
    let res = c
        .post(url(&app, "/register-tokens"))
        .bearer_auth(&admin)
        .header("Content-Type", "application/json")
        .body(r#"{"client_name": "svc","#)
        .send()
        .await
        .unwrap();
    let field = error_field(res, 400, "BadRequestException").await;
    assert!(field.starts_with("body: is not valid JSON"), "{field}");
    let res = c
        .post(url(&app, "/refresh-tokens"))
        .header("Content-Type", "text/plain")
        .body(r#"{"register_token": "x"}"#)
        .send()
        .await
        .unwrap();
    assert_error(
        res,
        400,
        "BadRequestException",
        "body: Content-Type must be application/json",
    )
    .await;
    let res = c
        .post(url(&app, "/refresh-tokens"))
        .form(&[("register_token", "x")])
        .send()
        .await
        .unwrap();
    assert_error(
        res,
        400,
        "BadRequestException",
        "body: Content-Type must be application/json",
    )
    .await;
    // Nothing was created by any of these.
    let list: serde_json::Value = get(&app, "/tokens", Some(&admin))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(list["tokens"].as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn name_taken_is_409_when_registering_and_when_exchanging() {
    let app = TestApp::spawn().await;
    let admin = app.token("ci-admin", "admin");
    app.token("taken", "user");
    let res = create_register_token(&app, &admin, "taken", "1h", None, "USER").await;
    assert_error(res, 409, "ConflictException", "client_name").await;
    // The registration check trims like the console does.
    let res = create_register_token(&app, &admin, "  taken ", "1h", None, "USER").await;
    assert_error(res, 409, "ConflictException", "client_name").await;

    let reg = register(&app, &admin, "later-taken", None, "USER").await;
    app.token("later-taken", "user");
    assert_error(
        exchange(&app, &reg).await,
        409,
        "ConflictException",
        "client_name",
    )
    .await;
    // The failed exchange did not use up the registration token: free the name and retry.
    assert_eq!(
        delete(&app, "/tokens/later-taken", &admin).await.status(),
        204
    );
    assert_eq!(exchange(&app, &reg).await.status(), 201);
}

#[tokio::test]
async fn unknown_token_name_in_delete_is_404_token_name() {
    let app = TestApp::spawn().await;
    let admin = app.token("ci-admin", "admin");
    let res = delete(&app, "/tokens/nobody", &admin).await;
    assert_error(res, 404, "NotFoundException", "token_name").await;
    // A token of another project is just as unknown.
    let (other, _) = app.other_project("beta", "beta-owner@example.com");
    mlp_console::cli::create_token(&app.db(), &other, "theirs", "user", None, None, None).unwrap();
    let res = delete(&app, "/tokens/theirs", &admin).await;
    assert_error(res, 404, "NotFoundException", "token_name").await;
}

#[tokio::test]
async fn body_over_64_kib_is_413_body() {
    let app = TestApp::spawn().await;
    let admin = app.token("ci-admin", "admin");
    let big =
        json!({"client_name": "x".repeat(65 * 1024), "access_ttl": "1h", "token_type": "USER"});
    let res = post(&app, "/register-tokens", Some(&admin), &big).await;
    assert_error(res, 413, "PayloadTooLargeException", "body").await;
    let res = post(
        &app,
        "/refresh-tokens",
        None,
        &json!({"register_token": "x".repeat(65 * 1024)}),
    )
    .await;
    assert_error(res, 413, "PayloadTooLargeException", "body").await;
    // Without a Content-Length (chunked), the limit holds while reading.
    let port = app.port;
    let answer =
        tokio::task::spawn_blocking(move || chunked_post(port, "/api/v1/refresh-tokens", 65))
            .await
            .unwrap();
    assert!(answer.starts_with("HTTP/1.1 413"), "{answer}");
    assert!(
        answer.contains(r#""errorCode":"PayloadTooLargeException""#),
        "{answer}"
    );
    assert!(answer.contains(r#""field":"body""#), "{answer}");
    // Just under the limit is read (and then judged on its content).
    let near = json!({"register_token": "x".repeat(60 * 1024)});
    let res = post(&app, "/refresh-tokens", None, &near).await;
    assert_error(res, 401, "UnauthorizedException", "Unauthorized").await;
}

#[tokio::test]
async fn unknown_route_is_404_path_and_wrong_method_is_json_too() {
    let app = TestApp::spawn().await;
    let admin = app.token("ci-admin", "admin");
    for path in ["/nope", "/", "", "/tokens/me/extra", "/register-tokens/x"] {
        let res = get(&app, path, Some(&admin)).await;
        assert_error(res, 404, "NotFoundException", "path").await;
    }
    let res = reqwest::Client::new()
        .put(url(&app, "/tokens"))
        .bearer_auth(&admin)
        .send()
        .await
        .unwrap();
    assert_eq!(res.headers()["allow"], "GET, HEAD, OPTIONS");
    assert_error(res, 405, "MethodNotAllowedException", "method").await;
    let res = get(&app, "/register-tokens", Some(&admin)).await;
    assert_error(res, 405, "MethodNotAllowedException", "method").await;
    // The console's routes are untouched.
    let res = reqwest::Client::new()
        .get(app.url("/livez"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
}

/// Sends `kib` KiB of spaces as a chunked JSON body over a raw connection and returns the answer's text.
fn chunked_post(port: u16, path: &str, kib: usize) -> String {
    use std::io::{Read, Write};
    let mut stream = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
    stream
        .set_read_timeout(Some(std::time::Duration::from_secs(10)))
        .unwrap();
    let head = format!(
        "POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n\
         Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
    );
    stream.write_all(head.as_bytes()).unwrap();
    let chunk = format!("400\r\n{}\r\n", " ".repeat(1024));
    for _ in 0..kib {
        // The server may answer and close before the whole body is sent.
        if stream.write_all(chunk.as_bytes()).is_err() {
            break;
        }
    }
    let _ = stream.write_all(b"0\r\n\r\n");
    let mut answer = Vec::new();
    let _ = stream.read_to_end(&mut answer);
    String::from_utf8_lossy(&answer).into_owned()
}

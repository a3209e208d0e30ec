//! Calls of the API as the client library makes them, and assertions on SPEC §6's error shape.

use crate::common::TestApp;
use reqwest::Response;
use serde_json::{json, Value};

pub fn url(app: &TestApp, path: &str) -> String {
    app.url(&format!("/api/v1{path}"))
}

fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .timeout(std::time::Duration::from_secs(20))
        .build()
        .unwrap()
}

pub async fn get(app: &TestApp, path: &str, token: Option<&str>) -> Response {
    let mut req = client().get(url(app, path));
    if let Some(token) = token {
        req = req.bearer_auth(token);
    }
    req.send().await.unwrap()
}

pub async fn post(app: &TestApp, path: &str, token: Option<&str>, body: &Value) -> Response {
    let mut req = client().post(url(app, path)).json(body);
    if let Some(token) = token {
        req = req.bearer_auth(token);
    }
    req.send().await.unwrap()
}

pub async fn delete(app: &TestApp, path: &str, token: &str) -> Response {
    client()
        .delete(url(app, path))
        .bearer_auth(token)
        .send()
        .await
        .unwrap()
}

/// Asserts SPEC §6's error shape and returns its `field`.
pub async fn error_field(res: Response, status: u16, code: &str) -> String {
    assert_eq!(res.status().as_u16(), status, "status");
    assert_eq!(
        res.headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok()),
        Some("application/json"),
        "content type of an error"
    );
    let body: Value = res.json().await.expect("a JSON error body");
    assert_eq!(body["status"], status, "{body}");
    assert_eq!(body["errorCode"], code, "{body}");
    let object = body.as_object().unwrap();
    assert_eq!(
        object.len(),
        3,
        "only status, errorCode, errorParams: {body}"
    );
    body["errorParams"]["field"]
        .as_str()
        .unwrap_or_else(|| panic!("errorParams.field is a string: {body}"))
        .to_owned()
}

/// Asserts the error shape with an exact `field`.
pub async fn assert_error(res: Response, status: u16, code: &str, field: &str) {
    assert_eq!(error_field(res, status, code).await, field);
}

pub const MANAGE: &str = "token does not contain the following scopes: ['ml-platform:Manage']";

/// create_register_token; returns the whole answer.
pub async fn create_register_token(
    app: &TestApp,
    admin: &str,
    client_name: &str,
    access_ttl: &str,
    refresh_ttl: Option<&str>,
    token_type: &str,
) -> Response {
    post(
        app,
        "/register-tokens",
        Some(admin),
        &json!({
            "client_name": client_name,
            "access_ttl": access_ttl,
            "refresh_ttl": refresh_ttl,
            "token_type": token_type,
        }),
    )
    .await
}

/// A registration token value, asserting success.
pub async fn register(
    app: &TestApp,
    admin: &str,
    client_name: &str,
    refresh_ttl: Option<&str>,
    token_type: &str,
) -> String {
    let res = create_register_token(app, admin, client_name, "1h", refresh_ttl, token_type).await;
    assert_eq!(res.status(), 201);
    let body: Value = res.json().await.unwrap();
    body["register_token"].as_str().unwrap().to_owned()
}

/// create_refresh_token.
pub async fn exchange(app: &TestApp, register_token: &str) -> Response {
    post(
        app,
        "/refresh-tokens",
        None,
        &json!({ "register_token": register_token }),
    )
    .await
}

/// A new access token made through the API, asserting success; returns the whole answer.
pub async fn api_token(
    app: &TestApp,
    admin: &str,
    name: &str,
    refresh_ttl: Option<&str>,
    token_type: &str,
) -> Value {
    let reg = register(app, admin, name, refresh_ttl, token_type).await;
    let res = exchange(app, &reg).await;
    assert_eq!(res.status(), 201);
    res.json().await.unwrap()
}

/// A syntactically valid access token value that no database holds.
pub fn unknown_access_token() -> String {
    mlp_console::domain::SecretValue::generate(mlp_console::domain::SecretKind::Access)
        .expose()
        .to_owned()
}

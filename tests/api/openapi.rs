//! The served OpenAPI document: valid JSON, OpenAPI 3, every route with its bodies and errors.

use crate::common::TestApp;
use crate::helpers::*;
use serde_json::Value;

#[tokio::test]
async fn the_openapi_document_is_served_without_auth_and_names_every_route() {
    let app = TestApp::spawn().await;
    let res = get(&app, "/openapi.json", None).await;
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["content-type"], "application/json");
    let doc: Value = res.json().await.expect("the document parses as JSON");
    assert!(
        doc["openapi"].as_str().unwrap().starts_with("3."),
        "{}",
        doc["openapi"]
    );
    assert!(doc["info"]["title"].is_string() && doc["info"]["version"].is_string());
    let routes = [
        ("/api/v1/register-tokens", "post", "201"),
        ("/api/v1/refresh-tokens", "post", "201"),
        ("/api/v1/tokens/me", "get", "200"),
        ("/api/v1/tokens", "get", "200"),
        ("/api/v1/tokens/{name}", "delete", "204"),
        ("/api/v1/tokens/revoke-leaked", "post", "202"),
        ("/api/v1/tokens/{name}", "patch", "200"),
        ("/api/v1/tokens/{name}/renew", "post", "200"),
        ("/api/v1/openapi.json", "get", "200"),
    ];
    let paths = doc["paths"].as_object().unwrap();
    let documented: std::collections::BTreeSet<_> = routes.iter().map(|(p, _, _)| *p).collect();
    assert_eq!(
        paths.len(),
        documented.len(),
        "{:?}",
        paths.keys().collect::<Vec<_>>()
    );
    for (path, method, ok) in routes {
        let op = &doc["paths"][path][method];
        assert!(op.is_object(), "{method} {path} is documented");
        assert!(
            op["responses"][ok].is_object(),
            "{method} {path} answers {ok}"
        );
        // Every error answer is described with the error shape.
        for (status, response) in op["responses"].as_object().unwrap() {
            if status.starts_with('4') {
                assert_eq!(
                    response["content"]["application/json"]["schema"]["$ref"],
                    "#/components/schemas/ErrorBody",
                    "{method} {path} {status}"
                );
            }
        }
    }
    for (path, method) in [
        ("/api/v1/register-tokens", "post"),
        ("/api/v1/refresh-tokens", "post"),
        ("/api/v1/tokens/revoke-leaked", "post"),
        ("/api/v1/tokens/{name}", "patch"),
    ] {
        let body = &doc["paths"][path][method]["requestBody"]["content"]["application/json"]
            ["schema"]["$ref"];
        assert!(body.is_string(), "{method} {path} has a request body");
    }
    // Operations carry the client library's method names.
    for (path, method, operation) in [
        ("/api/v1/register-tokens", "post", "create_register_token"),
        ("/api/v1/refresh-tokens", "post", "create_refresh_token"),
        ("/api/v1/tokens/me", "get", "who_am_i"),
        ("/api/v1/tokens", "get", "get_project_tokens_info"),
        ("/api/v1/tokens/{name}", "delete", "delete_token"),
        (
            "/api/v1/tokens/revoke-leaked",
            "post",
            "revoke_leaked_tokens",
        ),
        ("/api/v1/tokens/{name}", "patch", "update_token"),
        ("/api/v1/tokens/{name}/renew", "post", "renew_token"),
    ] {
        assert_eq!(doc["paths"][path][method]["operationId"], operation);
    }
    assert!(doc["paths"]["/api/v1/register-tokens"]["post"]["responses"]["409"].is_object());
    assert!(doc["paths"]["/api/v1/tokens/{name}"]["delete"]["responses"]["404"].is_object());
    let schemas = doc["components"]["schemas"].as_object().unwrap();
    for name in [
        "ErrorBody",
        "RegisterTokenRequest",
        "RegisterTokenResponse",
        "RefreshTokenRequest",
        "RefreshTokenResponse",
        "WhoAmI",
        "TokenList",
        "TokenInfo",
        "TokenType",
        "LeakReport",
        "LeakReportAccepted",
        "TokenPatch",
    ] {
        assert!(schemas.contains_key(name), "schema {name}");
    }
    // The public leak report needs no token and documents its rate limit.
    let leak = &doc["paths"]["/api/v1/tokens/revoke-leaked"]["post"];
    assert!(leak["security"].is_null(), "{}", leak["security"]);
    assert!(leak["responses"]["429"]["headers"]["Retry-After"].is_object());
    let error = &schemas["ErrorBody"]["properties"];
    assert!(
        error["status"].is_object()
            && error["errorCode"].is_object()
            && error["errorParams"].is_object()
    );
    assert_eq!(
        doc["components"]["securitySchemes"]["bearer"]["scheme"],
        "bearer"
    );
    // Every $ref points at a schema that exists.
    let text = doc.to_string();
    for part in text.split("\"$ref\":\"#/components/schemas/").skip(1) {
        let name = &part[..part.find('"').unwrap()];
        assert!(schemas.contains_key(name), "dangling $ref {name}");
    }
}

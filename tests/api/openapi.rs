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

/// What the server refuses, the document refuses too (schemathesis' positive-data check, issue 11).
#[tokio::test]
async fn the_documented_inputs_carry_the_servers_limits() {
    let app = TestApp::spawn().await;
    let doc: Value = get(&app, "/openapi.json", None).await.json().await.unwrap();
    let schemas = &doc["components"]["schemas"];
    let register = &schemas["RegisterTokenRequest"]["properties"];
    assert_eq!(register["client_name"]["minLength"], 1);
    assert_eq!(register["client_name"]["maxLength"], 100);
    let name_pattern = register["client_name"]["pattern"].as_str().unwrap();
    assert!(name_pattern.contains("me|revoke-leaked"), "{name_pattern}");
    for field in ["access_ttl", "refresh_ttl"] {
        let pattern = register[field]["pattern"].as_str().unwrap();
        assert!(
            pattern.starts_with('^') && pattern.ends_with('$'),
            "{field}: {pattern}"
        );
    }
    let description = &schemas["TokenPatch"]["properties"]["description"];
    assert_eq!(description["maxLength"], 500);
    assert!(description["pattern"].is_string());
    // A leak report is one of two shapes, closed to other keys.
    let shapes = schemas["LeakReport"]["oneOf"].as_array().unwrap();
    assert_eq!(shapes.len(), 2, "{}", schemas["LeakReport"]);
    let resolve = |shape: &Value| -> Value {
        match shape["$ref"].as_str() {
            Some(path) => schemas[path.rsplit('/').next().unwrap()].clone(),
            None => shape.clone(),
        }
    };
    let (one, many) = (resolve(&shapes[0]), resolve(&shapes[1]));
    assert_eq!(one["required"], serde_json::json!(["token"]));
    assert_eq!(one["additionalProperties"], false);
    assert_eq!(many["properties"]["tokens"]["minItems"], 1);
    assert_eq!(many["properties"]["tokens"]["maxItems"], 100);
    assert_eq!(many["additionalProperties"], false);
    // Renewal documents the answer to a lost race.
    assert!(doc["paths"]["/api/v1/tokens/{name}/renew"]["post"]["responses"]["409"].is_object());
}

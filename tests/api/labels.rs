//! Label selectors through the API (SPEC §13): set by create_register_token, given to the exchanged token,
//! returned by who_am_i, get_project_tokens_info and PATCH, kept by renew; bad values refused, nothing kept.

use crate::common::TestApp;
use crate::helpers::*;
use crate::lifecycle::{patch, renew};
use diesel::prelude::*;
use mlp_console::db::schema::registration_tokens;
use serde_json::{json, Value};

const SELECTOR: &str = "example.com/model=base";

async fn register_scoped(
    app: &TestApp,
    admin: &str,
    name: &str,
    selector: Value,
) -> reqwest::Response {
    post(
        app,
        "/register-tokens",
        Some(admin),
        &json!({
            "client_name": name,
            "access_ttl": "1h",
            "token_type": "USER",
            "label_selector": selector,
        }),
    )
    .await
}

/// The exchange's answer for the registration token of `res` (asserted 201).
async fn exchanged(app: &TestApp, res: reqwest::Response) -> Value {
    assert_eq!(res.status(), 201);
    let reg: Value = res.json().await.unwrap();
    exchange(app, reg["register_token"].as_str().unwrap())
        .await
        .json()
        .await
        .unwrap()
}

fn listed<'a>(list: &'a Value, name: &str) -> &'a Value {
    list["tokens"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["name"] == name)
        .unwrap_or_else(|| panic!("{name} in {list}"))
}

#[tokio::test]
async fn the_exchanged_token_carries_the_selector_everywhere_and_keeps_it_on_renewal() {
    let app = TestApp::spawn().await;
    let admin = app.token("ci-admin", "admin");

    let res = register_scoped(&app, &admin, "trainer", json!(SELECTOR)).await;
    let made = exchanged(&app, res).await;
    let value = made["refresh_token"].as_str().unwrap().to_owned();

    let me: Value = get(&app, "/tokens/me", Some(&value))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(me["label_selector"], SELECTOR);
    assert_eq!(me["id"], made["id"]);

    let list: Value = get(&app, "/tokens", Some(&admin))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(listed(&list, "trainer")["label_selector"], SELECTOR);
    assert!(
        listed(&list, "ci-admin")["label_selector"].is_null(),
        "unscoped: null"
    );

    let res = patch(&app, &admin, "trainer", r#"{"description": "base model"}"#).await;
    assert_eq!(res.status(), 200);
    let patched: Value = res.json().await.unwrap();
    assert_eq!(patched["label_selector"], SELECTOR);
    assert_eq!(patched["description"], "base model");

    // Not editable: PATCH knows only the description.
    let res = patch(
        &app,
        &admin,
        "trainer",
        r#"{"label_selector": "model=other"}"#,
    )
    .await;
    let field = error_field(res, 400, "BadRequestException").await;
    assert!(field.contains("label_selector"), "{field}");

    let res = renew(&app, &admin, "trainer").await;
    assert_eq!(res.status(), 200);
    let renewed: Value = res.json().await.unwrap();
    let new_value = renewed["refresh_token"].as_str().unwrap();
    let me: Value = get(&app, "/tokens/me", Some(new_value))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(me["label_selector"], SELECTOR, "kept by renew");
    assert_eq!(
        get(&app, "/tokens/me", Some(&value)).await.status(),
        401,
        "the old value died"
    );

    // null and absent: unscoped.
    for (name, selector) in [
        ("plain-null", Value::Null),
        ("plain-absent", json!("absent")),
    ] {
        let res = if selector == "absent" {
            create_register_token(&app, &admin, name, "1h", None, "USER").await
        } else {
            register_scoped(&app, &admin, name, selector).await
        };
        let made = exchanged(&app, res).await;
        let me: Value = get(&app, "/tokens/me", made["refresh_token"].as_str())
            .await
            .json()
            .await
            .unwrap();
        assert!(me["label_selector"].is_null(), "{name}: {me}");
    }
}

#[tokio::test]
async fn bad_selectors_answer_400_with_the_reason_and_make_nothing() {
    let app = TestApp::spawn().await;
    let admin = app.token("ci-admin", "admin");
    let long_value = format!("model={}", "v".repeat(64));
    let cases: [(Value, &str); 8] = [
        (
            json!("model"),
            "label_selector: The label selector must have the form NAME=VALUE",
        ),
        (
            json!(""),
            "label_selector: The label selector must have the form NAME=VALUE",
        ),
        (
            json!("=base"),
            "label_selector: The label name must be 1 to 63 characters",
        ),
        (
            json!("-model=base"),
            "label_selector: The label name may hold only",
        ),
        (
            json!("Example.COM/model=base"),
            "label_selector: The prefix before “/” must be a DNS subdomain",
        ),
        (
            json!("model=bäse"),
            "label_selector: The label value may hold only",
        ),
        (
            json!(long_value),
            "label_selector: The label value must be at most 63 characters (it has 64)",
        ),
        (json!(7), "label_selector: invalid type"),
    ];
    for (selector, message) in cases {
        let res = register_scoped(&app, &admin, "x", selector.clone()).await;
        let field = error_field(res, 400, "BadRequestException").await;
        assert!(field.starts_with(message), "{selector}: {field}");
    }
    let mut conn = app.db().conn().unwrap();
    let made: i64 = registration_tokens::table
        .count()
        .get_result(&mut conn)
        .unwrap();
    assert_eq!(made, 0, "nothing was made");
}

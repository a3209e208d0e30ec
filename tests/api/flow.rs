//! The client library's whole flow, the one-time exchange under concurrency, and the audit trail.

use crate::common::TestApp;
use crate::helpers::*;
use chrono::DateTime;
use diesel::prelude::*;
use mlp_console::clock::Clock;
use mlp_console::db::schema::{access_tokens, audit_events, registration_tokens};
use serde_json::Value;

/// event, actor, target, client IP, account.
type AuditRow = (
    String,
    String,
    Option<String>,
    Option<String>,
    Option<String>,
);

fn rfc3339_ms(s: &str) -> i64 {
    DateTime::parse_from_rfc3339(s).unwrap().timestamp_millis()
}

#[tokio::test]
async fn admin_token_registration_exchange_who_am_i_list_delete() {
    let app = TestApp::spawn().await;
    let admin = app.token("ci-admin", "admin");
    let now = app.clock.now().as_ms();

    // create_register_token
    let res = create_register_token(
        &app,
        &admin,
        "spark-gateway",
        "2h45m30s",
        Some("30d"),
        "USER",
    )
    .await;
    assert_eq!(res.status(), 201);
    assert_eq!(res.headers()["cache-control"], "no-store");
    let reg: Value = res.json().await.unwrap();
    let reg_value = reg["register_token"].as_str().unwrap();
    assert!(
        reg_value.starts_with("mlprg_") && reg_value.len() == 55,
        "{reg}"
    );
    assert_eq!(reg["client_name"], "spark-gateway");
    assert_eq!(reg["token_type"], "USER");
    assert_eq!(
        rfc3339_ms(reg["expires_at"].as_str().unwrap()) / 1000,
        (now + 9_930_000) / 1000
    );
    assert_eq!(reg.as_object().unwrap().len(), 4);

    // create_refresh_token
    let res = exchange(&app, reg_value).await;
    assert_eq!(res.status(), 201);
    assert_eq!(res.headers()["cache-control"], "no-store");
    let made: Value = res.json().await.unwrap();
    let value = made["refresh_token"].as_str().unwrap().to_owned();
    assert!(value.starts_with("mlpat_") && value.len() == 55);
    assert_eq!(made["name"], "spark-gateway");
    assert_eq!(made["type"], "USER");
    let exp = rfc3339_ms(made["expires_at"].as_str().unwrap());
    assert_eq!(exp / 1000, (now + 30 * 86_400_000) / 1000);
    assert_eq!(made.as_object().unwrap().len(), 5);

    // who_am_i
    let res = get(&app, "/tokens/me", Some(&value)).await;
    assert_eq!(res.status(), 200);
    assert_eq!(
        res.headers()["mlp-token-expiration"].to_str().unwrap(),
        made["expires_at"].as_str().unwrap()
    );
    let me: Value = res.json().await.unwrap();
    assert_eq!(me["id"], made["id"]);
    assert_eq!(me["name"], "spark-gateway");
    assert_eq!(me["type"], "USER");
    assert_eq!(me["issuer_name"], app.owner.email.as_str());
    assert_eq!(me["project_id"], app.project_id.as_str());
    assert_eq!(me["exp"], made["expires_at"]);
    assert!(me["label_selector"].is_null(), "unscoped: {me}");
    assert_eq!(me.as_object().unwrap().len(), 7);

    // get_project_tokens_info
    let res = get(&app, "/tokens", Some(&admin)).await;
    assert_eq!(res.status(), 200);
    assert!(
        res.headers().get("mlp-token-expiration").is_none(),
        "the admin token never expires"
    );
    let text = res.text().await.unwrap();
    assert!(
        !text.contains("mlpat_") && !text.contains("mlprg_"),
        "no secret or hint: {text}"
    );
    assert!(!text.contains(&value[6..20]) && !text.contains(&admin[6..20]));
    let list: Value = serde_json::from_str(&text).unwrap();
    let tokens = list["tokens"].as_array().unwrap();
    assert_eq!(tokens.len(), 2);
    let row = tokens
        .iter()
        .find(|t| t["name"] == "spark-gateway")
        .unwrap();
    assert_eq!(row["id"], made["id"]);
    assert_eq!(row["type"], "USER");
    assert_eq!(row["issuer_name"], app.owner.email.as_str());
    assert_eq!(row["exp"], made["expires_at"]);
    assert!(
        row["last_used_at"].is_string(),
        "who_am_i just used it: {row}"
    );
    assert!(row["description"].is_null());
    assert!(DateTime::parse_from_rfc3339(row["created_at"].as_str().unwrap()).is_ok());
    let mut keys: Vec<&str> = row
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    keys.sort_unstable();
    assert_eq!(
        keys,
        [
            "created_at",
            "description",
            "exp",
            "id",
            "issuer_name",
            "label_selector",
            "last_used_at",
            "name",
            "type"
        ]
    );
    let admin_row = tokens.iter().find(|t| t["name"] == "ci-admin").unwrap();
    assert_eq!(admin_row["type"], "ADMIN");
    assert!(admin_row["exp"].is_null());
    // The id is the console's id: the same row in the database.
    let mut conn = app.db().conn().unwrap();
    let name: String = access_tokens::table
        .find(row["id"].as_str().unwrap())
        .select(access_tokens::name)
        .first(&mut conn)
        .unwrap();
    assert_eq!(name, "spark-gateway");

    // delete_token
    let res = delete(&app, "/tokens/spark-gateway", &admin).await;
    assert_eq!(res.status(), 204);
    assert_error(
        get(&app, "/tokens/me", Some(&value)).await,
        401,
        "UnauthorizedException",
        "Unauthorized",
    )
    .await;
    let res = delete(&app, "/tokens/spark-gateway", &admin).await;
    assert_error(res, 404, "NotFoundException", "token_name").await;
    let list: Value = get(&app, "/tokens", Some(&admin))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(list["tokens"].as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn exchanged_admin_token_without_refresh_ttl_never_expires_and_can_manage() {
    let app = TestApp::spawn().await;
    let admin = app.token("ci-admin", "admin");
    let made = api_token(&app, &admin, "second-admin", None, "ADMIN").await;
    assert!(made["expires_at"].is_null());
    let value = made["refresh_token"].as_str().unwrap();
    let res = get(&app, "/tokens/me", Some(value)).await;
    assert!(res.headers().get("mlp-token-expiration").is_none());
    let me: Value = res.json().await.unwrap();
    assert_eq!(me["type"], "ADMIN");
    assert!(me["exp"].is_null());
    // Issuer of a token made with a token made by the API: still the account behind the chain.
    let grandchild = api_token(&app, value, "third", None, "USER").await;
    let me: Value = get(
        &app,
        "/tokens/me",
        Some(grandchild["refresh_token"].as_str().unwrap()),
    )
    .await
    .json()
    .await
    .unwrap();
    assert_eq!(me["issuer_name"], app.owner.email.as_str());
}

#[tokio::test]
async fn registration_records_project_role_lifetime_and_issuer() {
    let app = TestApp::spawn().await;
    let member = app.member("dev@example.com", "admin");
    let admin = mlp_console::cli::create_token(
        &app.db(),
        &app.project_id,
        "dev-admin",
        "admin",
        None,
        Some(&member.email),
        None,
    )
    .unwrap();
    register(&app, &admin, "job", Some("90m"), "ADMIN").await;
    let mut conn = app.db().conn().unwrap();
    let (project, token_type, ttl, issuer, used): (
        String,
        String,
        Option<i64>,
        String,
        Option<i64>,
    ) = registration_tokens::table
        .select((
            registration_tokens::project_id,
            registration_tokens::token_type,
            registration_tokens::refresh_ttl_secs,
            registration_tokens::issuer_name,
            registration_tokens::used_at,
        ))
        .first(&mut conn)
        .unwrap();
    assert_eq!(project, app.project_id);
    assert_eq!(token_type, "ADMIN");
    assert_eq!(ttl, Some(5400));
    assert_eq!(issuer, member.email);
    assert_eq!(used, None);
}

#[tokio::test]
async fn of_20_concurrent_exchanges_exactly_one_succeeds() {
    let app = TestApp::spawn().await;
    let admin = app.token("ci-admin", "admin");
    let reg = register(&app, &admin, "raced", None, "USER").await;
    let calls = (0..20).map(|_| exchange(&app, &reg));
    let answers = futures_util::future::join_all(calls).await;
    let mut created = 0;
    let mut refused = 0;
    for res in answers {
        match res.status().as_u16() {
            201 => created += 1,
            403 => {
                assert_error(
                    res,
                    403,
                    "ForbiddenException",
                    "register token already used",
                )
                .await;
                refused += 1;
            }
            other => panic!("unexpected status {other}: {}", res.text().await.unwrap()),
        }
    }
    assert_eq!((created, refused), (1, 19));
    let mut conn = app.db().conn().unwrap();
    let count: i64 = access_tokens::table
        .filter(access_tokens::name.eq("raced"))
        .count()
        .get_result(&mut conn)
        .unwrap();
    assert_eq!(count, 1);
}

#[tokio::test]
async fn api_writes_are_audited_with_actor_and_ip() {
    let app = TestApp::spawn().await;
    let admin = app.token("ci-admin", "admin");
    api_token(&app, &admin, "audited", None, "USER").await;
    assert_eq!(delete(&app, "/tokens/audited", &admin).await.status(), 204);
    let mut conn = app.db().conn().unwrap();
    let rows: Vec<AuditRow> = audit_events::table
        .filter(audit_events::project_id.eq(&app.project_id))
        .order(audit_events::id.asc())
        .select((
            audit_events::event,
            audit_events::actor,
            audit_events::target,
            audit_events::client_ip,
            audit_events::account_id,
        ))
        .load(&mut conn)
        .unwrap();
    let find = |event: &str| {
        rows.iter()
            .find(|r| r.0 == event)
            .unwrap_or_else(|| panic!("no {event} in {rows:?}"))
            .clone()
    };
    let created = find("register_token.created");
    assert_eq!(
        (created.1.as_str(), created.2.as_deref()),
        ("ci-admin", Some("audited"))
    );
    assert_eq!(created.3.as_deref(), Some("127.0.0.1"));
    assert_eq!(created.4.as_deref(), Some(app.owner.account_id.as_str()));
    let exchanged = find("register_token.exchanged");
    assert_eq!(
        (exchanged.1.as_str(), exchanged.2.as_deref()),
        ("audited", Some("audited"))
    );
    assert_eq!(exchanged.3.as_deref(), Some("127.0.0.1"));
    let deleted = find("token.deleted");
    assert_eq!(
        (deleted.1.as_str(), deleted.2.as_deref()),
        ("ci-admin", Some("audited"))
    );
    assert_eq!(deleted.3.as_deref(), Some("127.0.0.1"));
    let via: Option<String> = access_tokens::table
        .filter(access_tokens::name.eq("audited"))
        .select(access_tokens::deleted_via)
        .first(&mut conn)
        .unwrap();
    assert_eq!(via.as_deref(), Some("api"));
    // No secret ever reaches the audit log.
    let details: Vec<Option<String>> = audit_events::table
        .select(audit_events::detail)
        .load(&mut conn)
        .unwrap();
    assert!(details.iter().flatten().all(|d| !d.contains("mlp")));
}

#[tokio::test]
async fn token_names_with_spaces_slashes_and_capitals_are_deleted_by_name() {
    let app = TestApp::spawn().await;
    let admin = app.token("ci-admin", "admin");
    for name in ["Me", "with space", "a/b", "ünï"] {
        app.token(name, "user");
    }
    for encoded in ["Me", "with%20space", "a%2Fb", "%C3%BCn%C3%AF"] {
        let res = delete(&app, &format!("/tokens/{encoded}"), &admin).await;
        assert_eq!(
            res.status(),
            204,
            "{encoded}: {}",
            res.text().await.unwrap()
        );
    }
    let list: Value = get(&app, "/tokens", Some(&admin))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(list["tokens"].as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn expiration_header_is_on_every_answer_to_an_expiring_token_and_only_then() {
    let app = TestApp::spawn().await;
    let admin = app.token("ci-admin", "admin");
    let user = api_token(&app, &admin, "expiring-user", Some("2h"), "USER").await;
    let value = user["refresh_token"].as_str().unwrap();
    let expected = user["expires_at"].as_str().unwrap();
    // On a success and on a refusal alike.
    let ok = get(&app, "/tokens/me", Some(value)).await;
    assert_eq!(ok.status(), 200);
    assert_eq!(ok.headers()["mlp-token-expiration"], expected);
    let refused = get(&app, "/tokens", Some(value)).await;
    assert_eq!(refused.status(), 403);
    assert_eq!(refused.headers()["mlp-token-expiration"], expected);
    // Not for a token without expiry, nor for calls without a token.
    let res = get(&app, "/tokens/me", Some(&admin)).await;
    assert!(res.headers().get("mlp-token-expiration").is_none());
    let res = get(&app, "/openapi.json", None).await;
    assert!(res.headers().get("mlp-token-expiration").is_none());
    // Also on answers whose handler needs no token, or that no handler gives.
    for path in ["/openapi.json", "/no-such-route"] {
        let res = get(&app, path, Some(value)).await;
        assert_eq!(
            res.headers()
                .get("mlp-token-expiration")
                .map(|v| v.to_str().unwrap()),
            Some(expected),
            "{path}"
        );
        let res = get(&app, path, Some(&unknown_access_token())).await;
        assert!(
            res.headers().get("mlp-token-expiration").is_none(),
            "{path}"
        );
    }
    let res = post(
        &app,
        "/refresh-tokens",
        Some(value),
        &serde_json::json!({ "register_token": "mlprg_bad" }),
    )
    .await;
    assert_eq!(res.status(), 401);
    assert_eq!(res.headers()["mlp-token-expiration"], expected);
}

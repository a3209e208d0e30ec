//! Bearer verification: the cache in front of the database is exact.

use crate::common::TestApp;
use crate::helpers::*;
use serde_json::Value;

async fn token_id(app: &TestApp, value: &str) -> String {
    let me: Value = get(app, "/tokens/me", Some(value))
        .await
        .json()
        .await
        .unwrap();
    me["id"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn a_token_deleted_in_the_console_fails_on_its_very_next_request() {
    let app = TestApp::spawn().await;
    let value = app.token("cached", "user");
    let id = token_id(&app, &value).await;
    assert_eq!(get(&app, "/tokens/me", Some(&value)).await.status(), 200);
    // On SQLite the token is served from the cache now; on a shared PostgreSQL database every request
    // looks it up.
    let cached = usize::from(!app.db().is_shared());
    assert_eq!(app.state.tokens.cached_count(), cached);

    // Deleted through the console's own route, as a project owner in a browser would.
    let browser = app.logged_in(&app.owner.email).await;
    let csrf = app.csrf(&browser, &app.tokens_path()).await;
    let res = browser
        .post(app.url(&format!("{}/{id}/delete", app.tokens_path())))
        .form(&[("csrf_token", csrf.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303, "the console deleted the token");

    let res = get(&app, "/tokens/me", Some(&value)).await;
    assert_error(res, 401, "UnauthorizedException", "Unauthorized").await;
    assert!(app.state.tokens.cached_count() == 0);
}

#[tokio::test]
async fn a_token_deleted_through_the_api_fails_on_its_next_request_even_when_deleting_itself() {
    let app = TestApp::spawn().await;
    let admin = app.token("ci-admin", "admin");
    assert_eq!(get(&app, "/tokens/me", Some(&admin)).await.status(), 200);
    assert_eq!(delete(&app, "/tokens/ci-admin", &admin).await.status(), 204);
    let res = get(&app, "/tokens", Some(&admin)).await;
    assert_error(res, 401, "UnauthorizedException", "Unauthorized").await;
}

#[tokio::test]
async fn deletion_racing_with_first_use_never_leaves_a_working_token() {
    let app = TestApp::spawn().await;
    let admin = app.token("ci-admin", "admin");
    for round in 0..10 {
        let name = format!("victim-{round}");
        let value = app.token(&name, "user");
        // Uses and the deletion in flight together; whatever interleaving happens, afterwards it is dead.
        let uses = (0..8).map(|_| get(&app, "/tokens/me", Some(&value)));
        let path = format!("/tokens/{name}");
        let (_, deleted) = tokio::join!(
            futures_util::future::join_all(uses),
            delete(&app, &path, &admin)
        );
        assert_eq!(deleted.status(), 204);
        let res = get(&app, "/tokens/me", Some(&value)).await;
        assert_error(res, 401, "UnauthorizedException", "Unauthorized").await;
    }
}

#[tokio::test]
async fn a_cached_token_still_expires_on_time() {
    let app = TestApp::spawn().await;
    let admin = app.token("ci-admin", "admin");
    let made = api_token(&app, &admin, "brief", Some("30s"), "USER").await;
    let value = made["refresh_token"].as_str().unwrap();
    assert_eq!(get(&app, "/tokens/me", Some(value)).await.status(), 200);
    app.clock.advance(chrono::Duration::seconds(29));
    assert_eq!(get(&app, "/tokens/me", Some(value)).await.status(), 200);
    app.clock.advance(chrono::Duration::seconds(1));
    let res = get(&app, "/tokens/me", Some(value)).await;
    assert_error(res, 403, "ForbiddenException", "Forbidden").await;
}

#[tokio::test]
async fn tokens_only_see_their_own_project() {
    let app = TestApp::spawn().await;
    let admin = app.token("ci-admin", "admin");
    let (other, _) = app.other_project("beta", "beta-owner@example.com");
    let theirs =
        mlp_console::cli::create_token(&app.db(), &other, "beta-admin", "admin", None, None, None)
            .unwrap();
    let me: Value = get(&app, "/tokens/me", Some(&theirs))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(me["project_id"], other.as_str());
    assert_eq!(me["issuer_name"], "beta-owner@example.com");
    let list: Value = get(&app, "/tokens", Some(&theirs))
        .await
        .json()
        .await
        .unwrap();
    let names: Vec<&str> = list["tokens"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["beta-admin"]);
    // A registration token made in beta yields a beta token.
    let made = api_token(&app, &theirs, "beta-job", None, "USER").await;
    let me: Value = get(
        &app,
        "/tokens/me",
        Some(made["refresh_token"].as_str().unwrap()),
    )
    .await
    .json()
    .await
    .unwrap();
    assert_eq!(me["project_id"], other.as_str());
    let list: Value = get(&app, "/tokens", Some(&admin))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(list["tokens"].as_array().unwrap().len(), 1);
}

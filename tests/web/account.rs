//! The Account page (SPEC §11): display name, password change (rules, other sessions end, this one stays,
//! the login limits apply to the current-password check, audited in every project), CSRF.

use crate::common::{self, TestApp, PASSWORD};
use crate::support::{audit, get, get_html, one, post_form, text};
use mlp_console::db::audit::event;
use scraper::Html;

const NEW_PASSWORD: &str = "a brand new passphrase";

fn stored_name(app: &TestApp) -> String {
    let account = app.state.accounts.get(&app.owner.account_id).unwrap();
    account.display_name
}

async fn change_password(
    c: &reqwest::Client,
    app: &TestApp,
    current: &str,
    new: &str,
    confirm: &str,
) -> reqwest::Response {
    let fields = [
        ("current_password", current),
        ("new_password", new),
        ("confirm_password", confirm),
    ];
    post_form(c, app, "/account/password", &fields, false).await
}

#[tokio::test]
async fn the_signed_in_email_links_to_the_account_page_which_changes_the_name() {
    let app = TestApp::spawn().await;
    let c = app.logged_in(&app.owner.email).await;
    let tokens = get_html(&c, &app, &app.tokens_path()).await;
    let link = one(&tokens, "[data-testid=signed-in-email]");
    assert_eq!(link.value().attr("href"), Some("/account"));

    let doc = get_html(&c, &app, "/account").await;
    assert_eq!(text(one(&doc, "h1")), "Account");
    for label in [
        "Name",
        "Current password",
        "New password",
        "Confirm new password",
    ] {
        let found = doc
            .select(&crate::support::sel("label"))
            .any(|l| text(l) == label);
        assert!(found, "a label {label:?}");
    }

    let res = post_form(
        &c,
        &app,
        "/account/name",
        &[("name", "  Olga Owner ")],
        false,
    )
    .await;
    common::assert_is_redirect_to(&res, "/account?changed=name");
    assert_eq!(stored_name(&app), "Olga Owner");
    let doc = get_html(&c, &app, "/account?changed=name").await;
    assert_eq!(text(one(&doc, "#account-done")), "Your name was changed.");
    let input = one(&doc, "#account-name");
    assert_eq!(input.value().attr("value"), Some("Olga Owner"));

    for bad in ["   ", "line\nbreak", &"n".repeat(101)] {
        let res = post_form(&c, &app, "/account/name", &[("name", bad)], false).await;
        assert_eq!(res.status(), 422, "{bad:?}");
        let doc = Html::parse_document(&res.text().await.unwrap());
        assert!(!text(one(&doc, "#account-name-error")).is_empty());
    }
    assert_eq!(stored_name(&app), "Olga Owner");
}

#[tokio::test]
async fn a_password_change_ends_every_other_session_and_keeps_this_one() {
    let app = TestApp::spawn().await;
    let other = app.logged_in(&app.owner.email).await;
    let (copied, cookie) = common::sign_in_by_hand(&app, &app.owner.email).await;
    let this = app.logged_in(&app.owner.email).await;
    for c in [&other, &this] {
        assert_eq!(get(c, &app, &app.tokens_path(), false).await.status(), 200);
    }

    let res = change_password(&this, &app, PASSWORD, NEW_PASSWORD, NEW_PASSWORD).await;
    common::assert_is_redirect_to(&res, "/account?changed=password");
    let doc = get_html(&this, &app, "/account?changed=password").await;
    assert!(text(one(&doc, "#account-done")).starts_with("Your password was changed."));
    assert_eq!(
        get(&this, &app, &app.tokens_path(), false).await.status(),
        200,
        "this session stays"
    );

    let res = get(&other, &app, &app.tokens_path(), false).await;
    common::assert_is_redirect_to(&res, "/login");
    let res = copied
        .get(app.url(&app.tokens_path()))
        .header("Cookie", &cookie)
        .send()
        .await
        .unwrap();
    common::assert_is_redirect_to(&res, "/login");

    // The old password no longer signs in; the new one does.
    let res = app
        .post_login(&common::client(), &app.owner.email, PASSWORD)
        .await;
    assert_eq!(res.status(), 200, "the old password is refused");
    let res = app
        .post_login(&common::client(), &app.owner.email, NEW_PASSWORD)
        .await;
    assert_eq!(res.status(), 303);

    let events = audit(&app, event::ACCOUNT_PASSWORD_CHANGED);
    assert_eq!(events.len(), 1);
    let (actor, _, account, ip, detail) = events[0].clone();
    assert_eq!(actor, app.owner.email);
    assert_eq!(account.as_deref(), Some(app.owner.account_id.as_str()));
    assert_eq!(ip.as_deref(), Some("127.0.0.1"));
    assert_eq!(detail, None);
}

#[tokio::test]
async fn the_change_is_recorded_in_every_project_of_the_account() {
    let app = TestApp::spawn().await;
    let (beta_id, _) = app.other_project("beta", "beta-owner@example.com");
    mlp_console::cli::add_member(&app.db(), &beta_id, &app.owner.email, "viewer").unwrap();
    let c = app.logged_in(&app.owner.email).await;
    let res = change_password(&c, &app, PASSWORD, NEW_PASSWORD, NEW_PASSWORD).await;
    assert_eq!(res.status(), 303);
    use diesel::prelude::*;
    use mlp_console::db::schema::audit_events as a;
    let mut conn = app.db().conn().unwrap();
    let projects: Vec<Option<String>> = a::table
        .filter(a::event.eq(event::ACCOUNT_PASSWORD_CHANGED))
        .order(a::project_id.asc())
        .select(a::project_id)
        .load(&mut conn)
        .unwrap();
    let mut want = vec![Some(app.project_id.clone()), Some(beta_id)];
    want.sort();
    assert_eq!(projects, want);
}

#[tokio::test]
async fn bad_new_passwords_and_a_wrong_current_one_change_nothing() {
    let app = TestApp::spawn().await;
    let other = app.logged_in(&app.owner.email).await;
    let c = app.logged_in(&app.owner.email).await;
    let short = "eleven char";
    let long = "p".repeat(129);
    let cases = [
        (
            "",
            NEW_PASSWORD,
            NEW_PASSWORD,
            "#current-password-error",
            "Enter your current password.",
        ),
        (
            PASSWORD,
            short,
            short,
            "#new-password-error",
            "The new password must have at least 12 characters.",
        ),
        (
            PASSWORD,
            &long,
            &long,
            "#new-password-error",
            "The new password must have at most 128 characters.",
        ),
        (
            PASSWORD,
            NEW_PASSWORD,
            "something else entirely",
            "#new-password-error",
            "The two new passwords differ. Type the same one twice.",
        ),
        (
            PASSWORD,
            PASSWORD,
            PASSWORD,
            "#new-password-error",
            "The new password must differ from the current one.",
        ),
        (
            "not my password",
            NEW_PASSWORD,
            NEW_PASSWORD,
            "#current-password-error",
            "This is not your current password.",
        ),
    ];
    for (current, new, confirm, field, message) in cases {
        let res = change_password(&c, &app, current, new, confirm).await;
        assert_eq!(res.status(), 422, "{message}");
        let body = res.text().await.unwrap();
        assert!(
            !body.contains(NEW_PASSWORD),
            "a typed password is never echoed"
        );
        let doc = Html::parse_document(&body);
        assert_eq!(text(one(&doc, field)), message);
    }
    assert!(audit(&app, event::ACCOUNT_PASSWORD_CHANGED).is_empty());
    assert_eq!(
        get(&other, &app, &app.tokens_path(), false).await.status(),
        200,
        "no session ended"
    );
    let res = app
        .post_login(&common::client(), &app.owner.email, PASSWORD)
        .await;
    assert_eq!(res.status(), 303, "the password is unchanged");
}

#[tokio::test]
async fn wrong_current_passwords_count_toward_the_login_limit() {
    let app = TestApp::spawn().await;
    let c = app.logged_in(&app.owner.email).await;
    // Five failures per email and address in 15 minutes, as for the login form.
    for n in 0..5 {
        let res = change_password(&c, &app, "wrong guess", NEW_PASSWORD, NEW_PASSWORD).await;
        assert_eq!(res.status(), 422, "guess {n}");
    }
    let res = change_password(&c, &app, PASSWORD, NEW_PASSWORD, NEW_PASSWORD).await;
    assert_eq!(res.status(), 429, "even the right one waits now");
    assert!(res.headers().contains_key("retry-after"));
    let doc = Html::parse_document(&res.text().await.unwrap());
    assert!(text(one(&doc, "#current-password-error")).starts_with("Too many failed attempts."));
    // The login form shares the limit.
    let res = app
        .post_login(&common::client(), &app.owner.email, PASSWORD)
        .await;
    assert_eq!(res.status(), 429);
    assert!(audit(&app, event::ACCOUNT_PASSWORD_CHANGED).is_empty());
}

#[tokio::test]
async fn account_changes_without_the_csrf_token_are_refused() {
    let app = TestApp::spawn().await;
    let c = app.logged_in(&app.owner.email).await;
    let before = stored_name(&app);
    let name = [("name", "Mallory")];
    let password = [
        ("current_password", PASSWORD),
        ("new_password", NEW_PASSWORD),
        ("confirm_password", NEW_PASSWORD),
    ];
    for (path, body) in [
        ("/account/name", &name[..]),
        ("/account/password", &password[..]),
    ] {
        let res = c.post(app.url(path)).form(body).send().await.unwrap();
        assert_eq!(res.status(), 403, "{path}");
    }
    assert_eq!(stored_name(&app), before);
    let res = app
        .post_login(&common::client(), &app.owner.email, PASSWORD)
        .await;
    assert_eq!(res.status(), 303);
    // Signed out: to the login page.
    let res = get(&common::client(), &app, "/account", false).await;
    common::assert_is_redirect_to(&res, "/login");
}

//! Invitations (SPEC §11): made for an email without an account, shown once as a link, listed as pending,
//! revocable, valid 7 days, used once (also when 20 acceptances race), accepted with a new account or with
//! the password of an account made meanwhile (through the login limits), audited without the value.

use crate::common::{self, TestApp, PASSWORD};
use crate::support::{audit, count, get, get_html, one, one_in, post_form, sel, text};
use diesel::prelude::*;
use mlp_console::db::audit::event;
use mlp_console::db::schema::{audit_events, memberships};
use mlp_console::domain::secret::{parse_kind, SecretKind};
use scraper::Html;

const NEW_PASSWORD: &str = "the invitee's own passphrase";

fn members_path(app: &TestApp) -> String {
    format!("/projects/{}/members", app.project_id)
}

/// An owner invites `email` as `role`; returns the link's path (`/invitations/mlpiv_…`).
async fn invite(app: &TestApp, email: &str, role: &str) -> String {
    let owner = app.logged_in(&app.owner.email).await;
    let fields = [("email", email), ("role", role)];
    let res = post_form(&owner, app, &members_path(app), &fields, false).await;
    assert_eq!(res.status(), 201, "an invitation for {email}");
    assert_eq!(res.headers()["cache-control"], "no-store");
    let doc = Html::parse_document(&res.text().await.unwrap());
    let link = one(&doc, "#invitation-link")
        .value()
        .attr("value")
        .unwrap()
        .to_owned();
    let path = link
        .strip_prefix(&app.address)
        .unwrap_or_else(|| panic!("{link} is a link to this server"))
        .to_owned();
    let value = path
        .strip_prefix("/invitations/")
        .expect("an invitation path");
    assert_eq!(parse_kind(value), Ok(SecretKind::Invitation), "{value}");
    path
}

async fn accept_new(
    c: &reqwest::Client,
    app: &TestApp,
    path: &str,
    name: &str,
    password: &str,
    confirm: &str,
) -> reqwest::Response {
    // The session's CSRF token, from a page that has one even when the invitation is gone.
    let csrf = app.csrf(c, "/login").await;
    let fields = [
        ("name", name),
        ("password", password),
        ("confirm_password", confirm),
        ("csrf_token", &csrf),
    ];
    c.post(app.url(path)).form(&fields).send().await.unwrap()
}

fn role_of(app: &TestApp, email: &str) -> Option<String> {
    use mlp_console::db::schema::accounts;
    let mut conn = app.db().conn().unwrap();
    memberships::table
        .inner_join(accounts::table)
        .filter(memberships::project_id.eq(&app.project_id))
        .filter(accounts::email.eq(email))
        .select(memberships::role)
        .first(&mut conn)
        .optional()
        .unwrap()
}

#[tokio::test]
async fn an_unknown_email_gets_a_link_shown_once_and_listed_as_pending() {
    let app = TestApp::spawn().await;
    let path = invite(&app, "newcomer@example.com", "admin").await;
    let value = path.trim_start_matches("/invitations/").to_owned();

    let owner = app.logged_in(&app.owner.email).await;
    let doc = get_html(&owner, &app, &members_path(&app)).await;
    let row = one(&doc, "#invitation-rows > tr");
    let cells: Vec<String> = row.select(&sel("td")).map(text).collect();
    assert_eq!(cells[0], "newcomer@example.com");
    assert_eq!(cells[1], "Admin");
    assert!(cells[2].ends_with("UTC"), "an exact expiry: {}", cells[2]);
    assert_eq!(cells[3], app.owner.email);
    assert!(!doc.html().contains(&value), "the value is shown once only");

    // Neither the database nor the audit log holds the value.
    let bytes = mlp_console::db::testing::stored_bytes(&app.location);
    assert!(
        !bytes.windows(value.len()).any(|w| w == value.as_bytes()),
        "the value is not stored"
    );
    let (actor, target, _, ip, detail) = audit(&app, event::INVITATION_CREATED).pop().unwrap();
    assert_eq!(
        (actor.as_str(), target.as_deref()),
        (app.owner.email.as_str(), Some("newcomer@example.com"))
    );
    assert_eq!(ip.as_deref(), Some("127.0.0.1"));
    assert_eq!(detail.as_deref(), Some("role: admin"));
    let mut conn = app.db().conn().unwrap();
    let details: Vec<Option<String>> = audit_events::table
        .select(audit_events::detail)
        .load(&mut conn)
        .unwrap();
    assert!(details.iter().flatten().all(|d| !d.contains("mlpiv_")));
}

#[tokio::test]
async fn the_invitee_accepts_with_a_new_account_and_lands_signed_in_on_the_tokens_page() {
    let app = TestApp::spawn().await;
    let path = invite(&app, "newcomer@example.com", "member").await;
    let c = common::client();
    let res = get(&c, &app, &path, false).await;
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["cache-control"], "no-store");
    let doc = Html::parse_document(&res.text().await.unwrap());
    let said = text(one(&doc, "#invitation-text"));
    assert!(
        said.contains("alpha") && said.contains("Member") && said.contains(&app.owner.email),
        "{said}"
    );
    let labels: Vec<String> = doc.select(&sel("label")).map(text).collect();
    assert_eq!(labels, ["Name", "Password", "Confirm password"]);
    assert_eq!(text(one(&doc, "#accept-invitation")), "Accept invitation");

    let res = accept_new(&c, &app, &path, "New Comer", NEW_PASSWORD, NEW_PASSWORD).await;
    common::assert_is_redirect_to(&res, &app.tokens_path());
    assert_eq!(
        get(&c, &app, &app.tokens_path(), false).await.status(),
        200,
        "signed in"
    );
    assert_eq!(
        role_of(&app, "newcomer@example.com").as_deref(),
        Some("member")
    );
    let res = app
        .post_login(&common::client(), "newcomer@example.com", NEW_PASSWORD)
        .await;
    assert_eq!(res.status(), 303, "the new account signs in");
    let (actor, target, _, ip, detail) = audit(&app, event::INVITATION_ACCEPTED).pop().unwrap();
    assert_eq!(actor, "newcomer@example.com");
    assert_eq!(target.as_deref(), Some("newcomer@example.com"));
    assert_eq!(ip.as_deref(), Some("127.0.0.1"));
    assert!(detail.unwrap().contains("role: member"));

    // Used once: the link is gone, and no longer pending.
    let res = get(&common::client(), &app, &path, false).await;
    assert_eq!(res.status(), 404);
    assert!(res.text().await.unwrap().contains("Invitation not valid"));
    let owner = app.logged_in(&app.owner.email).await;
    let doc = get_html(&owner, &app, &members_path(&app)).await;
    assert_eq!(count(&doc, "#invitation-rows > tr"), 0);
}

#[tokio::test]
async fn twenty_simultaneous_acceptances_make_exactly_one_member() {
    let app = TestApp::spawn().await;
    let path = invite(&app, "racer@example.com", "viewer").await;
    let mut racers = Vec::new();
    for _ in 0..20 {
        let c = common::client();
        let csrf = app.csrf(&c, &path).await;
        racers.push((c, csrf));
    }
    let answers = futures_util::future::join_all(racers.iter().map(|(c, csrf)| {
        let fields = [
            ("name", "Racer"),
            ("password", NEW_PASSWORD),
            ("confirm_password", NEW_PASSWORD),
            ("csrf_token", csrf.as_str()),
        ];
        c.post(app.url(&path)).form(&fields).send()
    }))
    .await;
    let statuses: Vec<u16> = answers
        .into_iter()
        .map(|r| r.unwrap().status().as_u16())
        .collect();
    assert_eq!(
        statuses.iter().filter(|&&s| s == 303).count(),
        1,
        "{statuses:?}"
    );
    assert!(
        statuses.iter().all(|&s| s == 303 || s == 404 || s == 422),
        "{statuses:?}"
    );
    assert_eq!(
        role_of(&app, "racer@example.com").as_deref(),
        Some("viewer")
    );
    assert_eq!(audit(&app, event::INVITATION_ACCEPTED).len(), 1);
}

#[tokio::test]
async fn revoked_and_expired_invitations_no_longer_work() {
    let app = TestApp::spawn().await;
    let revoked = invite(&app, "revoked@example.com", "member").await;
    let expiring = invite(&app, "late@example.com", "member").await;
    let owner = app.logged_in(&app.owner.email).await;
    let doc = get_html(&owner, &app, &members_path(&app)).await;
    let row = doc
        .select(&sel("#invitation-rows > tr"))
        .find(|tr| tr.value().attr("data-email") == Some("revoked@example.com"))
        .unwrap();
    let action = one_in(row, "form")
        .value()
        .attr("action")
        .unwrap()
        .to_owned();

    // Only owners revoke.
    let admin = app.member("admin@example.com", "admin");
    let admin_client = app.logged_in(&admin.email).await;
    assert_eq!(
        post_form(&admin_client, &app, &action, &[], false)
            .await
            .status(),
        403
    );
    assert_eq!(
        get(&common::client(), &app, &revoked, false).await.status(),
        200
    );

    let res = post_form(&owner, &app, &action, &[], false).await;
    common::assert_is_redirect_to(&res, &members_path(&app));
    let c = common::client();
    assert_eq!(get(&c, &app, &revoked, false).await.status(), 404);
    let (_, target, _, _, _) = audit(&app, event::INVITATION_REVOKED).pop().unwrap();
    assert_eq!(target.as_deref(), Some("revoked@example.com"));
    assert_eq!(
        post_form(&owner, &app, &action, &[], false).await.status(),
        404,
        "revoked once"
    );

    // Valid for 7 days.
    app.clock
        .advance(chrono::Duration::days(7) - chrono::Duration::seconds(1));
    assert_eq!(get(&c, &app, &expiring, false).await.status(), 200);
    app.clock.advance(chrono::Duration::seconds(1));
    assert_eq!(get(&c, &app, &expiring, false).await.status(), 404);
    let res = accept_new(&c, &app, &expiring, "Late", NEW_PASSWORD, NEW_PASSWORD).await;
    assert_eq!(res.status(), 404);
    assert_eq!(role_of(&app, "late@example.com"), None);
    for bad in ["/invitations/nonsense", "/invitations/mlpat_x"] {
        assert_eq!(get(&c, &app, bad, false).await.status(), 404, "{bad}");
    }
}

#[tokio::test]
async fn bad_names_and_passwords_are_refused_and_change_nothing() {
    let app = TestApp::spawn().await;
    let path = invite(&app, "careful@example.com", "member").await;
    let c = common::client();
    let cases = [
        ("   ", NEW_PASSWORD, NEW_PASSWORD, "#invitation-name-error"),
        (
            "Careful",
            "too short",
            "too short",
            "#invitation-password-error",
        ),
        (
            "Careful",
            NEW_PASSWORD,
            "something different",
            "#invitation-password-error",
        ),
    ];
    for (name, password, confirm, field) in cases {
        let res = accept_new(&c, &app, &path, name, password, confirm).await;
        assert_eq!(res.status(), 422, "{field}");
        let body = res.text().await.unwrap();
        assert!(!body.contains(NEW_PASSWORD), "no password echoed");
        assert!(!text(one(&Html::parse_document(&body), field)).is_empty());
    }
    // Without the CSRF token.
    let fields = [
        ("name", "Careful"),
        ("password", NEW_PASSWORD),
        ("confirm_password", NEW_PASSWORD),
    ];
    let res = c.post(app.url(&path)).form(&fields).send().await.unwrap();
    assert_eq!(res.status(), 403);
    assert_eq!(role_of(&app, "careful@example.com"), None);
    assert_eq!(
        get(&c, &app, &path, false).await.status(),
        200,
        "still open"
    );
}

#[tokio::test]
async fn an_email_that_has_an_account_by_then_accepts_with_its_password_within_the_login_limits() {
    let app = TestApp::spawn().await;
    let path = invite(&app, "later@example.com", "admin").await;
    common::create_user(&app.db(), "later@example.com");
    let c = common::client();
    let doc = get_html(&c, &app, &path).await;
    let labels: Vec<String> = doc.select(&sel("label")).map(text).collect();
    assert_eq!(labels, ["Password"], "only the account's password is asked");

    let wrong = |c: &reqwest::Client| {
        let (c, path) = (c.clone(), path.clone());
        let app = &app;
        async move {
            let csrf = app.csrf(&c, &path).await;
            let fields = [
                ("password", "not the password"),
                ("csrf_token", csrf.as_str()),
            ];
            c.post(app.url(&path)).form(&fields).send().await.unwrap()
        }
    };
    let res = wrong(&c).await;
    assert_eq!(res.status(), 422);
    assert!(res
        .text()
        .await
        .unwrap()
        .contains("Wrong password for this account."));
    for _ in 0..4 {
        assert_eq!(wrong(&c).await.status(), 422);
    }
    // Five failures: the right password waits too, as on the login form.
    let csrf = app.csrf(&c, &path).await;
    let fields = [("password", PASSWORD), ("csrf_token", csrf.as_str())];
    let res = c.post(app.url(&path)).form(&fields).send().await.unwrap();
    assert_eq!(res.status(), 429);
    assert_eq!(role_of(&app, "later@example.com"), None);
    let res = app
        .post_login(&common::client(), "later@example.com", PASSWORD)
        .await;
    assert_eq!(res.status(), 429, "the same limiter as the login form");

    // The limit lapses after 15 minutes; then the password is checked again.
    app.clock.advance(chrono::Duration::minutes(16));
    let csrf = app.csrf(&c, &path).await;
    let fields = [("password", PASSWORD), ("csrf_token", csrf.as_str())];
    let res = c.post(app.url(&path)).form(&fields).send().await.unwrap();
    common::assert_is_redirect_to(&res, &app.tokens_path());
    assert_eq!(role_of(&app, "later@example.com").as_deref(), Some("admin"));
}

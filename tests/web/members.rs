//! The Members page and the Projects page's Create project form (SPEC §11): who sees what, adding, role
//! changes, removal, the last-owner rule, the role matrix, CSRF, 404 for other projects, the audit events.

use crate::common::{self, TestApp, TestUser};
use crate::support::{audit, count, get, get_html, make_token, one, post_form, sel, text};
use diesel::prelude::*;
use mlp_console::db::audit::event;
use mlp_console::db::schema::{memberships, projects};
use mlp_console::domain::TokenRole;
use scraper::Html;

fn members_path(app: &TestApp) -> String {
    format!("/projects/{}/members", app.project_id)
}

fn member_path(app: &TestApp, who: &TestUser, action: &str) -> String {
    format!("{}/{}/{action}", members_path(app), who.account_id)
}

/// Every membership of the app's project as stored: (account id, role), by account id.
fn stored_members(app: &TestApp) -> Vec<(String, String)> {
    let mut conn = app.db().conn().unwrap();
    memberships::table
        .filter(memberships::project_id.eq(&app.project_id))
        .order(memberships::account_id.asc())
        .select((memberships::account_id, memberships::role))
        .load(&mut conn)
        .unwrap()
}

fn role_of(app: &TestApp, who: &TestUser) -> Option<String> {
    stored_members(app)
        .into_iter()
        .find(|(id, _)| *id == who.account_id)
        .map(|(_, role)| role)
}

/// The table's rows as (email cell, role shown), in page order.
fn listed(doc: &Html) -> Vec<(String, String)> {
    doc.select(&sel("#member-rows > tr"))
        .map(|tr| {
            let cells: Vec<_> = tr.select(&sel("td")).collect();
            let role = match cells[2].select(&sel("option[selected]")).next() {
                Some(option) => text(option),
                None => text(cells[2]),
            };
            (tr.value().attr("data-email").unwrap().to_owned(), role)
        })
        .collect()
}

#[tokio::test]
async fn every_member_sees_the_list_and_only_owners_see_the_forms() {
    let app = TestApp::spawn().await;
    app.member("admin@example.com", "admin");
    app.member("viewer@example.com", "viewer");

    let owner = app.logged_in(&app.owner.email).await;
    let doc = get_html(&owner, &app, &members_path(&app)).await;
    assert_eq!(text(one(&doc, "h1")), "Members");
    let heads: Vec<String> = doc.select(&sel("#members thead th")).map(text).collect();
    assert_eq!(heads[..4], ["Email", "Name", "Role", "Added"]);
    assert_eq!(
        listed(&doc),
        [
            ("owner@example.com".to_owned(), "Owner".to_owned()),
            ("admin@example.com".to_owned(), "Admin".to_owned()),
            ("viewer@example.com".to_owned(), "Viewer".to_owned()),
        ]
    );
    assert_eq!(text(one(&doc, "#add-member")), "Add member");
    assert_eq!(count(&doc, "form.role-form"), 3);
    let link = one(&doc, "nav.project-nav a#members-link");
    assert_eq!(link.value().attr("aria-current"), Some("page"));
    assert_eq!(text(link), "Members");

    // The Tokens page links to Members too.
    let tokens = get_html(&owner, &app, &app.tokens_path()).await;
    let link = one(&tokens, "nav.project-nav a#members-link");
    assert_eq!(link.value().attr("href"), Some(members_path(&app).as_str()));
    assert_eq!(link.value().attr("aria-current"), None);

    for email in ["admin@example.com", "viewer@example.com"] {
        let c = app.logged_in(email).await;
        let doc = get_html(&c, &app, &members_path(&app)).await;
        assert_eq!(listed(&doc).len(), 3, "{email} sees everyone");
        assert_eq!(count(&doc, "#add-member"), 0, "{email} sees no Add member");
        assert_eq!(
            count(&doc, "form.role-form"),
            0,
            "{email} sees no role select"
        );
        assert!(!doc.html().contains("/remove\""), "{email} sees no Remove");
    }
}

#[tokio::test]
async fn an_owner_adds_an_existing_account_which_sees_the_project_at_once() {
    let app = TestApp::spawn().await;
    let bob = common::create_user(&app.db(), "bob@example.com");
    let bob_client = app.logged_in(&bob.email).await;
    assert_eq!(
        get(&bob_client, &app, &app.tokens_path(), false)
            .await
            .status(),
        404
    );

    let owner = app.logged_in(&app.owner.email).await;
    let fields = [("email", " Bob@Example.com "), ("role", "admin")];
    let res = post_form(&owner, &app, &members_path(&app), &fields, false).await;
    common::assert_is_redirect_to(&res, &members_path(&app));
    assert_eq!(role_of(&app, &bob).as_deref(), Some("admin"));
    assert_eq!(
        get(&bob_client, &app, &app.tokens_path(), false)
            .await
            .status(),
        200
    );

    let events = audit(&app, event::MEMBER_ADDED);
    let (actor, target, account, ip, detail) = events.last().unwrap().clone();
    assert_eq!(actor, app.owner.email);
    assert_eq!(target.as_deref(), Some("bob@example.com"));
    assert_eq!(account.as_deref(), Some(app.owner.account_id.as_str()));
    assert_eq!(ip.as_deref(), Some("127.0.0.1"));
    assert_eq!(detail.as_deref(), Some("role: admin"));
}

#[tokio::test]
async fn bad_emails_and_roles_are_refused_next_to_the_field_and_change_nothing() {
    let app = TestApp::spawn().await;
    common::create_user(&app.db(), "bob@example.com");
    let owner = app.logged_in(&app.owner.email).await;
    let before = stored_members(&app);
    let cases = [
        ("not an email", "member", "#member-email-error"),
        ("bob@example.com", "superuser", "#member-role-error"),
    ];
    for (email, role, error) in cases {
        let fields = [("email", email), ("role", role)];
        let res = post_form(&owner, &app, &members_path(&app), &fields, false).await;
        assert_eq!(res.status(), 422, "{email} / {role}");
        let doc = Html::parse_document(&res.text().await.unwrap());
        assert!(
            !text(one(&doc, error)).is_empty(),
            "{email} / {role}: {error}"
        );
        let input = one(&doc, "#member-email");
        assert_eq!(
            input.value().attr("value"),
            Some(email),
            "the email stays typed"
        );
    }
    assert_eq!(stored_members(&app), before);
    assert!(audit(&app, event::MEMBER_ADDED).is_empty());
}

#[tokio::test]
async fn a_role_change_applies_to_the_members_next_request() {
    let app = TestApp::spawn().await;
    let carol = app.member("carol@example.com", "member");
    let carol_client = app.logged_in(&carol.email).await;
    let tokens = get_html(&carol_client, &app, &app.tokens_path()).await;
    assert_eq!(count(&tokens, "#create-token"), 1, "a member may create");

    let owner = app.logged_in(&app.owner.email).await;
    let res = post_form(
        &owner,
        &app,
        &member_path(&app, &carol, "role"),
        &[("role", "viewer")],
        false,
    )
    .await;
    common::assert_is_redirect_to(&res, &members_path(&app));
    assert_eq!(role_of(&app, &carol).as_deref(), Some("viewer"));
    let tokens = get_html(&carol_client, &app, &app.tokens_path()).await;
    assert_eq!(count(&tokens, "#create-token"), 0, "a viewer may not");
    let (_, target, _, _, detail) = audit(&app, event::MEMBER_ROLE_CHANGED).pop().unwrap();
    assert_eq!(target.as_deref(), Some("carol@example.com"));
    assert_eq!(detail.as_deref(), Some("member → viewer"));

    // A role no form offers is a clear refusal.
    let res = post_form(
        &owner,
        &app,
        &member_path(&app, &carol, "role"),
        &[("role", "god")],
        false,
    )
    .await;
    assert_eq!(res.status(), 400);
    assert_eq!(role_of(&app, &carol).as_deref(), Some("viewer"));
}

#[tokio::test]
async fn the_last_owner_can_be_neither_demoted_nor_removed() {
    let app = TestApp::spawn().await;
    let owner = app.logged_in(&app.owner.email).await;
    let before = stored_members(&app);
    let demote = post_form(
        &owner,
        &app,
        &member_path(&app, &app.owner, "role"),
        &[("role", "admin")],
        false,
    )
    .await;
    assert_eq!(demote.status(), 409);
    assert!(demote
        .text()
        .await
        .unwrap()
        .contains("A project keeps at least one owner."));
    let remove = post_form(
        &owner,
        &app,
        &member_path(&app, &app.owner, "remove"),
        &[],
        false,
    )
    .await;
    assert_eq!(remove.status(), 409);
    assert_eq!(stored_members(&app), before);
    assert!(audit(&app, event::MEMBER_ROLE_CHANGED).is_empty());
    assert!(audit(&app, event::MEMBER_REMOVED).is_empty());

    // With a second owner, the first may step down, and then the second is the last.
    let dana = app.member("dana@example.com", "owner");
    let demote = post_form(
        &owner,
        &app,
        &member_path(&app, &app.owner, "role"),
        &[("role", "admin")],
        false,
    )
    .await;
    common::assert_is_redirect_to(&demote, &members_path(&app));
    assert_eq!(role_of(&app, &app.owner).as_deref(), Some("admin"));
    let dana_client = app.logged_in(&dana.email).await;
    let res = post_form(
        &dana_client,
        &app,
        &member_path(&app, &dana, "remove"),
        &[],
        false,
    )
    .await;
    assert_eq!(res.status(), 409);
    assert_eq!(role_of(&app, &dana).as_deref(), Some("owner"));
}

#[tokio::test]
async fn two_owners_demoting_each_other_at_once_leave_one_owner() {
    let app = TestApp::spawn().await;
    let dana = app.member("dana@example.com", "owner");
    let (a, b) = (
        app.logged_in(&app.owner.email).await,
        app.logged_in(&dana.email).await,
    );
    let (to_b, to_a) = (
        member_path(&app, &dana, "role"),
        member_path(&app, &app.owner, "role"),
    );
    let (ra, rb) = tokio::join!(
        post_form(&a, &app, &to_b, &[("role", "member")], false),
        post_form(&b, &app, &to_a, &[("role", "member")], false),
    );
    // The one served second finds either that it is no owner any more (403) or that the other is the last
    // owner (409): never both applied.
    let mut statuses = [ra.status().as_u16(), rb.status().as_u16()];
    statuses.sort();
    assert!(matches!(statuses, [303, 403] | [303, 409]), "{statuses:?}");
    let owners = stored_members(&app)
        .into_iter()
        .filter(|(_, r)| r == "owner")
        .count();
    assert_eq!(owners, 1);
}

#[tokio::test]
async fn removing_a_member_names_them_counts_their_tokens_and_ends_their_access() {
    let app = TestApp::spawn().await;
    let erin = app.member("erin@example.com", "member");
    let (value, _) = make_token(&app, "erins-job", TokenRole::User, None, None, Some(&erin));
    make_token(
        &app,
        "erins-other",
        TokenRole::User,
        None,
        None,
        Some(&erin),
    );
    let erin_client = app.logged_in(&erin.email).await;
    assert_eq!(
        get(&erin_client, &app, &app.tokens_path(), false)
            .await
            .status(),
        200
    );

    let owner = app.logged_in(&app.owner.email).await;
    let confirm = get_html(&owner, &app, &member_path(&app, &erin, "remove")).await;
    let said = text(one(&confirm, "#remove-text"));
    assert!(said.contains("erin@example.com"), "{said}");
    assert!(
        said.contains("The 2 active tokens they created stay"),
        "{said}"
    );
    assert_eq!(text(one(&confirm, "#confirm-remove")), "Remove member");

    let res = post_form(
        &owner,
        &app,
        &member_path(&app, &erin, "remove"),
        &[],
        false,
    )
    .await;
    common::assert_is_redirect_to(&res, &members_path(&app));
    assert_eq!(role_of(&app, &erin), None);
    for path in [
        app.tokens_path(),
        members_path(&app),
        format!("/projects/{}/audit", app.project_id),
    ] {
        assert_eq!(
            get(&erin_client, &app, &path, false).await.status(),
            404,
            "{path}"
        );
    }
    // Tokens belong to the project: theirs keep working.
    assert_eq!(crate::support::api_status(&app, &value).await, 200);
    let (_, target, _, _, detail) = audit(&app, event::MEMBER_REMOVED).pop().unwrap();
    assert_eq!(target.as_deref(), Some("erin@example.com"));
    assert_eq!(detail.as_deref(), Some("role: member"));
}

#[tokio::test]
async fn admins_members_and_viewers_may_not_change_memberships() {
    let app = TestApp::spawn().await;
    let target = app.member("target@example.com", "member");
    let outsider = common::create_user(&app.db(), "outsider@example.com");
    for role in ["admin", "member", "viewer"] {
        let who = app.member(&format!("{role}-user@example.com"), role);
        let c = app.logged_in(&who.email).await;
        let before = stored_members(&app);
        let add = [("email", outsider.email.as_str()), ("role", "owner")];
        let attempts = [
            post_form(&c, &app, &members_path(&app), &add, false).await,
            post_form(
                &c,
                &app,
                &member_path(&app, &target, "role"),
                &[("role", "owner")],
                false,
            )
            .await,
            post_form(&c, &app, &member_path(&app, &target, "remove"), &[], false).await,
            get(&c, &app, &member_path(&app, &target, "remove"), false).await,
        ];
        for res in attempts {
            assert_eq!(res.status(), 403, "{role}: {}", res.url());
        }
        assert_eq!(stored_members(&app), before, "{role} changed nothing");
    }
    for name in [event::MEMBER_ROLE_CHANGED, event::MEMBER_REMOVED] {
        assert!(audit(&app, name).is_empty());
    }
}

#[tokio::test]
async fn another_projects_owner_gets_404_and_changes_nothing() {
    let app = TestApp::spawn().await;
    let target = app.member("target@example.com", "member");
    let (_, other_owner) = app.other_project("beta", "beta-owner@example.com");
    let c = app.logged_in(&other_owner.email).await;
    let before = stored_members(&app);
    let add = [("email", other_owner.email.as_str()), ("role", "owner")];
    let attempts = [
        get(&c, &app, &members_path(&app), false).await,
        post_form(&c, &app, &members_path(&app), &add, false).await,
        post_form(
            &c,
            &app,
            &member_path(&app, &target, "role"),
            &[("role", "owner")],
            false,
        )
        .await,
        get(&c, &app, &member_path(&app, &target, "remove"), false).await,
        post_form(&c, &app, &member_path(&app, &target, "remove"), &[], false).await,
    ];
    for res in attempts {
        assert_eq!(res.status(), 404, "{}", res.url());
    }
    assert_eq!(stored_members(&app), before);
}

#[tokio::test]
async fn membership_changes_without_the_csrf_token_are_refused() {
    let app = TestApp::spawn().await;
    let target = app.member("target@example.com", "member");
    common::create_user(&app.db(), "new@example.com");
    let owner = app.logged_in(&app.owner.email).await;
    let before = stored_members(&app);
    let posts = [
        (
            members_path(&app),
            vec![("email", "new@example.com"), ("role", "member")],
        ),
        (member_path(&app, &target, "role"), vec![("role", "owner")]),
        (member_path(&app, &target, "remove"), vec![]),
        ("/projects".to_owned(), vec![("name", "gamma")]),
    ];
    for (path, fields) in posts {
        let mut forged = fields.clone();
        forged.push(("csrf_token", "forged"));
        for body in [fields, forged] {
            let res = owner.post(app.url(&path)).form(&body).send().await.unwrap();
            assert_eq!(res.status(), 403, "{path}");
        }
    }
    assert_eq!(stored_members(&app), before);
    let mut conn = app.db().conn().unwrap();
    let mut names: Vec<String> = projects::table
        .select(projects::name)
        .load(&mut conn)
        .unwrap();
    // The bootstrap made `default`; the test made `alpha`; nothing else.
    names.retain(|n| n != "default");
    assert_eq!(names, ["alpha"]);
}

#[tokio::test]
async fn any_account_creates_a_project_and_owns_it() {
    let app = TestApp::spawn().await;
    let frank = common::create_user(&app.db(), "frank@example.com");
    let c = app.logged_in(&frank.email).await;
    let doc = get_html(&c, &app, "/projects").await;
    assert_eq!(text(one(&doc, "#create-project")), "Create project");

    let res = post_form(
        &c,
        &app,
        "/projects",
        &[("name", "  Frank's models ")],
        false,
    )
    .await;
    assert_eq!(res.status(), 303);
    let location = res.headers()["location"].to_str().unwrap().to_owned();
    assert!(location.ends_with("/tokens"), "{location}");
    let page = get_html(&c, &app, &location).await;
    assert!(page.html().contains("Frank&#x27;s models") || page.html().contains("Frank's models"));
    let doc = get_html(&c, &app, "/projects").await;
    let rows: Vec<String> = doc.select(&sel("table tbody tr")).map(text).collect();
    assert_eq!(rows.len(), 1);
    assert!(
        rows[0].contains("Frank's models") && rows[0].contains("owner"),
        "{rows:?}"
    );

    let mut conn = app.db().conn().unwrap();
    use mlp_console::db::schema::audit_events as a;
    let created: Vec<(String, Option<String>, Option<String>)> = a::table
        .filter(a::event.eq(event::PROJECT_CREATED))
        .filter(a::actor.eq(&frank.email))
        .select((a::actor, a::target, a::client_ip))
        .load(&mut conn)
        .unwrap();
    assert_eq!(
        created,
        [(
            frank.email.clone(),
            Some("Frank's models".to_owned()),
            Some("127.0.0.1".to_owned())
        )]
    );
}

#[tokio::test]
async fn project_names_are_checked_and_unique_regardless_of_case() {
    let app = TestApp::spawn().await;
    let c = app.logged_in(&app.owner.email).await;
    let long = "x".repeat(101);
    for name in ["   ", "ALPHA", "tab\there", long.as_str()] {
        let res = post_form(&c, &app, "/projects", &[("name", name)], false).await;
        assert_eq!(res.status(), 422, "{name:?}");
        let doc = Html::parse_document(&res.text().await.unwrap());
        assert!(
            !text(one(&doc, "#project-name-error")).is_empty(),
            "{name:?}"
        );
    }
    let mut conn = app.db().conn().unwrap();
    let mut names: Vec<String> = projects::table
        .select(projects::name)
        .load(&mut conn)
        .unwrap();
    // The bootstrap made `default`; the test made `alpha`; nothing else.
    names.retain(|n| n != "default");
    assert_eq!(names, ["alpha"]);
}

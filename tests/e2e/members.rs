//! Journeys through SPEC §11 as an owner and their colleagues do them, each with JavaScript on and off:
//! invite a new colleague who accepts in a second browser, add an existing account, change its role and see
//! its buttons change, remove it and see its next request fail, create a project, change the password and
//! see another browser's session end. Every page is checked by axe (in the
//! journeys with JavaScript, as axe is JavaScript).

use crate::common::{self, TestApp, PASSWORD};
use crate::harness::{Browser, Kind};
use crate::login::log_in;
use mlp_console::domain::MemberRole;

const NEW_PASSWORD: &str = "a colleague's fresh passphrase";

/// axe-core runs as page JavaScript, so it checks each page in the journey with JavaScript on; the pages
/// without JavaScript are the same server-rendered HTML.
async fn axe(b: &Browser, js: bool, what: &str) {
    if js {
        b.axe(what).await;
    }
}

/// Whether the Tokens page offers to create a token (an empty page offers it twice).
async fn may_create_tokens(b: &Browser) -> bool {
    b.wait_for_text("Access tokens").await;
    !b.page()
        .is_absent(Kind::Button, "Create access token")
        .await
}

/// Two people's browsers: every journey here has an owner and someone else.
async fn pair(journeys: [&str; 2], app: &TestApp, js: bool) -> [Browser; 2] {
    let suffix = if js { "" } else { "-nojs" };
    let [a, b] = journeys.map(|j| format!("{j}{suffix}"));
    Browser::open_pair([&a, &b], &app.address, js).await
}

async fn sign_in(b: &Browser, app: &TestApp, email: &str) {
    log_in(b, email, PASSWORD).await;
    // Every account here signs in to project alpha, its only project.
    b.wait_for_path(&app.tokens_path()).await;
}

/// Waits until the database gives `account_id` this role in the app's project.
async fn wait_for_role(app: &TestApp, account_id: &str, role: MemberRole) {
    let deadline = std::time::Instant::now() + crate::harness::WAIT;
    loop {
        let now = mlp_console::db::projects::member_role(
            &mut app.db().conn().unwrap(),
            &app.project_id,
            account_id,
        )
        .unwrap();
        if now == Some(role) {
            return;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the role is still {now:?}, not {role:?}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(25)).await;
    }
}

fn members_path(app: &TestApp) -> String {
    format!("/projects/{}/members", app.project_id)
}

async fn invite_and_accept(js: bool) {
    let app = TestApp::spawn().await;
    let [mut owner, invitee] = pair(["invite", "invitee"], &app, js).await;
    sign_in(&owner, &app, &app.owner.email).await;
    owner.click("Members").await;
    owner.wait_for_path(&members_path(&app)).await;
    owner.fill("Email", "newcomer@example.com").await;
    owner.choose("Role", "Admin").await;
    owner.click("Add member").await;

    owner.find_heading("Invitation created").await;
    let link = owner
        .field("Invitation link")
        .await
        .value()
        .await
        .unwrap()
        .unwrap_or_default();
    let path = link
        .strip_prefix(&app.address)
        .expect("a link to this server")
        .to_owned();
    assert!(path.starts_with("/invitations/mlpiv_"), "{path}");
    if js {
        owner.click("Copy").await;
    } else {
        owner
            .wait_for_text("Select the link and copy it (Ctrl+C).")
            .await;
    }
    axe(&owner, js, "the invitation link").await;
    owner.click("Done").await;
    owner.wait_for_path(&members_path(&app)).await;
    let pending = owner.region("Pending invitations").await;
    assert!(pending
        .text()
        .await
        .unwrap()
        .contains("newcomer@example.com"));
    axe(&owner, js, "the Members page with a pending invitation").await;
    if js {
        owner.screenshot("members-page").await;
    }

    // The colleague, in a browser of their own.
    invitee.goto(&path).await;
    invitee.find_heading("Join project alpha").await;
    invitee
        .wait_for_text(&format!("{} invited newcomer@example.com", app.owner.email))
        .await;
    axe(&invitee, js, "the invitation page").await;
    if js {
        invitee.screenshot("invitation-page").await;
    }
    invitee.fill("Name", "New Comer").await;
    invitee.fill("Password", NEW_PASSWORD).await;
    invitee.fill("Confirm password", NEW_PASSWORD).await;
    invitee.click("Accept invitation").await;
    invitee.wait_for_path(&app.tokens_path()).await;
    invitee.wait_for_text("newcomer@example.com").await;
    // An admin may create tokens (the empty page offers the button twice).
    assert!(may_create_tokens(&invitee).await, "an admin creates tokens");

    // The link is used up, for anyone who follows it now.
    owner.expect_status(404);
    owner.goto(&path).await;
    owner.wait_for_text("Invitation not valid").await;
    owner.finish().await;
    invitee.finish().await;
}

#[tokio::test]
async fn an_owner_invites_a_new_colleague_who_accepts_in_another_browser() {
    invite_and_accept(true).await;
}

#[tokio::test]
async fn without_js_an_owner_invites_a_new_colleague_who_accepts_in_another_browser() {
    invite_and_accept(false).await;
}

async fn add_change_and_remove(js: bool) {
    let app = TestApp::spawn().await;
    let bob = common::create_user(&app.db(), "bob@example.com");
    let [owner, mut member] = pair(["add-member", "added-member"], &app, js).await;
    sign_in(&owner, &app, &app.owner.email).await;
    owner.goto(&members_path(&app)).await;
    owner.fill("Email", &bob.email).await;
    owner.choose("Role", "Member").await;
    owner.click("Add member").await;
    owner.wait_for_path(&members_path(&app)).await;
    owner.row("bob@example.com").await;

    sign_in(&member, &app, &bob.email).await;
    assert!(may_create_tokens(&member).await, "a member creates tokens");

    // A viewer may not create tokens: the button is gone on the next page.
    owner.choose("Role of bob@example.com", "Viewer").await;
    owner.click("Save role of bob@example.com").await;
    // The form's redirect lands on the page it left, so the address says nothing: wait for the change.
    wait_for_role(&app, &bob.account_id, MemberRole::Viewer).await;
    member.goto(&app.tokens_path()).await;
    member.wait_for_text("Access tokens").await;
    assert!(
        !may_create_tokens(&member).await,
        "a viewer creates nothing"
    );

    owner.click("Remove bob@example.com").await;
    owner.find_heading("Remove member").await;
    owner.wait_for_text("Remove bob@example.com").await;
    owner
        .wait_for_text("They created no active token here.")
        .await;
    axe(&owner, js, "the removal confirmation").await;
    owner.click("Remove member").await;
    owner.wait_for_path(&members_path(&app)).await;
    assert!(
        owner.page().is_absent(Kind::Row, "bob@example.com").await,
        "bob is gone"
    );

    member.expect_status(404);
    member.goto(&app.tokens_path()).await;
    member.wait_for_text("Not found").await;
    owner.finish().await;
    member.finish().await;
}

#[tokio::test]
async fn an_owner_adds_an_account_changes_its_role_and_removes_it() {
    add_change_and_remove(true).await;
}

#[tokio::test]
async fn without_js_an_owner_adds_an_account_changes_its_role_and_removes_it() {
    add_change_and_remove(false).await;
}

async fn create_project_and_change_password(js: bool) {
    let app = TestApp::spawn().await;
    let [elsewhere, b] = pair(["other-session", "account"], &app, js).await;
    sign_in(&elsewhere, &app, &app.owner.email).await;
    sign_in(&b, &app, &app.owner.email).await;

    b.goto("/projects").await;
    b.fill("Name", "gamma").await;
    b.click("Create project").await;
    b.wait_for_text("Tokens of project gamma").await;

    b.click(&app.owner.email).await;
    b.wait_for_path("/account").await;
    axe(&b, js, "the Account page").await;
    b.fill("Current password", PASSWORD).await;
    b.fill("New password", NEW_PASSWORD).await;
    b.fill("Confirm new password", NEW_PASSWORD).await;
    b.click("Change password").await;
    b.wait_for_text("Your password was changed.").await;
    b.goto(&app.tokens_path()).await;
    b.wait_for_path(&app.tokens_path()).await;

    elsewhere.goto(&app.tokens_path()).await;
    elsewhere.wait_for_path("/login").await;
    b.finish().await;
    elsewhere.finish().await;
}

#[tokio::test]
async fn an_account_creates_a_project_and_a_password_change_ends_its_other_session() {
    create_project_and_change_password(true).await;
}

#[tokio::test]
async fn without_js_an_account_creates_a_project_and_a_password_change_ends_its_other_session() {
    create_project_and_change_password(false).await;
}

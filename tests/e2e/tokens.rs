//! Journeys on the Tokens page with JavaScript on: list, create and the show-once value, copy, validation,
//! delete, roles, the project switcher, keyboard and focus, accessibility.

use crate::common::{TestApp, TestUser, PASSWORD};
use crate::harness::{Browser, Kind};
use crate::login::log_in;
use mlp_console::domain::roles::TokenRole;
use mlp_console::domain::secret::{digest_of, parse_kind, SecretKind};
use mlp_console::domain::{Description, MemberRole, TokenName, Ttl};
use mlp_console::service::{Actor, NewTokenSpec};
use serde_json::{json, Value};
use thirtyfour::prelude::*;

pub const WARNING: &str =
    "After closing this window, it will be impossible to restore the token value. \
                       If it is lost, create a new token.";

/// A browser signed in as `email`, on the Tokens page of `app`'s project.
pub async fn signed_in(app: &TestApp, journey: &str, email: &str) -> Browser {
    let b = Browser::open(journey, &app.address).await;
    log_in(&b, email, PASSWORD).await;
    b.wait_for_path(&app.tokens_path()).await;
    b
}

/// A token made outside the browser (the CLI's way), created by `as_email`.
pub fn token_by(app: &TestApp, project_id: &str, name: &str, role: &str, as_email: &str) {
    mlp_console::cli::create_token(
        &app.db(),
        project_id,
        name,
        role,
        None,
        Some(as_email),
        None,
    )
    .expect("a token");
}

/// Sets a marker on `window`; it survives only if the page is not reloaded.
pub async fn mark_page(b: &Browser) {
    b.js("window.__marker = 1;", vec![]).await;
}

pub async fn assert_not_reloaded(b: &Browser) {
    assert_eq!(
        b.js("return window.__marker === 1;", vec![]).await,
        Value::Bool(true),
        "the page was reloaded (the marker set on window is gone)"
    );
}

/// Is `value` anywhere in the document (markup or a field's current value)?
pub async fn value_in_dom(b: &Browser, value: &str) -> bool {
    b.js(
        "var v = arguments[0];
         return document.documentElement.outerHTML.indexOf(v) >= 0 ||
           Array.from(document.querySelectorAll('input, textarea')).some(function (f) { return f.value === v; });",
        vec![json!(value)],
    )
    .await
        == Value::Bool(true)
}

/// Checks a shown value against SPEC §3 and against the database (its digest is the new token's).
pub fn assert_is_the_new_token(app: &TestApp, value: &str, name: &str) {
    assert_eq!(
        parse_kind(value).map_err(|e| format!("{e:?}")),
        Ok(SecretKind::Access),
        "{value:?} is not an access token value (format and checksum of SPEC §3)"
    );
    let mut conn = app.db().conn().unwrap();
    let record = mlp_console::db::tokens::find_active_by_digest(&mut conn, &digest_of(value))
        .unwrap()
        .expect("the shown value is an active token");
    assert_eq!(record.name, name);
}

fn active_names(app: &TestApp, project_id: &str) -> Vec<String> {
    let mut conn = app.db().conn().unwrap();
    mlp_console::db::tokens::all_active(&mut conn, project_id)
        .unwrap()
        .into_iter()
        .map(|t| t.name)
        .collect()
}

/// Opens the create dialog from the page header's button and returns the dialog.
async fn open_create_dialog(b: &Browser) -> WebElement {
    b.click("Create access token").await;
    b.dialog("Create access token").await
}

/// A token created at the app's (manual) clock time, so that tests control the order and the ages shown.
fn seed(
    app: &TestApp,
    name: &str,
    role: TokenRole,
    lifetime_days: Option<i64>,
    creator: &TestUser,
    description: &str,
) {
    let spec = NewTokenSpec {
        project_id: app.project_id.clone(),
        name: TokenName::parse(name).unwrap(),
        role,
        description: Description::parse(description).unwrap(),
        lifetime: lifetime_days.and_then(|d| Ttl::from_secs(d as u64 * 86_400)),
        label_selector: None,
    };
    // A fixture: made with an owner's rights, recorded as its creator's.
    let actor = Actor::member(&creator.account_id, &creator.email, MemberRole::Owner, None);
    app.state.tokens.create(&spec, &actor).unwrap();
}

/// A realistic page (for the README screenshots too): several creators, roles, expiries, a description.
/// Returns the colleague who made `ci-deploy`.
pub fn seed_realistic(app: &TestApp) -> TestUser {
    let colleague = app.member("dana@example.com", "admin");
    app.clock.advance(chrono::Duration::days(-12));
    seed(
        app,
        "nightly-training",
        TokenRole::User,
        None,
        &app.owner,
        "Scheduled retraining of the ranking model",
    );
    app.clock.advance(chrono::Duration::days(9));
    seed(app, "ci-deploy", TokenRole::Admin, Some(90), &colleague, "");
    app.clock
        .advance(chrono::Duration::days(3) - chrono::Duration::hours(2));
    seed(
        app,
        "spark-gateway",
        TokenRole::User,
        Some(5),
        &app.owner,
        "",
    );
    app.clock.advance(chrono::Duration::hours(2));
    colleague
}

#[tokio::test]
async fn tokens_page_lists_the_projects_tokens() {
    let app = TestApp::spawn().await;
    let owner = app.owner.email.clone();
    let colleague = seed_realistic(&app);

    let b = signed_in(&app, "tokens-page", &owner).await;

    b.find_heading("Access tokens").await;
    assert!(
        b.title().await.contains("alpha"),
        "the title names the project"
    );
    let text = b.text().await;
    assert!(text.contains("ML Platform"), "breadcrumb");
    let names: Vec<String> = b
        .js(
            "return Array.from(document.querySelectorAll('tbody tr')).map(function (r) { return r.cells[0].innerText.split('\\n')[0]; });",
            vec![],
        )
        .await
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap().to_owned())
        .collect();
    assert_eq!(
        names,
        ["spark-gateway", "ci-deploy", "nightly-training"],
        "newest first"
    );
    let admin_row = b.row("ci-deploy").await;
    let admin_text = admin_row.text().await.unwrap();
    assert!(admin_text.contains("Administrator"), "{admin_text}");
    assert!(admin_text.contains(&colleague.email), "{admin_text}");
    let user_row = b.row("nightly-training").await;
    let user_text = user_row.text().await.unwrap();
    assert!(
        user_text.contains("User") && user_text.contains("Never"),
        "{user_text}"
    );
    b.within(&user_row).button("Delete").await;
    b.axe("the Tokens page").await;
    b.screenshot("tokens-page").await;
    b.finish().await;
}

#[tokio::test]
async fn create_shows_the_value_once_and_adds_the_row_without_reload() {
    let app = TestApp::spawn().await;
    seed_realistic(&app);
    let b = signed_in(&app, "create-token", &app.owner.email).await;
    mark_page(&b).await;

    let opener = b.button("Create access token").await;
    let dialog = open_create_dialog(&b).await;
    b.axe("the open create dialog").await;
    b.screenshot("create-dialog").await;
    let form = b.within(&dialog);
    form.fill("Name", "batch-scoring").await;
    form.choose("Role", "Administrator").await;
    form.fill("Label selector", "model=base").await;
    form.click("Create").await;

    let shown = b.dialog("Access token created").await;
    let value_field = b.within(&shown).field("Token value").await;
    let value = value_field.value().await.unwrap().unwrap_or_default();
    assert_is_the_new_token(&app, &value, "batch-scoring");
    assert_eq!(
        value_field.attr("readonly").await.unwrap().as_deref(),
        Some("true"),
        "the value is read-only"
    );
    b.wait_until(
        "the focus to move to the value",
        "return !!document.activeElement && document.activeElement.id === 'token-value';",
    )
    .await;
    b.within(&shown).button("Copy").await;
    b.within(&shown).button("Ready").await;
    assert!(b.text().await.contains(WARNING), "the show-once warning");
    b.axe("the show-once dialog").await;
    b.screenshot("show-once-dialog").await;

    b.within(&shown).click("Ready").await;

    b.wait_until(
        "the show-once dialog to leave the page",
        "return !document.querySelector('dialog');",
    )
    .await;
    assert!(
        !value_in_dom(&b, &value).await,
        "the value is gone from the DOM"
    );
    let row = b.row("batch-scoring").await;
    assert!(row.text().await.unwrap().contains("Administrator"));
    // The selector's chip under the name (SPEC §13).
    let chip = row
        .find(By::Css(".label-chip"))
        .await
        .expect("a label chip on the scoped token's row");
    assert!(chip.is_displayed().await.unwrap());
    // WebDriver's text includes the visually hidden "Label selector" that screen readers say first.
    let said = chip.text().await.unwrap();
    assert_eq!(
        said.split_whitespace().collect::<Vec<_>>(),
        ["Label", "selector", "model=base"]
    );
    let unscoped = b.row("nightly-training").await;
    assert!(unscoped.find(By::Css(".label-chip")).await.is_err());
    assert!(
        b.has_focus(&opener).await,
        "the focus is back on Create access token"
    );
    assert_not_reloaded(&b).await;
    assert_eq!(b.path().await, app.tokens_path());
    b.screenshot("token-created").await;
    b.finish().await;
}

#[tokio::test]
async fn the_first_token_replaces_the_empty_state() {
    let app = TestApp::spawn().await;
    let b = signed_in(&app, "first-token", &app.owner.email).await;
    mark_page(&b).await;

    b.wait_for_text("No access tokens yet").await;
    // Two "Create access token" buttons: the page head's and the empty state's; a person uses the latter.
    let empty = b.region("No access tokens yet").await;
    b.screenshot("empty-state").await;
    b.within(&empty)
        .button("Create access token")
        .await
        .click()
        .await
        .unwrap();
    let dialog = b.dialog("Create access token").await;
    b.within(&dialog).fill("Name", "first").await;
    b.within(&dialog).click("Create").await;
    let shown = b.dialog("Access token created").await;
    let value = shown_value(&b, &shown).await;
    assert_is_the_new_token(&app, &value, "first");
    b.within(&shown).click("Ready").await;

    let row = b.row("first").await;
    assert!(row.text().await.unwrap().contains("User"));
    assert!(!b.text().await.contains("No access tokens yet"));
    assert!(!value_in_dom(&b, &value).await);
    assert_not_reloaded(&b).await;
    b.finish().await;
}

/// The value a show-once dialog shows.
pub async fn shown_value(b: &Browser, dialog: &WebElement) -> String {
    b.within(dialog)
        .field("Token value")
        .await
        .value()
        .await
        .unwrap()
        .unwrap_or_default()
}

/// Creates a token through the dialog and returns the shown value (the show-once dialog stays open).
async fn create_through_dialog(b: &Browser, name: &str) -> (WebElement, String) {
    let dialog = open_create_dialog(b).await;
    b.within(&dialog).fill("Name", name).await;
    b.within(&dialog).click("Create").await;
    let shown = b.dialog("Access token created").await;
    let value = shown_value(b, &shown).await;
    (shown, value)
}

#[tokio::test]
async fn copy_puts_the_value_on_the_clipboard() {
    let app = TestApp::spawn().await;
    app.token("existing", "user");
    let b = signed_in(&app, "copy", &app.owner.email).await;
    b.grant_clipboard().await;
    let (shown, value) = create_through_dialog(&b, "copied").await;

    b.within(&shown).click("Copy").await;

    b.wait_until(
        "the copy status to say Copied",
        "var s = document.querySelector('[data-copy-status]'); return !!s && s.textContent === 'Copied';",
    )
    .await;
    let clipboard = b
        .driver
        .execute_async(
            "var done = arguments[arguments.length - 1];
             navigator.clipboard.readText().then(done, function (e) { done('read failed: ' + e.name); });",
            Vec::<Value>::new(),
        )
        .await
        .unwrap()
        .json()
        .clone();
    assert_eq!(
        clipboard.as_str(),
        Some(value.as_str()),
        "the clipboard holds the value"
    );
    b.screenshot("copied").await;
    b.finish().await;
}

#[tokio::test]
async fn a_refused_copy_is_reported_to_the_user() {
    let app = TestApp::spawn().await;
    app.token("existing", "user");
    let b = signed_in(&app, "copy-refused", &app.owner.email).await;
    b.cdp(
        "Browser.setPermission",
        json!({
            "origin": app.address,
            "permission": { "name": "clipboard-write" },
            "setting": "denied",
        }),
    )
    .await;
    let (shown, value) = create_through_dialog(&b, "not-copied").await;

    b.within(&shown).click("Copy").await;

    b.wait_until(
        "the copy status to report the failure",
        "var s = document.querySelector('[data-copy-status]'); return !!s && s.textContent !== '';",
    )
    .await;
    let status = b
        .js(
            "return document.querySelector('[data-copy-status]').textContent;",
            vec![],
        )
        .await;
    assert_eq!(
        status.as_str(),
        Some("Copy failed \u{2014} select the value and press Ctrl+C")
    );
    // The value is selected, ready for Ctrl+C.
    let field = b.within(&shown).field("Token value").await;
    let selected = b
        .js(
            "var f = arguments[0]; return document.activeElement === f && f.selectionStart === 0 && f.selectionEnd === f.value.length;",
            vec![field.to_json().unwrap()],
        )
        .await;
    assert_eq!(selected, Value::Bool(true), "the value is selected");
    assert_eq!(value.len(), 55);
    b.screenshot("copy-refused").await;
    b.finish().await;
}

#[tokio::test]
async fn validation_keeps_the_dialog_open_with_the_typed_values() {
    let app = TestApp::spawn().await;
    app.token("ci-runner", "user");
    let b = signed_in(&app, "validation", &app.owner.email).await;
    mark_page(&b).await;
    let dialog = open_create_dialog(&b).await;
    let form = b.within(&dialog);
    form.choose("Role", "Administrator").await;
    form.choose("Expiration", "30 days").await;
    form.fill("Description", "for nightly jobs").await;

    // An empty name.
    form.click("Create").await;
    let name = assert_name_error(&b, "Enter a name.").await;
    assert!(b.has_focus(&name).await, "the focus is on the field to fix");
    assert_kept(&b, "").await;
    b.screenshot("validation-error").await;

    // A name another active token has.
    let dialog = b.dialog("Create access token").await;
    b.within(&dialog).fill("Name", "ci-runner").await;
    b.within(&dialog).click("Create").await;
    assert_name_error(&b, "An active token of this project already has this name.").await;
    assert_kept(&b, "ci-runner").await;
    assert_eq!(
        active_names(&app, &app.project_id),
        ["ci-runner"],
        "nothing was created"
    );

    // Fixed: it goes through.
    let dialog = b.dialog("Create access token").await;
    b.within(&dialog).fill("Name", "ci-runner-2").await;
    b.within(&dialog).click("Create").await;
    let shown = b.dialog("Access token created").await;
    b.within(&shown).click("Ready").await;
    let row = b.row("ci-runner-2").await;
    let text = row.text().await.unwrap();
    assert!(
        text.contains("Administrator") && text.contains("for nightly jobs"),
        "{text}"
    );
    assert_not_reloaded(&b).await;
    b.finish().await;
}

/// The create dialog is still open (modal) and shows `message` next to Name, tied to it for screen readers.
async fn assert_name_error(b: &Browser, message: &str) -> WebElement {
    b.wait_for_text(message).await;
    let dialog = b.dialog("Create access token").await;
    assert_eq!(
        b.js(
            "return arguments[0].matches(':modal');",
            vec![dialog.to_json().unwrap()]
        )
        .await,
        Value::Bool(true),
        "the dialog stays open"
    );
    let name = b.within(&dialog).field("Name").await;
    let next_to = b
        .js(
            "var f = arguments[0], msg = arguments[1];
             var ids = (f.getAttribute('aria-describedby') || '').split(/\\s+/);
             return ids.some(function (id) {
               var e = document.getElementById(id);
               return !!e && e.textContent.trim() === msg && e.parentElement === f.parentElement;
             }) && f.getAttribute('aria-invalid') === 'true';",
            vec![name.to_json().unwrap(), json!(message)],
        )
        .await;
    assert_eq!(
        next_to,
        Value::Bool(true),
        "{message:?} sits next to the Name field and describes it"
    );
    name
}

async fn assert_kept(b: &Browser, name: &str) {
    let dialog = b.dialog("Create access token").await;
    let form = b.within(&dialog);
    assert_eq!(
        form.field("Name").await.value().await.unwrap().as_deref(),
        Some(name)
    );
    assert_eq!(
        form.field("Description")
            .await
            .value()
            .await
            .unwrap()
            .as_deref(),
        Some("for nightly jobs")
    );
    let role = form.field("Role").await;
    let admin = b.within(&role).field("Administrator").await;
    assert!(
        admin.is_selected().await.unwrap(),
        "Administrator stays chosen"
    );
    let expiration = form.field("Expiration").await;
    assert_eq!(expiration.value().await.unwrap().as_deref(), Some("30"));
}

#[tokio::test]
async fn delete_then_cancel_keeps_the_row_and_returns_the_focus() {
    let app = TestApp::spawn().await;
    app.token("keep-me", "user");
    let b = signed_in(&app, "delete-cancel", &app.owner.email).await;
    let row = b.row("keep-me").await;
    let opener = b.within(&row).button("Delete").await;
    let history_before = b.js("return history.length;", vec![]).await;

    opener.click().await.unwrap();

    let dialog = b.dialog("Delete access token").await;
    let text = dialog.text().await.unwrap();
    assert!(
        text.contains("“keep-me”"),
        "the dialog names the token: {text}"
    );
    b.within(&dialog).button("Confirm").await;
    assert_eq!(
        b.js(
            "return arguments[0].contains(document.activeElement);",
            vec![dialog.to_json().unwrap()]
        )
        .await,
        Value::Bool(true),
        "the focus moved into the dialog"
    );
    b.screenshot("delete-dialog").await;
    b.within(&dialog).click("Cancel").await;

    b.wait_until(
        "the dialog to close",
        "return !document.querySelector('dialog');",
    )
    .await;
    b.row("keep-me").await;
    assert!(b.has_focus(&opener).await, "the focus is back on Delete");
    // The boosted Delete form fetched its confirmation without touching the address bar or history.
    assert_eq!(b.path().await, app.tokens_path());
    assert_eq!(b.js("return history.length;", vec![]).await, history_before);
    assert_eq!(active_names(&app, &app.project_id), ["keep-me"]);
    b.finish().await;
}

#[tokio::test]
async fn delete_then_confirm_removes_the_row_without_reload() {
    let app = TestApp::spawn().await;
    app.token("stays", "user");
    app.token("goes", "admin");
    let b = signed_in(&app, "delete-confirm", &app.owner.email).await;
    mark_page(&b).await;
    let row = b.row("goes").await;

    b.within(&row).click("Delete").await;
    let dialog = b.dialog("Delete access token").await;
    b.within(&dialog).click("Confirm").await;

    b.wait_until(
        "the row to go",
        "return !Array.from(document.querySelectorAll('tbody tr')).some(function (r) { return r.cells[0].innerText.trim() === 'goes'; });",
    )
    .await;
    // htmx removes the row (the main swap) before the dialog (an out-of-band swap of the same answer).
    b.wait_until(
        "the dialog to go",
        "return !document.getElementById('confirm-delete');",
    )
    .await;
    b.row("stays").await;
    assert_not_reloaded(&b).await;
    assert_eq!(active_names(&app, &app.project_id), ["stays"]);
    b.finish().await;
}

#[tokio::test]
async fn a_member_deletes_only_its_own_tokens_and_cannot_make_administrators() {
    let app = TestApp::spawn().await;
    let member = app.member("max@example.com", "member");
    token_by(
        &app,
        &app.project_id,
        "owners-token",
        "admin",
        &app.owner.email,
    );
    token_by(
        &app,
        &app.project_id,
        "members-token",
        "user",
        &member.email,
    );
    let b = signed_in(&app, "member", &member.email).await;

    let theirs = b.row("owners-token").await;
    assert!(
        b.within(&theirs).is_absent(Kind::Control, "Delete").await,
        "no Delete on someone else's token"
    );
    let mine = b.row("members-token").await;
    b.within(&mine).button("Delete").await;

    let dialog = open_create_dialog(&b).await;
    let role = b.within(&dialog).field("Role").await;
    b.within(&role).field("User").await;
    assert!(
        b.within(&role)
            .is_absent(Kind::Field, "Administrator")
            .await,
        "no Administrator choice for a member"
    );
    b.screenshot("member").await;
    b.finish().await;
}

#[tokio::test]
async fn a_viewer_sees_the_tokens_but_no_create_or_delete() {
    let app = TestApp::spawn().await;
    let viewer = app.member("vic@example.com", "viewer");
    app.token("visible", "user");
    let b = signed_in(&app, "viewer", &viewer.email).await;

    let row = b.row("visible").await;
    assert!(
        b.page()
            .is_absent(Kind::Control, "Create access token")
            .await
    );
    assert!(b.within(&row).is_absent(Kind::Control, "Delete").await);
    b.axe("the Tokens page of a viewer").await;
    b.screenshot("viewer").await;
    b.finish().await;
}

#[tokio::test]
async fn the_project_switcher_shows_each_projects_own_tokens() {
    let app = TestApp::spawn().await;
    let (beta, _) = app.other_project("beta", "bea@example.com");
    mlp_console::cli::add_member(&app.db(), &beta, &app.owner.email, "member").unwrap();
    app.token("alpha-token", "user");
    token_by(&app, &beta, "beta-token", "user", "bea@example.com");
    let b = signed_in(&app, "project-switcher", &app.owner.email).await;
    b.row("alpha-token").await;
    assert!(b.page().is_absent(Kind::Row, "beta-token").await);

    b.choose("Project", "beta").await;

    b.wait_for_path(&format!("/projects/{beta}/tokens")).await;
    b.row("beta-token").await;
    assert!(b.page().is_absent(Kind::Row, "alpha-token").await);
    assert!(b.title().await.contains("beta"));
    b.screenshot("project-switcher").await;

    b.choose("Project", "alpha").await;

    b.wait_for_path(&app.tokens_path()).await;
    b.row("alpha-token").await;
    assert!(b.page().is_absent(Kind::Row, "beta-token").await);
    b.finish().await;
}

#[tokio::test]
async fn escape_closes_the_dialog_and_the_focus_returns_to_its_opener() {
    let app = TestApp::spawn().await;
    app.token("some-token", "user");
    let b = signed_in(&app, "escape-and-focus", &app.owner.email).await;
    let opener = b.button("Create access token").await;

    opener.click().await.unwrap();
    let dialog = b.dialog("Create access token").await;
    let name = b.within(&dialog).field("Name").await;
    b.wait_until(
        "the focus to move into the dialog",
        "return !!document.activeElement && document.activeElement.id === 'token-name';",
    )
    .await;
    assert!(b.has_focus(&name).await, "the focus is on Name");
    name.send_keys("half-typed").await.unwrap();

    b.press(Key::Escape).await;

    b.wait_until(
        "the dialog to leave the page",
        "return !document.querySelector('dialog');",
    )
    .await;
    assert!(
        b.has_focus(&opener).await,
        "the focus is back on Create access token"
    );
    assert_eq!(
        active_names(&app, &app.project_id),
        ["some-token"],
        "nothing was created"
    );
    b.finish().await;
}

/// Every `fetch` of the page from now on leaves 1.5 s late, as on a slow network (htmx reads
/// `window.fetch` per request).
pub async fn slow_network(b: &Browser) {
    b.js(
        "var fetchNow = window.fetch;
         window.fetch = function () {
           var args = arguments;
           return new Promise(function (wait) { setTimeout(wait, 1500); })
             .then(function () { return fetchNow.apply(window, args); });
         };
         return true;",
        vec![],
    )
    .await;
}

#[tokio::test]
async fn escape_while_creating_still_shows_the_new_value() {
    let app = TestApp::spawn().await;
    app.token("some-token", "user");
    let b = signed_in(&app, "escape-while-creating", &app.owner.email).await;
    let opener = b.button("Create access token").await;
    let dialog = open_create_dialog(&b).await;
    b.within(&dialog).fill("Name", "slow-network").await;
    slow_network(&b).await;

    b.within(&dialog).click("Create").await;
    b.press(Key::Escape).await;

    b.wait_until(
        "Escape to close the create dialog while its request is in flight",
        "return !document.querySelector('dialog[open]');",
    )
    .await;
    assert!(
        b.has_focus(&opener).await,
        "the focus is back on Create access token"
    );
    // The token is created all the same, and its value is shown: it would not be shown anywhere else.
    let shown = b.dialog("Access token created").await;
    let value = shown_value(&b, &shown).await;
    assert_is_the_new_token(&app, &value, "slow-network");
    b.within(&shown).click("Ready").await;
    b.wait_until(
        "every dialog to leave the page",
        "return !document.querySelector('dialog');",
    )
    .await;
    assert!(!value_in_dom(&b, &value).await, "the value is gone");
    b.row("slow-network").await;
    b.finish().await;
}

#[tokio::test]
async fn escape_while_a_refused_create_is_in_flight_shows_the_form_again() {
    let app = TestApp::spawn().await;
    app.token("some-token", "user");
    let b = signed_in(&app, "escape-while-refused", &app.owner.email).await;
    let dialog = open_create_dialog(&b).await;
    // A name another active token has: the answer re-renders the form with its message.
    b.within(&dialog).fill("Name", "some-token").await;
    slow_network(&b).await;

    b.within(&dialog).click("Create").await;
    b.press(Key::Escape).await;

    // The refused form comes back and opens again, with the name as typed and its message.
    let again = b.dialog("Create access token").await;
    b.wait_until(
        "the refused form to open again",
        "return !!document.querySelector('dialog[open] [aria-invalid=true]');",
    )
    .await;
    assert_eq!(
        b.within(&again)
            .field("Name")
            .await
            .value()
            .await
            .unwrap()
            .as_deref(),
        Some("some-token")
    );
    b.press(Key::Escape).await;
    b.wait_until(
        "every dialog to leave the page",
        "return !document.querySelector('dialog');",
    )
    .await;
    assert_eq!(active_names(&app, &app.project_id), ["some-token"]);
    b.finish().await;
}

#[tokio::test]
async fn another_projects_page_is_not_found() {
    let app = TestApp::spawn().await;
    let (beta, _) = app.other_project("beta", "bea@example.com");
    let mut b = signed_in(&app, "not-a-member", &app.owner.email).await;
    // The 404 is the point of this journey; Chrome logs it as a SEVERE network entry.
    b.expect_status(404);

    b.goto(&format!("/projects/{beta}/tokens")).await;

    b.find_heading("Not found").await;
    assert!(
        !b.text().await.contains("beta"),
        "nothing about the project leaks"
    );
    assert_eq!(
        b.check_console().await,
        1,
        "exactly the expected 404 was logged (and ignored)"
    );
    b.click("Back to the console").await;
    b.wait_for_path(&app.tokens_path()).await;
    b.finish().await;
}

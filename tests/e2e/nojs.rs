//! Journeys in a profile with JavaScript disabled: plain forms and full pages must do the whole job.

use crate::common::{TestApp, PASSWORD};
use crate::harness::{Browser, Kind};
use crate::login::log_in;
use crate::tokens::shown_value;
use mlp_console::domain::secret::{digest_of, parse_kind, SecretKind};

async fn signed_in_without_js(app: &TestApp, journey: &str) -> Browser {
    let b = Browser::open_without_js(journey, &app.address).await;
    log_in(&b, &app.owner.email, PASSWORD).await;
    b.wait_for_path(&app.tokens_path()).await;
    // Proof that scripts really are off: the <noscript> "Go" button of the project switcher is shown.
    b.button("Go").await;
    b
}

#[tokio::test]
async fn without_js_create_shows_the_value_once_on_a_full_page() {
    let app = TestApp::spawn().await;
    app.token("existing", "user");
    let b = signed_in_without_js(&app, "nojs-create").await;

    b.click("Create access token").await;
    b.wait_for_path(&format!("{}/new", app.tokens_path())).await;
    let dialog = b.dialog("Create access token").await;
    b.within(&dialog).fill("Name", "from-a-plain-form").await;
    b.within(&dialog).choose("Role", "Administrator").await;
    b.within(&dialog).click("Create").await;

    let shown = b.dialog("Access token created").await;
    assert!(
        b.title().await.contains("Access token created"),
        "a full page"
    );
    let value = shown_value(&b, &shown).await;
    assert_eq!(
        parse_kind(&value).ok(),
        Some(SecretKind::Access),
        "{value:?}"
    );
    let mut conn = app.db().conn().unwrap();
    let record = mlp_console::db::tokens::find_active_by_digest(&mut conn, &digest_of(&value))
        .unwrap()
        .expect("the shown value is the new token");
    assert_eq!(record.name, "from-a-plain-form");
    b.wait_for_text("Select the value and copy it (Ctrl+C).")
        .await;
    b.wait_for_text("After closing this window, it will be impossible to restore the token value.")
        .await;
    b.screenshot("nojs-show-once").await;

    b.within(&shown).click("Ready").await;

    b.wait_for_path(&app.tokens_path()).await;
    let row = b.row("from-a-plain-form").await;
    assert!(row.text().await.unwrap().contains("Administrator"));
    assert!(
        !b.driver.source().await.unwrap().contains(&value),
        "the value is not shown again"
    );
    b.finish().await;
}

#[tokio::test]
async fn without_js_delete_asks_on_a_confirmation_page() {
    let app = TestApp::spawn().await;
    app.token("stays", "user");
    app.token("goes", "user");
    let b = signed_in_without_js(&app, "nojs-delete").await;

    // Cancel first: nothing changes.
    let row = b.row("goes").await;
    b.within(&row).click("Delete").await;
    let dialog = b.dialog("Delete access token").await;
    assert!(dialog.text().await.unwrap().contains("“goes”"));
    assert!(b.path().await.ends_with("/delete"), "a confirmation page");
    b.screenshot("nojs-delete").await;
    b.within(&dialog).click("Cancel").await;
    b.wait_for_path(&app.tokens_path()).await;

    let row = b.row("goes").await;
    b.within(&row).click("Delete").await;
    let dialog = b.dialog("Delete access token").await;
    b.within(&dialog).click("Confirm").await;

    b.wait_for_path(&app.tokens_path()).await;
    b.row("stays").await;
    assert!(
        b.page().is_absent(Kind::Row, "goes").await,
        "the row is gone"
    );
    b.finish().await;
}

#[tokio::test]
async fn without_js_renew_and_the_description_use_plain_pages() {
    let app = TestApp::spawn().await;
    let old = app.token("ci", "user");
    let b = signed_in_without_js(&app, "nojs-renew-description").await;

    // Renew: the row's button submits its GET form to a confirmation page, then a full page shows the value.
    let row = b.row("ci").await;
    b.within(&row).click("Renew ci").await;
    let confirm = b.dialog("Renew access token").await;
    assert!(b.path().await.ends_with("/renew"), "a confirmation page");
    b.within(&confirm).click("Renew").await;
    let shown = b.dialog("Access token renewed").await;
    let new = shown_value(&b, &shown).await;
    assert_eq!(parse_kind(&new).ok(), Some(SecretKind::Access), "{new:?}");
    assert_ne!(new, old);
    b.screenshot("nojs-renewed").await;
    b.within(&shown).click("Ready").await;
    b.wait_for_path(&app.tokens_path()).await;
    let status = |value: String| {
        let url = app.url("/api/v1/tokens/me");
        async move {
            reqwest::Client::new()
                .get(url)
                .bearer_auth(value)
                .send()
                .await
                .unwrap()
                .status()
                .as_u16()
        }
    };
    assert_eq!(status(old).await, 401, "the old value stopped");
    assert_eq!(status(new).await, 200);

    // The description: its own page with a plain form.
    let row = b.row("ci").await;
    b.within(&row).click("Edit description of ci").await;
    let editor = b.dialog("Edit description of “ci”").await;
    assert!(b.path().await.ends_with("/description"), "an edit page");
    b.within(&editor).fill("Description", "Nightly CI").await;
    b.within(&editor).click("Save").await;
    b.wait_for_path(&app.tokens_path()).await;
    let row = b.row("ci").await;
    assert!(row.text().await.unwrap().contains("Nightly CI"));
    b.finish().await;
}

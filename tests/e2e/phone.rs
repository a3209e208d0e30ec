//! The console at phone width (390 × 844) and on a laptop (1280 × 800), light and dark (issue 16): every
//! journey of the Tokens page — create, copy, edit the description, renew, delete, Show deleted, the audit
//! log — with nothing scrolling sideways, every action visible and usable where it is, and axe clean.

use crate::common::{TestApp, PASSWORD};
use crate::harness::Browser;
use crate::lifecycle::wait_no_dialog;
use crate::login::log_in;
use crate::tokens::{seed_realistic, shown_value};
use serde_json::json;
use thirtyfour::prelude::*;

const PHONE: (u32, u32) = (390, 844);
const LAPTOP: (u32, u32) = (1280, 800);

/// A browser of that size signed in as the project's owner, on its Tokens page.
async fn signed_in_at(app: &TestApp, journey: &str, (width, height): (u32, u32)) -> Browser {
    let b = Browser::open(journey, &app.address).await;
    b.viewport(width, height).await;
    log_in(&b, &app.owner.email, PASSWORD).await;
    b.wait_for_path(&app.tokens_path()).await;
    b
}

/// axe-core on the page as it is, in the light and in the dark scheme; ends light.
async fn axe_both_schemes(b: &Browser, what: &str) {
    b.axe(&format!("{what} (light)")).await;
    b.color_scheme(true).await;
    b.axe(&format!("{what} (dark)")).await;
    b.color_scheme(false).await;
}

/// The cell of `row` under the column header `label` (the card's labelled line at phone width).
async fn cell(b: &Browser, row: &WebElement, label: &str) -> WebElement {
    b.driver
        .execute(
            "var row = arguments[0];
             var heads = Array.from(row.closest('table').tHead.rows[0].cells)
               .map(function (c) { return c.textContent.replace(/\\s+/g, ' ').trim(); });
             var i = heads.indexOf(arguments[1]);
             return i < 0 ? null : row.cells[i];",
            vec![row.to_json().expect("an element reference"), json!(label)],
        )
        .await
        .expect("the cell lookup runs")
        .element()
        .unwrap_or_else(|e| panic!("no {label} column: {e}"))
}

/// A token row's actions and columns, each visible and usable where it is.
async fn assert_row_usable(b: &Browser, name: &str, manageable: bool) {
    let row = b.row(name).await;
    for label in ["Role", "Created", "Created by", "Expires", "Last used"] {
        b.assert_usable(&cell(b, &row, label).await, &format!("{name}: {label}"))
            .await;
    }
    let hint = row.find(By::Css("td.name .hint")).await.expect("a hint");
    b.assert_usable(&hint, &format!("{name}: its hint")).await;
    if manageable {
        for action in [
            format!("Edit description of {name}"),
            format!("Renew {name}"),
            format!("Delete {name}"),
        ] {
            let button = b.within(&row).button(&action).await;
            b.assert_usable(&button, &action).await;
        }
    }
}

async fn tokens_journey(size: (u32, u32), journey: &str) {
    let app = TestApp::spawn().await;
    seed_realistic(&app);
    let b = signed_in_at(&app, journey, size).await;
    b.grant_clipboard().await;

    // The list: every column and action of every row in reach, nothing off to the side.
    b.assert_fits_width("the Tokens page").await;
    if size == LAPTOP {
        let scrolls = b
            .js(
                "return Array.from(document.querySelectorAll('.table-wrap')).some(function (w) { return w.scrollWidth > w.clientWidth; });",
                vec![],
            )
            .await;
        assert_eq!(
            scrolls,
            json!(false),
            "on a laptop the table needs no scrolling of its own"
        );
    }
    for name in ["spark-gateway", "ci-deploy", "nightly-training"] {
        assert_row_usable(&b, name, true).await;
    }
    let soon = b.row("spark-gateway").await;
    let warning = soon
        .find(By::Css("td.expires .badge-warn"))
        .await
        .expect("the expiry warning");
    b.assert_usable(&warning, "the Expires in … badge").await;
    axe_both_schemes(&b, "the Tokens page").await;
    if size == PHONE {
        b.js("window.scrollTo(0, 0);", vec![]).await;
        b.screenshot("tokens-page-phone").await;
    }

    // Create, with the 30-day default, then copy the value shown once.
    b.click("Create access token").await;
    let dialog = b.dialog("Create access token").await;
    b.assert_fits_width("the create dialog").await;
    let form = b.within(&dialog);
    let expiration = form.field("Expiration").await;
    assert_eq!(
        expiration.value().await.unwrap().as_deref(),
        Some("30"),
        "30 days unless changed"
    );
    form.fill("Name", "phone-made-token").await;
    form.fill("Label selector", "model=base").await;
    b.assert_usable(&form.button("Create").await, "Create")
        .await;
    form.click("Create").await;
    let shown = b.dialog("Access token created").await;
    b.assert_fits_width("the show-once dialog").await;
    let value = shown_value(&b, &shown).await;
    assert!(value.starts_with("mlpat_"));
    let copy = b.within(&shown).button("Copy").await;
    b.assert_usable(&copy, "Copy").await;
    copy.click().await.unwrap();
    b.wait_until(
        "the copy status to say Copied",
        "var s = document.querySelector('[data-copy-status]'); return !!s && s.textContent === 'Copied';",
    )
    .await;
    let ready = b.within(&shown).button("Ready").await;
    b.assert_usable(&ready, "Ready").await;
    axe_both_schemes(&b, "the show-once dialog").await;
    ready.click().await.unwrap();
    wait_no_dialog(&b).await;
    assert_row_usable(&b, "phone-made-token", true).await;
    b.assert_fits_width("the list with the new token").await;

    // Edit the description in place: the editor fits, Save and Cancel in reach.
    let row = b.row("phone-made-token").await;
    b.within(&row)
        .click("Edit description of phone-made-token")
        .await;
    let field = b.field("Description").await;
    b.assert_usable(&field, "the description field").await;
    b.assert_fits_width("the description editor").await;
    b.assert_usable(&b.button("Cancel").await, "Cancel").await;
    b.assert_usable(&b.button("Save").await, "Save").await;
    b.fill("Description", "Scores the base model").await;
    b.click("Save").await;
    b.wait_until(
        "the editor to turn back into the row",
        "return !document.querySelector('tr[data-edit-row]');",
    )
    .await;
    let row = b.row("phone-made-token").await;
    assert!(row.text().await.unwrap().contains("Scores the base model"));

    // Renew: the confirmation and the new value fit.
    b.within(&row).click("Renew phone-made-token").await;
    let confirm = b.dialog("Renew access token").await;
    b.assert_fits_width("the renew confirmation").await;
    let renew = b.within(&confirm).button("Renew").await;
    b.assert_usable(&renew, "Renew").await;
    renew.click().await.unwrap();
    let renewed = b.dialog("Access token renewed").await;
    b.assert_fits_width("the renewed value").await;
    let new_value = shown_value(&b, &renewed).await;
    assert_ne!(new_value, value);
    b.within(&renewed).click("Ready").await;
    wait_no_dialog(&b).await;

    // Delete: the confirmation names the token's last use and fits.
    let row = b.row("phone-made-token").await;
    b.within(&row).click("Delete phone-made-token").await;
    let confirm = b.dialog("Delete access token").await;
    b.assert_fits_width("the delete confirmation").await;
    let said = confirm.text().await.unwrap();
    assert!(said.contains("Never used."), "{said}");
    axe_both_schemes(&b, "the delete confirmation").await;
    let delete = b.within(&confirm).button("Confirm").await;
    b.assert_usable(&delete, "Confirm").await;
    delete.click().await.unwrap();
    b.wait_until(
        "the row to go",
        "return !document.getElementById('confirm-delete') && !Array.from(document.querySelectorAll('.token-name')).some(function (n) { return n.textContent === 'phone-made-token'; });",
    )
    .await;

    // Show deleted: when, by whom and how, all in reach.
    b.open_triage().await;
    b.assert_usable(&b.button("Show deleted").await, "Show deleted")
        .await;
    b.click("Show deleted").await;
    b.wait_until(
        "the deleted list",
        "return !!document.getElementById('deleted-rows');",
    )
    .await;
    b.assert_fits_width("Show deleted").await;
    let deleted = b.row("phone-made-token").await;
    for label in ["Deleted", "Deleted by", "How"] {
        b.assert_usable(
            &cell(&b, &deleted, label).await,
            &format!("Show deleted: {label}"),
        )
        .await;
    }
    assert_eq!(
        cell(&b, &deleted, "Deleted by").await.text().await.unwrap(),
        app.owner.email
    );
    axe_both_schemes(&b, "Show deleted").await;

    // The audit log: time, event, actor and target of each event in reach.
    b.click("Audit log").await;
    b.find_heading("Audit log").await;
    b.assert_fits_width("the audit log").await;
    let first = b
        .driver
        .query(By::Css("table.audit tbody tr"))
        .first()
        .await
        .expect("an audit row");
    for label in ["Time", "Event", "Actor", "Target token"] {
        b.assert_usable(
            &cell(&b, &first, label).await,
            &format!("the audit log: {label}"),
        )
        .await;
    }
    axe_both_schemes(&b, "the audit log").await;
    b.finish().await;
}

#[tokio::test]
async fn every_tokens_journey_fits_a_phone() {
    tokens_journey(PHONE, "phone-390").await;
}

#[tokio::test]
async fn every_tokens_journey_fits_a_laptop() {
    tokens_journey(LAPTOP, "laptop-1280").await;
}

#[tokio::test]
async fn the_members_page_fits_a_phone() {
    let app = TestApp::spawn().await;
    app.member("dana.long-name@example.com", "admin");
    let b = signed_in_at(&app, "members-phone", PHONE).await;
    b.click("Members").await;
    b.find_heading("Members").await;
    b.assert_fits_width("the Members page").await;
    let row = b
        .driver
        .query(By::Css(
            "#member-rows tr[data-email='dana.long-name@example.com']",
        ))
        .first()
        .await
        .expect("the member's row");
    b.assert_usable(
        &b.within(&row)
            .button("Save role of dana.long-name@example.com")
            .await,
        "Save role",
    )
    .await;
    let remove = row
        .find(By::Css("a[aria-label='Remove dana.long-name@example.com']"))
        .await
        .expect("Remove");
    b.assert_usable(&remove, "Remove").await;
    axe_both_schemes(&b, "the Members page").await;
    b.finish().await;
}

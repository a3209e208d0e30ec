//! Journeys through a token's life beyond create and delete (SPEC §9, issue 6): renew, the description
//! edited in place, the deleted tokens, finding a token by a pasted value, the last-use details and the
//! audit log that records it all.

use crate::common::TestApp;
use crate::harness::{Browser, Kind};
use crate::tokens::{
    assert_is_the_new_token, assert_not_reloaded, mark_page, shown_value, signed_in, slow_network,
    value_in_dom, WARNING,
};
use mlp_console::clock::Clock;
use mlp_console::domain::roles::TokenRole;
use mlp_console::domain::secret::{parse_kind, SecretKind};
use mlp_console::domain::Timestamp;
use mlp_console::domain::{Description, MemberRole, TokenName, Ttl};
use mlp_console::service::{Actor, NewTokenSpec};
use serde_json::{json, Value};
use std::collections::HashMap;
use thirtyfour::prelude::*;

/// What the API answers `value` on `GET /api/v1/tokens/me`: 200 for a working token, 401 for a dead one.
async fn api_status(app: &TestApp, value: &str) -> u16 {
    reqwest::Client::new()
        .get(app.url("/api/v1/tokens/me"))
        .bearer_auth(value)
        .send()
        .await
        .expect("the API answers")
        .status()
        .as_u16()
}

/// A row's cells keyed by their column headers, as a person reads a table.
async fn cells(b: &Browser, row: &WebElement) -> HashMap<String, String> {
    let cells = b
        .js(
            "var row = arguments[0];
             var heads = Array.from(row.closest('table').tHead.rows[0].cells)
               .map(function (c) { return c.textContent.replace(/\\s+/g, ' ').trim(); });
             var out = {};
             Array.from(row.cells).forEach(function (c, i) {
               out[heads[i] || ('column ' + i)] = c.innerText.replace(/\\s+/g, ' ').trim();
             });
             return out;",
            vec![row.to_json().expect("element reference")],
        )
        .await;
    serde_json::from_value(cells).expect("cells as text")
}

/// Every body row of the table inside `region`, keyed by column headers.
async fn table_rows(b: &Browser, region: &WebElement) -> Vec<HashMap<String, String>> {
    let rows = b
        .js(
            "var table = arguments[0].querySelector('table');
             var heads = Array.from(table.tHead.rows[0].cells)
               .map(function (c) { return c.textContent.replace(/\\s+/g, ' ').trim(); });
             return Array.from(table.tBodies[0].rows).map(function (row) {
               var out = {};
               Array.from(row.cells).forEach(function (c, i) {
                 out[heads[i]] = c.innerText.replace(/\\s+/g, ' ').trim();
               });
               return out;
             });",
            vec![region.to_json().expect("element reference")],
        )
        .await;
    serde_json::from_value(rows).expect("rows as text")
}

/// Waits until no dialog is left in the page (a closed one is removed by app.js).
pub async fn wait_no_dialog(b: &Browser) {
    b.wait_until(
        "the dialog to leave the page",
        "return !document.querySelector('dialog');",
    )
    .await;
}

/// Waits until no token row reads `name` any more.
async fn wait_row_gone(b: &Browser, name: &str) {
    let script = format!(
        "return !Array.from(document.querySelectorAll('tbody tr')).some(function (r) {{
           return r.cells[0].innerText.split('\\n')[0].trim() === {};
         }});",
        json!(name)
    );
    b.wait_until(&format!("the row {name:?} to go"), &script)
        .await;
}

fn stored_description(app: &TestApp, name: &str) -> Option<String> {
    let mut conn = app.db().conn().unwrap();
    mlp_console::db::tokens::find_active(
        &mut conn,
        &app.project_id,
        &mlp_console::db::tokens::TokenKey::Name(name.into()),
    )
    .unwrap()
    .expect("the token is active")
    .description
}

#[tokio::test]
async fn renew_shows_a_new_value_once_and_the_old_one_stops_working() {
    let app = TestApp::spawn().await;
    app.token("stays-as-is", "user");
    let old = app.token("etl-nightly", "admin");
    assert_eq!(api_status(&app, &old).await, 200, "the old value works");
    let b = signed_in(&app, "renew", &app.owner.email).await;
    // Also proves that htmx, not the button's own GET form, handled each click below.
    mark_page(&b).await;

    let row = b.row("etl-nightly").await;
    b.within(&row).button("Renew etl-nightly").await;
    b.within(&row).click("Renew").await;

    let confirm = b.dialog("Renew access token").await;
    let text = confirm.text().await.unwrap();
    assert!(text.contains("“etl-nightly”"), "names the token: {text}");
    assert!(
        text.contains("The old value stops working at once"),
        "says what happens to the old value: {text}"
    );
    b.within(&confirm).button("Cancel").await;
    b.axe("the renew confirmation dialog").await;
    b.screenshot("renew-dialog").await;
    b.within(&confirm).click("Renew").await;

    let shown = b.dialog("Access token renewed").await;
    let new = shown_value(&b, &shown).await;
    assert_eq!(
        parse_kind(&new).map_err(|e| format!("{e:?}")),
        Ok(SecretKind::Access),
        "{new:?} is a valid access token value (SPEC §3)"
    );
    assert_ne!(new, old, "a new value");
    assert_is_the_new_token(&app, &new, "etl-nightly");
    b.within(&shown).button("Copy").await;
    assert!(b.text().await.contains(WARNING), "the show-once warning");
    b.axe("the renewed show-once dialog").await;
    b.screenshot("renewed-dialog").await;

    b.within(&shown).click("Ready").await;

    wait_no_dialog(&b).await;
    assert!(
        !value_in_dom(&b, &new).await,
        "the value is gone from the DOM"
    );
    let row = b.row("etl-nightly").await;
    assert!(
        row.text().await.unwrap().contains("Administrator"),
        "role kept"
    );
    let renew = b.within(&row).button("Renew etl-nightly").await;
    assert!(
        b.has_focus(&renew).await,
        "the focus is back on the (refreshed) row's Renew"
    );
    b.row("stays-as-is").await;
    assert_not_reloaded(&b).await;

    assert_eq!(
        api_status(&app, &old).await,
        401,
        "the old value stops at once"
    );
    assert_eq!(api_status(&app, &new).await, 200, "the new value works");
    b.finish().await;
}

#[tokio::test]
async fn escape_while_renewing_still_shows_the_new_value() {
    let app = TestApp::spawn().await;
    let old = app.token("etl-nightly", "user");
    let b = signed_in(&app, "escape-while-renewing", &app.owner.email).await;
    let row = b.row("etl-nightly").await;
    b.within(&row).click("Renew").await;
    let confirm = b.dialog("Renew access token").await;
    slow_network(&b).await;

    b.within(&confirm).click("Renew").await;
    b.press(Key::Escape).await;

    b.wait_until(
        "Escape to close the confirmation while its request is in flight",
        "return !document.querySelector('dialog[open]');",
    )
    .await;
    // The old value is dead either way; the new one must reach the user.
    let shown = b.dialog("Access token renewed").await;
    let new = shown_value(&b, &shown).await;
    assert_ne!(new, old, "a new value");
    assert_is_the_new_token(&app, &new, "etl-nightly");
    b.within(&shown).click("Ready").await;
    wait_no_dialog(&b).await;
    assert!(!value_in_dom(&b, &new).await, "the value is gone");
    assert_eq!(api_status(&app, &old).await, 401, "the old value stops");
    b.finish().await;
}

#[tokio::test]
async fn the_description_is_edited_in_place_and_escape_puts_the_row_back() {
    let app = TestApp::spawn().await;
    mlp_console::cli::create_token(
        &app.db(),
        &app.project_id,
        "ci-runner",
        "user",
        None,
        None,
        Some("Runs the CI"),
    )
    .expect("a token");
    let b = signed_in(&app, "description", &app.owner.email).await;
    mark_page(&b).await;
    let row = b.row("ci-runner").await;
    assert!(row.text().await.unwrap().contains("Runs the CI"));

    // Edit and save.
    b.within(&row).click("Edit description of ci-runner").await;
    let field = b.field("Description").await;
    b.wait_until(
        "the focus to move into the editor",
        "return !!document.activeElement && document.activeElement.name === 'description';",
    )
    .await;
    assert_eq!(
        field.value().await.unwrap().as_deref(),
        Some("Runs the CI"),
        "the editor starts from the current text"
    );
    b.axe("the description editor row").await;
    b.screenshot("description-editor").await;
    b.fill("Description", "Feeds the nightly dashboard").await;
    b.click("Save").await;

    b.wait_until(
        "the editor to turn back into the row",
        "return !document.querySelector('tr[data-edit-row]');",
    )
    .await;
    let row = b.row("ci-runner").await;
    let text = row.text().await.unwrap();
    assert!(text.contains("Feeds the nightly dashboard"), "{text}");
    assert!(!text.contains("Runs the CI"), "{text}");
    let edit = b.within(&row).button("Edit description of ci-runner").await;
    assert!(
        b.has_focus(&edit).await,
        "the focus is back on Edit description"
    );
    assert_eq!(
        stored_description(&app, "ci-runner").as_deref(),
        Some("Feeds the nightly dashboard")
    );
    b.screenshot("description-saved").await;

    // Edit, then Escape: nothing changes.
    edit.click().await.unwrap();
    b.fill("Description", "a change to throw away").await;
    b.press(Key::Escape).await;
    b.wait_until(
        "Escape to put the row back",
        "return !document.querySelector('tr[data-edit-row]');",
    )
    .await;
    let row = b.row("ci-runner").await;
    let text = row.text().await.unwrap();
    assert!(text.contains("Feeds the nightly dashboard"), "{text}");
    assert!(!text.contains("throw away"), "{text}");

    // 501 characters: typing stops at the field's 500; a value put there by other means (a script, an
    // autofill) is refused next to the field and kept for fixing.
    b.within(&row).click("Edit description of ci-runner").await;
    let field = b.field("Description").await;
    b.js(
        "arguments[0].value = 'x'.repeat(500);",
        vec![field.to_json().unwrap()],
    )
    .await;
    field.send_keys("yz").await.unwrap();
    assert_eq!(
        field.value().await.unwrap().map(|v| v.chars().count()),
        Some(500),
        "the browser takes no 501st typed character"
    );
    let too_long = "x".repeat(501);
    b.js(
        "arguments[0].value = arguments[1]; arguments[0].dispatchEvent(new Event('input', { bubbles: true }));",
        vec![field.to_json().unwrap(), json!(too_long)],
    )
    .await;
    b.click("Save").await;

    let message = "The description must be at most 500 characters (it has 501).";
    b.wait_for_text(message).await;
    let field = b.field("Description").await;
    let next_to = b
        .js(
            "var f = arguments[0], msg = arguments[1];
             var ids = (f.getAttribute('aria-describedby') || '').split(/\\s+/);
             return ids.some(function (id) {
               var e = document.getElementById(id);
               return !!e && e.textContent.trim() === msg && e.parentElement === f.parentElement;
             }) && f.getAttribute('aria-invalid') === 'true';",
            vec![field.to_json().unwrap(), json!(message)],
        )
        .await;
    assert_eq!(
        next_to,
        Value::Bool(true),
        "the error sits next to the field and describes it"
    );
    assert_eq!(
        field.value().await.unwrap().as_deref(),
        Some(too_long.as_str()),
        "the text is kept"
    );
    b.screenshot("description-too-long").await;
    assert_eq!(
        stored_description(&app, "ci-runner").as_deref(),
        Some("Feeds the nightly dashboard"),
        "nothing changed"
    );
    b.press(Key::Escape).await;
    b.wait_until(
        "Escape to put the row back",
        "return !document.querySelector('tr[data-edit-row]');",
    )
    .await;
    assert!(b
        .row("ci-runner")
        .await
        .text()
        .await
        .unwrap()
        .contains("Feeds the nightly dashboard"));
    assert_not_reloaded(&b).await;
    b.finish().await;
}

#[tokio::test]
async fn show_deleted_lists_a_deleted_token_greyed_and_without_actions() {
    let app = TestApp::spawn().await;
    app.token("stays", "user");
    app.token("goes", "admin");
    let b = signed_in(&app, "show-deleted", &app.owner.email).await;

    let row = b.row("goes").await;
    b.within(&row).click("Delete").await;
    let dialog = b.dialog("Delete access token").await;
    b.within(&dialog).click("Confirm").await;
    wait_row_gone(&b, "goes").await;

    // The triage tools sit behind one quiet control; the table comes first.
    b.open_triage().await;
    let switch = b.button("Show deleted").await;
    assert_eq!(
        switch.attr("aria-pressed").await.unwrap().as_deref(),
        Some("false")
    );
    switch.click().await.unwrap();

    b.wait_until(
        "the switch to be on",
        "var s = document.getElementById('show-deleted'); return !!s && s.getAttribute('aria-pressed') === 'true';",
    )
    .await;
    b.button("Show deleted").await;
    let deleted = b.row("goes").await;
    let read = cells(&b, &deleted).await;
    assert_eq!(
        read.get("Deleted by").map(String::as_str),
        Some(app.owner.email.as_str()),
        "{read:?}"
    );
    assert_eq!(
        read.get("How").map(String::as_str),
        Some("console"),
        "{read:?}"
    );
    assert_eq!(read.get("Role").map(String::as_str), Some("Administrator"));
    assert!(
        b.page().is_absent(Kind::Row, "stays").await,
        "only deleted tokens are listed"
    );
    // Greyed: its cells take the page's muted colour, not the text colour.
    let colours = b
        .js(
            "var probe = document.createElement('span');
             probe.className = 'muted';
             document.body.appendChild(probe);
             var muted = getComputedStyle(probe).color;
             probe.remove();
             return { muted: muted, text: getComputedStyle(document.body).color,
                      cells: Array.from(arguments[0].cells).map(function (c) { return getComputedStyle(c).color; }) };",
            vec![deleted.to_json().unwrap()],
        )
        .await;
    assert_ne!(colours["muted"], colours["text"]);
    assert!(
        colours["cells"]
            .as_array()
            .unwrap()
            .iter()
            .all(|c| *c == colours["muted"]),
        "the deleted row is greyed: {colours}"
    );
    assert!(b.within(&deleted).is_absent(Kind::Control, "Delete").await);
    assert!(b.within(&deleted).is_absent(Kind::Control, "Renew").await);
    let controls = b
        .js(
            "return arguments[0].querySelectorAll('a, button, summary, input, select, textarea').length;",
            vec![deleted.to_json().unwrap()],
        )
        .await;
    assert_eq!(controls, json!(0), "no actions on a deleted token");
    b.axe("the Show deleted view").await;
    b.screenshot("show-deleted").await;

    // And back.
    b.click("Show deleted").await;
    b.wait_until(
        "the switch to be off",
        "var s = document.getElementById('show-deleted'); return !!s && s.getAttribute('aria-pressed') === 'false';",
    )
    .await;
    b.row("stays").await;
    assert!(b.page().is_absent(Kind::Row, "goes").await);
    b.finish().await;
}

#[tokio::test]
async fn find_by_value_shows_the_token_and_refuses_another_projects_value() {
    let app = TestApp::spawn().await;
    app.token("unrelated", "user");
    let leaked = app.token("leaky", "user");
    let (beta, bea) = app.other_project("beta", "bea@example.com");
    let foreign = mlp_console::cli::create_token(
        &app.db(),
        &beta,
        "foreign-token",
        "admin",
        None,
        Some(&bea.email),
        None,
    )
    .expect("a token of another project");
    let b = signed_in(&app, "find-by-value", &app.owner.email).await;
    mark_page(&b).await;

    // Refused on the plain list: the answer, and the list as it was.
    b.open_triage().await;
    b.fill("Find a token by value", &foreign).await;
    b.click("Find").await;
    b.wait_for_text("This is not an active token of this project.")
        .await;
    b.row("unrelated").await;
    b.row("leaky").await;
    assert!(!b.text().await.contains("No token is shown"));

    b.fill("Find a token by value", &leaked).await;
    b.click("Find").await;

    b.wait_for_text("Found leaky, an active token of this project.")
        .await;
    let row = b.row("leaky").await;
    b.within(&row).button("Delete").await;
    b.within(&row).button("Renew").await;
    assert!(
        b.page().is_absent(Kind::Row, "unrelated").await,
        "only the token found is listed"
    );
    let field = b.field("Find a token by value").await;
    assert_eq!(
        field.value().await.unwrap().as_deref(),
        Some(""),
        "the field is emptied"
    );
    assert!(
        !value_in_dom(&b, &leaked).await,
        "the pasted value is not kept on the page"
    );
    b.screenshot("find-by-value").await;

    b.fill("Find a token by value", &foreign).await;
    b.click("Find").await;

    b.wait_for_text("This is not an active token of this project.")
        .await;
    let field = b.field("Find a token by value").await;
    assert_eq!(
        field.value().await.unwrap().as_deref(),
        Some(""),
        "the field is emptied"
    );
    let text = b.text().await;
    assert!(
        !text.contains("foreign-token") && !text.contains("beta"),
        "nothing about the other project: {text}"
    );
    // The row of the earlier search is gone: under this answer it would read as the pasted token.
    assert!(
        b.page().is_absent(Kind::Row, "leaky").await,
        "the earlier search's row does not stay under the refusal"
    );
    b.page().find(Kind::Control, "Show all tokens").await;
    assert!(!value_in_dom(&b, &foreign).await);
    b.screenshot("find-by-value-refused").await;

    // The one found earlier is still at hand: Delete from there works as from the list.
    b.fill("Find a token by value", &leaked).await;
    b.click("Find").await;
    let row = b.row("leaky").await;
    b.within(&row).click("Delete").await;
    let dialog = b.dialog("Delete access token").await;
    b.within(&dialog).click("Confirm").await;
    wait_row_gone(&b, "leaky").await;
    b.wait_for_text("The token is deleted.").await;
    assert_eq!(
        api_status(&app, &leaked).await,
        401,
        "the leaked value is dead"
    );
    assert_not_reloaded(&b).await;
    b.finish().await;
}

#[tokio::test]
async fn last_used_details_show_the_exact_time_and_the_client_address() {
    let app = TestApp::spawn().await;
    let value = app.token("scorer", "user");
    app.token("idle", "user");
    let b = signed_in(&app, "last-used", &app.owner.email).await;
    let row = b.row("scorer").await;
    assert_eq!(
        cells(&b, &row).await.get("Last used").map(String::as_str),
        Some("Never")
    );

    // Three uses a few minutes apart, then the page is looked at two hours after the last.
    for _ in 0..3 {
        assert_eq!(api_status(&app, &value).await, 200);
        app.clock.advance(chrono::Duration::minutes(7));
    }
    let last_use = app.clock.now().as_ms() - 7 * 60 * 1000;
    app.clock
        .advance(chrono::Duration::hours(2) - chrono::Duration::minutes(7));
    b.driver.refresh().await.unwrap();

    let row = b.row("scorer").await;
    assert_eq!(
        cells(&b, &row).await.get("Last used").map(String::as_str),
        Some("2 hours ago")
    );
    b.within(&row).click("2 hours ago").await;

    let exact = mlp_console::web::format::exact_seconds(Timestamp::from_ms(last_use));
    b.wait_for_text(&format!("Last used {exact}")).await;
    let row = b.row("scorer").await;
    let details = cells(&b, &row).await["Last used"].clone();
    assert!(details.contains("Last client addresses"), "{details}");
    let ips = b
        .js(
            "return Array.from(arguments[0].querySelectorAll('ol li')).map(function (li) { return li.innerText.trim(); });",
            vec![row.to_json().unwrap()],
        )
        .await;
    assert_eq!(ips, json!(["127.0.0.1"]), "one distinct address");
    let idle = b.row("idle").await;
    assert_eq!(
        cells(&b, &idle).await.get("Last used").map(String::as_str),
        Some("Never")
    );
    b.axe("the Tokens page with last-use details open").await;
    b.screenshot("last-used-details").await;
    b.finish().await;
}

#[tokio::test]
async fn the_audit_log_shows_the_events_of_the_journey() {
    let app = TestApp::spawn().await;
    app.token("old-ci", "user");
    let owner = app.owner.email.clone();
    let b = signed_in(&app, "audit-log", &owner).await;

    // Create, renew and delete "audited"; delete "old-ci" too.
    b.click("Create access token").await;
    let dialog = b.dialog("Create access token").await;
    b.within(&dialog).fill("Name", "audited").await;
    b.within(&dialog).click("Create").await;
    let shown = b.dialog("Access token created").await;
    b.within(&shown).click("Ready").await;
    wait_no_dialog(&b).await;
    let row = b.row("audited").await;
    b.within(&row).click("Renew").await;
    let confirm = b.dialog("Renew access token").await;
    b.within(&confirm).click("Renew").await;
    let shown = b.dialog("Access token renewed").await;
    b.within(&shown).click("Ready").await;
    wait_no_dialog(&b).await;
    for name in ["audited", "old-ci"] {
        let row = b.row(name).await;
        b.within(&row).click("Delete").await;
        let dialog = b.dialog("Delete access token").await;
        b.within(&dialog).click("Confirm").await;
        wait_row_gone(&b, name).await;
    }

    b.click("Audit log").await;

    b.wait_for_path(&format!("/projects/{}/audit", app.project_id))
        .await;
    b.find_heading("Audit log").await;
    let log = b.region("Audit log").await;
    let rows = table_rows(&b, &log).await;
    let of = |event: &str, target: &str| -> Vec<&HashMap<String, String>> {
        rows.iter()
            .filter(|r| r["Event"] == event && r["Target token"] == target)
            .collect()
    };
    for (event, target) in [
        ("token.created", "audited"),
        ("token.renewed", "audited"),
        ("token.deleted", "audited"),
        ("token.deleted", "old-ci"),
    ] {
        let found = of(event, target);
        assert_eq!(found.len(), 1, "one {event} of {target}: {rows:#?}");
        assert_eq!(found[0]["Actor"], owner, "{event} of {target}");
        assert_eq!(found[0]["Client IP"], "127.0.0.1", "{event} of {target}");
    }
    assert!(
        rows.iter()
            .any(|r| r["Event"] == "login.succeeded" && r["Actor"] == owner),
        "the owner's login: {rows:#?}"
    );
    // Newest first: the journey's events appear in reverse order.
    let position = |event: &str, target: &str| {
        rows.iter()
            .position(|r| r["Event"] == event && r["Target token"] == target)
            .unwrap()
    };
    assert!(position("token.deleted", "old-ci") < position("token.deleted", "audited"));
    assert!(position("token.deleted", "audited") < position("token.renewed", "audited"));
    assert!(position("token.renewed", "audited") < position("token.created", "audited"));
    b.axe("the audit page").await;
    b.screenshot("audit-log").await;

    b.choose("Event", "token.deleted").await;
    b.click("Filter").await;

    b.wait_until(
        "the filtered page",
        "return location.search.indexOf('event=token.deleted') >= 0 && document.readyState === 'complete';",
    )
    .await;
    let log = b.region("Audit log").await;
    let rows = table_rows(&b, &log).await;
    let mut targets: Vec<&str> = rows.iter().map(|r| r["Target token"].as_str()).collect();
    targets.sort_unstable();
    assert_eq!(targets, ["audited", "old-ci"], "{rows:#?}");
    assert!(
        rows.iter().all(|r| r["Event"] == "token.deleted"),
        "only token.deleted: {rows:#?}"
    );
    assert_eq!(
        b.field("Event").await.value().await.unwrap().as_deref(),
        Some("token.deleted"),
        "the filter stays chosen"
    );
    b.screenshot("audit-log-filtered").await;
    b.finish().await;
}

#[tokio::test]
async fn expiry_marks_and_an_expired_token_can_still_be_deleted() {
    let app = TestApp::spawn().await;
    // Made at the app's (manual) clock time, so that the days left are exact.
    let token = |name: &str, lifetime_days: Option<i64>| {
        let spec = NewTokenSpec {
            project_id: app.project_id.clone(),
            name: TokenName::parse(name).unwrap(),
            role: TokenRole::User,
            description: Description::parse("").unwrap(),
            lifetime: lifetime_days.and_then(|d| Ttl::from_secs(d as u64 * 86_400)),
            label_selector: None,
        };
        // A fixture: made with an owner's rights, recorded as its creator's.
        let actor = Actor::member(
            &app.owner.account_id,
            &app.owner.email,
            MemberRole::Owner,
            None,
        );
        let (value, _) = app.state.tokens.create(&spec, &actor).unwrap();
        value.expose().to_owned()
    };
    token("forever", None);
    let weekly = token("weekly", Some(7));
    let stale = token("stale", Some(1));
    app.clock.advance(chrono::Duration::days(2));
    assert_eq!(api_status(&app, &stale).await, 403, "an expired token");
    assert_eq!(api_status(&app, &weekly).await, 200);
    let b = signed_in(&app, "expiry", &app.owner.email).await;
    mark_page(&b).await;

    let expires = |name: &'static str| {
        let b = &b;
        async move {
            let row = b.row(name).await;
            cells(b, &row).await["Expires"].clone()
        }
    };
    assert_eq!(expires("forever").await, "Never");
    let weekly_mark = expires("weekly").await;
    assert!(weekly_mark.ends_with("Expires in 5 days"), "{weekly_mark}");
    assert_eq!(expires("stale").await, "Expired");
    b.axe("the Tokens page with expiry marks").await;
    b.screenshot("expiry-marks").await;

    let row = b.row("stale").await;
    b.within(&row).click("Delete").await;
    let dialog = b.dialog("Delete access token").await;
    b.within(&dialog).click("Confirm").await;
    wait_row_gone(&b, "stale").await;
    b.row("weekly").await;
    assert_eq!(api_status(&app, &stale).await, 401, "deleted now");
    assert_not_reloaded(&b).await;
    b.finish().await;
}

#[tokio::test]
async fn a_leak_report_shows_among_deleted_tokens_and_in_the_audit_log() {
    let app = TestApp::spawn().await;
    app.token("kept", "user");
    let leaked = app.token("pasted-in-a-gist", "admin");
    let res = reqwest::Client::new()
        .post(app.url("/api/v1/tokens/revoke-leaked"))
        .json(&json!({ "token": leaked }))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 202);
    assert_eq!(api_status(&app, &leaked).await, 401, "revoked");
    let b = signed_in(&app, "leak-report", &app.owner.email).await;

    b.row("kept").await;
    assert!(b.page().is_absent(Kind::Row, "pasted-in-a-gist").await);
    b.open_triage().await;
    b.click("Show deleted").await;
    let row = b.row("pasted-in-a-gist").await;
    let read = cells(&b, &row).await;
    assert_eq!(
        read.get("How").map(String::as_str),
        Some("leak report"),
        "{read:?}"
    );
    b.screenshot("leak-report-deleted").await;

    b.click("Audit log").await;
    let log = b.region("Audit log").await;
    let rows = table_rows(&b, &log).await;
    let revoked: Vec<_> = rows
        .iter()
        .filter(|r| r["Event"] == "token.leak_revoked")
        .collect();
    assert_eq!(revoked.len(), 1, "{rows:#?}");
    assert_eq!(revoked[0]["Target token"], "pasted-in-a-gist");
    assert_eq!(revoked[0]["Client IP"], "127.0.0.1");
    b.finish().await;
}

//! The description edited in place on the Tokens page (SPEC §9, issue 6 point 2): htmx swaps the row into a
//! small form and back; without JS a plain edit page; bad input refused next to the field, nothing changed.

use crate::common::TestApp;
use crate::support::*;
use mlp_console::db::audit::event;
use mlp_console::domain::TokenRole;
use scraper::Html;

const TOO_LONG: &str = "The description must be at most 500 characters (it has 501).";
const CONTROL: &str = "The description must not contain control characters.";

#[tokio::test]
async fn the_description_is_edited_in_place_with_htmx() {
    let app = TestApp::spawn().await;
    let (value, id) = make_token(&app, "ci", TokenRole::User, None, Some("old text"), None);
    let c = app.logged_in(&app.owner.email).await;

    // The row shows the description and an edit link named after the token.
    let list = get_html(&c, &app, &app.tokens_path()).await;
    assert_eq!(
        text(one(&list, &format!("#token-{id} td.name .description"))),
        "old text"
    );
    let edit = one(
        &list,
        &format!("#token-{id} td.name button[type=submit][aria-label='Edit description of ci']"),
    );
    // A quiet icon: named by its aria-label (above), titled for the mouse.
    assert_eq!(attr(edit, "title"), Some("Edit description"));
    assert!(text(edit).is_empty(), "an icon, no loud text on every row");
    let url = token_path(&app, &id, "description");
    // Without JS the button submits its own GET form (no fields) to the editor's page.
    let opener = one(&list, &format!("#token-{id} td.name form:has(> button)"));
    assert_eq!(attr(opener, "method"), Some("get"));
    assert_eq!(attr(opener, "action"), Some(url.as_str()));
    // With htmx the form is boosted: the same action, its answer replacing the row.
    assert_eq!(attr(opener, "hx-boost"), Some("true"));
    assert_eq!(attr(opener, "hx-target"), Some("closest tr"));
    assert_eq!(attr(opener, "hx-swap"), Some("outerHTML"));

    // The row becomes a small form.
    let res = get(&c, &app, &url, true).await;
    assert_eq!(res.status(), 200);
    let html = res.text().await.unwrap();
    assert!(html.trim_start().starts_with("<tr"), "a row: {html}");
    let doc = parse_rows(&html);
    let row = one(&doc, &format!("tr#token-{id}[data-edit-row]"));
    assert!(text(row).contains("ci"));
    let form = one(&doc, "tr[data-edit-row] form");
    assert_eq!(attr(form, "hx-post"), Some(url.as_str()));
    assert_eq!(attr(form, "hx-target"), Some("closest tr"));
    assert_eq!(attr(form, "hx-swap"), Some("outerHTML"));
    assert_eq!(attr(form, "method"), Some("post"));
    assert_eq!(attr(form, "action"), Some(url.as_str()));
    let label = one(&doc, "tr[data-edit-row] label");
    assert_eq!(text(label), "Description");
    let input_id = attr(label, "for").unwrap();
    let input = one(&doc, &format!("input#{input_id}[name=description]"));
    assert_eq!(attr(input, "value"), Some("old text"));
    assert!(attr(input, "autofocus").is_some());
    assert_eq!(count(&doc, "tr[data-edit-row] input[name=csrf_token]"), 1);
    assert_eq!(
        text(one(&doc, "tr[data-edit-row] button[type=submit]")),
        "Save"
    );
    let cancel = one(&doc, "tr[data-edit-row] button[data-cancel-edit]");
    assert_eq!(text(cancel), "Cancel");
    assert_eq!(attr(cancel, "type"), Some("button"));
    let row_url = token_path(&app, &id, "row");
    assert_eq!(attr(cancel, "hx-get"), Some(row_url.as_str()));
    assert_eq!(attr(cancel, "hx-target"), Some("closest tr"));

    // Cancel (and Escape, which clicks it) puts the plain row back.
    let res = get(&c, &app, &row_url, true).await;
    assert_eq!(res.status(), 200);
    let doc = parse_rows(&res.text().await.unwrap());
    assert_eq!(count(&doc, "tr[data-edit-row]"), 0);
    assert_eq!(
        text(one(&doc, &format!("tr#token-{id} .description"))),
        "old text"
    );
    // Without htmx the row URL is just the list.
    let res = get(&c, &app, &row_url, false).await;
    crate::common::assert_is_redirect_to(&res, &app.tokens_path());

    // Save: the plain row comes back with the new text, trimmed.
    let res = post_form(
        &c,
        &app,
        &url,
        &[("description", "  GPU pool <nightly> ")],
        true,
    )
    .await;
    assert_eq!(res.status(), 200);
    let html = res.text().await.unwrap();
    assert!(html.trim_start().starts_with("<tr"), "{html}");
    let doc = parse_rows(&html);
    assert_eq!(count(&doc, "tr[data-edit-row]"), 0);
    assert_eq!(
        text(one(&doc, &format!("tr#token-{id} td.name .description"))),
        "GPU pool <nightly>"
    );
    assert!(!html.contains("<nightly>"), "escaped: {html}");
    assert_eq!(
        count(
            &doc,
            &format!("tr#token-{id} form[method=get][action$='/description'] > button[type=submit][aria-label='Edit description of ci']")
        ),
        1
    );
    assert_eq!(count(&doc, &format!("tr#token-{id} button#renew-{id}")), 1);
    assert_eq!(
        stored(&app, &id).description.as_deref(),
        Some("GPU pool <nightly>")
    );

    // The same text again changes nothing and is not an event.
    let res = post_form(
        &c,
        &app,
        &url,
        &[("description", "GPU pool <nightly>")],
        true,
    )
    .await;
    assert_eq!(res.status(), 200);

    // Blank removes it.
    let res = post_form(&c, &app, &url, &[("description", "   ")], true).await;
    assert_eq!(res.status(), 200);
    let doc = parse_rows(&res.text().await.unwrap());
    assert_eq!(count(&doc, &format!("tr#token-{id} .description")), 0);
    assert_eq!(stored(&app, &id).description, None);

    let events = audit(&app, event::TOKEN_DESCRIPTION_CHANGED);
    let summary: Vec<(&str, Option<&str>, Option<&str>)> = events
        .iter()
        .map(|(actor, target, _, _, detail)| (actor.as_str(), target.as_deref(), detail.as_deref()))
        .collect();
    assert_eq!(
        summary,
        [
            (app.owner.email.as_str(), Some("ci"), Some("changed")),
            (app.owner.email.as_str(), Some("ci"), Some("removed")),
        ]
    );
    assert_eq!(events[0].2.as_deref(), Some(app.owner.account_id.as_str()));
    assert_eq!(
        api_status(&app, &value).await,
        200,
        "the value is untouched"
    );
}

#[tokio::test]
async fn the_description_is_edited_without_javascript() {
    let app = TestApp::spawn().await;
    let member = app.member("member@example.com", "member");
    let (_, id) = make_token(&app, "notebook", TokenRole::User, None, None, Some(&member));
    let c = app.logged_in(&member.email).await;
    let url = token_path(&app, &id, "description");

    let res = get(&c, &app, &url, false).await;
    assert_eq!(res.status(), 200);
    let html = res.text().await.unwrap();
    assert!(html.starts_with("<!doctype html>"), "a full page");
    let page = Html::parse_document(&html);
    assert!(text(one(&page, "title")).contains("Edit description"));
    let form = one(&page, "main form[method=post]");
    assert_eq!(attr(form, "action"), Some(url.as_str()));
    assert!(attr(form, "hx-post").is_none());
    let label = one(&page, "main form label");
    assert_eq!(text(label), "Description");
    let input = one(&page, &format!("input#{}", attr(label, "for").unwrap()));
    assert_eq!(attr(input, "value"), Some(""));
    assert_eq!(count(&page, "main form input[name=csrf_token]"), 1);
    let cancel = one(&page, "main form a");
    assert_eq!(text(cancel), "Cancel");
    assert_eq!(attr(cancel, "href"), Some(app.tokens_path().as_str()));

    let res = post_form(&c, &app, &url, &[("description", "my laptop")], false).await;
    crate::common::assert_is_redirect_to(&res, &app.tokens_path());
    let list = get_html(&c, &app, &app.tokens_path()).await;
    assert_eq!(
        text(one(&list, &format!("#token-{id} .description"))),
        "my laptop"
    );
    let events = audit(&app, event::TOKEN_DESCRIPTION_CHANGED);
    assert_eq!(events.len(), 1);
    assert_eq!(events[0].0, member.email);
    assert_eq!(events[0].4.as_deref(), Some("added"));
}

#[tokio::test]
async fn bad_descriptions_are_refused_next_to_the_field_and_change_nothing() {
    let app = TestApp::spawn().await;
    let (_, id) = make_token(&app, "ci", TokenRole::User, None, Some("kept"), None);
    let c = app.logged_in(&app.owner.email).await;
    let url = token_path(&app, &id, "description");
    let long = "x".repeat(501);
    for htmx in [true, false] {
        for (entered, message) in [
            (long.as_str(), TOO_LONG),
            ("two\nlines", CONTROL),
            ("bell\u{7}", CONTROL),
        ] {
            let res = post_form(&c, &app, &url, &[("description", entered)], htmx).await;
            // 200: the editor is re-rendered in place (browsers log every 4xx as an error).
            assert_eq!(res.status(), 200, "{entered:?} htmx {htmx}");
            let html = res.text().await.unwrap();
            let doc = if htmx {
                assert!(html.trim_start().starts_with("<tr"), "{html}");
                parse_rows(&html)
            } else {
                assert!(html.starts_with("<!doctype html>"));
                Html::parse_document(&html)
            };
            let field = format!("description-{id}");
            let input = one(&doc, &format!("input#{field}"));
            assert_eq!(
                attr(input, "value"),
                Some(entered),
                "the entered value is kept"
            );
            assert_eq!(attr(input, "aria-invalid"), Some("true"));
            let error = one(&doc, &format!("#{field}-error"));
            assert_eq!(text(error), message);
            assert!(attr(input, "aria-describedby")
                .unwrap()
                .contains(&format!("{field}-error")));
            if htmx {
                assert_eq!(count(&doc, &format!("tr#token-{id}[data-edit-row]")), 1);
            }
        }
    }
    assert_eq!(stored(&app, &id).description.as_deref(), Some("kept"));
    assert!(audit(&app, event::TOKEN_DESCRIPTION_CHANGED).is_empty());

    // Exactly 500 characters are fine.
    let max = "é".repeat(500);
    let res = post_form(&c, &app, &url, &[("description", &max)], true).await;
    assert_eq!(res.status(), 200);
    assert_eq!(stored(&app, &id).description.as_deref(), Some(max.as_str()));
}

#[tokio::test]
async fn only_those_who_may_manage_a_token_edit_its_description() {
    let app = TestApp::spawn().await;
    let member = app.member("member@example.com", "member");
    let viewer = app.member("viewer@example.com", "viewer");
    let (_, owners) = make_token(&app, "owners", TokenRole::User, None, Some("theirs"), None);
    let (_, members) = make_token(&app, "members", TokenRole::User, None, None, Some(&member));

    let c = app.logged_in(&member.email).await;
    let list = get_html(&c, &app, &app.tokens_path()).await;
    assert_eq!(
        count(&list, &format!("#token-{owners} .edit-description")),
        0
    );
    assert_eq!(
        count(&list, &format!("#token-{members} .edit-description")),
        1
    );
    let url = token_path(&app, &owners, "description");
    for htmx in [false, true] {
        assert_eq!(get(&c, &app, &url, htmx).await.status(), 403);
        let res = post_form(&c, &app, &url, &[("description", "mine now")], htmx).await;
        assert_eq!(res.status(), 403);
    }
    // Every member may see a row, though.
    assert_eq!(
        get(&c, &app, &token_path(&app, &owners, "row"), true)
            .await
            .status(),
        200
    );

    let v = app.logged_in(&viewer.email).await;
    let list = get_html(&v, &app, &app.tokens_path()).await;
    assert_eq!(count(&list, ".edit-description"), 0);
    let url = token_path(&app, &members, "description");
    assert_eq!(get(&v, &app, &url, true).await.status(), 403);
    let res = post_form(&v, &app, &url, &[("description", "viewer was here")], false).await;
    assert_eq!(res.status(), 403);

    // Without a valid CSRF token nothing is written either.
    let o = app.logged_in(&app.owner.email).await;
    let url = app.url(&token_path(&app, &owners, "description"));
    for csrf_field in [None, Some("wrong")] {
        let mut form = vec![("description", "forged")];
        if let Some(v) = csrf_field {
            form.push(("csrf_token", v));
        }
        let res = o.post(&url).form(&form).send().await.unwrap();
        assert_eq!(res.status(), 403, "{csrf_field:?}");
    }

    assert_eq!(stored(&app, &owners).description.as_deref(), Some("theirs"));
    assert_eq!(stored(&app, &members).description, None);
    assert!(audit(&app, event::TOKEN_DESCRIPTION_CHANGED).is_empty());
}

//! Renew on the Tokens page (SPEC §9, issue 6 point 1): confirmation, a new value shown once, the old value
//! dead on its very next use, the lifetime kept, permissions, CSRF, and two renewals at once.

use crate::common::TestApp;
use crate::support::*;
use mlp_console::clock::Clock;
use mlp_console::db::audit::event;
use mlp_console::domain::Timestamp;
use mlp_console::domain::TokenRole;
use mlp_console::web::format;
use scraper::Html;

const WARNING: &str = "After closing this window, it will be impossible to restore the token value. If it is lost, create a new token.";

#[tokio::test]
async fn renewing_without_javascript_shows_a_new_value_once_and_the_old_one_fails_at_once() {
    let app = TestApp::spawn().await;
    let (old, id) = make_token(
        &app,
        "ci",
        TokenRole::Admin,
        None,
        Some("nightly builds"),
        None,
    );
    // In the verification cache before the renewal: it must not keep working from there.
    assert_eq!(api_status(&app, &old).await, 200);
    let before = stored(&app, &id);
    let c = app.logged_in(&app.owner.email).await;

    // The row offers Renew, leading to the confirmation page.
    let list = get_html(&c, &app, &app.tokens_path()).await;
    let renew_button = one(
        &list,
        &format!("#token-{id} button[type=submit][aria-label='Renew ci']"),
    );
    assert_eq!(text(renew_button), "Renew");
    let url = token_path(&app, &id, "renew");
    // Without JS the button submits its own GET form (no fields) to the confirmation page.
    let form = one(&list, &format!("#token-{id} form:has(> button#renew-{id})"));
    assert_eq!(attr(form, "method"), Some("get"));
    assert_eq!(attr(form, "action"), Some(url.as_str()));
    // With htmx the form is boosted: the same action, its answer appended to the page.
    assert_eq!(attr(form, "hx-boost"), Some("true"));

    let res = get(&c, &app, &url, false).await;
    assert_eq!(res.status(), 200);
    let html = res.text().await.unwrap();
    assert!(html.starts_with("<!doctype html>"), "a full page");
    let page = Html::parse_document(&html);
    let dialog = one(&page, "dialog#confirm-renew[open]");
    assert!(attr(dialog, "data-modal").is_none());
    let words = text(dialog);
    assert!(words.contains("“ci”"), "{words}");
    assert!(
        words.contains("The old value stops working at once"),
        "{words}"
    );
    assert!(words.contains("It still never expires."), "{words}");
    let form = one(&page, "#confirm-renew form");
    assert_eq!(attr(form, "method"), Some("post"));
    assert_eq!(attr(form, "action"), Some(url.as_str()));
    assert!(attr(form, "hx-post").is_none(), "a plain form without JS");
    assert_eq!(count(&page, "#confirm-renew input[name=csrf_token]"), 1);
    assert_eq!(
        text(one(&page, "#confirm-renew button[type=submit]")),
        "Renew"
    );
    let cancel = one(&page, "#confirm-renew .modal-actions a");
    assert_eq!(text(cancel), "Cancel");
    assert_eq!(attr(cancel, "href"), Some(app.tokens_path().as_str()));
    assert_eq!(api_status(&app, &old).await, 200, "asking changes nothing");

    let res = post_form(&c, &app, &url, &[], false).await;
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["cache-control"], "no-store");
    let html = res.text().await.unwrap();
    assert!(html.starts_with("<!doctype html>"), "a full page");
    let page = Html::parse_document(&html);
    assert_eq!(text(one(&page, "#created-title")), "Access token renewed");
    let new = shown_value(&page);
    assert_valid_value(&new);
    assert_ne!(new, old);
    assert!(html.contains(WARNING));
    assert_eq!(
        text(one(&page, "#create-dialog button[data-copy=token-value]")),
        "Copy"
    );
    let ready = one(&page, "#create-dialog .modal-actions a");
    assert_eq!(text(ready), "Ready");
    assert_eq!(attr(ready, "href"), Some(app.tokens_path().as_str()));

    // The old value dies on its very next request; the new one is the same token.
    assert_eq!(api_status(&app, &old).await, 401);
    assert_eq!(api_token_id(&app, &new).await, id);
    assert_eq!(api_status(&app, &old).await, 401);

    let after = stored(&app, &id);
    assert_eq!(after.name, "ci");
    assert_eq!(after.role.as_str(), "ADMIN");
    assert_eq!(after.description.as_deref(), Some("nightly builds"));
    assert_eq!(after.created_at, before.created_at);
    assert_eq!(after.created_by_account_id, before.created_by_account_id);
    assert_eq!(after.issuer_name, before.issuer_name);
    assert_eq!(after.expires_at, None, "still never expires");
    assert_eq!(after.deleted_at, None, "a renewal is not a deletion");
    assert_eq!(after.hint, &new[..10]);

    // Shown once: the list does not carry it.
    let list = c
        .get(app.url(&app.tokens_path()))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(!list.contains(&new));
    assert!(list.contains("nightly builds"));

    let events = audit(&app, event::TOKEN_RENEWED);
    assert_eq!(events.len(), 1);
    let (actor, target, account, ip, _) = &events[0];
    assert_eq!(actor, &app.owner.email);
    assert_eq!(target.as_deref(), Some("ci"));
    assert_eq!(account.as_deref(), Some(app.owner.account_id.as_str()));
    assert_eq!(ip.as_deref(), Some("127.0.0.1"));
    assert!(audit(&app, event::TOKEN_DELETED).is_empty());
}

#[tokio::test]
async fn renewing_with_htmx_replaces_the_confirmation_and_refreshes_the_row() {
    let app = TestApp::spawn().await;
    let member = app.member("member@example.com", "member");
    let (old, id) = make_token(
        &app,
        "notebook",
        TokenRole::User,
        Some(30 * 86_400),
        None,
        Some(&member),
    );
    let created = app.clock.now().as_ms();
    assert_eq!(
        stored(&app, &id).expires_at.map(Timestamp::as_ms),
        Some(created + 30 * DAY_MS)
    );
    assert_eq!(api_status(&app, &old).await, 200);
    app.clock.advance(chrono::Duration::days(10));
    let now = app.clock.now().as_ms();
    let c = app.logged_in(&member.email).await;
    let url = token_path(&app, &id, "renew");

    let res = get(&c, &app, &url, true).await;
    assert_eq!(res.status(), 200);
    let html = res.text().await.unwrap();
    assert!(!html.contains("<html"), "a fragment");
    let dialog = Html::parse_fragment(&html);
    assert_eq!(count(&dialog, "dialog#confirm-renew[data-modal]"), 1);
    let form = one(&dialog, "#confirm-renew form");
    assert_eq!(attr(form, "hx-post"), Some(url.as_str()));
    assert_eq!(attr(form, "hx-target"), Some("#confirm-renew"));
    assert_eq!(attr(form, "hx-swap"), Some("outerHTML"));
    assert_eq!(
        text(one(&dialog, "#confirm-renew button[data-close-dialog]")),
        "Cancel"
    );
    // It says when the renewed token will expire: the same 30 days, from now.
    let fresh = now + 30 * DAY_MS;
    assert!(
        text(one(&dialog, "#renew-text")).contains(&format::date(Timestamp::from_ms(fresh))),
        "{html}"
    );

    let res = post_form(&c, &app, &url, &[], true).await;
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["cache-control"], "no-store");
    let html = res.text().await.unwrap();
    assert!(!html.contains("<html"), "a fragment");
    // The show-once dialog comes first (it replaces the confirmation), then the row, in place.
    assert!(html.trim_start().starts_with("<dialog"), "{html}");
    assert!(
        html.contains(&format!(
            r##"<hx-partial hx-target="#token-{id}" hx-swap="outerHTML">"##
        )),
        "{html}"
    );
    let doc = parse_with_partials(&html);
    assert_eq!(count(&doc, "dialog#create-dialog[data-modal]"), 1);
    assert_eq!(text(one(&doc, "#created-title")), "Access token renewed");
    let new = shown_value(&doc);
    assert_valid_value(&new);
    assert!(html.contains(WARNING));
    assert_eq!(text(one(&doc, "button[data-close-dialog]")), "Ready");
    let row = one(&doc, &format!("tr#token-{id}"));
    assert!(text(row).contains("notebook"));
    assert!(
        text(row).contains(&format::date(Timestamp::from_ms(fresh))),
        "{}",
        text(row)
    );
    assert_eq!(
        count(
            &doc,
            &format!(
                "tr#token-{id} form[method=get][action$='/renew'] > button#renew-{id}[aria-label='Renew notebook']"
            )
        ),
        1,
        "the refreshed row keeps its Renew button (focus returns to it)"
    );

    assert_eq!(api_status(&app, &old).await, 401);
    assert_eq!(api_status(&app, &new).await, 200);
    let after = stored(&app, &id);
    assert_eq!(
        after.expires_at.map(Timestamp::as_ms),
        Some(fresh),
        "a fresh expiry of the same length"
    );
    assert_eq!(
        after.lifetime.map(|t| t.as_secs() as i64),
        Some(30 * 86_400)
    );
    assert_eq!(after.role.as_str(), "USER");
    assert_eq!(
        after.created_by_account_id.as_deref(),
        Some(member.account_id.as_str())
    );
    let events = audit(&app, event::TOKEN_RENEWED);
    assert_eq!(events.len(), 1);
    assert_eq!(events[0].0, member.email);
    assert_eq!(events[0].2.as_deref(), Some(member.account_id.as_str()));
}

#[tokio::test]
async fn expired_tokens_and_custom_dates_renew_to_the_same_length_from_now() {
    let app = TestApp::spawn().await;
    let (old, id) = make_token(
        &app,
        "weekly",
        TokenRole::User,
        Some(7 * 86_400),
        None,
        None,
    );
    app.clock.advance(chrono::Duration::days(8));
    // Signed in after the clock moved: a session idle for days has ended.
    let c = app.logged_in(&app.owner.email).await;
    assert_eq!(api_status(&app, &old).await, 403, "expired");
    let list = get_html(&c, &app, &app.tokens_path()).await;
    assert!(text(one(&list, &format!("#token-{id} td.expires"))).contains("Expired"));
    assert_eq!(
        count(
            &list,
            &format!("#token-{id} button[aria-label='Renew weekly']")
        ),
        1,
        "an expired token can be renewed"
    );

    let res = post_form(&c, &app, &token_path(&app, &id, "renew"), &[], false).await;
    assert_eq!(res.status(), 200);
    let new = shown_value(&Html::parse_document(&res.text().await.unwrap()));
    let now = app.clock.now().as_ms();
    assert_eq!(
        stored(&app, &id).expires_at.map(Timestamp::as_ms),
        Some(now + 7 * DAY_MS)
    );
    assert_eq!(api_status(&app, &new).await, 200, "it works again");
    assert_eq!(api_status(&app, &old).await, 401);
    let list = get_html(&c, &app, &app.tokens_path()).await;
    let expires = text(one(&list, &format!("#token-{id} td.expires")));
    assert!(!expires.contains("Expired"), "{expires}");
    assert!(
        expires.contains(&format::date(Timestamp::from_ms(now + 7 * DAY_MS))),
        "{expires}"
    );

    // A token made with a custom date keeps that length too.
    let today = app.clock.now().to_datetime().date_naive();
    let day = today + chrono::Days::new(20);
    let res = post_form(
        &c,
        &app,
        &app.tokens_path(),
        &[
            ("name", "until-then"),
            ("role", "user"),
            ("expiration", "custom"),
            ("expires_on", &day.format("%Y-%m-%d").to_string()),
        ],
        false,
    )
    .await;
    assert_eq!(res.status(), 200);
    let mut conn = app.db().conn().unwrap();
    let custom = mlp_console::db::tokens::find_active(
        &mut conn,
        &app.project_id,
        &mlp_console::db::tokens::TokenKey::Name("until-then".into()),
    )
    .unwrap()
    .unwrap();
    drop(conn);
    let length = custom.expires_at.unwrap().ms_since(custom.created_at);
    assert_eq!(
        custom
            .lifetime
            .map(|t| t.as_secs() as i64)
            .map(|s| s * 1000),
        Some(length)
    );
    app.clock.advance(chrono::Duration::days(3));
    let c = app.logged_in(&app.owner.email).await;
    let res = post_form(&c, &app, &token_path(&app, &custom.id, "renew"), &[], false).await;
    assert_eq!(res.status(), 200);
    assert_eq!(
        stored(&app, &custom.id).expires_at.map(Timestamp::as_ms),
        Some(app.clock.now().as_ms() + length)
    );
}

#[tokio::test]
async fn a_member_renews_only_its_own_tokens_and_a_viewer_none() {
    let app = TestApp::spawn().await;
    let member = app.member("member@example.com", "member");
    let viewer = app.member("viewer@example.com", "viewer");
    let (owners_value, owners) = make_token(&app, "owners", TokenRole::User, None, None, None);
    let (_, members) = make_token(&app, "members", TokenRole::User, None, None, Some(&member));

    let c = app.logged_in(&member.email).await;
    let list = get_html(&c, &app, &app.tokens_path()).await;
    assert_eq!(
        count(
            &list,
            &format!("#token-{members} button[aria-label='Renew members']")
        ),
        1
    );
    assert_eq!(count(&list, &format!("#token-{owners} [id^=renew-]")), 0);
    assert_eq!(
        count(
            &list,
            &format!("#token-{owners} td.actions :is(a, button, form)")
        ),
        0
    );

    // Going around the missing button does not help.
    let url = token_path(&app, &owners, "renew");
    for htmx in [false, true] {
        assert_eq!(get(&c, &app, &url, htmx).await.status(), 403, "htmx {htmx}");
        assert_eq!(post_form(&c, &app, &url, &[], htmx).await.status(), 403);
    }

    let v = app.logged_in(&viewer.email).await;
    let list = get_html(&v, &app, &app.tokens_path()).await;
    assert_eq!(
        count(&list, "button[id^=renew-]"),
        0,
        "a viewer renews nothing"
    );
    for id in [&owners, &members] {
        let url = token_path(&app, id, "renew");
        assert_eq!(get(&v, &app, &url, false).await.status(), 403);
        assert_eq!(post_form(&v, &app, &url, &[], true).await.status(), 403);
    }
    assert_eq!(api_status(&app, &owners_value).await, 200, "unchanged");
    assert!(audit(&app, event::TOKEN_RENEWED).is_empty());

    // The member renews its own; the owner renews any.
    let res = post_form(&c, &app, &token_path(&app, &members, "renew"), &[], true).await;
    assert_eq!(res.status(), 200);
    let o = app.logged_in(&app.owner.email).await;
    let list = get_html(&o, &app, &app.tokens_path()).await;
    assert_eq!(count(&list, "button[id^=renew-]"), 2);
    let res = post_form(&o, &app, &token_path(&app, &members, "renew"), &[], false).await;
    assert_eq!(res.status(), 200);
    assert_eq!(audit(&app, event::TOKEN_RENEWED).len(), 2);
}

#[tokio::test]
async fn renew_and_description_routes_answer_404_outside_the_project_and_for_unknown_tokens() {
    let app = TestApp::spawn().await;
    let (other_id, other_owner) = app.other_project("beta", "beta-owner@example.com");
    let value = mlp_console::cli::create_token(
        &app.db(),
        &other_id,
        "beta-token",
        "user",
        None,
        Some(&other_owner.email),
        Some("theirs"),
    )
    .unwrap();
    let mut conn = app.db().conn().unwrap();
    let tid = mlp_console::db::tokens::find_active(
        &mut conn,
        &other_id,
        &mlp_console::db::tokens::TokenKey::Name("beta-token".into()),
    )
    .unwrap()
    .unwrap()
    .id;
    drop(conn);

    // The owner of alpha is not a member of beta.
    let c = app.logged_in(&app.owner.email).await;
    let base = format!("/projects/{other_id}/tokens/{tid}");
    for htmx in [false, true] {
        for action in ["renew", "description", "row"] {
            let path = format!("{base}/{action}");
            assert_eq!(get(&c, &app, &path, htmx).await.status(), 404, "GET {path}");
        }
        for (action, fields) in [
            ("renew", vec![]),
            ("description", vec![("description", "mine")]),
        ] {
            let path = format!("{base}/{action}");
            let res = post_form(&c, &app, &path, &fields, htmx).await;
            assert_eq!(res.status(), 404, "POST {path}");
        }
    }
    // A token id of another project inside one's own project is unknown too.
    let own = format!("{}/{tid}", app.tokens_path());
    for action in ["renew", "description", "row"] {
        let path = format!("{own}/{action}");
        assert_eq!(get(&c, &app, &path, true).await.status(), 404, "{path}");
    }
    let res = post_form(&c, &app, &format!("{own}/renew"), &[], false).await;
    assert_eq!(res.status(), 404);
    assert_eq!(api_status(&app, &value).await, 200, "still the old value");
    let mut conn = app.db().conn().unwrap();
    let token = mlp_console::db::tokens::find_active(
        &mut conn,
        &other_id,
        &mlp_console::db::tokens::TokenKey::Id(tid.clone()),
    )
    .unwrap()
    .unwrap();
    assert_eq!(token.description.as_deref(), Some("theirs"));
}

#[tokio::test]
async fn renewing_without_the_csrf_token_is_refused() {
    let app = TestApp::spawn().await;
    let (value, id) = make_token(&app, "victim", TokenRole::User, None, None, None);
    let c = app.logged_in(&app.owner.email).await;
    let url = app.url(&token_path(&app, &id, "renew"));
    for csrf_field in [None, Some("wrong")] {
        let form: Vec<(&str, &str)> = csrf_field.map(|v| ("csrf_token", v)).into_iter().collect();
        let res = c.post(&url).form(&form).send().await.unwrap();
        assert_eq!(res.status(), 403, "form with {csrf_field:?}");
        let mut req = c.post(&url).form(&form).header("HX-Request", "true");
        if let Some(v) = csrf_field {
            req = req.header("X-CSRF-Token", v);
        }
        assert_eq!(
            req.send().await.unwrap().status(),
            403,
            "htmx with {csrf_field:?}"
        );
    }
    // A renewal is never a GET side effect: the confirmation changes nothing.
    assert_eq!(
        get(&c, &app, &token_path(&app, &id, "renew"), false)
            .await
            .status(),
        200
    );
    assert_eq!(api_status(&app, &value).await, 200);
    assert!(audit(&app, event::TOKEN_RENEWED).is_empty());
}

#[tokio::test]
async fn two_simultaneous_renewals_leave_exactly_one_working_value() {
    let app = TestApp::spawn().await;
    let (old, id) = make_token(&app, "contested", TokenRole::User, Some(86_400), None, None);
    assert_eq!(api_status(&app, &old).await, 200);
    let a = app.logged_in(&app.owner.email).await;
    let b = app.logged_in(&app.owner.email).await;
    let url = token_path(&app, &id, "renew");
    let (ra, rb) = tokio::join!(
        post_form(&a, &app, &url, &[], true),
        post_form(&b, &app, &url, &[], false)
    );
    // Either one ran after the other (both answer a value, and only the later one works), or they
    // overlapped and the later was refused with 409 (no value that another renewal already replaced is
    // ever shown): on SQLite they mostly queue, on PostgreSQL they may truly overlap.
    let statuses = (ra.status().as_u16(), rb.status().as_u16());
    let (ta, tb) = (ra.text().await.unwrap(), rb.text().await.unwrap());
    // Asked first, while the old value may still sit in the verification cache.
    assert_eq!(api_status(&app, &old).await, 401);
    let winner = match statuses {
        (200, 200) => {
            let va = shown_value(&Html::parse_fragment(&ta));
            let vb = shown_value(&Html::parse_document(&tb));
            assert_valid_value(&va);
            assert_valid_value(&vb);
            assert_ne!(va, vb);
            let working = [api_status(&app, &va).await, api_status(&app, &vb).await];
            assert!(
                working == [200, 401] || working == [401, 200],
                "exactly one works: {working:?}"
            );
            assert_eq!(audit(&app, event::TOKEN_RENEWED).len(), 2);
            if working[0] == 200 {
                va
            } else {
                vb
            }
        }
        (200, 409) | (409, 200) => {
            let (won, lost) = if statuses.0 == 200 {
                (&ta, &tb)
            } else {
                (&tb, &ta)
            };
            let value = if statuses.0 == 200 {
                shown_value(&Html::parse_fragment(won))
            } else {
                shown_value(&Html::parse_document(won))
            };
            assert_valid_value(&value);
            assert!(lost.contains("Renewed meanwhile"), "{lost}");
            assert!(
                !lost.contains("mlpat_"),
                "the refused answer shows no value"
            );
            assert_eq!(api_status(&app, &value).await, 200);
            assert_eq!(audit(&app, event::TOKEN_RENEWED).len(), 1);
            value
        }
        other => panic!("unexpected answers {other:?}"),
    };
    // The one that works is the one stored.
    assert_eq!(stored(&app, &id).hint, &winner[..10]);
}

//! The details a GitHub user looks for (issue 16): styled 404 pages, fingerprinted assets cached for a year,
//! `private, no-cache` on every signed-in page, the value's hint and never more, 30 days by default, an `<h1>`
//! on every full page, the delete confirmation's last use, and a login limit that counts failures only.

use crate::common::{self, TestApp, PASSWORD};
use crate::support::*;
use mlp_console::domain::TokenRole;
use scraper::Html;

fn content_type(res: &reqwest::Response) -> String {
    res.headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned()
}

fn cache_control(res: &reqwest::Response) -> String {
    res.headers()
        .get("cache-control")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned()
}

/// Every page of the project as a signed-in owner reaches it, `id` being one of its tokens.
fn project_pages(app: &TestApp, id: &str) -> Vec<String> {
    vec![
        app.tokens_path(),
        format!("{}?deleted=1", app.tokens_path()),
        format!("{}/new", app.tokens_path()),
        token_path(app, id, "delete"),
        token_path(app, id, "renew"),
        token_path(app, id, "description"),
        format!("/projects/{}/audit", app.project_id),
        format!("/projects/{}/members", app.project_id),
    ]
}

#[tokio::test]
async fn unknown_routes_answer_the_styled_not_found_page_and_json_under_the_api() {
    let app = TestApp::spawn().await;
    let signed_in = app.logged_in(&app.owner.email).await;
    let paths = [
        "/no/such/page".to_owned(),
        format!("/projects/{}/nope", app.project_id),
        "/static/nope.css".to_owned(),
        "/static/app.0000000000.css".to_owned(),
        "/api".to_owned(),
    ];
    for client in [common::client(), signed_in] {
        for path in &paths {
            let res = client.get(app.url(path)).send().await.unwrap();
            assert_eq!(res.status(), 404, "{path}");
            assert_eq!(content_type(&res), "text/html; charset=utf-8", "{path}");
            let doc = Html::parse_document(&res.text().await.unwrap());
            assert_eq!(text(one(&doc, "h1")), "Not found", "{path}");
            assert!(
                count(&doc, "link[rel=stylesheet][href^='/static/app.']") == 1,
                "styled"
            );
            assert_eq!(attr(one(&doc, "a.btn"), "href"), Some("/"));
        }
    }
    let res = common::client()
        .get(app.url("/api/v1/no/such"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 404);
    assert_eq!(content_type(&res), "application/json");
    let body: serde_json::Value = res.json().await.unwrap();
    assert_eq!(body["errorCode"], "NotFoundException");
}

#[tokio::test]
async fn assets_are_fingerprinted_and_cached_for_a_year() {
    let app = TestApp::spawn().await;
    let c = app.logged_in(&app.owner.email).await;
    let page = get_html(&c, &app, &app.tokens_path()).await;
    let mut urls: Vec<String> = page
        .select(&sel("link[rel=stylesheet], link[rel=icon], script[src]"))
        .map(|el| {
            el.value()
                .attr("href")
                .or_else(|| el.value().attr("src"))
                .unwrap()
                .to_owned()
        })
        .collect();
    urls.sort();
    assert_eq!(urls.len(), 4, "{urls:?}");
    let fingerprint = regex::Regex::new(r"^/static/[a-z.]+\.[0-9a-f]{10}\.(css|js|svg)$").unwrap();
    for url in &urls {
        assert!(fingerprint.is_match(url), "{url}");
        let res = c.get(app.url(url)).send().await.unwrap();
        assert_eq!(res.status(), 200, "{url}");
        assert_eq!(
            cache_control(&res),
            "public, max-age=31536000, immutable",
            "{url}"
        );
        let kind = content_type(&res);
        assert!(
            (url.ends_with(".css") && kind.starts_with("text/css"))
                || (url.ends_with(".js") && kind.starts_with("text/javascript"))
                || (url.ends_with(".svg") && kind == "image/svg+xml"),
            "{url}: {kind}"
        );
    }
    let css = urls.iter().find(|u| u.ends_with(".css")).unwrap();
    let fingerprinted = c
        .get(app.url(css))
        .send()
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();
    // The same bytes under the plain name (old bookmarks), which may change with the next build.
    let res = c.get(app.url("/static/app.css")).send().await.unwrap();
    assert_eq!(cache_control(&res), "public, max-age=3600");
    assert_eq!(res.bytes().await.unwrap(), fingerprinted);
}

#[tokio::test]
async fn signed_in_pages_are_private_and_revalidated_and_values_are_never_stored() {
    let app = TestApp::spawn().await;
    let c = app.logged_in(&app.owner.email).await;
    let (_, id) = make_token(&app, "ci", TokenRole::User, None, None, None);
    let mut pages = project_pages(&app, &id);
    pages.extend(["/projects".to_owned(), "/account".to_owned()]);
    for path in &pages {
        for htmx in [false, true] {
            let res = get(&c, &app, path, htmx).await;
            assert_eq!(res.status(), 200, "{path}");
            assert_eq!(
                cache_control(&res),
                "private, no-cache",
                "{path} (htmx: {htmx})"
            );
        }
    }
    // An answer that carries a value is not kept at all.
    let res = post_form(
        &c,
        &app,
        &app.tokens_path(),
        &[("name", "new"), ("role", "user"), ("expiration", "30")],
        false,
    )
    .await;
    assert_eq!(cache_control(&res), "no-store");
}

#[tokio::test]
async fn the_hint_is_shown_under_the_name_and_never_more_of_the_value() {
    let app = TestApp::spawn().await;
    let c = app.logged_in(&app.owner.email).await;
    let (value, id) = make_token(&app, "spark-gateway", TokenRole::User, None, None, None);
    let hint = &value[..10];
    for path in [
        app.tokens_path(),
        token_path(&app, &id, "delete"),
        format!("{}?deleted=0", app.tokens_path()),
    ] {
        let body = get(&c, &app, &path, false).await.text().await.unwrap();
        assert!(body.contains(&format!("{hint}…")), "{path} shows the hint");
        assert!(
            !body.contains(&value[..11]),
            "{path} shows no more than the hint"
        );
        assert!(!body.contains(&value[6..]), "{path}");
    }
    let page = get_html(&c, &app, &app.tokens_path()).await;
    assert_eq!(
        text(one(&page, &format!("#token-{id} td.name .hint"))),
        format!("Value starts with {hint}…")
    );
    // Deleted, it keeps its hint in Show deleted (which value leaked?).
    post_form(&c, &app, &token_path(&app, &id, "delete"), &[], false).await;
    let deleted = get_html(&c, &app, &format!("{}?deleted=1", app.tokens_path())).await;
    assert_eq!(
        text(one(&deleted, "#deleted-rows td.name .hint")),
        format!("Value started with {hint}…")
    );
}

#[tokio::test]
async fn create_defaults_to_30_days_and_warns_about_no_expiration() {
    let app = TestApp::spawn().await;
    let c = app.logged_in(&app.owner.email).await;
    for htmx in [false, true] {
        let res = get(&c, &app, &format!("{}/new", app.tokens_path()), htmx).await;
        let doc = Html::parse_document(&res.text().await.unwrap());
        assert_eq!(
            attr(one(&doc, "#token-expiration option[selected]"), "value"),
            Some("30")
        );
        // Shown by the stylesheet only while "No expiration" is chosen.
        let warning = one(&doc, "#token-expiration ~ .no-expiry-warning");
        assert!(text(warning).contains("works until someone deletes it"));
    }
    // A form re-rendered with "No expiration" keeps it (the choice stays available).
    let res = post_form(
        &c,
        &app,
        &app.tokens_path(),
        &[("name", ""), ("role", "user"), ("expiration", "never")],
        true,
    )
    .await;
    let doc = Html::parse_document(&res.text().await.unwrap());
    assert_eq!(
        attr(one(&doc, "#token-expiration option[selected]"), "value"),
        Some("never")
    );
}

#[tokio::test]
async fn every_full_page_has_one_h1_and_every_section_a_heading() {
    let app = TestApp::spawn().await;
    let c = app.logged_in(&app.owner.email).await;
    let (_, id) = make_token(&app, "ci", TokenRole::User, None, None, None);
    let pages = project_pages(&app, &id);
    for path in &pages {
        let doc = get_html(&c, &app, path).await;
        assert_eq!(count(&doc, "h1"), 1, "{path}");
        for section in doc.select(&sel("section")) {
            let labelled = section.value().attr("aria-labelledby").is_some()
                || section.value().attr("aria-label").is_some();
            let headed = section.select(&sel("h1, h2, h3")).next().is_some();
            assert!(labelled || headed, "{path}: a section without a heading");
        }
    }
    // The show-once page and the create page with errors.
    let res = post_form(
        &c,
        &app,
        &app.tokens_path(),
        &[("name", "shown"), ("role", "user"), ("expiration", "30")],
        false,
    )
    .await;
    let doc = Html::parse_document(&res.text().await.unwrap());
    assert_eq!(text(one(&doc, "h1")), "Access token created");
    let res = post_form(
        &c,
        &app,
        &app.tokens_path(),
        &[("name", ""), ("role", "user"), ("expiration", "30")],
        false,
    )
    .await;
    let doc = Html::parse_document(&res.text().await.unwrap());
    assert_eq!(text(one(&doc, "h1")), "Create access token");
}

#[tokio::test]
async fn the_delete_confirmation_says_when_and_from_where_the_token_was_last_used() {
    let app = TestApp::spawn().await;
    let c = app.logged_in(&app.owner.email).await;
    let (value, id) = make_token(&app, "busy", TokenRole::User, None, None, None);
    assert_eq!(api_status(&app, &value).await, 200);
    app.clock.advance(chrono::Duration::minutes(3));
    for htmx in [false, true] {
        let res = get(&c, &app, &token_path(&app, &id, "delete"), htmx).await;
        let doc = Html::parse_document(&res.text().await.unwrap());
        assert_eq!(
            text(one(&doc, "#delete-usage")),
            "Last used 3 minutes ago from 127.0.0.1."
        );
        assert_eq!(
            text(one(&doc, "#confirm-delete button[type=submit]")),
            "Confirm: delete token"
        );
        let described = attr(one(&doc, "dialog#confirm-delete"), "aria-describedby").unwrap();
        assert!(described.contains("delete-usage"));
    }
}

#[tokio::test]
async fn only_failed_sign_ins_count_toward_the_per_address_limit() {
    let app = TestApp::spawn().await;
    // Successful sign-ins (each after a GET /login) from this address: none of them counts.
    for _ in 0..35 {
        let c = common::client();
        let res = app.post_login(&c, &app.owner.email, PASSWORD).await;
        assert_eq!(res.status(), 303);
    }
    for _ in 0..20 {
        let res = common::client()
            .get(app.url("/login"))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 200);
    }
    // 30 failures a minute are allowed (each for another email, so the per-email limit stays out of it).
    for i in 0..30 {
        let res = app
            .post_login(
                &common::client(),
                &format!("nobody{i}@example.com"),
                "wrong",
            )
            .await;
        assert_eq!(res.status(), 200, "failure {} is still answered", i + 1);
    }
    let res = app
        .post_login(&common::client(), "nobody-else@example.com", "wrong")
        .await;
    assert_eq!(res.status(), 429, "the 31st failure within the minute");
    // A minute later the address may try again.
    app.clock.advance(chrono::Duration::seconds(61));
    let res = app
        .post_login(&common::client(), &app.owner.email, PASSWORD)
        .await;
    assert_eq!(res.status(), 303);
}

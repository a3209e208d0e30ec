//! Console errors: a styled page for plain requests, a dialog fragment appended to the page for htmx.

use crate::common::{self, TestApp};
use crate::support::{count, sel};
use reqwest::{Client, Response};
use scraper::Html;

/// The id of the app's only active token.
fn only_token_id(app: &TestApp) -> String {
    let mut conn = app.db().conn().unwrap();
    let (rows, _) =
        mlp_console::db::tokens::list_active(&mut conn, &app.project_id, 0, 10).unwrap();
    assert_eq!(rows.len(), 1);
    rows[0].id.clone()
}

async fn htmx_delete(c: &Client, app: &TestApp, path: &str, csrf: Option<&str>) -> Response {
    let mut req = c.delete(app.url(path)).header("HX-Request", "true");
    if let Some(csrf) = csrf {
        req = req.header("X-CSRF-Token", csrf);
    }
    req.send().await.unwrap()
}

/// Checks an htmx error answer: status, the htmx headers that put it at the end of `<body>`, a modal dialog
/// with the message and a Close button, the out-of-band removal of the delete confirmation, no whole page.
async fn assert_error_fragment(res: Response, status: u16, title: &str, message: &str) {
    assert_eq!(res.status(), status);
    let h = res.headers();
    assert_eq!(h["hx-retarget"], "body");
    assert_eq!(h["hx-reswap"], "beforeend");
    assert!(h["content-type"].to_str().unwrap().starts_with("text/html"));
    let csp = h["content-security-policy"].to_str().unwrap();
    assert!(csp.contains("script-src 'self'"), "security headers too");
    let body = res.text().await.unwrap();
    assert!(!body.contains("<html"), "{body}");
    assert!(!body.contains("<head"), "{body}");
    assert!(body.trim_start().starts_with("<dialog"), "{body}");
    let doc = Html::parse_fragment(&body);
    assert_eq!(count(&doc, "dialog#error-dialog.modal[data-modal]"), 1);
    assert_eq!(count(&doc, "#error-dialog [open]"), 0);
    let heading: String = doc
        .select(&sel("#error-dialog h2"))
        .flat_map(|e| e.text())
        .collect();
    assert_eq!(heading.trim(), title);
    assert!(body.contains(message), "{body}");
    let close: Vec<_> = doc
        .select(&sel("#error-dialog button[type=button][data-close-dialog]"))
        .collect();
    assert_eq!(close.len(), 1);
    assert_eq!(close[0].text().collect::<String>().trim(), "Close");
    assert_eq!(
        count(&doc, r#"div[hx-swap-oob="delete:#confirm-delete"]"#),
        1
    );
    assert_eq!(count(&doc, "script, [style]"), 0);
}

#[tokio::test]
async fn an_htmx_delete_of_a_token_deleted_meanwhile_answers_an_error_dialog() {
    let app = TestApp::spawn().await;
    app.token("twice", "user");
    let id = only_token_id(&app);
    let c = app.logged_in(&app.owner.email).await;
    let csrf = app.csrf(&c, "/projects").await;
    let path = format!("{}/{id}", app.tokens_path());

    let first = htmx_delete(&c, &app, &path, Some(&csrf)).await;
    assert_eq!(first.status(), 200);
    assert!(first.headers().get("hx-retarget").is_none());

    // Another tab already deleted it: the confirmation goes, a dialog says why.
    let again = htmx_delete(&c, &app, &path, Some(&csrf)).await;
    assert_error_fragment(
        again,
        404,
        "Not found",
        "There is nothing here, or you do not have access to it.",
    )
    .await;

    // The htmx confirmation of a deleted token: the same dialog instead of a page.
    let confirm = c
        .get(app.url(&format!("{path}/delete")))
        .header("HX-Request", "true")
        .send()
        .await
        .unwrap();
    assert_error_fragment(confirm, 404, "Not found", "There is nothing here").await;
}

#[tokio::test]
async fn without_htmx_the_same_error_is_a_whole_page() {
    let app = TestApp::spawn().await;
    app.token("twice", "user");
    let id = only_token_id(&app);
    let c = app.logged_in(&app.owner.email).await;
    let csrf = app.csrf(&c, "/projects").await;
    let post = format!("{}/{id}/delete", app.tokens_path());
    let delete = || {
        c.post(app.url(&post))
            .form(&[("csrf_token", csrf.as_str())])
            .send()
    };
    common::assert_is_redirect_to(&delete().await.unwrap(), &app.tokens_path());

    let res = delete().await.unwrap();
    assert_eq!(res.status(), 404);
    assert!(res.headers().get("hx-retarget").is_none());
    assert!(res.headers().get("hx-reswap").is_none());
    let body = res.text().await.unwrap();
    assert!(body.contains("<html"));
    assert!(body.contains("There is nothing here, or you do not have access to it."));
    let doc = Html::parse_document(&body);
    assert_eq!(count(&doc, "#error-dialog"), 0);
    assert_eq!(count(&doc, "h1"), 1);

    let res = c.get(app.url(&post)).send().await.unwrap();
    assert_eq!(res.status(), 404);
    assert!(res.text().await.unwrap().contains("<html"));
}

#[tokio::test]
async fn htmx_gets_forbidden_and_csrf_refusals_as_dialogs_too() {
    let app = TestApp::spawn().await;
    app.token("owners", "user");
    let id = only_token_id(&app);
    let member = app.member("member@example.com", "member");
    let path = format!("{}/{id}", app.tokens_path());

    let c = app.logged_in(&member.email).await;
    let csrf = app.csrf(&c, "/projects").await;
    let res = htmx_delete(&c, &app, &path, Some(&csrf)).await;
    assert_error_fragment(
        res,
        403,
        "Not allowed",
        "Your role in this project does not allow this.",
    )
    .await;

    let owner = app.logged_in(&app.owner.email).await;
    let res = htmx_delete(&owner, &app, &path, None).await;
    assert_error_fragment(
        res,
        403,
        "Request refused",
        "Reload the page and try again.",
    )
    .await;
    assert_eq!(only_token_id(&app), id, "nothing was deleted");

    // A signed-out htmx request is still sent to the login page, not shown a dialog.
    let res = htmx_delete(&common::client(), &app, &path, None).await;
    assert_eq!(res.status(), 401);
    assert_eq!(res.headers()["hx-redirect"], "/login");
    assert!(res.headers().get("hx-retarget").is_none());
}

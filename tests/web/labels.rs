//! Label selectors in the console (SPEC §13): the create dialog's optional field, the chip in the Tokens
//! list and in Show deleted, the error next to the field with the values kept and nothing written.

use crate::common::TestApp;
use crate::support::*;
use mlp_console::domain::LabelSelector;
use scraper::Html;

const SELECTOR: &str = "example.com/model=base";

fn create_fields<'a>(name: &'a str, selector: &'a str) -> Vec<(&'a str, &'a str)> {
    vec![
        ("name", name),
        ("role", "user"),
        ("expiration", "never"),
        ("label_selector", selector),
    ]
}

fn chips(doc: &Html) -> Vec<String> {
    doc.select(&sel(".label-chip")).map(text).collect()
}

#[tokio::test]
async fn a_token_created_with_a_selector_shows_its_chip_and_keeps_it_when_deleted() {
    let app = TestApp::spawn().await;
    let c = app.logged_in(&app.owner.email).await;
    for htmx in [false, true] {
        let name = if htmx { "with-htmx" } else { "without-js" };
        let res = post_form(
            &c,
            &app,
            &app.tokens_path(),
            &create_fields(name, SELECTOR),
            htmx,
        )
        .await;
        assert_eq!(res.status(), 200, "{name}");
        let doc = Html::parse_document(&res.text().await.unwrap());
        assert_valid_value(&shown_value(&doc));
    }
    // Blank (spaces too) is unscoped.
    let res = post_form(
        &c,
        &app,
        &app.tokens_path(),
        &create_fields("plain", "  "),
        false,
    )
    .await;
    assert_eq!(res.status(), 200);

    let page = get_html(&c, &app, &app.tokens_path()).await;
    let chip_texts = chips(&page);
    assert_eq!(chip_texts.len(), 2, "{chip_texts:?}");
    for chip in &chip_texts {
        assert_eq!(
            chip,
            &format!("Label selector {SELECTOR}"),
            "with its spoken label"
        );
    }
    let rows = page
        .select(&sel("tr"))
        .filter(|tr| text(*tr).contains("plain"))
        .count();
    assert_eq!(rows, 1);
    assert!(page
        .select(&sel("tr"))
        .filter(|tr| text(*tr).contains("plain"))
        .all(|tr| tr.select(&sel(".label-chip")).next().is_none()));

    // Stored as typed, and kept once the token is deleted.
    let mut conn = app.db().conn().unwrap();
    let (tokens, _) =
        mlp_console::db::tokens::list_active(&mut conn, &app.project_id, 0, 10).unwrap();
    drop(conn);
    let scoped = tokens.iter().find(|t| t.name == "with-htmx").unwrap();
    assert_eq!(
        scoped.label_selector,
        Some(LabelSelector::parse(SELECTOR).unwrap())
    );
    let res = post_form(
        &c,
        &app,
        &token_path(&app, &scoped.id, "delete"),
        &[],
        false,
    )
    .await;
    assert!(
        res.status().is_redirection() || res.status() == 200,
        "{}",
        res.status()
    );
    let deleted = get_html(&c, &app, &format!("{}?deleted=1", app.tokens_path())).await;
    assert_eq!(chips(&deleted), [format!("Label selector {SELECTOR}")]);
}

#[tokio::test]
async fn a_bad_selector_is_reported_next_to_the_field_with_the_values_kept() {
    let app = TestApp::spawn().await;
    let c = app.logged_in(&app.owner.email).await;
    let cases = [
        ("model", "The label selector must have the form NAME=VALUE, such as model=base."),
        ("model=base!", "The label value may hold only letters, digits, “.”, “_” and “-”, and must start and end with a letter or digit."),
        ("UPPER.example/model=x", "The prefix before “/” must be a DNS subdomain: at most 253 characters, dot-separated parts of lower-case letters, digits and “-”, each starting and ending with a letter or digit."),
    ];
    for htmx in [true, false] {
        for (selector, message) in cases {
            let res = post_form(
                &c,
                &app,
                &app.tokens_path(),
                &create_fields("kept-name", selector),
                htmx,
            )
            .await;
            let status = res.status().as_u16();
            let doc = Html::parse_document(&res.text().await.unwrap());
            assert!(status == 200 || status == 422, "{status}");
            assert_eq!(text(one(&doc, "#token-label-selector-error")), message);
            let field = one(&doc, "#token-label-selector");
            assert_eq!(field.value().attr("value"), Some(selector));
            assert_eq!(field.value().attr("aria-invalid"), Some("true"));
            assert!(field.value().attr("autofocus").is_some());
            assert_eq!(
                one(&doc, "#token-name").value().attr("value"),
                Some("kept-name")
            );
            assert!(doc.select(&sel("input#token-value")).next().is_none());
        }
    }
    let mut conn = app.db().conn().unwrap();
    let (_, total) =
        mlp_console::db::tokens::list_active(&mut conn, &app.project_id, 0, 10).unwrap();
    assert_eq!(total, 0, "nothing written");
}

#[tokio::test]
async fn the_dialog_offers_the_optional_field_with_its_placeholder_and_explanation() {
    let app = TestApp::spawn().await;
    let c = app.logged_in(&app.owner.email).await;
    let doc = get_html(&c, &app, &format!("{}/new", app.tokens_path())).await;
    let field = one(&doc, "input#token-label-selector");
    assert_eq!(field.value().attr("name"), Some("label_selector"));
    assert_eq!(field.value().attr("placeholder"), Some("model=base"));
    assert!(field.value().attr("required").is_none());
    assert!(text(one(&doc, "label[for=token-label-selector]")).starts_with("Label selector"));
    assert!(text(one(&doc, "#token-label-selector-help")).contains("cannot be changed later"));
}

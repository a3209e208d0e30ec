//! Journeys through the login page: log in, a wrong password, log out, and the page's accessibility.

use crate::common::{TestApp, PASSWORD};
use crate::harness::{Browser, Kind};

/// Opens the login page and signs in the way a person does: by the field labels and the button name.
pub async fn log_in(b: &Browser, email: &str, password: &str) {
    b.goto("/login").await;
    b.fill("Email", email).await;
    b.fill("Password", password).await;
    b.click("Log in").await;
}

#[tokio::test]
async fn log_in_lands_on_the_tokens_page() {
    let app = TestApp::spawn().await;
    let b = Browser::open("log-in", &app.address).await;

    log_in(&b, &app.owner.email, PASSWORD).await;

    b.wait_for_path(&app.tokens_path()).await;
    b.wait_for_text(&app.owner.email).await;
    b.button("Log out").await;
    b.screenshot("log-in").await;
    b.finish().await;
}

#[tokio::test]
async fn wrong_password_shows_the_error_and_keeps_the_email() {
    let app = TestApp::spawn().await;
    let b = Browser::open("wrong-password", &app.address).await;

    log_in(&b, &app.owner.email, "not the password").await;

    b.wait_for_text("Invalid email or password").await;
    assert_eq!(b.path().await, "/login");
    let email = b.field("Email").await;
    assert_eq!(
        email.value().await.unwrap().as_deref(),
        Some(app.owner.email.as_str()),
        "the typed email is kept"
    );
    let password = b.field("Password").await;
    assert_eq!(
        password.value().await.unwrap().as_deref(),
        Some(""),
        "the password is never sent back"
    );
    assert!(
        b.page().is_absent(Kind::Button, "Log out").await,
        "still signed out"
    );
    b.screenshot("wrong-password").await;
    b.axe("the login page with an error").await;
    b.finish().await;
}

#[tokio::test]
async fn log_out_returns_to_the_login_page() {
    let app = TestApp::spawn().await;
    let b = Browser::open("log-out", &app.address).await;
    log_in(&b, &app.owner.email, PASSWORD).await;
    b.wait_for_path(&app.tokens_path()).await;

    b.click("Log out").await;

    b.wait_for_path("/login").await;
    b.field("Email").await;
    // The session is really gone: the tokens page sends the person back to log in.
    b.goto(&app.tokens_path()).await;
    b.wait_for_path("/login").await;
    b.screenshot("log-out").await;
    b.finish().await;
}

#[tokio::test]
async fn login_page_is_accessible_and_error_free() {
    let app = TestApp::spawn().await;
    let b = Browser::open("login-page", &app.address).await;

    b.goto("/login").await;

    b.find_heading("Log in to ML Platform").await;
    let email = b.field("Email").await;
    assert!(b.has_focus(&email).await, "Email has the focus on arrival");
    assert!(
        b.title().await.contains("Log in"),
        "the title names the page"
    );
    b.axe("the login page").await;
    b.screenshot("login-page").await;
    b.finish().await;
}

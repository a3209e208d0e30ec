use crate::common::{self, assert_is_redirect_to, TestApp, PASSWORD};

#[tokio::test]
async fn logged_out_requests_are_sent_to_login() {
    let app = TestApp::spawn().await;
    let c = common::client();
    for path in ["/", "/projects", &app.tokens_path()] {
        let res = c.get(app.url(path)).send().await.unwrap();
        assert_is_redirect_to(&res, "/login");
    }
}

#[tokio::test]
async fn login_succeeds_with_the_right_password_and_changes_the_session() {
    let app = TestApp::spawn().await;
    let c = common::client();
    let before = c.get(app.url("/login")).send().await.unwrap();
    let cookie_before = before
        .cookies()
        .find(|c| c.name() == "mlp_session")
        .map(|c| c.value().to_owned());
    let html = before.text().await.unwrap();
    let csrf_before = common::extract_csrf(&html).unwrap();
    let res = c
        .post(app.url("/login"))
        .form(&[
            ("email", app.owner.email.as_str()),
            ("password", PASSWORD),
            ("csrf_token", &csrf_before),
        ])
        .send()
        .await
        .unwrap();
    // SPEC §5: straight to the tokens page of the (only) project.
    assert_is_redirect_to(&res, &app.tokens_path());
    let cookie_after = res
        .cookies()
        .find(|c| c.name() == "mlp_session")
        .map(|c| c.value().to_owned());
    assert!(cookie_after.is_some());
    assert_ne!(
        cookie_before, cookie_after,
        "the session cookie must change at login"
    );
    let home = c.get(app.url("/")).send().await.unwrap();
    assert_is_redirect_to(&home, &app.tokens_path());
    let csrf_after = app.csrf(&c, "/projects").await;
    assert_ne!(
        csrf_before, csrf_after,
        "the CSRF token must change at login"
    );
}

#[tokio::test]
async fn login_fails_with_a_wrong_password_or_unknown_email() {
    let app = TestApp::spawn().await;
    for (email, password) in [
        (app.owner.email.as_str(), "wrong"),
        ("nobody@example.com", PASSWORD),
    ] {
        let c = common::client();
        let res = app.post_login(&c, email, password).await;
        assert_eq!(res.status(), 200);
        let html = res.text().await.unwrap();
        assert!(html.contains("Invalid email or password"));
        let still_out = c.get(app.url("/projects")).send().await.unwrap();
        assert_is_redirect_to(&still_out, "/login");
    }
}

#[tokio::test]
async fn login_without_csrf_token_is_refused() {
    let app = TestApp::spawn().await;
    let c = common::client();
    let res = c
        .post(app.url("/login"))
        .form(&[("email", app.owner.email.as_str()), ("password", PASSWORD)])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 403);
}

#[tokio::test]
async fn repeated_failures_are_limited_before_hashing() {
    let app = TestApp::spawn().await;
    let c = common::client();
    for _ in 0..5 {
        assert_eq!(
            app.post_login(&c, &app.owner.email, "wrong").await.status(),
            200
        );
    }
    let res = app.post_login(&c, &app.owner.email, PASSWORD).await;
    assert_eq!(res.status(), 429);
    let retry: u64 = res.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!(retry > 0 && retry <= 15 * 60);
    assert!(res.text().await.unwrap().contains("Try again in"));
}

#[tokio::test]
async fn logout_ends_the_session() {
    let app = TestApp::spawn().await;
    let c = app.logged_in(&app.owner.email).await;
    let csrf = app.csrf(&c, "/projects").await;
    let res = c
        .post(app.url("/logout"))
        .form(&[("csrf_token", csrf.as_str())])
        .send()
        .await
        .unwrap();
    assert_is_redirect_to(&res, "/login");
    let after = c.get(app.url("/projects")).send().await.unwrap();
    assert_is_redirect_to(&after, "/login");
}

#[tokio::test]
async fn logout_ends_the_session_for_a_copy_of_its_cookie_too() {
    let app = TestApp::spawn().await;
    // No cookie store: each request carries exactly the cookie given; the browser's cookie, and a copy
    // of it taken elsewhere.
    let (c, cookie) = common::sign_in_by_hand(&app, &app.owner.email).await;
    let page = |cookie: String| {
        c.get(app.url(&app.tokens_path()))
            .header("cookie", cookie)
            .send()
    };
    let res = page(cookie.clone()).await.unwrap();
    assert_eq!(res.status(), 200, "the copy works while the session lasts");
    let csrf = common::extract_csrf(&res.text().await.unwrap()).unwrap();

    let res = c
        .post(app.url("/logout"))
        .header("cookie", &cookie)
        .form(&[("csrf_token", csrf.as_str())])
        .send()
        .await
        .unwrap();
    assert_is_redirect_to(&res, "/login");

    let res = page(cookie.clone()).await.unwrap();
    assert_is_redirect_to(&res, "/login");
    let res = c
        .get(app.url("/login"))
        .header("cookie", &cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200, "the login form, not a loop back to /");
    // Another session of the same account is untouched.
    let other = app.logged_in(&app.owner.email).await;
    let res = other.get(app.url(&app.tokens_path())).send().await.unwrap();
    assert_eq!(res.status(), 200);
}

#[tokio::test]
async fn health_endpoints_answer() {
    let app = TestApp::spawn().await;
    let c = common::client();
    for path in ["/livez", "/healthz"] {
        let res = c.get(app.url(path)).send().await.unwrap();
        assert_eq!(res.status(), 200, "{path}");
        assert_eq!(res.text().await.unwrap(), "ok");
    }
}

#[tokio::test]
async fn simultaneous_wrong_passwords_hash_no_more_than_the_limit() {
    // Attempts are counted when they are admitted, not when their hash fails: 16 guesses sent at once
    // reach argon2 at most 5 times; the rest are refused before hashing.
    let app = TestApp::spawn().await;
    let statuses = common::wrong_passwords_at_once(&[&app], 16).await;
    assert_eq!(
        statuses.iter().filter(|&&s| s == 200).count(),
        5,
        "{statuses:?}"
    );
    assert_eq!(
        statuses.iter().filter(|&&s| s == 429).count(),
        11,
        "{statuses:?}"
    );
    let res = app
        .post_login(&common::client(), &app.owner.email, PASSWORD)
        .await;
    assert_eq!(
        res.status(),
        429,
        "the account stays limited for this client address"
    );
}

#[tokio::test]
async fn logins_beyond_the_waiting_room_are_turned_away_at_once() {
    use mlp_console::service::accounts::LOGINS_WAITING_AT_MOST;
    let app = TestApp::spawn().await;
    // Holding the only hashing permit keeps every admitted login waiting.
    let hashing = app
        .state
        .accounts
        .hashing
        .clone()
        .acquire_owned()
        .await
        .unwrap();
    let c = common::client();
    let csrf = app.csrf(&c, "/login").await;
    // Exactly the 30 attempts a client may make a minute, with a different email each (5 failures per
    // email): if the turned-away ones counted, the right password below would be refused.
    let extra = 30 - LOGINS_WAITING_AT_MOST;
    let (done, mut answers) = tokio::sync::mpsc::unbounded_channel();
    for i in 0..LOGINS_WAITING_AT_MOST + extra {
        let request = c
            .post(app.url("/login"))
            .form(&[
                ("email", format!("nobody-{i}@example.com")),
                ("password", "wrong".to_owned()),
                ("csrf_token", csrf.clone()),
            ])
            .send();
        let done = done.clone();
        tokio::spawn(async move {
            let res = request.await.unwrap();
            let retry_after = res.headers().get("retry-after").cloned();
            let status = res.status().as_u16();
            let body = res.text().await.unwrap();
            done.send((status, retry_after, body)).unwrap();
        });
    }

    // The overflow is answered while the others still wait.
    for _ in 0..extra {
        let (status, retry_after, body) =
            tokio::time::timeout(std::time::Duration::from_secs(10), answers.recv())
                .await
                .expect("an overflowing login answered at once")
                .unwrap();
        assert_eq!(status, 503);
        assert_eq!(retry_after.unwrap().to_str().unwrap(), "1");
        assert!(body.contains(mlp_console::web::login::BUSY), "{body}");
    }
    assert!(
        tokio::time::timeout(std::time::Duration::from_millis(300), answers.recv())
            .await
            .is_err(),
        "the others wait for the hashing permit"
    );

    drop(hashing);
    for _ in 0..LOGINS_WAITING_AT_MOST {
        let (status, _, body) = answers.recv().await.unwrap();
        assert_eq!(status, 200, "checked and refused: {body}");
        assert!(body.contains("Invalid email or password"));
    }
    // The turned-away attempts did not count.
    let res = app.post_login(&c, &app.owner.email, PASSWORD).await;
    assert_eq!(res.status(), 303, "the right password still gets in");
}

//! Shared by every test binary: the real app on 127.0.0.1:0 with its own SQLite file, and helpers per route.
#![allow(dead_code)]

use mlp_console::clock::ManualClock;
use mlp_console::config::Settings;
use mlp_console::db::{Database, Location};
use mlp_console::startup::Application;
use mlp_console::state::AppState;
use secrecy::SecretString;
use std::sync::Arc;

pub const PASSWORD: &str = "correct horse battery staple";

pub struct TestUser {
    pub email: String,
    pub account_id: String,
}

pub struct TestApp {
    pub address: String,
    pub port: u16,
    pub clock: Arc<ManualClock>,
    pub state: actix_web::web::Data<AppState>,
    /// The test's own database, on the backend of the test run (`db::testing`).
    pub location: Location,
    /// An account that owns `project_id`.
    pub owner: TestUser,
    pub project_id: String,
    _dir: tempfile::TempDir,
}

/// A browser-like HTTP client: keeps cookies, does not follow redirects.
pub fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("a reqwest client")
}

impl TestApp {
    /// The app on a new database of the test run's backend, with an owner and its project `alpha`.
    pub async fn spawn() -> TestApp {
        let dir = tempfile::tempdir().expect("a temporary directory");
        let location = mlp_console::db::testing::location(dir.path(), "test.db");
        let app = Self::start(&location, dir).await;
        let db = app.db();
        let owner = create_user(&db, "owner@example.com");
        let project_id =
            mlp_console::cli::create_project(&db, "alpha", &owner.email).expect("a project");
        TestApp {
            owner,
            project_id,
            ..app
        }
    }

    /// Two instances of the app on one new PostgreSQL database, as behind a load balancer (SPEC §12): the
    /// first set up as by `spawn`, the second sharing its data, owner and project.
    pub async fn spawn_pair() -> (TestApp, TestApp) {
        let dir = tempfile::tempdir().expect("a temporary directory");
        let location = Location::Postgres(mlp_console::db::testing::new_postgres_database());
        let a = Self::start(&location, dir).await;
        let db = a.db();
        let owner = create_user(&db, "owner@example.com");
        let project_id =
            mlp_console::cli::create_project(&db, "alpha", &owner.email).expect("a project");
        let b = Self::start(&location, tempfile::tempdir().unwrap()).await;
        let b = TestApp {
            owner: TestUser {
                email: owner.email.clone(),
                account_id: owner.account_id.clone(),
            },
            project_id: project_id.clone(),
            ..b
        };
        (
            TestApp {
                owner,
                project_id,
                ..a
            },
            b,
        )
    }

    /// This app, with `owner` owning `project_id` (made by the test itself).
    pub fn owned_by(self, owner: TestUser, project_id: String) -> TestApp {
        TestApp {
            owner,
            project_id,
            ..self
        }
    }

    /// The app serving `location`, nothing created in it.
    pub async fn start(location: &Location, dir: tempfile::TempDir) -> TestApp {
        let clock = Arc::new(ManualClock::new());
        let app = Application::build_with_clock(Settings::for_tests_at(location), clock.clone())
            .await
            .expect("the app builds");
        let port = app.port();
        let state = app.state();
        tokio::spawn(app.run_until_stopped());
        TestApp {
            address: format!("http://127.0.0.1:{port}"),
            port,
            clock,
            state,
            location: location.clone(),
            owner: TestUser {
                email: String::new(),
                account_id: String::new(),
            },
            project_id: String::new(),
            _dir: dir,
        }
    }

    pub fn db(&self) -> Database {
        self.state.db.clone()
    }

    /// Writes every noted token use now, as the server does at shutdown.
    pub async fn flush_last_used(&self) -> Result<usize, mlp_console::error::AppError> {
        mlp_console::service::blocking(&self.state.tokens, |tokens| tokens.flush_last_used()).await
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.address, path)
    }

    /// A new account with `PASSWORD`, added to `project_id` with `role`.
    pub fn member(&self, email: &str, role: &str) -> TestUser {
        let user = create_user(&self.db(), email);
        mlp_console::cli::add_member(&self.db(), &self.project_id, email, role)
            .expect("membership");
        user
    }

    /// A second project owned by a new account.
    pub fn other_project(&self, name: &str, owner_email: &str) -> (String, TestUser) {
        let owner = create_user(&self.db(), owner_email);
        let id =
            mlp_console::cli::create_project(&self.db(), name, owner_email).expect("a project");
        (id, owner)
    }

    /// An access token made the CLI's way; returns its value.
    pub fn token(&self, name: &str, role: &str) -> String {
        mlp_console::cli::create_token(&self.db(), &self.project_id, name, role, None, None, None)
            .expect("a token")
    }

    /// The CSRF token of the session behind `client`, read from a page's `<meta>`.
    pub async fn csrf(&self, client: &reqwest::Client, path: &str) -> String {
        let html = client
            .get(self.url(path))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        extract_csrf(&html).expect("a csrf-token meta tag")
    }

    pub async fn post_login(
        &self,
        client: &reqwest::Client,
        email: &str,
        password: &str,
    ) -> reqwest::Response {
        let csrf = self.csrf(client, "/login").await;
        client
            .post(self.url("/login"))
            .form(&[
                ("email", email),
                ("password", password),
                ("csrf_token", &csrf),
            ])
            .send()
            .await
            .unwrap()
    }

    /// A client signed in as `email`.
    pub async fn logged_in(&self, email: &str) -> reqwest::Client {
        let c = client();
        let res = self.post_login(&c, email, PASSWORD).await;
        assert_eq!(res.status(), 303, "login of {email} failed");
        c
    }

    pub fn tokens_path(&self) -> String {
        format!("/projects/{}/tokens", self.project_id)
    }
}

pub fn create_user(db: &Database, email: &str) -> TestUser {
    let password = SecretString::from(PASSWORD.to_owned());
    let account_id = mlp_console::cli::create_user(db, email, None, &password).expect("an account");
    TestUser {
        email: email.to_owned(),
        account_id,
    }
}

/// The `mlp_session` cookie a response sets, as a `Cookie` header value.
pub fn session_cookie(res: &reqwest::Response) -> String {
    let value = res
        .cookies()
        .find(|c| c.name() == "mlp_session")
        .expect("a session cookie")
        .value()
        .to_owned();
    format!("mlp_session={value}")
}

/// Signs `email` in on `app` with a client that keeps no cookies, so each later request carries exactly
/// the cookie given (a copy of a browser's cookie, say): the client and the signed-in session's cookie.
pub async fn sign_in_by_hand(app: &TestApp, email: &str) -> (reqwest::Client, String) {
    let c = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let form = c.get(app.url("/login")).send().await.unwrap();
    let anonymous = session_cookie(&form);
    let csrf = extract_csrf(&form.text().await.unwrap()).unwrap();
    let login = c
        .post(app.url("/login"))
        .header("cookie", &anonymous)
        .form(&[
            ("email", email),
            ("password", PASSWORD),
            ("csrf_token", &csrf),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(login.status(), 303, "login of {email} failed");
    let cookie = session_cookie(&login);
    (c, cookie)
}

/// `count` wrong passwords for the owner's email sent at once, spread in turn over `apps` (instances of
/// one database, or just one), each from a client of its own with its own CSRF token; the statuses.
pub async fn wrong_passwords_at_once(apps: &[&TestApp], count: usize) -> Vec<u16> {
    let mut senders = Vec::with_capacity(apps.len());
    for app in apps {
        let c = client();
        let csrf = app.csrf(&c, "/login").await;
        senders.push((*app, c, csrf));
    }
    let guesses = (0..count).map(|i| {
        let (app, c, csrf) = &senders[i % senders.len()];
        let password = format!("wrong-{i}");
        c.post(app.url("/login"))
            .form(&[
                ("email", app.owner.email.as_str()),
                ("password", password.as_str()),
                ("csrf_token", csrf.as_str()),
            ])
            .send()
    });
    futures_util::future::join_all(guesses)
        .await
        .into_iter()
        .map(|r| r.unwrap().status().as_u16())
        .collect()
}

pub fn extract_csrf(html: &str) -> Option<String> {
    let start = html.find(r#"<meta name="csrf-token" content=""#)?
        + r#"<meta name="csrf-token" content=""#.len();
    let end = html[start..].find('"')? + start;
    Some(html[start..end].to_owned())
}

pub fn assert_is_redirect_to(response: &reqwest::Response, location: &str) {
    assert_eq!(response.status().as_u16(), 303, "expected a redirect");
    assert_eq!(response.headers()["location"], location);
}

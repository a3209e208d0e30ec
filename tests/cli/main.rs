//! The admin command line (SPEC §8): results alone on stdout, clear errors and a non-zero exit on bad input.

mod parity;

use mlp_console::db::Location;
use mlp_console::domain::secret::{parse_kind, SecretKind};
use std::io::Write;
use std::process::{Command, Output, Stdio};

struct Cli {
    _dir: tempfile::TempDir,
    /// Where the test's database is, on the backend of the test run (`db::testing`).
    location: Location,
    /// The same as `MLP_DATABASE_URL` takes it.
    db: String,
}

impl Cli {
    fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let location = mlp_console::db::testing::location(dir.path(), "cli.db");
        let db = match &location {
            Location::Sqlite(path) => format!("sqlite://{}", path.display()),
            Location::Postgres(url) => url.clone(),
        };
        Cli {
            _dir: dir,
            location,
            db,
        }
    }

    fn run(&self, args: &[&str], stdin: Option<&str>) -> Output {
        let mut child = Command::new(env!("CARGO_BIN_EXE_mlp-console"))
            .args(args)
            .env("MLP_DATABASE_URL", &self.db)
            .env("MLP_LOG", "warn")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        if let Some(input) = stdin {
            child
                .stdin
                .take()
                .unwrap()
                .write_all(input.as_bytes())
                .unwrap();
        }
        drop(child.stdin.take());
        child.wait_with_output().unwrap()
    }

    fn ok(&self, args: &[&str], stdin: Option<&str>) -> String {
        let out = self.run(args, stdin);
        assert!(
            out.status.success(),
            "{args:?} failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let stdout = String::from_utf8(out.stdout).unwrap();
        assert_eq!(
            stdout.lines().count(),
            1,
            "exactly one line of result: {stdout:?}"
        );
        stdout.trim_end().to_owned()
    }

    fn fails(&self, args: &[&str], stdin: Option<&str>, message: &str) {
        let out = self.run(args, stdin);
        assert!(!out.status.success(), "{args:?} should fail");
        assert!(out.stdout.is_empty(), "nothing on stdout on failure");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(
            stderr.contains(message),
            "{args:?}: stderr {stderr:?} lacks {message:?}"
        );
    }

    fn database(&self) -> mlp_console::db::Database {
        mlp_console::db::Database::open(&self.location, 1).unwrap()
    }

    /// An owner account and a project `ml`, ready for the token commands.
    fn with_project(&self) -> String {
        self.ok(
            &[
                "user",
                "create",
                "--email",
                "Owner@Example.com",
                "--password-stdin",
            ],
            Some("pw-one\n"),
        );
        self.ok(
            &[
                "project",
                "create",
                "--name",
                "ml",
                "--owner",
                "owner@example.com",
            ],
            None,
        )
    }
}

#[test]
fn user_create_prints_the_id_and_reads_one_line_of_password() {
    let cli = Cli::new();
    let id = cli.ok(
        &[
            "user",
            "create",
            "--email",
            "Ann@Example.com",
            "--name",
            "Ann",
            "--password-stdin",
        ],
        Some("secret pass\r\nignored second line\n"),
    );
    assert!(uuid::Uuid::parse_str(&id).is_ok(), "{id}");
    let mut conn = cli.database().conn().unwrap();
    let account = mlp_console::db::accounts::find_by_email(&mut conn, "ann@example.com")
        .unwrap()
        .expect("stored lower-cased");
    assert_eq!(account.id, id);
    let typed = secrecy::SecretString::from("secret pass".to_owned());
    assert!(mlp_console::auth::password::verify(
        &typed,
        Some(&account.password_hash)
    ));
}

#[test]
fn user_create_rejects_bad_input() {
    let cli = Cli::new();
    cli.fails(
        &[
            "user",
            "create",
            "--email",
            "not-an-email",
            "--password-stdin",
        ],
        Some("pw\n"),
        "valid email",
    );
    cli.fails(
        &["user", "create", "--email", "a@b.c", "--password-stdin"],
        Some("\n"),
        "empty",
    );
    cli.ok(
        &["user", "create", "--email", "a@b.c", "--password-stdin"],
        Some("pw\n"),
    );
    cli.fails(
        &["user", "create", "--email", "A@B.C", "--password-stdin"],
        Some("pw\n"),
        "already exists",
    );
}

#[test]
fn project_and_member_commands() {
    let cli = Cli::new();
    let project = cli.with_project();
    assert!(uuid::Uuid::parse_str(&project).is_ok());
    cli.fails(
        &[
            "project",
            "create",
            "--name",
            "ml",
            "--owner",
            "owner@example.com",
        ],
        None,
        "already exists",
    );
    cli.fails(
        &[
            "project",
            "create",
            "--name",
            "x",
            "--owner",
            "ghost@example.com",
        ],
        None,
        "no account",
    );
    cli.ok(
        &[
            "user",
            "create",
            "--email",
            "bob@example.com",
            "--password-stdin",
        ],
        Some("pw\n"),
    );
    cli.ok(
        &[
            "member",
            "add",
            "--project",
            "ml",
            "--email",
            "bob@example.com",
            "--role",
            "viewer",
        ],
        None,
    );
    cli.ok(
        &[
            "member",
            "add",
            "--project",
            &project,
            "--email",
            "bob@example.com",
            "--role",
            "member",
        ],
        None,
    );
    cli.fails(
        &[
            "member",
            "add",
            "--project",
            "ml",
            "--email",
            "bob@example.com",
            "--role",
            "god",
        ],
        None,
        "invalid value",
    );
    cli.fails(
        &[
            "member",
            "add",
            "--project",
            "nope",
            "--email",
            "bob@example.com",
            "--role",
            "admin",
        ],
        None,
        "no project",
    );
    let mut conn = cli.database().conn().unwrap();
    let bob = mlp_console::db::accounts::find_by_email(&mut conn, "bob@example.com")
        .unwrap()
        .unwrap();
    let role = mlp_console::db::projects::member_role(&mut conn, &project, &bob.id).unwrap();
    assert_eq!(role, Some(mlp_console::domain::MemberRole::Member));
}

#[test]
fn token_create_prints_a_valid_value_once_and_stores_only_its_digest() {
    let cli = Cli::new();
    let project = cli.with_project();
    let value = cli.ok(
        &[
            "token",
            "create",
            "--project",
            "ml",
            "--name",
            "ci",
            "--role",
            "admin",
            "--expires-in",
            "30d",
        ],
        None,
    );
    assert_eq!(parse_kind(&value), Ok(SecretKind::Access));
    let mut conn = cli.database().conn().unwrap();
    let digest = mlp_console::domain::secret::digest_of(&value);
    let token = mlp_console::db::tokens::find_active_by_digest(&mut conn, &digest)
        .unwrap()
        .unwrap();
    assert_eq!(token.project_id, project);
    assert_eq!(token.role, mlp_console::domain::TokenRole::Admin);
    assert_eq!(token.issuer_name, "owner@example.com");
    let lifetime = token.expires_at.unwrap().ms_since(token.created_at);
    assert_eq!(lifetime, 30 * 86_400 * 1000);
    let stored = mlp_console::db::testing::stored_bytes(&cli.location);
    let hint = token.hint.as_bytes();
    assert!(
        stored.windows(hint.len()).any(|w| w == hint),
        "read the token's row (its hint is stored)"
    );
    drop(conn);
    let needle = value.as_bytes();
    assert!(
        !stored.windows(needle.len()).any(|w| w == needle),
        "the value must not be stored"
    );
}

#[test]
fn token_create_rejects_bad_input() {
    let cli = Cli::new();
    cli.with_project();
    cli.ok(
        &[
            "user",
            "create",
            "--email",
            "viewer@example.com",
            "--password-stdin",
        ],
        Some("pw\n"),
    );
    cli.ok(
        &[
            "member",
            "add",
            "--project",
            "ml",
            "--email",
            "viewer@example.com",
            "--role",
            "viewer",
        ],
        None,
    );
    cli.ok(
        &[
            "token",
            "create",
            "--project",
            "ml",
            "--name",
            "ci",
            "--role",
            "user",
        ],
        None,
    );
    let base = ["token", "create", "--project", "ml"];
    let cases: [(&[&str], &str); 9] = [
        (&["--name", "ci", "--role", "user"], "already named"),
        (&["--name", "me", "--role", "user"], "“me” is reserved"),
        (
            &["--name", "revoke-leaked", "--role", "user"],
            "“revoke-leaked” is reserved",
        ),
        (
            &["--name", "\u{200B}", "--role", "user"],
            "start and end with a visible character",
        ),
        (&["--name", "  ", "--role", "user"], "Enter a name"),
        (&["--name", "x", "--role", "root"], "invalid value"),
        (
            &["--name", "x", "--role", "user", "--expires-in", "30m2h"],
            "--expires-in",
        ),
        (
            &["--name", "x", "--role", "user", "--as", "ghost@example.com"],
            "no account",
        ),
        (
            &[
                "--name",
                "x",
                "--role",
                "user",
                "--as",
                "viewer@example.com",
            ],
            "may not create",
        ),
    ];
    for (extra, message) in cases {
        let args: Vec<&str> = base.iter().chain(extra.iter()).copied().collect();
        cli.fails(&args, None, message);
    }
    let long = "n".repeat(101);
    cli.fails(
        &[&base[..], &["--name", &long, "--role", "user"]].concat(),
        None,
        "at most 100",
    );
    cli.fails(
        &[
            "token",
            "create",
            "--project",
            "nope",
            "--name",
            "y",
            "--role",
            "user",
        ],
        None,
        "no project",
    );
}

/// The real binary serving on a free port, its stderr read until it says where it listens.
struct Server {
    child: std::process::Child,
    base: String,
}

impl Server {
    fn start(db: &str) -> Server {
        Self::start_with_log(db, true)
    }

    /// `keep_log`: go on reading the server's log; false closes the pipe once the port is known.
    fn start_with_log(db: &str, keep_log: bool) -> Server {
        use std::io::BufRead;
        let mut child = Command::new(env!("CARGO_BIN_EXE_mlp-console"))
            .env("MLP_DATABASE_URL", db)
            .env(
                "MLP_SECRET_KEY",
                "cli-test-secret-key-cli-test-secret-key-0123",
            )
            .env("MLP_BIND", "127.0.0.1:0")
            .env("MLP_BOOTSTRAP_PASSWORD", "bootstrap password")
            .env("MLP_LOG", "info")
            .env("NO_COLOR", "1")
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let mut lines = std::io::BufReader::new(child.stderr.take().unwrap()).lines();
        let port = lines
            .by_ref()
            .map_while(Result::ok)
            .find_map(|line| {
                let rest = line.split("port=").nth(1)?;
                rest.split(|c: char| !c.is_ascii_digit())
                    .next()
                    .map(str::to_owned)
            })
            .expect("the server logs its port");
        if keep_log {
            std::thread::spawn(move || lines.for_each(drop));
        }
        Server {
            child,
            base: format!("http://127.0.0.1:{port}"),
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[tokio::test]
async fn a_token_whose_creation_answered_success_survives_kill_9() {
    let cli = Cli::new();
    let mut server = Server::start(&cli.db);
    let admin = cli.ok(
        &[
            "token",
            "create",
            "--project",
            "default",
            "--name",
            "ci-admin",
            "--role",
            "admin",
        ],
        None,
    );
    let http = reqwest::Client::new();
    let registration: serde_json::Value = http
        .post(format!("{}/api/v1/register-tokens", server.base))
        .bearer_auth(&admin)
        .json(&serde_json::json!({"client_name": "survivor", "access_ttl": "1h", "token_type": "USER"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let exchange = http
        .post(format!("{}/api/v1/refresh-tokens", server.base))
        .json(&serde_json::json!({"register_token": registration["register_token"]}))
        .send()
        .await
        .unwrap();
    assert_eq!(exchange.status(), 201);
    let created: serde_json::Value = exchange.json().await.unwrap();
    let value = created["refresh_token"].as_str().unwrap().to_owned();

    // SIGKILL: no graceful shutdown, no flush.
    server.child.kill().unwrap();
    server.child.wait().unwrap();

    let server = Server::start(&cli.db);
    let me = http
        .get(format!("{}/api/v1/tokens/me", server.base))
        .bearer_auth(&value)
        .send()
        .await
        .unwrap();
    assert_eq!(
        me.status(),
        200,
        "the token made before kill -9 still works"
    );
    let me: serde_json::Value = me.json().await.unwrap();
    assert_eq!(me["name"], "survivor");
}

#[tokio::test]
async fn the_server_keeps_serving_when_its_log_pipe_is_closed() {
    let cli = Cli::new();
    let server = Server::start_with_log(&cli.db, false);
    let http = reqwest::Client::new();
    // Every request writes a log line into the closed pipe.
    for _ in 0..5 {
        let res = http.get(format!("{}/livez", server.base)).send().await;
        assert_eq!(res.map(|r| r.status().as_u16()).ok(), Some(200));
    }
}

//! The admin command line (SPEC §8): results alone on stdout, clear errors and a non-zero exit on bad input.

use mlp_console::domain::secret::{parse_kind, SecretKind};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

struct Cli {
    _dir: tempfile::TempDir,
    db: PathBuf,
}

impl Cli {
    fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("cli.db");
        Cli { _dir: dir, db }
    }

    fn run(&self, args: &[&str], stdin: Option<&str>) -> Output {
        let mut child = Command::new(env!("CARGO_BIN_EXE_mlp-console"))
            .args(args)
            .env(
                "MLP_DATABASE_URL",
                format!("sqlite://{}", self.db.display()),
            )
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

    fn pool(&self) -> mlp_console::db::Pool {
        mlp_console::db::pool::open(Path::new(&self.db), 1).unwrap()
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
    let mut conn = cli.pool().get().unwrap();
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
    let mut conn = cli.pool().get().unwrap();
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
    let mut conn = cli.pool().get().unwrap();
    let digest = mlp_console::domain::secret::digest_of(&value);
    let token = mlp_console::db::tokens::find_active_by_digest(&mut conn, &digest)
        .unwrap()
        .unwrap();
    assert_eq!(token.project_id, project);
    assert_eq!(token.role, "ADMIN");
    assert_eq!(token.issuer_name, "owner@example.com");
    let lifetime = token.expires_at.unwrap() - token.created_at;
    assert_eq!(lifetime, 30 * 86_400 * 1000);
    drop(conn);
    let bytes = std::fs::read(&cli.db).unwrap();
    let wal = std::fs::read(cli.db.with_extension("db-wal")).unwrap_or_default();
    let needle = value.as_bytes();
    for file in [&bytes, &wal] {
        assert!(
            !file.windows(needle.len()).any(|w| w == needle),
            "the value must not be stored"
        );
    }
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
    let cases: [(&[&str], &str); 6] = [
        (&["--name", "ci", "--role", "user"], "already named"),
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

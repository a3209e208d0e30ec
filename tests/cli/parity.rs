//! SPEC §13: every token, project, member and user command of the command line against a real database,
//! in each output format, its JSON and YAML parsed as a script would, its writes audited.

use crate::Cli;
use diesel::prelude::*;
use mlp_console::db::schema::audit_events;
use mlp_console::domain::secret::{digest_of, parse_kind, SecretKind};
use serde_json::Value;

impl Cli {
    /// A successful command's whole stdout and its stderr.
    fn out(&self, args: &[&str], stdin: Option<&str>) -> (String, String) {
        let out = self.run(args, stdin);
        let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
        assert!(out.status.success(), "{args:?} failed: {stderr}");
        (String::from_utf8(out.stdout).unwrap(), stderr)
    }

    /// The command's stdout parsed as JSON (`-o json` appended).
    fn json(&self, args: &[&str]) -> Value {
        let args = [args, &["-o", "json"]].concat();
        let (stdout, _) = self.out(&args, None);
        serde_json::from_str(&stdout).unwrap_or_else(|e| panic!("{args:?}: {e}: {stdout}"))
    }

    /// The command's stdout parsed as YAML (`-o yaml` appended), as the same JSON value.
    fn yaml(&self, args: &[&str]) -> Value {
        let args = [args, &["-o", "yaml"]].concat();
        let (stdout, _) = self.out(&args, None);
        serde_norway::from_str(&stdout).unwrap_or_else(|e| panic!("{args:?}: {e}: {stdout}"))
    }

    fn table(&self, args: &[&str]) -> String {
        self.out(args, None).0
    }

    fn user(&self, email: &str) {
        self.ok(
            &["user", "create", "--email", email, "--password-stdin"],
            Some("a first password\n"),
        );
    }

    fn member(&self, email: &str, role: &str) {
        self.user(email);
        self.ok(
            &[
                "member",
                "add",
                "--project",
                "ml",
                "--email",
                email,
                "--role",
                role,
            ],
            None,
        );
    }

    /// (event, actor) of each audit event, oldest first.
    fn audit(&self) -> Vec<(String, String)> {
        let mut conn = self.database().conn().unwrap();
        audit_events::table
            .order(audit_events::id.asc())
            .select((audit_events::event, audit_events::actor))
            .load(&mut conn)
            .unwrap()
    }

    fn works(&self, value: &str) -> bool {
        let mut conn = self.database().conn().unwrap();
        mlp_console::db::tokens::find_active_by_digest(&mut conn, &digest_of(value))
            .unwrap()
            .is_some()
    }
}

fn text(value: &Value, key: &str) -> String {
    value[key]
        .as_str()
        .unwrap_or_else(|| panic!("{key} in {value}"))
        .to_owned()
}

const SELECTOR: &str = "example.com/model=base";

#[test]
fn token_create_list_describe_edit_renew_delete_in_every_format() {
    let cli = Cli::new();
    let project = cli.with_project();
    let create = |name: &str, more: &[&str]| -> Vec<String> {
        [
            &["token", "create", "--project", "ml", "--name", name][..],
            more,
        ]
        .concat()
        .into_iter()
        .map(str::to_owned)
        .collect()
    };
    let args = create(
        "scoped",
        &[
            "--role",
            "admin",
            "--description",
            "nightly training",
            "--label-selector",
            SELECTOR,
            "--expires-in",
            "30d",
        ],
    );
    let scoped = cli.json(&args.iter().map(String::as_str).collect::<Vec<_>>());
    let scoped_value = text(&scoped, "refresh_token");
    assert_eq!(parse_kind(&scoped_value), Ok(SecretKind::Access));
    assert!(cli.works(&scoped_value));
    assert_eq!(scoped["name"], "scoped");
    assert_eq!(scoped["type"], "ADMIN");
    assert_eq!(scoped["label_selector"], SELECTOR);
    assert_eq!(scoped["description"], "nightly training");
    assert_eq!(scoped["project_id"], project.as_str());
    assert_eq!(scoped["issuer_name"], "owner@example.com");
    assert!(scoped["exp"].is_string() && scoped["last_used_at"].is_null());
    let scoped_id = text(&scoped, "id");

    let args = create("plain", &["--role", "user"]);
    let plain = cli.yaml(&args.iter().map(String::as_str).collect::<Vec<_>>());
    let plain_value = text(&plain, "refresh_token");
    assert!(cli.works(&plain_value));
    assert!(plain["label_selector"].is_null() && plain["description"].is_null());
    assert_eq!(plain["type"], "USER");
    let plain_id = text(&plain, "id");

    // list: the API's field names, newest first, never a value; YAML says the same as JSON.
    let listed = cli.json(&["token", "list", "--project", "ml"]);
    let rows = listed.as_array().unwrap();
    assert_eq!(
        rows.iter().map(|r| text(r, "name")).collect::<Vec<_>>(),
        ["plain", "scoped"]
    );
    assert_eq!(rows[1]["label_selector"], SELECTOR);
    assert!(rows[0]["label_selector"].is_null());
    for row in rows {
        for key in [
            "id",
            "name",
            "type",
            "issuer_name",
            "created_at",
            "exp",
            "last_used_at",
            "description",
            "label_selector",
        ] {
            assert!(row.get(key).is_some(), "{key} in {row}");
        }
        assert!(row.get("refresh_token").is_none());
    }
    assert_eq!(cli.yaml(&["token", "list", "--project", &project]), listed);
    let table = cli.table(&["token", "list", "--project", "ml"]);
    assert!(!table.contains(&scoped_value[6..]) && !table.contains(&plain_value[6..]));
    let lines: Vec<&str> = table.lines().collect();
    assert_eq!(lines.len(), 3, "{table}");
    assert!(lines[0].starts_with("ID") && lines[0].contains("LABEL SELECTOR"));
    assert!(lines[1].starts_with(&plain_id) && lines[1].contains("—"));
    assert!(lines[2].starts_with(&scoped_id) && lines[2].contains(SELECTOR));
    assert!(lines[2].contains("nightly training") && lines[2].contains("ADMIN"));

    // describe: several ids, every field, the hint but never more of the value.
    let described = cli.json(&["token", "describe", &scoped_id, &plain_id]);
    let described = described.as_array().unwrap();
    assert_eq!(described.len(), 2);
    assert_eq!(described[0]["label_selector"], SELECTOR);
    assert_eq!(text(&described[0], "hint"), scoped_value[..10]);
    assert!(described[1]["deleted_at"].is_null());
    let table = cli.table(&["token", "describe", &scoped_id]);
    assert!(
        table.contains(&format!("{}…", &scoped_value[..10])),
        "{table}"
    );
    assert!(!table.contains(&scoped_value[..11]), "{table}");
    assert!(table
        .lines()
        .any(|l| l.starts_with("LABEL SELECTOR") && l.ends_with(SELECTOR)));
    cli.fails(
        &["token", "describe", &scoped_id, "no-such-id"],
        None,
        "no token with id \"no-such-id\"",
    );

    // edit: the description only; empty removes it; the selector stays.
    let edited = cli.json(&["token", "edit", &plain_id, "--description", "for CI"]);
    assert_eq!(edited["description"], "for CI");
    let edited = cli.yaml(&["token", "edit", &plain_id, "--description", ""]);
    assert!(edited["description"].is_null());
    let long = "d".repeat(501);
    cli.fails(
        &["token", "edit", &plain_id, "--description", &long],
        None,
        "--description",
    );

    // renew: a new value once, the old one dead, the selector and description kept.
    let renewed = cli.json(&["token", "renew", &scoped_id]);
    let renewed_value = text(&renewed, "refresh_token");
    assert_ne!(renewed_value, scoped_value);
    assert!(cli.works(&renewed_value) && !cli.works(&scoped_value));
    assert_eq!(renewed["label_selector"], SELECTOR);
    assert_eq!(renewed["description"], "nightly training");
    let again = cli.ok(&["token", "renew", &scoped_id], None);
    assert_eq!(parse_kind(&again), Ok(SecretKind::Access));
    assert!(cli.works(&again) && !cli.works(&renewed_value));

    // A member may change only the tokens it created.
    cli.member("bob@example.com", "member");
    cli.fails(
        &["token", "delete", &plain_id, "--as", "bob@example.com"],
        None,
        "may not change",
    );
    assert!(cli.works(&plain_value));

    // delete and its alias revoke: nothing on stdout, the value dead, listed as deleted by the CLI.
    let (stdout, stderr) = cli.out(&["token", "delete", &plain_id], None);
    assert!(stdout.is_empty() && stderr.contains("Deleted token \"plain\""));
    let (stdout, _) = cli.out(&["token", "revoke", &scoped_id], None);
    assert!(stdout.is_empty());
    assert!(!cli.works(&plain_value) && !cli.works(&again));
    cli.fails(
        &["token", "delete", &plain_id],
        None,
        "a deleted token cannot change",
    );
    cli.fails(&["token", "renew", &plain_id], None, "was deleted");
    assert_eq!(
        cli.json(&["token", "list", "--project", "ml"]),
        Value::Array(vec![])
    );
    let deleted = cli.json(&["token", "list", "--project", "ml", "--deleted"]);
    let deleted = deleted.as_array().unwrap();
    assert_eq!(deleted.len(), 2);
    for row in deleted {
        assert_eq!(row["deleted_by"], "cli", "{row}");
        assert_eq!(row["deleted_via"], "cli", "{row}");
        assert!(row["deleted_at"].is_string());
    }
    let table = cli.table(&["token", "list", "--project", "ml", "--deleted"]);
    assert!(table.lines().next().unwrap().contains("DELETED BY"));
    assert!(table.contains(SELECTOR));

    let audit = cli.audit();
    for event in [
        "token.created",
        "token.description_changed",
        "token.renewed",
        "token.deleted",
    ] {
        assert!(
            audit.iter().any(|(e, actor)| e == event && actor == "cli"),
            "{event} audited as cli: {audit:?}"
        );
    }
    assert_eq!(
        audit.iter().filter(|(e, _)| e == "token.renewed").count(),
        2
    );
    let created: Vec<&str> = audit
        .iter()
        .filter(|(e, _)| e == "token.created")
        .map(|(_, actor)| actor.as_str())
        .collect();
    assert_eq!(created, ["cli", "cli"], "without --as: cli");
    assert_eq!(
        audit.iter().filter(|(e, _)| e == "token.deleted").count(),
        2
    );
}

#[test]
fn bad_selectors_and_unknown_ids_are_refused_and_change_nothing() {
    let cli = Cli::new();
    cli.with_project();
    let cases = [
        ("model", "must have the form NAME=VALUE"),
        ("=base", "1 to 63 characters"),
        ("-model=base", "must start and end with a letter or digit"),
        ("Example.COM/model=base", "DNS subdomain"),
        ("model=base!", "label value may hold only"),
        (
            &*format!("model={}", "v".repeat(64)),
            "at most 63 characters",
        ),
    ];
    for (selector, message) in cases {
        cli.fails(
            &[
                "token",
                "create",
                "--project",
                "ml",
                "--name",
                "x",
                "--role",
                "user",
                // `=`: a selector may start with "-", which clap would take for a flag.
                &format!("--label-selector={selector}"),
            ],
            None,
            message,
        );
    }
    assert_eq!(
        cli.json(&["token", "list", "--project", "ml"]),
        Value::Array(vec![])
    );
    for command in ["describe", "renew", "delete", "revoke"] {
        cli.fails(&["token", command, "nope"], None, "no token with id");
    }
    cli.fails(
        &["token", "edit", "nope", "--description", "x"],
        None,
        "no token with id",
    );
    cli.fails(
        &["token", "list", "--project", "elsewhere"],
        None,
        "no project",
    );
    cli.fails(
        &["token", "list", "--project", "ml", "-o", "xml"],
        None,
        "invalid value",
    );
    assert!(
        cli.audit().iter().all(|(e, _)| !e.starts_with("token.")),
        "nothing audited"
    );
}

#[test]
fn project_list_member_list_and_remove_user_set_password() {
    let cli = Cli::new();
    let project = cli.with_project();
    cli.member("bob@example.com", "admin");
    cli.ok(
        &[
            "token",
            "create",
            "--project",
            "ml",
            "--name",
            "bobs",
            "--role",
            "user",
            "--as",
            "bob@example.com",
        ],
        None,
    );

    let projects = cli.json(&["project", "list"]);
    let ml = projects
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == "ml")
        .expect("ml listed");
    assert_eq!(ml["id"], project.as_str());
    assert_eq!(ml["members"], 2);
    assert_eq!(ml["active_tokens"], 1);
    assert_eq!(cli.yaml(&["project", "list"]), projects);
    let table = cli.table(&["project", "list"]);
    assert!(table.lines().next().unwrap().contains("ACTIVE TOKENS"));
    assert!(table.lines().any(|l| l.starts_with(&project)));

    let members = cli.json(&["member", "list", "--project", "ml"]);
    let members = members.as_array().unwrap();
    assert_eq!(
        members.iter().map(|m| text(m, "email")).collect::<Vec<_>>(),
        ["owner@example.com", "bob@example.com"],
        "owners first"
    );
    assert_eq!(members[1]["role"], "admin");
    assert_eq!(members[1]["active_tokens"], 1);
    assert_eq!(
        cli.yaml(&["member", "list", "--project", &project]),
        Value::Array(members.clone())
    );
    assert!(cli
        .table(&["member", "list", "--project", "ml"])
        .lines()
        .any(|l| l.starts_with("bob@example.com") && l.contains("admin")));

    cli.fails(
        &[
            "member",
            "remove",
            "--project",
            "ml",
            "--email",
            "owner@example.com",
        ],
        None,
        "last owner",
    );
    let (stdout, stderr) = cli.out(
        &[
            "member",
            "remove",
            "--project",
            "ml",
            "--email",
            "bob@example.com",
        ],
        None,
    );
    assert!(stdout.is_empty() && stderr.contains("the tokens it created stay"));
    cli.fails(
        &[
            "member",
            "remove",
            "--project",
            "ml",
            "--email",
            "bob@example.com",
        ],
        None,
        "is not a member",
    );
    let members = cli.json(&["member", "list", "--project", "ml"]);
    assert_eq!(members.as_array().unwrap().len(), 1);
    let tokens = cli.json(&["token", "list", "--project", "ml"]);
    assert_eq!(
        tokens[0]["name"], "bobs",
        "the removed member's token stays"
    );

    // set-password: the console's rule, one line of stdin, every session ended.
    cli.fails(
        &[
            "user",
            "set-password",
            "--email",
            "bob@example.com",
            "--password-stdin",
        ],
        Some("too short\n"),
        "12",
    );
    cli.fails(
        &[
            "user",
            "set-password",
            "--email",
            "ghost@example.com",
            "--password-stdin",
        ],
        Some("a long enough password\n"),
        "no account",
    );
    let before = {
        let mut conn = cli.database().conn().unwrap();
        mlp_console::db::accounts::find_by_email(&mut conn, "bob@example.com")
            .unwrap()
            .unwrap()
    };
    let (stdout, _) = cli.out(
        &[
            "user",
            "set-password",
            "--email",
            "Bob@Example.com",
            "--password-stdin",
        ],
        Some("a long enough password\r\n"),
    );
    assert!(stdout.is_empty(), "no secret echoed: {stdout}");
    let mut conn = cli.database().conn().unwrap();
    let after = mlp_console::db::accounts::find_by_email(&mut conn, "bob@example.com")
        .unwrap()
        .unwrap();
    let typed = secrecy::SecretString::from("a long enough password".to_owned());
    assert!(mlp_console::auth::password::verify(
        &typed,
        Some(&after.password_hash)
    ));
    assert!(after.session_generation > before.session_generation);
    let audit = cli.audit();
    assert!(audit
        .iter()
        .any(|(e, actor)| e == "member.removed" && actor == "cli"));
    assert!(audit
        .iter()
        .any(|(e, actor)| e == "token.created" && actor == "bob@example.com"));
    assert!(audit
        .iter()
        .any(|(e, actor)| e == "account.password_changed" && actor == "cli"));
}

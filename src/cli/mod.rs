//! The command line: `serve` (default) and the admin commands of SPEC §8. Results go to stdout, everything else to stderr.

mod bench_seed;
pub mod output;
pub mod tokens;

use crate::clock::{SharedClock, SystemClock};
use crate::config::Settings;
use crate::db::Database;
use crate::domain::{Email, MemberRole, ProjectName, Timestamp};
use crate::error::AppError;
use crate::service::accounts::NewPassword;
use crate::service::{Accounts, Actor, Projects};
use anyhow::{anyhow, bail, Context};
use clap::{Parser, Subcommand};
use output::{Columns, Format};
use secrecy::SecretString;
use serde::Serialize;
use std::io::BufRead;
use std::process::ExitCode;
use std::sync::Arc;

#[derive(Debug, Parser)]
#[command(
    name = "mlp-console",
    version,
    about = "ML Platform → Tokens: console and API for project access tokens"
)]
pub struct Cli {
    #[command(flatten)]
    pub settings: Settings,
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Serve the console and the API (the default).
    Serve,
    /// Manage accounts.
    User {
        #[command(subcommand)]
        command: UserCommand,
    },
    /// Manage projects.
    Project {
        #[command(subcommand)]
        command: ProjectCommand,
    },
    /// Manage project members.
    Member {
        #[command(subcommand)]
        command: MemberCommand,
    },
    /// Manage access tokens.
    Token {
        #[command(subcommand)]
        command: TokenCommand,
    },
    /// Fill an empty database for scripts/bench (password on stdin); not for production databases.
    #[command(hide = true)]
    BenchSeed(bench_seed::BenchSeedArgs),
}

#[derive(Debug, Subcommand)]
pub enum UserCommand {
    /// Create an account; prints its id.
    Create {
        #[arg(long)]
        email: String,
        #[arg(long)]
        name: Option<String>,
        /// Read the password from one line of standard input.
        #[arg(long, required = true)]
        password_stdin: bool,
    },
    /// Set an account's password (12 to 128 characters) from standard input; ends its sessions.
    SetPassword {
        #[arg(long)]
        email: String,
        /// Read the password from one line of standard input.
        #[arg(long, required = true)]
        password_stdin: bool,
    },
}

#[derive(Debug, Subcommand)]
pub enum ProjectCommand {
    /// Create a project owned by an existing account; prints its id.
    Create {
        #[arg(long)]
        name: String,
        #[arg(long)]
        owner: String,
    },
    /// List every project with its numbers of members and active tokens.
    List {
        #[arg(short = 'o', long = "output", value_enum, default_value_t)]
        output: Format,
    },
}

#[derive(Debug, Subcommand)]
pub enum MemberCommand {
    /// Add an account to a project, or change its role.
    Add {
        /// Project id or name.
        #[arg(long)]
        project: String,
        #[arg(long)]
        email: String,
        #[arg(long, value_parser = ["owner", "admin", "member", "viewer"])]
        role: String,
    },
    /// List a project's members, owners first.
    List {
        /// Project id or name.
        #[arg(long)]
        project: String,
        #[arg(short = 'o', long = "output", value_enum, default_value_t)]
        output: Format,
    },
    /// Remove an account from a project; the tokens it created stay.
    Remove {
        /// Project id or name.
        #[arg(long)]
        project: String,
        #[arg(long)]
        email: String,
    },
}

#[derive(Debug, Subcommand)]
pub enum TokenCommand {
    /// Create an access token; prints its value, once.
    Create {
        /// Project id or name.
        #[arg(long)]
        project: String,
        #[arg(long)]
        name: String,
        #[arg(long, value_parser = ["user", "admin"])]
        role: String,
        /// Lifetime such as 30d or 12h; absent: never expires.
        #[arg(long)]
        expires_in: Option<String>,
        /// The member recorded as creator and issuer; default the project's first owner.
        #[arg(long = "as")]
        as_email: Option<String>,
        #[arg(long)]
        description: Option<String>,
        /// Fix the token to the jobs carrying this label, NAME=VALUE (it cannot change later).
        #[arg(long)]
        label_selector: Option<String>,
        /// table: the value alone; json/yaml: the value (`refresh_token`) with the token's fields.
        #[arg(short = 'o', long = "output", value_enum, default_value_t)]
        output: Format,
    },
    /// List a project's active tokens, newest first, or with --deleted its deleted ones.
    List {
        /// Project id or name.
        #[arg(long)]
        project: String,
        #[arg(long)]
        deleted: bool,
        #[arg(short = 'o', long = "output", value_enum, default_value_t)]
        output: Format,
    },
    /// Every field of one or more tokens (deleted ones too); never a value.
    Describe {
        #[arg(required = true, value_name = "ID")]
        ids: Vec<String>,
        #[arg(short = 'o', long = "output", value_enum, default_value_t)]
        output: Format,
    },
    /// Set a token's description (empty removes it); prints the token.
    Edit {
        #[arg(value_name = "ID")]
        id: String,
        #[arg(long, required = true)]
        description: String,
        /// Act as this member (with its rights); default the operator, `cli` in the audit log.
        #[arg(long = "as")]
        as_email: Option<String>,
        #[arg(short = 'o', long = "output", value_enum, default_value_t)]
        output: Format,
    },
    /// Give a token a new value, printed once; the old value stops working.
    Renew {
        #[arg(value_name = "ID")]
        id: String,
        #[arg(long = "as")]
        as_email: Option<String>,
        #[arg(short = 'o', long = "output", value_enum, default_value_t)]
        output: Format,
    },
    /// Delete a token: its value fails on its next use.
    #[command(visible_alias = "revoke")]
    Delete {
        #[arg(value_name = "ID")]
        id: String,
        #[arg(long = "as")]
        as_email: Option<String>,
    },
}

pub fn run(cli: Cli) -> ExitCode {
    crate::telemetry::init(&cli.settings.log);
    let result = match cli.command {
        None | Some(Command::Serve) => serve(cli.settings),
        Some(command) => admin(&cli.settings, command),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("error: {err:#}");
            ExitCode::FAILURE
        }
    }
}

fn serve(settings: Settings) -> anyhow::Result<()> {
    crate::allocator::tune();
    actix_web::rt::System::new().block_on(async move {
        let app = crate::startup::Application::build(settings).await?;
        app.run_until_stopped().await?;
        Ok(())
    })
}

fn admin(settings: &Settings, command: Command) -> anyhow::Result<()> {
    let db = Database::open(&settings.location(), 2)?;
    let out = match command {
        Command::Serve => unreachable!("handled by run"),
        Command::BenchSeed(args) => Some(bench_seed::run(&db, &args)?),
        Command::User { command } => user(&db, command)?,
        Command::Project { command } => project(&db, command)?,
        Command::Member { command } => member(&db, command)?,
        Command::Token { command } => token(&db, command)?,
    };
    if let Some(out) = out.filter(|out| !out.is_empty()) {
        println!("{out}");
    }
    Ok(())
}

fn user(db: &Database, command: UserCommand) -> anyhow::Result<Option<String>> {
    match command {
        UserCommand::Create { email, name, .. } => {
            let password = read_password()?;
            create_user(db, &email, name.as_deref(), &password).map(Some)
        }
        UserCommand::SetPassword { email, .. } => {
            let password = read_password()?;
            set_password(db, &email, password)?;
            Ok(None)
        }
    }
}

fn project(db: &Database, command: ProjectCommand) -> anyhow::Result<Option<String>> {
    match command {
        ProjectCommand::Create { name, owner } => create_project(db, &name, &owner).map(Some),
        ProjectCommand::List { output } => list_projects(db, output).map(Some),
    }
}

fn member(db: &Database, command: MemberCommand) -> anyhow::Result<Option<String>> {
    match command {
        MemberCommand::Add {
            project,
            email,
            role,
        } => add_member(db, &project, &email, &role).map(Some),
        MemberCommand::List { project, output } => list_members(db, &project, output).map(Some),
        MemberCommand::Remove { project, email } => {
            remove_member(db, &project, &email)?;
            Ok(None)
        }
    }
}

fn token(db: &Database, command: TokenCommand) -> anyhow::Result<Option<String>> {
    Ok(match command {
        TokenCommand::Create {
            project,
            name,
            role,
            expires_in,
            as_email,
            description,
            label_selector,
            output,
        } => Some(tokens::create(
            db,
            &tokens::CreateArgs {
                project: &project,
                name: &name,
                role: &role,
                expires_in: expires_in.as_deref(),
                as_email: as_email.as_deref(),
                description: description.as_deref(),
                label_selector: label_selector.as_deref(),
                format: output,
            },
        )?),
        TokenCommand::List {
            project,
            deleted,
            output,
        } => Some(tokens::list(db, &project, deleted, output)?),
        TokenCommand::Describe { ids, output } => Some(tokens::describe(db, &ids, output)?),
        TokenCommand::Edit {
            id,
            description,
            as_email,
            output,
        } => Some(tokens::edit(
            db,
            &id,
            &description,
            as_email.as_deref(),
            output,
        )?),
        TokenCommand::Renew {
            id,
            as_email,
            output,
        } => Some(tokens::renew(db, &id, as_email.as_deref(), output)?),
        TokenCommand::Delete { id, as_email } => {
            tokens::delete(db, &id, as_email.as_deref())?;
            None
        }
    })
}

pub(crate) fn clock() -> SharedClock {
    Arc::new(SystemClock)
}

/// One line of standard input, without its line ending.
fn read_password() -> anyhow::Result<SecretString> {
    let mut line = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut line)
        .context("failed to read the password from standard input")?;
    let password = line.strip_suffix('\n').unwrap_or(&line);
    let password = password.strip_suffix('\r').unwrap_or(password);
    if password.is_empty() {
        bail!("the password read from standard input is empty");
    }
    Ok(SecretString::from(password.to_owned()))
}

pub fn create_user(
    db: &Database,
    email: &str,
    name: Option<&str>,
    password: &SecretString,
) -> anyhow::Result<String> {
    let email = Email::parse(email).map_err(|e| anyhow!("--email: {e}"))?;
    let accounts = Accounts::open(db.clone(), clock())?;
    accounts
        .create_user(&email, name, password)
        .map_err(|e| match e {
            AppError::Conflict { .. } => anyhow!("an account with email {email} already exists"),
            other => anyhow!(other),
        })
}

/// The account with `email`, for a flag's message when there is none.
pub(crate) fn find_account(
    projects: &Projects,
    email: &str,
) -> anyhow::Result<crate::db::accounts::Account> {
    let email = Email::parse(email).map_err(|e| anyhow!("{e}"))?;
    projects.account(&email).map_err(|e| match e {
        AppError::NotFound => anyhow!("no account with email {email}"),
        other => anyhow!(other),
    })
}

pub(crate) fn find_project(
    projects: &Projects,
    key: &str,
) -> anyhow::Result<crate::db::projects::Project> {
    projects.find(key).map_err(|e| match e {
        AppError::NotFound => anyhow!("no project with id or name {key:?}"),
        other => anyhow!(other),
    })
}

pub fn create_project(db: &Database, name: &str, owner: &str) -> anyhow::Result<String> {
    let name = ProjectName::parse(name).map_err(|e| anyhow!("--name: {e}"))?;
    let projects = Projects::new(db.clone(), clock());
    let owner = find_account(&projects, owner).context("--owner")?;
    let owner = Email::parse(&owner.email).map_err(|e| anyhow!("{e}"))?;
    projects
        .create(&name, &owner, &Actor::operator())
        .map_err(|e| match e {
            AppError::Conflict { .. } => {
                anyhow!("a project named {:?} already exists", name.as_str())
            }
            other => anyhow!(other),
        })
}

pub fn add_member(db: &Database, project: &str, email: &str, role: &str) -> anyhow::Result<String> {
    let role: MemberRole = role.parse().map_err(|e| anyhow!("--role: {e}"))?;
    let projects = Projects::new(db.clone(), clock());
    let project = find_project(&projects, project)?;
    let account = find_account(&projects, email).context("--email")?;
    let email = Email::parse(&account.email).map_err(|e| anyhow!("{e}"))?;
    let (project, account) = projects
        .add_member(&project.id, &email, role, &Actor::operator())
        .map_err(|e| match e {
            AppError::LastOwner => anyhow!(
                "{} is the last owner of project {}; add another owner first",
                email,
                project.name
            ),
            other => anyhow!(other),
        })?;
    Ok(format!(
        "{} is now {} of project {}",
        account.email, role, project.name
    ))
}

/// `token create` without a label selector, printing the value (kept for the tests of SPEC §8's form).
pub fn create_token(
    db: &Database,
    project: &str,
    name: &str,
    role: &str,
    expires_in: Option<&str>,
    as_email: Option<&str>,
    description: Option<&str>,
) -> anyhow::Result<String> {
    tokens::create(
        db,
        &tokens::CreateArgs {
            project,
            name,
            role,
            expires_in,
            as_email,
            description,
            label_selector: None,
            format: Format::Table,
        },
    )
}

/// `user set-password`: the console's password rule, every session of the account ended.
pub fn set_password(db: &Database, email: &str, password: SecretString) -> anyhow::Result<()> {
    let email = Email::parse(email).map_err(|e| anyhow!("--email: {e}"))?;
    let new =
        NewPassword::parse(password.clone(), &password).map_err(|e| anyhow!("{}", e.message()))?;
    let accounts = Accounts::open(db.clone(), clock())?;
    accounts
        .set_password(&email, new, "cli")
        .map_err(|e| match e {
            AppError::NotFound => anyhow!("--email: no account with email {email}"),
            other => anyhow!(other),
        })?;
    eprintln!("Changed the password of {email}; its sessions have ended.");
    Ok(())
}

fn rfc3339<S: serde::Serializer>(at: &Timestamp, serializer: S) -> Result<S::Ok, S::Error> {
    serializer.serialize_str(&at.rfc3339())
}

/// A project as `project list` prints it.
#[derive(Serialize)]
struct ProjectView {
    id: String,
    name: String,
    #[serde(serialize_with = "rfc3339")]
    created_at: Timestamp,
    members: i64,
    active_tokens: i64,
}

impl Columns for ProjectView {
    const HEADER: &'static [&'static str] = &["ID", "NAME", "CREATED", "MEMBERS", "ACTIVE TOKENS"];
    fn row(&self) -> Vec<String> {
        vec![
            self.id.clone(),
            self.name.clone(),
            output::when(Some(self.created_at), "—"),
            self.members.to_string(),
            self.active_tokens.to_string(),
        ]
    }
}

pub fn list_projects(db: &Database, format: Format) -> anyhow::Result<String> {
    let projects = Projects::new(db.clone(), clock());
    let rows: Vec<ProjectView> = projects
        .all()?
        .into_iter()
        .map(|(project, members, active_tokens)| ProjectView {
            id: project.id,
            name: project.name,
            created_at: project.created_at,
            members,
            active_tokens,
        })
        .collect();
    output::list(format, &rows)
}

/// A member as `member list` prints it.
#[derive(Serialize)]
struct MemberView {
    account_id: String,
    email: String,
    name: String,
    role: &'static str,
    #[serde(serialize_with = "rfc3339")]
    added_at: Timestamp,
    /// Active tokens of the project this member created.
    active_tokens: i64,
}

impl Columns for MemberView {
    const HEADER: &'static [&'static str] = &["EMAIL", "NAME", "ROLE", "ADDED", "ACTIVE TOKENS"];
    fn row(&self) -> Vec<String> {
        vec![
            self.email.clone(),
            self.name.clone(),
            self.role.to_owned(),
            output::when(Some(self.added_at), "—"),
            self.active_tokens.to_string(),
        ]
    }
}

pub fn list_members(db: &Database, project: &str, format: Format) -> anyhow::Result<String> {
    let projects = Projects::new(db.clone(), clock());
    let project = find_project(&projects, project)?;
    let rows: Vec<MemberView> = projects
        .members(&project.id)?
        .into_iter()
        .map(|member| MemberView {
            account_id: member.row.account_id,
            email: member.row.email,
            name: member.row.display_name,
            role: member.row.role.as_str(),
            added_at: member.row.added_at,
            active_tokens: member.active_tokens,
        })
        .collect();
    output::list(format, &rows)
}

pub fn remove_member(db: &Database, project: &str, email: &str) -> anyhow::Result<()> {
    let projects = Projects::new(db.clone(), clock());
    let project = find_project(&projects, project)?;
    let account = find_account(&projects, email).context("--email")?;
    projects
        .remove_member(&project.id, &account.id, &Actor::operator())
        .map_err(|e| match e {
            AppError::NotFound => anyhow!(
                "--email: {} is not a member of project {}",
                account.email,
                project.name
            ),
            AppError::LastOwner => anyhow!(
                "{} is the last owner of project {}; add another owner first",
                account.email,
                project.name
            ),
            other => anyhow!(other),
        })?;
    eprintln!(
        "Removed {} from project {}; the tokens it created stay.",
        account.email, project.name
    );
    Ok(())
}

//! The command line: `serve` (default) and the admin commands of SPEC §8. Results go to stdout, everything else to stderr.

mod bench_seed;

use crate::clock::{SharedClock, SystemClock};
use crate::config::Settings;
use crate::db::Database;
use crate::domain::{
    Authority, Description, Email, MemberRole, ProjectName, TokenName, TokenRole, Ttl,
};
use crate::error::AppError;
use crate::service::{Accounts, Actor, NewTokenSpec, Projects, TokenStore};
use anyhow::{anyhow, bail, Context};
use clap::{Parser, Subcommand};
use secrecy::SecretString;
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
    crate::startup::tune_allocator();
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
        Command::BenchSeed(args) => bench_seed::run(&db, &args)?,
        Command::User {
            command: UserCommand::Create { email, name, .. },
        } => {
            let password = read_password()?;
            create_user(&db, &email, name.as_deref(), &password)?
        }
        Command::Project {
            command: ProjectCommand::Create { name, owner },
        } => create_project(&db, &name, &owner)?,
        Command::Member {
            command:
                MemberCommand::Add {
                    project,
                    email,
                    role,
                },
        } => add_member(&db, &project, &email, &role)?,
        Command::Token {
            command:
                TokenCommand::Create {
                    project,
                    name,
                    role,
                    expires_in,
                    as_email,
                    description,
                },
        } => create_token(
            &db,
            &project,
            &name,
            &role,
            expires_in.as_deref(),
            as_email.as_deref(),
            description.as_deref(),
        )?,
    };
    println!("{out}");
    Ok(())
}

fn clock() -> SharedClock {
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
fn find_account(projects: &Projects, email: &str) -> anyhow::Result<crate::db::accounts::Account> {
    let email = Email::parse(email).map_err(|e| anyhow!("{e}"))?;
    projects.account(&email).map_err(|e| match e {
        AppError::NotFound => anyhow!("no account with email {email}"),
        other => anyhow!(other),
    })
}

fn find_project(projects: &Projects, key: &str) -> anyhow::Result<crate::db::projects::Project> {
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

pub fn create_token(
    db: &Database,
    project: &str,
    name: &str,
    role: &str,
    expires_in: Option<&str>,
    as_email: Option<&str>,
    description: Option<&str>,
) -> anyhow::Result<String> {
    let role: TokenRole = role.parse().map_err(|e| anyhow!("--role: {e}"))?;
    let name = TokenName::parse(name).map_err(|e| anyhow!("--name: {e}"))?;
    let description =
        Description::parse(description.unwrap_or("")).map_err(|e| anyhow!("--description: {e}"))?;
    let lifetime = expires_in
        .map(|s| {
            Ttl::parse(s, crate::domain::duration::MAX_REFRESH_TTL)
                .map_err(|e| anyhow!("--expires-in {e}"))
        })
        .transpose()?;
    let projects = Projects::new(db.clone(), clock());
    let project = find_project(&projects, project)?;
    let actor = match as_email {
        Some(email) => {
            let account = find_account(&projects, email).context("--as")?;
            let member = projects.role_of(&project.id, &account)?.ok_or_else(|| {
                anyhow!(
                    "--as: {} is not a member of project {}",
                    account.email,
                    project.name
                )
            })?;
            Actor::member(&account.id, &account.email, member, None)
        }
        None => projects
            .first_owner(&project.id)?
            .ok_or_else(|| anyhow!("project {} has no owner; pass --as", project.name))?,
    };
    if !actor.authority.may_create(role) {
        let Authority::Member(member) = actor.authority else {
            unreachable!("the command line acts as a member")
        };
        bail!(
            "--as: a {member} of the project may not create {} token",
            match role {
                TokenRole::User => "a User",
                TokenRole::Admin => "an Administrator",
            }
        );
    }
    let spec = NewTokenSpec {
        project_id: project.id.clone(),
        name,
        role,
        description,
        lifetime,
    };
    let tokens = TokenStore::new(db.clone(), clock());
    let (secret, _) = tokens.create(&spec, &actor).map_err(|e| match e {
        AppError::Conflict { .. } => anyhow!(
            "--name: an active token of this project is already named {:?}",
            spec.name.as_str()
        ),
        other => anyhow!(other),
    })?;
    Ok(secret.expose().to_owned())
}

//! The command line: `serve` (default) and the admin commands of SPEC §8. Results go to stdout, everything else to stderr.

mod bench_seed;

use crate::clock::{Clock, SystemClock};
use crate::config::Settings;
use crate::db::{self, Pool};
use crate::domain::{Description, Email, MemberRole, TokenName, TokenRole, Ttl};
use crate::error::AppError;
use crate::service::{self, Actor, NewTokenSpec};
use anyhow::{anyhow, bail, Context};
use clap::{Parser, Subcommand};
use secrecy::SecretString;
use std::io::BufRead;
use std::process::ExitCode;

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
    let pool = db::pool::open(&settings.database_path(), 2)?;
    let out = match command {
        Command::Serve => unreachable!("handled by run"),
        Command::BenchSeed(args) => bench_seed::run(&pool, &args)?,
        Command::User {
            command: UserCommand::Create { email, name, .. },
        } => {
            let password = read_password()?;
            create_user(&pool, &email, name.as_deref(), &password)?
        }
        Command::Project {
            command: ProjectCommand::Create { name, owner },
        } => create_project(&pool, &name, &owner)?,
        Command::Member {
            command:
                MemberCommand::Add {
                    project,
                    email,
                    role,
                },
        } => add_member(&pool, &project, &email, &role)?,
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
            &pool,
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
    pool: &Pool,
    email: &str,
    name: Option<&str>,
    password: &SecretString,
) -> anyhow::Result<String> {
    let email = Email::parse(email).map_err(|e| anyhow!("--email: {e}"))?;
    let display_name = name
        .map(str::trim)
        .filter(|n| !n.is_empty())
        .unwrap_or(email.as_str());
    let hash = crate::auth::password::hash(password)?;
    let id = uuid::Uuid::new_v4().to_string();
    let mut conn = pool.get()?;
    db::accounts::insert(
        &mut conn,
        &db::accounts::NewAccount {
            id: &id,
            email: email.as_str(),
            display_name,
            password_hash: &hash,
            created_at: SystemClock.now_ms(),
        },
    )
    .map_err(|e| match crate::error::is_unique_violation(&e) {
        true => anyhow!("an account with email {email} already exists"),
        false => e.into(),
    })?;
    Ok(id)
}

fn find_account(
    conn: &mut diesel::SqliteConnection,
    email: &str,
) -> anyhow::Result<db::accounts::Account> {
    let email = Email::parse(email).map_err(|e| anyhow!("{e}"))?;
    db::accounts::find_by_email(conn, email.as_str())?
        .ok_or_else(|| anyhow!("no account with email {email}"))
}

fn find_project(
    conn: &mut diesel::SqliteConnection,
    key: &str,
) -> anyhow::Result<db::projects::Project> {
    db::projects::find_by_id_or_name(conn, key)?
        .ok_or_else(|| anyhow!("no project with id or name {key:?}"))
}

pub fn create_project(pool: &Pool, name: &str, owner: &str) -> anyhow::Result<String> {
    let name = name.trim();
    if name.is_empty() || name.chars().count() > 100 || name.chars().any(char::is_control) {
        bail!("--name: a project name is 1 to 100 characters with no control characters");
    }
    let mut conn = pool.get()?;
    let owner = find_account(&mut conn, owner).context("--owner")?;
    let id = uuid::Uuid::new_v4().to_string();
    let now = SystemClock.now_ms();
    conn.immediate_transaction(|conn| -> anyhow::Result<()> {
        db::projects::insert(conn, &id, name, now).map_err(|e| {
            match crate::error::is_unique_violation(&e) {
                true => anyhow!("a project named {name:?} already exists"),
                false => e.into(),
            }
        })?;
        db::projects::upsert_member(conn, &id, &owner.id, MemberRole::Owner, now)?;
        Ok(())
    })?;
    Ok(id)
}

pub fn add_member(pool: &Pool, project: &str, email: &str, role: &str) -> anyhow::Result<String> {
    let role: MemberRole = role.parse().map_err(|e| anyhow!("--role: {e}"))?;
    let mut conn = pool.get()?;
    let project = find_project(&mut conn, project)?;
    let account = find_account(&mut conn, email).context("--email")?;
    db::projects::upsert_member(
        &mut conn,
        &project.id,
        &account.id,
        role,
        SystemClock.now_ms(),
    )?;
    Ok(format!(
        "{} is now {} of project {}",
        account.email, role, project.name
    ))
}

pub fn create_token(
    pool: &Pool,
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
    let mut conn = pool.get()?;
    let project = find_project(&mut conn, project)?;
    let (account_id, email) = match as_email {
        Some(email) => {
            let account = find_account(&mut conn, email).context("--as")?;
            let member = db::projects::member_role(&mut conn, &project.id, &account.id)?
                .ok_or_else(|| {
                    anyhow!(
                        "--as: {} is not a member of project {}",
                        account.email,
                        project.name
                    )
                })?;
            if !member.can_create(role) {
                bail!(
                    "--as: a {member} of the project may not create {} token",
                    match role {
                        TokenRole::User => "a User",
                        TokenRole::Admin => "an Administrator",
                    }
                );
            }
            (account.id, account.email)
        }
        None => db::projects::first_owner(&mut conn, &project.id)?
            .ok_or_else(|| anyhow!("project {} has no owner; pass --as", project.name))?,
    };
    let spec = NewTokenSpec {
        project_id: project.id.clone(),
        name,
        role,
        description,
        lifetime_secs: lifetime.map(|t| t.as_secs() as i64),
    };
    let actor = Actor {
        account_id: Some(account_id),
        name: email.clone(),
        issuer_email: email,
        client_ip: None,
    };
    let (secret, _) = service::create_token(&mut conn, SystemClock.now_ms(), &spec, &actor)
        .map_err(|e| match e {
            AppError::Conflict { .. } => anyhow!(
                "--name: an active token of this project is already named {:?}",
                spec.name.as_str()
            ),
            other => anyhow!(other),
        })?;
    Ok(secret.expose().to_owned())
}

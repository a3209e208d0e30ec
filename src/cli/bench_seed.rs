//! `mlp-console bench-seed` (hidden): fills a fresh database for `scripts/bench` through the app's own code.
//!
//! Layout of the seeded data:
//! - account `bench@example.com` (password: one line of stdin), owner of every project;
//! - project `big` with `--big` tokens and project `small` with `--small` tokens (the Tokens page figure),
//!   and project `fifty` with `--fifty` tokens (one full page: shows what the page costs beyond its rows);
//! - project `writes` with one ADMIN token (registrations, and the count after the write figure);
//! - project `bulk` with the rest, up to `--tokens` tokens in the whole database (the verification figure).
//!
//! Writes into `--out`: `tokens.txt` (the values of `--sample` bulk tokens, for the load generator),
//! `admin.txt` (the `writes` ADMIN token) and `ids.env` (project ids as shell assignments). These are
//! throwaway secrets of a throwaway database, written only where the caller asked; nothing is logged.

use crate::db::{self, Database};
use crate::domain::{Authority, Description, MemberRole, Timestamp, TokenName, TokenRole, Ttl};
use crate::error::AppError;
use crate::service::{self, Actor, NewTokenSpec};
use anyhow::{bail, Context};
use std::io::Write;
use std::path::PathBuf;
use std::time::Instant;

/// Tokens per transaction: large enough that commits cost nothing, small enough to keep the WAL modest.
const BATCH: usize = 10_000;
const EMAIL: &str = "bench@example.com";

#[derive(Debug, clap::Args)]
pub struct BenchSeedArgs {
    /// Directory for tokens.txt, admin.txt and ids.env.
    #[arg(long)]
    out: PathBuf,
    /// Tokens in the whole database.
    #[arg(long, default_value_t = 100_000)]
    tokens: usize,
    /// Tokens of project `big`.
    #[arg(long, default_value_t = 10_000)]
    big: usize,
    /// Tokens of project `small`.
    #[arg(long, default_value_t = 10)]
    small: usize,
    /// Tokens of project `fifty`.
    #[arg(long, default_value_t = 50)]
    fifty: usize,
    /// How many bulk token values to write to tokens.txt.
    #[arg(long, default_value_t = 1_000)]
    sample: usize,
}

/// Seeds an empty database; returns a one-line summary.
pub fn run(db: &Database, args: &BenchSeedArgs) -> anyhow::Result<String> {
    let bulk = args
        .tokens
        .checked_sub(args.big + args.small + args.fifty + 1)
        .context("--tokens must exceed --big + --small + --fifty + 1")?;
    if bulk < args.sample {
        bail!("the bulk project ({bulk} tokens) is smaller than --sample");
    }
    if db::accounts::count(&mut *db.conn()?)? > 0 {
        bail!("bench-seed fills an empty database only");
    }
    let started = Instant::now();
    let password = super::read_password()?;
    let account_id = super::create_user(db, EMAIL, Some("Bench"), &password)?;
    let actor = Actor::member(&account_id, EMAIL, MemberRole::Owner, None);
    debug_assert_eq!(actor.authority, Authority::Member(MemberRole::Owner));
    let ninety_days = Ttl::from_secs(90 * 86_400);

    let mut ids = String::new();
    let mut sample = Vec::with_capacity(args.sample);
    let mut admin = None;
    for (project, count) in [
        ("big", args.big),
        ("small", args.small),
        ("fifty", args.fifty),
        ("writes", 1),
        ("bulk", bulk),
    ] {
        let id = super::create_project(db, project, EMAIL)?;
        ids.push_str(&format!("{}_ID={id}\n", project.to_uppercase()));
        let role = if project == "writes" {
            TokenRole::Admin
        } else {
            TokenRole::User
        };
        // Distinct creation times a second apart, in the past, as a real project's history has.
        let base = chrono::Utc::now().timestamp_millis() - count as i64 * 1000;
        let mut made = 0;
        while made < count {
            let end = (made + BATCH).min(count);
            // One transaction a batch, through the same insert as every creation.
            db.write(|tx| -> Result<(), AppError> {
                for i in made..end {
                    let spec = NewTokenSpec {
                        label_selector: None,
                        project_id: id.clone(),
                        name: TokenName::parse(&format!("{project}-{i:06}"))
                            .map_err(|e| AppError::Internal(e.into()))?,
                        role,
                        description: Description::none(),
                        // Every other token expires, so verification answers both with and without
                        // the expiration header.
                        lifetime: ninety_days.filter(|_| i % 2 == 0),
                    };
                    let at = Timestamp::from_ms(base + i as i64 * 1000);
                    let (secret, _) = service::tokens::insert(tx, at, &spec, &actor)?;
                    if project == "writes" {
                        admin = Some(secret.expose().to_owned());
                    } else if project == "bulk" && sample.len() < args.sample {
                        sample.push(secret.expose().to_owned());
                    }
                }
                Ok(())
            })?;
            made = end;
        }
    }

    std::fs::create_dir_all(&args.out)?;
    let mut file = std::fs::File::create(args.out.join("tokens.txt"))?;
    for value in &sample {
        writeln!(file, "{value}")?;
    }
    std::fs::write(
        args.out.join("admin.txt"),
        admin.context("the admin token")? + "\n",
    )?;
    std::fs::write(args.out.join("ids.env"), ids)?;
    Ok(format!(
        "seeded {} tokens ({} big, {} small, {} fifty, 1 admin, {bulk} bulk) in {:.1} s",
        args.tokens,
        args.big,
        args.small,
        args.fifty,
        started.elapsed().as_secs_f64()
    ))
}

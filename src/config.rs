//! Settings from flags and environment variables (SPEC §8).

use anyhow::{bail, Context};
use std::path::{Path, PathBuf};

#[derive(Debug, Clone, clap::Args)]
pub struct Settings {
    /// Address to listen on.
    #[arg(
        long,
        global = true,
        env = "MLP_BIND",
        default_value = "127.0.0.1:8080"
    )]
    pub bind: String,
    /// SQLite database: a file path or sqlite://PATH.
    #[arg(
        long,
        global = true,
        env = "MLP_DATABASE_URL",
        default_value = "data/mlp-console.db"
    )]
    pub database_url: String,
    /// Session key (at least 32 bytes); absent: generated once and kept beside the database.
    #[arg(long, global = true, env = "MLP_SECRET_KEY", hide_env_values = true)]
    pub secret_key: Option<String>,
    /// Mark the session cookie Secure (serve over HTTPS): true/false, 1/0, yes/no, on/off.
    #[arg(long, global = true, env = "MLP_COOKIE_SECURE", default_value_t = false, action = clap::ArgAction::Set, num_args = 0..=1, default_missing_value = "true", value_parser = clap::builder::BoolishValueParser::new())]
    pub cookie_secure: bool,
    /// Stop gracefully on SIGINT/SIGTERM; off in tests, where Ctrl-C must stop the test binary, not the app.
    #[arg(skip = true)]
    pub handle_signals: bool,
    /// Log filter, e.g. `info` or `mlp_console=debug`.
    #[arg(long, global = true, env = "MLP_LOG", default_value = "info")]
    pub log: String,
}

impl Settings {
    /// Settings for a test: a given database file, a fixed key, any free port.
    pub fn for_tests(database_path: &Path) -> Self {
        Settings {
            bind: "127.0.0.1:0".into(),
            database_url: database_path.display().to_string(),
            secret_key: Some("test-secret-key-test-secret-key-test-secret-key-0123456789".into()),
            cookie_secure: false,
            handle_signals: false,
            log: "warn".into(),
        }
    }

    /// The database file path, with any `sqlite://` prefix removed.
    pub fn database_path(&self) -> PathBuf {
        let url = &self.database_url;
        let path = url
            .strip_prefix("sqlite://")
            .or_else(|| url.strip_prefix("sqlite:"))
            .unwrap_or(url);
        PathBuf::from(path)
    }

    /// The session key: from `MLP_SECRET_KEY`, or from `secret.key` beside the database (created once, mode 0600).
    pub fn session_key(&self) -> anyhow::Result<actix_web::cookie::Key> {
        use actix_web::cookie::Key;
        if let Some(secret) = &self.secret_key {
            if secret.len() < 32 {
                bail!("MLP_SECRET_KEY must be at least 32 bytes long");
            }
            return Ok(Key::derive_from(secret.as_bytes()));
        }
        let dir = self
            .database_path()
            .parent()
            .map(Path::to_path_buf)
            .unwrap_or_default();
        let path = dir.join("secret.key");
        if let Ok(bytes) = std::fs::read(&path) {
            if bytes.len() >= 64 {
                return Ok(Key::from(&bytes));
            }
            bail!(
                "{} is shorter than 64 bytes; delete it to generate a new one",
                path.display()
            );
        }
        if !dir.as_os_str().is_empty() {
            std::fs::create_dir_all(&dir)
                .with_context(|| format!("failed to create {}", dir.display()))?;
        }
        let mut bytes = [0u8; 64];
        getrandom::fill(&mut bytes).context("the OS random number generator failed")?;
        write_private(&path, &bytes)?;
        Ok(Key::from(&bytes))
    }
}

#[cfg(unix)]
fn write_private(path: &Path, bytes: &[u8]) -> anyhow::Result<()> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
        .with_context(|| format!("failed to create {}", path.display()))?;
    file.write_all(bytes)
        .with_context(|| format!("failed to write {}", path.display()))?;
    Ok(())
}

#[cfg(not(unix))]
fn write_private(path: &Path, bytes: &[u8]) -> anyhow::Result<()> {
    std::fs::write(path, bytes).with_context(|| format!("failed to write {}", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    #[derive(Parser)]
    struct Cli {
        #[command(flatten)]
        settings: Settings,
    }

    fn cookie_secure(args: &[&str]) -> Result<bool, clap::Error> {
        Cli::try_parse_from(std::iter::once("mlp-console").chain(args.iter().copied()))
            .map(|cli| cli.settings.cookie_secure)
    }

    #[test]
    fn cookie_secure_reads_the_usual_ways_of_saying_yes_and_no() {
        assert!(!cookie_secure(&[]).unwrap());
        assert!(cookie_secure(&["--cookie-secure"]).unwrap());
        for yes in ["true", "1", "yes", "on"] {
            assert!(cookie_secure(&["--cookie-secure", yes]).unwrap(), "{yes}");
        }
        for no in ["false", "0", "no", "off"] {
            assert!(!cookie_secure(&["--cookie-secure", no]).unwrap(), "{no}");
        }
        assert!(cookie_secure(&["--cookie-secure", "maybe"]).is_err());
    }
}

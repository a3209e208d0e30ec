//! Command line of mlp-console: serve (the default) or run an admin command.

use clap::Parser;
use mlp_console::cli::Cli;

fn main() -> std::process::ExitCode {
    mlp_console::cli::run(Cli::parse())
}

//! Structured logs on stderr, filtered by `MLP_LOG`.

use tracing_subscriber::EnvFilter;

pub fn init(filter: &str) {
    let filter = EnvFilter::try_new(filter).unwrap_or_else(|_| EnvFilter::new("info"));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        // A failed log write is reported with eprintln!, which panics when stderr is gone
        // (a closed pipe): the request would die with it. Losing a log line is the lesser harm.
        .log_internal_errors(false)
        .try_init();
}

//! Start-up shared by the two Lambda binaries (`logofill-report`, `logofill-worker`).
//!
//! - Settings are read once; a bad or missing value stops the process with exit status 2 and
//!   one line naming the variable, which Lambda shows as an init error.
//! - Logs are JSON lines for CloudWatch, at the configured level.
//! - The async runtime has one thread: a Lambda at 128 MB gets a fraction of one vCPU, so a
//!   second thread would only add memory and context switches.

use std::fmt::Display;

/// Settings or exit: prints `{binary}: configuration error: {err}` and exits with status 2.
pub fn settings_or_exit<S, E: Display>(binary: &str, settings: Result<S, E>) -> S {
    settings.unwrap_or_else(|err| {
        eprintln!("{binary}: configuration error: {err}");
        std::process::exit(2);
    })
}

/// JSON log lines on stdout at `level`, with the current span's fields (the request id).
pub fn init_json_logs(level: tracing::Level) {
    tracing_subscriber::fmt()
        .json()
        .with_max_level(level)
        .with_current_span(true)
        .with_span_list(false)
        .with_target(false)
        .with_ansi(false)
        .init();
}

/// The single-threaded runtime both Lambdas serve on.
pub fn runtime() -> std::io::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
}

/// Milliseconds since the Unix epoch, the `_aws.Timestamp` of an EMF line.
pub fn unix_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

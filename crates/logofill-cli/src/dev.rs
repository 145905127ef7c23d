//! `logofill dev`: the whole system on 127.0.0.1 with embedded defaults (what `make run` runs).
//! All the work is in the `logofill-dev` crate; this is flags in, a runtime, and Ctrl-C out.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use anyhow::Context;
use clap::Args;
use logofill_dev::DevOptions;

/// Run logofill on this machine: report endpoint, in-process queue with a dead-letter queue,
/// the worker, a folder as the bucket served like the CDN, a demo page and sample companies.
///
/// No AWS account, Docker or Python is needed. Ctrl-C stops it; the bucket folder is kept, so a
/// restart serves the logos already made.
#[derive(Debug, Args)]
pub struct DevArgs {
    /// Port on 127.0.0.1 (0 picks a free one and prints it).
    #[arg(long, default_value_t = 8080)]
    pub port: u16,

    /// Folder that plays the logo bucket (created if missing, kept across restarts).
    #[arg(long, value_name = "DIR", default_value = ".logofill-dev/bucket")]
    pub bucket_dir: PathBuf,

    /// Seconds a received message stays invisible; a failed one comes back after this.
    #[arg(long, value_name = "SECS", default_value_t = 10)]
    pub visibility_timeout: u64,

    /// Receives before a message moves to the dead-letter queue (SQS maxReceiveCount).
    #[arg(long, value_name = "N", default_value_t = 5)]
    pub max_receive_count: u32,

    /// Use this company directory (JSON Lines, one `{"id","name","homepage"?,"logo_url"?}` per
    /// line; `{origin}` in it becomes this server's origin) instead of the sample companies.
    #[arg(long, value_name = "FILE")]
    pub companies: Option<PathBuf>,

    /// Log level on standard error: error, warn, info, debug or trace.
    #[arg(long, value_name = "LEVEL", default_value = "info")]
    pub log_level: tracing::Level,
}

impl DevArgs {
    pub fn run(self) -> anyhow::Result<ExitCode> {
        // Colour only for a terminal: a log redirected to a file carries no escape codes.
        tracing_subscriber::fmt()
            .with_max_level(self.log_level)
            .with_writer(std::io::stderr)
            .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
            .with_target(false)
            .init();
        let companies = match &self.companies {
            Some(path) => Some(
                std::fs::read_to_string(path)
                    .with_context(|| format!("--companies {}", path.display()))?,
            ),
            None => None,
        };
        let options = DevOptions {
            companies,
            companies_name: self
                .companies
                .as_ref()
                .map_or_else(|| "sample companies".into(), |p| p.display().to_string()),
            addr: SocketAddr::from(([127, 0, 0, 1], self.port)),
            bucket_dir: self.bucket_dir,
            visibility_timeout: Duration::from_secs(self.visibility_timeout.max(1)),
            max_receive_count: self.max_receive_count.max(1),
            // Sample and `--companies` sites are rendered under the worker's budget too.
            render_helper: Some(
                logofill_render::HelperCommand::current_exe()
                    .context("finding the logofill binary to start render helpers")?,
            ),
            ..DevOptions::default()
        };
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .context("starting the async runtime")?;
        runtime.block_on(logofill_dev::run(options))?;
        Ok(ExitCode::SUCCESS)
    }
}

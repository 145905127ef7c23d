//! `logofill enqueue`: put company ids on the worker's queue with `origin: "backfill"`, for a
//! data-collection job that knows new companies before any page shows them.
//!
//! It goes through the report service's `enqueue`, so messages, batching (10 per call), the
//! one retry of failed entries and FIFO group/dedup ids are exactly those of the report Lambda.
//! Every id is validated before anything is sent: a bad list enqueues nothing.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{anyhow, bail, Context};
use clap::Args;
use logofill_aws::{sdk_config, AwsTimeouts, Sqs};
use logofill_core::{AllowedOrigins, CompanyId, Origin, ReportOptions, ReportService, SystemClock};
use serde_json::json;

use crate::terminal::{self, say, tell};

/// Enqueue company ids for the worker (origin "backfill"), in batches of 10.
///
/// AWS access comes from the SDK's standard chain (AWS_PROFILE, AWS_REGION, AWS_ENDPOINT_URL
/// for a local SQS server, ...). Repeated ids are sent once. Exit status: 0 all enqueued, 1 some
/// ids could not be enqueued (listed), 2 bad usage (nothing sent).
#[derive(Debug, Args)]
pub struct EnqueueArgs {
    /// URL of the worker's queue (`https://sqs.REGION.amazonaws.com/ACCOUNT/NAME[.fifo]`).
    #[arg(long, value_name = "URL")]
    pub queue: String,

    /// Read company ids from this file, one per line (blank lines and `#` comments skipped;
    /// `-` reads standard input).
    #[arg(long, value_name = "FILE", conflicts_with = "ids")]
    pub ids_file: Option<PathBuf>,

    /// Company ids to enqueue.
    #[arg(value_name = "ID", required_unless_present = "ids_file")]
    pub ids: Vec<String>,

    /// Print a JSON summary {"enqueued","duplicates","failed":[{"company_id","reason"}]}.
    #[arg(long)]
    pub json: bool,
}

impl EnqueueArgs {
    pub fn run(self) -> anyhow::Result<ExitCode> {
        if !(self.queue.starts_with("https://") || self.queue.starts_with("http://")) {
            bail!(
                "--queue {:?}: expected a queue URL (https://sqs.REGION.amazonaws.com/ACCOUNT/NAME), not a name or ARN",
                self.queue
            );
        }
        let ids = match &self.ids_file {
            Some(path) => read_ids(path)?,
            None => self
                .ids
                .iter()
                .enumerate()
                .map(|(i, raw)| {
                    CompanyId::parse(raw).map_err(|e| anyhow!("id #{} {raw:?}: {e}", i + 1))
                })
                .collect::<anyhow::Result<Vec<_>>>()?,
        };
        if ids.is_empty() {
            bail!("no company ids to enqueue");
        }
        let total = ids.len();

        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .context("starting the async runtime")?;
        let outcome = runtime.block_on(async {
            let sdk = sdk_config(AwsTimeouts {
                operation: std::time::Duration::from_secs(30),
                ..AwsTimeouts::default()
            })
            .await;
            let queue = Sqs::new(aws_sdk_sqs::Client::new(&sdk)).queue(self.queue.as_str());
            // No origin checks here (there is no browser), and the dedup cache lives for this
            // run only: it drops repeats within the list.
            let service = ReportService::new(
                queue,
                SystemClock::default(),
                ReportOptions::new(AllowedOrigins::List(Vec::new())),
            );
            service.enqueue(ids, Origin::Backfill).await
        });

        if self.json {
            let failed: Vec<_> = outcome
                .failed
                .iter()
                .map(|(id, reason)| json!({"company_id": id.as_str(), "reason": reason}))
                .collect();
            terminal::out!(
                "{}",
                terminal::json(
                    &json!({"enqueued": outcome.enqueued.len(), "duplicates": outcome.duplicates, "failed": failed}),
                    false
                )?
            );
        } else {
            for (id, reason) in &outcome.failed {
                tell!("FAIL  {}: {reason}", id.as_str());
            }
            say!(
                "{} of {total} ids enqueued to {} ({} repeated in the list, {} failed)",
                outcome.enqueued.len(),
                self.queue,
                outcome.duplicates,
                outcome.failed.len()
            );
        }
        Ok(if outcome.failed.is_empty() {
            ExitCode::SUCCESS
        } else {
            ExitCode::from(1)
        })
    }
}

fn read_ids(path: &Path) -> anyhow::Result<Vec<CompanyId>> {
    let reader: Box<dyn BufRead> = if path == Path::new("-") {
        Box::new(BufReader::new(std::io::stdin()))
    } else {
        Box::new(BufReader::new(std::fs::File::open(path).with_context(
            || format!("opening ids file {}", path.display()),
        )?))
    };
    let mut ids = Vec::new();
    for (n, line) in reader.lines().enumerate() {
        let line = line.with_context(|| format!("reading {}", path.display()))?;
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        ids.push(CompanyId::parse(line).map_err(|e| {
            anyhow!(
                "{}:{}: {line:?}: {e} (nothing was enqueued)",
                path.display(),
                n + 1
            )
        })?);
    }
    Ok(ids)
}

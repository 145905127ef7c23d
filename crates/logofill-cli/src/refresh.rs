//! `logofill refresh`: the scheduled refresh by hand. `run` is the job exactly as the
//! `logofill-refresh` Lambda runs it (`logofill_core::refresh::run_due` on S3 and SQS), `due`
//! counts the index without changing it, `seed` files the sets stored before the index existed
//! (`logofill_worker::refresh_job::seed`). Nothing here decides what is due: that is the core's
//! and the worker's.

use std::process::ExitCode;
use std::time::Duration;

use anyhow::anyhow;
use chrono::{NaiveDate, Utc};
use clap::{Args, Subcommand};
use logofill_aws::{s3_client, sdk_config, AwsTimeouts, S3Store, Sqs};
use logofill_core::refresh::{parse_day, run_due, RefreshPolicy, RunError, RunOptions};
use logofill_core::store::StoreError;
use logofill_worker::refresh_job::{
    due_counts, parse_bucket, parse_queue_url, seed, DueCounts, NotingQueue, SeedOptions,
    SeedReport, DEFAULT_DUE_KEYS, MAX_DUE_KEYS,
};
use serde_json::json;

use crate::logo::{runtime, Bucket};
use crate::terminal::{self, say, tell};

/// Run the scheduled refresh by hand, see what is due, or file sets stored before the index.
#[derive(Debug, Args)]
pub struct RefreshArgs {
    #[command(subcommand)]
    action: RefreshAction,
}

#[derive(Debug, Subcommand)]
enum RefreshAction {
    Run(RunArgs),
    Due(DueArgs),
    Seed(SeedArgs),
}

impl RefreshArgs {
    pub fn run(self) -> anyhow::Result<ExitCode> {
        match self.action {
            RefreshAction::Run(args) => args.run(),
            RefreshAction::Due(args) => args.run(),
            RefreshAction::Seed(args) => args.run(),
        }
    }
}

fn day(value: &str) -> Result<NaiveDate, String> {
    parse_day(value).ok_or_else(|| format!("{value:?} is not a day; give YYYY-MM-DD"))
}

/// The grant a store error's action needs, for the message that names it.
fn grant_for(e: &StoreError) -> &'static str {
    let action = match e {
        StoreError::Unavailable { action, .. } | StoreError::Refused { action, .. } => *action,
    };
    match action {
        "list" => "s3:ListBucket on the bucket (for the prefix named)",
        "read" => "s3:GetObject on the key named (logos/* or refresh/due/*)",
        "write" => "s3:PutObject on refresh/due/*",
        "delete" => "s3:DeleteObject on refresh/due/*",
        "update the metadata of" => "s3:GetObject and s3:PutObject on logos/* (a copy onto itself)",
        _ => "s3:ListBucket on the bucket",
    }
}

/// A store error with the bucket, the key (in the error) and the IAM action to grant.
fn explain_store(bucket: &str, e: &StoreError) -> anyhow::Error {
    let grant = grant_for(e);
    match e {
        StoreError::Unavailable { .. } => {
            anyhow!("{bucket}: {e}; the store may answer again: re-run in a minute")
        }
        StoreError::Refused { code, .. } if code == "NoSuchBucket" => anyhow!(
            "{bucket}: {e}; check the bucket name and the region (the credentials in use need {grant})"
        ),
        StoreError::Refused { .. } => {
            anyhow!("{bucket}: {e}; grant {grant} to the credentials in use")
        }
    }
}

/// Send the sets due up to today to the worker's queue: the scheduled run, by hand.
///
/// Every set due up to today goes to the queue with origin refresh and its index key is
/// removed: the job exactly as the scheduled `logofill-refresh` function runs it, oldest
/// day first, batches of ten, 16 batches at once, stopping after 780 s (run it again to go
/// on). Needs s3:ListBucket on the bucket (prefix refresh/due/), s3:DeleteObject on
/// refresh/due/* and sqs:SendMessage on the queue.
///
/// Exit status: 0 every due set sent, 1 some could not be sent (they stay filed for the next
/// run), 2 an error (the index could not be read or its keys removed).
#[derive(Debug, Args)]
struct RunArgs {
    /// The logo bucket on S3 (AWS_PROFILE, AWS_REGION, AWS_ENDPOINT_URL as for every AWS client).
    #[arg(long, value_name = "NAME", value_parser = parse_bucket)]
    bucket: String,
    /// URL of the worker's queue (`https://sqs.REGION.amazonaws.com/ACCOUNT/NAME[.fifo]`).
    #[arg(long, value_name = "URL", value_parser = parse_queue_url)]
    queue_url: String,
    /// Send what is due up to this day (YYYY-MM-DD) instead of today (UTC).
    #[arg(long, value_name = "YYYY-MM-DD", value_parser = day)]
    today: Option<NaiveDate>,
    /// Print the run's report as one JSON object.
    #[arg(long)]
    json: bool,
}

impl RunArgs {
    fn run(self) -> anyhow::Result<ExitCode> {
        let now = Utc::now();
        let today = self.today.unwrap_or_else(|| now.date_naive());
        let name = format!("s3://{}", self.bucket);
        let runtime = runtime()?;
        let (report, reasons) = runtime.block_on(async {
            let sdk = sdk_config(AwsTimeouts {
                connect: Duration::from_secs(3),
                attempt: Duration::from_secs(10),
                operation: Duration::from_secs(30),
            })
            .await;
            let store = S3Store::new(s3_client(&sdk), self.bucket.clone());
            let queue = NotingQueue::new(
                Sqs::from_env(Duration::ZERO, &self.queue_url)
                    .await
                    .queue(self.queue_url.clone()),
            );
            let report = run_due(&store, &queue, today, now, RunOptions::default())
                .await
                .map_err(|RunError::Store(e)| explain_store(&name, &e))?;
            anyhow::Ok((report, queue.failures()))
        })?;
        if self.json {
            let mut value = serde_json::to_value(&report)?;
            value["bucket"] = json!(self.bucket);
            value["queue_url"] = json!(self.queue_url);
            value["today"] = json!(today.to_string());
            value["failures"] = json!(reasons);
            terminal::out!("{}", terminal::json(&value, false)?);
        } else {
            for reason in &reasons {
                tell!("FAIL  {reason}");
            }
            say!(
                "{name}: {} sets due up to {today} sent to {} (origin refresh), {} not sent; {} index keys removed ({} malformed); requests: {} LIST, {} DeleteObjects, {} SendMessageBatch",
                report.sent,
                self.queue_url,
                report.failed,
                report.removed,
                report.malformed,
                report.list_requests,
                report.delete_requests,
                report.send_requests,
            );
            if report.failed > 0 {
                say!(
                    "the {} sets not sent stay filed; the next run sends them (grant sqs:SendMessage on the queue if it refused)",
                    report.failed
                );
            }
            if report.stopped_early {
                say!("stopped at the time limit with due sets left: run it again to go on");
            }
        }
        Ok(if report.failed > 0 {
            ExitCode::from(1)
        } else {
            ExitCode::SUCCESS
        })
    }
}

/// Count the sets due per day up to today and in the days after it, changing nothing.
///
/// The refresh index is read in key order (one LIST per 1,000 keys), up to the last day
/// asked for. Needs s3:ListBucket on the bucket.
///
/// Exit status: 0 counted, 2 an error.
#[derive(Debug, Args)]
struct DueArgs {
    #[command(flatten)]
    bucket: Bucket,
    /// Count up to this day (YYYY-MM-DD) instead of today (UTC).
    #[arg(long, value_name = "YYYY-MM-DD", value_parser = day)]
    today: Option<NaiveDate>,
    /// Days after today to count too.
    #[arg(long, value_name = "N", default_value_t = 7,
          value_parser = clap::value_parser!(u64).range(0..=366))]
    days: u64,
    /// Most index keys read; the counts say when they stopped there.
    #[arg(long, value_name = "N", default_value_t = DEFAULT_DUE_KEYS,
          value_parser = clap::value_parser!(u64).range(1..=MAX_DUE_KEYS))]
    limit: u64,
    /// Print the counts as one JSON object.
    #[arg(long)]
    json: bool,
}

impl DueArgs {
    fn run(self) -> anyhow::Result<ExitCode> {
        let today = self.today.unwrap_or_else(|| Utc::now().date_naive());
        let runtime = runtime()?;
        let (counts, name) = runtime.block_on(async {
            let sdk = sdk_config(AwsTimeouts::default()).await;
            let (store, name) = self.bucket.open(&sdk).await?;
            let counts = due_counts(&store, today, self.days, self.limit)
                .await
                .map_err(|e| explain_store(&name, &e))?;
            anyhow::Ok((counts, name))
        })?;
        if self.json {
            terminal::out!("{}", terminal::json(&counts, false)?);
        } else {
            print_counts(&name, &counts);
        }
        Ok(ExitCode::SUCCESS)
    }
}

fn print_counts(name: &str, counts: &DueCounts) {
    let oldest = counts
        .oldest
        .filter(|_| counts.due > 0)
        .map(|d| format!(" (oldest {d})"))
        .unwrap_or_default();
    say!(
        "{name}: {} sets due up to {}{oldest}, {} more by {}",
        counts.due,
        counts.today,
        counts.upcoming,
        counts.through
    );
    if counts.older > 0 {
        say!(
            "  {:>10}  {:>8}  due over a year ago",
            "older",
            counts.older
        );
    }
    for (day, n) in &counts.days {
        let mark = if *day == counts.today { "  today" } else { "" };
        say!("  {day}  {n:>8}{mark}");
    }
    if counts.malformed > 0 {
        say!(
            "{} keys under refresh/due/ name no day and company (a run removes them)",
            counts.malformed
        );
    }
    if counts.truncated {
        say!(
            "--limit {} keys reached: the counts are a lower bound",
            counts.keys_read
        );
    }
}

/// Most characters of a --start-after key (S3 keys are at most 1,024 bytes).
const MAX_KEY_LEN: usize = 1024;

fn start_after(value: &str) -> Result<String, String> {
    if value.starts_with("logos/")
        && value.len() <= MAX_KEY_LEN
        && !value.chars().any(char::is_control)
    {
        Ok(value.to_string())
    } else {
        Err("expected a key under logos/ (the resume_after of a pass that stopped)".into())
    }
}

/// File the sets stored before the refresh index existed, once.
///
/// It lists logos/ (pages of 1,000 keys), HEADs each sentinel (the largest PNG) and, for a
/// complete, unpinned set without refresh-due, writes its index key and records refresh-due
/// on the sentinel. A set still within its period keeps its due day; an overdue one is filed
/// on a day spread over its period, so they do not all come due at once. A set whose
/// refresh-due has passed and whose index key is gone (its refresh message was never handled)
/// is filed again. Run it once after deploying the worker that keeps the index; running it
/// again files nothing twice. Needs s3:ListBucket, s3:GetObject and s3:PutObject on logos/*
/// (the sentinel's metadata is a copy onto itself) and s3:GetObject and s3:PutObject on
/// refresh/due/*.
///
/// Exit status: 0 done (or stopped at --time-limit: go on with --start-after), 2 an error.
#[derive(Debug, Args)]
struct SeedArgs {
    #[command(flatten)]
    bucket: Bucket,
    /// The sizes the worker writes (its LOGOFILL_SIZES): the largest PNG is the sentinel.
    #[arg(long, value_name = "PX,PX,...", default_value = "64,128,256", value_delimiter = ',',
          value_parser = clap::value_parser!(u32).range(16..=2048))]
    sizes: Vec<u32>,
    /// The worker's LOGOFILL_LOGO_REFRESH_SECS: a logo is due this long after it was looked at.
    #[arg(long, value_name = "SECS", default_value_t = 2_592_000,
          value_parser = clap::value_parser!(u64).range(86_400..=31_536_000))]
    logo_refresh_secs: u64,
    /// The worker's LOGOFILL_BLOCKED_RETRY_SECS: the same for a blocked placeholder.
    #[arg(long, value_name = "SECS", default_value_t = 86_400,
          value_parser = clap::value_parser!(u64).range(0..=31_536_000))]
    blocked_retry_secs: u64,
    /// Start after this key of logos/ (what a pass that stopped printed).
    #[arg(long, value_name = "KEY", value_parser = start_after)]
    start_after: Option<String>,
    /// Stop after the page in hand once the pass has run this long.
    #[arg(long, value_name = "SECS", value_parser = clap::value_parser!(u64).range(1..))]
    time_limit: Option<u64>,
    /// Print what the pass did as one JSON object.
    #[arg(long)]
    json: bool,
}

impl SeedArgs {
    fn run(self) -> anyhow::Result<ExitCode> {
        let policy = RefreshPolicy {
            logo_after: Duration::from_secs(self.logo_refresh_secs),
            blocked_retry: Duration::from_secs(self.blocked_retry_secs),
        };
        let options = SeedOptions {
            start_after: self.start_after.clone(),
            time_limit: self.time_limit.map(Duration::from_secs),
            ..SeedOptions::default()
        };
        let runtime = runtime()?;
        let (result, name) = runtime.block_on(async {
            let sdk = sdk_config(AwsTimeouts {
                connect: Duration::from_secs(3),
                attempt: Duration::from_secs(10),
                operation: Duration::from_secs(30),
            })
            .await;
            let (store, name) = self.bucket.open(&sdk).await?;
            let result = seed(&store, policy, &self.sizes, Utc::now(), options).await;
            anyhow::Ok((result, name))
        })?;
        match result {
            Ok(report) => {
                self.print(&name, &report)?;
                Ok(ExitCode::SUCCESS)
            }
            Err(failed) => {
                self.print(&name, &failed.report)?;
                let resume = failed
                    .report
                    .resume_after
                    .as_deref()
                    .map(|k| format!(" (go on with --start-after {k})"))
                    .unwrap_or_default();
                Err(explain_store(&name, &failed.error).context(format!(
                    "seeding stopped after {} sets filed{resume}",
                    failed.report.filed
                )))
            }
        }
    }

    fn print(&self, name: &str, report: &SeedReport) -> anyhow::Result<()> {
        if self.json {
            let mut value = serde_json::to_value(report)?;
            value["bucket"] = json!(name);
            terminal::out!("{}", terminal::json(&value, false)?);
            return Ok(());
        }
        let days = match (report.earliest_due, report.latest_due) {
            (Some(first), Some(last)) => format!(" (due {first} to {last})"),
            _ => String::new(),
        };
        let refiled = if report.refiled > 0 {
            format!(
                " ({} of them again: their day had passed and its key was gone)",
                report.refiled
            )
        } else {
            String::new()
        };
        say!(
            "{name}: {} sets filed{days}{refiled}, {} already filed, {} pinned, {} of unknown kind, {} gone meanwhile; {} keys under logos/ in {} LIST requests ({} naming no company)",
            report.filed,
            report.already_filed,
            report.pinned,
            report.unknown_kind,
            report.gone,
            report.keys_listed,
            report.list_requests,
            report.skipped_keys,
        );
        if report.stopped_early {
            match &report.resume_after {
                Some(key) => say!("stopped at --time-limit: go on with --start-after {key}"),
                None => say!("stopped at --time-limit before the first page: run it again"),
            }
        }
        Ok(())
    }
}

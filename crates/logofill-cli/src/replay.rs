//! `logofill replay`: inspect the dead-letter queue and move its messages back.
//!
//! The rules live in `logofill-replay`; this module reads flags, builds the SQS client from
//! the standard AWS chain, runs one command on a current-thread runtime, and shows the result:
//! a progress bar on a terminal, plain lines otherwise, text or `--json` at the end.
//!
//! Exit status: 0 all done; 1 some messages failed and stayed in the dead-letter queue (or
//! are in both queues); 2 bad usage or configuration, nothing touched; 130 stopped by Ctrl-C
//! after finishing the batch in flight.

use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context;
use clap::{Args, Subcommand};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use logofill_aws::Sqs;
use logofill_replay::archive::{self, ExportOptions, ImportOptions};
use logofill_replay::filter::format_duration;
use logofill_replay::inspect;
use logofill_replay::{parse_duration, Filter, MoveOptions, MoveSummary, StopReason};

use crate::terminal::{self, say, tell};

/// Inspect the dead-letter queue and move its messages back, without ever losing one.
///
/// Every command uses the standard AWS chain (AWS_PROFILE, AWS_REGION, AWS_ENDPOINT_URL, ...);
/// the region of an `sqs.<region>.amazonaws.com` URL is used when none is configured. A message
/// is deleted from the dead-letter queue only after the target queue (or the archive file, on
/// disk) has confirmed it, so a crash, a network error or Ctrl-C at any moment leaves each
/// message in the DLQ, in the target, or in both. Exit status: 0 all done, 1 some messages
/// failed and stayed in the DLQ, 2 bad usage or configuration (nothing touched), 130 stopped
/// by Ctrl-C.
#[derive(Debug, Args)]
pub struct ReplayArgs {
    #[command(subcommand)]
    command: ReplayCommand,
}

#[derive(Debug, Subcommand)]
enum ReplayCommand {
    Stats(StatsArgs),
    Peek(PeekArgs),
    Move(MoveArgs),
    Export(ExportArgs),
    Import(ImportArgs),
}

#[derive(Debug, Args)]
struct Receiving {
    /// Long-poll wait of each receive, in seconds (0-20). A receive that stays empty this long
    /// ends the run: the queue is drained.
    #[arg(long, value_name = "SECS", default_value_t = 2, value_parser = clap::value_parser!(u64).range(0..=20))]
    wait_seconds: u64,

    /// How long a received message stays hidden from other consumers, in seconds. Messages
    /// the run does not move are held this long (extended while the run lasts) and made
    /// visible again when it ends; after a crash SQS shows them again when this runs out.
    #[arg(long, value_name = "SECS", default_value_t = 120, value_parser = clap::value_parser!(u64).range(1..=43_200))]
    visibility_timeout: u64,
}

/// Counts, the oldest message, and the source queues of a dead-letter queue.
///
/// The counts are SQS's approximate ones. The oldest message is found by peeking a sample
/// (see `peek`: nothing is consumed, receive counts go up by one); `--sample 0` reads only
/// queue attributes.
#[derive(Debug, Args)]
struct StatsArgs {
    /// URL of the dead-letter queue.
    #[arg(long, value_name = "URL")]
    dlq: String,

    /// Messages to peek for the oldest one and the reasons; 0: do not receive anything.
    #[arg(long, value_name = "N", default_value_t = 100)]
    sample: usize,

    /// Print one JSON object instead of text.
    #[arg(long)]
    json: bool,

    #[command(flatten)]
    receiving: Receiving,
}

/// Show messages without consuming them.
///
/// Messages are received, held while the peek lasts, then made visible again at once
/// (ChangeMessageVisibility 0). Their ApproximateReceiveCount goes up by one: a receive is
/// the only way SQS shows a message. Prints id, company id (or why the body is unreadable),
/// receive count, first-receive and sent times, attributes, then a summary by company and
/// by reason.
#[derive(Debug, Args)]
struct PeekArgs {
    /// URL of the dead-letter queue.
    #[arg(long, value_name = "URL")]
    dlq: String,

    /// Show at most this many messages.
    #[arg(long, value_name = "N", default_value_t = 10)]
    max: usize,

    /// Print one JSON object (messages and summary) instead of text.
    #[arg(long)]
    json: bool,

    #[command(flatten)]
    receiving: Receiving,
}

/// Move messages from the dead-letter queue back to a source queue.
///
/// Batches of 10: receive, send to the target, then delete from the DLQ exactly the entries
/// the send accepted. Messages that do not match the filters are left in the DLQ untouched
/// (held while the run lasts, then visible again). Bodies and message attributes are sent
/// byte for byte. Into a FIFO queue each message keeps its MessageGroupId (a message without
/// one gets its company id) and gets the deduplication id `<run id>-<original message id>`:
/// the replay is not dropped by the 5-minute dedup window of the original send, and an
/// identical re-run within 5 minutes sends no duplicates. Ends when a receive comes back
/// empty or --max is reached; Ctrl-C finishes the batch in flight, then stops.
#[derive(Debug, Args)]
struct MoveArgs {
    /// URL of the dead-letter queue.
    #[arg(long, value_name = "URL")]
    dlq: String,

    /// URL of the queue to move the messages to. May be left out when exactly one queue has
    /// this DLQ in its redrive policy (ListDeadLetterSourceQueues).
    #[arg(long, value_name = "URL")]
    to: Option<String>,

    /// Move at most N messages.
    #[arg(long, value_name = "N")]
    max: Option<u64>,

    /// Send at most this many messages per second (a ceiling; default: as fast as SQS answers).
    #[arg(long, value_name = "PER_SEC")]
    rate: Option<f64>,

    /// Move only messages of these company ids (repeat the flag or separate with commas).
    /// A body that cannot be read never matches.
    #[arg(long = "company", value_name = "ID", value_delimiter = ',', num_args = 1..)]
    companies: Vec<String>,

    /// Move only messages first sent at least this long ago (SentTimestamp), e.g. 30m, 6h, 2d.
    #[arg(long, value_name = "DURATION", value_parser = parse_duration)]
    older_than: Option<Duration>,

    /// Move only messages first sent less than this long ago (SentTimestamp), e.g. 1h, 1d.
    #[arg(long, value_name = "DURATION", value_parser = parse_duration)]
    newer_than: Option<Duration>,

    /// Print what would move and change nothing (messages are peeked, then released).
    #[arg(long)]
    dry_run: bool,

    /// The replay run the FIFO deduplication ids are derived from (1-40 of A-Z a-z 0-9 - _ .).
    /// Default: a hash of the DLQ URL and the target URL, so re-running the same move within 5
    /// minutes never sends a message twice, whatever the filters. Give a new value only to
    /// send again on purpose.
    #[arg(long, value_name = "ID")]
    run_id: Option<String>,

    /// Print one JSON summary (moved, skipped, failed, per-company counts) instead of text.
    #[arg(long)]
    json: bool,

    #[command(flatten)]
    receiving: Receiving,
}

/// Archive dead-letter messages as JSON Lines (body, attributes, ids, times).
///
/// Without --delete the messages stay in the DLQ (held while the export lasts, then visible
/// again). With --delete each batch is deleted from the DLQ only after its lines are written
/// and fsynced. The file must not exist yet: an archive is never overwritten.
#[derive(Debug, Args)]
struct ExportArgs {
    /// URL of the dead-letter queue.
    #[arg(long, value_name = "URL")]
    dlq: String,

    /// The archive to create (JSON Lines).
    #[arg(long, value_name = "FILE.jsonl")]
    out: PathBuf,

    /// Delete each message from the DLQ once its line is on disk.
    #[arg(long)]
    delete: bool,

    /// Export at most N messages.
    #[arg(long, value_name = "N")]
    max: Option<u64>,

    /// Print one JSON summary instead of text.
    #[arg(long)]
    json: bool,

    #[command(flatten)]
    receiving: Receiving,
}

/// Send the messages of an archive (from `export`) to a queue.
///
/// The whole file is read and checked first: at most 256 MiB, each line at most 2 MiB, every
/// line an archived message whose body the worker can parse. A bad line stops the import
/// before anything is sent, naming the file and the line (blank lines counted). Bodies and message attributes go out byte for byte. Into a FIFO queue the dedup id
/// is the one `move` would use (run id from the message's original DLQ and this target), so
/// importing what a move already sent within 5 minutes sends no duplicates. The file is not
/// changed.
#[derive(Debug, Args)]
struct ImportArgs {
    /// The archive to send (JSON Lines from `logofill replay export`).
    #[arg(long, value_name = "FILE.jsonl")]
    file: PathBuf,

    /// URL of the queue to send the messages to.
    #[arg(long, value_name = "URL")]
    to: String,

    /// Send at most this many messages per second (a ceiling).
    #[arg(long, value_name = "PER_SEC")]
    rate: Option<f64>,

    /// The replay run the FIFO deduplication ids are derived from; see `move --help`.
    #[arg(long, value_name = "ID")]
    run_id: Option<String>,

    /// Check the file and the queue, print what would be sent, send nothing.
    #[arg(long)]
    dry_run: bool,

    /// Print one JSON summary instead of text.
    #[arg(long)]
    json: bool,
}

impl ReplayArgs {
    pub fn run(self) -> anyhow::Result<ExitCode> {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .context("starting the async runtime")?;
        runtime.block_on(self.command.run())
    }
}

/// The Ctrl-C flag: the first Ctrl-C asks the run to stop after the batch in flight; a second
/// one exits at once (still safe: every message is in the DLQ, the target, or both).
fn stop_on_ctrl_c() -> Arc<AtomicBool> {
    let stop = Arc::new(AtomicBool::new(false));
    let flag = stop.clone();
    tokio::spawn(async move {
        while tokio::signal::ctrl_c().await.is_ok() {
            if flag.swap(true, Ordering::SeqCst) {
                tell!("logofill: second Ctrl-C, stopping now; no message is lost (held ones reappear when their visibility timeout ends)");
                std::process::exit(130);
            }
            tell!("logofill: Ctrl-C: finishing the batch in flight, then stopping (Ctrl-C again to stop at once)");
        }
    });
    stop
}

fn print_json(value: &impl serde::Serialize) -> anyhow::Result<()> {
    terminal::out!("{}", terminal::json(value, true)?);
    Ok(())
}

/// Progress on standard error: a bar with rate and ETA on a terminal, a plain line every few
/// seconds otherwise.
struct Progress {
    bar: Option<ProgressBar>,
    last_line: Instant,
    started: Instant,
}

impl Progress {
    fn new(total: Option<u64>, verb: &str) -> Self {
        let bar = std::io::stderr().is_terminal().then(|| {
            let bar = match total {
                Some(n) => ProgressBar::with_draw_target(Some(n), ProgressDrawTarget::stderr()),
                None => ProgressBar::new_spinner(),
            };
            let template = format!(
                "{{spinner}} {verb} {{pos}}/{{len}} [{{elapsed_precise}}] {{per_sec}} ETA {{eta}} {{msg}}"
            );
            if let Ok(style) = ProgressStyle::with_template(&template) {
                bar.set_style(style);
            }
            bar
        });
        Progress {
            bar,
            last_line: Instant::now(),
            started: Instant::now(),
        }
    }

    fn update(&mut self, done: u64, message: String) {
        match &self.bar {
            Some(bar) => {
                bar.set_position(done);
                bar.set_message(message);
            }
            None => {
                if self.last_line.elapsed() >= Duration::from_secs(5) {
                    self.last_line = Instant::now();
                    let secs = self.started.elapsed().as_secs_f64().max(0.001);
                    tell!("{done} done ({:.1}/s); {message}", done as f64 / secs);
                }
            }
        }
    }

    fn finish(&self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }
}

fn stop_text(stopped: Option<StopReason>) -> &'static str {
    match stopped {
        Some(StopReason::Drained) => "the queue is drained",
        Some(StopReason::OnlySeenLeft) => "only messages already seen in this run are left",
        Some(StopReason::MaxReached) => "--max reached",
        Some(StopReason::Interrupted) => "stopped by Ctrl-C",
        Some(StopReason::Error) => "stopped by an error",
        Some(StopReason::HoldLimit) => {
            "too many filtered-out messages held at once; narrow the filters or re-run"
        }
        None => "not started",
    }
}

fn exit_for(stopped: Option<StopReason>, clean: bool) -> ExitCode {
    if !clean {
        ExitCode::from(1)
    } else if stopped == Some(StopReason::Interrupted) {
        ExitCode::from(130)
    } else {
        ExitCode::SUCCESS
    }
}

fn time(t: Option<chrono::DateTime<chrono::Utc>>) -> String {
    t.map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true))
        .unwrap_or_else(|| "-".into())
}

fn counts(map: &std::collections::BTreeMap<String, u64>) -> String {
    let mut pairs: Vec<_> = map.iter().collect();
    pairs.sort_by(|a, b| b.1.cmp(a.1).then(a.0.cmp(b.0)));
    pairs
        .iter()
        .map(|(k, v)| format!("{k} {v}"))
        .collect::<Vec<_>>()
        .join(", ")
}

impl ReplayCommand {
    async fn run(self) -> anyhow::Result<ExitCode> {
        match self {
            ReplayCommand::Stats(a) => a.run().await,
            ReplayCommand::Peek(a) => a.run().await,
            ReplayCommand::Move(a) => a.run().await,
            ReplayCommand::Export(a) => a.run().await,
            ReplayCommand::Import(a) => a.run().await,
        }
    }
}

impl Receiving {
    fn wait(&self) -> Duration {
        Duration::from_secs(self.wait_seconds)
    }
}

impl StatsArgs {
    async fn run(self) -> anyhow::Result<ExitCode> {
        let sqs = Sqs::from_env(self.receiving.wait(), &self.dlq).await;
        let stats = inspect::stats(&sqs, &self.dlq, self.sample, self.receiving.wait()).await?;
        if self.json {
            print_json(&stats)?;
            return Ok(ExitCode::SUCCESS);
        }
        let kind = if stats.fifo { "FIFO" } else { "standard" };
        say!("dead-letter queue {} ({kind})", stats.dlq);
        say!(
            "  messages (approximate): {} visible, {} in flight, {} delayed",
            stats.visible,
            stats.in_flight,
            stats.delayed
        );
        match (stats.oldest_sent_at, stats.oldest_age_secs) {
            (Some(at), Some(age)) => say!(
                "  oldest message: first sent {} ({} ago), among {} peeked",
                time(Some(at)),
                format_duration(Duration::from_secs(age)),
                stats.sampled
            ),
            _ if self.sample == 0 => say!("  oldest message: not sampled (--sample 0)"),
            _ => say!("  oldest message: none visible"),
        }
        if !stats.by_reason.is_empty() {
            say!("  sample by reason: {}", counts(&stats.by_reason));
        }
        if stats.source_queues.is_empty() {
            say!("  source queues: none has this queue in its redrive policy; `move` needs --to");
        } else {
            for q in &stats.source_queues {
                say!("  source queue: {q}");
            }
        }
        Ok(ExitCode::SUCCESS)
    }
}

impl PeekArgs {
    async fn run(self) -> anyhow::Result<ExitCode> {
        let sqs = Sqs::from_env(self.receiving.wait(), &self.dlq).await;
        let report = inspect::peek(&sqs, &self.dlq, self.max, self.receiving.wait()).await?;
        if self.json {
            print_json(&report)?;
            return Ok(ExitCode::SUCCESS);
        }
        for m in &report.messages {
            let company = match (&m.company_id, &m.unreadable) {
                (Some(c), _) => format!("company {c}"),
                (None, Some(why)) => format!("unreadable: {why}"),
                (None, None) => "unreadable".into(),
            };
            say!("{}  {company}", m.message_id);
            say!(
                "    receives {}  first received {}  sent {}{}  body {} bytes",
                m.receive_count
                    .map_or_else(|| "-".into(), |n| n.to_string()),
                time(m.first_received_at),
                time(m.sent_at),
                m.group_id
                    .as_ref()
                    .map_or_else(String::new, |g| format!("  group {g}")),
                m.body_bytes
            );
            let attrs: Vec<String> = m
                .attributes
                .iter()
                .map(|(k, v)| format!("{k}={v}"))
                .chain(
                    m.message_attributes
                        .iter()
                        .map(|(k, v)| format!("{k}: {v}")),
                )
                .collect();
            if !attrs.is_empty() {
                say!("    {}", attrs.join("  "));
            }
        }
        say!(
            "{} message(s) peeked, all made visible again{}",
            report.messages.len(),
            if report.unreleased > 0 {
                format!(
                    " except {} (visible when their timeout ends)",
                    report.unreleased
                )
            } else {
                String::new()
            }
        );
        if !report.messages.is_empty() {
            say!("by company: {}", counts(&report.by_company));
            say!("by reason: {}", counts(&report.by_reason));
        }
        Ok(ExitCode::SUCCESS)
    }
}

impl MoveArgs {
    async fn run(self) -> anyhow::Result<ExitCode> {
        let filter = Filter {
            companies: self.companies.iter().cloned().collect(),
            older_than: self.older_than,
            newer_than: self.newer_than,
        };
        let options = MoveOptions {
            dlq: self.dlq.clone(),
            to: self.to.clone(),
            max: self.max,
            rate: self.rate,
            filter,
            dry_run: self.dry_run,
            run_id: self.run_id.clone(),
            wait: self.receiving.wait(),
            visibility: Duration::from_secs(self.receiving.visibility_timeout),
        };
        let sqs = Sqs::from_env(options.wait, &self.dlq).await;
        let stop = stop_on_ctrl_c();
        let mut progress: Option<Progress> = None;
        let verb = if self.dry_run { "listed" } else { "moved" };
        let mut on_progress = |r: &MoveSummary| match &mut progress {
            None => {
                announce(r, &options);
                let total = self
                    .max
                    .map_or(r.visible_at_start, |m| m.min(r.visible_at_start));
                progress = Some(Progress::new(Some(total), verb));
            }
            Some(p) => p.update(
                r.moved + r.would_move,
                format!("skipped {} failed {}", r.skipped, r.failed),
            ),
        };
        let report = logofill_replay::run_move(&sqs, &options, &stop, &mut on_progress).await?;
        if let Some(p) = &progress {
            p.finish();
        }
        if self.json {
            print_json(&report)?;
        } else {
            print_move(&report);
        }
        Ok(exit_for(report.stopped, report.is_clean()))
    }
}

/// What the run is about to do, before it does it.
fn announce(r: &MoveSummary, o: &MoveOptions) {
    let mut what = Vec::new();
    if !o.filter.companies.is_empty() {
        what.push(format!(
            "companies {}",
            o.filter
                .companies
                .iter()
                .cloned()
                .collect::<Vec<_>>()
                .join(",")
        ));
    }
    if let Some(d) = o.filter.older_than {
        what.push(format!("sent over {} ago", format_duration(d)));
    }
    if let Some(d) = o.filter.newer_than {
        what.push(format!("sent under {} ago", format_duration(d)));
    }
    let what = if what.is_empty() {
        "all messages".to_string()
    } else {
        format!("messages of {}", what.join(" and "))
    };
    tell!(
        "{} {what}{} from {} (about {} visible) to {}{}{}",
        if r.dry_run {
            "dry run, nothing changes: would move"
        } else {
            "moving"
        },
        o.max
            .map_or_else(String::new, |m| format!(" (at most {m})")),
        r.dlq,
        r.visible_at_start,
        r.target,
        if r.target_fifo {
            format!(" (FIFO, run id {})", r.run_id)
        } else {
            String::new()
        },
        o.rate
            .map_or_else(String::new, |rate| format!(", at most {rate}/s")),
    );
}

fn print_move(r: &MoveSummary) {
    for p in &r.planned {
        say!(
            "would move {}  company {}  sent {}{}{}",
            p.message_id,
            p.company,
            p.sent_at.as_deref().unwrap_or("-"),
            p.group_id
                .as_ref()
                .map_or_else(String::new, |g| format!("  group {g}")),
            p.dedup_id
                .as_ref()
                .map_or_else(String::new, |d| format!("  dedup {d}")),
        );
    }
    if r.dry_run {
        say!(
            "dry run: {} would move, {} skipped by the filters; nothing changed ({})",
            r.would_move,
            r.skipped,
            stop_text(r.stopped)
        );
    } else {
        say!(
            "moved {}, skipped {}, failed {} from {} to {} ({})",
            r.moved,
            r.skipped,
            r.failed,
            r.dlq,
            r.target,
            stop_text(r.stopped)
        );
    }
    if !r.companies.is_empty() {
        let per: Vec<String> = r
            .companies
            .iter()
            .map(|(c, t)| {
                let mut parts = Vec::new();
                for (n, label) in [
                    (t.moved, "moved"),
                    (t.would_move, "would move"),
                    (t.skipped, "skipped"),
                    (t.failed, "failed"),
                ] {
                    if n > 0 {
                        parts.push(format!("{n} {label}"));
                    }
                }
                format!("{c} ({})", parts.join(", "))
            })
            .collect();
        say!("per company: {}", per.join("; "));
    }
    if !r.skip_reasons.is_empty() {
        say!("skipped because: {}", counts(&r.skip_reasons));
    }
    for f in &r.failures {
        say!(
            "failed {} (company {}): {}: {}; it is still in the dead-letter queue",
            f.message_id,
            f.company,
            f.code,
            f.detail
        );
    }
    if r.failed as usize > r.failures.len() {
        say!(
            "... and {} more failures",
            r.failed as usize - r.failures.len()
        );
    }
    if r.not_deleted > 0 {
        say!(
            "{} message(s) reached the target but could not be deleted from the dead-letter queue: they are in both (a duplicate, not a loss); re-running the same move within 5 minutes dedups them on a FIFO target",
            r.not_deleted
        );
    }
    if r.unreleased > 0 {
        say!(
            "{} held message(s) could not be released now; they become visible again when their visibility timeout ends",
            r.unreleased
        );
    }
    if let Some(e) = &r.error {
        tell!("logofill: {e}");
    }
}

impl ExportArgs {
    async fn run(self) -> anyhow::Result<ExitCode> {
        let options = ExportOptions {
            dlq: self.dlq.clone(),
            out: self.out.clone(),
            delete: self.delete,
            max: self.max,
            wait: self.receiving.wait(),
            visibility: Duration::from_secs(self.receiving.visibility_timeout),
        };
        let sqs = Sqs::from_env(options.wait, &self.dlq).await;
        let stop = stop_on_ctrl_c();
        tell!(
            "exporting {} to {}{}",
            self.dlq,
            self.out.display(),
            if self.delete {
                ", deleting each message once its line is on disk"
            } else {
                "; the messages stay in the queue"
            }
        );
        let mut progress = Progress::new(None, "exported");
        let report = archive::export(&sqs, &options, &stop, &mut |r| {
            progress.update(r.exported, format!("deleted {}", r.deleted))
        })
        .await?;
        progress.finish();
        if self.json {
            print_json(&report)?;
        } else {
            say!(
                "exported {} message(s) to {}, deleted {} from {} ({})",
                report.exported,
                report.file,
                report.deleted,
                report.dlq,
                stop_text(report.stopped)
            );
            if report.not_deleted > 0 {
                say!(
                    "{} message(s) are in the file and still in the queue (delete refused)",
                    report.not_deleted
                );
            }
            if let Some(e) = &report.error {
                tell!("logofill: {e}");
            }
        }
        let clean = report.error.is_none() && report.not_deleted == 0;
        Ok(exit_for(report.stopped, clean))
    }
}

impl ImportArgs {
    async fn run(self) -> anyhow::Result<ExitCode> {
        let options = ImportOptions {
            file: self.file.clone(),
            to: self.to.clone(),
            rate: self.rate,
            run_id: self.run_id.clone(),
            dry_run: self.dry_run,
        };
        let sqs = Sqs::from_env(Duration::ZERO, &self.to).await;
        let stop = stop_on_ctrl_c();
        let mut progress = Progress::new(None, "sent");
        let report = archive::import(&sqs, &options, &stop, &mut |r| {
            progress.update(r.sent, format!("failed {}", r.failed))
        })
        .await?;
        progress.finish();
        if self.json {
            print_json(&report)?;
        } else if report.dry_run {
            say!(
                "dry run: would send {} message(s) from {} to {}{}; by company: {}",
                report.messages,
                report.file,
                report.target,
                if report.target_fifo { " (FIFO)" } else { "" },
                counts(&report.by_company)
            );
        } else {
            say!(
                "sent {} of {} message(s) from {} to {}, failed {}, not sent {} ({})",
                report.sent,
                report.messages,
                report.file,
                report.target,
                report.failed,
                report.not_sent,
                stop_text(report.stopped)
            );
            for f in &report.failures {
                say!(
                    "failed line {} (message {}): {}: {}",
                    f.line,
                    f.message_id,
                    f.code,
                    f.detail
                );
            }
            if let Some(e) = &report.error {
                tell!("logofill: {e}");
            }
        }
        let clean = report.error.is_none() && report.failed == 0;
        Ok(exit_for(report.stopped, clean))
    }
}

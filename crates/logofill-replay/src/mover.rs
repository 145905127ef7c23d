//! `move`: dead-letter queue back to a source queue, at least once, never zero.
//!
//! The order of calls is the guarantee. Per batch: receive (hidden for the visibility
//! timeout), send the matching messages to the target, then delete from the DLQ exactly the
//! entries the send reported as successful. A message is therefore, at every instant, in the
//! DLQ, in the target, or in both; never in neither. A refused entry, a failed send call or a
//! lost connection leaves the message in the DLQ (made visible again when possible, else when
//! its timeout ends). A lost delete leaves it in both: a duplicate, never a loss. On a FIFO
//! target the dedup id is `{run id}-{original message id}`, so a re-run that sends a message
//! again within five minutes is dropped by SQS itself.
//!
//! Messages that do not match the filters are held (see [`crate::holds`]) and released when
//! the run ends, so a run sees each message once and ends when a receive comes back empty.

use std::collections::{BTreeMap, HashSet};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use chrono::Utc;
use serde::Serialize;

use crate::error::ReplayError;
use crate::filter::Filter;
use crate::holds::{handles, release, Holds};
use crate::message::{dedup_id, default_run_id, validate_run_id, BodyInfo};
use crate::pace::Pacer;
use logofill_core::queue::ReceivedMessage;
use logofill_core::queue::{OutgoingMessage, QueueService, MAX_BATCH_ENTRIES};

/// More held messages than this and the run stops: SQS allows 120,000 in flight per queue.
pub const MAX_HELD: usize = 100_000;

/// Failures listed one by one in the report; beyond this only counted.
pub const MAX_LISTED_FAILURES: usize = 100;

#[derive(Debug, Clone)]
pub struct MoveOptions {
    pub dlq: String,
    /// Target queue; `None`: the DLQ's only source queue.
    pub to: Option<String>,
    /// Move (or, in a dry run, list) at most this many messages.
    pub max: Option<u64>,
    /// Messages per second, a ceiling.
    pub rate: Option<f64>,
    pub filter: Filter,
    pub dry_run: bool,
    pub run_id: Option<String>,
    /// Long-poll wait of each receive.
    pub wait: Duration,
    /// How long a received message stays hidden.
    pub visibility: Duration,
}

impl MoveOptions {
    pub fn new(dlq: impl Into<String>) -> Self {
        MoveOptions {
            dlq: dlq.into(),
            to: None,
            max: None,
            rate: None,
            filter: Filter::default(),
            dry_run: false,
            run_id: None,
            wait: Duration::from_secs(2),
            visibility: Duration::from_secs(120),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum StopReason {
    /// A receive came back empty: nothing visible is left.
    Drained,
    /// Only messages this run had already seen came back.
    OnlySeenLeft,
    MaxReached,
    Interrupted,
    /// An SQS call failed; see `error`.
    Error,
    /// Too many messages held back by filters at once.
    HoldLimit,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct CompanyTally {
    pub moved: u64,
    pub would_move: u64,
    pub skipped: u64,
    pub failed: u64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FailureNote {
    pub message_id: String,
    pub company: String,
    pub code: String,
    pub detail: String,
}

/// A message a dry run would move.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Planned {
    pub message_id: String,
    pub company: String,
    pub sent_at: Option<String>,
    pub group_id: Option<String>,
    pub dedup_id: Option<String>,
}

#[derive(Debug, Serialize)]
pub struct MoveSummary {
    pub dlq: String,
    pub target: String,
    pub run_id: String,
    pub dry_run: bool,
    pub target_fifo: bool,
    /// Visible messages in the DLQ when the run started (approximate).
    pub visible_at_start: u64,
    pub moved: u64,
    pub would_move: u64,
    pub skipped: u64,
    pub failed: u64,
    /// Sent to the target but not deleted from the DLQ: in both queues now.
    pub not_deleted: u64,
    pub companies: BTreeMap<String, CompanyTally>,
    pub skip_reasons: BTreeMap<String, u64>,
    pub failures: Vec<FailureNote>,
    pub planned: Vec<Planned>,
    pub stopped: Option<StopReason>,
    /// Held messages SQS did not take back at the end; visible after their timeout.
    pub unreleased: u64,
    pub error: Option<String>,
    #[serde(skip)]
    pub error_detail: Option<ReplayError>,
}

impl MoveSummary {
    fn attempted(&self) -> u64 {
        self.moved + self.would_move + self.failed
    }

    fn company(&mut self, key: &str) -> &mut CompanyTally {
        self.companies.entry(key.to_owned()).or_default()
    }

    fn fail(&mut self, message: &ReceivedMessage, company: &str, code: &str, detail: &str) {
        self.failed += 1;
        self.company(company).failed += 1;
        if self.failures.len() < MAX_LISTED_FAILURES {
            self.failures.push(FailureNote {
                message_id: message.message_id.clone(),
                company: company.to_owned(),
                code: code.to_owned(),
                detail: detail.to_owned(),
            });
        }
    }

    fn stop_with(&mut self, error: ReplayError) {
        self.stopped = Some(StopReason::Error);
        self.error = Some(error.to_string());
        self.error_detail = Some(error);
    }

    /// Everything matching was moved and nothing is left behind by a failure.
    pub fn is_clean(&self) -> bool {
        self.failed == 0 && self.not_deleted == 0 && self.error.is_none()
    }
}

/// Work out the target queue and check both queues before touching anything. Any error here
/// means nothing was received, sent or deleted.
pub async fn resolve_target<Q: QueueService>(
    queue: &Q,
    dlq: &str,
    to: Option<&str>,
) -> Result<String, ReplayError> {
    let target = match to {
        Some(url) => url.to_owned(),
        None => {
            let sources = queue.dead_letter_sources(dlq).await?;
            match sources.as_slice() {
                [only] => only.clone(),
                [] => {
                    return Err(ReplayError::usage(format!(
                        "no queue names {dlq} as its dead-letter queue; say where the messages go with --to URL"
                    )))
                }
                many => {
                    return Err(ReplayError::usage(format!(
                        "{} queues use {dlq} as their dead-letter queue ({}); choose one with --to URL",
                        many.len(),
                        many.join(", ")
                    )))
                }
            }
        }
    };
    if target.trim_end_matches('/') == dlq.trim_end_matches('/') {
        return Err(ReplayError::usage(format!(
            "the target {target} is the dead-letter queue itself; give the source queue with --to URL"
        )));
    }
    Ok(target)
}

/// The group id a message gets on a FIFO target: its own, else its company id (the report
/// path's choice), else its message id.
pub fn fifo_group(message: &ReceivedMessage, info: &BodyInfo) -> String {
    message
        .group_id()
        .map(str::to_owned)
        .or_else(|| info.company_id().map(str::to_owned))
        .unwrap_or_else(|| message.message_id.clone())
}

/// Move messages. `progress` is called once before the first receive and after every
/// batch. `Err` only when the run could not start (nothing touched); otherwise the
/// report says what happened, including an error that stopped the run part-way.
pub async fn run_move<Q: QueueService>(
    queue: &Q,
    opts: &MoveOptions,
    stop: &AtomicBool,
    progress: &mut dyn FnMut(&MoveSummary),
) -> Result<MoveSummary, ReplayError> {
    opts.filter.validate().map_err(ReplayError::Usage)?;
    if let Some(run_id) = &opts.run_id {
        validate_run_id(run_id).map_err(ReplayError::Usage)?;
    }
    if opts.rate.is_some_and(|r| r.is_nan() || r <= 0.0) {
        return Err(ReplayError::usage(
            "--rate must be a positive number of messages per second",
        ));
    }
    let dlq_info = queue.queue_info(&opts.dlq).await?;
    let target = resolve_target(queue, &opts.dlq, opts.to.as_deref()).await?;
    let target_info = queue.queue_info(&target).await?;
    let run_id = opts
        .run_id
        .clone()
        .unwrap_or_else(|| default_run_id(&opts.dlq, &target));

    let mut report = MoveSummary {
        dlq: opts.dlq.clone(),
        target: target.clone(),
        run_id: run_id.clone(),
        dry_run: opts.dry_run,
        target_fifo: target_info.fifo,
        visible_at_start: dlq_info.visible,
        moved: 0,
        would_move: 0,
        skipped: 0,
        failed: 0,
        not_deleted: 0,
        companies: BTreeMap::new(),
        skip_reasons: BTreeMap::new(),
        failures: Vec::new(),
        planned: Vec::new(),
        stopped: None,
        unreleased: 0,
        error: None,
        error_detail: None,
    };
    let mut holds = Holds::new(&opts.dlq, opts.visibility);
    let mut seen: HashSet<String> = HashSet::new();
    let mut pacer = Pacer::new(opts.rate);
    // The first call comes before anything is received: the caller can say what will happen.
    progress(&report);

    loop {
        if stop.load(Ordering::SeqCst) {
            report.stopped = Some(StopReason::Interrupted);
            break;
        }
        let remaining = opts.max.map(|m| m.saturating_sub(report.attempted()));
        if remaining == Some(0) {
            report.stopped = Some(StopReason::MaxReached);
            break;
        }
        if holds.len() >= MAX_HELD {
            report.stopped = Some(StopReason::HoldLimit);
            break;
        }
        if let Err(e) = holds.keep_alive(queue).await {
            report.stop_with(e);
            break;
        }
        let want = remaining.map_or(MAX_BATCH_ENTRIES, |r| {
            r.min(MAX_BATCH_ENTRIES as u64) as usize
        });
        let want = want.min(pacer.batch_size(MAX_BATCH_ENTRIES));
        let received = match queue
            .receive(&opts.dlq, want, opts.wait, opts.visibility)
            .await
        {
            Ok(r) => r,
            Err(e) => {
                report.stop_with(e.into());
                break;
            }
        };
        if received.is_empty() {
            report.stopped = Some(StopReason::Drained);
            break;
        }
        let (fresh, repeats): (Vec<_>, Vec<_>) = received
            .into_iter()
            .partition(|m| !seen.contains(&m.message_id));
        // Seen earlier in this run and shown again because their hold ran out: hold them
        // again (with the new receipt handle), untouched.
        holds_back(&mut holds, repeats);
        if fresh.is_empty() {
            report.stopped = Some(StopReason::OnlySeenLeft);
            break;
        }
        let now = Utc::now();
        let mut batch: Vec<(ReceivedMessage, BodyInfo)> = Vec::with_capacity(fresh.len());
        for m in fresh {
            seen.insert(m.message_id.clone());
            let info = BodyInfo::of(&m.body);
            if let Some(why) = opts.filter.rejects(&m, &info, now) {
                report.skipped += 1;
                report.company(info.company_key()).skipped += 1;
                *report.skip_reasons.entry(why.to_owned()).or_default() += 1;
                holds.hold(m);
            } else {
                batch.push((m, info));
            }
        }
        if batch.is_empty() {
            progress(&report);
            continue;
        }

        let entries: Vec<OutgoingMessage> = batch
            .iter()
            .enumerate()
            .map(|(i, (m, info))| OutgoingMessage {
                entry_id: i.to_string(),
                body: m.body.clone(),
                attributes: m.message_attributes.clone(),
                group_id: target_info.fifo.then(|| fifo_group(m, info)),
                dedup_id: target_info.fifo.then(|| dedup_id(&run_id, &m.message_id)),
            })
            .collect();

        if opts.dry_run {
            for ((m, info), entry) in batch.into_iter().zip(entries) {
                report.would_move += 1;
                report.company(info.company_key()).would_move += 1;
                report.planned.push(Planned {
                    message_id: m.message_id.clone(),
                    company: info.company_key().to_owned(),
                    sent_at: m.sent_at().map(|t| t.to_rfc3339()),
                    group_id: entry.group_id,
                    dedup_id: entry.dedup_id,
                });
                holds.hold(m);
            }
            progress(&report);
            continue;
        }

        pacer.admit(entries.len()).await;
        let refused = match queue.send_batch(&target, &entries).await {
            Ok(refused) => refused,
            Err(e) => {
                // Nothing of this batch is known to be in the target: all stay in the DLQ.
                let code = e.code().unwrap_or("SendFailed").to_owned();
                for (m, info) in &batch {
                    report.fail(m, info.company_key(), &code, &e.to_string());
                }
                let messages: Vec<ReceivedMessage> = batch.into_iter().map(|(m, _)| m).collect();
                let _ = release(queue, &opts.dlq, &messages).await;
                report.stop_with(e.into());
                break;
            }
        };
        let mut sent: Vec<(ReceivedMessage, BodyInfo)> = Vec::with_capacity(batch.len());
        for (i, (m, info)) in batch.into_iter().enumerate() {
            let id = i.to_string();
            if let Some(f) = refused.iter().find(|f| f.entry_id == id) {
                // Stays in the DLQ; held to the end so this run does not receive it again.
                report.fail(&m, info.company_key(), &f.code, &f.message);
                holds.hold(m);
            } else {
                sent.push((m, info));
            }
        }
        // Only now, and only for what the target accepted.
        let sent_handles = handles(sent.iter().map(|(m, _)| m));
        match queue.delete_batch(&opts.dlq, &sent_handles).await {
            Ok(not_deleted) => {
                for (i, (_, info)) in sent.iter().enumerate() {
                    report.moved += 1;
                    report.company(info.company_key()).moved += 1;
                    if not_deleted.iter().any(|f| f.entry_id == i.to_string()) {
                        report.not_deleted += 1;
                    }
                }
            }
            Err(e) => {
                for (_, info) in &sent {
                    report.moved += 1;
                    report.company(info.company_key()).moved += 1;
                }
                report.not_deleted += sent.len() as u64;
                report.stop_with(e.into());
            }
        }
        progress(&report);
        if report.error.is_some() {
            break;
        }
    }

    let released = holds.release_all(queue).await;
    report.unreleased = released.pending as u64;
    if let (Some(e), None) = (released.error, &report.error) {
        report.error = Some(e.to_string());
        report.error_detail = Some(e);
    }
    progress(&report);
    Ok(report)
}

fn holds_back(holds: &mut Holds, messages: Vec<ReceivedMessage>) {
    for m in messages {
        holds.hold(m);
    }
}

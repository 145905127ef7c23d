//! The scheduled refresh job outside the core: the Lambda's settings, what one invocation is
//! given and reports, and the seeding pass that files sets stored before the index existed.
//!
//! The job itself is `logofill_core::refresh::run_due`; the `logofill-refresh` binary and
//! `logofill refresh run` both call it with the S3 store and the SQS queue, so a run by hand is
//! exactly the scheduled one. What lives here is what both entry points share around it:
//!
//! - [`RefreshSettings`]: the three variables of the function ([`REFRESH_ENV_VARS`]). There is
//!   no time-limit variable: an invocation's limit comes from its own deadline
//!   ([`run_options_within`]), so it follows the function's `Timeout` instead of a second copy
//!   of it.
//! - [`NotingQueue`]: `run_due` counts the sets the queue refused; this keeps the first few
//!   reasons (the AWS error code, the queue, the IAM action) so a failed run says why.
//! - [`seed`]: sets written before the worker kept the index have no `refresh-due` and are in
//!   no day of the index, so no run would ever send them. Seeding lists `logos/` once, HEADs
//!   each sentinel and files every complete, unpinned set that is not filed. It is idempotent
//!   (a filed set is skipped), bounded by a time limit and resumable from a key.

use std::collections::BTreeMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use chrono::{DateTime, NaiveDate, Utc};
use logofill_core::config::{parse_log_level, ConfigError, Env, EnvVar};
use logofill_core::logo_set::{last_look, meta};
use logofill_core::metrics::{emf_line, Unit};
use logofill_core::queue::{EntryFailure, MessageQueue, OutgoingMessage, QueueError};
use logofill_core::refresh::{
    due_key, parse_day, parse_due_key, refile, RefreshPolicy, RunOptions, RunReport, SetState,
    DUE_PREFIX,
};
use logofill_core::store::{LogoStore, StoreError, LOGO_PREFIX, MAX_LIST_KEYS};
use logofill_core::CompanyId;
use serde::Serialize;

pub const BUCKET: EnvVar = EnvVar {
    name: "LOGOFILL_BUCKET",
    default: None,
    meaning: "S3 bucket of the logo sets, whose refresh index (refresh/due/) the job reads and deletes from",
};
pub const QUEUE_URL: EnvVar = EnvVar {
    name: "LOGOFILL_QUEUE_URL",
    default: None,
    meaning: "URL of the worker's SQS queue the due companies are sent to, with origin refresh",
};
pub const LOG_LEVEL: EnvVar = EnvVar {
    name: "LOGOFILL_LOG_LEVEL",
    default: Some("info"),
    meaning: "log level: error, warn, info, debug or trace",
};

/// Every variable the refresh function reads (besides the AWS SDK's standard ones).
pub const REFRESH_ENV_VARS: &[EnvVar] = &[BUCKET, QUEUE_URL, LOG_LEVEL];

/// What the refresh function is configured with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RefreshSettings {
    pub bucket: String,
    pub queue_url: String,
    pub log_level: tracing::Level,
}

/// An S3 bucket name as S3 allows it (3 to 63 of `a-z`, `0-9`, `.`, `-`), not a URI or ARN.
pub fn parse_bucket(raw: &str) -> Result<String, String> {
    let allowed = raw
        .bytes()
        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'.' || b == b'-');
    if (3..=63).contains(&raw.len()) && allowed {
        Ok(raw.to_string())
    } else {
        Err(
            "expected a bucket name (my-logos: 3 to 63 of a-z, 0-9, '.', '-'), not a URI or ARN"
                .into(),
        )
    }
}

/// Longest queue URL accepted (an SQS URL is about 100 characters).
pub const MAX_QUEUE_URL_LEN: usize = 1024;

/// A queue URL (`https://sqs.REGION.amazonaws.com/ACCOUNT/NAME`), not a name or ARN.
pub fn parse_queue_url(raw: &str) -> Result<String, String> {
    let scheme = raw.starts_with("https://") || raw.starts_with("http://");
    if scheme && raw.len() <= MAX_QUEUE_URL_LEN && raw.chars().all(|c| c.is_ascii_graphic()) {
        Ok(raw.to_string())
    } else {
        Err("expected the queue URL (https://sqs.REGION.amazonaws.com/ACCOUNT/NAME), not a name or ARN".into())
    }
}

impl RefreshSettings {
    pub fn from_env(env: &dyn Env) -> Result<Self, ConfigError> {
        Ok(RefreshSettings {
            bucket: BUCKET.parse_with(env, parse_bucket)?,
            queue_url: QUEUE_URL.parse_with(env, parse_queue_url)?,
            log_level: LOG_LEVEL.parse_with(env, parse_log_level)?,
        })
    }
}

/// Most of an invocation's time the run itself may use, before it stops after its page.
pub const MAX_MARGIN: Duration = Duration::from_secs(120);

/// Run options for an invocation with `remaining` time before its deadline: the default
/// concurrency, and a time limit that leaves a quarter of the time, at most [`MAX_MARGIN`],
/// for the page in flight (one LIST, its sends, one DeleteObjects). At Lambda's 900 s this is
/// the default 780 s.
pub fn run_options_within(remaining: Duration) -> RunOptions {
    let margin = (remaining / 4).min(MAX_MARGIN);
    RunOptions {
        time_limit: remaining.saturating_sub(margin),
        ..RunOptions::default()
    }
}

/// Longest text kept from one field of an invocation's event.
pub const MAX_EVENT_FIELD_CHARS: usize = 128;

/// What an invocation's event says about itself, for the log line.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EventInfo {
    pub id: Option<String>,
    pub time: Option<String>,
    pub source: Option<String>,
    pub detail_type: Option<String>,
}

/// Read an invocation's event: any JSON object (a scheduled EventBridge event, `{}` from a run
/// by hand). Only `id`, `time`, `source` and `detail-type` are read, and only when they are
/// strings, each cut to [`MAX_EVENT_FIELD_CHARS`]; the rest is ignored.
pub fn describe_event(event: &serde_json::Value) -> Result<EventInfo, String> {
    let object = event.as_object().ok_or_else(|| {
        let kind = match event {
            serde_json::Value::Null => "null",
            serde_json::Value::Bool(_) => "a boolean",
            serde_json::Value::Number(_) => "a number",
            serde_json::Value::String(_) => "a string",
            serde_json::Value::Array(_) => "an array",
            serde_json::Value::Object(_) => "an object",
        };
        format!("the event is {kind}; the refresh function takes a JSON object (a scheduled event, or {{}})")
    })?;
    let field = |name: &str| {
        object
            .get(name)
            .and_then(|v| v.as_str())
            .map(|s| s.chars().take(MAX_EVENT_FIELD_CHARS).collect())
    };
    Ok(EventInfo {
        id: field("id"),
        time: field("time"),
        source: field("source"),
        detail_type: field("detail-type"),
    })
}

/// The invocation's one CloudWatch EMF line (namespace `logofill`, `function=refresh`).
pub fn metrics_line(report: &RunReport, took: Duration, timestamp_ms: i64) -> String {
    emf_line(
        "refresh",
        timestamp_ms,
        &[
            ("sent", report.sent as f64, Unit::Count),
            ("failed", report.failed as f64, Unit::Count),
            ("removed", report.removed as f64, Unit::Count),
            ("malformed", report.malformed as f64, Unit::Count),
            ("list_requests", report.list_requests as f64, Unit::Count),
            (
                "delete_requests",
                report.delete_requests as f64,
                Unit::Count,
            ),
            ("send_requests", report.send_requests as f64, Unit::Count),
            (
                "stopped_early",
                f64::from(u8::from(report.stopped_early)),
                Unit::Count,
            ),
            ("duration", took.as_secs_f64() * 1000.0, Unit::Milliseconds),
        ],
    )
}

/// Why a run that returned counts as failed: every due set was refused by the queue (a
/// missing permission or a wrong queue sends nothing, and must raise the alarm like a store
/// error). Some refused among many sent is a warning: those stay filed for the next run.
pub fn nothing_sent(report: &RunReport, reasons: &[String]) -> Option<String> {
    (report.sent == 0 && report.failed > 0).then(|| {
        format!(
            "none of the {} due sets could be sent (they stay filed for the next run): {}",
            report.failed,
            reasons
                .first()
                .map(String::as_str)
                .unwrap_or("no reason given")
        )
    })
}

/// Failure reasons a [`NotingQueue`] keeps.
pub const MAX_NOTED_FAILURES: usize = 5;

/// A queue that passes every call on and keeps the first [`MAX_NOTED_FAILURES`] distinct
/// reasons a send failed for, in the queue's words (code, queue, IAM action).
#[derive(Debug)]
pub struct NotingQueue<Q> {
    inner: Q,
    noted: Mutex<Vec<String>>,
}

impl<Q: MessageQueue> NotingQueue<Q> {
    pub fn new(inner: Q) -> Self {
        NotingQueue {
            inner,
            noted: Mutex::new(Vec::new()),
        }
    }

    /// The reasons noted so far, first first.
    pub fn failures(&self) -> Vec<String> {
        self.noted.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }

    fn note(&self, reason: String) {
        let mut noted = self.noted.lock().unwrap_or_else(|e| e.into_inner());
        if noted.len() < MAX_NOTED_FAILURES && !noted.contains(&reason) {
            noted.push(reason);
        }
    }
}

impl<Q: MessageQueue> MessageQueue for NotingQueue<Q> {
    fn name(&self) -> &str {
        self.inner.name()
    }

    fn is_fifo(&self) -> bool {
        self.inner.is_fifo()
    }

    async fn send_batch(&self, batch: &[OutgoingMessage]) -> Result<Vec<EntryFailure>, QueueError> {
        let result = self.inner.send_batch(batch).await;
        match &result {
            Ok(failures) => {
                for f in failures {
                    self.note(format!(
                        "{} on sqs:SendMessage to {}: {}",
                        f.code,
                        self.inner.name(),
                        f.message
                    ));
                }
            }
            Err(e) => self.note(e.to_string()),
        }
        result
    }
}

/// Most index keys [`due_counts`] reads by default, and at most.
pub const DEFAULT_DUE_KEYS: u64 = 100_000;
pub const MAX_DUE_KEYS: u64 = 10_000_000;
/// Days before today that [`due_counts`] counts one by one; older ones are counted together.
pub const DUE_DAYS_BACK: u64 = 366;

/// How many sets the index holds per day, up to a day: what a run would send, and after.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DueCounts {
    pub today: NaiveDate,
    /// The last day counted (today and the days after it that were asked for).
    pub through: NaiveDate,
    /// Sets per day, from [`DUE_DAYS_BACK`] days before today to `through`.
    pub days: BTreeMap<NaiveDate, u64>,
    /// Sets due on or before today: what a run today sends.
    pub due: u64,
    /// Sets due after today, up to `through`.
    pub upcoming: u64,
    /// Sets due more than [`DUE_DAYS_BACK`] days ago (in `due`, not in `days`).
    pub older: u64,
    /// The first day filed.
    pub oldest: Option<NaiveDate>,
    /// Keys under the prefix that the index never writes.
    pub malformed: u64,
    pub keys_read: u64,
    pub list_requests: u64,
    /// `max_keys` was reached before `through`: the counts are a lower bound.
    pub truncated: bool,
}

/// Count the index, read-only, in key order: every day up to `today` plus `days_after`,
/// reading at most `max_keys` keys (one LIST per 1,000).
pub async fn due_counts<S: LogoStore>(
    store: &S,
    today: NaiveDate,
    days_after: u64,
    max_keys: u64,
) -> Result<DueCounts, StoreError> {
    let through = today
        .checked_add_days(chrono::Days::new(days_after))
        .unwrap_or(today);
    let first_counted = today
        .checked_sub_days(chrono::Days::new(DUE_DAYS_BACK))
        .unwrap_or(NaiveDate::MIN);
    let mut counts = DueCounts {
        today,
        through,
        days: BTreeMap::new(),
        due: 0,
        upcoming: 0,
        older: 0,
        oldest: None,
        malformed: 0,
        keys_read: 0,
        list_requests: 0,
        truncated: false,
    };
    let mut after: Option<String> = None;
    'pages: loop {
        let left = max_keys.saturating_sub(counts.keys_read);
        if left == 0 {
            counts.truncated = true;
            break;
        }
        let limit = (left as usize).min(MAX_LIST_KEYS);
        let page = store.list(DUE_PREFIX, after.as_deref(), limit).await?;
        counts.list_requests += 1;
        for key in &page.keys {
            let Some((day, _)) = parse_due_key(key) else {
                counts.keys_read += 1;
                counts.malformed += 1;
                continue;
            };
            if day > through {
                break 'pages;
            }
            counts.keys_read += 1;
            counts.oldest.get_or_insert(day);
            if day <= today {
                counts.due += 1;
            } else {
                counts.upcoming += 1;
            }
            if day < first_counted {
                counts.older += 1;
            } else {
                *counts.days.entry(day).or_default() += 1;
            }
        }
        after = page.keys.last().cloned();
        if page.next.is_none() {
            break;
        }
    }
    Ok(counts)
}

/// Sets seeded at once.
pub const SEED_CONCURRENCY: usize = 16;

/// How a seeding pass goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SeedOptions {
    /// Start after this key of `logos/` (the `resume_after` of a pass that stopped).
    pub start_after: Option<String>,
    /// Stop after the page in hand once the pass has taken this long; `None`: no limit.
    pub time_limit: Option<Duration>,
    /// Sets looked at and filed at once.
    pub concurrency: usize,
}

impl Default for SeedOptions {
    fn default() -> Self {
        SeedOptions {
            start_after: None,
            time_limit: None,
            concurrency: SEED_CONCURRENCY,
        }
    }
}

/// What a seeding pass did, and the requests it made.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct SeedReport {
    /// Keys read under `logos/`.
    pub keys_listed: u64,
    /// Keys under `logos/` that name no valid company id; left alone.
    pub skipped_keys: u64,
    /// Complete sets found (their sentinel listed).
    pub sets: u64,
    /// Sets filed in the index by this pass.
    pub filed: u64,
    /// Sets that already had `refresh-due` (and, for a day gone by, its index key).
    pub already_filed: u64,
    /// Sets filed again: their `refresh-due` had passed and its key was gone (in `filed`).
    pub refiled: u64,
    /// Pinned sets: never filed.
    pub pinned: u64,
    /// Sets whose `kind` is none the worker writes; left alone.
    pub unknown_kind: u64,
    /// Sentinels listed but gone by the time they were read (deleted meanwhile).
    pub gone: u64,
    /// The earliest and latest day a set was filed under.
    pub earliest_due: Option<NaiveDate>,
    pub latest_due: Option<NaiveDate>,
    /// Sets filed per day, for the days this pass filed under.
    pub filed_by_day: BTreeMap<NaiveDate, u64>,
    pub list_requests: u64,
    /// HEADs of sentinels (`replace_metadata` makes one more of its own on S3).
    pub head_requests: u64,
    /// Index keys written, and sentinel metadata updates (S3: a copy onto itself).
    pub put_requests: u64,
    pub metadata_updates: u64,
    /// The pass stopped at its time limit with keys left.
    pub stopped_early: bool,
    /// Where the next pass starts (`--start-after`) when this one stopped early or failed.
    pub resume_after: Option<String>,
}

/// A seeding pass stopped by the store: what it had done, and where to go on from.
#[derive(Debug, thiserror::Error)]
#[error("seeding stopped after {} sets filed: {error}", report.filed)]
pub struct SeedError {
    pub report: SeedReport,
    pub error: StoreError,
}

/// What one sentinel says about its set's refresh.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SeedVerdict {
    /// File it, as a set in this state, last looked at then.
    File(SetState, DateTime<Utc>),
    /// Its `refresh-due` names this day; were its key lost, it would be filed as `File` says.
    Filed(NaiveDate, SetState, DateTime<Utc>),
    Pinned,
    UnknownKind,
}

/// What to do with a sentinel of this metadata and Last-Modified. A set is pinned when its
/// `pinned` is `true` (an unpinned `manual` set is a logo); a placeholder is `blocked` or looked for a logo
/// `attempts` times; a set without `kind` is a logo (sets written before `kind` existed). It
/// was last looked at when `checked-at`, else `stored-at`, else its Last-Modified says. A
/// `refresh-due` that is no day counts as none.
pub fn seed_verdict(
    metadata: &BTreeMap<String, String>,
    last_modified: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
) -> SeedVerdict {
    if metadata.get(meta::PINNED).map(String::as_str) == Some("true") {
        return SeedVerdict::Pinned;
    }
    let state = match metadata.get(meta::KIND).map(String::as_str) {
        None | Some("logo") => SetState::Logo,
        // An operator's set is pinned while `pinned` says so; unpinned, it is refreshed as a logo.
        Some("manual") => SetState::Logo,
        Some("placeholder") => match metadata.get(meta::REASON).map(String::as_str) {
            Some("blocked") => SetState::Blocked,
            _ => SetState::NoLogo {
                attempts: metadata
                    .get(meta::ATTEMPTS)
                    .and_then(|v| v.parse().ok())
                    .unwrap_or(0),
            },
        },
        Some(_) => return SeedVerdict::UnknownKind,
    };
    let looked = last_look(metadata, last_modified).unwrap_or(now);
    match metadata.get(meta::REFRESH_DUE).and_then(|v| parse_day(v)) {
        Some(day) => SeedVerdict::Filed(day, state, looked),
        None => SeedVerdict::File(state, looked),
    }
}

/// FNV-1a of the company id: a spread that is the same on every run and every machine.
fn spread_of(company: &CompanyId) -> u64 {
    company
        .as_str()
        .bytes()
        .fold(0xcbf2_9ce4_8422_2325_u64, |h, b| {
            (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
        })
}

/// The day a seeded set is filed under. A set whose due day (from when it was last looked at)
/// is still ahead keeps it. An overdue one is filed on a day spread over its state's own
/// period from today (a logo: the next `logo_after`), by its company id: a bucket of sets older
/// than the period would otherwise all come due on the first day, and the steady state is
/// about one period's share each day. `None`: never (pinned).
pub fn seeded_due(
    policy: &RefreshPolicy,
    state: SetState,
    company: &CompanyId,
    last_looked: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Option<NaiveDate> {
    let today = now.date_naive();
    let natural = policy.next_due(state, last_looked.min(now))?;
    if natural >= today {
        return Some(natural);
    }
    let period = policy
        .next_due(state, now)?
        .signed_duration_since(today)
        .num_days()
        .max(1) as u64;
    Some(today + chrono::Days::new(spread_of(company) % period))
}

enum SeedOutcome {
    Filed(NaiveDate),
    /// Filed again: its `refresh-due` had passed and its index key was gone.
    Refiled(NaiveDate),
    AlreadyFiled,
    Pinned,
    UnknownKind,
    Gone,
}

async fn seed_one<S: LogoStore>(
    store: &S,
    policy: &RefreshPolicy,
    key: &str,
    company: &CompanyId,
    now: DateTime<Utc>,
) -> Result<SeedOutcome, StoreError> {
    let Some(head) = store.head(key).await? else {
        return Ok(SeedOutcome::Gone);
    };
    let (state, looked, lost) = match seed_verdict(&head.metadata, head.last_modified, now) {
        SeedVerdict::File(state, looked) => (state, looked, false),
        // A day still ahead is what the worker filed; a day gone by whose key is still there
        // is due for the next run. A day gone by without its key was sent and its message
        // never handled (lost past the queue's retention, or still in the dead-letter queue):
        // filed again, else no run would send it.
        SeedVerdict::Filed(day, state, looked) => {
            if day >= now.date_naive() || store.head(&due_key(day, company)).await?.is_some() {
                return Ok(SeedOutcome::AlreadyFiled);
            }
            (state, looked, true)
        }
        SeedVerdict::Pinned => return Ok(SeedOutcome::Pinned),
        SeedVerdict::UnknownKind => return Ok(SeedOutcome::UnknownKind),
    };
    let Some(day) = seeded_due(policy, state, company, looked, now) else {
        return Ok(SeedOutcome::Pinned);
    };
    // The index key first: a failure after it leaves a set filed whose sentinel does not say
    // so, which the next pass files again under the same day.
    refile(store, company, None, Some(day)).await?;
    let mut metadata = head.metadata;
    metadata.insert(
        meta::REFRESH_DUE.to_string(),
        day.format("%Y-%m-%d").to_string(),
    );
    store.replace_metadata(key, metadata).await?;
    Ok(if lost {
        SeedOutcome::Refiled(day)
    } else {
        SeedOutcome::Filed(day)
    })
}

/// The company whose sentinel `key` is (`logos/{id}/{largest}.png`); `Err(())` for a key that
/// names no valid company, `Ok(None)` for any other object of a set.
fn sentinel_of(key: &str, sentinel_file: &str) -> Result<Option<CompanyId>, ()> {
    let rest = key.strip_prefix(LOGO_PREFIX).ok_or(())?;
    let (id, file) = rest.split_once('/').ok_or(())?;
    let company = CompanyId::parse(id).map_err(|_| ())?;
    Ok((file == sentinel_file).then_some(company))
}

/// File every complete, unpinned set under `logos/` that has no `refresh-due`: list the
/// prefix (pages of 1,000 keys), HEAD each sentinel (the largest PNG of `sizes`), file the set
/// under its due day ([`seeded_due`]) and record that day in the sentinel's metadata.
pub async fn seed<S: LogoStore>(
    store: &S,
    policy: RefreshPolicy,
    sizes: &[u32],
    now: DateTime<Utc>,
    options: SeedOptions,
) -> Result<SeedReport, SeedError> {
    let started = Instant::now();
    let largest = sizes.iter().copied().max().unwrap_or(256);
    let sentinel_file = format!("{largest}.png");
    let concurrency = options.concurrency.max(1);
    let mut report = SeedReport::default();
    let mut after = options.start_after.clone();
    loop {
        if options
            .time_limit
            .is_some_and(|limit| started.elapsed() >= limit)
        {
            report.stopped_early = true;
            report.resume_after = after;
            break;
        }
        let page = match store
            .list(LOGO_PREFIX, after.as_deref(), MAX_LIST_KEYS)
            .await
        {
            Ok(page) => page,
            Err(error) => {
                report.resume_after = after;
                return Err(SeedError { report, error });
            }
        };
        report.list_requests += 1;
        report.keys_listed += page.keys.len() as u64;
        let mut sentinels = Vec::new();
        for key in &page.keys {
            match sentinel_of(key, &sentinel_file) {
                Ok(Some(company)) => sentinels.push((key.as_str(), company)),
                Ok(None) => {}
                Err(()) => report.skipped_keys += 1,
            }
        }
        report.sets += sentinels.len() as u64;
        for group in sentinels.chunks(concurrency) {
            let results = futures_util::future::join_all(
                group
                    .iter()
                    .map(|(key, company)| seed_one(store, &policy, key, company, now)),
            )
            .await;
            let mut failed = None;
            for result in results {
                match result {
                    Ok(outcome) => {
                        report.head_requests += 1;
                        if matches!(outcome, SeedOutcome::Refiled(_)) {
                            report.refiled += 1;
                        }
                        match outcome {
                            SeedOutcome::Filed(day) | SeedOutcome::Refiled(day) => {
                                report.filed += 1;
                                report.put_requests += 1;
                                report.metadata_updates += 1;
                                *report.filed_by_day.entry(day).or_default() += 1;
                                report.earliest_due =
                                    Some(report.earliest_due.map_or(day, |d| d.min(day)));
                                report.latest_due =
                                    Some(report.latest_due.map_or(day, |d| d.max(day)));
                            }
                            SeedOutcome::AlreadyFiled => report.already_filed += 1,
                            SeedOutcome::Pinned => report.pinned += 1,
                            SeedOutcome::UnknownKind => report.unknown_kind += 1,
                            SeedOutcome::Gone => report.gone += 1,
                        }
                    }
                    Err(error) => {
                        failed.get_or_insert(error);
                    }
                }
            }
            if let Some(error) = failed {
                // The page is done again from its start: filed sets read as filed then.
                report.resume_after = after;
                return Err(SeedError { report, error });
            }
        }
        after = page.keys.last().cloned();
        if page.next.is_none() {
            break;
        }
    }
    Ok(report)
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use logofill_core::queue::MemoryQueue;
    use logofill_core::store::{MemoryStore, StoredObject};

    use super::*;

    fn env(pairs: &[(&'static str, &'static str)]) -> HashMap<&'static str, &'static str> {
        pairs.iter().copied().collect()
    }

    const BASE: [(&str, &str); 2] = [
        ("LOGOFILL_BUCKET", "logos"),
        (
            "LOGOFILL_QUEUE_URL",
            "https://sqs.eu-west-1.amazonaws.com/123456789012/logofill",
        ),
    ];

    #[test]
    fn settings_read_the_three_variables_and_name_a_bad_one() {
        let s = RefreshSettings::from_env(&env(&BASE)).unwrap();
        assert_eq!(s.bucket, "logos");
        assert_eq!(s.log_level, tracing::Level::INFO);
        for (var, value) in [
            ("LOGOFILL_BUCKET", "s3://logos"),
            ("LOGOFILL_BUCKET", "arn:aws:s3:::logos"),
            ("LOGOFILL_BUCKET", "Logos"),
            ("LOGOFILL_QUEUE_URL", "logofill"),
            (
                "LOGOFILL_QUEUE_URL",
                "arn:aws:sqs:eu-west-1:123456789012:logofill",
            ),
            ("LOGOFILL_LOG_LEVEL", "chatty"),
        ] {
            let mut e = env(&BASE);
            e.insert(var, value);
            let err = RefreshSettings::from_env(&e).unwrap_err().to_string();
            assert!(err.starts_with(var), "{var}={value}: {err}");
        }
        for var in ["LOGOFILL_BUCKET", "LOGOFILL_QUEUE_URL"] {
            let mut e = env(&BASE);
            e.remove(var);
            let err = RefreshSettings::from_env(&e).unwrap_err().to_string();
            assert!(err.starts_with(&format!("{var} is not set")), "{err}");
        }
        let longest = format!("https://q/{}", "a".repeat(MAX_QUEUE_URL_LEN - 10));
        assert!(parse_queue_url(&longest).is_ok());
        assert!(parse_queue_url(&format!("{longest}a")).is_err());
        assert!(parse_bucket(&"a".repeat(63)).is_ok());
        assert!(parse_bucket(&"a".repeat(64)).is_err());
    }

    #[test]
    fn an_invocation_keeps_a_quarter_of_its_time_at_most_two_minutes() {
        assert_eq!(
            run_options_within(Duration::from_secs(900)),
            RunOptions::default()
        );
        assert_eq!(
            run_options_within(Duration::from_secs(40)).time_limit,
            Duration::from_secs(30)
        );
        assert_eq!(
            run_options_within(Duration::ZERO).time_limit,
            Duration::ZERO
        );
    }

    #[test]
    fn any_object_is_an_event_and_only_its_string_fields_are_read() {
        let scheduled = serde_json::json!({
            "version": "0", "id": "53dc4d37", "detail-type": "Scheduled Event",
            "source": "aws.events", "time": "2026-12-02T03:00:00Z", "detail": {}
        });
        let info = describe_event(&scheduled).unwrap();
        assert_eq!(info.id.as_deref(), Some("53dc4d37"));
        assert_eq!(info.detail_type.as_deref(), Some("Scheduled Event"));
        assert_eq!(
            describe_event(&serde_json::json!({})).unwrap(),
            EventInfo::default()
        );
        let odd = serde_json::json!({"id": 7, "time": "x".repeat(10_000)});
        let info = describe_event(&odd).unwrap();
        assert_eq!(info.id, None);
        assert_eq!(info.time.unwrap().len(), MAX_EVENT_FIELD_CHARS);
        for bad in [
            serde_json::json!([]),
            serde_json::json!("go"),
            serde_json::Value::Null,
        ] {
            let err = describe_event(&bad).unwrap_err();
            assert!(err.contains("takes a JSON object"), "{err}");
        }
    }

    #[test]
    fn the_metrics_line_counts_the_run() {
        let report = RunReport {
            sent: 25,
            removed: 25,
            list_requests: 1,
            delete_requests: 1,
            send_requests: 3,
            ..RunReport::default()
        };
        let line: serde_json::Value =
            serde_json::from_str(&metrics_line(&report, Duration::from_millis(1500), 1)).unwrap();
        assert_eq!(line["function"], "refresh");
        assert_eq!(
            line["_aws"]["CloudWatchMetrics"][0]["Namespace"],
            "logofill"
        );
        assert_eq!(line["sent"], 25.0);
        assert_eq!(line["send_requests"], 3.0);
        assert_eq!(line["failed"], 0.0);
        assert_eq!(line["duration"], 1500.0);
    }

    fn block<F: std::future::Future>(f: F) -> F::Output {
        tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap()
            .block_on(f)
    }

    fn at(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    fn day(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    #[test]
    fn a_queue_that_refuses_everything_fails_the_run_with_its_reason() {
        let queue = NotingQueue::new(MemoryQueue::new("refresh", false));
        queue
            .inner
            .service()
            .refuse_bodies_containing("\"company_id\"", "AccessDenied");
        let store = MemoryStore::new();
        for n in 0..12 {
            let company = CompanyId::parse(&format!("c{n}")).unwrap();
            block(refile(&store, &company, None, Some(day("2026-12-01")))).unwrap();
        }
        let report = block(logofill_core::refresh::run_due(
            &store,
            &queue,
            day("2026-12-02"),
            at("2026-12-02T03:00:00Z"),
            RunOptions::default(),
        ))
        .unwrap();
        assert_eq!((report.sent, report.failed), (0, 12));
        let reasons = queue.failures();
        assert_eq!(reasons.len(), 1, "one distinct reason: {reasons:?}");
        assert!(reasons[0].starts_with("AccessDenied on sqs:SendMessage to"));
        let verdict = nothing_sent(&report, &reasons).unwrap();
        assert!(verdict.contains("none of the 12 due sets"), "{verdict}");
        assert!(verdict.contains("AccessDenied"), "{verdict}");
        let partly = RunReport {
            sent: 1,
            failed: 3,
            ..RunReport::default()
        };
        assert_eq!(nothing_sent(&partly, &reasons), None);
        assert_eq!(nothing_sent(&RunReport::default(), &[]), None);
    }

    fn sentinel(store: &MemoryStore, id: &str, metadata: &[(&str, &str)]) {
        for (size, format) in [(64, "png"), (64, "webp"), (256, "webp"), (256, "png")] {
            block(
                store.put(StoredObject {
                    key: format!("logos/{id}/{size}.{format}"),
                    bytes: b"img".to_vec(),
                    content_type: format!("image/{format}"),
                    cache_control: "public, max-age=86400".into(),
                    metadata: metadata
                        .iter()
                        .map(|(k, v)| (k.to_string(), v.to_string()))
                        .collect(),
                }),
            )
            .unwrap();
        }
    }

    const POLICY: RefreshPolicy = RefreshPolicy {
        logo_after: Duration::from_secs(30 * 86_400),
        blocked_retry: Duration::from_secs(86_400),
    };

    #[test]
    fn states_come_from_the_sentinel_and_pinned_sets_are_never_filed() {
        let now = at("2026-12-02T10:00:00Z");
        let m = |pairs: &[(&str, &str)]| -> BTreeMap<String, String> {
            pairs
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect()
        };
        let stored = at("2026-11-20T00:00:00Z");
        assert_eq!(
            seed_verdict(&m(&[]), Some(stored), now),
            SeedVerdict::File(SetState::Logo, stored)
        );
        assert_eq!(
            seed_verdict(
                &m(&[("kind", "placeholder"), ("reason", "blocked")]),
                None,
                now
            ),
            SeedVerdict::File(SetState::Blocked, now)
        );
        assert_eq!(
            seed_verdict(
                &m(&[
                    ("kind", "placeholder"),
                    ("reason", "no-logo"),
                    ("attempts", "3"),
                    ("stored-at", "2026-11-01T00:00:00Z"),
                    ("checked-at", "2026-11-30T00:00:00Z"),
                ]),
                Some(stored),
                now
            ),
            SeedVerdict::File(SetState::NoLogo { attempts: 3 }, at("2026-11-30T00:00:00Z"))
        );
        assert!(
            matches!(
                seed_verdict(&m(&[("kind", "manual")]), None, now),
                SeedVerdict::File(SetState::Logo, _)
            ),
            "an unpinned manual set is refreshed as a logo"
        );
        assert_eq!(
            seed_verdict(&m(&[("kind", "manual"), ("pinned", "true")]), None, now),
            SeedVerdict::Pinned
        );
        assert_eq!(
            seed_verdict(&m(&[("kind", "logo"), ("pinned", "true")]), None, now),
            SeedVerdict::Pinned
        );
        assert_eq!(
            seed_verdict(&m(&[("refresh-due", "2026-12-20")]), None, now),
            SeedVerdict::Filed(day("2026-12-20"), SetState::Logo, now)
        );
        assert_eq!(
            seed_verdict(
                &m(&[("refresh-due", "soon"), ("kind", "logo")]),
                Some(stored),
                now
            ),
            SeedVerdict::File(SetState::Logo, stored),
            "a refresh-due that is no day is no filing"
        );
        assert_eq!(
            seed_verdict(&m(&[("kind", "<script>")]), None, now),
            SeedVerdict::UnknownKind
        );
    }

    #[test]
    fn a_recent_set_keeps_its_day_and_overdue_sets_spread_over_the_period() {
        let now = at("2026-12-02T10:00:00Z");
        let acme = CompanyId::parse("acme").unwrap();
        assert_eq!(
            seeded_due(
                &POLICY,
                SetState::Logo,
                &acme,
                at("2026-11-20T08:00:00Z"),
                now
            ),
            Some(day("2026-12-20"))
        );
        assert_eq!(
            seeded_due(
                &POLICY,
                SetState::Logo,
                &acme,
                at("2027-06-01T00:00:00Z"),
                now
            ),
            Some(day("2027-01-01")),
            "a stored-at in the future counts as now"
        );
        assert_eq!(seeded_due(&POLICY, SetState::Pinned, &acme, now, now), None);
        let mut days = std::collections::BTreeSet::new();
        for n in 0..3_000 {
            let company = CompanyId::parse(&format!("company-{n}")).unwrap();
            let due = seeded_due(
                &POLICY,
                SetState::Logo,
                &company,
                at("2025-01-01T00:00:00Z"),
                now,
            )
            .unwrap();
            assert!(due >= day("2026-12-02") && due < day("2027-01-01"), "{due}");
            days.insert(due);
            assert_eq!(
                Some(due),
                seeded_due(
                    &POLICY,
                    SetState::Logo,
                    &company,
                    at("2025-01-01T00:00:00Z"),
                    now
                ),
                "the same day on every run"
            );
        }
        assert_eq!(days.len(), 30, "every day of the period gets its share");
        assert_eq!(
            seeded_due(
                &POLICY,
                SetState::Blocked,
                &acme,
                at("2025-01-01T00:00:00Z"),
                now
            ),
            Some(day("2026-12-02")),
            "a one-day period: today"
        );
    }

    #[test]
    fn seeding_files_complete_unpinned_unfiled_sets_once() {
        let store = MemoryStore::new();
        let now = at("2026-12-02T10:00:00Z");
        sentinel(
            &store,
            "acme",
            &[("kind", "logo"), ("stored-at", "2026-11-20T00:00:00Z")],
        );
        sentinel(
            &store,
            "kakao",
            &[
                ("kind", "placeholder"),
                ("reason", "no-logo"),
                ("attempts", "1"),
                ("stored-at", "2026-12-02T09:00:00Z"),
            ],
        );
        sentinel(&store, "pinned", &[("kind", "manual"), ("pinned", "true")]);
        sentinel(
            &store,
            "filed",
            &[("kind", "logo"), ("refresh-due", "2026-12-24")],
        );
        // Only part of a set: no sentinel, nothing to file.
        block(store.put(StoredObject {
            key: "logos/partial/64.png".into(),
            bytes: b"img".to_vec(),
            content_type: "image/png".into(),
            cache_control: String::new(),
            metadata: BTreeMap::new(),
        }))
        .unwrap();
        block(store.put(StoredObject {
            key: "logos/bad id!/256.png".into(),
            bytes: Vec::new(),
            content_type: "image/png".into(),
            cache_control: String::new(),
            metadata: BTreeMap::new(),
        }))
        .unwrap();

        let report = block(seed(
            &store,
            POLICY,
            &[64, 128, 256],
            now,
            SeedOptions::default(),
        ))
        .unwrap();
        assert_eq!(report.sets, 4);
        assert_eq!(report.filed, 2);
        assert_eq!(report.pinned, 1);
        assert_eq!(report.already_filed, 1);
        assert_eq!(report.skipped_keys, 1);
        assert_eq!(report.list_requests, 1);
        assert_eq!(report.earliest_due, Some(day("2026-12-03")));
        assert_eq!(report.latest_due, Some(day("2026-12-20")));
        let acme = store.get("logos/acme/256.png").unwrap();
        assert_eq!(acme.metadata["refresh-due"], "2026-12-20");
        assert_eq!(acme.metadata["stored-at"], "2026-11-20T00:00:00Z", "kept");
        assert_eq!(
            store
                .get("logos/acme/64.png")
                .unwrap()
                .metadata
                .get("refresh-due"),
            None,
            "only the sentinel carries it"
        );
        let acme_id = CompanyId::parse("acme").unwrap();
        assert!(store.get(&due_key(day("2026-12-20"), &acme_id)).is_some());
        let index = block(store.list(DUE_PREFIX, None, 100)).unwrap();
        assert_eq!(
            index.keys,
            [
                "refresh/due/2026-12-03/kakao",
                "refresh/due/2026-12-20/acme"
            ]
        );
        assert!(!store
            .get("logos/pinned/256.png")
            .unwrap()
            .metadata
            .contains_key("refresh-due"));

        let again = block(seed(
            &store,
            POLICY,
            &[64, 128, 256],
            now,
            SeedOptions::default(),
        ))
        .unwrap();
        assert_eq!((again.filed, again.already_filed), (0, 3), "idempotent");
    }

    #[test]
    fn a_set_whose_day_passed_without_its_key_is_filed_again() {
        let store = MemoryStore::new();
        let now = at("2026-12-02T10:00:00Z");
        // Sent on 11-20, its message never handled: the key is gone, the sentinel says 11-20.
        sentinel(
            &store,
            "lost",
            &[
                ("kind", "placeholder"),
                ("reason", "blocked"),
                ("stored-at", "2026-11-19T08:00:00Z"),
                ("refresh-due", "2026-11-20"),
            ],
        );
        // Due on 11-30 and not yet sent: its key is there.
        sentinel(
            &store,
            "waiting",
            &[("kind", "logo"), ("refresh-due", "2026-11-30")],
        );
        let waiting = CompanyId::parse("waiting").unwrap();
        block(refile(&store, &waiting, None, Some(day("2026-11-30")))).unwrap();
        let report = block(seed(&store, POLICY, &[256], now, SeedOptions::default())).unwrap();
        assert_eq!((report.filed, report.refiled), (1, 1));
        assert_eq!(report.already_filed, 1);
        assert_eq!(report.head_requests, 2);
        let index = block(store.list(DUE_PREFIX, None, 100)).unwrap();
        assert_eq!(
            index.keys,
            [
                "refresh/due/2026-11-30/waiting",
                "refresh/due/2026-12-02/lost"
            ]
        );
        assert_eq!(
            store.get("logos/lost/256.png").unwrap().metadata["refresh-due"],
            "2026-12-02"
        );
    }

    #[test]
    fn a_pass_stops_at_its_time_limit_and_resumes_where_it_stopped() {
        let store = MemoryStore::new();
        let now = at("2026-12-02T10:00:00Z");
        // 250 sets of four objects: 1,000 keys, one page.
        for n in 0..250 {
            sentinel(&store, &format!("a{n:03}"), &[("kind", "logo")]);
        }
        sentinel(&store, "b", &[("kind", "logo")]);
        let stopped = block(seed(
            &store,
            POLICY,
            &[256],
            now,
            SeedOptions {
                time_limit: Some(Duration::ZERO),
                ..SeedOptions::default()
            },
        ))
        .unwrap();
        assert!(stopped.stopped_early);
        assert_eq!((stopped.list_requests, stopped.filed), (0, 0));
        assert_eq!(
            stopped.resume_after, None,
            "nothing read: start from the top"
        );

        let first = block(seed(&store, POLICY, &[256], now, SeedOptions::default())).unwrap();
        assert_eq!((first.filed, first.list_requests), (251, 2));
        let resumed = block(seed(
            &store,
            POLICY,
            &[256],
            now,
            SeedOptions {
                start_after: Some("logos/a249/64.webp".into()),
                ..SeedOptions::default()
            },
        ))
        .unwrap();
        assert_eq!(resumed.keys_listed, 4, "only b's keys");
        assert_eq!(resumed.already_filed, 1);
    }

    #[test]
    fn a_store_error_stops_the_pass_with_what_it_did_and_where_to_resume() {
        let store = MemoryStore::new();
        sentinel(&store, "acme", &[("kind", "logo")]);
        store.set_unavailable(true);
        let err = block(seed(
            &store,
            POLICY,
            &[256],
            at("2026-12-02T10:00:00Z"),
            SeedOptions {
                start_after: Some("logos/a".into()),
                ..SeedOptions::default()
            },
        ))
        .unwrap_err();
        assert!(err.error.is_retryable());
        assert_eq!(err.report.resume_after.as_deref(), Some("logos/a"));
        assert!(err
            .to_string()
            .starts_with("seeding stopped after 0 sets filed"));
    }

    #[test]
    fn due_counts_read_the_index_per_day_up_to_the_window_and_no_further() {
        let store = MemoryStore::new();
        let today = day("2026-12-02");
        for (d, n) in [
            ("2024-01-01", 2),
            ("2026-11-30", 3),
            ("2026-12-02", 4),
            ("2026-12-05", 5),
            ("2026-12-20", 6),
        ] {
            for i in 0..n {
                let company = CompanyId::parse(&format!("c{d}-{i}")).unwrap();
                block(refile(&store, &company, None, Some(day(d)))).unwrap();
            }
        }
        block(store.put(StoredObject {
            key: "refresh/due/2026-00-01/x".into(),
            bytes: Vec::new(),
            content_type: String::new(),
            cache_control: String::new(),
            metadata: BTreeMap::new(),
        }))
        .unwrap();
        let counts = block(due_counts(&store, today, 7, DEFAULT_DUE_KEYS)).unwrap();
        assert_eq!(counts.due, 9);
        assert_eq!(counts.upcoming, 5);
        assert_eq!(counts.older, 2);
        assert_eq!(counts.oldest, Some(day("2024-01-01")));
        assert_eq!(counts.malformed, 1);
        assert_eq!(counts.through, day("2026-12-09"));
        assert_eq!(
            counts.days.into_iter().collect::<Vec<_>>(),
            [
                (day("2026-11-30"), 3),
                (day("2026-12-02"), 4),
                (day("2026-12-05"), 5)
            ]
        );
        assert!(!counts.truncated);
        assert_eq!(
            counts.keys_read, 15,
            "read up to the first key past the window"
        );

        let cut = block(due_counts(&store, today, 30, 10)).unwrap();
        assert!(cut.truncated);
        assert_eq!(cut.keys_read, 10);
        assert_eq!(cut.list_requests, 1, "the last page asks for what is left");
        assert_eq!(cut.due, 9);
    }
}

//! `stats` and `peek`: look at the dead-letter queue without consuming anything.
//!
//! Peeking must receive (SQS has no read-only look), so every peeked message is held until the
//! peek ends and then made visible again at once (`ChangeMessageVisibility` 0). Receiving does
//! raise each message's `ApproximateReceiveCount`; that is the only trace a peek leaves.
//! The age of the oldest message is not a queue attribute (CloudWatch has it, SQS does not), so
//! `stats` finds it by peeking a sample, and says how many messages the sample held.

use std::collections::BTreeMap;
use std::time::Duration;

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::error::ReplayError;
use crate::holds::Holds;
use crate::message::BodyInfo;
use logofill_core::queue::ReceivedMessage;
use logofill_core::queue::{QueueService, MAX_BATCH_ENTRIES};

/// Hidden time of a peeked message: the peek gives it back long before.
pub const PEEK_VISIBILITY: Duration = Duration::from_secs(60);

#[derive(Debug, Clone, Serialize)]
pub struct Peeked {
    pub message_id: String,
    pub company_id: Option<String>,
    pub reason: &'static str,
    /// Why the body is unreadable, in the parser's words.
    pub unreadable: Option<String>,
    pub receive_count: Option<u64>,
    pub sent_at: Option<DateTime<Utc>>,
    pub first_received_at: Option<DateTime<Utc>>,
    pub group_id: Option<String>,
    pub body_bytes: usize,
    pub attributes: BTreeMap<String, String>,
    /// Message attributes as text: string values, or `<N bytes>` for binary ones.
    pub message_attributes: BTreeMap<String, String>,
}

impl Peeked {
    pub fn of(m: &ReceivedMessage) -> Self {
        let info = BodyInfo::of(&m.body);
        Peeked {
            message_id: m.message_id.clone(),
            company_id: info.company_id().map(str::to_owned),
            reason: info.reason_key(),
            unreadable: match &info {
                BodyInfo::Unreadable { detail, .. } => Some(detail.clone()),
                BodyInfo::Readable { .. } => None,
            },
            receive_count: m.receive_count(),
            sent_at: m.sent_at(),
            first_received_at: m.first_received_at(),
            group_id: m.group_id().map(str::to_owned),
            body_bytes: m.body.len(),
            attributes: m.attributes.clone(),
            message_attributes: m
                .message_attributes
                .iter()
                .map(|(k, v)| {
                    let shown = match (&v.string_value, &v.binary_value) {
                        (Some(s), _) => s.clone(),
                        (None, Some(b)) => format!("<{} bytes>", b.len()),
                        (None, None) => String::new(),
                    };
                    (k.clone(), format!("{} ({})", shown, v.data_type))
                })
                .collect(),
        }
    }
}

#[derive(Debug, Serialize)]
pub struct PeekSummary {
    pub dlq: String,
    pub messages: Vec<Peeked>,
    pub by_company: BTreeMap<String, u64>,
    pub by_reason: BTreeMap<String, u64>,
    /// Peeked messages SQS did not take back right away; visible when their timeout ends.
    pub unreleased: u64,
}

/// Receive up to `max` messages, hold them, and give them all back.
pub async fn peek<Q: QueueService>(
    queue: &Q,
    dlq: &str,
    max: usize,
    wait: Duration,
) -> Result<PeekSummary, ReplayError> {
    let mut holds = Holds::new(dlq, PEEK_VISIBILITY);
    let mut messages: Vec<Peeked> = Vec::new();
    let mut seen = std::collections::HashSet::new();
    let mut failure = None;
    while messages.len() < max {
        if let Err(e) = holds.keep_alive(queue).await {
            failure = Some(e);
            break;
        }
        let want = (max - messages.len()).min(MAX_BATCH_ENTRIES);
        match queue.receive(dlq, want, wait, PEEK_VISIBILITY).await {
            Ok(batch) if batch.is_empty() => break,
            Ok(batch) => {
                let mut fresh = 0;
                for m in batch {
                    if seen.insert(m.message_id.clone()) {
                        fresh += 1;
                        messages.push(Peeked::of(&m));
                    }
                    holds.hold(m);
                }
                if fresh == 0 {
                    break;
                }
            }
            Err(e) => {
                failure = Some(e.into());
                break;
            }
        }
    }
    let released = holds.release_all(queue).await;
    if let Some(e) = failure.or(released.error) {
        return Err(e);
    }
    let mut by_company = BTreeMap::new();
    let mut by_reason = BTreeMap::new();
    for m in &messages {
        let company = m
            .company_id
            .clone()
            .unwrap_or_else(|| crate::message::UNREADABLE_KEY.to_owned());
        *by_company.entry(company).or_default() += 1;
        *by_reason.entry(m.reason.to_owned()).or_default() += 1;
    }
    Ok(PeekSummary {
        dlq: dlq.to_owned(),
        messages,
        by_company,
        by_reason,
        unreleased: released.pending as u64,
    })
}

#[derive(Debug, Serialize)]
pub struct Stats {
    pub dlq: String,
    pub fifo: bool,
    pub visible: u64,
    pub in_flight: u64,
    pub delayed: u64,
    /// Queues whose redrive policy sends their failures here.
    pub source_queues: Vec<String>,
    /// How many messages were peeked to find the oldest (0: not sampled).
    pub sampled: usize,
    pub oldest_sent_at: Option<DateTime<Utc>>,
    pub oldest_age_secs: Option<u64>,
    pub by_reason: BTreeMap<String, u64>,
}

/// Counts, source queues, and (when `sample` > 0) the oldest message among a peeked sample.
pub async fn stats<Q: QueueService>(
    queue: &Q,
    dlq: &str,
    sample: usize,
    wait: Duration,
) -> Result<Stats, ReplayError> {
    let info = queue.queue_info(dlq).await?;
    let source_queues = queue.dead_letter_sources(dlq).await?;
    let mut stats = Stats {
        dlq: dlq.to_owned(),
        fifo: info.fifo,
        visible: info.visible,
        in_flight: info.in_flight,
        delayed: info.delayed,
        source_queues,
        sampled: 0,
        oldest_sent_at: None,
        oldest_age_secs: None,
        by_reason: BTreeMap::new(),
    };
    if sample > 0 && info.visible > 0 {
        let peeked = peek(queue, dlq, sample, wait).await?;
        stats.sampled = peeked.messages.len();
        stats.oldest_sent_at = peeked.messages.iter().filter_map(|m| m.sent_at).min();
        stats.oldest_age_secs = stats
            .oldest_sent_at
            .map(|t| (Utc::now() - t).num_seconds().max(0) as u64);
        stats.by_reason = peeked.by_reason;
    }
    Ok(stats)
}

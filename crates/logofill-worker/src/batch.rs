//! One SQS batch: records in, the ids of the failed records out (partial batch response).
//!
//! Decisions:
//! - Records run concurrently up to a bound; each runs in its own task, so a panic fails that
//!   record only (it is reported failed and SQS retries it).
//! - On a FIFO queue, records of one message group run in order, and once one fails the later
//!   records of the same group are reported failed without being processed: SQS then
//!   redelivers them in the original order. Different groups run concurrently.
//! - Every record's outcome is counted; the counts and timings become one EMF line.

use std::collections::BTreeMap;
use std::future::Future;
use std::sync::Arc;

use aws_lambda_events::sqs::{BatchItemFailure, SqsBatchResponse, SqsMessage};
use logofill_core::metrics::{emf_line, Unit};
use tokio::sync::Semaphore;
use tracing::Instrument as _;

use crate::outcome::{Outcome, Timings};

/// Processes the body of one queue message.
pub trait RecordProcessor: Send + Sync + 'static {
    fn process(&self, body: String) -> impl Future<Output = (Outcome, Timings)> + Send;
}

/// What one batch did.
#[derive(Debug, Default, Clone)]
pub struct BatchSummary {
    pub outcomes: BTreeMap<&'static str, u64>,
    pub timings: Timings,
    /// Message ids reported failed, in batch order.
    pub failed: Vec<String>,
    /// Renders ended by the render budget (time, memory, CPU, stack, crash) in this batch.
    pub renders_over_budget: u64,
}

impl BatchSummary {
    pub fn count(&self, outcome: &str) -> u64 {
        self.outcomes.get(outcome).copied().unwrap_or(0)
    }

    /// The EMF metrics line for this batch.
    pub fn metrics_line(&self, timestamp_ms: i64) -> String {
        let mut values: Vec<(&str, f64, Unit)> = Outcome::NAMES
            .iter()
            .map(|name| (*name, self.count(name) as f64, Unit::Count))
            .collect();
        values.push((
            "render_budget_exceeded",
            self.renders_over_budget as f64,
            Unit::Count,
        ));
        values.push((
            "fetch_ms",
            self.timings.fetch.as_secs_f64() * 1e3,
            Unit::Milliseconds,
        ));
        values.push((
            "render_ms",
            self.timings.render.as_secs_f64() * 1e3,
            Unit::Milliseconds,
        ));
        values.push((
            "store_ms",
            self.timings.store.as_secs_f64() * 1e3,
            Unit::Milliseconds,
        ));
        emf_line("worker", timestamp_ms, &values)
    }
}

/// Process a batch and build the partial batch response.
/// A FIFO message group (or a lone standard-queue record): its id and its records in order,
/// each with its index in the batch.
type Group = (Option<String>, Vec<(usize, SqsMessage)>);

pub async fn process_batch<P: RecordProcessor>(
    processor: Arc<P>,
    records: Vec<SqsMessage>,
    concurrency: usize,
) -> (SqsBatchResponse, BatchSummary) {
    // Group by MessageGroupId (FIFO); on a standard queue every record is its own group.
    let mut groups: Vec<Group> = Vec::new();
    for (index, record) in records.into_iter().enumerate() {
        let group = record.attributes.get("MessageGroupId").cloned();
        match group
            .as_ref()
            .and_then(|g| groups.iter_mut().find(|(k, _)| k.as_ref() == Some(g)))
        {
            Some((_, members)) => members.push((index, record)),
            None => groups.push((group, vec![(index, record)])),
        }
    }
    let permits = Arc::new(Semaphore::new(concurrency.max(1)));
    let mut tasks = Vec::with_capacity(groups.len());
    for (_, members) in groups {
        let processor = processor.clone();
        let permits = permits.clone();
        tasks.push(tokio::spawn(async move {
            let mut results: Vec<(usize, String, Outcome, Timings)> =
                Vec::with_capacity(members.len());
            let mut group_failed = false;
            for (index, record) in members {
                let message_id = record.message_id.clone().unwrap_or_default();
                if group_failed {
                    results.push((index, message_id, Outcome::Skipped, Timings::default()));
                    continue;
                }
                let _permit = permits.acquire().await.expect("semaphore is never closed");
                let (outcome, timings) = run_record(processor.clone(), record).await;
                group_failed = outcome.is_failure();
                results.push((index, message_id, outcome, timings));
            }
            results
        }));
    }
    let mut all: Vec<(usize, String, Outcome, Timings)> = Vec::new();
    for task in tasks {
        // The group task itself holds no user code that can panic; record panics are caught
        // inside run_record.
        all.extend(task.await.expect("group task"));
    }
    all.sort_by_key(|(index, ..)| *index);
    let mut report = BatchSummary::default();
    let mut response = SqsBatchResponse::default();
    for (_, message_id, outcome, timings) in all {
        *report.outcomes.entry(outcome.name()).or_insert(0) += 1;
        report.timings.add(&timings);
        if outcome.is_failure() {
            if message_id.is_empty() {
                tracing::error!("a failed record has no message id and cannot be reported; SQS will treat it as done");
                continue;
            }
            report.failed.push(message_id.clone());
            let mut failure = BatchItemFailure::default();
            failure.item_identifier = message_id;
            response.batch_item_failures.push(failure);
        }
    }
    (response, report)
}

async fn run_record<P: RecordProcessor>(
    processor: Arc<P>,
    record: SqsMessage,
) -> (Outcome, Timings) {
    let message_id = record.message_id.clone().unwrap_or_default();
    let receive_count = record
        .attributes
        .get("ApproximateReceiveCount")
        .cloned()
        .unwrap_or_default();
    let Some(body) = record.body else {
        let span = tracing::error_span!("record", message_id = %message_id);
        span.in_scope(|| {
            tracing::error!(
                "record has no body; reported failed so it reaches the dead-letter queue"
            )
        });
        return (
            Outcome::Poison {
                reason: "the record has no body".into(),
            },
            Timings::default(),
        );
    };
    let company_hint = company_hint(&body);
    let span = tracing::info_span!("record", message_id = %message_id, company_id = %company_hint, receive_count = %receive_count);
    let task = tokio::spawn(async move { processor.process(body).await }.instrument(span.clone()));
    let (outcome, timings) = match task.await {
        Ok(result) => result,
        Err(join_error) => {
            let reason = if join_error.is_panic() {
                let payload = join_error.into_panic();
                let text = payload
                    .downcast_ref::<String>()
                    .cloned()
                    .or_else(|| payload.downcast_ref::<&str>().map(|s| s.to_string()))
                    .unwrap_or_else(|| "unknown panic".into());
                format!("processing panicked: {text}")
            } else {
                "processing was cancelled".into()
            };
            (Outcome::Retry { reason }, Timings::default())
        }
    };
    span.in_scope(|| match &outcome {
        o if o.is_failure() => {
            tracing::warn!(outcome = o.name(), detail = %o.detail(), "record failed")
        }
        o => tracing::info!(outcome = o.name(), detail = %o.detail(), "record done"),
    });
    (outcome, timings)
}

/// The company id for the log span, read leniently (the processor does the strict parse).
fn company_hint(body: &str) -> String {
    serde_json::from_str::<serde_json::Value>(body)
        .ok()
        .and_then(|v| {
            v.get("company_id")
                .and_then(|c| c.as_str())
                .map(|s| s.chars().take(64).collect())
        })
        .unwrap_or_else(|| "?".into())
}

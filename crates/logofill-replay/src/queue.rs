//! The port: the few SQS calls the replay tools make, in batch form.
//!
//! A trait because the guarantees live in what the tools do when a call fails halfway (one
//! entry of a batch refused, the delete after a good send lost), and the in-memory twin
//! ([`crate::memory`]) can fail exactly there on demand, which no SQS server does. The SQS
//! adapter is [`crate::sqs::SqsQueues`].
//!
//! Futures need not be `Send`: the tools run on a current-thread runtime.

use std::collections::BTreeMap;
use std::time::Duration;

use crate::error::ReplayError;
use crate::message::{AttributeValue, DlqMessage};

/// SQS's limit of entries in one batch call (and messages in one receive).
pub const MAX_BATCH: usize = 10;

/// What `GetQueueAttributes` says about a queue.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct QueueInfo {
    pub url: String,
    pub arn: Option<String>,
    pub fifo: bool,
    pub visible: u64,
    pub in_flight: u64,
    pub delayed: u64,
    pub visibility_timeout_secs: Option<u64>,
    /// The raw `RedrivePolicy` JSON, if the queue has one.
    pub redrive_policy: Option<String>,
}

/// One message to send; `entry_id` is unique within its batch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SendEntry {
    pub entry_id: String,
    pub body: String,
    pub message_attributes: BTreeMap<String, AttributeValue>,
    pub group_id: Option<String>,
    pub dedup_id: Option<String>,
}

/// A received message's handle, for delete and visibility calls.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Handle {
    pub entry_id: String,
    pub receipt_handle: String,
}

/// Why SQS refused one entry of a batch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EntryFailure {
    pub entry_id: String,
    pub code: String,
    pub message: String,
    pub sender_fault: bool,
}

#[allow(async_fn_in_trait)] // single-threaded callers; no Send bound wanted
pub trait ReplayQueue {
    async fn queue_info(&self, url: &str) -> Result<QueueInfo, ReplayError>;

    /// Queues whose redrive policy names `url` as their dead-letter queue.
    async fn dead_letter_sources(&self, url: &str) -> Result<Vec<String>, ReplayError>;

    /// Receive up to `max` (1..=10) messages with all their attributes, hidden for
    /// `visibility`; waits up to `wait` for the first one (long polling).
    async fn receive(
        &self,
        url: &str,
        max: usize,
        wait: Duration,
        visibility: Duration,
    ) -> Result<Vec<DlqMessage>, ReplayError>;

    /// Send up to 10 entries; returns the entries SQS refused (the others were accepted).
    async fn send_batch(
        &self,
        url: &str,
        entries: &[SendEntry],
    ) -> Result<Vec<EntryFailure>, ReplayError>;

    /// Delete up to 10 messages; returns the entries SQS did not delete.
    async fn delete_batch(
        &self,
        url: &str,
        handles: &[Handle],
    ) -> Result<Vec<EntryFailure>, ReplayError>;

    /// Set the visibility timeout of up to 10 messages (zero: visible again right away).
    async fn set_visibility_batch(
        &self,
        url: &str,
        handles: &[Handle],
        visibility: Duration,
    ) -> Result<Vec<EntryFailure>, ReplayError>;
}

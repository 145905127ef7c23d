//! The queue port: how company ids travel from the report service to the worker, and how the
//! operator tools move what the worker could not handle.
//!
//! The shape follows the SQS API because that is what production uses, but nothing here names
//! AWS. Two traits, by who needs what:
//! - [`MessageQueue`]: one queue's sending side (the report service, `logofill enqueue`, the dev
//!   runner's poison-message test hook). A [`BoundQueue`] is any [`QueueService`] bound to one
//!   queue URL, so it has no implementation of its own.
//! - [`QueueService`]: every call the dev runner's worker loop and the dead-letter tools make,
//!   on any queue by URL: send, receive, delete, change visibility (each in batches of at most
//!   [`MAX_BATCH_ENTRIES`]), and the queue's attributes.
//!
//! One adapter implements [`QueueService`] (`logofill_aws::Sqs`) and one twin
//! ([`memory::MemoryQueues`], with SQS's semantics and faults on demand). A batch call either
//! fails as a whole ([`QueueError`]) or answers per entry ([`EntryFailure`]); the caller decides
//! what to retry.

#[cfg(any(test, feature = "contract"))]
pub mod contract;
pub mod memory;

use std::collections::BTreeMap;
use std::fmt;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, TimeZone, Utc};
use serde::{Deserialize, Serialize};

pub use memory::{MemoryQueue, MemoryQueues};

/// SQS accepts at most 10 entries per batch call and returns at most 10 messages per receive.
pub const MAX_BATCH_ENTRIES: usize = 10;
/// How long SQS remembers a FIFO deduplication id.
pub const FIFO_DEDUP_WINDOW: Duration = Duration::from_secs(300);
/// The longest visibility timeout SQS accepts (12 hours).
pub const MAX_VISIBILITY: Duration = Duration::from_secs(43_200);
/// The longest long-poll wait SQS accepts.
pub const MAX_RECEIVE_WAIT: Duration = Duration::from_secs(20);

/// A queue URL ends in `.fifo` exactly when the queue is FIFO; SQS enforces the name.
pub fn is_fifo_url(url: &str) -> bool {
    url.trim_end_matches('/').ends_with(".fifo")
}

/// One message attribute, as SQS stores it. Binary values are bytes here and base64 in JSON
/// (the dead-letter archive's format).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AttributeValue {
    pub data_type: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub string_value: Option<String>,
    #[serde(
        default,
        rename = "binary_value_base64",
        skip_serializing_if = "Option::is_none",
        with = "base64_bytes"
    )]
    pub binary_value: Option<Vec<u8>>,
}

mod base64_bytes {
    use base64::Engine;
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(v: &Option<Vec<u8>>, s: S) -> Result<S::Ok, S::Error> {
        match v {
            Some(bytes) => {
                s.serialize_str(&base64::engine::general_purpose::STANDARD.encode(bytes))
            }
            None => s.serialize_none(),
        }
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Vec<u8>>, D::Error> {
        let text: Option<String> = Option::deserialize(d)?;
        text.map(|t| {
            base64::engine::general_purpose::STANDARD
                .decode(t)
                .map_err(serde::de::Error::custom)
        })
        .transpose()
    }
}

/// One message to send. `entry_id` is unique within its batch and is how failures are matched
/// back to entries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutgoingMessage {
    pub entry_id: String,
    pub body: String,
    /// Message attributes (the dead-letter tools carry them over untouched; logofill's own
    /// messages have none).
    pub attributes: BTreeMap<String, AttributeValue>,
    /// FIFO queues only: the message group (ordering scope).
    pub group_id: Option<String>,
    /// FIFO queues only: repeats with the same id within [`FIFO_DEDUP_WINDOW`] are dropped.
    pub dedup_id: Option<String>,
}

impl OutgoingMessage {
    /// A message with no attributes; for a FIFO queue, `group_id` and `dedup_id` are needed.
    pub fn new(entry_id: impl Into<String>, body: impl Into<String>) -> Self {
        OutgoingMessage {
            entry_id: entry_id.into(),
            body: body.into(),
            attributes: BTreeMap::new(),
            group_id: None,
            dedup_id: None,
        }
    }
}

/// A received message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReceivedMessage {
    pub message_id: String,
    /// What delete and visibility calls take; it changes on every receive.
    pub receipt_handle: String,
    pub body: String,
    pub md5_of_body: Option<String>,
    /// System attributes by their SQS name (`SentTimestamp`, `ApproximateReceiveCount`,
    /// `ApproximateFirstReceiveTimestamp`, `MessageGroupId`, ...).
    pub attributes: BTreeMap<String, String>,
    pub message_attributes: BTreeMap<String, AttributeValue>,
}

impl ReceivedMessage {
    /// `ApproximateReceiveCount`, counting this receive.
    pub fn receive_count(&self) -> Option<u64> {
        self.attributes.get("ApproximateReceiveCount")?.parse().ok()
    }

    /// When the message was first sent (SQS keeps this across a redrive).
    pub fn sent_at(&self) -> Option<DateTime<Utc>> {
        epoch_millis(self.attributes.get("SentTimestamp"))
    }

    pub fn first_received_at(&self) -> Option<DateTime<Utc>> {
        epoch_millis(self.attributes.get("ApproximateFirstReceiveTimestamp"))
    }

    pub fn group_id(&self) -> Option<&str> {
        self.attributes.get("MessageGroupId").map(String::as_str)
    }
}

fn epoch_millis(value: Option<&String>) -> Option<DateTime<Utc>> {
    let millis: i64 = value?.parse().ok()?;
    Utc.timestamp_millis_opt(millis).single()
}

/// A received message's handle, for delete and visibility calls; `entry_id` is unique within
/// its batch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Handle {
    pub entry_id: String,
    pub receipt_handle: String,
}

/// One entry of a batch that the queue refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EntryFailure {
    pub entry_id: String,
    pub code: String,
    pub message: String,
    /// The queue says the entry itself is at fault (retrying it unchanged will not help).
    pub sender_fault: bool,
}

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

/// The queue call that failed, with its IAM action so an `AccessDenied` says what to grant.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Operation {
    GetQueueAttributes,
    ListDeadLetterSourceQueues,
    ReceiveMessage,
    SendMessage,
    DeleteMessage,
    ChangeMessageVisibility,
}

impl Operation {
    /// The IAM action that allows the call.
    pub fn action(self) -> &'static str {
        match self {
            Operation::GetQueueAttributes => "sqs:GetQueueAttributes",
            Operation::ListDeadLetterSourceQueues => "sqs:ListDeadLetterSourceQueues",
            Operation::ReceiveMessage => "sqs:ReceiveMessage",
            Operation::SendMessage => "sqs:SendMessage",
            Operation::DeleteMessage => "sqs:DeleteMessage",
            Operation::ChangeMessageVisibility => "sqs:ChangeMessageVisibility",
        }
    }

    fn preposition(self) -> &'static str {
        match self {
            Operation::SendMessage => "to",
            Operation::ReceiveMessage | Operation::DeleteMessage => "from",
            _ => "on",
        }
    }
}

impl fmt::Display for Operation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.action())
    }
}

/// The whole call failed; no entry of the batch was handled.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum QueueError {
    /// Network trouble, throttling, a 5xx, a timeout: the same call may succeed later.
    #[error("{} {} {queue} failed: {detail}", .operation, .operation.preposition())]
    Unavailable {
        queue: String,
        operation: Operation,
        detail: String,
    },
    /// The queue does not exist, we may not use it, a key or parameter is wrong: retrying will
    /// not help until someone acts.
    #[error("{code} on {} {} {queue}: {detail}", .operation, .operation.preposition())]
    Refused {
        queue: String,
        operation: Operation,
        code: String,
        detail: String,
    },
}

impl QueueError {
    pub fn is_retryable(&self) -> bool {
        matches!(self, QueueError::Unavailable { .. })
    }

    /// The queue's error code, when it refused.
    pub fn code(&self) -> Option<&str> {
        match self {
            QueueError::Refused { code, .. } => Some(code),
            QueueError::Unavailable { .. } => None,
        }
    }

    pub fn operation(&self) -> Operation {
        match self {
            QueueError::Unavailable { operation, .. } | QueueError::Refused { operation, .. } => {
                *operation
            }
        }
    }

    pub fn queue(&self) -> &str {
        match self {
            QueueError::Unavailable { queue, .. } | QueueError::Refused { queue, .. } => queue,
        }
    }
}

/// Every queue call the worker loop and the operator tools make, on any queue by URL.
pub trait QueueService: Send + Sync {
    /// `GetQueueAttributes`.
    fn queue_info(&self, url: &str) -> impl Future<Output = Result<QueueInfo, QueueError>> + Send;

    /// Queues whose redrive policy names `url` as their dead-letter queue.
    fn dead_letter_sources(
        &self,
        url: &str,
    ) -> impl Future<Output = Result<Vec<String>, QueueError>> + Send;

    /// Receive up to `max` (1..=10) messages with all their attributes, hidden for
    /// `visibility`; waits up to `wait` for the first one (long polling).
    fn receive(
        &self,
        url: &str,
        max: usize,
        wait: Duration,
        visibility: Duration,
    ) -> impl Future<Output = Result<Vec<ReceivedMessage>, QueueError>> + Send;

    /// Send up to 10 entries; `Ok` lists the entries refused (the others were accepted).
    fn send_batch(
        &self,
        url: &str,
        entries: &[OutgoingMessage],
    ) -> impl Future<Output = Result<Vec<EntryFailure>, QueueError>> + Send;

    /// Delete up to 10 received messages; `Ok` lists the entries not deleted.
    fn delete_batch(
        &self,
        url: &str,
        handles: &[Handle],
    ) -> impl Future<Output = Result<Vec<EntryFailure>, QueueError>> + Send;

    /// Set the visibility timeout of up to 10 received messages (zero: visible again now).
    fn change_visibility_batch(
        &self,
        url: &str,
        handles: &[Handle],
        visibility: Duration,
    ) -> impl Future<Output = Result<Vec<EntryFailure>, QueueError>> + Send;
}

/// One queue's sending side: what the report service needs.
pub trait MessageQueue: Send + Sync {
    /// Human-readable name for logs and errors (the queue URL).
    fn name(&self) -> &str;
    /// FIFO queues need a group id and a dedup id on every message.
    fn is_fifo(&self) -> bool;
    /// Send up to [`MAX_BATCH_ENTRIES`] messages in one call. `Ok` lists the entries that failed.
    fn send_batch(
        &self,
        batch: &[OutgoingMessage],
    ) -> impl Future<Output = Result<Vec<EntryFailure>, QueueError>> + Send;
}

impl<Q: MessageQueue + ?Sized> MessageQueue for std::sync::Arc<Q> {
    fn name(&self) -> &str {
        (**self).name()
    }
    fn is_fifo(&self) -> bool {
        (**self).is_fifo()
    }
    fn send_batch(
        &self,
        batch: &[OutgoingMessage],
    ) -> impl Future<Output = Result<Vec<EntryFailure>, QueueError>> + Send {
        (**self).send_batch(batch)
    }
}

/// A [`QueueService`] bound to one queue: its [`MessageQueue`]. The service is shared, so
/// several bound queues (a work queue and its dead-letter queue) can use one client or twin.
#[derive(Debug)]
pub struct BoundQueue<S> {
    service: Arc<S>,
    url: String,
    fifo: bool,
}

impl<S> Clone for BoundQueue<S> {
    fn clone(&self) -> Self {
        BoundQueue {
            service: self.service.clone(),
            url: self.url.clone(),
            fifo: self.fifo,
        }
    }
}

impl<S: QueueService> BoundQueue<S> {
    /// FIFO or not is read from the URL, as SQS names FIFO queues.
    pub fn bind(service: impl Into<Arc<S>>, url: impl Into<String>) -> Self {
        let url = url.into();
        BoundQueue {
            fifo: is_fifo_url(&url),
            service: service.into(),
            url,
        }
    }

    pub fn url(&self) -> &str {
        &self.url
    }

    pub fn service(&self) -> &S {
        &self.service
    }
}

impl<S: QueueService> MessageQueue for BoundQueue<S> {
    fn name(&self) -> &str {
        &self.url
    }
    fn is_fifo(&self) -> bool {
        self.fifo
    }
    fn send_batch(
        &self,
        batch: &[OutgoingMessage],
    ) -> impl Future<Output = Result<Vec<EntryFailure>, QueueError>> + Send {
        self.service.send_batch(&self.url, batch)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fifo_is_read_from_the_url() {
        assert!(is_fifo_url(
            "https://sqs.eu-west-1.amazonaws.com/123/logofill.fifo"
        ));
        assert!(!is_fifo_url(
            "https://sqs.eu-west-1.amazonaws.com/123/logofill"
        ));
    }

    #[test]
    fn errors_name_the_action_and_the_queue() {
        let refused = QueueError::Refused {
            queue: "https://sqs.eu-west-1.amazonaws.com/1/logofill".into(),
            operation: Operation::SendMessage,
            code: "AccessDenied".into(),
            detail: "not authorized".into(),
        };
        assert_eq!(
            refused.to_string(),
            "AccessDenied on sqs:SendMessage to https://sqs.eu-west-1.amazonaws.com/1/logofill: not authorized"
        );
        assert!(!refused.is_retryable());
        let unavailable = QueueError::Unavailable {
            queue: "q".into(),
            operation: Operation::ReceiveMessage,
            detail: "connection reset".into(),
        };
        assert_eq!(
            unavailable.to_string(),
            "sqs:ReceiveMessage from q failed: connection reset"
        );
        assert!(unavailable.is_retryable());
    }

    #[test]
    fn attribute_json_keeps_binary_bytes() {
        let v = AttributeValue {
            data_type: "Binary.gz".into(),
            string_value: None,
            binary_value: Some(vec![0, 159, 255]),
        };
        let json = serde_json::to_string(&v).unwrap();
        assert_eq!(
            json,
            r#"{"data_type":"Binary.gz","binary_value_base64":"AJ//"}"#
        );
        assert_eq!(serde_json::from_str::<AttributeValue>(&json).unwrap(), v);
    }
}

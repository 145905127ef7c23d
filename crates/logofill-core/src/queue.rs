//! The queue port: how the report service hands company ids to the worker.
//!
//! The shape follows SQS `SendMessageBatch` because that is what production uses, but nothing
//! here names AWS: a batch of at most [`MAX_BATCH_ENTRIES`] entries goes in, and either the
//! whole call fails ([`QueueError`]) or each entry individually succeeds or fails
//! ([`BatchEntryFailure`]). The caller decides what to retry.

use std::future::Future;
use std::sync::Mutex;

/// SQS accepts at most 10 entries per `SendMessageBatch`.
pub const MAX_BATCH_ENTRIES: usize = 10;

/// One message to send. `entry_id` is unique within its batch and is how failures are matched
/// back to entries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutgoingMessage {
    pub entry_id: String,
    pub body: String,
    /// FIFO queues only: the message group (ordering scope).
    pub group_id: Option<String>,
    /// FIFO queues only: repeats with the same id within 5 minutes are dropped by the queue.
    pub dedup_id: Option<String>,
}

/// One entry of a batch that the queue refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BatchEntryFailure {
    pub entry_id: String,
    pub code: String,
    pub message: String,
    /// The queue says the entry itself is at fault (retrying it unchanged will not help).
    pub sender_fault: bool,
}

/// The whole call failed; no entry of the batch was accepted.
#[derive(Debug, Clone, thiserror::Error)]
pub enum QueueError {
    /// Network trouble, throttling, a 5xx: the same call may succeed later.
    #[error("queue {queue} is unavailable: {detail}")]
    Unavailable { queue: String, detail: String },
    /// The queue exists no more, or we may not send to it: retrying will not help until an
    /// operator acts.
    #[error("queue {queue} refused the batch ({code}): {detail}")]
    Refused {
        queue: String,
        code: String,
        detail: String,
    },
}

impl QueueError {
    pub fn is_retryable(&self) -> bool {
        matches!(self, QueueError::Unavailable { .. })
    }
}

/// Sending side of a message queue.
pub trait MessageQueue: Send + Sync {
    /// Human-readable name for logs and errors (the queue URL for SQS).
    fn name(&self) -> &str;
    /// FIFO queues need a group id and a dedup id on every message.
    fn is_fifo(&self) -> bool;
    /// Send up to [`MAX_BATCH_ENTRIES`] messages in one call. `Ok` lists the entries that failed.
    fn send_batch(
        &self,
        batch: &[OutgoingMessage],
    ) -> impl Future<Output = Result<Vec<BatchEntryFailure>, QueueError>> + Send;
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
    ) -> impl Future<Output = Result<Vec<BatchEntryFailure>, QueueError>> + Send {
        (**self).send_batch(batch)
    }
}

/// What a [`MemoryQueue`] does with the next call or entry, for tests that need a queue to
/// misbehave on purpose.
type EntryFault = Box<dyn FnMut(&OutgoingMessage) -> bool + Send>;

/// The in-memory twin of the queue: keeps every accepted message, in order. FIFO mode drops
/// a message whose dedup id was already accepted, as SQS does within its 5-minute window.
pub struct MemoryQueue {
    name: String,
    fifo: bool,
    accepted: Mutex<Vec<OutgoingMessage>>,
    calls: Mutex<usize>,
    unavailable: Mutex<bool>,
    entry_fault: Mutex<Option<EntryFault>>,
}

impl MemoryQueue {
    pub fn new(name: impl Into<String>, fifo: bool) -> Self {
        MemoryQueue {
            name: name.into(),
            fifo,
            accepted: Mutex::new(Vec::new()),
            calls: Mutex::new(0),
            unavailable: Mutex::new(false),
            entry_fault: Mutex::new(None),
        }
    }

    /// Make every following call fail as a whole (or work again).
    pub fn set_unavailable(&self, unavailable: bool) {
        *self.unavailable.lock().unwrap() = unavailable;
    }

    /// Refuse each entry for which `fault` answers true (it sees every attempt, retries too).
    pub fn fail_entries(&self, fault: impl FnMut(&OutgoingMessage) -> bool + Send + 'static) {
        *self.entry_fault.lock().unwrap() = Some(Box::new(fault));
    }

    /// Everything accepted so far.
    pub fn accepted(&self) -> Vec<OutgoingMessage> {
        self.accepted.lock().unwrap().clone()
    }

    /// Remove and return everything accepted so far.
    pub fn drain(&self) -> Vec<OutgoingMessage> {
        std::mem::take(&mut *self.accepted.lock().unwrap())
    }

    /// Number of `send_batch` calls made.
    pub fn calls(&self) -> usize {
        *self.calls.lock().unwrap()
    }

    fn send_now(&self, batch: &[OutgoingMessage]) -> Result<Vec<BatchEntryFailure>, QueueError> {
        *self.calls.lock().unwrap() += 1;
        assert!(
            batch.len() <= MAX_BATCH_ENTRIES,
            "a batch holds at most {MAX_BATCH_ENTRIES} entries"
        );
        if *self.unavailable.lock().unwrap() {
            return Err(QueueError::Unavailable {
                queue: self.name.clone(),
                detail: "the in-memory queue was told to be unavailable".into(),
            });
        }
        let mut failures = Vec::new();
        let mut fault = self.entry_fault.lock().unwrap();
        let mut accepted = self.accepted.lock().unwrap();
        for entry in batch {
            if self.fifo && (entry.group_id.is_none() || entry.dedup_id.is_none()) {
                failures.push(BatchEntryFailure {
                    entry_id: entry.entry_id.clone(),
                    code: "MissingParameter".into(),
                    message: "a FIFO queue needs a group id and a dedup id".into(),
                    sender_fault: true,
                });
                continue;
            }
            if fault.as_mut().is_some_and(|f| f(entry)) {
                failures.push(BatchEntryFailure {
                    entry_id: entry.entry_id.clone(),
                    code: "InternalError".into(),
                    message: "injected entry failure".into(),
                    sender_fault: false,
                });
                continue;
            }
            let duplicate = self.fifo
                && accepted
                    .iter()
                    .any(|m| m.dedup_id.is_some() && m.dedup_id == entry.dedup_id);
            if !duplicate {
                accepted.push(entry.clone());
            }
        }
        Ok(failures)
    }
}

impl MessageQueue for MemoryQueue {
    fn name(&self) -> &str {
        &self.name
    }
    fn is_fifo(&self) -> bool {
        self.fifo
    }
    fn send_batch(
        &self,
        batch: &[OutgoingMessage],
    ) -> impl Future<Output = Result<Vec<BatchEntryFailure>, QueueError>> + Send {
        std::future::ready(self.send_now(batch))
    }
}

//! Messages a run keeps in flight on purpose, and giving them back.
//!
//! A message that a run looks at but does not move (peeked, filtered out, counted in a dry
//! run) stays hidden until the run ends, then all are made visible at once. Releasing each
//! right away would hand it straight back to the next receive, and a run would either spin
//! on the same few messages or stop before it had seen the rest. The visibility of held
//! messages is extended while the run lasts; if the run dies, SQS makes them visible when the
//! timeout runs out, still in the queue.

use std::collections::HashMap;
use std::time::Duration;

use tokio::time::Instant;

use crate::error::ReplayError;
use logofill_core::queue::ReceivedMessage;
use logofill_core::queue::{Handle, QueueService, MAX_BATCH_ENTRIES};

/// Entry ids `0`..`9` for one batch call, in the order of `messages`.
pub fn handles<'a>(messages: impl IntoIterator<Item = &'a ReceivedMessage>) -> Vec<Handle> {
    messages
        .into_iter()
        .enumerate()
        .map(|(i, m)| Handle {
            entry_id: i.to_string(),
            receipt_handle: m.receipt_handle.clone(),
        })
        .collect()
}

/// Make messages visible again now. Returns how many SQS did not release (they become
/// visible on their own when their timeout runs out).
pub async fn release<Q: QueueService>(
    queue: &Q,
    url: &str,
    messages: &[ReceivedMessage],
) -> Result<usize, ReplayError> {
    let mut unreleased = 0;
    for chunk in messages.chunks(MAX_BATCH_ENTRIES) {
        unreleased += queue
            .change_visibility_batch(url, &handles(chunk), Duration::ZERO)
            .await?
            .len();
    }
    Ok(unreleased)
}

#[derive(Debug)]
pub struct Holds {
    url: String,
    visibility: Duration,
    /// By message id: a message received again (its hold ran out) replaces its old handle.
    held: HashMap<String, (ReceivedMessage, Instant)>,
}

/// What giving the held messages back came to.
#[derive(Debug, Default)]
pub struct Released {
    pub released: usize,
    /// Not released now; visible again when their visibility timeout ends.
    pub pending: usize,
    pub error: Option<ReplayError>,
}

impl Holds {
    pub fn new(url: &str, visibility: Duration) -> Self {
        Holds {
            url: url.to_owned(),
            visibility,
            held: HashMap::new(),
        }
    }

    pub fn len(&self) -> usize {
        self.held.len()
    }

    pub fn is_empty(&self) -> bool {
        self.held.is_empty()
    }

    pub fn hold(&mut self, message: ReceivedMessage) {
        self.held
            .insert(message.message_id.clone(), (message, Instant::now()));
    }

    /// Extend the messages held for more than half their timeout.
    pub async fn keep_alive<Q: QueueService>(&mut self, queue: &Q) -> Result<(), ReplayError> {
        let due_before = Instant::now() - self.visibility / 2;
        let due: Vec<String> = self
            .held
            .iter()
            .filter(|(_, (_, at))| *at <= due_before)
            .map(|(id, _)| id.clone())
            .collect();
        for chunk in due.chunks(MAX_BATCH_ENTRIES) {
            let batch: Vec<&ReceivedMessage> = chunk.iter().map(|id| &self.held[id].0).collect();
            queue
                .change_visibility_batch(&self.url, &handles(batch), self.visibility)
                .await?;
            let now = Instant::now();
            for id in chunk {
                if let Some(entry) = self.held.get_mut(id) {
                    entry.1 = now;
                }
            }
        }
        Ok(())
    }

    /// Give every held message back (visible now). Never fails: what cannot be released now
    /// is counted, and SQS releases it when its timeout ends.
    pub async fn release_all<Q: QueueService>(&mut self, queue: &Q) -> Released {
        let held: Vec<ReceivedMessage> = self.held.drain().map(|(_, (m, _))| m).collect();
        let mut out = Released::default();
        for chunk in held.chunks(MAX_BATCH_ENTRIES) {
            if out.error.is_some() {
                out.pending += chunk.len();
                continue;
            }
            match release(queue, &self.url, chunk).await {
                Ok(unreleased) => {
                    out.released += chunk.len() - unreleased;
                    out.pending += unreleased;
                }
                Err(e) => {
                    out.pending += chunk.len();
                    out.error = Some(e);
                }
            }
        }
        out
    }
}

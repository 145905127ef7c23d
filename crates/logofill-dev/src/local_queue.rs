//! An in-process queue with the SQS semantics the worker relies on, for `logofill dev`:
//! a received message is invisible for the visibility timeout and comes back if it is not
//! deleted; each receive counts; a message received `max_receive_count` times and still not
//! deleted moves to the dead-letter queue on its next receive, exactly as a redrive policy
//! does. FIFO mode drops a message whose dedup id was accepted in the last 5 minutes.
//!
//! It is the sending side of the queue port too, so the report service writes to it as it
//! writes to SQS.

use std::collections::{HashMap, VecDeque};
use std::future::Future;
use std::sync::Mutex;
use std::time::Duration;

use chrono::{DateTime, Utc};
use serde::Serialize;

use logofill_core::clock::Clock;
use logofill_core::queue::{
    BatchEntryFailure, MessageQueue, OutgoingMessage, QueueError, MAX_BATCH_ENTRIES,
};

/// How long SQS remembers a FIFO dedup id.
pub const FIFO_DEDUP_WINDOW: Duration = Duration::from_secs(300);

/// A message as the queue keeps it.
#[derive(Debug, Clone, Serialize)]
pub struct LocalMessage {
    pub message_id: String,
    pub body: String,
    pub receive_count: u32,
    pub sent_at: DateTime<Utc>,
    pub first_received_at: Option<DateTime<Utc>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub group_id: Option<String>,
}

/// A received message: the receipt handle is what delete and release take.
#[derive(Debug, Clone)]
pub struct Received {
    pub receipt: String,
    pub message: LocalMessage,
}

#[derive(Debug, Default)]
struct State {
    ready: VecDeque<LocalMessage>,
    in_flight: HashMap<String, (LocalMessage, Duration)>,
    dead: Vec<LocalMessage>,
    dedup: HashMap<String, Duration>,
    next: u64,
    sent: u64,
}

/// What `GET /dev/queue` shows.
#[derive(Debug, Clone, Serialize)]
pub struct QueueSnapshot {
    pub queued: Vec<LocalMessage>,
    pub in_flight: Vec<LocalMessage>,
    pub dead_letter: Vec<LocalMessage>,
    /// Messages accepted since start.
    pub sent_total: u64,
}

pub struct LocalQueue<C> {
    name: String,
    fifo: bool,
    visibility_timeout: Duration,
    max_receive_count: u32,
    clock: C,
    state: Mutex<State>,
}

impl<C: Clock> LocalQueue<C> {
    pub fn new(
        name: &str,
        fifo: bool,
        visibility_timeout: Duration,
        max_receive_count: u32,
        clock: C,
    ) -> Self {
        LocalQueue {
            name: name.to_string(),
            fifo,
            visibility_timeout,
            max_receive_count: max_receive_count.max(1),
            clock,
            state: Mutex::new(State::default()),
        }
    }

    /// Receive up to `max` messages (at most 10), making them invisible for the timeout.
    pub fn receive(&self, max: usize) -> Vec<Received> {
        let now = self.clock.monotonic();
        let wall = self.clock.now_utc();
        let mut state = self.state.lock().unwrap();
        self.return_expired(&mut state, now);
        let mut out = Vec::new();
        while out.len() < max.min(MAX_BATCH_ENTRIES) {
            let Some(mut message) = state.ready.pop_front() else {
                break;
            };
            if message.receive_count >= self.max_receive_count {
                state.dead.push(message);
                continue;
            }
            message.receive_count += 1;
            message.first_received_at.get_or_insert(wall);
            state.next += 1;
            let receipt = format!("{}#{}", message.message_id, state.next);
            state.in_flight.insert(
                receipt.clone(),
                (message.clone(), now + self.visibility_timeout),
            );
            out.push(Received { receipt, message });
        }
        out
    }

    /// Delete a received message. Returns false if the receipt is no longer valid.
    pub fn delete(&self, receipt: &str) -> bool {
        self.state
            .lock()
            .unwrap()
            .in_flight
            .remove(receipt)
            .is_some()
    }

    /// Make a received message visible again at once (visibility timeout 0).
    pub fn release(&self, receipt: &str) -> bool {
        let mut state = self.state.lock().unwrap();
        match state.in_flight.remove(receipt) {
            Some((message, _)) => {
                state.ready.push_back(message);
                true
            }
            None => false,
        }
    }

    pub fn snapshot(&self) -> QueueSnapshot {
        let mut state = self.state.lock().unwrap();
        self.return_expired(&mut state, self.clock.monotonic());
        QueueSnapshot {
            queued: state.ready.iter().cloned().collect(),
            in_flight: state.in_flight.values().map(|(m, _)| m.clone()).collect(),
            dead_letter: state.dead.clone(),
            sent_total: state.sent,
        }
    }

    /// Whether nothing is queued or in flight (the dead-letter queue may hold messages).
    pub fn is_idle(&self) -> bool {
        let mut state = self.state.lock().unwrap();
        self.return_expired(&mut state, self.clock.monotonic());
        state.ready.is_empty() && state.in_flight.is_empty()
    }

    fn return_expired(&self, state: &mut State, now: Duration) {
        let expired: Vec<String> = state
            .in_flight
            .iter()
            .filter(|(_, (_, until))| *until <= now)
            .map(|(k, _)| k.clone())
            .collect();
        for receipt in expired {
            if let Some((message, _)) = state.in_flight.remove(&receipt) {
                state.ready.push_back(message);
            }
        }
    }

    fn accept(&self, batch: &[OutgoingMessage]) -> Vec<BatchEntryFailure> {
        let now = self.clock.monotonic();
        let wall = self.clock.now_utc();
        let mut state = self.state.lock().unwrap();
        state
            .dedup
            .retain(|_, at| now.saturating_sub(*at) < FIFO_DEDUP_WINDOW);
        let mut failures = Vec::new();
        for entry in batch {
            if self.fifo {
                let (Some(_), Some(dedup)) = (&entry.group_id, &entry.dedup_id) else {
                    failures.push(BatchEntryFailure {
                        entry_id: entry.entry_id.clone(),
                        code: "MissingParameter".into(),
                        message: "a FIFO queue needs a group id and a dedup id".into(),
                        sender_fault: true,
                    });
                    continue;
                };
                if state.dedup.contains_key(dedup) {
                    continue; // accepted and dropped, as SQS does
                }
                state.dedup.insert(dedup.clone(), now);
            }
            state.next += 1;
            state.sent += 1;
            let message = LocalMessage {
                message_id: format!("local-{:08}", state.next),
                body: entry.body.clone(),
                receive_count: 0,
                sent_at: wall,
                first_received_at: None,
                group_id: entry.group_id.clone(),
            };
            state.ready.push_back(message);
        }
        failures
    }
}

impl<C: Clock> MessageQueue for LocalQueue<C> {
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
        std::future::ready(Ok(self.accept(batch)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use logofill_core::clock::ManualClock;

    fn out(body: &str) -> OutgoingMessage {
        OutgoingMessage {
            entry_id: "0".into(),
            body: body.into(),
            group_id: Some(body.into()),
            dedup_id: Some(body.into()),
        }
    }

    fn block<F: Future>(f: F) -> F::Output {
        tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap()
            .block_on(f)
    }

    #[test]
    fn visibility_receive_count_and_dead_letter() {
        let clock = ManualClock::new(Utc::now());
        let q = LocalQueue::new("q", false, Duration::from_secs(30), 2, &clock);
        block(q.send_batch(&[out("a")])).unwrap();
        let got = q.receive(10);
        assert_eq!(got.len(), 1);
        assert_eq!(got[0].message.receive_count, 1);
        assert!(q.receive(10).is_empty(), "invisible while in flight");
        clock.advance(Duration::from_secs(30));
        let again = q.receive(10);
        assert_eq!(
            again[0].message.receive_count, 2,
            "came back after the timeout"
        );
        clock.advance(Duration::from_secs(30));
        assert!(
            q.receive(10).is_empty(),
            "received twice = maxReceiveCount: moved to the DLQ"
        );
        let snap = q.snapshot();
        assert_eq!(snap.dead_letter.len(), 1);
        assert!(q.is_idle());
    }

    #[test]
    fn delete_and_release() {
        let clock = ManualClock::new(Utc::now());
        let q = LocalQueue::new("q", false, Duration::from_secs(30), 5, &clock);
        block(q.send_batch(&[out("a"), out("b")])).unwrap();
        let got = q.receive(10);
        assert!(q.delete(&got[0].receipt));
        assert!(!q.delete(&got[0].receipt), "a receipt works once");
        assert!(q.release(&got[1].receipt));
        assert_eq!(q.receive(10)[0].message.body, "b");
    }

    #[test]
    fn fifo_drops_repeats_within_the_window() {
        let clock = ManualClock::new(Utc::now());
        let q = LocalQueue::new("q.fifo", true, Duration::from_secs(30), 5, &clock);
        block(q.send_batch(&[out("a")])).unwrap();
        block(q.send_batch(&[out("a")])).unwrap();
        assert_eq!(q.snapshot().queued.len(), 1);
        clock.advance(FIFO_DEDUP_WINDOW);
        block(q.send_batch(&[out("a")])).unwrap();
        assert_eq!(q.snapshot().queued.len(), 2);
    }
}

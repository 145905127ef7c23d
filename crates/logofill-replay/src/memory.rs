//! The in-memory twin of the SQS port, with faults on demand.
//!
//! Enough SQS for the replay tools: visibility timeouts, receive counts, receipt handles
//! that change on every receive, FIFO deduplication over five minutes, and batch calls that
//! fail per entry. Faults are what SQS servers will not do when asked: refuse one entry of a
//! send, fail the next delete, lose a queue.

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::sync::Mutex;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use crate::error::{Operation, ReplayError};
use crate::message::{AttributeValue, DlqMessage};
use crate::queue::{EntryFailure, Handle, QueueInfo, ReplayQueue, SendEntry};

/// A message stored in a [`MemoryQueues`] queue.
#[derive(Debug, Clone)]
pub struct Stored {
    pub message_id: String,
    pub body: String,
    pub message_attributes: BTreeMap<String, AttributeValue>,
    pub group_id: Option<String>,
    pub dedup_id: Option<String>,
    pub sent_ms: i64,
    pub receive_count: u64,
    pub first_receive_ms: Option<i64>,
    visible_at: Instant,
    handle: Option<String>,
}

#[derive(Debug, Default)]
struct Queue {
    fifo: bool,
    messages: VecDeque<Stored>,
    dedup_seen: HashMap<String, Instant>,
    dead_letter_for: Vec<String>,
}

#[derive(Debug, Default)]
struct State {
    queues: BTreeMap<String, Queue>,
    next_id: u64,
    /// Send entries whose body contains the key fail with the code.
    refuse_bodies: Vec<(String, String)>,
    /// The next N calls of an operation fail as a whole (retryable).
    failing_calls: Vec<(Operation, usize)>,
    calls: Vec<Operation>,
}

#[derive(Debug, Default)]
pub struct MemoryQueues {
    state: Mutex<State>,
}

fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64
}

fn missing(url: &str, op: Operation) -> ReplayError {
    ReplayError::from_code(
        url,
        op,
        "AWS.SimpleQueueService.NonExistentQueue",
        "The specified queue does not exist.",
    )
}

impl MemoryQueues {
    pub fn new() -> Self {
        Self::default()
    }

    /// Create a queue (FIFO when the URL ends in `.fifo`); `dlq_of` names its sources.
    pub fn create(&self, url: &str, dead_letter_for: &[&str]) {
        let mut s = self.state.lock().unwrap();
        s.queues.insert(
            url.to_owned(),
            Queue {
                fifo: url.ends_with(".fifo"),
                dead_letter_for: dead_letter_for.iter().map(|u| u.to_string()).collect(),
                ..Queue::default()
            },
        );
    }

    pub fn delete_queue(&self, url: &str) {
        self.state.lock().unwrap().queues.remove(url);
    }

    /// Put a message straight into a queue, as the redrive would, sent `age` ago.
    pub fn put(&self, url: &str, body: &str, group_id: Option<&str>, age: Duration) -> String {
        let mut s = self.state.lock().unwrap();
        s.next_id += 1;
        let id = format!("00000000-0000-4000-8000-{:012}", s.next_id);
        let q = s.queues.get_mut(url).expect("queue exists");
        q.messages.push_back(Stored {
            message_id: id.clone(),
            body: body.to_owned(),
            message_attributes: BTreeMap::new(),
            group_id: group_id.map(str::to_owned),
            dedup_id: None,
            sent_ms: now_ms() - age.as_millis() as i64,
            receive_count: 3,
            first_receive_ms: Some(now_ms() - age.as_millis() as i64 + 10),
            visible_at: Instant::now(),
            handle: None,
        });
        id
    }

    /// Every message in a queue, visible or not.
    pub fn messages(&self, url: &str) -> Vec<Stored> {
        let s = self.state.lock().unwrap();
        s.queues
            .get(url)
            .map(|q| q.messages.iter().cloned().collect())
            .unwrap_or_default()
    }

    /// Make every message of a queue visible now (as if all visibility timeouts ran out).
    pub fn expire_visibility(&self, url: &str) {
        let mut s = self.state.lock().unwrap();
        if let Some(q) = s.queues.get_mut(url) {
            for m in &mut q.messages {
                m.visible_at = Instant::now();
            }
        }
    }

    pub fn refuse_bodies_containing(&self, needle: &str, code: &str) {
        self.state
            .lock()
            .unwrap()
            .refuse_bodies
            .push((needle.to_owned(), code.to_owned()));
    }

    pub fn fail_next_calls(&self, op: Operation, times: usize) {
        self.state.lock().unwrap().failing_calls.push((op, times));
    }

    /// The operations called so far, in order.
    pub fn calls(&self) -> Vec<Operation> {
        self.state.lock().unwrap().calls.clone()
    }

    fn enter(
        &self,
        url: &str,
        op: Operation,
    ) -> Result<std::sync::MutexGuard<'_, State>, ReplayError> {
        let mut s = self.state.lock().unwrap();
        s.calls.push(op);
        if let Some(slot) = s.failing_calls.iter_mut().find(|(o, n)| *o == op && *n > 0) {
            slot.1 -= 1;
            return Err(ReplayError::unreachable(
                url,
                op,
                "injected fault: connection reset".into(),
            ));
        }
        if !s.queues.contains_key(url) {
            return Err(missing(url, op));
        }
        Ok(s)
    }

    fn settle(
        &self,
        url: &str,
        op: Operation,
        handles: &[Handle],
        mut apply: impl FnMut(&mut Queue, usize),
    ) -> Result<Vec<EntryFailure>, ReplayError> {
        let mut s = self.enter(url, op)?;
        let q = s.queues.get_mut(url).unwrap();
        let mut failed = Vec::new();
        for h in handles {
            match q
                .messages
                .iter()
                .position(|m| m.handle.as_deref() == Some(h.receipt_handle.as_str()))
            {
                Some(i) => apply(q, i),
                None => failed.push(EntryFailure {
                    entry_id: h.entry_id.clone(),
                    code: "ReceiptHandleIsInvalid".into(),
                    message: "the receipt handle has expired".into(),
                    sender_fault: true,
                }),
            }
        }
        Ok(failed)
    }
}

impl ReplayQueue for MemoryQueues {
    async fn queue_info(&self, url: &str) -> Result<QueueInfo, ReplayError> {
        let s = self.enter(url, Operation::GetQueueAttributes)?;
        let q = &s.queues[url];
        let now = Instant::now();
        let visible = q.messages.iter().filter(|m| m.visible_at <= now).count() as u64;
        Ok(QueueInfo {
            url: url.to_owned(),
            arn: Some(format!("arn:aws:sqs:us-east-1:000000000000:{url}")),
            fifo: q.fifo,
            visible,
            in_flight: q.messages.len() as u64 - visible,
            delayed: 0,
            visibility_timeout_secs: Some(30),
            redrive_policy: None,
        })
    }

    async fn dead_letter_sources(&self, url: &str) -> Result<Vec<String>, ReplayError> {
        let s = self.enter(url, Operation::ListDeadLetterSourceQueues)?;
        Ok(s.queues[url].dead_letter_for.clone())
    }

    async fn receive(
        &self,
        url: &str,
        max: usize,
        _wait: Duration,
        visibility: Duration,
    ) -> Result<Vec<DlqMessage>, ReplayError> {
        let mut s = self.enter(url, Operation::ReceiveMessage)?;
        s.next_id += 1;
        let round = s.next_id;
        let q = s.queues.get_mut(url).unwrap();
        let now = Instant::now();
        let fifo = q.fifo;
        let busy_groups: Vec<String> = q
            .messages
            .iter()
            .filter(|m| fifo && m.visible_at > now)
            .filter_map(|m| m.group_id.clone())
            .collect();
        let mut out = Vec::new();
        for (i, m) in q.messages.iter_mut().enumerate() {
            if out.len() >= max {
                break;
            }
            if m.visible_at > now || m.group_id.as_ref().is_some_and(|g| busy_groups.contains(g)) {
                continue;
            }
            m.receive_count += 1;
            m.first_receive_ms.get_or_insert_with(now_ms);
            m.visible_at = now + visibility;
            let handle = format!("rh-{round}-{i}");
            m.handle = Some(handle.clone());
            let mut attributes = BTreeMap::from([
                ("SentTimestamp".to_string(), m.sent_ms.to_string()),
                (
                    "ApproximateReceiveCount".to_string(),
                    m.receive_count.to_string(),
                ),
                (
                    "ApproximateFirstReceiveTimestamp".to_string(),
                    m.first_receive_ms.unwrap().to_string(),
                ),
            ]);
            if let Some(g) = &m.group_id {
                attributes.insert("MessageGroupId".into(), g.clone());
            }
            out.push(DlqMessage {
                message_id: m.message_id.clone(),
                receipt_handle: handle,
                body: m.body.clone(),
                md5_of_body: None,
                attributes,
                message_attributes: m.message_attributes.clone(),
            });
        }
        Ok(out)
    }

    async fn send_batch(
        &self,
        url: &str,
        entries: &[SendEntry],
    ) -> Result<Vec<EntryFailure>, ReplayError> {
        let mut s = self.enter(url, Operation::SendMessage)?;
        let refuse = s.refuse_bodies.clone();
        let mut failed = Vec::new();
        for e in entries {
            if let Some((_, code)) = refuse.iter().find(|(needle, _)| e.body.contains(needle)) {
                failed.push(EntryFailure {
                    entry_id: e.entry_id.clone(),
                    code: code.clone(),
                    message: "injected fault".into(),
                    sender_fault: false,
                });
                continue;
            }
            s.next_id += 1;
            let id = format!("10000000-0000-4000-8000-{:012}", s.next_id);
            let q = s.queues.get_mut(url).unwrap();
            if q.fifo {
                let (Some(_), Some(dedup)) = (&e.group_id, &e.dedup_id) else {
                    failed.push(EntryFailure {
                        entry_id: e.entry_id.clone(),
                        code: "MissingParameter".into(),
                        message: "FIFO queues need MessageGroupId and MessageDeduplicationId"
                            .into(),
                        sender_fault: true,
                    });
                    continue;
                };
                let now = Instant::now();
                if q.dedup_seen
                    .get(dedup)
                    .is_some_and(|t| now.duration_since(*t) < Duration::from_secs(300))
                {
                    continue; // accepted, and dropped as a duplicate, as SQS does
                }
                q.dedup_seen.insert(dedup.clone(), now);
            }
            q.messages.push_back(Stored {
                message_id: id,
                body: e.body.clone(),
                message_attributes: e.message_attributes.clone(),
                group_id: e.group_id.clone(),
                dedup_id: e.dedup_id.clone(),
                sent_ms: now_ms(),
                receive_count: 0,
                first_receive_ms: None,
                visible_at: Instant::now(),
                handle: None,
            });
        }
        Ok(failed)
    }

    async fn delete_batch(
        &self,
        url: &str,
        handles: &[Handle],
    ) -> Result<Vec<EntryFailure>, ReplayError> {
        let mut gone = Vec::new();
        let failed = self.settle(url, Operation::DeleteMessage, handles, |_, i| gone.push(i))?;
        let mut s = self.state.lock().unwrap();
        let q = s.queues.get_mut(url).unwrap();
        gone.sort_unstable();
        for i in gone.into_iter().rev() {
            q.messages.remove(i);
        }
        Ok(failed)
    }

    async fn set_visibility_batch(
        &self,
        url: &str,
        handles: &[Handle],
        visibility: Duration,
    ) -> Result<Vec<EntryFailure>, ReplayError> {
        self.settle(url, Operation::ChangeMessageVisibility, handles, |q, i| {
            q.messages[i].visible_at = Instant::now() + visibility;
        })
    }
}

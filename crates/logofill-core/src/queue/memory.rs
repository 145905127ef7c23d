//! The in-memory twin of the queue port: SQS's semantics in one process, and the faults no SQS
//! server produces on demand.
//!
//! Semantics kept: a received message is hidden for its visibility timeout and comes back if
//! it is not deleted; every receive counts and gets a new receipt handle; a queue with a
//! redrive policy moves a message that was received `max_receive_count` times to its
//! dead-letter queue on the next receive; FIFO queues need a group and a dedup id, drop a
//! repeated dedup id within [`FIFO_DEDUP_WINDOW`], and hold back a group while one of its
//! messages is in flight (one receive may return several messages of a group, in order). Receives do not wait: an empty queue answers at once.
//!
//! Faults: the whole service unavailable, the next N calls of one operation failing, entries
//! refused by body or by predicate. Time comes from a [`Clock`], so tests move it by hand.
//!
//! The dev runner's queue, the report contract tests and the dead-letter tools' guarantees all
//! run on this one twin.

use std::collections::{BTreeMap, HashMap, VecDeque};

use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use chrono::{DateTime, Utc};
use serde::Serialize;

use super::{
    is_fifo_url, AttributeValue, BoundQueue, EntryFailure, Handle, Operation, OutgoingMessage,
    QueueError, QueueInfo, QueueService, ReceivedMessage, FIFO_DEDUP_WINDOW, MAX_BATCH_ENTRIES,
};
use crate::clock::{Clock, SystemClock};

/// How a queue of the twin behaves.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueueSettings {
    pub fifo: bool,
    /// The queue's default visibility timeout (what `queue_info` reports).
    pub visibility_timeout: Duration,
    pub redrive: Option<Redrive>,
}

impl QueueSettings {
    /// SQS's defaults for a queue at `url`: FIFO by name, 30 s visibility, no redrive.
    pub fn for_url(url: &str) -> Self {
        QueueSettings {
            fifo: is_fifo_url(url),
            visibility_timeout: Duration::from_secs(30),
            redrive: None,
        }
    }
}

/// A redrive policy: where a message goes after `max_receive_count` receives.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Redrive {
    pub dead_letter_queue: String,
    pub max_receive_count: u32,
}

/// A message as the twin keeps it (what `GET /dev/queue` shows, too).
#[derive(Debug, Clone, Serialize)]
pub struct StoredMessage {
    pub message_id: String,
    pub body: String,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub message_attributes: BTreeMap<String, AttributeValue>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub group_id: Option<String>,
    #[serde(skip)]
    pub dedup_id: Option<String>,
    pub sent_at: DateTime<Utc>,
    pub receive_count: u64,
    pub first_received_at: Option<DateTime<Utc>>,
    /// Received and neither deleted nor back to visible yet.
    #[serde(skip)]
    pub in_flight: bool,
    #[serde(skip)]
    visible_at: Duration,
    #[serde(skip)]
    handle: Option<String>,
}

struct Queue {
    settings: QueueSettings,
    messages: VecDeque<StoredMessage>,
    dedup_seen: HashMap<String, Duration>,
    sent_total: u64,
}

type EntryFault = Box<dyn FnMut(&OutgoingMessage) -> bool + Send>;

#[derive(Default)]
struct State {
    queues: BTreeMap<String, Queue>,
    next_id: u64,
    unavailable: bool,
    failing_calls: Vec<(Operation, usize)>,
    refuse_bodies: Vec<(String, String)>,
    entry_fault: Option<EntryFault>,
    calls: Vec<(Operation, String)>,
}

/// Any number of queues, by URL, with SQS's semantics.
pub struct MemoryQueues {
    clock: Arc<dyn Clock>,
    state: Mutex<State>,
}

impl std::fmt::Debug for MemoryQueues {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let state = self.lock();
        f.debug_struct("MemoryQueues")
            .field("queues", &state.queues.keys().collect::<Vec<_>>())
            .finish_non_exhaustive()
    }
}

impl Default for MemoryQueues {
    fn default() -> Self {
        Self::new()
    }
}

fn message_id(n: u64) -> String {
    format!("00000000-0000-4000-8000-{n:012}")
}

fn arn(url: &str) -> String {
    let name = url.trim_end_matches('/').rsplit('/').next().unwrap_or(url);
    format!("arn:aws:sqs:us-east-1:000000000000:{name}")
}

impl MemoryQueues {
    /// Queues on the real clock.
    pub fn new() -> Self {
        Self::with_clock(Arc::new(SystemClock::default()))
    }

    pub fn with_clock(clock: Arc<dyn Clock>) -> Self {
        MemoryQueues {
            clock,
            state: Mutex::new(State::default()),
        }
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        // A panic while the lock was held leaves plain data behind; carry on with it.
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Create (or replace) a queue with SQS's defaults for its URL.
    pub fn create(&self, url: &str) {
        self.create_with(url, QueueSettings::for_url(url));
    }

    pub fn create_with(&self, url: &str, settings: QueueSettings) {
        self.lock().queues.insert(
            url.to_owned(),
            Queue {
                settings,
                messages: VecDeque::new(),
                dedup_seen: HashMap::new(),
                sent_total: 0,
            },
        );
    }

    /// Give `source` a redrive policy to `dead_letter_queue` (which must exist too).
    pub fn set_redrive(&self, source: &str, dead_letter_queue: &str, max_receive_count: u32) {
        if let Some(q) = self.lock().queues.get_mut(source) {
            q.settings.redrive = Some(Redrive {
                dead_letter_queue: dead_letter_queue.to_owned(),
                max_receive_count: max_receive_count.max(1),
            });
        }
    }

    pub fn delete_queue(&self, url: &str) {
        self.lock().queues.remove(url);
    }

    /// Put a message straight into a queue as a redrive would: sent `age` ago, received three
    /// times. Returns its message id.
    pub fn put(&self, url: &str, body: &str, group_id: Option<&str>, age: Duration) -> String {
        let now = self.clock.monotonic();
        let sent_at = self.clock.now_utc() - chrono::Duration::milliseconds(age.as_millis() as i64);
        let mut s = self.lock();
        s.next_id += 1;
        let id = message_id(s.next_id);
        if let Some(q) = s.queues.get_mut(url) {
            q.messages.push_back(StoredMessage {
                message_id: id.clone(),
                body: body.to_owned(),
                message_attributes: BTreeMap::new(),
                group_id: group_id.map(str::to_owned),
                dedup_id: None,
                sent_at,
                receive_count: 3,
                first_received_at: Some(sent_at + chrono::Duration::milliseconds(10)),
                in_flight: false,
                visible_at: now,
                handle: None,
            });
        }
        id
    }

    /// Every message of a queue, in order, visible or not.
    pub fn messages(&self, url: &str) -> Vec<StoredMessage> {
        let now = self.clock.monotonic();
        self.lock()
            .queues
            .get(url)
            .map(|q| {
                q.messages
                    .iter()
                    .map(|m| StoredMessage {
                        in_flight: m.visible_at > now,
                        ..m.clone()
                    })
                    .collect()
            })
            .unwrap_or_default()
    }

    /// Messages accepted by a queue since it was created (duplicates dropped are not counted).
    pub fn sent_total(&self, url: &str) -> u64 {
        self.lock().queues.get(url).map_or(0, |q| q.sent_total)
    }

    /// Make every message of a queue visible now, as if all visibility timeouts ran out.
    pub fn expire_visibility(&self, url: &str) {
        let now = self.clock.monotonic();
        if let Some(q) = self.lock().queues.get_mut(url) {
            for m in &mut q.messages {
                m.visible_at = now;
            }
        }
    }

    /// Make every following call fail as a whole, retryably (or work again).
    pub fn set_unavailable(&self, unavailable: bool) {
        self.lock().unavailable = unavailable;
    }

    /// The next `times` calls of `operation` fail as a whole, retryably.
    pub fn fail_next_calls(&self, operation: Operation, times: usize) {
        self.lock().failing_calls.push((operation, times));
    }

    /// Refuse every sent entry whose body contains `needle`, with the error `code`.
    pub fn refuse_bodies_containing(&self, needle: &str, code: &str) {
        self.lock()
            .refuse_bodies
            .push((needle.to_owned(), code.to_owned()));
    }

    /// Refuse each sent entry for which `fault` answers true (it sees every attempt).
    pub fn fail_entries(&self, fault: impl FnMut(&OutgoingMessage) -> bool + Send + 'static) {
        self.lock().entry_fault = Some(Box::new(fault));
    }

    /// The operations called so far, in order.
    pub fn calls(&self) -> Vec<Operation> {
        self.lock().calls.iter().map(|(op, _)| *op).collect()
    }

    /// How many times `operation` was called on `url`.
    pub fn calls_to(&self, url: &str, operation: Operation) -> usize {
        self.lock()
            .calls
            .iter()
            .filter(|(op, u)| *op == operation && u == url)
            .count()
    }

    /// Count the call, apply injected faults, and check the queue exists.
    fn enter(&self, url: &str, operation: Operation) -> Result<MutexGuard<'_, State>, QueueError> {
        let mut s = self.lock();
        s.calls.push((operation, url.to_owned()));
        let injected = s
            .failing_calls
            .iter_mut()
            .find(|(op, n)| *op == operation && *n > 0);
        if let Some(slot) = injected {
            slot.1 -= 1;
            return Err(QueueError::Unavailable {
                queue: url.to_owned(),
                operation,
                detail: "injected fault: connection reset".into(),
            });
        }
        if s.unavailable {
            return Err(QueueError::Unavailable {
                queue: url.to_owned(),
                operation,
                detail: "the in-memory queue was told to be unavailable".into(),
            });
        }
        if !s.queues.contains_key(url) {
            return Err(QueueError::Refused {
                queue: url.to_owned(),
                operation,
                code: "AWS.SimpleQueueService.NonExistentQueue".into(),
                detail: "The specified queue does not exist".into(),
            });
        }
        Ok(s)
    }

    fn check_batch(url: &str, operation: Operation, len: usize) -> Result<(), QueueError> {
        if len == 0 || len > MAX_BATCH_ENTRIES {
            return Err(QueueError::Refused {
                queue: url.to_owned(),
                operation,
                code: if len == 0 {
                    "AWS.SimpleQueueService.EmptyBatchRequest".into()
                } else {
                    "AWS.SimpleQueueService.TooManyEntriesInBatchRequest".into()
                },
                detail: format!("a batch holds 1 to {MAX_BATCH_ENTRIES} entries, not {len}"),
            });
        }
        Ok(())
    }

    /// Apply `apply` to each message whose current receipt handle is given; the others fail.
    fn settle(
        &self,
        url: &str,
        operation: Operation,
        handles: &[Handle],
        mut apply: impl FnMut(&mut VecDeque<StoredMessage>, usize) -> Option<EntryFailure>,
    ) -> Result<Vec<EntryFailure>, QueueError> {
        let mut s = self.enter(url, operation)?;
        Self::check_batch(url, operation, handles.len())?;
        let q = s.queues.get_mut(url).expect("checked by enter");
        let mut failed = Vec::new();
        for h in handles {
            let found = q
                .messages
                .iter()
                .position(|m| m.handle.as_deref() == Some(h.receipt_handle.as_str()));
            let failure = match found {
                Some(i) => apply(&mut q.messages, i),
                None => Some(EntryFailure {
                    entry_id: h.entry_id.clone(),
                    code: "ReceiptHandleIsInvalid".into(),
                    message: "the receipt handle is not that of a message in the queue".into(),
                    sender_fault: true,
                }),
            };
            if let Some(mut f) = failure {
                f.entry_id.clone_from(&h.entry_id);
                failed.push(f);
            }
        }
        Ok(failed)
    }
}

impl QueueService for MemoryQueues {
    async fn queue_info(&self, url: &str) -> Result<QueueInfo, QueueError> {
        let now = self.clock.monotonic();
        let s = self.enter(url, Operation::GetQueueAttributes)?;
        let q = &s.queues[url];
        let visible = q.messages.iter().filter(|m| m.visible_at <= now).count() as u64;
        Ok(QueueInfo {
            url: url.to_owned(),
            arn: Some(arn(url)),
            fifo: q.settings.fifo,
            visible,
            in_flight: q.messages.len() as u64 - visible,
            delayed: 0,
            visibility_timeout_secs: Some(q.settings.visibility_timeout.as_secs()),
            redrive_policy: q.settings.redrive.as_ref().map(|r| {
                serde_json::json!({
                    "deadLetterTargetArn": arn(&r.dead_letter_queue),
                    "maxReceiveCount": r.max_receive_count,
                })
                .to_string()
            }),
        })
    }

    async fn dead_letter_sources(&self, url: &str) -> Result<Vec<String>, QueueError> {
        let s = self.enter(url, Operation::ListDeadLetterSourceQueues)?;
        Ok(s.queues
            .iter()
            .filter(|(_, q)| {
                q.settings
                    .redrive
                    .as_ref()
                    .is_some_and(|r| r.dead_letter_queue == url)
            })
            .map(|(u, _)| u.clone())
            .collect())
    }

    async fn receive(
        &self,
        url: &str,
        max: usize,
        _wait: Duration,
        visibility: Duration,
    ) -> Result<Vec<ReceivedMessage>, QueueError> {
        let now = self.clock.monotonic();
        let wall = self.clock.now_utc();
        let mut guard = self.enter(url, Operation::ReceiveMessage)?;
        let s = &mut *guard;
        let q = s.queues.get_mut(url).expect("checked by enter");
        let fifo = q.settings.fifo;
        let redrive = q.settings.redrive.clone();
        let busy_groups: Vec<String> = q
            .messages
            .iter()
            .filter(|m| fifo && m.visible_at > now)
            .filter_map(|m| m.group_id.clone())
            .collect();
        let mut out = Vec::new();
        let mut dead = Vec::new();
        let mut i = 0;
        while i < q.messages.len() && out.len() < max.clamp(1, MAX_BATCH_ENTRIES) {
            let m = &q.messages[i];
            let held =
                m.visible_at > now || m.group_id.as_ref().is_some_and(|g| busy_groups.contains(g));
            if held {
                i += 1;
                continue;
            }
            if let Some(r) = &redrive {
                if m.receive_count >= u64::from(r.max_receive_count) {
                    let mut moved = q.messages.remove(i).expect("index checked");
                    moved.handle = None;
                    dead.push(moved);
                    continue;
                }
            }
            s.next_id += 1;
            let m = &mut q.messages[i];
            m.receive_count += 1;
            m.first_received_at.get_or_insert(wall);
            m.visible_at = now + visibility;
            let handle = format!("{}#{}", m.message_id, s.next_id);
            m.handle = Some(handle.clone());
            let mut attributes = BTreeMap::from([
                (
                    "SentTimestamp".to_string(),
                    m.sent_at.timestamp_millis().to_string(),
                ),
                (
                    "ApproximateReceiveCount".to_string(),
                    m.receive_count.to_string(),
                ),
                (
                    "ApproximateFirstReceiveTimestamp".to_string(),
                    m.first_received_at
                        .unwrap_or(wall)
                        .timestamp_millis()
                        .to_string(),
                ),
            ]);
            if let Some(g) = &m.group_id {
                attributes.insert("MessageGroupId".into(), g.clone());
            }
            out.push(ReceivedMessage {
                message_id: m.message_id.clone(),
                receipt_handle: handle,
                body: m.body.clone(),
                md5_of_body: None,
                attributes,
                message_attributes: m.message_attributes.clone(),
            });
            i += 1;
        }
        if let Some(r) = redrive {
            if let Some(dlq) = s.queues.get_mut(&r.dead_letter_queue) {
                for mut m in dead {
                    m.visible_at = now;
                    dlq.messages.push_back(m);
                }
            }
        }
        Ok(out)
    }

    async fn send_batch(
        &self,
        url: &str,
        entries: &[OutgoingMessage],
    ) -> Result<Vec<EntryFailure>, QueueError> {
        let now = self.clock.monotonic();
        let wall = self.clock.now_utc();
        let mut guard = self.enter(url, Operation::SendMessage)?;
        Self::check_batch(url, Operation::SendMessage, entries.len())?;
        let s = &mut *guard;
        let q = s.queues.get_mut(url).expect("checked by enter");
        q.dedup_seen
            .retain(|_, at| now.saturating_sub(*at) < FIFO_DEDUP_WINDOW);
        let mut failed = Vec::new();
        for e in entries {
            let refused = s
                .refuse_bodies
                .iter()
                .find(|(needle, _)| e.body.contains(needle.as_str()));
            if let Some((_, code)) = refused {
                failed.push(EntryFailure {
                    entry_id: e.entry_id.clone(),
                    code: code.clone(),
                    message: "injected fault".into(),
                    sender_fault: false,
                });
                continue;
            }
            if s.entry_fault.as_mut().is_some_and(|f| f(e)) {
                failed.push(EntryFailure {
                    entry_id: e.entry_id.clone(),
                    code: "InternalError".into(),
                    message: "injected entry failure".into(),
                    sender_fault: false,
                });
                continue;
            }
            if q.settings.fifo {
                let (Some(_), Some(dedup)) = (&e.group_id, &e.dedup_id) else {
                    failed.push(EntryFailure {
                        entry_id: e.entry_id.clone(),
                        code: "MissingParameter".into(),
                        message: "a FIFO queue needs a group id and a dedup id".into(),
                        sender_fault: true,
                    });
                    continue;
                };
                if q.dedup_seen.contains_key(dedup) {
                    continue; // accepted, and dropped as a duplicate, as SQS does
                }
                q.dedup_seen.insert(dedup.clone(), now);
            }
            s.next_id += 1;
            q.sent_total += 1;
            q.messages.push_back(StoredMessage {
                message_id: message_id(s.next_id),
                body: e.body.clone(),
                message_attributes: e.attributes.clone(),
                group_id: e.group_id.clone(),
                dedup_id: e.dedup_id.clone(),
                sent_at: wall,
                receive_count: 0,
                first_received_at: None,
                in_flight: false,
                visible_at: now,
                handle: None,
            });
        }
        Ok(failed)
    }

    async fn delete_batch(
        &self,
        url: &str,
        handles: &[Handle],
    ) -> Result<Vec<EntryFailure>, QueueError> {
        self.settle(url, Operation::DeleteMessage, handles, |messages, i| {
            messages.remove(i);
            None
        })
    }

    async fn change_visibility_batch(
        &self,
        url: &str,
        handles: &[Handle],
        visibility: Duration,
    ) -> Result<Vec<EntryFailure>, QueueError> {
        let now = self.clock.monotonic();
        self.settle(
            url,
            Operation::ChangeMessageVisibility,
            handles,
            |messages, i| {
                let m = &mut messages[i];
                if m.visible_at <= now {
                    return Some(EntryFailure {
                        entry_id: String::new(),
                        code: "AWS.SimpleQueueService.MessageNotInflight".into(),
                        message: "the message is not in flight".into(),
                        sender_fault: true,
                    });
                }
                m.visible_at = now + visibility;
                None
            },
        )
    }
}

/// One queue of the twin, as a [`super::MessageQueue`]: what the report service's tests use.
pub type MemoryQueue = BoundQueue<MemoryQueues>;

impl BoundQueue<MemoryQueues> {
    /// A twin holding one queue named `name` (FIFO or not, whatever the name says).
    pub fn new(name: &str, fifo: bool) -> Self {
        let queues = MemoryQueues::new();
        queues.create_with(
            name,
            QueueSettings {
                fifo,
                ..QueueSettings::for_url(name)
            },
        );
        let mut queue = BoundQueue::bind(queues, name);
        queue.fifo = fifo;
        queue
    }

    /// Every message the queue holds, as it was sent.
    pub fn accepted(&self) -> Vec<OutgoingMessage> {
        self.service()
            .messages(self.url())
            .into_iter()
            .map(|m| OutgoingMessage {
                entry_id: m.message_id,
                body: m.body,
                attributes: m.message_attributes,
                group_id: m.group_id,
                dedup_id: m.dedup_id,
            })
            .collect()
    }

    /// Remove and return every message the queue holds.
    pub fn drain(&self) -> Vec<OutgoingMessage> {
        let all = self.accepted();
        if let Some(q) = self.service().lock().queues.get_mut(self.url()) {
            q.messages.clear();
        }
        all
    }

    /// Number of send calls made to this queue.
    pub fn calls(&self) -> usize {
        self.service().calls_to(self.url(), Operation::SendMessage)
    }

    pub fn set_unavailable(&self, unavailable: bool) {
        self.service().set_unavailable(unavailable);
    }

    pub fn fail_entries(&self, fault: impl FnMut(&OutgoingMessage) -> bool + Send + 'static) {
        self.service().fail_entries(fault);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::ManualClock;
    use std::future::Future;

    const Q: &str = "https://sqs.us-east-1.amazonaws.com/1/work";
    const DLQ: &str = "https://sqs.us-east-1.amazonaws.com/1/work-dlq";
    const FIFO: &str = "https://sqs.us-east-1.amazonaws.com/1/work.fifo";

    fn block<F: Future>(f: F) -> F::Output {
        tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap()
            .block_on(f)
    }

    fn twin() -> (Arc<ManualClock>, MemoryQueues) {
        let clock = Arc::new(ManualClock::new(Utc::now()));
        let queues = MemoryQueues::with_clock(clock.clone());
        queues.create(Q);
        queues.create(DLQ);
        queues.create(FIFO);
        (clock, queues)
    }

    fn fifo_entry(id: &str, group: &str, dedup: &str) -> OutgoingMessage {
        OutgoingMessage {
            group_id: Some(group.into()),
            dedup_id: Some(dedup.into()),
            ..OutgoingMessage::new(id, dedup)
        }
    }

    fn handle(m: &ReceivedMessage) -> Handle {
        Handle {
            entry_id: "0".into(),
            receipt_handle: m.receipt_handle.clone(),
        }
    }

    const VIS: Duration = Duration::from_secs(30);

    #[test]
    fn visibility_receive_count_and_redrive() {
        let (clock, q) = twin();
        q.set_redrive(Q, DLQ, 2);
        block(q.send_batch(Q, &[OutgoingMessage::new("0", "a")])).unwrap();
        let got = block(q.receive(Q, 10, Duration::ZERO, VIS)).unwrap();
        assert_eq!(got.len(), 1);
        assert_eq!(got[0].receive_count(), Some(1));
        assert!(block(q.receive(Q, 10, Duration::ZERO, VIS))
            .unwrap()
            .is_empty());
        clock.advance(VIS);
        let again = block(q.receive(Q, 10, Duration::ZERO, VIS)).unwrap();
        assert_eq!(again[0].receive_count(), Some(2), "back after the timeout");
        clock.advance(VIS);
        assert!(
            block(q.receive(Q, 10, Duration::ZERO, VIS))
                .unwrap()
                .is_empty(),
            "received max_receive_count times: moved to the dead-letter queue"
        );
        assert!(q.messages(Q).is_empty());
        assert_eq!(q.messages(DLQ)[0].body, "a");
        assert_eq!(block(q.dead_letter_sources(DLQ)).unwrap(), vec![Q]);
        let info = block(q.queue_info(Q)).unwrap();
        assert!(info.redrive_policy.unwrap().contains("work-dlq"));
    }

    #[test]
    fn delete_and_change_visibility_take_the_latest_handle() {
        let (clock, q) = twin();
        let batch = [
            OutgoingMessage::new("0", "a"),
            OutgoingMessage::new("1", "b"),
        ];
        block(q.send_batch(Q, &batch)).unwrap();
        let got = block(q.receive(Q, 10, Duration::ZERO, VIS)).unwrap();
        assert!(block(q.delete_batch(Q, &[handle(&got[0])]))
            .unwrap()
            .is_empty());
        let twice = block(q.delete_batch(Q, &[handle(&got[0])])).unwrap();
        assert_eq!(twice[0].code, "ReceiptHandleIsInvalid");
        let released =
            block(q.change_visibility_batch(Q, &[handle(&got[1])], Duration::ZERO)).unwrap();
        assert!(released.is_empty());
        let b = block(q.receive(Q, 10, Duration::ZERO, VIS)).unwrap();
        assert_eq!(b[0].body, "b");
        assert_ne!(b[0].receipt_handle, got[1].receipt_handle);
        clock.advance(VIS);
        let late = block(q.change_visibility_batch(Q, &[handle(&b[0])], VIS)).unwrap();
        assert_eq!(late[0].code, "AWS.SimpleQueueService.MessageNotInflight");
    }

    #[test]
    fn fifo_dedups_within_the_window_and_holds_a_busy_group() {
        let (clock, q) = twin();
        block(q.send_batch(FIFO, &[fifo_entry("0", "g", "a")])).unwrap();
        block(q.send_batch(FIFO, &[fifo_entry("0", "g", "a")])).unwrap();
        assert_eq!(q.messages(FIFO).len(), 1, "the repeat was dropped");
        clock.advance(FIFO_DEDUP_WINDOW);
        block(q.send_batch(FIFO, &[fifo_entry("0", "g", "a")])).unwrap();
        block(q.send_batch(FIFO, &[fifo_entry("0", "h", "b")])).unwrap();
        assert_eq!(q.messages(FIFO).len(), 3);
        let got = block(q.receive(FIFO, 1, Duration::ZERO, VIS)).unwrap();
        assert_eq!(got[0].group_id(), Some("g"));
        let rest = block(q.receive(FIFO, 10, Duration::ZERO, VIS)).unwrap();
        let groups: Vec<_> = rest.iter().map(|m| m.group_id().unwrap()).collect();
        assert_eq!(
            groups,
            ["h"],
            "group g is held while one of its messages is in flight"
        );
        let missing = block(q.send_batch(FIFO, &[OutgoingMessage::new("0", "x")])).unwrap();
        assert_eq!(missing[0].code, "MissingParameter");
    }

    #[test]
    fn faults_and_a_missing_queue() {
        let (_, q) = twin();
        q.fail_next_calls(Operation::SendMessage, 1);
        let e = block(q.send_batch(Q, &[OutgoingMessage::new("0", "a")])).unwrap_err();
        assert!(e.is_retryable(), "{e}");
        q.refuse_bodies_containing("poison", "KMS.AccessDenied");
        let refused = block(q.send_batch(
            Q,
            &[
                OutgoingMessage::new("0", "poison"),
                OutgoingMessage::new("1", "fine"),
            ],
        ))
        .unwrap();
        assert_eq!(refused.len(), 1);
        assert_eq!(refused[0].entry_id, "0");
        let gone = block(q.queue_info("https://sqs.us-east-1.amazonaws.com/1/nope")).unwrap_err();
        assert_eq!(gone.code(), Some("AWS.SimpleQueueService.NonExistentQueue"));
        let too_many: Vec<_> = (0..11)
            .map(|i| OutgoingMessage::new(i.to_string(), "x"))
            .collect();
        assert!(!block(q.send_batch(Q, &too_many))
            .unwrap_err()
            .is_retryable());
        q.set_unavailable(true);
        assert!(block(q.receive(Q, 1, Duration::ZERO, VIS))
            .unwrap_err()
            .is_retryable());
    }

    #[test]
    fn a_single_memory_queue_keeps_what_it_accepted() {
        let queue = MemoryQueue::new("memory", false);
        use crate::queue::MessageQueue as _;
        block(queue.send_batch(&[OutgoingMessage::new("0", "a")])).unwrap();
        assert_eq!(queue.accepted()[0].body, "a");
        assert_eq!(queue.calls(), 1);
        assert_eq!(queue.drain().len(), 1);
        assert!(queue.accepted().is_empty());
    }
}

//! The queue port's contract, as one suite every implementation must pass: the twin in this
//! crate's tests, the SQS adapter against moto_server in `logofill-aws`'s.
//!
//! What is checked is what logofill relies on: a batch send answers per entry and keeps
//! attributes; a received message is hidden until it is deleted or its visibility is changed,
//! and comes back with a higher receive count and a new receipt handle; delete takes the latest
//! handle; a FIFO queue drops a repeated dedup id; a redrive policy moves a message received
//! too often to its dead-letter queue, which lists the source; a missing queue is refused, not
//! retryable. Only behaviour SQS documents is checked, so a pass here means the same on AWS.

use std::collections::BTreeMap;
use std::time::Duration;

use super::{AttributeValue, Handle, OutgoingMessage, QueueService, ReceivedMessage};

/// The queues a run needs; the caller creates them (empty) however its implementation does.
#[derive(Debug, Clone)]
pub struct ContractQueues {
    /// A standard queue, 30 s visibility.
    pub plain: String,
    /// A FIFO queue (content-based deduplication off).
    pub fifo: String,
    /// A standard queue whose redrive policy sends a message to `dead_letter` after one receive.
    pub redriven: String,
    /// The dead-letter queue of `redriven`.
    pub dead_letter: String,
    /// A URL of the same shape as the others naming no queue.
    pub missing: String,
}

const VISIBILITY: Duration = Duration::from_secs(30);

fn handles(messages: &[ReceivedMessage]) -> Vec<Handle> {
    messages
        .iter()
        .enumerate()
        .map(|(i, m)| Handle {
            entry_id: i.to_string(),
            receipt_handle: m.receipt_handle.clone(),
        })
        .collect()
}

/// Receive until `want` messages came or a receive came back empty.
async fn receive_up_to<Q: QueueService>(q: &Q, url: &str, want: usize) -> Vec<ReceivedMessage> {
    let mut got = Vec::new();
    while got.len() < want {
        let batch = q
            .receive(url, want - got.len(), Duration::from_secs(1), VISIBILITY)
            .await
            .expect("receive");
        if batch.is_empty() {
            break;
        }
        got.extend(batch);
    }
    got
}

/// Run the whole contract against `q`. Panics, naming the broken promise, on the first failure.
pub async fn run<Q: QueueService>(q: &Q, queues: &ContractQueues) {
    sends_receives_hides_and_deletes(q, &queues.plain).await;
    fifo_drops_a_repeated_dedup_id(q, &queues.fifo).await;
    redrive_moves_a_message_received_too_often(q, &queues.redriven, &queues.dead_letter).await;
    a_missing_queue_is_refused(q, &queues.missing).await;
}

async fn sends_receives_hides_and_deletes<Q: QueueService>(q: &Q, url: &str) {
    let attributes = BTreeMap::from([
        (
            "trace".to_string(),
            AttributeValue {
                data_type: "String".into(),
                string_value: Some("t-1".into()),
                binary_value: None,
            },
        ),
        (
            "blob".to_string(),
            AttributeValue {
                data_type: "Binary".into(),
                string_value: None,
                binary_value: Some(vec![0, 159, 255]),
            },
        ),
    ]);
    let batch = [
        OutgoingMessage {
            attributes: attributes.clone(),
            ..OutgoingMessage::new("0", "a")
        },
        OutgoingMessage::new("1", "b"),
        OutgoingMessage::new("2", "c"),
    ];
    let failed = q.send_batch(url, &batch).await.expect("send_batch");
    assert!(
        failed.is_empty(),
        "a valid batch is accepted whole: {failed:?}"
    );

    let got = receive_up_to(q, url, 3).await;
    let mut bodies: Vec<&str> = got.iter().map(|m| m.body.as_str()).collect();
    bodies.sort_unstable();
    assert_eq!(bodies, ["a", "b", "c"], "every sent message is received");
    for m in &got {
        assert_eq!(m.receive_count(), Some(1), "first receive counts one");
        assert!(m.sent_at().is_some(), "SentTimestamp is given");
    }
    let a = got.iter().find(|m| m.body == "a").expect("a");
    assert_eq!(
        a.message_attributes, attributes,
        "attributes come back as sent"
    );

    let hidden = q
        .receive(url, 10, Duration::ZERO, VISIBILITY)
        .await
        .expect("receive");
    assert!(
        hidden.is_empty(),
        "received messages are hidden: {hidden:?}"
    );

    let b = got.iter().find(|m| m.body == "b").expect("b");
    let released = q
        .change_visibility_batch(url, &handles(std::slice::from_ref(b)), Duration::ZERO)
        .await
        .expect("change_visibility_batch");
    assert!(released.is_empty(), "visibility 0 releases: {released:?}");
    let again = receive_up_to(q, url, 1).await;
    assert_eq!(again.len(), 1, "a released message comes back");
    assert_eq!(again[0].body, "b");
    assert_eq!(
        again[0].receive_count(),
        Some(2),
        "the second receive counts two"
    );
    assert_ne!(
        again[0].receipt_handle, b.receipt_handle,
        "every receive has a new receipt handle"
    );

    let mut latest: Vec<ReceivedMessage> = got.iter().filter(|m| m.body != "b").cloned().collect();
    latest.extend(again);
    let failed = q
        .delete_batch(url, &handles(&latest))
        .await
        .expect("delete_batch");
    assert!(
        failed.is_empty(),
        "deleting with the latest handles: {failed:?}"
    );
    let info = q.queue_info(url).await.expect("queue_info");
    assert_eq!(
        (info.visible, info.in_flight),
        (0, 0),
        "deleted is gone: {info:?}"
    );
    assert!(!info.fifo);
}

async fn fifo_drops_a_repeated_dedup_id<Q: QueueService>(q: &Q, url: &str) {
    let entry = |id: &str| OutgoingMessage {
        group_id: Some("acme".into()),
        dedup_id: Some("acme-1".into()),
        ..OutgoingMessage::new(id, "acme")
    };
    for id in ["0", "1"] {
        let failed = q.send_batch(url, &[entry(id)]).await.expect("send_batch");
        assert!(failed.is_empty(), "{failed:?}");
    }
    let got = receive_up_to(q, url, 2).await;
    assert_eq!(got.len(), 1, "a repeated dedup id is dropped: {got:?}");
    assert_eq!(got[0].group_id(), Some("acme"));
    assert!(q.queue_info(url).await.expect("queue_info").fifo);
    let failed = q.delete_batch(url, &handles(&got)).await.expect("delete");
    assert!(failed.is_empty(), "{failed:?}");
}

async fn redrive_moves_a_message_received_too_often<Q: QueueService>(
    q: &Q,
    source: &str,
    dead_letter: &str,
) {
    let failed = q
        .send_batch(source, &[OutgoingMessage::new("0", "poison")])
        .await
        .expect("send_batch");
    assert!(failed.is_empty(), "{failed:?}");
    let first = receive_up_to(q, source, 1).await;
    assert_eq!(first.len(), 1);
    q.change_visibility_batch(source, &handles(&first), Duration::ZERO)
        .await
        .expect("release");
    let second = q
        .receive(source, 10, Duration::from_secs(1), VISIBILITY)
        .await
        .expect("receive");
    assert!(
        second.is_empty(),
        "received maxReceiveCount times: not delivered again: {second:?}"
    );
    let dead = receive_up_to(q, dead_letter, 1).await;
    assert_eq!(dead.len(), 1, "the message is in the dead-letter queue");
    assert_eq!(dead[0].body, "poison", "with its body untouched");
    let sources = q
        .dead_letter_sources(dead_letter)
        .await
        .expect("dead_letter_sources");
    assert_eq!(sources, [source], "the dead-letter queue names its source");
    let info = q.queue_info(source).await.expect("queue_info");
    assert!(
        info.redrive_policy
            .is_some_and(|p| p.contains("maxReceiveCount")),
        "the source has its redrive policy"
    );
}

async fn a_missing_queue_is_refused<Q: QueueService>(q: &Q, url: &str) {
    let err = q
        .queue_info(url)
        .await
        .expect_err("a missing queue has no attributes");
    assert!(
        !err.is_retryable(),
        "a missing queue is not retryable: {err}"
    );
    assert!(
        err.to_string().contains(url),
        "the error names the queue: {err}"
    );
    let err = q
        .send_batch(url, &[OutgoingMessage::new("0", "x")])
        .await
        .expect_err("nothing is sent to a missing queue");
    assert!(!err.is_retryable(), "{err}");
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::queue::MemoryQueues;

    #[tokio::test]
    async fn the_twin_keeps_the_contract() {
        let base = "https://sqs.us-east-1.amazonaws.com/000000000000";
        let queues = ContractQueues {
            plain: format!("{base}/plain"),
            fifo: format!("{base}/ordered.fifo"),
            redriven: format!("{base}/work"),
            dead_letter: format!("{base}/work-dlq"),
            missing: format!("{base}/nope"),
        };
        let twin = MemoryQueues::new();
        for url in [
            &queues.plain,
            &queues.fifo,
            &queues.redriven,
            &queues.dead_letter,
        ] {
            twin.create(url);
        }
        twin.set_redrive(&queues.redriven, &queues.dead_letter, 1);
        run(&twin, &queues).await;
    }
}

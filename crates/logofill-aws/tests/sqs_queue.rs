//! The report service with the real SQS adapter against moto_server on loopback.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use logofill_aws::{Sqs, SqsQueue};
use logofill_core::report::{HttpRequest, ReportBody, REPORT_PATH};
use logofill_core::{
    AllowedOrigins, EntryFailure, MessageQueue, OutgoingMessage, QueueError, QueueMessage,
    ReportOptions, ReportService, SystemClock,
};
use logofill_testkit::aws::{create_queue, drain_queue, sqs_client};
use logofill_testkit::moto::MotoServer;
use serde_json::Value;

/// Counts `send_batch` calls on the way to the real queue.
struct Counting {
    inner: SqsQueue,
    calls: AtomicUsize,
}

impl MessageQueue for Counting {
    fn name(&self) -> &str {
        self.inner.name()
    }
    fn is_fifo(&self) -> bool {
        self.inner.is_fifo()
    }
    async fn send_batch(&self, batch: &[OutgoingMessage]) -> Result<Vec<EntryFailure>, QueueError> {
        self.calls.fetch_add(1, Ordering::SeqCst);
        self.inner.send_batch(batch).await
    }
}

fn service<Q: MessageQueue>(queue: Q) -> ReportService<Q, SystemClock> {
    ReportService::new(
        queue,
        SystemClock::default(),
        ReportOptions::new(AllowedOrigins::Any),
    )
}

fn post(body: &str) -> HttpRequest<'_> {
    HttpRequest {
        method: "POST",
        path: REPORT_PATH,
        content_type: Some("application/json"),
        origin: None,
        body: ReportBody::Plain(body.as_bytes()),
    }
}

fn ids_json(ids: &[String]) -> String {
    serde_json::json!({ "company_ids": ids }).to_string()
}

fn parse(resp_body: &str) -> Value {
    serde_json::from_str(resp_body).unwrap()
}

#[tokio::test]
async fn messages_arrive_with_the_v1_body() {
    let moto = MotoServer::start();
    let sqs = sqs_client(&moto.endpoint).await;
    let url = create_queue(&sqs, "logofill-reports").await;
    let svc = service(Sqs::new(sqs.clone()).queue(url.clone()));
    let (resp, _) = svc
        .handle(post(r#"{"company_ids": ["acme", "globex", "acme"]}"#))
        .await;
    assert_eq!(resp.status, 202, "{}", resp.body);
    assert_eq!(
        parse(&resp.body),
        serde_json::json!({"enqueued": 2, "duplicates": 1})
    );
    let mut bodies = drain_queue(&sqs, &url).await;
    bodies.sort();
    assert_eq!(bodies.len(), 2);
    for (body, id) in bodies.iter().zip(["acme", "globex"]) {
        let m = QueueMessage::from_body(body).unwrap();
        assert_eq!(m.company_id.as_str(), id);
        assert_eq!(m.origin, logofill_core::Origin::Report);
        let raw: Value = serde_json::from_str(body).unwrap();
        assert_eq!(raw["v"], 1);
    }
}

#[tokio::test]
async fn twenty_three_ids_are_three_batch_calls_and_twenty_three_messages() {
    let moto = MotoServer::start();
    let sqs = sqs_client(&moto.endpoint).await;
    let url = create_queue(&sqs, "logofill-23").await;
    let queue = Arc::new(Counting {
        inner: Sqs::new(sqs.clone()).queue(url.clone()),
        calls: AtomicUsize::new(0),
    });
    let svc = service(queue.clone());
    let ids: Vec<String> = (0..23).map(|i| format!("company-{i}")).collect();
    let (resp, counts) = svc.handle(post(&ids_json(&ids))).await;
    assert_eq!(resp.status, 202, "{}", resp.body);
    assert_eq!(counts.enqueued, 23);
    assert_eq!(queue.calls.load(Ordering::SeqCst), 3);
    let mut got: Vec<String> = drain_queue(&sqs, &url)
        .await
        .iter()
        .map(|b| QueueMessage::from_body(b).unwrap().company_id.to_string())
        .collect();
    got.sort();
    let mut want = ids.clone();
    want.sort();
    assert_eq!(got, want);
}

#[tokio::test]
async fn a_fifo_queue_drops_a_repeat_across_two_instances() {
    let moto = MotoServer::start();
    let sqs = sqs_client(&moto.endpoint).await;
    let url = create_queue(&sqs, "logofill-reports.fifo").await;
    // Two Lambda instances: separate dedup caches, same queue.
    let first = service(Sqs::new(sqs.clone()).queue(url.clone()));
    let second = service(Sqs::new(sqs.clone()).queue(url.clone()));
    let (resp, _) = first
        .handle(post(r#"{"company_ids": ["acme", "globex"]}"#))
        .await;
    assert_eq!(parse(&resp.body)["enqueued"], 2, "{}", resp.body);
    let (resp, _) = second.handle(post(r#"{"company_ids": ["acme"]}"#)).await;
    assert_eq!(resp.status, 202, "{}", resp.body);
    let bodies = drain_queue(&sqs, &url).await;
    let acme = bodies.iter().filter(|b| b.contains("\"acme\"")).count();
    assert_eq!(
        acme, 1,
        "SQS dropped the repeat by its dedup id: {bodies:?}"
    );
    assert_eq!(bodies.len(), 2);
}

#[tokio::test]
async fn a_missing_queue_gives_503_and_caches_nothing() {
    let moto = MotoServer::start();
    let sqs = sqs_client(&moto.endpoint).await;
    // Learn the URL shape from a real queue, then point at one that does not exist yet.
    let probe = create_queue(&sqs, "probe").await;
    let url = probe.replace("/probe", "/created-later");
    let svc = service(Sqs::new(sqs.clone()).queue(url.clone()));
    let (resp, counts) = svc.handle(post(r#"{"company_ids": ["acme"]}"#)).await;
    assert_eq!(resp.status, 503, "{}", resp.body);
    assert_eq!(resp.header("retry-after"), Some("30"));
    assert_eq!(counts.failed, 1);
    // The queue URL and the AWS error go to the log; the caller only learns it may retry.
    assert_eq!(parse(&resp.body)["detail"], "queue unavailable");
    for leak in [
        "created-later",
        "NonExistentQueue",
        "does not exist",
        "123456789012",
    ] {
        assert!(!resp.body.contains(leak), "{leak} in {}", resp.body);
    }

    assert_eq!(create_queue(&sqs, "created-later").await, url);
    let (resp, _) = svc.handle(post(r#"{"company_ids": ["acme"]}"#)).await;
    assert_eq!(
        parse(&resp.body)["enqueued"],
        1,
        "acme was not cached after the failure"
    );
    assert_eq!(drain_queue(&sqs, &url).await.len(), 1);
}

#[tokio::test]
async fn a_stopped_server_gives_503() {
    let mut moto = MotoServer::start();
    let sqs = sqs_client(&moto.endpoint).await;
    let url = create_queue(&sqs, "gone").await;
    moto.stop();
    let svc = service(Sqs::new(sqs.clone()).queue(url));
    let (resp, _) = svc.handle(post(r#"{"company_ids": ["acme"]}"#)).await;
    assert_eq!(resp.status, 503, "{}", resp.body);
    assert_eq!(
        parse(&resp.body)["detail"],
        "queue unavailable",
        "no connection error text reaches the caller"
    );
}

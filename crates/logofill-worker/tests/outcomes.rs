//! Every outcome of the design's table on the in-memory twins (directory, fetcher, bucket, an
//! in-process renderer), without moto or a network. `tests/service.rs` covers the outcomes
//! discovery adds (blocked, the no-logo placeholder's wait, the platform icon); the moto runs
//! (`tests/lambda.rs`, and `worker_outcomes` in `tests/it`) the same table through SQS and S3.

mod common;

use std::sync::Arc;

use common::{id, png, settings};

use aws_lambda_events::sqs::SqsMessage;
use logofill_core::directory::{CompanyDirectory, CompanyRecord, DirectoryError, JsonlDirectory};
use logofill_core::fetch::{FetchError, MemoryFetcher};
use logofill_core::store::MemoryStore;
use logofill_core::{CompanyId, Origin, QueueMessage};
use logofill_render::Renderer;
use logofill_worker::wiring::{pipeline, service_options};
use logofill_worker::{process_batch, LogoWorker, Outcome};

fn worker<D: CompanyDirectory>(
    directory: D,
    fetcher: Arc<MemoryFetcher>,
) -> LogoWorker<D, MemoryStore, Arc<MemoryFetcher>> {
    let settings = settings();
    LogoWorker::new(
        directory,
        MemoryStore::new(),
        fetcher,
        Renderer::in_process(pipeline(&settings).unwrap()),
        service_options(&settings),
    )
}

fn directory(records: &[serde_json::Value]) -> JsonlDirectory {
    let text: Vec<String> = records.iter().map(|c| c.to_string()).collect();
    JsonlDirectory::parse("test", &text.join("\n"))
}

fn body(company: &str) -> String {
    QueueMessage::body_for(&id(company), "2026-12-02T00:00:00Z", Origin::Report)
}

fn acme_with_logo(fetcher: &MemoryFetcher) -> JsonlDirectory {
    fetcher.answer_with(
        "https://acme.example/logo.png",
        200,
        &[("content-type", "image/png")],
        png("acme"),
    );
    directory(&[serde_json::json!({
        "id": "acme", "name": "Acme", "logo_url": "https://acme.example/logo.png"
    })])
}

#[tokio::test]
async fn a_usable_logo_is_stored_then_already_present() {
    let fetcher = Arc::new(MemoryFetcher::new());
    let w = worker(acme_with_logo(&fetcher), fetcher.clone());
    let (outcome, _) = w.process_body(&body("acme")).await;
    assert!(matches!(outcome, Outcome::Stored { .. }), "{outcome:?}");
    let sentinel = w.store().get("logos/acme/256.png").expect("the set");
    assert_eq!(sentinel.metadata["kind"], "logo");
    let (again, _) = w.process_body(&body("acme")).await;
    assert!(matches!(again, Outcome::AlreadyPresent { .. }), "{again:?}");
    assert!(!again.is_failure());
}

#[tokio::test]
async fn a_company_the_directory_does_not_know_is_acknowledged() {
    let w = worker(directory(&[]), Arc::new(MemoryFetcher::new()));
    let (outcome, _) = w.process_body(&body("initech")).await;
    assert!(matches!(outcome, Outcome::UnknownCompany), "{outcome:?}");
    assert!(!outcome.is_failure());
    assert!(w.store().get("logos/initech/256.png").is_none());
}

#[tokio::test]
async fn a_fetch_timeout_and_an_unavailable_bucket_are_retried() {
    let fetcher = Arc::new(MemoryFetcher::new());
    fetcher.fail(
        "https://acme.example/logo.png",
        FetchError::Timeout {
            url: "https://acme.example/logo.png".into(),
            detail: "no answer in 10 s".into(),
        },
    );
    let records = directory(&[serde_json::json!({
        "id": "acme", "name": "Acme", "logo_url": "https://acme.example/logo.png"
    })]);
    let w = worker(records, fetcher);
    let (outcome, _) = w.process_body(&body("acme")).await;
    assert!(matches!(outcome, Outcome::Retry { .. }), "{outcome:?}");
    assert!(outcome.is_failure(), "SQS retries it");
    assert!(
        w.store().get("logos/acme/256.png").is_none(),
        "no placeholder for a fetch that may pass"
    );

    let fetcher = Arc::new(MemoryFetcher::new());
    let w = worker(acme_with_logo(&fetcher), fetcher);
    w.store().set_unavailable(true);
    let (outcome, _) = w.process_body(&body("acme")).await;
    assert!(matches!(outcome, Outcome::Retry { .. }), "{outcome:?}");
    assert!(outcome.is_failure());
}

#[tokio::test]
async fn an_unreadable_body_is_poison() {
    let w = worker(directory(&[]), Arc::new(MemoryFetcher::new()));
    for raw in ["not json", r#"{"v":9}"#, r#"{"v":1,"company_id":"../x"}"#] {
        let (outcome, _) = w.process_body(raw).await;
        assert!(
            matches!(outcome, Outcome::Poison { .. }),
            "{raw}: {outcome:?}"
        );
        assert!(
            outcome.is_failure(),
            "to the dead-letter queue for a person"
        );
    }
}

/// A directory whose record for every company breaks the contract.
struct BrokenRecords;

impl CompanyDirectory for BrokenRecords {
    async fn lookup(&self, id: &CompanyId) -> Result<Option<CompanyRecord>, DirectoryError> {
        Err(DirectoryError::Malformed {
            id: id.to_string(),
            field: "homepage",
            reason: "is not an http(s) URL".into(),
        })
    }
}

#[tokio::test]
async fn a_record_that_breaks_the_contract_is_a_bad_record() {
    let w = worker(BrokenRecords, Arc::new(MemoryFetcher::new()));
    let (outcome, _) = w.process_body(&body("acme")).await;
    assert!(matches!(outcome, Outcome::BadRecord { .. }), "{outcome:?}");
    assert!(outcome.is_failure());
}

fn record(message_id: &str, body: &str, group: &str) -> SqsMessage {
    serde_json::from_value(serde_json::json!({
        "messageId": message_id,
        "receiptHandle": message_id,
        "body": body,
        "attributes": {"MessageGroupId": group, "ApproximateReceiveCount": "1"},
        "messageAttributes": {},
        "eventSource": "aws:sqs",
    }))
    .unwrap()
}

#[tokio::test]
async fn after_a_failure_in_a_fifo_group_the_rest_of_the_group_is_skipped() {
    let fetcher = Arc::new(MemoryFetcher::new());
    let w = Arc::new(worker(acme_with_logo(&fetcher), fetcher));
    let records = vec![
        record("m1", "not json", "acme"),
        record("m2", &body("acme"), "acme"),
        record("m3", &body("acme"), "other"),
    ];
    let (response, summary) = process_batch(w.clone(), records, 2).await;
    let failed: Vec<&str> = response
        .batch_item_failures
        .iter()
        .map(|f| f.item_identifier.as_str())
        .collect();
    assert_eq!(failed, ["m1", "m2"], "the poison and the one behind it");
    assert_eq!(
        summary.outcomes.get("skipped"),
        Some(&1),
        "{:?}",
        summary.outcomes
    );
    assert_eq!(
        summary.outcomes.get("stored"),
        Some(&1),
        "the other group went on"
    );
}

//! Every outcome of the design's table, end to end: messages sent to a real queue
//! (moto_server), received, turned into the Lambda's SQS event, handled by the worker with the
//! real S3 store, directory, guarded fetcher (loopback opted in) and image pipeline; then the
//! bucket holds exactly the expected objects with the expected metadata.

use std::sync::Arc;
use std::time::Duration;

use aws_lambda_events::sqs::SqsEvent;
use logofill_aws::S3Store;
use logofill_core::directory::JsonlDirectory;
use logofill_core::store::LogoStore;
use logofill_core::{CompanyId, Origin, QueueMessage};
use logofill_image::{Pipeline, PipelineOptions};
use logofill_render::{HelperCommand, RenderBudget, RenderPool, Renderer};
use logofill_testkit::aws::{
    create_bucket, create_queue_with_dlq, receive_as_lambda_event, s3_client, settle_batch,
    sqs_client,
};
use logofill_testkit::moto::MotoServer;
use logofill_testkit::sites::{FixtureSite, Page};
use logofill_testkit::{binaries, free_port};
use logofill_worker::wiring::{fetcher, pipeline, service_options};
use logofill_worker::{
    process_batch, DirectorySource, LogoWorker, Outcome, RecordProcessor, Timings, WorkerSettings,
};

/// A real PNG logo: a placeholder render is as good a PNG as any.
fn png_logo() -> Vec<u8> {
    let set = Pipeline::new(PipelineOptions::default())
        .unwrap()
        .placeholder("fixture", "Fixture")
        .unwrap();
    set.variants
        .iter()
        .find(|v| v.size == 256 && v.format.extension() == "png")
        .unwrap()
        .bytes
        .clone()
}

const SVG_LOGO: &str = r##"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 200 100"><rect width="200" height="100" fill="#0a7"/><circle cx="100" cy="50" r="40" fill="#fff"/></svg>"##;

struct World {
    _moto: MotoServer,
    site: FixtureSite,
    sqs: aws_sdk_sqs::Client,
    s3: aws_sdk_s3::Client,
    queue: String,
    settings: WorkerSettings,
    _dir: TempDir,
}

struct TempDir(std::path::PathBuf);
impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

async fn world(queue_name: &str) -> World {
    let moto = MotoServer::start();
    let sqs = sqs_client(&moto.endpoint).await;
    let s3 = s3_client(&moto.endpoint).await;
    create_bucket(&s3, "logos").await;
    let (queue, _dlq) = create_queue_with_dlq(&sqs, queue_name, 5, 30).await;
    let site = FixtureSite::start().await;
    site.page("/acme/logo.png", Page::ok("image/png", png_logo()))
        .page(
            "/globex/",
            Page::ok(
                "text/html",
                r#"<!doctype html><html><head><title>Globex</title><link rel="icon" href="/globex/tiny.ico" sizes="16x16"><link rel="icon" type="image/svg+xml" href="mark.svg"></head><body>Globex</body></html>"#,
            ),
        )
        .page("/globex/mark.svg", Page::ok("image/svg+xml", SVG_LOGO))
        .page("/initech/logo.png", Page::ok("image/png", b"<html>this is not an image</html>".to_vec()))
        .page("/slow/logo.png", Page::ok("image/png", png_logo()).slow(Duration::from_secs(5)));
    let dir = std::env::temp_dir().join(format!(
        "logofill-worker-{}-{}",
        std::process::id(),
        free_port()
    ));
    std::fs::create_dir_all(&dir).unwrap();
    let companies = [
        serde_json::json!({"id": "acme", "name": "Acme", "logo_url": site.url("/acme/logo.png")}),
        serde_json::json!({"id": "globex", "name": "Globex", "homepage": site.url("/globex/")}),
        serde_json::json!({"id": "initech", "name": "Initech", "logo_url": site.url("/initech/logo.png")}),
        serde_json::json!({"id": "hooli", "name": "Hooli", "logo_url": site.url("/hooli/missing.png")}),
        serde_json::json!({"id": "nosource", "name": "카카오"}),
        serde_json::json!({"id": "slowco", "name": "Slow Co", "logo_url": site.url("/slow/logo.png")}),
        serde_json::json!({"id": "metadata", "name": "Instance Metadata", "logo_url": "http://169.254.169.254/latest/meta-data/"}),
        serde_json::json!({"id": "broken", "name": 42}),
    ];
    let lines: Vec<String> = companies.iter().map(|c| c.to_string()).collect();
    let path = dir.join("companies.jsonl");
    std::fs::write(&path, lines.join("\n")).unwrap();
    let mut settings = WorkerSettings::with_defaults("logos", DirectorySource::File(path));
    settings.allow_loopback_sources = true;
    settings.fetch_timeout = Duration::from_secs(2);
    World {
        _moto: moto,
        site,
        sqs,
        s3,
        queue,
        settings,
        _dir: TempDir(dir),
    }
}

type TestWorker = LogoWorker<JsonlDirectory, S3Store, Arc<logofill_fetch::GuardedFetcher>>;

fn worker(w: &World) -> Arc<TestWorker> {
    let settings = &w.settings;
    let fetcher = fetcher(settings).unwrap();
    let DirectorySource::File(path) = &settings.directory else {
        unreachable!()
    };
    Arc::new(LogoWorker::new(
        JsonlDirectory::load(path).unwrap(),
        S3Store::new(w.s3.clone(), "logos"),
        fetcher,
        // The production path: renders in `logofill` helper processes under the budget.
        Renderer::sandboxed(
            pipeline(settings).unwrap(),
            RenderPool::new(
                HelperCommand::program(binaries::path("logofill")),
                pipeline(settings).unwrap().options(),
                RenderBudget {
                    timeout: settings.render_timeout,
                    memory_bytes: settings.memory.render_memory,
                },
                settings.memory.render_slots,
            ),
        ),
        service_options(settings),
    ))
}

async fn send(w: &World, bodies: &[String]) {
    for body in bodies {
        w.sqs
            .send_message()
            .queue_url(&w.queue)
            .message_body(body)
            .send()
            .await
            .unwrap();
    }
}

fn message(id: &str) -> String {
    QueueMessage::new(
        CompanyId::parse(id).unwrap(),
        chrono::Utc::now(),
        Origin::Report,
    )
    .to_body()
}

/// Receive everything sent (10 at most), handle it as one Lambda batch, settle it.
async fn run_batch<P: RecordProcessor>(
    w: &World,
    processor: Arc<P>,
) -> (
    Vec<String>,
    logofill_worker::BatchSummary,
    serde_json::Value,
) {
    let event_json = receive_as_lambda_event(&w.sqs, &w.queue).await;
    let event: SqsEvent = serde_json::from_value(event_json.clone()).expect("a Lambda SQS event");
    let (response, report) = process_batch(processor, event.records, 4).await;
    let failed: Vec<String> = response
        .batch_item_failures
        .iter()
        .map(|f| f.item_identifier.clone())
        .collect();
    settle_batch(&w.sqs, &w.queue, &event_json, &failed).await;
    (failed, report, event_json)
}

fn message_id_of(event: &serde_json::Value, company: &str) -> String {
    event["Records"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| {
            r["body"]
                .as_str()
                .unwrap()
                .contains(&format!("\"company_id\":\"{company}\""))
                || (company == "POISON" && !r["body"].as_str().unwrap().starts_with('{'))
        })
        .map(|r| r["messageId"].as_str().unwrap().to_string())
        .unwrap_or_else(|| panic!("no record for {company}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_mixed_batch_of_ten_reports_exactly_the_failed_ids_and_stores_the_rest() {
    let w = world("logofill-outcomes").await;
    let worker = worker(&w);
    send(
        &w,
        &[
            message("acme"),                // stored from logo_url
            message("globex"),              // stored from the homepage's SVG icon
            message("initech"),             // placeholder: not an image
            message("hooli"),               // placeholder: 404
            message("nosource"),            // placeholder: no logo_url, no homepage
            message("metadata"),            // placeholder: blocked address
            message("unknown1"),            // unknown company
            message("broken"),              // malformed record -> failed
            "this is not JSON".to_string(), // poison -> failed
            message("slowco"),              // timeout -> retry -> failed
        ],
    )
    .await;
    let (failed, report, event) = run_batch(&w, worker.clone()).await;
    assert_eq!(event["Records"].as_array().unwrap().len(), 10);
    let mut expected = vec![
        message_id_of(&event, "broken"),
        message_id_of(&event, "POISON"),
        message_id_of(&event, "slowco"),
    ];
    expected.sort();
    let mut failed_sorted = failed.clone();
    failed_sorted.sort();
    assert_eq!(failed_sorted, expected, "{report:?}");
    assert_eq!(report.count("stored"), 2, "{report:?}");
    assert_eq!(report.count("placeholder"), 4, "{report:?}");
    assert_eq!(report.count("unknown_company"), 1);
    assert_eq!(report.count("bad_record"), 1);
    assert_eq!(report.count("poison"), 1);
    assert_eq!(report.count("retry"), 1);

    let store = S3Store::new(w.s3.clone(), "logos");
    let objects = store.list_with_metadata("logos/").await.unwrap();
    let mut expected_keys = Vec::new();
    for company in ["acme", "globex", "initech", "hooli", "nosource", "metadata"] {
        for size in [64, 128, 256] {
            for ext in ["png", "webp"] {
                expected_keys.push(format!("logos/{company}/{size}.{ext}"));
            }
        }
    }
    expected_keys.sort();
    assert_eq!(objects.keys().cloned().collect::<Vec<_>>(), expected_keys);

    let acme = &objects["logos/acme/256.png"];
    assert_eq!(acme.content_type, "image/png");
    assert_eq!(acme.cache_control, "public, max-age=86400");
    assert_eq!(acme.metadata["kind"], "logo");
    assert_eq!(acme.metadata["source-url"], w.site.url("/acme/logo.png"));
    assert_eq!(acme.metadata["source-sha256"].len(), 64);
    assert_eq!(
        acme.metadata["pipeline-version"],
        logofill_image::PIPELINE_VERSION
    );
    assert_eq!(objects["logos/acme/64.webp"].content_type, "image/webp");
    let globex = &objects["logos/globex/128.png"];
    assert_eq!(globex.metadata["kind"], "logo");
    assert_eq!(
        globex.metadata["source-url"],
        w.site.url("/globex/mark.svg")
    );
    for company in ["initech", "hooli", "nosource", "metadata"] {
        let head = &objects[&format!("logos/{company}/256.png")];
        assert_eq!(head.metadata["kind"], "placeholder", "{company}");
        assert_eq!(head.metadata["reason"], "no-logo", "{company}");
        assert!(
            !head.metadata.contains_key("source-url")
                && !head.metadata.contains_key("source-sha256"),
            "a placeholder has no source: {company} {:?}",
            head.metadata
        );
    }
    assert!(
        !w.site.hits().iter().any(|p| p.contains("latest/meta-data")),
        "nothing reached the metadata address"
    );

    // The failed ones are back in the queue; the already stored ones are not fetched again.
    let hits_before = w.site.hits().len();
    send(&w, &[message("acme"), message("hooli")]).await;
    // Drain the three failed messages first, then the two new ones, in as many batches as SQS gives.
    let mut outcomes = std::collections::BTreeMap::new();
    for _ in 0..4 {
        let (_, report, event) = run_batch(&w, worker.clone()).await;
        if event["Records"].as_array().unwrap().is_empty() {
            break;
        }
        for (k, v) in report.outcomes {
            *outcomes.entry(k).or_insert(0) += v;
        }
    }
    assert_eq!(outcomes.get("already_present"), Some(&2), "{outcomes:?}");
    let new_hits: Vec<String> = w.site.hits()[hits_before..].to_vec();
    assert!(
        new_hits.iter().all(|p| p.starts_with("/slow")),
        "only the retried record fetched: {new_hits:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unavailable_store_is_a_retry_not_a_loss() {
    let mut w = world("logofill-s3-down").await;
    let worker = worker(&w);
    send(&w, &[message("acme")]).await;
    let event_json = receive_as_lambda_event(&w.sqs, &w.queue).await;
    let event: SqsEvent = serde_json::from_value(event_json).unwrap();
    w._moto.stop();
    let (response, report) = process_batch(worker, event.records, 4).await;
    assert_eq!(response.batch_item_failures.len(), 1);
    assert_eq!(report.count("retry"), 1, "{report:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stale_placeholder_is_replaced_and_a_fresh_one_is_kept() {
    let mut w = world("logofill-refresh").await;
    w.settings.placeholder_refresh = Duration::ZERO;
    let eager = worker(&w);
    // First a placeholder (404), then the source appears and the placeholder is stale at once.
    send(&w, &[message("hooli")]).await;
    run_batch(&w, eager.clone()).await;
    let store = S3Store::new(w.s3.clone(), "logos");
    assert_eq!(
        store
            .head("logos/hooli/256.png")
            .await
            .unwrap()
            .unwrap()
            .metadata["kind"],
        "placeholder"
    );
    w.site
        .page("/hooli/missing.png", Page::ok("image/png", png_logo()));
    send(&w, &[message("hooli")]).await;
    let (_, report, _) = run_batch(&w, eager).await;
    assert_eq!(report.count("stored"), 1, "{report:?}");
    assert_eq!(
        store
            .head("logos/hooli/256.png")
            .await
            .unwrap()
            .unwrap()
            .metadata["kind"],
        "logo"
    );

    // With the default refresh age, a placeholder is kept and nothing is fetched.
    w.settings.placeholder_refresh = Duration::from_secs(3600);
    let patient = worker(&w);
    send(&w, &[message("nosource")]).await;
    run_batch(&w, patient.clone()).await;
    send(&w, &[message("nosource")]).await;
    let (_, report, _) = run_batch(&w, patient).await;
    assert_eq!(report.count("already_present"), 1, "{report:?}");
}

/// A processor whose outcome is scripted by the body, to check batch mechanics alone.
struct Scripted;

impl RecordProcessor for Scripted {
    async fn process(&self, body: String) -> (Outcome, Timings) {
        if body.contains("panic") {
            panic!("scripted panic for {body}");
        }
        let outcome = if body.contains("fail") {
            Outcome::Retry {
                reason: "scripted".into(),
            }
        } else {
            Outcome::Stored {
                source_url: body,
                redirect: None,
            }
        };
        (outcome, Timings::default())
    }
}

fn fifo_record(id: &str, group: &str, body: &str) -> aws_lambda_events::sqs::SqsMessage {
    serde_json::from_value(serde_json::json!({
        "messageId": id,
        "receiptHandle": format!("rh-{id}"),
        "body": body,
        "attributes": {"MessageGroupId": group, "ApproximateReceiveCount": "1"},
        "messageAttributes": {},
        "eventSource": "aws:sqs",
        "awsRegion": "us-east-1"
    }))
    .unwrap()
}

#[tokio::test]
async fn a_fifo_batch_keeps_group_order_and_a_panic_fails_one_record() {
    let records = vec![
        fifo_record("a1", "A", "ok a1"),
        fifo_record("b1", "B", "fail b1"),
        fifo_record("a2", "A", "panic a2"),
        fifo_record("b2", "B", "ok b2"),
        fifo_record("c1", "C", "ok c1"),
        fifo_record("a3", "A", "ok a3"),
        fifo_record("c2", "C", "ok c2"),
    ];
    let (response, report) = process_batch(Arc::new(Scripted), records, 2).await;
    let failed: Vec<&str> = response
        .batch_item_failures
        .iter()
        .map(|f| f.item_identifier.as_str())
        .collect();
    // b1 failed, so b2 is not processed; a2 panicked, so a3 is not processed; order kept.
    assert_eq!(failed, ["b1", "a2", "b2", "a3"]);
    assert_eq!(report.count("stored"), 3);
    assert_eq!(report.count("skipped"), 2);
    assert_eq!(report.count("retry"), 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_source_over_the_render_budget_is_refused_and_the_next_candidate_stored() {
    let w = world("logofill-budget").await;
    w.site
        .page("/spinner/fault:spin.png", Page::ok("image/png", png_logo()))
        .page(
            "/spinner/",
            Page::ok(
                "text/html",
                r#"<html><head><link rel="icon" type="image/svg+xml" href="/globex/mark.svg"></head></html>"#,
            ),
        );
    let path = w._dir.0.join("spinner.jsonl");
    std::fs::write(
        &path,
        serde_json::json!({"id": "spinner", "name": "Spinner", "logo_url": w.site.url("/spinner/fault:spin.png"), "homepage": w.site.url("/spinner/")}).to_string(),
    )
    .unwrap();
    let settings = &w.settings;
    // The test helper spins on inputs named fault:spin: the budget must end it.
    let timeout = Duration::from_millis(800);
    let worker = LogoWorker::new(
        JsonlDirectory::load(&path).unwrap(),
        S3Store::new(w.s3.clone(), "logos"),
        fetcher(settings).unwrap(),
        Renderer::sandboxed(
            pipeline(settings).unwrap(),
            RenderPool::new(
                HelperCommand::program(binaries::path("logofill-render-helper"))
                    .env("LOGOFILL_RENDER_FAULT", "1"),
                pipeline(settings).unwrap().options(),
                RenderBudget {
                    timeout,
                    memory_bytes: 128 << 20,
                },
                1,
            ),
        ),
        service_options(settings),
    );
    let started = std::time::Instant::now();
    let report = worker
        .process_company(&CompanyId::parse("spinner").unwrap())
        .await;
    assert!(started.elapsed() < timeout + Duration::from_secs(5));
    assert!(
        matches!(&report.outcome, Outcome::Stored { source_url, .. } if source_url.ends_with("/globex/mark.svg")),
        "{:?}",
        report.outcome
    );
    assert_eq!(report.attempts[0].kind, "logo_url");
    assert!(
        report.attempts[0]
            .result
            .starts_with("not usable: budget_exceeded: rendering ")
            && report.attempts[0].result.ends_with(
                "took longer than the 800 ms render time limit (LOGOFILL_RENDER_TIMEOUT_MS)"
            ),
        "{}",
        report.attempts[0].result
    );
}

/// An encoder failure says nothing about the source: the message is retried (the record fails
/// back to SQS) and nothing is stored, not a placeholder. Runs on the in-memory bucket with the
/// real helper process answering an encoder error for inputs named `fault:encode`.
#[tokio::test]
async fn an_encoder_failure_is_retried_not_turned_into_a_placeholder() {
    let site = FixtureSite::start().await;
    site.page("/acme/fault:encode.png", Page::ok("image/png", png_logo()));
    let directory = logofill_core::directory::JsonlDirectory::parse(
        "test",
        &serde_json::json!({"id": "acme", "name": "Acme", "logo_url": site.url("/acme/fault:encode.png")})
            .to_string(),
    );
    let mut settings =
        WorkerSettings::with_defaults("logos", DirectorySource::File("/unused".into()));
    settings.allow_loopback_sources = true;
    let worker = LogoWorker::new(
        directory,
        logofill_core::store::MemoryStore::new(),
        fetcher(&settings).unwrap(),
        Renderer::sandboxed(
            pipeline(&settings).unwrap(),
            RenderPool::new(
                HelperCommand::program(binaries::path("logofill-render-helper"))
                    .env("LOGOFILL_RENDER_FAULT", "1"),
                pipeline(&settings).unwrap().options(),
                RenderBudget {
                    timeout: Duration::from_secs(3),
                    memory_bytes: 128 << 20,
                },
                1,
            ),
        ),
        service_options(&settings),
    );
    let report = worker
        .process_company(&CompanyId::parse("acme").unwrap())
        .await;
    assert!(
        matches!(&report.outcome, Outcome::Retry { reason } if reason.contains("scripted encoder failure")),
        "{:?}",
        report.outcome
    );
    assert!(report.outcome.is_failure(), "the record goes back to SQS");
    assert!(
        report.written.is_empty(),
        "nothing stored: {:?}",
        report.written
    );
    assert!(worker.store().get("logos/acme/256.png").is_none());
}
